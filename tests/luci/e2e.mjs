// Drives the edgeddns LuCI page in headless Chromium for tests/luci_page.rs, which serves the
// page and reacts to the STEP lines printed here. Usage: node e2e.mjs URL SCREENSHOT_DIR SERVER_URL
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const [url, shots, server] = process.argv.slice(2);
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });

try {
	await page.goto(url);
	await page.waitForSelector('body[data-view-ready]', { timeout: 20000 });

	// A public line: verdict "reachable", no warning.
	await page.waitForSelector('#edgeddns-wan [data-verdict="public"]', { timeout: 15000 });
	assert.equal(await page.$('#edgeddns-nat-warning'), null, 'no NAT warning on a public line');
	const home = await page.textContent('#edgeddns-services');
	assert.match(home, /home\.example\.org \(A\)/);
	assert.match(home, /203\.0\.113\.60/);
	console.log('STEP public-shown');

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
	await page.screenshot({ path: `${shots}/status.png`, fullPage: true });
	console.log('STEP cgnat-banner');

	await page.click('#edgeddns-services button[data-service="home"]');
	await page.waitForSelector('text=Update of "home" requested.', { timeout: 10000 });
	console.log('STEP update-now');

	// Add a service in the modal; a bad hostname is refused with the daemon's rule.
	await page.fill('.cbi-section-create-name', 'office');
	await page.click('.cbi-section-create .cbi-button-add');
	await page.waitForSelector('.modal');
	await page.selectOption('[id="cbid.edgeddns.office.provider"]', 'dyndns2');
	await page.dispatchEvent('[id="cbid.edgeddns.office.provider"]', 'change');
	const row = (name) => `.modal .cbi-value[data-name="${name}"]`;
	assert.ok(await page.isVisible(row('server')), 'generic dyndns2 asks for the server');
	assert.ok(!(await page.isVisible(row('token'))), 'no token field for dyndns2');
	assert.equal(await page.getAttribute(`${row('password')} input`, 'type'), 'password', 'password masked');
	await page.fill(`${row('hostname')} .add-item input`, 'bad host.example.org');
	await page.click(`${row('hostname')} .add-item button`);
	await page.fill(`${row('username')} input`, 'carol');
	await page.fill(`${row('password')} input`, 'carol-pw');
	await page.fill(`${row('server')} input`, server);
	await page.click('.modal button.cbi-button-positive');
	await page.waitForSelector('.modal-errors .alert-message', { timeout: 5000 });
	assert.match(await page.textContent('.modal-errors'), /Only letters, digits/);
	await page.screenshot({ path: `${shots}/edit-modal.png` });
	console.log('STEP invalid-hostname-refused');
	await page.click(`${row('hostname')} .item .remove`);
	await page.fill(`${row('hostname')} .add-item input`, 'office.example.org');
	await page.click(`${row('hostname')} .add-item button`);
	await page.click('.modal button.cbi-button-positive');
	await page.waitForSelector('.modal', { state: 'detached', timeout: 5000 });
	await page.click('#save-apply');
	await page.waitForSelector('text=Configuration changes applied.', { timeout: 10000 });
	console.log('STEP saved-applied');

	// The reloaded daemon serves the new service, and the page shows it.
	await page.waitForFunction(() => document.querySelector('#edgeddns-services').textContent.includes('office.example.org'),
		null, { timeout: 30000 });
	await page.screenshot({ path: `${shots}/after-apply.png`, fullPage: true });
	assert.deepEqual(problems, []);
	console.log('DONE');
} catch (e) {
	await page.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
	console.error(e.stack || String(e));
	console.error(problems.join('\n'));
	process.exitCode = 1;
} finally {
	await browser.close();
}
