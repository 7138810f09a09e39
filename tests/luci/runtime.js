'use strict';
/*
 * A stand-in for LuCI's client runtime, so the edgeddns view runs in a browser without a router.
 * It implements the parts of luci.js, rpc.js, uci.js, form.js, ui.js, validation, poll and
 * tools/widgets.js that the view uses, with the behaviour of LuCI's own (read from its source,
 * none of it copied) wherever the view depends on it:
 *  - translation: _() looks the whitespace-normalised string up in window.TR by its SuperFastHash
 *    (the hash LuCI's .lmo catalogues are indexed by), which the server fills from the .lmo file;
 *  - dom.append: an array's strings become text nodes, a bare string becomes innerHTML;
 *  - rpc: JSON-RPC `call` with the session id to <L.url admin/ubus>; a JSON-RPC error (-32002
 *    "Access denied" …) rejects with "RPC call to O/M failed with error N: MSG", a non-zero ubus
 *    status rejects only with `reject: true`; `expect` picks a member or its default;
 *  - uci: `uci get` per config (rejecting on error), changes staged with uci add/set/delete by
 *    save(); a delete only for an option that exists;
 *  - form: Map.load asks `session access` for uci write (read-only when denied); options read
 *    `ucioption`, write only what changed, remove empty or inactive values unless another active
 *    option shares the UCI option; widgets have ids "widget.cbid.<config>.<section>.<option>";
 *    an invalid value marks its input (cbi-input-invalid) with the message as data-tooltip;
 *    a GridSection edits in a modal built from a second Map and saves it silently, so the modal
 *    stays open on an error; "Add" stays disabled until the name is a valid UCI name;
 *  - ui.showModal keeps the one .modal in #modal_overlay and toggles body.modal-overlay-active;
 *  - Save & Apply: save, POST admin/uci/apply_rollback, then admin/uci/confirm after the hold-off,
 *    "Configuration changes applied." and a reload of the page;
 *  - a Value with choices (o.value(key, label)) offers them and still takes any text, as LuCI's
 *    ui.Combobox does; here as the input's <datalist> (option value = key, label = label);
 *  - widgets.NetworkSelect lists the networks of the network config and netifd's dump (each read
 *    tolerating a denial, like network.js); a value not among them shows as "unspecified".
 */
(function() {
	var env = window.LUCI_ENV || {};

	/* ---------- strings and translation ---------- */
	String.prototype.format = function() {
		var args = arguments, i = 0;
		return this.replace(/%([%sdhqf])/g, function(m, c) {
			if (c == '%')
				return '%';
			var v = args[i++];
			if (c == 'd')
				return String(Math.floor(+v));
			if (c == 'f')
				return String(+v);
			if (c == 'h' || c == 'q')
				return String(v == null ? '' : v).replace(/[&<>"']/g, function(x) {
					return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' }[x];
				});
			return String(v == null ? '' : v);
		});
	};

	/* SuperFastHash (Paul Hsieh) over the UTF-8 bytes, initialised with the length, as lmo.c. */
	function sfh(s) {
		var bytes = Array.from(new TextEncoder().encode(s));
		var len = bytes.length, hash = len >>> 0, off = 0, tmp;
		var get16 = function(o) { return bytes[o] + (bytes[o + 1] << 8); };
		var signed = function(b) { return b > 127 ? b - 256 : b; };
		if (!len)
			return null;
		for (var n = len >>> 2; n > 0; n--, off += 4) {
			hash = (hash + get16(off)) >>> 0;
			tmp = ((get16(off + 2) << 11) ^ hash) >>> 0;
			hash = ((hash << 16) ^ tmp) >>> 0;
			hash = (hash + (hash >>> 11)) >>> 0;
		}
		switch (len & 3) {
		case 3:
			hash = (hash + get16(off)) >>> 0;
			hash = (hash ^ (hash << 16)) >>> 0;
			hash = (hash ^ (signed(bytes[off + 2]) << 18)) >>> 0;
			hash = (hash + (hash >>> 11)) >>> 0;
			break;
		case 2:
			hash = (hash + get16(off)) >>> 0;
			hash = (hash ^ (hash << 11)) >>> 0;
			hash = (hash + (hash >>> 17)) >>> 0;
			break;
		case 1:
			hash = (hash + signed(bytes[off])) >>> 0;
			hash = (hash ^ (hash << 10)) >>> 0;
			hash = (hash + (hash >>> 1)) >>> 0;
		}
		hash = (hash ^ (hash << 3)) >>> 0;
		hash = (hash + (hash >>> 5)) >>> 0;
		hash = (hash ^ (hash << 4)) >>> 0;
		hash = (hash + (hash >>> 17)) >>> 0;
		hash = (hash ^ (hash << 25)) >>> 0;
		hash = (hash + (hash >>> 6)) >>> 0;
		return (0x100000000 + hash).toString(16).slice(1);
	}
	var trimws = function(s) { return String(s).trim().replace(/[ \t\n]+/g, ' '); };
	window._ = function(s, c) {
		var k = (c != null ? trimws(c) + '\u0001' : '') + trimws(s);
		return (window.TR && window.TR[sfh(k)]) || s;
	};

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
				if (v == null || v === false)
					continue;
				if (typeof v == 'function')
					elem.addEventListener(key, v);
				else if (typeof v == 'object')
					elem.setAttribute(key, JSON.stringify(v));
				else
					elem.setAttribute(key, v === true ? '' : v);
			}
			if (data != null)
				this.append(elem, data);
			return elem;
		},
		bindClassInstance: function(node, inst) { node.__instance = inst; },
		findClassInstance: function(node) {
			for (; node; node = node.parentNode)
				if (node.__instance)
					return node.__instance;
			return null;
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

	var typeOf = function(x) { return Object.prototype.toString.call(x); };
	var features = {};

	window.L = {
		env: env,
		bind: function(fn, self) { return Function.prototype.bind.apply(fn, [self].concat([].slice.call(arguments, 2))); },
		resolveDefault: function(v, d) { return Promise.resolve(v).catch(function() { return d; }); },
		toArray: function(x) { return x == null ? [] : Array.isArray(x) ? x : String(x).trim().split(/\s+/).filter(Boolean); },
		isObject: function(x) { return x != null && typeof x == 'object'; },
		url: function() { return '/cgi-bin/luci/' + [].slice.call(arguments).join('/'); },
		/* Errors carry their kind as name and the call site in the stack, as L.raise makes them. */
		raise: function(type, fmt) {
			var e = new Error(fmt.format.apply(fmt, [].slice.call(arguments, 2)));
			e.name = type;
			throw e;
		},
		hasSystemFeature: function(name) { return !!features[name]; },
		dom: dom
	};

	/* ---------- rpc ---------- */
	var UBUS_STATUS = ['Command OK', 'Invalid command', 'Invalid argument', 'Method not found', 'Resource not found',
		'No data received', 'Permission denied', 'Request timeout', 'Not supported', 'Unspecified error',
		'Connection lost'];
	var rpcId = 1;
	function post(url, body) {
		return fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(body) });
	}
	function call(req, params) {
		var msg = { jsonrpc: '2.0', id: rpcId++, method: 'call', params: [ env.sessionid, req.object, req.method, params || {} ] };
		return post(L.url('admin/ubus'), msg).then(function(r) {
			if (!r.ok)
				L.raise('RPCError', 'RPC call to %s/%s failed with HTTP error %d: %s', req.object, req.method, r.status, r.statusText || '?');
			return r.json();
		}).then(function(reply) {
			if (!L.isObject(reply) || reply.jsonrpc != '2.0')
				L.raise('RPCError', 'RPC call to %s/%s returned invalid message frame', req.object, req.method);
			if (L.isObject(reply.error) && reply.error.code && reply.error.message)
				L.raise('RPCError', 'RPC call to %s/%s failed with error %d: %s', req.object, req.method, reply.error.code, reply.error.message);
			var ret = null;
			if (Array.isArray(reply.result)) {
				if (req.reject && reply.result[0] !== 0)
					L.raise('RPCError', 'RPC call to %s/%s failed with ubus code %d: %s', req.object, req.method,
						reply.result[0], UBUS_STATUS[reply.result[0]] || 'Unknown error code');
				ret = reply.result.length > 1 ? reply.result[1] : reply.result[0];
			}
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
	}
	var rpc = {
		declare: function(req) {
			return function() {
				var args = arguments, params = {};
				(req.params || []).forEach(function(name, i) { params[name] = args[i]; });
				return call(req, params);
			};
		}
	};
	var callSessionAccess = rpc.declare({ object: 'session', method: 'access', params: [ 'scope', 'object', 'function' ], expect: { access: false } });
	var callFeatures = rpc.declare({ object: 'luci', method: 'getFeatures', expect: { '': {} } });

	/* ---------- uci ---------- */
	var callLoad = rpc.declare({ object: 'uci', method: 'get', params: [ 'config' ], expect: { values: {} }, reject: true });
	var callAdd = rpc.declare({ object: 'uci', method: 'add', params: [ 'config', 'type', 'name', 'values' ], expect: { section: '' } });
	var callSet = rpc.declare({ object: 'uci', method: 'set', params: [ 'config', 'section', 'values' ] });
	var callDelete = rpc.declare({ object: 'uci', method: 'delete', params: [ 'config', 'section', 'options' ] });
	var callChanges = rpc.declare({ object: 'uci', method: 'changes', expect: { changes: {} } });
	var uci = {
		values: {},
		changes: {},
		load: function(conf) {
			var confs = L.toArray(conf);
			return Promise.all(confs.filter(function(c) { return !uci.values[c]; }).map(function(c) {
				return callLoad(c).then(function(values) {
					uci.values[c] = values;
					uci.changes[c] = { add: {}, set: {}, del: {} };
				});
			})).then(function() { return confs; });
		},
		section: function(conf, sid) {
			var c = this.changes[conf];
			if (!c || c.del[sid] === true)
				return null;
			return c.add[sid] || this.values[conf][sid] || null;
		},
		sections: function(conf, type) {
			var self = this, c = this.changes[conf];
			if (!c)
				return [];
			var list = Object.values(this.values[conf] || {}).concat(Object.values(c.add));
			return list.filter(function(s) { return (!type || s['.type'] == type) && c.del[s['.name']] !== true; })
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
			if (val == null || val === '' || (Array.isArray(val) && !val.length)) {
				var s = this.section(conf, sid);
				if (s && s[opt] !== undefined)
					(c.set[sid] = c.set[sid] || {})[opt] = null;
				else if (c.set[sid])
					delete c.set[sid][opt];
				return;
			}
			(c.set[sid] = c.set[sid] || {})[opt] = val;
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
		/* Stage the changes on the server (rpcd's uci add/set/delete), then reload. */
		save: function() {
			var tasks = [];
			Object.keys(this.changes).forEach(function(conf) {
				var c = uci.changes[conf];
				Object.keys(c.add).forEach(function(sid) {
					var s = c.add[sid], values = {};
					Object.keys(c.set[sid] || {}).forEach(function(k) { if (c.set[sid][k] != null) values[k] = c.set[sid][k]; });
					tasks.push(function() { return callAdd(conf, s['.type'], s['.anonymous'] ? undefined : sid, values); });
				});
				Object.keys(c.set).forEach(function(sid) {
					if (c.add[sid])
						return;
					var values = {}, removed = [];
					Object.keys(c.set[sid]).forEach(function(k) {
						if (c.set[sid][k] == null) removed.push(k); else values[k] = c.set[sid][k];
					});
					if (Object.keys(values).length)
						tasks.push(function() { return callSet(conf, sid, values); });
					if (removed.length)
						tasks.push(function() { return callDelete(conf, sid, removed); });
				});
				Object.keys(c.del).forEach(function(sid) { tasks.push(function() { return callDelete(conf, sid); }); });
			});
			return tasks.reduce(function(p, t) { return p.then(t); }, Promise.resolve())
				.then(function() {
					var confs = Object.keys(uci.changes).filter(function(c) {
						var ch = uci.changes[c];
						return Object.keys(ch.add).length || Object.keys(ch.set).length || Object.keys(ch.del).length;
					});
					confs.forEach(function(c) { delete uci.values[c]; delete uci.changes[c]; });
					return uci.load(confs);
				})
				.then(function() { return ui.changes.init(); });
		}
	};

	/* ---------- validation ---------- */
	var DATATYPES = {
		uinteger: function(v) { return /^\d+$/.test(v) || _('positive integer value'); },
		string: function() { return true; },
		uciname: function(v) { return /^[A-Za-z0-9_]+$/.test(v) || _('valid UCI identifier'); }
	};
	function checkDatatype(dt, v) {
		var m = /^range\((-?\d+),(-?\d+)\)$/.exec(dt || '');
		if (m)
			return (/^-?\d+(\.\d+)?$/.test(v) && +v >= +m[1] && +v <= +m[2]) || _('value between %f and %f').format(m[1], m[2]);
		return DATATYPES[dt] ? DATATYPES[dt](v) : true;
	}

	/* ---------- ui ---------- */
	var modalDiv = null;
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
			if (typeof fn == 'string')
				fn = ctx[fn];
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
			var dlg = modalDiv.firstElementChild;
			dlg.setAttribute('class', 'modal');
			[].slice.call(arguments, 2).forEach(function(c) { dlg.classList.add(c); });
			dom.content(dlg, E('h4', {}, title));
			dom.append(dlg, children);
			document.body.classList.add('modal-overlay-active');
			modalDiv.scrollTop = 0;
			return dlg;
		},
		hideModal: function() {
			document.body.classList.remove('modal-overlay-active');
		},
		/* validation.js: the field gets cbi-input-invalid and the message as its tooltip. */
		addValidator: function(field, type, optional, vfunc) {
			var events = [].slice.call(arguments, 4);
			var validate = function() {
				var value = field.value != null ? field.value : '', valid;
				if (!document.body.contains(field))
					return true;
				if (value.length === 0)
					valid = optional ? true : _('Expecting: %s').format(_('non-empty value'));
				else {
					valid = checkDatatype(type, value);
					if (valid !== true)
						valid = _('Expecting: %s').format(valid);
				}
				if (valid === true && typeof vfunc == 'function')
					valid = vfunc(value);
				if (valid !== true) {
					field.classList.add('cbi-input-invalid');
					field.setAttribute('data-tooltip', valid);
					field.setAttribute('data-tooltip-style', 'error');
					return false;
				}
				field.classList.remove('cbi-input-invalid');
				field.removeAttribute('data-tooltip');
				field.removeAttribute('data-tooltip-style');
				return true;
			};
			(events.length ? events : [ 'blur', 'keyup' ]).forEach(function(e) { field.addEventListener(e, validate); });
			validate();
			return validate;
		},
		/* Pending changes and Save & Apply, the way ui.changes does it. */
		changes: {
			init: function() {
				return callChanges().then(function(changes) {
					var n = 0;
					Object.keys(changes).forEach(function(c) { n += changes[c].length; });
					var ind = document.getElementById('changes-indicator');
					ind.textContent = n ? _('Unsaved Changes') + ': ' + n : '';
					ind.setAttribute('data-changes', n);
				});
			},
			displayStatus: function(type, content) {
				if (type) {
					var message = ui.showModal('', '');
					message.classList.add('alert-message');
					type.split(/\s+/).forEach(function(t) { message.classList.add(t); });
					if (content)
						dom.content(message, content);
					poll.paused = true;
				}
				else {
					ui.hideModal();
					poll.paused = false;
				}
			},
			apply: function(checked) {
				ui.changes.displayStatus('notice spinning', E('p', _('Starting configuration apply…')));
				var q = '?sid=%s&token=%s'.format(encodeURIComponent(env.sessionid), encodeURIComponent(env.token));
				return fetch(L.url('admin/uci', checked ? 'apply_rollback' : 'apply_unchecked') + q, { method: 'POST', credentials: 'same-origin' })
					.then(function(r) {
						if (r.status === (checked ? 200 : 204))
							return r.text().then(function(t) {
								var tok = null;
								try { tok = JSON.parse(t); } catch (e) {}
								ui.changes.confirm(checked, Date.now() + env.apply_rollback * 1000, tok);
							});
						ui.changes.displayStatus('warning', E('p', r.status === 204 ? _('There are no changes to apply')
							: _('Apply request failed with status <code>%h</code>').format(r.status)));
						window.setTimeout(function() { ui.changes.displayStatus(false); }, env.apply_display * 1000);
					});
			},
			confirm: function(checked, deadline, tok) {
				var tick = function() {
					ui.changes.displayStatus('notice spinning', E('p', _('Waiting for configuration to get applied… %ds')
						.format(Math.max(Math.floor((deadline - Date.now()) / 1000), 0))));
				};
				var call = function() {
					if (Date.now() >= deadline) {
						ui.changes.displayStatus('warning', E('p', _('Device unreachable! Still waiting for device...')));
						return;
					}
					var q = tok && tok.token ? '?token=' + encodeURIComponent(tok.token) : '';
					fetch(L.url('admin/uci/confirm') + q, { method: 'POST', credentials: 'same-origin' }).then(function(r) {
						if (r.status !== 204)
							return window.setTimeout(call, 1000);
						ui.changes.displayStatus('notice', E('p', _('Configuration changes applied.')));
						window.setTimeout(function() {
							ui.changes.displayStatus(false);
							window.location = window.location.href.split('#')[0];
						}, env.apply_display * 1000);
					}, function() { window.setTimeout(call, 1000); });
				};
				tick();
				window.setTimeout(call, env.apply_holdoff * 1000);
			}
		}
	};

	/* ---------- poll ---------- */
	var poll = {
		paused: false,
		add: function(fn, interval) {
			var tick = function() {
				Promise.resolve(poll.paused ? null : fn()).catch(function() {}).finally(function() { setTimeout(tick, (interval || 5) * 1000); });
			};
			setTimeout(tick, (interval || 5) * 1000);
		}
	};

	/* ---------- form ---------- */
	function isEqual(a, b) {
		return JSON.stringify(a == null ? null : a) == JSON.stringify(b == null ? null : b);
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
		ucioptionName: function() { return this.ucioption || this.option; },
		load: function(sid) { return uci.get(this.map.config, sid, this.ucioptionName()); },
		cfgvalue: function(sid, set_value) {
			this.data = this.data || {};
			if (arguments.length > 1)
				this.data[sid] = set_value;
			return this.data[sid];
		},
		/* GridSection cells show the raw value, as LuCI's text preview does. */
		textvalue: function(sid) {
			var v = this.cfgvalue(sid);
			if (v == null)
				v = this.default;
			return Array.isArray(v) ? v.join(' ') : v;
		},
		widget: function(sid) { return document.getElementById('widget.' + this.cbid(sid)); },
		formvalue: function(sid) {
			var w = this.widget(sid);
			return w ? w.value : this.cfgvalue(sid);
		},
		isActive: function(sid) {
			var row = this.map.root && this.map.root.querySelector('[data-field="%s"]'.format(this.cbid(sid)));
			return !!row && this.map.isDependencySatisfied(this.deps, sid);
		},
		validate: function() { return true; },
		isValid: function(sid) { var w = this.widget(sid); return !w || !w.classList.contains('cbi-input-invalid'); },
		getValidationError: function(sid) { var w = this.widget(sid); return (w && w.getAttribute('data-tooltip')) || ''; },
		write: function(sid, v) { uci.set(this.map.config, sid, this.ucioptionName(), v); },
		/* Not while another active option of the section writes the same UCI option. */
		remove: function(sid) {
			var self = this, name = this.ucioptionName();
			var shared = this.section.children.some(function(o) {
				return o !== self && o.ucioptionName() == name && o.isActive(sid);
			});
			if (!shared)
				uci.unset(this.map.config, sid, name);
		},
		parse: function(sid) {
			var active = this.isActive(sid);
			if (active && this.validator && !this.validator())
				return Promise.reject(new TypeError(_('Option "%s" contains an invalid input value.').format(this.title || this.option) + ' ' + this.getValidationError(sid)));
			if (active) {
				var cval = this.cfgvalue(sid), fval = this.formvalue(sid);
				if (fval == null || fval === '' || (Array.isArray(fval) && !fval.length)) {
					if (this.rmempty || this.optional)
						return Promise.resolve(this.remove(sid));
					return Promise.reject(new TypeError(_('Option "%s" must not be empty.').format(this.title || this.option)));
				}
				if (!isEqual(cval, fval))
					this.write(sid, fval);
				return Promise.resolve();
			}
			if (!this.retain)
				this.remove(sid);
			return Promise.resolve();
		},
		render: function(sid) {
			var cfg = this.cfgvalue(sid);
			var widget = this.renderWidget(sid, cfg != null ? cfg : this.default);
			var input = widget.matches('input,select') ? widget : widget.querySelector('.add-item input');
			if (this.map.readonly)
				[].forEach.call(widget.querySelectorAll('input,select,button').length ? widget.querySelectorAll('input,select,button') : [ widget ],
					function(w) { w.disabled = true; });
			else if (input && !(this instanceof Flag)) {
				var self = this;
				/* A list's pending entry may be empty; the list's own emptiness is checked on parse. */
				var optional = this.rmempty !== false || this.optional || this instanceof DynamicList;
				this.validator = ui.addValidator(input, this.datatype, optional,
					function(v) { return self.validate(sid, v); }, 'blur', 'keyup', 'change');
			}
			return E('div', { 'class': 'cbi-value', 'id': 'cbi-%s-%s-%s'.format(this.map.config, sid, this.option),
				'data-field': this.cbid(sid), 'data-name': this.option, 'data-widget': this.__name__ || '' }, [
				E('label', { 'class': 'cbi-value-title', 'for': 'widget.' + this.cbid(sid) }, [ this.title ]),
				E('div', { 'class': 'cbi-value-field' }, [ widget, this.renderChoices ? this.renderChoices(sid) : '',
					(this.description && !this.section.nodescriptions_modal) ? E('div', { 'class': 'cbi-value-description' }, [ this.description ]) : '' ])
			]);
		}
	});

	var Value = AbstractValue.extend({
		__name__: 'CBI.Value',
		renderWidget: function(sid, value) {
			return E('input', { 'id': 'widget.' + this.cbid(sid), 'type': this.password ? 'password' : 'text', 'class': 'cbi-input-text',
				'placeholder': this.placeholder || null, 'value': value != null ? String(value) : '',
				'list': this.keylist.length ? 'choices.' + this.cbid(sid) : null });
		},
		renderChoices: function(sid) {
			var self = this;
			return this.keylist.length ? E('datalist', { 'id': 'choices.' + this.cbid(sid) }, this.keylist.map(function(k, i) {
				return E('option', { 'value': k, 'label': String(self.vallist[i]) });
			})) : '';
		}
	});

	var Flag = AbstractValue.extend({
		__name__: 'CBI.Flag',
		__init__: function() { this.super('__init__', arguments); this.enabled = '1'; this.disabled = '0'; this.default = this.disabled; },
		renderWidget: function(sid, value) {
			var attrs = { 'id': 'widget.' + this.cbid(sid), 'type': 'checkbox', 'class': 'cbi-input-checkbox' };
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
		/* An unset flag left at its default stays unset; anything else is written when changed. */
		parse: function(sid) {
			if (!this.isActive(sid))
				return Promise.resolve(this.retain ? null : this.remove(sid));
			var fval = this.formvalue(sid), cval = this.cfgvalue(sid);
			if (cval == null && fval == String(this.default))
				return Promise.resolve();
			if (!isEqual(cval, fval))
				this.write(sid, fval);
			return Promise.resolve();
		}
	});

	var ListValue = AbstractValue.extend({
		__name__: 'CBI.ListValue',
		renderWidget: function(sid, value) {
			var self = this;
			return E('select', { 'id': 'widget.' + this.cbid(sid), 'class': 'cbi-input-select' }, this.keylist.map(function(k, i) {
				var o = E('option', { 'value': k }, [ String(self.vallist[i]) ]);
				if (String(value) == k)
					o.selected = true;
				return o;
			}));
		}
	});

	var DynamicList = AbstractValue.extend({
		__name__: 'CBI.DynamicList',
		renderWidget: function(sid, value) {
			var box = E('div', { 'id': 'widget.' + this.cbid(sid), 'class': 'cbi-dynlist' });
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
					if (input.value && !input.classList.contains('cbi-input-invalid')) { add(input.value); input.value = ''; }
				} }, [ '+' ])
			]));
			L.toArray(value).forEach(add);
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
		/* The pending entry is checked as typed; listed items were checked when added. */
		parse: function(sid) {
			if (this.isActive(sid)) {
				var self = this, bad = null;
				this.formvalue(sid).forEach(function(v) { var r = self.validate(sid, v); if (r !== true && bad == null) bad = r; });
				if (bad != null)
					return Promise.reject(new TypeError(_('Option "%s" contains an invalid input value.').format(this.title) + ' ' + bad));
			}
			return AbstractValue.prototype.parse.call(this, sid);
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
		load: function() {
			var self = this;
			return Promise.all(this.cfgsections().map(function(sid) {
				return Promise.all(self.children.map(function(o) { return o.load(sid); })).then(function(vals) {
					vals.forEach(function(v, i) { self.children[i].cfgvalue(sid, v); });
				});
			}));
		},
		parse: function() {
			var self = this, tasks = [];
			this.cfgsections().forEach(function(sid) {
				self.children.forEach(function(o) { tasks.push(o.parse(sid)); });
			});
			return Promise.all(tasks);
		},
		checkDepends: function() {
			var self = this;
			this.cfgsections().forEach(function(sid) {
				self.children.forEach(function(o) {
					var row = self.map.root.querySelector('[data-field="%s"]'.format(o.cbid(sid)));
					if (row)
						row.classList.toggle('hidden', !self.map.isDependencySatisfied(o.deps, sid));
				});
			});
		}
	});

	var NamedSection = Section.extend({
		__init__: function(map, sid, sectiontype, title, description) {
			this.super('__init__', [map, sectiontype, title, description]);
			this.sid = sid;
		},
		cfgsections: function() { return uci.get(this.map.config, this.sid) ? [ this.sid ] : []; },
		render: function() {
			var self = this, sid = this.sid;
			if (!uci.get(this.map.config, sid))
				return E('div');
			return E('div', { 'class': 'cbi-section', 'id': 'cbi-%s-%s'.format(this.map.config, sid) }, [
				this.title ? E('h3', [ this.title ]) : '',
				E('div', { 'class': 'cbi-section-node' }, this.children.map(function(o) { return o.render(sid); }))
			]);
		}
	});

	var GridSection = Section.extend({
		__init__: function(map, sectiontype, title, description) {
			this.super('__init__', [map, sectiontype, title, description]);
			this.addremove = false;
			this.anonymous = false;
		},
		cfgsections: function() { return uci.sections(this.map.config, this.sectiontype).map(function(s) { return s['.name']; }); },
		/* Only the editable cells of the table are parsed; the modal has its own map. */
		parse: function() {
			var self = this, tasks = [];
			this.cfgsections().forEach(function(sid) {
				self.children.forEach(function(o) { if (o.editable && !o.modalonly) tasks.push(o.parse(sid)); });
			});
			return Promise.all(tasks);
		},
		render: function() {
			var self = this, cols = this.children.filter(function(o) { return !o.modalonly; });
			var ro = this.map.readonly || null;
			var table = E('table', { 'class': 'table cbi-section-table', 'id': 'cbi-%s-%s'.format(this.map.config, this.sectiontype) }, [
				E('tr', { 'class': 'tr table-titles' }, [ E('th', { 'class': 'th' }, [ _('Name') ]) ]
					.concat(cols.map(function(o) { return E('th', { 'class': 'th' }, [ o.title ]); }))
					.concat([ E('th', { 'class': 'th cbi-section-actions' }) ]))
			].concat(this.cfgsections().map(function(sid) {
				return E('tr', { 'class': 'tr cbi-section-table-row', 'data-sid': sid }, [ E('td', { 'class': 'td', 'data-title': _('Name') }, [ sid ]) ]
					.concat(cols.map(function(o) {
						if (o.editable)
							return E('td', { 'class': 'td cbi-value-field', 'data-title': o.title, 'data-name': o.option }, [
								E('div', { 'data-field': o.cbid(sid), 'data-name': o.option }, [ o.renderWidget(sid, o.cfgvalue(sid) != null ? o.cfgvalue(sid) : o.default) ]) ]);
						var v = o.textvalue(sid);
						return E('td', { 'class': 'td cbi-value-field', 'data-title': o.title, 'data-name': o.option, 'data-widget': 'CBI.DummyValue' },
							v != null ? [ String(v) ] : E('em', _('none')));
					}))
					.concat([ E('td', { 'class': 'td cbi-section-actions' }, [
						E('button', { 'class': 'cbi-button cbi-button-edit', 'title': _('Edit'), 'click': ui.createHandlerFn(self, 'renderMoreOptionsModal', sid) }, [ _('Edit') ]),
						self.addremove ? E('button', { 'class': 'cbi-button cbi-button-remove', 'disabled': ro,
							'click': ui.createHandlerFn(self, function() { uci.remove(self.map.config, sid); return self.map.save(null, true); }) }, [ _('Delete') ]) : ''
					]) ]));
			})));
			return E('div', { 'class': 'cbi-section cbi-tblsection' }, [ E('h3', [ this.title ]), table, this.renderSectionAdd() ]);
		},
		renderSectionAdd: function() {
			if (!this.addremove)
				return E([]);
			var self = this, ro = this.map.readonly || null;
			var nameEl = E('input', { 'type': 'text', 'class': 'cbi-section-create-name', 'disabled': ro });
			var button = E('button', { 'class': 'cbi-button cbi-button-add', 'title': this.addbtntitle || _('Add'), 'disabled': true,
				'click': ui.createHandlerFn(this, function() {
					if (nameEl.classList.contains('cbi-input-invalid'))
						return;
					return self.handleAdd(nameEl.value);
				}) }, [ this.addbtntitle || _('Add') ]);
			var createEl = E('div', { 'class': 'cbi-section-create' }, [ E('div', {}, nameEl), button ]);
			if (!ro)
				ui.addValidator(nameEl, 'uciname', true, function(v) {
					if (v !== '' && uci.get(self.map.config, v))
						return _('Expecting: %s').format(_('unique value'));
					button.disabled = (v === '');
					return v !== '' ? true : _('Expecting: %s').format(_('non-empty value'));
				}, 'blur', 'keyup');
			return createEl;
		},
		handleAdd: function(name) {
			this.addedSection = uci.add(this.map.config, this.sectiontype, name);
			return this.renderMoreOptionsModal(this.addedSection);
		},
		renderMoreOptionsModal: function(sid) {
			var self = this, parent = this.map;
			var m = new Map(parent.config);
			var s = m.section(NamedSection, sid, this.sectiontype);
			m.parent = parent;
			m.readonly = parent.readonly;
			this.children.forEach(function(o1) {
				if (o1.modalonly === false)
					return;
				var o2 = s.option(o1.constructor, o1.option, o1.title, o1.description);
				Object.keys(o1).forEach(function(k) {
					if ([ 'map', 'section', 'option', 'title', 'description', 'data', 'validator' ].indexOf(k) < 0)
						o2[k] = o1[k];
				});
			});
			return m.render().then(function(nodes) {
				ui.showModal(self.modaltitle ? self.modaltitle(sid) : sid, [
					nodes,
					E('div', { 'class': 'right' }, [
						E('button', { 'class': 'cbi-button', 'click': ui.createHandlerFn(self, 'handleModalCancel', m) }, [ _('Dismiss') ]), ' ',
						E('button', { 'class': 'cbi-button cbi-button-positive important', 'disabled': m.readonly || null,
							'click': ui.createHandlerFn(self, 'handleModalSave', m) }, [ _('Save') ])
					])
				], 'cbi-modal');
			});
		},
		handleModalCancel: function(m, isSaving) {
			if (this.addedSection != null && isSaving !== true)
				uci.remove(this.map.config, this.addedSection);
			delete this.addedSection;
			ui.hideModal();
			return this.map.renderContents();
		},
		/* Errors keep the modal open: the invalid field shows its message as tooltip. */
		handleModalSave: function(m) {
			var self = this;
			return m.save(null, true).then(function() { return self.map.load(); })
				.then(function() { return self.handleModalCancel(m, true); })
				.catch(function() {});
		}
	});

	var Map = extend(Root, {
		__init__: function(config, title, description) {
			this.config = config;
			this.title = title || '';
			this.description = description || '';
			this.sections = [];
			this.readonly = null;
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
		isDependencySatisfied: function(deps, sid) {
			if (!deps.length)
				return true;
			var self = this;
			return deps.some(function(d) {
				return Object.keys(d).every(function(k) {
					var o = self.lookupOption(k, sid);
					var v = (o && o[0].isActive(sid)) ? o[0].formvalue(sid) : null;
					return String(v == null ? '' : v) == String(d[k]);
				});
			});
		},
		checkDepends: function() {
			for (var n = 0; n < 3; n++)
				this.sections.forEach(function(s) { s.checkDepends(); });
		},
		/* The readonly check and the data, then every option's value, as form.js loads. */
		load: function() {
			var self = this;
			return Promise.all([
				this.readonly == null ? callSessionAccess('uci', this.config, 'write') : true,
				uci.load(this.config)
			]).then(function(res) {
				if (res[0] === false)
					self.readonly = true;
				return Promise.all(self.sections.map(function(s) { return s.load(); }));
			});
		},
		parse: function() {
			return Promise.all(this.sections.map(function(s) { return s.parse(); }));
		},
		renderContents: function() {
			var self = this;
			this.root = this.root || E('div', { 'class': 'cbi-map', 'id': 'cbi-' + this.config });
			dom.bindClassInstance(this.root, this);
			dom.content(this.root, [ this.title ? E('h2', [ this.title ]) : '', this.description ? E('div', { 'class': 'cbi-map-descr' }, [ this.description ]) : '' ]
				.concat(this.sections.map(function(s) { return s.render(); })));
			['change', 'input', 'keyup'].forEach(function(ev) { self.root.addEventListener(ev, function() { self.checkDepends(); }); });
			this.checkDepends();
			return Promise.resolve(this.root);
		},
		render: function() {
			return this.load().then(L.bind(this.renderContents, this));
		},
		save: function(cb, silent) {
			var self = this;
			this.checkDepends();
			return this.parse().then(cb).then(function() { return uci.save(); }).then(function() { return self.load(); })
				.catch(function(e) {
					if (!silent)
						ui.showModal(_('Save error'), [
							E('p', {}, [ _('An error occurred while saving the form:') ]),
							E('p', {}, [ E('em', { 'style': 'white-space:pre-wrap' }, [ e.message ]) ]),
							E('div', { 'class': 'right' }, [ E('button', { 'class': 'cbi-button', 'click': ui.hideModal }, [ _('Dismiss') ]) ])
						]);
					return Promise.reject(e);
				}).then(function() { return self.renderContents(); });
		}
	});

	var form = { Map: Map, NamedSection: NamedSection, GridSection: GridSection, Value: Value, Flag: Flag,
		ListValue: ListValue, DynamicList: DynamicList };

	/* ---------- network.js and tools.widgets ---------- */
	var callDump = rpc.declare({ object: 'network.interface', method: 'dump', expect: { 'interface': [] } });
	var callDevices = rpc.declare({ object: 'luci-rpc', method: 'getNetworkDevices', expect: { '': {} } });
	function Network(name) { this.name = name; }
	Network.prototype.getName = function() { return this.name; };
	var networksLoaded = null;
	var network = {
		/* The interface sections of the network config and netifd's interfaces, as network.js
		 * enumerates them; each read tolerates a denial. */
		getNetworks: function() {
			return networksLoaded = networksLoaded || Promise.all([ L.resolveDefault(callDump(), []), L.resolveDefault(callDevices(), {}),
				L.resolveDefault(uci.load('network'), null) ]).then(function(res) {
				var names = uci.sections('network', 'interface').map(function(s) { return s['.name']; });
				res[0].forEach(function(i) { if (names.indexOf(i['interface']) < 0) names.push(i['interface']); });
				return names.filter(function(n) { return n != 'loopback'; }).sort().map(function(n) { return new Network(n); });
			});
		}
	};
	var widgets = {
		NetworkSelect: ListValue.extend({
			__name__: 'CBI.NetworkSelect',
			load: function(sid) {
				var self = this;
				return network.getNetworks().then(function(networks) {
					self.networks = networks;
					return ListValue.prototype.load.call(self, sid);
				});
			},
			renderWidget: function(sid, value) {
				var names = this.networks.map(function(n) { return n.getName(); });
				var listed = names.indexOf(String(value)) >= 0;
				return E('select', { 'id': 'widget.' + this.cbid(sid), 'class': 'cbi-input-select' },
					[ E('option', { 'value': '', 'selected': listed ? null : true }, [ _('unspecified') ]) ].concat(names.map(function(n) {
						return E('option', { 'value': n, 'selected': n == value ? true : null }, [ n ]);
					})));
			}
		})
	};

	/* ---------- view ---------- */
	var View = extend(Root, {
		load: function() { return Promise.resolve(); },
		handleSave: function() {
			return Promise.all([].map.call(document.querySelectorAll('#maincontent .cbi-map'), function(n) {
				return dom.findClassInstance(n).save();
			}));
		},
		handleSaveApply: function(ev) {
			return this.handleSave(ev).then(function() { return ui.changes.apply(true); }).catch(function() {});
		},
		handleReset: function() {
			return Promise.all([].map.call(document.querySelectorAll('#maincontent .cbi-map'), function(n) {
				var m = dom.findClassInstance(n);
				return m.load().then(function() { return m.renderContents(); });
			}));
		},
		addFooter: function() {
			var readonly = ![].some.call(document.querySelectorAll('#maincontent .cbi-map'), function(n) { return !dom.findClassInstance(n).readonly; });
			return E('div', { 'class': 'cbi-page-actions' }, [
				E('button', { 'class': 'cbi-button cbi-button-apply', 'id': 'save-apply', 'disabled': readonly || null,
					'click': ui.createHandlerFn(this, 'handleSaveApply') }, [ _('Save & Apply') ]), ' ',
				E('button', { 'class': 'cbi-button cbi-button-save', 'disabled': readonly || null,
					'click': ui.createHandlerFn(this, 'handleSave') }, [ _('Save') ]), ' ',
				E('button', { 'class': 'cbi-button cbi-button-reset', 'disabled': readonly || null,
					'click': ui.createHandlerFn(this, 'handleReset') }, [ _('Reset') ])
			]);
		}
	});
	var view = { extend: function(p) { return View.extend(p); } };

	var modules = { view: view, dom: dom, form: form, uci: uci, rpc: rpc, poll: poll, ui: ui, network: network, 'tools.widgets': widgets };

	/* Load a view file as LuCI does: its 'require' lines name the modules passed to it. The
	 * system features are probed first, as luci.js does on boot. */
	L.loadView = function(url) {
		modalDiv = document.getElementById('modal_overlay');
		return L.resolveDefault(callFeatures(), {}).then(function(f) {
			features = f;
			return fetch(url);
		}).then(function(r) { return r.text(); }).then(function(src) {
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
				dom.bindClassInstance(main, v);
				main.appendChild(v.addFooter());
				return ui.changes.init();
			}).then(function() {
				document.body.setAttribute('data-view-ready', '1');
				return v;
			});
		});
	};
})();
