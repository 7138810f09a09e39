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
 * edgeddns: status of the WAN (with the NAT verdict) and of every service at the top, the
 * configuration below. Everything the page knows about providers comes from the daemon
 * (`edgeddns providers`), so the form never goes out of step with the installed binary.
 */

var callStatus = rpc.declare({ object: 'edgeddns', method: 'status', expect: { '': {} } });
var callProviders = rpc.declare({ object: 'edgeddns', method: 'providers', expect: { providers: [] } });
var callUpdate = rpc.declare({ object: 'edgeddns', method: 'update', params: [ 'service' ], expect: { '': {} } });

/* Options every service has; the rest of a provider's fields are its own. */
var COMMON = [ 'enabled', 'provider', 'hostname', 'ipv4', 'ipv6', 'interface', 'interface6', 'device',
	'device6', 'ip_source', 'nat_policy', 'ipv6_match', 'force_interval', 'retry_interval', 'retry_max',
	'ttl', 'allow_http', 'create_missing' ];

var FIELD_TITLES = {
	'username': _('Username'), 'password': _('Password'), 'token': _('Token'), 'server': _('Server URL'),
	'zone': _('Zone'), 'proxied': _('Proxied by Cloudflare'), 'update_url': _('Update URL'),
	'expect': _('Success answer'), 'unchanged': _('Unchanged answer')
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

/* What a router owner can do about it, in plain words. */
function natAdvice(w) {
	if (w.verdict == 'cgnat')
		return E('div', { 'class': 'alert-message warning', 'id': 'edgeddns-nat-warning' }, [
			E('h4', _('Your internet line is behind carrier-grade NAT (CGNAT)')),
			E('p', txt(_('Your provider shares one public IPv4 address among many customers. The router has %s, the internet sees %s. Nobody on the internet can connect to this router over IPv4 — a DNS name cannot change that.').format(w.address, w.echo))),
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

function renderStatus(st, view) {
	var now = st.generated_at || Math.floor(Date.now() / 1000);
	var wan = st.wan || [];
	var wanRows = wan.map(function(w) {
		return E('tr', { 'class': 'tr', 'data-family': w.family }, [
			E('td', { 'class': 'td' }, txt(w.family == 'ipv6' ? 'IPv6' : 'IPv4')),
			E('td', { 'class': 'td' }, txt(w.interface)),
			E('td', { 'class': 'td' }, txt(w.address || '—')),
			E('td', { 'class': 'td' }, txt(w.echo || '—')),
			E('td', { 'class': 'td', 'data-verdict': w.verdict }, [
				E('strong', txt(VERDICT_WORDS[w.verdict] || w.verdict)),
				E('div', { 'class': 'cbi-value-description' }, txt(w.explanation))
			])
		]);
	});
	var warnings = wan.map(natAdvice).filter(function(x) { return x != null; });

	var svcRows = [];
	(st.services || []).forEach(function(svc) {
		var button = E('button', {
			'class': 'cbi-button cbi-button-action',
			'data-service': svc.name,
			'disabled': (!svc.enabled || svc.error) ? true : null,
			'click': ui.createHandlerFn(view, 'handleUpdateNow', svc.name)
		}, _('Update now'));
		if (svc.error) {
			svcRows.push(E('tr', { 'class': 'tr', 'data-service': svc.name }, [
				E('td', { 'class': 'td' }, txt(svc.name)), E('td', { 'class': 'td', 'colspan': 7 },
					E('span', { 'style': 'color:#c00' }, txt(_('Configuration error: %s').format(svc.error)))),
				E('td', { 'class': 'td' }, button)
			]));
			return;
		}
		if (!svc.enabled) {
			svcRows.push(E('tr', { 'class': 'tr', 'data-service': svc.name }, [
				E('td', { 'class': 'td' }, txt(svc.name)), E('td', { 'class': 'td', 'colspan': 8 }, E('em', _('disabled')))
			]));
			return;
		}
		(svc.records || []).forEach(function(r, i) {
			var next = r.next_action || '';
			if (r.next_at)
				next = next.replace(/ at$/, '') + ' ' + until(r.next_at, now);
			svcRows.push(E('tr', { 'class': 'tr', 'data-service': svc.name, 'data-record': r.hostname + '/' + r.family }, [
				E('td', { 'class': 'td' }, txt(i == 0 ? svc.name : '')),
				E('td', { 'class': 'td' }, txt('%s (%s)'.format(r.hostname, r.type))),
				E('td', { 'class': 'td' }, txt(i == 0 ? (svc.provider_title || svc.provider) : '')),
				E('td', { 'class': 'td', 'data-field': 'registered' }, txt(r.registered || '—')),
				E('td', { 'class': 'td' }, txt(ago(r.last_update, now))),
				E('td', { 'class': 'td', 'data-field': 'result' }, r.stopped ? E('strong', { 'style': 'color:#c00' }, _('stopped')) : txt(r.result || '—')),
				E('td', { 'class': 'td' }, txt(next)),
				E('td', { 'class': 'td', 'data-field': 'error' }, txt(r.error)),
				E('td', { 'class': 'td' }, i == 0 ? button : '')
			]));
		});
	});

	return E([], [
		E('h3', _('Internet connection')),
		E('table', { 'class': 'table', 'id': 'edgeddns-wan' }, [
			E('tr', { 'class': 'tr table-titles' }, [
				E('th', { 'class': 'th' }, _('Family')), E('th', { 'class': 'th' }, _('Interface')),
				E('th', { 'class': 'th' }, _('Router address')), E('th', { 'class': 'th' }, _('Internet sees')),
				E('th', { 'class': 'th' }, _('Verdict'))
			])
		].concat(wanRows.length ? wanRows : [
			E('tr', { 'class': 'tr placeholder' }, E('td', { 'class': 'td', 'colspan': 5 }, E('em', _('No WAN address seen yet: is edgeddns running?'))))
		])),
		E('div', {}, warnings),
		E('h3', _('Services')),
		E('table', { 'class': 'table', 'id': 'edgeddns-services' }, [
			E('tr', { 'class': 'tr table-titles' }, [
				E('th', { 'class': 'th' }, _('Service')), E('th', { 'class': 'th' }, _('Hostname')),
				E('th', { 'class': 'th' }, _('Provider')), E('th', { 'class': 'th' }, _('Registered address')),
				E('th', { 'class': 'th' }, _('Last update')), E('th', { 'class': 'th' }, _('Result')),
				E('th', { 'class': 'th' }, _('Next')), E('th', { 'class': 'th' }, _('Last error')),
				E('th', { 'class': 'th' }, '')
			])
		].concat(svcRows.length ? svcRows : [
			E('tr', { 'class': 'tr placeholder' }, E('td', { 'class': 'td', 'colspan': 9 }, E('em', _('No service configured yet: add one below.'))))
		]))
	]);
}

return view.extend({
	load: function() {
		return Promise.all([
			L.resolveDefault(callStatus(), {}),
			L.resolveDefault(callProviders(), []),
			uci.load('edgeddns')
		]);
	},

	handleUpdateNow: function(name) {
		return callUpdate(name).then(L.bind(function() {
			ui.addNotification(null, E('p', txt(_('Update of "%s" requested.').format(name))), 'info');
			return this.refreshStatus();
		}, this)).catch(function(err) {
			ui.addNotification(null, E('p', txt(_('Update failed: %s').format(err.message || err))), 'error');
		});
	},

	refreshStatus: function() {
		return L.resolveDefault(callStatus(), null).then(L.bind(function(st) {
			if (st && this.statusNode)
				dom.content(this.statusNode, renderStatus(st, this));
		}, this));
	},

	render: function(data) {
		var status = data[0] || {}, providers = data[1] || [];
		var m, s, o;

		m = new form.Map('edgeddns', _('Dynamic DNS'),
			_('Keeps your hostnames pointed at this router\'s public address, the moment it changes, and tells you when your line cannot be reached from the internet.'));

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

		o = s.option(form.DynamicList, 'hostname', _('Hostnames'));
		o.rmempty = false;
		o.validate = validateHostname;

		/* One form field per provider field name; shown only for the providers that use it. */
		var fields = {};
		providers.forEach(function(p) {
			(p.fields || []).forEach(function(f) {
				if (COMMON.indexOf(f.name) >= 0)
					return;
				if (!fields[f.name])
					fields[f.name] = { field: f, providers: [], required: [] };
				fields[f.name].providers.push(p.name);
				if (f.required)
					fields[f.name].required.push(p.name);
			});
		});
		/* In catalogue order (credentials first); the help line comes from the daemon. */
		Object.keys(fields).forEach(function(name) {
			var f = fields[name].field, required = fields[name].required;
			var widget = f.kind == 'bool' ? form.Flag : (f.kind == 'choice' ? form.ListValue : form.Value);
			o = s.option(widget, name, FIELD_TITLES[name] || name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' '), f.help);
			o.modalonly = true;
			(f.choices || []).forEach(function(c) { o.value(c); });
			if (f.kind == 'secret')
				o.password = true;
			if (f.kind == 'number')
				o.datatype = 'uinteger';
			if (f.default)
				o.placeholder = f.default;
			fields[name].providers.forEach(function(p) { o.depends('provider', p); });
			if (f.kind != 'bool')
				o.validate = function(section_id, value) {
					var provider = this.map.lookupOption('provider', section_id)[0].formvalue(section_id);
					if ((value == null || value === '') && required.indexOf(provider) >= 0)
						return _('Required by this provider');
					if (f.kind == 'url' && value && !/^https?:\/\/\S+$/.test(value))
						return _('Expecting an http(s) URL');
					return true;
				};
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

		o = s.option(widgets.NetworkSelect, 'interface', _('IPv4 WAN interface'));
		o.modalonly = true;
		o.nocreate = true;
		o.default = 'wan';

		o = s.option(widgets.NetworkSelect, 'interface6', _('IPv6 WAN interface'));
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

		return m.render().then(L.bind(function(mapNode) {
			this.statusNode = E('div', { 'id': 'edgeddns-status' }, renderStatus(status, this));
			poll.add(L.bind(this.refreshStatus, this), 5);
			return E([], [ this.statusNode, mapNode ]);
		}, this));
	}
});
