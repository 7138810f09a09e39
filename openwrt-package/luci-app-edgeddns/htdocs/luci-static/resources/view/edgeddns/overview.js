'use strict';
'require view';
'require dom';
'require form';
'require uci';
'require rpc';
'require poll';
'require ui';
'require tools.widgets as widgets';

/*
 * edgeddns: the page title, then the status of the WAN (with the NAT verdict) and of every
 * service, then the configuration. Everything the page knows about providers comes from the
 * daemon (`edgeddns providers`), so the form never goes out of step with the installed binary.
 * Every status text is rendered here through _() from the machine codes of the status document
 * (schema 2); a daemon without them still shows its English texts.
 */

var callStatus = rpc.declare({ object: 'edgeddns', method: 'status', expect: { '': {} } });
var callProviders = rpc.declare({ object: 'edgeddns', method: 'providers', expect: { providers: [] } });
var callUpdate = rpc.declare({ object: 'edgeddns', method: 'update', params: [ 'service' ], expect: { '': {} }, reject: true });
/* What LuCI's own pages offer as host hints: MAC → name and addresses, from the DHCP leases and
 * the neighbours the router knows. */
var callHostHints = rpc.declare({ object: 'luci-rpc', method: 'getHostHints', expect: { '': {} } });
var callNotifyTest = rpc.declare({ object: 'edgeddns', method: 'notify_test', params: [ 'name' ], expect: { '': {} }, reject: true });
var callAccess = rpc.declare({ object: 'session', method: 'access', params: [ 'scope', 'object', 'function' ], expect: { access: false } });

/* How a provider's fields are titled: the catalogue gives names, the page gives words. */
var FIELD_TITLES = {
	'username': _('Username'), 'password': _('Password'), 'token': _('Token'), 'server': _('Server URL'),
	'zone': _('Zone'), 'zone_id': _('Zone ID'), 'proxied': _('Proxied by Cloudflare'), 'update_url': _('Update URL'),
	'expect': _('Success answer'), 'unchanged': _('Unchanged answer'), 'key_file': _('Key file'),
	'key_name': _('Key name'), 'key_algorithm': _('Key algorithm'), 'login_server': _('Login server'),
	'managed_zone': _('Managed zone'), 'project': _('Project'), 'resource_group': _('Resource group'),
	'server_id': _('Server ID'), 'subscription': _('Subscription'), 'tenant': _('Tenant')
};

/* The daemon's rules (src/config/mod.rs), so the page refuses what the daemon would refuse. */
var DURATION = /^(\d+)(ms|s|m|h|d)?$/;
var UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

function durationSeconds(value) {
	var m = DURATION.exec(String(value).trim());
	return m ? +m[1] * UNIT_SECONDS[m[2] || 's'] : null;
}

function validateDuration(minSeconds, section_id, value) {
	if (value == null || value === '')
		return true;
	var s = durationSeconds(value);
	if (s == null)
		return _('Expecting a duration such as 90, 30s, 10m, 2h or 25d');
	if (s < minSeconds)
		return _('Must be at least %d seconds').format(minSeconds);
	return true;
}

function validateHostname(section_id, value) {
	if (value == null || value === '')
		return true;
	var name = value.replace(/\.$/, '').replace(/^\*\./, '');
	if (name === '' || value.length > 253)
		return _('A hostname has 1 to 253 characters');
	var labels = name.split('.');
	for (var i = 0; i < labels.length; i++) {
		var l = labels[i];
		if (l.length < 1 || l.length > 63)
			return _('Each part of a hostname has 1 to 63 characters');
		if (!/^[A-Za-z0-9_-]+$/.test(l))
			return _('Only letters, digits, "-" and "_" are allowed in a hostname');
		if (l.charAt(0) == '-' || l.charAt(l.length - 1) == '-')
			return _('A hostname part cannot start or end with "-"');
	}
	return true;
}

/* LuCI's dom.append puts a bare string child in as HTML; text from the daemon (provider answers,
 * hostnames) always goes in as an array, which dom.append turns into a text node. */
function txt(s) {
	return [ (s == null) ? '' : String(s) ];
}

/* A duration option with the daemon's minimum. */
function durationOption(section, name, title, description, placeholder, minSeconds) {
	var o = section.option(form.Value, name, title, description);
	o.placeholder = placeholder;
	o.validate = L.bind(validateDuration, o, minSeconds);
	return o;
}

/* A network the page could not list (no read access to the network configuration, or an
 * interface since removed) shows as "unspecified"; saving must not turn that into a deletion. */
function keepUnlisted(o) {
	var formvalue = o.formvalue;
	o.formvalue = function(section_id) {
		var v = formvalue.apply(this, arguments), configured = this.cfgvalue(section_id);
		var listed = (this.networks || []).some(function(n) { return n.getName() == configured; });
		return ((v == null || v === '') && configured != null && configured !== '' && !listed) ? configured : v;
	};
	return o;
}

function ago(t, now) {
	if (!t)
		return _('never');
	var d = Math.max(0, now - t);
	if (d < 60) return _('%d s ago').format(d);
	if (d < 3600) return _('%d min ago').format(Math.floor(d / 60));
	if (d < 86400) return _('%d h ago').format(Math.floor(d / 3600));
	return _('%d days ago').format(Math.floor(d / 86400));
}

function until(t, now) {
	var d = Math.max(0, t - now);
	if (d < 60) return _('in %d s').format(d);
	if (d < 3600) return _('in %d min').format(Math.ceil(d / 60));
	if (d < 86400) return _('in %d h').format(Math.ceil(d / 3600));
	return _('in %d days').format(Math.ceil(d / 86400));
}

var VERDICT_WORDS = {
	'public': _('Public: reachable'),
	'cgnat': _('Behind CGNAT: not reachable'),
	'private-nat': _('Double NAT: not reachable'),
	'mismatch': _('Address mismatch'),
	'no-address': _('No address'),
	'echo-unreachable': _('Not checked')
};

var VERDICT_EXPLANATIONS = {
	'public': _('The internet sees the router\'s own address: connections from outside reach it.'),
	'cgnat': _('The router has a shared carrier address (100.64.0.0/10); the internet sees another one.'),
	'private-nat': _('The router has a private address; another router in front of it translates.'),
	'mismatch': _('The internet sees a different public address than the router has.'),
	'no-address': _('The interface has no address of this family.'),
	'echo-unreachable': _('No echo service answered, so reachability is unknown.')
};

var NOTE_WORDS = {
	'netifd-restarting': _('last known address: netifd is restarting'),
	'ubus-lost': _('read from the kernel: the connection to ubus is lost')
};

var OUTCOME_WORDS = {
	'updated': _('updated'),
	'unchanged': _('already up to date'),
	'retry': _('failed, will retry'),
	'stopped': _('stopped'),
	'dry-run': _('dry run: nothing sent'),
	'withdrawn': _('deleted: the device is gone')
};

var KIND_WORDS = {
	'auth': _('the provider refused the credentials'),
	'no-such-record': _('the provider has no such record'),
	'rate-limited': _('the provider asks to slow down'),
	'provider-error': _('the provider reported an error'),
	'network': _('the provider could not be reached'),
	'tls': _('the secure connection failed'),
	'timeout': _('the provider did not answer in time'),
	'malformed-answer': _('the provider\'s answer was not understood'),
	'config': _('the configuration is not accepted'),
	'clock': _('the router\'s clock is not set yet')
};

var WAITING_WORDS = {
	'wan': _('waiting for %s to come up'),
	'echo': _('waiting for the echo services'),
	'ipv6-match': _('waiting for an IPv6 address on %s'),
	'nat-policy': _('not sent: %s is behind NAT (see "Behind CGNAT or double NAT")'),
	'lan': _('waiting for a delegated IPv6 prefix on the LAN'),
	'device': _('the device is not on the LAN: its record is left alone'),
	'clock': _('waiting for the clock to be set (NTP)')
};

function kindWords(kind) {
	return kind ? (KIND_WORDS[kind] || kind) : null;
}

/* The result column from `outcome`; the daemon's English text when it has no codes. */
function resultText(r) {
	if (r.outcome === undefined)
		return r.result || '—';
	if (r.outcome == null)
		return '—';
	var words = OUTCOME_WORDS[r.outcome.code] || r.outcome.code, why = kindWords(r.outcome.kind);
	return why ? _('%s: %s').format(words, why) : words;
}

var DNS_WORDS = {
	'published': _('published'),
	'propagating': _('propagating'),
	'drift': _('changed by someone else'),
	'not-published': _('not published'),
	'unverifiable': _('cannot be checked')
};

/* The DNS column from `dns`: the verdict, and what the first authoritative server that answered
 * holds (the daemon's reason, in English, as the tooltip). */
function dnsCell(d) {
	if (!d)
		return txt('—');
	var a = (d.answers || []).filter(function(a) { return a.addresses; })[0], said;
	if (a)
		said = a.addresses.length ? _('DNS answers %s at %s, TTL %d').format(a.addresses.join(' '), a.server, a.ttl)
			: _('%s has no such record').format(a.server);
	return E('span', { 'title': d.reason || '' }, [ E('strong', {}, txt(DNS_WORDS[d.verdict] || d.verdict)), said ? ' — ' + said : '' ]);
}

/* The "Next" column from `next`; the daemon's English text when it has no codes. */
function nextText(r, now) {
	var n = r.next;
	if (n === undefined) {
		var next = r.next_action || '';
		return r.next_at ? next.replace(/ at$/, '') + ' ' + until(r.next_at, now) : next;
	}
	if (n == null)
		return '';
	switch (n.code) {
	case 'retry':
		return (n.by == 'provider' ? _('retry %s, as the provider asked') : _('retry %s')).format(until(n.at, now));
	case 'stopped':
		return _('stopped (%s): fix the configuration, then save or press Update now')
			.format(kindWords(n.reason && n.reason.kind) || _('unknown reason'));
	case 'waiting':
		return (WAITING_WORDS[n['for']] || _('waiting for %s')).format(n['interface'] || n['for']);
	case 'in-flight':
		return _('sending now');
	case 'queued':
		return _('queued');
	case 'refresh':
		return _('update when the address changes; refresh %s').format(until(n.at, now));
	case 'next-check':
		return _('update at the next check');
	}
	return n.code;
}

/* Which WAN a record is published from, when it is not the service's first choice. */
function viaText(r) {
	return (r.wan && r.wan.fallback) ? _('published via %s: %s').format(r.wan['interface'], r.wan.fallback) : null;
}

/* What a router owner can do about it, in plain words. */
function natAdvice(w) {
	if (w.verdict == 'cgnat')
		return E('div', { 'class': 'alert-message warning', 'id': 'edgeddns-nat-warning' }, [
			E('h4', _('Your internet line is behind carrier-grade NAT (CGNAT)')),
			E('p', txt(_('Your provider shares one public IPv4 address among many customers. The router has %s, the internet sees %s. Nobody on the internet can connect to this router over IPv4, and a DNS name cannot change that.').format(w.address, w.echo))),
			E('p', _('What you can do: ask your provider for a public IPv4 address (often free or cheap); use IPv6 if your line has it (tick IPv6 on the service); or use a tunnel or VPN service that gives you a reachable address.'))
		]);
	if (w.verdict == 'private-nat')
		return E('div', { 'class': 'alert-message warning', 'id': 'edgeddns-nat-warning' }, [
			E('h4', _('Another router sits in front of this one (double NAT)')),
			E('p', txt(_('This router has the private address %s; the internet sees %s. Connections from the internet stop at the other router.').format(w.address, w.echo))),
			E('p', _('What you can do: forward the ports on the other router to this one, or switch the other router (often the provider\'s modem) to bridge mode.'))
		]);
	return null;
}

/* A table as LuCI draws its own: every cell carries its column title in data-title, which the
 * theme shows in front of the value when the table collapses on a narrow screen. */
function table(id, titles, rows, empty) {
	var head = E('tr', { 'class': 'tr table-titles' }, titles.map(function(t) { return E('th', { 'class': 'th' }, t); }));
	var body = rows.length ? rows.map(function(cells) {
		return E('tr', cells.attrs, cells.values.map(function(v, i) {
			var c = (v && v.cell) ? v : { cell: v };
			return E('td', Object.assign({ 'class': 'td', 'data-title': titles[i] || null }, c.attrs || {}), c.cell);
		}));
	}) : [ E('tr', { 'class': 'tr placeholder' }, E('td', { 'class': 'td', 'colspan': titles.length }, E('em', empty))) ];
	return E('table', { 'class': 'table', 'id': id }, [ head ].concat(body));
}

/* A sentence for a failed call, instead of rpc.js's message and stack. */
function callError(err, name) {
	var m = /failed with (?:error|ubus code) (-?\d+)/.exec(String(err && err.message));
	switch (m ? +m[1] : null) {
	case -32002:
	case 6:
		return _('Your login may not do this: ask the router\'s administrator for write access to Dynamic DNS.');
	case -32000:
	case 10:
		return _('The edgeddns service is not running: start it under System → Startup.');
	case 4:
		return _('There is no enabled service named "%s": save and apply the configuration first.').format(name);
	case -32003:
	case 7:
		return _('edgeddns did not answer in time: try again in a moment.');
	}
	return _('The router could not do this (%s).').format(m ? m[1] : _('no answer'));
}

function renderStatus(st, canUpdate) {
	var now = st.generated_at || Math.floor(Date.now() / 1000);
	var wan = st.wan || [];
	var wanRows = wan.map(function(w) {
		var note = w.note && (NOTE_WORDS[w.note.code] || w.note.code);
		return { attrs: { 'class': 'tr', 'data-family': w.family }, values: [
			txt(w.family == 'ipv6' ? 'IPv6' : 'IPv4'),
			txt(w['interface']),
			[ E('span', txt(w.address || '—')), note ? E('div', { 'class': 'cbi-value-description', 'data-note': w.note.code }, txt(note)) : '' ],
			txt(w.echo || '—'),
			{ attrs: { 'data-verdict': w.verdict }, cell: [
				E('strong', txt(VERDICT_WORDS[w.verdict] || w.verdict)),
				E('div', { 'class': 'cbi-value-description' }, txt(VERDICT_EXPLANATIONS[w.verdict] || w.explanation))
			] }
		] };
	});
	var warnings = wan.map(natAdvice).filter(function(x) { return x != null; });

	var svcRows = [];
	(st.services || []).forEach(function(svc) {
		var button = E('button', {
			'class': 'cbi-button cbi-button-action',
			'data-service': svc.name,
			'disabled': (!canUpdate || !svc.enabled || svc.error) ? true : null,
			'title': canUpdate ? null : _('Your login may only look at this page.'),
			'click': ui.createHandlerFn(this, 'handleUpdateNow', svc.name)
		}, _('Update now'));
		var first = true;
		var row = function(attrs, values) {
			svcRows.push({ attrs: Object.assign({ 'class': 'tr', 'data-service': svc.name }, attrs), values: values });
		};
		if (svc.error) {
			row({}, [ txt(svc.name), '', txt(svc.provider_title || svc.provider), '', '', { attrs: { 'data-field': 'result' },
				cell: E('span', { 'style': 'color:#c00' }, txt(_('Configuration error: %s').format(svc.error))) }, '', '', '', button ]);
			return;
		}
		if (!svc.enabled) {
			row({}, [ txt(svc.name), '', '', '', '', { attrs: { 'data-field': 'result' }, cell: E('em', _('disabled')) }, '', '', '', '' ]);
			return;
		}
		(svc.records || []).forEach(function(r) {
			var stopped = r.outcome ? r.outcome.code == 'stopped' : r.stopped;
			row({ 'data-record': r.hostname + '/' + r.family }, [
				txt(first ? svc.name : ''),
				txt('%s (%s)'.format(r.hostname, r.type)),
				txt(first ? (svc.provider_title || svc.provider) : ''),
				{ attrs: { 'data-field': 'registered' }, cell: txt(r.registered || '—') },
				txt(ago(r.last_update, now)),
				{ attrs: { 'data-field': 'result' }, cell: stopped ? E('strong', { 'style': 'color:#c00' }, txt(resultText(r))) : txt(resultText(r)) },
				{ attrs: { 'data-field': 'dns' }, cell: dnsCell(r.dns) },
				{ attrs: { 'data-field': 'next' }, cell: viaText(r)
					? E('span', {}, [ nextText(r, now), E('br'), E('small', { 'data-field': 'via' }, txt(viaText(r))) ])
					: txt(nextText(r, now)) },
				{ attrs: { 'data-field': 'error' }, cell: txt(r.error) },
				first ? button : ''
			]);
			first = false;
		});
	}, this);

	return E([], [
		E('h3', _('Internet connection')),
		table('edgeddns-wan', [ _('Family'), _('Interface'), _('Router address'), _('Internet sees'), _('Verdict') ],
			wanRows, _('No WAN address seen yet: is edgeddns running?')),
		E('div', {}, warnings),
		E('h3', _('Service status')),
		table('edgeddns-services', [ _('Service'), _('Hostname'), _('Provider'), _('Registered address'), _('Last update'),
			_('Result'), _('DNS'), _('Next'), _('Last error'), _('Action') ], svcRows, _('No service configured yet: add one below.'))
	]);
}

/* Which notifier types take an option. */
function notifyOption(s, widget, name, title, description, types) {
	var o = s.option(widget, name, title, description);
	o.modalonly = true;
	types.forEach(function(t) { o.depends('type', t); });
	return o;
}

return view.extend({
	load: function() {
		return Promise.all([
			L.resolveDefault(callStatus(), {}),
			L.resolveDefault(callProviders(), []),
			L.resolveDefault(callAccess('ubus', 'edgeddns', 'update'), false),
			uci.load('edgeddns'),
			L.resolveDefault(callHostHints(), {}),
			L.resolveDefault(callAccess('ubus', 'edgeddns', 'notify_test'), false)
		]);
	},

	handleUpdateNow: function(name) {
		return callUpdate(name).then(L.bind(function() {
			ui.addNotification(null, E('p', txt(_('Update of "%s" requested.').format(name))), 'info');
			return this.refreshStatus();
		}, this)).catch(function(err) {
			ui.addNotification(null, E('p', txt(_('Update of "%s" failed: %s').format(name, callError(err, name)))), 'error');
		});
	},

	handleNotifyTest: function(name) {
		return callNotifyTest(name).then(function() {
			ui.addNotification(null, E('p', txt(_('Test message through "%s" queued: the system log tells whether it arrived.').format(name))), 'info');
		}).catch(function(err) {
			var why = /ubus code 4\b/.test(String(err && err.message)) ? _('save and apply the configuration first.') : callError(err, name);
			ui.addNotification(null, E('p', txt(_('Test message through "%s" failed: %s').format(name, why))), 'error');
		});
	},

	/* Also the renderer the browser test feeds with status documents of the contract. */
	renderStatus: function(st) {
		return renderStatus.call(this, st, this.canUpdate);
	},

	refreshStatus: function() {
		return L.resolveDefault(callStatus(), null).then(L.bind(function(st) {
			if (st && this.statusNode)
				dom.content(this.statusNode, this.renderStatus(st));
		}, this));
	},

	/* `config notify` sections, each row with a "Send test" button (ubus notify_test). */
	notifySection: function(m, canTest) {
		var s = m.section(form.GridSection, 'notify', _('Notifications'));
		var o, self = this;
		s.addremove = true;
		s.nodescriptions = true;
		s.addbtntitle = _('Add notifier');
		s.modaltitle = function(section_id) { return _('Notifications') + ' » ' + section_id; };

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o.editable = true;

		o = s.option(form.ListValue, 'type', _('Type'));
		o.value('ntfy', 'ntfy');
		o.value('telegram', 'Telegram');
		o.value('gotify', 'Gotify');
		o.value('webhook', _('Webhook'));
		o.value('healthchecks', _('Healthchecks ping'));
		o.rmempty = false;

		o = s.option(form.DynamicList, 'on', _('Events'), _('Empty: updated, failed, stopped, drift.'));
		[ [ 'updated', _('updated') ], [ 'failed', _('failed') ], [ 'stopped', _('stopped') ], [ 'drift', _('drift') ],
		  [ 'verdict', _('WAN verdict changed') ] ].forEach(function(v) { o.value(v[0], v[1]); });
		o.validate = function(section_id, value) {
			return (!value || /^(updated|failed|stopped|drift|verdict)$/.test(value)) ? true : _('Expecting an event kind');
		};
		/* Unset means the daemon's default kinds, not none. */
		o.textvalue = function(section_id) {
			var v = L.toArray(this.cfgvalue(section_id));
			return v.length ? v.join(', ') : _('updated, failed, stopped, drift');
		};

		var url = function(section_id, value) {
			return (!value || /^https?:\/\/\S+$/.test(value)) ? true : _('Expecting an http(s) URL');
		};
		o = notifyOption(s, form.Value, 'url', _('URL'), _('Webhook URL (placeholders such as [ADDRESS] make it a GET), or the ping URL.'), [ 'webhook', 'healthchecks' ]);
		o.validate = function(section_id, value) { return value ? url(section_id, value) : _('Required'); };
		o = notifyOption(s, form.Value, 'server', _('Server URL'), null, [ 'ntfy', 'telegram', 'gotify' ]);
		o.placeholder = 'https://ntfy.sh';
		o.validate = url;
		notifyOption(s, form.Value, 'topic', _('Topic'), null, [ 'ntfy' ]).rmempty = false;
		notifyOption(s, form.Value, 'chat_id', _('Chat ID'), null, [ 'telegram' ]).rmempty = false;
		notifyOption(s, form.Value, 'token', _('Token'), _('Bot token (Telegram), application token (Gotify), access token (ntfy, webhook).'),
			[ 'ntfy', 'telegram', 'gotify', 'webhook' ]).password = true;
		notifyOption(s, form.Value, 'priority', _('Priority'), null, [ 'ntfy', 'gotify' ]).datatype = 'range(0,10)';
		durationOption(s, 'rate_limit', _('At most one message per'),
			_('Per event kind and record.'), '10m', 0).modalonly = true;

		var render = s.render;
		s.render = function() {
			var add = function(node) {
				node.querySelectorAll('tr[data-sid]').forEach(function(row) {
					var name = row.getAttribute('data-sid');
					row.querySelector('.cbi-section-actions').appendChild(E('button', {
						'class': 'cbi-button cbi-button-action', 'data-notify': name, 'disabled': canTest ? null : true,
						'title': canTest ? null : _('Your login may only look at this page.'),
						'click': ui.createHandlerFn(self, 'handleNotifyTest', name)
					}, _('Send test')));
				});
				return node;
			};
			var r = render.apply(this, arguments);
			return (r && typeof r.then == 'function') ? r.then(add) : add(r);
		};
	},

	render: function(data) {
		var status = data[0] || {}, providers = data[1] || [];
		var titles = {};
		var m, s, o;

		this.canUpdate = data[2];
		providers.forEach(function(p) { titles[p.name] = p.title; });

		m = new form.Map('edgeddns');

		s = m.section(form.NamedSection, 'global', 'edgeddns', _('Global settings'));
		s.addremove = false;

		durationOption(s, 'check_interval', _('Safety re-check'),
			_('How often local addresses are re-read even without an event (no network traffic unless something changed).'), '10m', 10);
		durationOption(s, 'echo_interval', _('Echo interval'),
			_('How often the echo services are asked what address the internet sees.'), '30m', 60);
		durationOption(s, 'coalesce', _('Coalescing window'),
			_('Bursts of address changes within this window give a single update.'), '1s', 0);

		o = s.option(form.DynamicList, 'echo_url', _('IPv4 echo services'),
			_('Empty: the built-in services of three operators.'));
		o.datatype = 'string';
		o.validate = function(section_id, value) {
			return (!value || /^https?:\/\/\S+$/.test(value)) ? true : _('Expecting an http(s) URL');
		};

		o = s.option(form.ListValue, 'log_level', _('Log level'));
		o.value('error', _('Errors'));
		o.value('warn', _('Warnings'));
		o.value('info', _('Events'));
		o.value('debug', _('Debug'));
		o.default = 'info';

		s = m.section(form.GridSection, 'service', _('Services'));
		s.addremove = true;
		s.anonymous = false;
		s.nodescriptions = true;
		s.addbtntitle = _('Add service');
		s.modaltitle = function(section_id) { return _('Service') + ' » ' + section_id; };

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o.editable = true;

		o = s.option(form.ListValue, 'provider', _('Provider'));
		providers.forEach(function(p) { o.value(p.name, p.title); });
		o.rmempty = false;
		o.textvalue = function(section_id) {
			var v = this.cfgvalue(section_id);
			return titles[v] || v;
		};

		o = s.option(form.DynamicList, 'hostname', _('Hostnames'));
		o.rmempty = false;
		o.validate = validateHostname;

		/* Each provider's own fields, in its catalogue order, with its own help and default; fields
		 * of the same name (several providers have a "server") share the UCI option. The help is
		 * the daemon's English text, which the translation catalogue also carries. */
		providers.forEach(function(p) {
			(p.fields || []).forEach(function(f) {
				var widget = f.kind == 'bool' ? form.Flag : (f.kind == 'choice' ? form.ListValue : form.Value);
				var title = FIELD_TITLES[f.name] || f.name.charAt(0).toUpperCase() + f.name.slice(1).replace(/_/g, ' ');
				o = s.option(widget, '%s__%s'.format(p.name.replace(/[^A-Za-z0-9_]/g, '_'), f.name), title, _(f.label || f.help));
				o.ucioption = f.name;
				o.modalonly = true;
				o.depends('provider', p.name);
				(f.choices || []).forEach(function(c) { o.value(c); });
				if (f.kind == 'secret')
					o.password = true;
				if (f['default'])
					o.placeholder = f['default'];
				if (f.kind != 'bool')
					o.validate = function(section_id, value) {
						if ((value == null || value === '') && f.required)
							return _('Required by %s').format(p.title);
						if (f.kind == 'url' && value && !/^https?:\/\/\S+$/.test(value))
							return _('Expecting an http(s) URL');
						return true;
					};
			});
		});

		var v6 = providers.filter(function(p) { return p.ipv6; }).map(function(p) { return p.name; });

		/* A few providers have no https at all: using them is an explicit choice. */
		o = s.option(form.Flag, 'allow_http', _('Send over plain http'),
			_('This provider offers no https: the user name and password travel unencrypted.'));
		o.modalonly = true;
		providers.filter(function(p) { return p.plain_http; }).forEach(function(p) { o.depends('provider', p.name); });

		o = s.option(form.Flag, 'ipv4', _('IPv4 (A)'));
		o.default = '1';

		o = s.option(form.Flag, 'ipv6', _('IPv6 (AAAA)'));
		o.default = '0';
		v6.forEach(function(p) { o.depends('provider', p); });

		o = keepUnlisted(s.option(widgets.NetworkSelect, 'interface', _('IPv4 WAN interface')));
		o.modalonly = true;
		o.nocreate = true;
		o.default = 'wan';

		o = keepUnlisted(s.option(widgets.NetworkSelect, 'interface6', _('IPv6 WAN interface')));
		o.modalonly = true;
		o.nocreate = true;
		o.default = 'wan6';
		o.depends('ipv6', '1');

		o = s.option(form.ListValue, 'nat_policy', _('Behind CGNAT or double NAT'),
			_('What to publish when the router\'s own address is not reachable from the internet.'));
		o.modalonly = true;
		o.value('echo', _('The address the internet sees'));
		o.value('interface', _('The router\'s own address (internal DNS)'));
		o.value('skip', _('Nothing'));
		o.default = 'echo';

		o = s.option(form.ListValue, 'ip_source', _('Address source'));
		o.modalonly = true;
		o.value('auto', _('Automatic (netifd)'));
		o.value('device', _('A network device'));
		o.value('echo', _('Echo service only (this is not the edge router)'));
		o.default = 'auto';

		o = s.option(form.Value, 'device', _('Device'), _('For example eth1 or pppoe-wan.'));
		o.modalonly = true;
		o.depends('ip_source', 'device');
		o.validate = function(section_id, value) {
			return (value && /^[A-Za-z0-9_.@-]+$/.test(value)) ? true : _('Expecting a device name');
		};

		durationOption(s, 'force_interval', _('Refresh every'),
			_('Send again even without a change (free providers expire idle names).'), '25d', 3600).modalonly = true;
		durationOption(s, 'retry_interval', _('First retry after'), null, '30s', 5).modalonly = true;

		o = s.option(form.Value, 'ttl', _('TTL (seconds)'));
		o.modalonly = true;
		o.datatype = 'range(1,86400)';

		/* A device behind the router (`config host`), published through a service's account. */
		s = m.section(form.GridSection, 'host', _('LAN hosts'),
			_('Devices behind the router (NAS, camera), published at their address in the LAN\'s delegated IPv6 prefix.'));
		s.addremove = true;
		s.anonymous = false;
		s.nodescriptions = true;
		s.addbtntitle = _('Add host');
		s.modaltitle = function(section_id) { return _('LAN host') + ' » ' + section_id; };

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o.editable = true;

		o = s.option(form.ListValue, 'service', _('Published through'), _('The service whose provider and account publish it.'));
		uci.sections('edgeddns', 'service').forEach(function(sv) { o.value(sv['.name']); });
		o.rmempty = false;

		o = s.option(form.DynamicList, 'hostname', _('Hostnames'));
		o.rmempty = false;
		o.validate = validateHostname;

		/* The picker: every device the router knows, by MAC, with its name and addresses. */
		o = s.option(form.Value, 'mac', _('Device (MAC)'));
		Object.keys(data[4] || {}).sort().forEach(function(mac) {
			var h = data[4][mac] || {};
			var addrs = [ h.ipv4, h.ipv6 ].filter(function(a) { return a; }).join(', ');
			o.value(mac, '%s (%s)'.format(h.name || mac, addrs || mac));
		});
		o.validate = function(section_id, value) {
			return (!value || /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(value)) ? true : _('Expecting a MAC address');
		};

		o = s.option(form.ListValue, 'ipv6', _('IPv6 (AAAA)'));
		o.value('suffix', _('LAN prefix + fixed interface identifier'));
		o.value('eui64', _('LAN prefix + the MAC\'s EUI-64 identifier'));
		o.value('neighbour', _('The device\'s own address (neighbours, DHCPv6 leases)'));
		o.value('none', _('None'));
		o.default = 'suffix';

		o = s.option(form.Value, 'suffix', _('Interface identifier'));
		o.modalonly = true;
		o.placeholder = '::1:2:3:4';
		o.depends('ipv6', 'suffix');
		o.validate = function(section_id, value) {
			return (value && /^::[0-9A-Fa-f:]+$/.test(value)) ? true : _('Expecting an interface identifier such as ::1:2:3:4');
		};

		o = s.option(form.ListValue, 'ipv4', _('IPv4 (A)'));
		o.value('none', _('None'));
		o.value('wan', _('The WAN address (port forward)'));
		o.value('lan', _('The device\'s LAN address (internal DNS)'));
		o.default = 'none';

		o = keepUnlisted(s.option(widgets.NetworkSelect, 'lan_interface', _('LAN interface')));
		o.modalonly = true;
		o.nocreate = true;
		o.default = 'lan';

		/* The daemon refuses 'delete' for a service whose provider cannot delete, and says which. */
		o = s.option(form.ListValue, 'on_absent', _('When the device is gone'),
			_('Delete withdraws its records (RFC 2136 and Cloudflare only) and publishes them again when it is back.'));
		o.value('keep', _('Keep its records'));
		o.value('delete', _('Delete its records'));
		o.default = 'keep';

		o = s.option(form.Value, 'absent_grace', _('Grace before deleting'));
		o.modalonly = true;
		o.depends('on_absent', 'delete');
		o.placeholder = '5m';

		this.notifySection(m, data[5]);

		return m.render().then(L.bind(function(mapNode) {
			this.statusNode = E('div', { 'id': 'edgeddns-status' }, this.renderStatus(status));
			poll.add(L.bind(this.refreshStatus, this), 5);
			return E([], [
				E('h2', { 'name': 'content' }, _('Dynamic DNS')),
				E('div', { 'class': 'cbi-map-descr' }, _('Keeps your hostnames pointed at this router\'s public address, the moment it changes, and tells you when your line cannot be reached from the internet.')),
				this.statusNode,
				mapNode
			]);
		}, this));
	}
});
