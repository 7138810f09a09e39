// Drives the edgeddns LuCI page in headless Chromium for tests/luci_page.rs, which serves the
// page and reacts to the STEP lines printed here. Usage: node e2e.mjs URL SCREENSHOT_DIR SERVER_URL
// Roles: root (every ACL group), owner (luci-base + luci-app-edgeddns read/write, what
// luci-app-acl hands out), viewer (the same groups read-only); then the page in zh-cn and de.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const [url, shots, server] = process.argv.slice(2);
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync'],
});
const problems = [];
let role = 'root';
const step = (name) => console.log(`STEP ${role}:${name}`);

async function login(user, password, locale = 'en-US') {
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale });
	const page = await context.newPage();
	page.on('pageerror', (e) => problems.push(`${role} page error: ${e.message}`));
	page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[34]/.test(m.text())) problems.push(`${role} console: ${m.text()}`); });
	await page.goto(url);
	await page.fill('#luci_username', user);
	await page.fill('#luci_password', password);
	await Promise.all([page.waitForNavigation(), page.click('#login')]);
	await page.waitForSelector('body[data-view-ready]', { timeout: 30000 });
	return page;
}

/* The modal's visible fields as a user sees them. */
const visibleFields = (page) => page.$$eval('body.modal-overlay-active .modal .cbi-value:not(.hidden)', (els) => els.map((e) => {
	const input = e.querySelector('input, select');
	return { title: e.querySelector('.cbi-value-title').textContent, id: input && input.id,
		help: (e.querySelector('.cbi-value-description') || { textContent: '' }).textContent,
		placeholder: input && input.getAttribute('placeholder'), type: input && input.getAttribute('type') };
}));
const COMMON_TITLES = ['Enabled', 'Provider', 'Hostnames', 'IPv4 (A)', 'IPv6 (AAAA)', 'IPv4 WAN interface', 'IPv6 WAN interface',
	'Behind CGNAT or double NAT', 'Address source', 'Refresh every', 'First retry after', 'TTL (seconds)', 'Send over plain http'];
/* The input of the visible field titled so. */
const field = async (page, title) => {
	const f = (await visibleFields(page)).find((x) => x.title == title);
	assert.ok(f, `a visible field "${title}"`);
	return `[id="${f.id}"]`;
};
const widget = (sid, opt) => `[id="widget.cbid.edgeddns.${sid}.${opt}"]`;
const modalOpen = (page) => page.evaluate(() => document.body.classList.contains('modal-overlay-active'));
const texts = (page, sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent.trim()));

async function openService(page, sid) {
	await page.click(`#cbi-edgeddns-service tr[data-sid="${sid}"] .cbi-button-edit`);
	await page.waitForSelector(`body.modal-overlay-active ${widget(sid, 'provider')}`);
}

async function saveModal(page) {
	await page.click('body.modal-overlay-active .modal button.cbi-button-positive');
	await page.waitForFunction(() => !document.body.classList.contains('modal-overlay-active'), null, { timeout: 10000 });
}

/* Save & Apply the LuCI way; the page reloads once the change is confirmed. */
async function saveApply(page) {
	await page.click('#save-apply');
	await page.waitForSelector('text=Configuration changes applied.', { timeout: 20000 });
	await page.waitForFunction(() => !document.body.hasAttribute('data-view-ready'), null, { timeout: 10000 }).catch(() => {});
	await page.waitForSelector('body[data-view-ready]', { timeout: 30000 });
}

/* The view instance, as LuCI binds it to #view. */
const viewCall = (page, fn, arg) => page.evaluate(([fn, arg]) => {
	const v = L.dom.findClassInstance(document.getElementById('view'));
	return Promise.resolve(v[fn](arg)).then(() => null);
}, [fn, arg]);

try {
	/* ---------------- root ---------------- */
	let page = await login('root', 'root-pw');

	// The page opens with its title; the status follows; one "Services" heading.
	const headings = await texts(page, '#view h2, #view h3');
	assert.equal(headings[0], 'Dynamic DNS', `page title first: ${headings}`);
	assert.equal(headings.filter((h) => h === 'Services').length, 1, `one Services heading: ${headings}`);
	assert.ok(headings.indexOf('Internet connection') > 0 && headings.indexOf('Service status') > headings.indexOf('Internet connection'), `${headings}`);
	// The grid names providers by title, as the status table does.
	assert.equal(await page.textContent('#cbi-edgeddns-service tr[data-sid="home"] td[data-name="provider"]'), 'Any dyndns2 server');

	// A public line: verdict "reachable", no warning.
	await page.waitForSelector('#edgeddns-wan [data-verdict="public"]', { timeout: 15000 });
	assert.equal(await page.$('#edgeddns-nat-warning'), null, 'no NAT warning on a public line');
	const home = await page.textContent('#edgeddns-services');
	assert.match(home, /home\.example\.org \(A\)/);
	assert.match(home, /203\.0\.113\.60/);
	step('public-shown');

	// The harness moves the line behind CGNAT; polling must bring the banner within a few seconds.
	await page.waitForSelector('#edgeddns-nat-warning', { timeout: 30000 });
	const banner = await page.textContent('#edgeddns-nat-warning');
	for (const want of ['CGNAT', '100.64.33.44', '198.51.100.77', 'public IPv4', 'IPv6', 'tunnel'])
		assert.ok(banner.includes(want), `banner mentions ${want}: ${banner}`);
	await page.waitForFunction(() => document.querySelector('#edgeddns-services').textContent.includes('198.51.100.77'),
		null, { timeout: 20000 });
	// A provider answer with markup is shown as text, never as HTML.
	await page.waitForFunction(() => document.querySelector('#edgeddns-services').textContent.includes('<b id="injected">'),
		null, { timeout: 20000 });
	assert.equal(await page.$('#injected'), null, 'provider text must not become markup');
	await page.screenshot({ path: `${shots}/root-status-cgnat.png`, fullPage: true });
	step('cgnat-banner');

	await page.click('#edgeddns-services button[data-service="home"]');
	await page.waitForSelector('text=Update of "home" requested.', { timeout: 10000 });
	step('update-now');

	// The daemon refuses a service it does not run (the table was stale): the page says so.
	await viewCall(page, 'handleUpdateNow', 'ghost');
	const refused = await page.textContent('#notifications .alert-message.error');
	assert.match(refused, /There is no enabled service named "ghost"/, refused);
	assert.doesNotMatch(await page.textContent('#notifications'), /Update of "ghost" requested|RPC call|ClassConstructor/);
	step('daemon-error-shown');

	// Notifications: the configured ntfy notifier is listed; "Send test" asks the daemon for a
	// test message (the harness checks that the ntfy double got it).
	const phone = '#cbi-edgeddns-notify tr[data-sid="phone"]';
	await page.waitForSelector(`${phone} button[data-notify="phone"]`);
	assert.equal((await page.textContent(`${phone} td[data-name="type"]`)).trim(), 'ntfy');
	// No `on` list: the daemon's default kinds, shown as such.
	assert.equal((await page.textContent(`${phone} td[data-name="on"]`)).trim(), 'updated, failed, stopped, drift');
	assert.ok((await texts(page, '#view h3')).includes('Notifications'));
	await page.click(`${phone} button[data-notify="phone"]`);
	await page.waitForSelector('text=Test message through "phone" queued', { timeout: 10000 });
	await page.screenshot({ path: `${shots}/root-notifications.png`, fullPage: true });
	step('notify-test');

	// Cloudflare's own fields: token first with its help, server last with the API default.
	await page.type('.cbi-section-create-name', 'cf');
	await page.click('.cbi-section-create .cbi-button-add');
	await page.waitForSelector('body.modal-overlay-active');
	await page.selectOption(widget('cf', 'provider'), 'cloudflare');
	await page.dispatchEvent(widget('cf', 'provider'), 'change');
	// What the modal shows for Cloudflare, in order: title, help line, placeholder, input type.
	const cf = (await visibleFields(page)).filter((f) => !COMMON_TITLES.includes(f.title));
	assert.deepEqual(cf.map((f) => f.title), ['Token', 'Zone', 'Proxied by Cloudflare', 'Server URL'], JSON.stringify(cf));
	assert.match(cf[0].help, /Zone\.DNS:Edit/);
	assert.equal(cf[0].type, 'password');
	assert.doesNotMatch(cf[3].help, /members\.example\.net/);
	assert.equal(cf[3].placeholder, 'https://api.cloudflare.com/client/v4');
	await page.screenshot({ path: `${shots}/root-cloudflare-modal.png` });
	await page.click('body.modal-overlay-active .modal .right button:not(.cbi-button-positive)');
	await page.waitForFunction(() => !document.body.classList.contains('modal-overlay-active'));
	assert.ok(await page.$('#modal_overlay > .modal'), 'the modal stays in the DOM');
	step('cloudflare-fields');

	// "Add" waits for a valid section name.
	const add = '.cbi-section-create .cbi-button-add';
	assert.ok(await page.isDisabled(add), 'Add disabled without a name');
	await page.type('.cbi-section-create-name', 'bad name');
	assert.match(await page.getAttribute('.cbi-section-create-name', 'data-tooltip'), /valid UCI identifier/);
	await page.click(add, { force: true }).catch(() => {});
	await page.waitForTimeout(300);
	assert.ok(!(await modalOpen(page)), 'an invalid name adds nothing');
	await page.fill('.cbi-section-create-name', '');
	await page.type('.cbi-section-create-name', 'office');
	assert.ok(!(await page.isDisabled(add)), 'Add enabled for a valid name');
	step('add-needs-a-name');

	// Add a service in the modal; a bad hostname is refused with the daemon's rule.
	await page.click(add);
	await page.waitForSelector('body.modal-overlay-active');
	await page.selectOption(widget('office', 'provider'), 'dyndns2');
	await page.dispatchEvent(widget('office', 'provider'), 'change');
	const titles = (await visibleFields(page)).map((f) => f.title);
	assert.ok(titles.includes('Server URL'), 'generic dyndns2 asks for the server');
	assert.ok(!titles.includes('Token'), 'no token field for dyndns2');
	assert.equal(await page.getAttribute(await field(page, 'Password'), 'type'), 'password', 'password masked');
	const pending = `${widget('office', 'hostname')} .add-item input`;
	await page.type(pending, 'bad host.example.org');
	await page.type(await field(page, 'Username'), 'carol');
	await page.type(await field(page, 'Password'), 'carol-pw');
	await page.type(await field(page, 'Server URL'), server);
	await page.click('body.modal-overlay-active .modal button.cbi-button-positive');
	await page.waitForTimeout(500);
	assert.ok(await modalOpen(page), 'an invalid value keeps the modal open');
	assert.ok(await page.$eval(pending, (e) => e.classList.contains('cbi-input-invalid')), 'the input is marked');
	assert.match(await page.getAttribute(pending, 'data-tooltip'), /Only letters, digits/);
	assert.equal(await page.$('.modal-errors'), null);
	await page.screenshot({ path: `${shots}/root-invalid-hostname.png` });
	step('invalid-hostname-refused');
	await page.fill(pending, '');
	await page.type(pending, 'office.example.org');
	await saveModal(page);

	// An interface the network config no longer lists is kept through an edit.
	await openService(page, 'legacy');
	assert.equal(await page.$eval(widget('legacy', 'interface'), (e) => e.value), '', 'wwan is not a listed network');
	await page.type(widget('legacy', 'ttl'), '600');
	await saveModal(page);

	// A LAN host: the device picker offers what the router knows (rpcd's host hints: name and
	// addresses per MAC) and still takes a MAC typed by hand; the suffix is checked.
	const hosts = '.cbi-tblsection:has(#cbi-edgeddns-host)';
	await page.type(`${hosts} .cbi-section-create-name`, 'nas');
	await page.click(`${hosts} .cbi-button-add`);
	await page.waitForSelector(`body.modal-overlay-active ${widget('nas', 'mac')}`);
	const choices = await page.$$eval('[id="choices.cbid.edgeddns.nas.mac"] option', (os) => os.map((o) => [o.value, o.label]));
	assert.deepEqual(choices, [['52:54:00:12:34:56', 'nas-box (192.168.1.50, 2001:db8:0:10::abcd)'],
		['52:54:00:AA:BB:CC', '52:54:00:AA:BB:CC (192.168.1.77)']]);
	const services = await page.$$eval(`${widget('nas', 'service')} option`, (os) => os.map((o) => o.value));
	assert.ok(['home', 'broken', 'legacy'].every((s) => services.includes(s)), `the services of the config: ${services}`);
	await page.fill(widget('nas', 'mac'), choices[0][0]);
	await page.selectOption(widget('nas', 'service'), 'home');
	await page.type(`${widget('nas', 'hostname')} .add-item input`, 'nas.example.org');
	await page.type(widget('nas', 'suffix'), '1:2');
	await page.click('body.modal-overlay-active .modal button.cbi-button-positive');
	await page.waitForTimeout(300);
	assert.ok(await modalOpen(page), 'a bad suffix keeps the modal open');
	assert.match(await page.getAttribute(widget('nas', 'suffix'), 'data-tooltip'), /interface identifier such as ::1:2:3:4/);
	await page.fill(widget('nas', 'suffix'), '::1:2:3:4');
	// Withdrawal asks for its grace only when chosen ('home' cannot delete: kept in the end).
	assert.equal(await page.isVisible(widget('nas', 'absent_grace')), false, 'no grace while records are kept');
	await page.selectOption(widget('nas', 'on_absent'), 'delete');
	await page.waitForSelector(widget('nas', 'absent_grace'), { state: 'visible' });
	assert.equal(await page.getAttribute(widget('nas', 'absent_grace'), 'placeholder'), '5m');
	await page.screenshot({ path: `${shots}/root-host-on-absent.png` });
	await page.selectOption(widget('nas', 'on_absent'), 'keep');
	await page.waitForSelector(widget('nas', 'absent_grace'), { state: 'hidden' });
	await page.screenshot({ path: `${shots}/root-host-modal.png` });
	step('host-picked');
	await saveModal(page);
	await saveApply(page);
	step('saved-applied');

	// The reloaded daemon serves the new service, and the page shows it.
	await page.waitForFunction(() => document.querySelector('#edgeddns-services').textContent.includes('office.example.org'),
		null, { timeout: 30000 });
	await page.screenshot({ path: `${shots}/root-after-apply.png`, fullPage: true });

	// On a phone the status table collapses; every cell carries its column title.
	await page.setViewportSize({ width: 375, height: 812 });
	const untitled = await page.$$eval('#edgeddns-wan td, #edgeddns-services td', (tds) =>
		tds.filter((td) => !td.hasAttribute('data-title') && !td.closest('tr.placeholder')).length);
	assert.equal(untitled, 0, 'status cells without data-title');
	const cell = await page.$eval('#edgeddns-services td[data-field="next"]', (td) => getComputedStyle(td, '::before').content);
	assert.match(cell, /Next/);
	await page.screenshot({ path: `${shots}/root-phone-status.png`, fullPage: true });
	step('phone-table');
	await page.context().close();

	/* ---------------- owner ---------------- */
	role = 'owner';
	page = await login('owner', 'owner-pw');
	await openService(page, 'home');
	assert.equal(await page.$eval(widget('home', 'interface'), (e) => e.value), 'wan', 'the configured WAN is shown');
	step('network-listed');
	await page.type(widget('home', 'ttl'), '300');
	await saveModal(page);
	await saveApply(page);
	await page.screenshot({ path: `${shots}/owner-after-apply.png`, fullPage: true });
	step('saved-applied');
	await page.context().close();

	/* ---------------- viewer ---------------- */
	role = 'viewer';
	page = await login('viewer', 'viewer-pw');
	for (const b of await page.$$('#edgeddns-services button[data-service]'))
		assert.ok(await b.isDisabled(), 'Update now disabled for a read-only login');
	assert.ok(await page.isDisabled('button[data-notify="phone"]'), 'Send test disabled for a read-only login');
	assert.ok(await page.isDisabled('#save-apply'), 'Save & Apply disabled');
	assert.ok(await page.isDisabled('.cbi-section-create-name'), 'no new service');
	await openService(page, 'home');
	assert.ok(await page.isDisabled('body.modal-overlay-active .modal button.cbi-button-positive'), 'modal Save disabled');
	assert.ok(await page.isDisabled(await field(page, 'Username')), 'fields read-only');
	await page.screenshot({ path: `${shots}/viewer-modal.png` });
	await page.click('body.modal-overlay-active .modal .right button:not(.cbi-button-positive)');
	await page.screenshot({ path: `${shots}/viewer-status.png`, fullPage: true });
	step('read-only');
	// Were the call made anyway (an old tab), rpcd refuses it; the page says why in words.
	await viewCall(page, 'handleUpdateNow', 'home');
	const denied = await page.textContent('#notifications .alert-message.error');
	assert.match(denied, /Your login may not do this/, denied);
	assert.doesNotMatch(denied, /RPC call|-32002|ClassConstructor|\.js/);
	step('denied-sentence');
	await page.context().close();

	/* ---------------- translations ---------------- */
	for (const [lang, locale, title, words] of [
		['zh-cn', 'zh-CN', '动态 DNS', ['互联网连接', '服务状态', '运营商级 NAT']],
		['de', 'de-DE', 'Dynamisches DNS', ['Internetverbindung', 'Dienststatus', 'Carrier-Grade-NAT']],
	]) {
		role = lang;
		page = await login('root', 'root-pw', locale);
		await page.waitForSelector('#edgeddns-nat-warning', { timeout: 20000 });
		const headings = await texts(page, '#view h2, #view h3');
		assert.equal(headings[0], title, `${headings}`);
		const body = await page.textContent('#view');
		for (const w of words)
			assert.ok(body.includes(w), `${lang} page shows ${w}`);
		assert.ok(!body.includes('Internet connection') && !body.includes('Update now'), `${lang}: English left`);
		assert.ok((await page.textContent('header')).includes(title), 'menu title translated');
		await page.screenshot({ path: `${shots}/${lang}-page.png`, fullPage: true });
		if (lang == 'zh-cn') {
			await openService(page, 'home');
			// The daemon's field help, translated through the catalogue.
			const modal = await page.textContent('body.modal-overlay-active .modal');
			assert.ok(modal.includes('账号用户名') && !modal.includes('account user name'), 'provider field help translated');
			await page.screenshot({ path: `${shots}/${lang}-modal.png` });
		}
		step('translated');
		await page.context().close();
	}

	/* ------- the renderer on status documents of the v2 contract (schema 2 codes) ------- */
	role = 'renderer';
	const now = 1767225600;
	const doc = { schema: 2, generated_at: now,
		wan: [ { family: 'ipv4', interface: 'wan', address: '100.64.1.2', echo: '198.51.100.9', verdict: 'cgnat',
			explanation: 'ENGLISH-FROM-DAEMON', note: { code: 'netifd-restarting' } } ],
		services: [ { name: 'home', enabled: true, provider: 'cloudflare', provider_title: 'Cloudflare', records: [
			{ hostname: 'a.example.org', family: 'ipv4', type: 'A', registered: '198.51.100.9', last_update: now - 120,
				result: 'ENGLISH-RESULT', next_action: 'ENGLISH-NEXT', outcome: { code: 'retry', kind: 'rate-limited' },
				next: { code: 'retry', at: now + 90, by: 'provider', reason: { kind: 'rate-limited' } },
				dns: { verdict: 'published', reason: 'ENGLISH-REASON', checked_at: now - 60, answers: [
					{ server: 'ns1.example.net', at: '192.0.2.1', addresses: ['198.51.100.9'], ttl: 60 },
					{ server: 'ns2.example.net', at: '192.0.2.2', error: 'ENGLISH-ERROR' } ] } },
			{ hostname: 'b.example.org', family: 'ipv6', type: 'AAAA', outcome: { code: 'stopped', kind: 'auth' },
				result: 'ENGLISH-RESULT', next_action: 'ENGLISH-NEXT', next: { code: 'stopped', reason: { kind: 'auth' } },
				dns: { verdict: 'drift', reason: 'ENGLISH-REASON', checked_at: now, answers: [
					{ server: 'ns1.example.net', at: '192.0.2.1', addresses: ['203.0.113.9'], ttl: 300 } ] } },
			{ hostname: 'c.example.org', family: 'ipv4', type: 'A', outcome: null, result: null, next_action: 'ENGLISH-NEXT',
				next: { code: 'waiting', for: 'wan', interface: 'wan', verdict: null } },
			// No clock yet (NTP): a wait, not a failure.
			{ hostname: 'd.example.org', family: 'ipv4', type: 'A', outcome: { code: 'retry', kind: 'clock' },
				result: 'ENGLISH-RESULT', next_action: 'ENGLISH-NEXT', next: { code: 'waiting', for: 'clock', interface: null, verdict: null } },
			// The first WAN is down: published from the second.
			{ hostname: 'e.example.org', family: 'ipv4', type: 'A', registered: '198.51.100.1', outcome: { code: 'updated', kind: null },
				result: 'ENGLISH-RESULT', next_action: 'ENGLISH-NEXT', next: { code: 'refresh', at: now + 86400 * 25 },
				wan: { interface: 'wanb', fallback: 'wan has no ipv4 address: waiting for wan' } },
			// A LAN device gone past its grace with on_absent 'delete'.
			{ hostname: 'f.example.org', family: 'ipv6', type: 'AAAA', registered: null, outcome: { code: 'withdrawn', kind: null },
				result: 'ENGLISH-RESULT', next_action: 'ENGLISH-NEXT', next: { code: 'waiting', for: 'device', interface: 'lan', verdict: null } } ] } ] };
	const render = (page, d) => page.evaluate((d) => {
		const v = L.dom.findClassInstance(document.getElementById('view'));
		const box = document.createElement('div');
		L.dom.content(box, v.renderStatus(d));
		const cell = (r, f) => box.querySelector(`tr[data-record="${r}"] td[data-field="${f}"]`).textContent;
		return { text: box.textContent, a: [cell('a.example.org/ipv4', 'result'), cell('a.example.org/ipv4', 'next')],
			b: [cell('b.example.org/ipv6', 'result'), cell('b.example.org/ipv6', 'next')], c: cell('c.example.org/ipv4', 'next'),
			dns: ['a.example.org/ipv4', 'b.example.org/ipv6', 'c.example.org/ipv4'].map((r) => cell(r, 'dns')),
			tip: box.querySelector('tr[data-record="a.example.org/ipv4"] td[data-field="dns"] span').title,
			d: [cell('d.example.org/ipv4', 'result'), cell('d.example.org/ipv4', 'next')],
			e: box.querySelector('tr[data-record="e.example.org/ipv4"] [data-field="via"]').textContent };
	}, d);
	page = await login('root', 'root-pw');
	let out = await render(page, doc);
	assert.ok(!/ENGLISH-/.test(out.text), `codes win over the daemon's English: ${out.text}`);
	assert.ok(out.text.includes('deleted: the device is gone'), `withdrawn shown: ${out.text}`);
	assert.deepEqual(out.a, ['failed, will retry: the provider asks to slow down', 'retry in 2 min, as the provider asked']);
	assert.equal(out.b[0], 'stopped: the provider refused the credentials');
	assert.match(out.b[1], /^stopped \(the provider refused the credentials\)/);
	assert.equal(out.c, 'waiting for wan to come up');
	assert.deepEqual(out.d, ['failed, will retry: the router\'s clock is not set yet', 'waiting for the clock to be set (NTP)']);
	assert.equal(out.e, 'published via wanb: wan has no ipv4 address: waiting for wan');
	assert.ok(out.text.includes('last known address: netifd is restarting'));
	// The DNS column: the verdict and what the authoritative server answers, the daemon's reason as the tooltip.
	assert.deepEqual(out.dns, ['published — DNS answers 198.51.100.9 at ns1.example.net, TTL 60',
		'changed by someone else — DNS answers 203.0.113.9 at ns1.example.net, TTL 300', '—']);
	assert.equal(out.tip, 'ENGLISH-REASON');
	await page.evaluate((d) => {
		const box = document.createElement('div');
		box.id = 'dns-shot';
		L.dom.content(box, L.dom.findClassInstance(document.getElementById('view')).renderStatus(d));
		document.getElementById('view').prepend(box);
	}, doc);
	await page.locator('#dns-shot #edgeddns-services').screenshot({ path: `${shots}/renderer-services-dns.png` });
	// Without codes (a daemon before schema 2) the daemon's English still shows.
	const old = JSON.parse(JSON.stringify(doc));
	delete old.schema;
	old.services[0].records.forEach((r) => { delete r.outcome; delete r.next; });
	out = await render(page, old);
	assert.equal(out.a[0], 'ENGLISH-RESULT');
	assert.equal(out.c, 'ENGLISH-NEXT');
	// Seen as the owner sees it: the clock wait and the second WAN in the status table.
	await page.evaluate((d) => {
		const v = L.dom.findClassInstance(document.getElementById('view'));
		L.dom.content(document.getElementById('view'), v.renderStatus(d));
	}, doc);
	await page.screenshot({ path: `${shots}/root-status-clock-and-second-wan.png`, fullPage: true });
	await page.context().close();
	page = await login('root', 'root-pw', 'zh-CN');
	out = await render(page, doc);
	assert.ok(!/[a-z]{4,} [a-z]{4,}/.test(out.a.join(' ') + out.b.join(' ') + out.c + out.dns.join(' ')), `zh renderer left English: ${JSON.stringify(out)}`);
	await page.context().close();
	step('codes');

	assert.deepEqual(problems, []);
	console.log('DONE');
} catch (e) {
	for (const c of browser.contexts())
		for (const p of c.pages())
			await p.screenshot({ path: `${shots}/failure-${role}.png`, fullPage: true }).catch(() => {});
	console.error(e.stack || String(e));
	console.error(problems.join('\n'));
	process.exitCode = 1;
} finally {
	await browser.close();
}
