'use strict';
/*
 * A stand-in for LuCI's client runtime, so the edgeddns view runs in a browser without a router:
 * the parts of luci.js (L, E, dom, class system, view loading), rpc.js, uci.js, form.js, ui.js,
 * poll.js and tools/widgets.js that the view uses, with LuCI's semantics where the view depends
 * on them:
 *  - dom.append: an array's strings become text nodes, a bare string becomes innerHTML;
 *  - rpc.declare: JSON-RPC `call` to /ubus, result [code, data]; `expect` picks a member and
 *    falls back to its default when the type differs; `reject` turns a non-zero code into an error;
 *  - uci: values from `uci get`, local changes staged by save() through `uci add/set/delete`,
 *    committed by apply() (the harness then signals the daemon, as procd's reload trigger does);
 *  - form: options read uci on load, validate on save, write only when active (depends) and
 *    remove empty values (rmempty); a GridSection edits sections in a modal;
 *  - poll.add: runs the function every N seconds, never overlapping.
 * Written for the tests from LuCI's documented behaviour; no LuCI code is copied.
 */
(function() {
	/* ---------- strings and translation ---------- */
	String.prototype.format = function() {
		var args = arguments, i = 0;
		return this.replace(/%([%sdhq])/g, function(m, c) {
			if (c == '%')
				return '%';
			var v = args[i++];
			if (c == 'd')
				return String(Math.floor(+v));
			if (c == 'h' || c == 'q')
				return String(v == null ? '' : v).replace(/[&<>"']/g, function(x) {
					return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' }[x];
				});
			return String(v);
		});
	};
	window._ = function(s) { return s; };

	/* ---------- dom and E() ---------- */
	var dom = {
		elem: function(e) { return e != null && typeof e == 'object' && 'nodeType' in e; },
		append: function(node, children) {
			if (!this.elem(node))
				return null;
			if (Array.isArray(children)) {
				for (var i = 0; i < children.length; i++)
					if (this.elem(children[i]))
						node.appendChild(children[i]);
					else if (children[i] != null)
						node.appendChild(document.createTextNode('' + children[i]));
				return node.lastChild;
			}
			if (typeof children == 'function')
				return this.append(node, children(node));
			if (this.elem(children))
				return node.appendChild(children);
			if (children != null) {
				node.innerHTML = '' + children;
				return node.lastChild;
			}
			return null;
		},
		content: function(node, children) {
			while (node.firstChild)
				node.removeChild(node.firstChild);
			return this.append(node, children);
		},
		create: function(html, attr, data) {
			if (!(attr != null && typeof attr == 'object' && !Array.isArray(attr) && !this.elem(attr))) {
				data = attr;
				attr = null;
			}
			var elem;
			if (Array.isArray(html)) {
				elem = document.createDocumentFragment();
				for (var i = 0; i < html.length; i++)
					elem.appendChild(this.create(html[i]));
			}
			else if (this.elem(html))
				elem = html;
			else
				elem = document.createElement(html);
			for (var key in (attr || {})) {
				var v = attr[key];
				if (v == null)
					continue;
				if (typeof v == 'function')
					elem.addEventListener(key, v);
				else if (typeof v == 'object')
					elem.setAttribute(key, JSON.stringify(v));
				else
					elem.setAttribute(key, v);
			}
			if (data != null)
				this.append(elem, data);
			return elem;
		}
	};
	window.E = function() { return dom.create.apply(dom, arguments); };

	/* ---------- classes ---------- */
	function extend(Base, props) {
		function Class() {
			if (this.__init__)
				this.__init__.apply(this, arguments);
		}
		Class.prototype = Object.create(Base.prototype);
		Object.assign(Class.prototype, props);
		Class.prototype.constructor = Class;
		Class.prototype.super = function(name, args) { return Base.prototype[name].apply(this, args || []); };
		Class.extend = function(p) { return extend(Class, p); };
		return Class;
	}
	function Root() {}

	var typeOf = function(x) { return Object.prototype.toString.call(x).slice(8, -1).toLowerCase(); };

	window.L = {
		bind: function(fn, self) { return Function.prototype.bind.apply(fn, [self].concat([].slice.call(arguments, 2))); },
		resolveDefault: function(v, d) { return Promise.resolve(v).catch(function() { return d; }); },
		toArray: function(x) { return x == null ? [] : Array.isArray(x) ? x : [x]; },
		isObject: function(x) { return x != null && typeof x == 'object'; },
		dom: dom
	};

	/* ---------- rpc ---------- */
	var UBUS_STATUS = ['Command OK', 'Invalid command', 'Invalid argument', 'Method not found', 'Resource not found',
		'No data received', 'Permission denied', 'Request timeout', 'Not supported', 'Unspecified error',
		'Connection lost', 'Out of memory', 'Parse error', 'System error'];
	var rpcId = 1;
	function call(object, method, params) {
		var body = { jsonrpc: '2.0', id: rpcId++, method: 'call', params: [ '00000000000000000000000000000000', object, method, params || {} ] };
		return fetch('/ubus', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
			.then(function(r) { return r.json(); })
			.then(function(msg) {
				if (msg.error)
					throw new Error('RPC call to %s/%s failed: %s'.format(object, method, msg.error.message));
				return msg.result;
			});
	}
	var rpc = {
		declare: function(req) {
			return function() {
				var args = arguments, params = {};
				(req.params || []).forEach(function(name, i) {
					if (args[i] !== undefined)
						params[name] = args[i];
				});
				return call(req.object, req.method, params).then(function(result) {
					var ret;
					if (Array.isArray(result) && result[0] === 0)
						ret = result.length > 1 ? result[1] : result[0];
					else if (Array.isArray(result))
						ret = result[0];
					if (req.reject && typeof ret == 'number' && ret !== 0)
						throw new Error('RPC call to %s/%s failed with ubus code %d: %s'.format(req.object, req.method, ret, UBUS_STATUS[ret] || 'Unknown error'));
					if (req.expect) {
						for (var key in req.expect) {
							if (ret != null && key != '')
								ret = ret[key];
							if (ret == null || typeOf(ret) != typeOf(req.expect[key]))
								ret = req.expect[key];
							break;
						}
					}
					return ret;
				});
			};
		}
	};

	/* ---------- uci ---------- */
	var uci = {
		values: {},
		changes: {},
		load: function(conf) {
			return call('uci', 'get', { config: conf }).then(function(res) {
				uci.values[conf] = (res && res[0] === 0) ? res[1].values : {};
				uci.changes[conf] = { add: {}, set: {}, del: {} };
				return uci.values[conf];
			});
		},
		section: function(conf, sid) {
			var c = this.changes[conf];
			if (c.del[sid] === true)
				return null;
			return c.add[sid] || this.values[conf][sid] || null;
		},
		sections: function(conf, type) {
			var self = this, list = Object.values(this.values[conf] || {}).concat(Object.values(this.changes[conf].add));
			return list.filter(function(s) { return (!type || s['.type'] == type) && self.changes[conf].del[s['.name']] !== true; })
				.sort(function(a, b) { return a['.index'] - b['.index']; });
		},
		get: function(conf, sid, opt) {
			var s = this.section(conf, sid);
			if (!s)
				return null;
			if (opt == null)
				return s;
			var c = this.changes[conf];
			if (c.set[sid] && opt in c.set[sid])
				return c.set[sid][opt];
			return (s[opt] !== undefined) ? s[opt] : null;
		},
		set: function(conf, sid, opt, val) {
			var c = this.changes[conf];
			(c.set[sid] = c.set[sid] || {})[opt] = (val == null || val === '' || (Array.isArray(val) && !val.length)) ? null : val;
		},
		unset: function(conf, sid, opt) { this.set(conf, sid, opt, null); },
		add: function(conf, type, name) {
			var sid = name || ('new' + Math.random().toString(16).slice(2, 8));
			this.changes[conf].add[sid] = { '.type': type, '.name': sid, '.anonymous': !name, '.index': 1000 + Object.keys(this.changes[conf].add).length };
			return sid;
		},
		remove: function(conf, sid) {
			var c = this.changes[conf];
			if (c.add[sid])
				delete c.add[sid];
			else
				c.del[sid] = true;
			delete c.set[sid];
		},
		/* Stage the changes on the server (rpcd's uci add/set/delete) and reload. */
		save: function() {
			var tasks = [];
			Object.keys(this.changes).forEach(function(conf) {
				var c = uci.changes[conf];
				Object.keys(c.add).forEach(function(sid) {
					var s = c.add[sid], values = {};
					Object.keys(c.set[sid] || {}).forEach(function(k) { if (c.set[sid][k] != null) values[k] = c.set[sid][k]; });
					tasks.push(call('uci', 'add', { config: conf, type: s['.type'], name: s['.anonymous'] ? undefined : sid, values: values }));
				});
				Object.keys(c.set).forEach(function(sid) {
					if (c.add[sid])
						return;
					var values = {}, removed = [];
					Object.keys(c.set[sid]).forEach(function(k) {
						if (c.set[sid][k] == null) removed.push(k); else values[k] = c.set[sid][k];
					});
					if (Object.keys(values).length)
						tasks.push(call('uci', 'set', { config: conf, section: sid, values: values }));
					if (removed.length)
						tasks.push(call('uci', 'delete', { config: conf, section: sid, options: removed }));
				});
				Object.keys(c.del).forEach(function(sid) { tasks.push(call('uci', 'delete', { config: conf, section: sid })); });
			});
			return tasks.reduce(function(p, t) { return p.then(function() { return t; }); }, Promise.resolve())
				.then(function() { return Promise.all(Object.keys(uci.changes).map(function(conf) { return uci.load(conf); })); });
		},
		/* Commit what is staged: the config file changes and procd's reload trigger fires. */
		apply: function() {
			return call('uci', 'apply', { rollback: false }).then(function(res) {
				if (!Array.isArray(res) || res[0] !== 0)
					throw new Error('apply failed');
			});
		}
	};

	/* ---------- ui ---------- */
	var ui = {
		addNotification: function(title, children, cls) {
			var n = E('div', { 'class': 'alert-message fade-in ' + (cls || '') }, [
				title ? E('h4', [ title ]) : '',
				E('div', {}, children)
			]);
			document.getElementById('notifications').appendChild(n);
			return n;
		},
		createHandlerFn: function(ctx, fn) {
			var args = [].slice.call(arguments, 2);
			return function(ev) {
				var btn = ev.currentTarget;
				btn.classList.add('spinning');
				btn.disabled = true;
				return Promise.resolve(fn.apply(ctx, args.concat([ev]))).finally(function() {
					btn.classList.remove('spinning');
					btn.disabled = false;
				});
			};
		},
		showModal: function(title, children) {
			var overlay = document.getElementById('modal_overlay');
			var modal = E('div', { 'class': 'modal', 'role': 'dialog' }, [ title ? E('h4', [ title ]) : '' ]);
			dom.append(modal, children);
			dom.content(overlay, modal);
			document.body.classList.add('modal-overlay-active');
			return modal;
		},
		hideModal: function() {
			dom.content(document.getElementById('modal_overlay'), null);
			document.body.classList.remove('modal-overlay-active');
		}
	};

	/* ---------- poll ---------- */
	var poll = {
		add: function(fn, interval) {
			var tick = function() {
				Promise.resolve(fn()).catch(function() {}).finally(function() { setTimeout(tick, (interval || 5) * 1000); });
			};
			setTimeout(tick, (interval || 5) * 1000);
		}
	};

	/* ---------- form ---------- */
	var DATATYPES = {
		uinteger: function(v) { return /^\d+$/.test(v); },
		string: function() { return true; },
		uciname: function(v) { return /^[A-Za-z0-9_]+$/.test(v); }
	};
	function checkDatatype(dt, v) {
		if (!dt || v == null || v === '')
			return true;
		var m = /^range\((-?\d+),(-?\d+)\)$/.exec(dt);
		if (m)
			return /^-?\d+$/.test(v) && +v >= +m[1] && +v <= +m[2];
		return DATATYPES[dt] ? DATATYPES[dt](v) : true;
	}

	var AbstractValue = extend(Root, {
		__init__: function(map, section, option, title, description) {
			this.map = map;
			this.section = section;
			this.option = option;
			this.title = title || '';
			this.description = description || '';
			this.deps = [];
			this.rmempty = true;
			this.keylist = [];
			this.vallist = [];
		},
		depends: function(field, value) {
			var d = {};
			if (typeof field == 'object')
				d = field;
			else
				d[field] = value;
			this.deps.push(d);
		},
		value: function(key, label) {
			this.keylist.push(String(key));
			this.vallist.push(label != null ? label : key);
		},
		cbid: function(sid) { return 'cbid.%s.%s.%s'.format(this.map.config, sid, this.option); },
		load: function(sid) { return Promise.resolve(uci.get(this.map.config, sid, this.option)); },
		cfgvalue: function(sid) { return uci.get(this.map.config, sid, this.option); },
		textvalue: function(sid) {
			var v = this.cfgvalue(sid);
			if (v == null)
				v = this.default;
			if (this.keylist.length) {
				var i = this.keylist.indexOf(String(v));
				if (i >= 0)
					v = this.vallist[i];
			}
			return Array.isArray(v) ? v.join(', ') : (v == null ? '' : String(v));
		},
		widget: function(sid) { return document.getElementById(this.cbid(sid)); },
		formvalue: function(sid) {
			var w = this.widget(sid);
			return w ? w.value : this.cfgvalue(sid);
		},
		isActive: function(sid) {
			if (!this.deps.length)
				return true;
			var self = this;
			return this.deps.some(function(d) {
				return Object.keys(d).every(function(k) {
					var o = self.map.lookupOption(k, sid);
					var v = o ? o[0].formvalue(sid) : null;
					return String(v == null ? '' : v) == String(d[k]);
				});
			});
		},
		validate: function() { return true; },
		check: function(sid) {
			var v = this.formvalue(sid), values = Array.isArray(v) ? (v.length ? v : ['']) : [v];
			if (this.rmempty === false && (v == null || v === '' || (Array.isArray(v) && !v.length)))
				return _('Expecting: non-empty value');
			for (var i = 0; i < values.length; i++) {
				if (!checkDatatype(this.datatype, values[i]))
					return _('Invalid value');
				var r = this.validate(sid, values[i]);
				if (r !== true)
					return r || _('Invalid value');
			}
			return true;
		},
		/* Write the form value, as LuCI's parse(): inactive options are removed, empty ones too. */
		parse: function(sid) {
			if (!this.isActive(sid))
				return uci.unset(this.map.config, sid, this.option);
			var v = this.formvalue(sid);
			var empty = v == null || v === '' || (Array.isArray(v) && !v.length);
			if (empty)
				return uci.unset(this.map.config, sid, this.option);
			uci.set(this.map.config, sid, this.option, v);
		},
		renderRow: function(sid) {
			var cfg = this.cfgvalue(sid);
			var widget = this.renderWidget(sid, cfg != null ? cfg : this.default);
			var error = E('div', { 'class': 'cbi-value-error' });
			var row = E('div', { 'class': 'cbi-value', 'data-name': this.option, 'data-widget': this.constructor.name || '' }, [
				E('label', { 'class': 'cbi-value-title', 'for': this.cbid(sid) }, [ this.title ]),
				E('div', { 'class': 'cbi-value-field' }, [ widget, error, this.description ? E('div', { 'class': 'cbi-value-description' }, [ this.description ]) : '' ])
			]);
			var self = this;
			row.addEventListener('input', function() { self.showError(sid, error); });
			row.addEventListener('change', function() { self.showError(sid, error); });
			return row;
		},
		showError: function(sid, node) {
			var r = this.isActive(sid) ? this.check(sid) : true;
			dom.content(node, r === true ? null : [ r ]);
			node.parentNode.parentNode.classList.toggle('cbi-value-invalid', r !== true);
			return r;
		}
	});

	var Value = AbstractValue.extend({
		renderWidget: function(sid, value) {
			return E('input', { 'id': this.cbid(sid), 'type': this.password ? 'password' : 'text', 'class': 'cbi-input-text',
				'placeholder': this.placeholder || null, 'value': value != null ? String(value) : '' });
		}
	});

	var Flag = AbstractValue.extend({
		__init__: function() { this.super('__init__', arguments); this.enabled = '1'; this.disabled = '0'; },
		renderWidget: function(sid, value) {
			var attrs = { 'id': this.cbid(sid), 'type': 'checkbox', 'class': 'cbi-input-checkbox' };
			if (String(value) == this.enabled)
				attrs.checked = 'checked';
			return E('input', attrs);
		},
		formvalue: function(sid) {
			var w = this.widget(sid);
			if (!w)
				return this.cfgvalue(sid);
			return w.checked ? this.enabled : this.disabled;
		},
		textvalue: function(sid) {
			var v = this.cfgvalue(sid);
			return String(v == null ? this.default : v) == this.enabled ? _('Yes') : _('No');
		},
		/* LuCI writes a flag that differs from its default, and removes it otherwise. */
		parse: function(sid) {
			if (!this.isActive(sid))
				return uci.unset(this.map.config, sid, this.option);
			var v = this.formvalue(sid), def = this.default != null ? String(this.default) : this.disabled;
			if (v == def && this.cfgvalue(sid) == null)
				return;
			uci.set(this.map.config, sid, this.option, v);
		}
	});

	var ListValue = AbstractValue.extend({
		renderWidget: function(sid, value) {
			var self = this;
			var sel = E('select', { 'id': this.cbid(sid), 'class': 'cbi-input-select' }, this.keylist.map(function(k, i) {
				var o = E('option', { 'value': k }, [ String(self.vallist[i]) ]);
				if (String(value) == k)
					o.selected = true;
				return o;
			}));
			return sel;
		}
	});

	var DynamicList = AbstractValue.extend({
		renderWidget: function(sid, value) {
			var self = this, box = E('div', { 'id': this.cbid(sid), 'class': 'cbi-dynlist' });
			var add = function(v) {
				box.insertBefore(E('div', { 'class': 'item' }, [
					E('input', { 'type': 'text', 'class': 'cbi-input-text', 'value': v }),
					E('button', { 'class': 'cbi-button remove', 'type': 'button', 'click': function(ev) { ev.target.parentNode.remove(); } }, [ '×' ])
				]), box.lastChild);
			};
			box.appendChild(E('div', { 'class': 'add-item' }, [
				E('input', { 'type': 'text', 'class': 'cbi-input-text', 'placeholder': this.placeholder || null }),
				E('button', { 'class': 'cbi-button add', 'type': 'button', 'click': function(ev) {
					var input = ev.target.previousSibling;
					if (input.value) { add(input.value); input.value = ''; }
				} }, [ '+' ])
			]));
			L.toArray(value).forEach(add);
			this._box = box;
			return box;
		},
		formvalue: function(sid) {
			var box = this.widget(sid);
			if (!box)
				return L.toArray(this.cfgvalue(sid));
			var vals = [].map.call(box.querySelectorAll('.item input'), function(i) { return i.value; });
			var pending = box.querySelector('.add-item input').value;
			if (pending)
				vals.push(pending);
			return vals.filter(function(v) { return v !== ''; });
		},
		check: function(sid) {
			var vals = this.formvalue(sid);
			if (this.rmempty === false && !vals.length)
				return _('Expecting: non-empty value');
			for (var i = 0; i < vals.length; i++) {
				var r = this.validate(sid, vals[i]);
				if (r !== true)
					return r;
			}
			return true;
		}
	});

	var Section = extend(Root, {
		__init__: function(map, sectiontype, title, description) {
			this.map = map;
			this.sectiontype = sectiontype;
			this.title = title || '';
			this.description = description || '';
			this.children = [];
		},
		option: function(cls, name, title, description) {
			var o = new cls(this.map, this, name, title, description);
			this.children.push(o);
			return o;
		},
		parseSection: function(sid, modal) {
			var errors = [];
			this.children.forEach(function(o) {
				if (o.modalonly && !modal)
					return;
				if (o.isActive(sid)) {
					var r = o.check(sid);
					if (r !== true)
						errors.push('%s: %s'.format(o.title, r));
				}
			});
			if (errors.length)
				return errors;
			this.children.forEach(function(o) {
				if (!o.modalonly || modal)
					o.parse(sid);
			});
			return null;
		},
		updateDepends: function(sid, container) {
			this.children.forEach(function(o) {
				var row = container.querySelector('.cbi-value[data-name="%s"]'.format(o.option));
				if (row)
					row.style.display = o.isActive(sid) ? '' : 'none';
			});
		}
	});

	var NamedSection = Section.extend({
		__init__: function(map, sid, sectiontype, title, description) {
			this.super('__init__', [map, sectiontype, title, description]);
			this.sid = sid;
		},
		render: function() {
			var self = this, sid = this.sid;
			if (!uci.get(this.map.config, sid))
				return E('div');
			var box = E('div', { 'class': 'cbi-section', 'id': 'cbi-%s-%s'.format(this.map.config, sid) }, [
				E('h3', [ this.title ]),
				E('div', { 'class': 'cbi-section-node' }, this.children.map(function(o) { return o.renderRow(sid); }))
			]);
			box.addEventListener('change', function() { self.updateDepends(sid, box); });
			setTimeout(function() { self.updateDepends(sid, box); });
			return box;
		},
		save: function() { return this.parseSection(this.sid, true); }
	});

	var GridSection = Section.extend({
		__init__: function(map, sectiontype, title, description) {
			this.super('__init__', [map, sectiontype, title, description]);
			this.addremove = false;
			this.anonymous = false;
		},
		render: function() {
			var self = this, cols = this.children.filter(function(o) { return !o.modalonly; });
			var sections = uci.sections(this.map.config, this.sectiontype);
			var table = E('table', { 'class': 'table cbi-section-table', 'id': 'cbi-%s-%s'.format(this.map.config, this.sectiontype) }, [
				E('tr', { 'class': 'tr table-titles' }, [ E('th', { 'class': 'th' }, [ _('Name') ]) ]
					.concat(cols.map(function(o) { return E('th', { 'class': 'th' }, [ o.title ]); }))
					.concat([ E('th', { 'class': 'th' }) ]))
			].concat(sections.map(function(s) {
				var sid = s['.name'];
				return E('tr', { 'class': 'tr cbi-section-table-row', 'data-sid': sid }, [ E('td', { 'class': 'td' }, [ sid ]) ]
					.concat(cols.map(function(o) { return E('td', { 'class': 'td', 'data-name': o.option }, [ o.textvalue(sid) ]); }))
					.concat([ E('td', { 'class': 'td cbi-section-actions' }, [
						E('button', { 'class': 'cbi-button cbi-button-edit', 'title': _('Edit'), 'click': function() { self.openModal(sid, false); } }, [ _('Edit') ]),
						self.addremove ? E('button', { 'class': 'cbi-button cbi-button-remove', 'click': function() {
							uci.remove(self.map.config, sid);
							self.map.rerender();
						} }, [ _('Delete') ]) : ''
					]) ]));
			})));
			var footer = this.addremove ? E('div', { 'class': 'cbi-section-create' }, [
				E('input', { 'type': 'text', 'class': 'cbi-section-create-name', 'placeholder': _('New service name') }),
				E('button', { 'class': 'cbi-button cbi-button-add', 'click': function(ev) {
					var input = ev.target.previousSibling, name = input.value.trim();
					var err = !/^[A-Za-z0-9_]+$/.test(name) ? _('Expecting: valid UCI identifier')
						: uci.get(self.map.config, name) ? _('The name is already used') : null;
					if (err) {
						input.classList.add('cbi-input-invalid');
						input.title = err;
						return;
					}
					uci.add(self.map.config, self.sectiontype, name);
					self.openModal(name, true);
				} }, [ this.addbtntitle || _('Add') ])
			]) : '';
			return E('div', { 'class': 'cbi-section cbi-tblsection' }, [ E('h3', [ this.title ]), table, footer ]);
		},
		openModal: function(sid, isNew) {
			var self = this;
			var body = E('div', { 'class': 'cbi-section-node' }, this.children.map(function(o) { return o.renderRow(sid); }));
			var errors = E('div', { 'class': 'modal-errors' });
			ui.showModal(this.modaltitle ? this.modaltitle(sid) : sid, [
				body, errors,
				E('div', { 'class': 'right' }, [
					E('button', { 'class': 'cbi-button', 'click': function() {
						if (isNew)
							uci.remove(self.map.config, sid);
						ui.hideModal();
						self.map.rerender();
					} }, [ _('Dismiss') ]),
					' ',
					E('button', { 'class': 'cbi-button cbi-button-positive important', 'click': function() {
						var errs = self.parseSection(sid, true);
						if (errs) {
							dom.content(errors, errs.map(function(e) { return E('p', { 'class': 'alert-message error' }, [ e ]); }));
							return;
						}
						ui.hideModal();
						self.map.rerender();
					} }, [ _('Save') ])
				])
			]);
			body.addEventListener('change', function() { self.updateDepends(sid, body); });
			body.addEventListener('input', function() { self.updateDepends(sid, body); });
			self.updateDepends(sid, body);
		},
		save: function() { return null; }
	});

	var Map = extend(Root, {
		__init__: function(config, title, description) {
			this.config = config;
			this.title = title || '';
			this.description = description || '';
			this.sections = [];
		},
		section: function(cls) {
			var s = new (Function.prototype.bind.apply(cls, [null, this].concat([].slice.call(arguments, 1))))();
			this.sections.push(s);
			return s;
		},
		lookupOption: function(name, sid) {
			for (var i = 0; i < this.sections.length; i++)
				for (var j = 0; j < this.sections[i].children.length; j++)
					if (this.sections[i].children[j].option == name)
						return [ this.sections[i].children[j], sid ];
			return null;
		},
		renderContents: function() {
			return [ E('h2', [ this.title ]), E('div', { 'class': 'cbi-map-descr' }, [ this.description ]) ]
				.concat(this.sections.map(function(s) { return s.render(); }));
		},
		/* Like LuCI: load the configuration, then every option (a network selector fetches its
		 * choices), then render. */
		render: function() {
			var self = this;
			return Promise.resolve(uci.values[this.config] ? null : uci.load(this.config)).then(function() {
				var loads = [];
				self.sections.forEach(function(s) { s.children.forEach(function(o) { loads.push(o.load(null)); }); });
				return Promise.all(loads);
			}).then(function() {
				self.root = E('div', { 'class': 'cbi-map', 'id': 'cbi-' + self.config }, self.renderContents());
				maps.push(self);
				return self.root;
			});
		},
		rerender: function() { dom.content(this.root, this.renderContents()); },
		save: function() {
			var errors = [];
			this.sections.forEach(function(s) { errors = errors.concat(s.save() || []); });
			if (errors.length)
				return Promise.reject(new Error(errors.join('; ')));
			var self = this;
			return uci.save().then(function() { self.rerender(); });
		}
	});
	var maps = [];

	var form = { Map: Map, NamedSection: NamedSection, GridSection: GridSection, Value: Value, Flag: Flag,
		ListValue: ListValue, DynamicList: DynamicList };

	/* ---------- tools.widgets ---------- */
	var callNetworks = rpc.declare({ object: 'network.interface', method: 'dump', expect: { 'interface': [] } });
	var widgets = {
		NetworkSelect: ListValue.extend({
			load: function(sid) {
				var self = this;
				return callNetworks().then(function(list) {
					self.keylist = [];
					self.vallist = [];
					list.forEach(function(n) { if (n.interface != 'loopback') self.value(n.interface, n.interface); });
					return self.super('load', [sid]);
				});
			}
		})
	};

	/* ---------- view ---------- */
	var View = extend(Root, {
		load: function() { return Promise.resolve(); },
		handleSave: function() {
			return Promise.all(maps.map(function(m) { return m.save(); }));
		},
		handleSaveApply: function(ev) {
			return this.handleSave(ev).then(function() { return uci.apply(); }).then(function() {
				ui.addNotification(null, E('p', [ _('Configuration changes applied.') ]), 'info');
			}).catch(function(e) {
				ui.addNotification(null, E('p', [ _('Saving failed: %s').format(e.message) ]), 'error');
			});
		},
		addFooter: function() {
			var self = this;
			return E('div', { 'class': 'cbi-page-actions' }, [
				E('button', { 'class': 'cbi-button cbi-button-apply', 'id': 'save-apply', 'click': ui.createHandlerFn(this, 'handleSaveApply') }, [ _('Save & Apply') ]),
				' ',
				E('button', { 'class': 'cbi-button cbi-button-save', 'click': function() { return self.handleSave(); } }, [ _('Save') ])
			]);
		}
	});
	var view = { extend: function(p) { return View.extend(p); } };

	/* Resolve a handler given by name, as LuCI's createHandlerFn accepts method names. */
	var createHandlerFn = ui.createHandlerFn;
	ui.createHandlerFn = function(ctx, fn) {
		var args = [].slice.call(arguments, 1);
		if (typeof fn == 'string')
			args[0] = ctx[fn];
		return createHandlerFn.apply(ui, [ctx].concat(args));
	};

	var modules = { view: view, dom: dom, form: form, uci: uci, rpc: rpc, poll: poll, ui: ui, 'tools.widgets': widgets };

	/* Load a view file as LuCI does: its 'require' lines name the modules passed to it. */
	L.loadView = function(url) {
		return fetch(url).then(function(r) { return r.text(); }).then(function(src) {
			var names = [], params = [], re = /^\s*'require\s+([A-Za-z0-9_.]+)(?:\s+as\s+(\w+))?';/gm, m;
			while ((m = re.exec(src)) !== null) {
				if (!modules[m[1]])
					throw new Error('view requires unknown module ' + m[1]);
				names.push(m[2] || m[1]);
				params.push(modules[m[1]]);
			}
			var Cls = new Function(names.join(','), src).apply(null, params);
			var v = new Cls();
			return Promise.resolve(v.load()).then(function(data) {
				return v.render(data);
			}).then(function(rendered) {
				var main = document.getElementById('view');
				dom.content(main, rendered);
				main.appendChild(v.addFooter());
				document.body.setAttribute('data-view-ready', '1');
				return v;
			});
		});
	};
})();
