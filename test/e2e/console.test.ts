import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { openJsonlAuditSink } from '../../activities/audit/jsonlSink.ts';
import { createOktaDirectory } from '../../activities/users/oktaDirectory.ts';
import { createJsonlAuditReader } from '../../activities/audit/reader.ts';
import { createApp } from '../../api/app.ts';
import { CONSOLE_CSP } from '../../api/console/headers.ts';
import { startFakeOkta } from '../support/fakeVendors.ts';
import { eventually, serveApp, startApi, startRiposte, type TestApi, testKey, testPolicy, type TestRiposte, uniqueAddress } from '../support/temporal.ts';

const CHROMIUM = '/usr/bin/chromium';
const FEED_TOKEN = 'feed-token-for-the-console-test-0123';
const SCREENSHOTS = join(import.meta.dirname, '../../docs/images');
const policy = testPolicy({
  playbooks: {
    'brute-force': { mode: 'approve', blockDuration: '1h', reviewWindow: '10m', notify: [] },
    'account-compromise': { mode: 'approve', approvalTimeout: '1h', reviewWindow: '10m', notify: [] },
  },
});
const ACCOUNT = 'ivy@example.org';
const responder = testKey('console-responder', 'responder');
const viewer = testKey('console-viewer', 'viewer');

/** Until `locator` shows, redraws the page from its own nav link (the console's router, never a reload). */
async function shownAfterNav(page: Page, nav: string, locator: Locator): Promise<void> {
  await eventually(`${nav} showing it`, async () => {
    await page.getByRole('link', { name: nav, exact: true }).click();
    return (await locator.isVisible()) || undefined;
  }, 20_000);
}

async function logIn(page: Page, api: TestApi, key: string): Promise<void> {
  await page.goto(`${api.url}/console/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: /^Pending approvals/ }).waitFor();
}

const alertFor = (api: TestApi, ip: string) => api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 });
const inFeed = async (api: TestApi, ip: string) => (await api.call('GET', `/v1/feeds/blocklist.txt?token=${FEED_TOKEN}`, undefined, {})).text.split('\n').includes(ip);

describe('the console in Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package` }, () => {
  let riposte: TestRiposte;
  let api: TestApi;
  let browser: Browser;
  let auditDir: string;
  let okta: Awaited<ReturnType<typeof startFakeOkta>>;
  before(async () => {
    auditDir = await mkdtemp(join(tmpdir(), 'riposte-console-'));
    const auditFile = join(auditDir, 'audit.jsonl');
    okta = await startFakeOkta([ACCOUNT]);
    const users = [createOktaDirectory({ orgUrl: okta.url, apiToken: okta.token })];
    riposte = await startRiposte({ policy, audit: await openJsonlAuditSink(auditFile), responders: { users } });
    api = await startApi(riposte, policy, { feedToken: FEED_TOKEN, keys: [responder.spec, viewer.spec], audit: createJsonlAuditReader(auditFile) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    await riposte?.stop();
    await okta?.close();
    if (auditDir) await rm(auditDir, { recursive: true, force: true });
  });

  test('a responder sees a pending incident arrive live, approves it, sees its block, and unblocks it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('response', (response) => {
      if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    });
    await logIn(page, api, responder.key);
    assert.match(await page.locator('#principal').innerText(), /console-responder \(responder\)/);

    const ip = uniqueAddress();
    const id = `brute-force:${ip}`;
    assert.equal((await alertFor(api, ip)).status, 202);
    const card = page.locator('article', { has: page.getByRole('heading', { name: id }) });
    await card.waitFor({ timeout: 60_000 });
    await card.getByText('0 of 1 approvals').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-approvals.png'), fullPage: true });

    await card.getByRole('button', { name: 'Approve' }).click();
    await page.locator('#status', { hasText: `Approve ${id}: done` }).waitFor();
    await eventually('the address in the feed', () => inFeed(api, ip) .then((found) => found || undefined), 20_000);

    const row = page.getByRole('row', { name: new RegExp(ip.replaceAll('.', '\\.')) });
    await shownAfterNav(page, 'Active blocks', row.getByRole('button', { name: `Unblock ${ip}` }));
    assert.match(await row.innerText(), /active/);
    await page.getByRole('table', { name: /^Disabled accounts \(0\)/ }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-blocks.png'), fullPage: true });
    await row.getByRole('button', { name: `Unblock ${ip}` }).click();
    await page.locator('#status', { hasText: `Unblock ${ip}: done` }).waitFor();
    await eventually('the feed without the address', async () => ((await inFeed(api, ip)) ? undefined : true), 20_000);

    await page.goto(`${api.url}/console/#/incidents/${encodeURIComponent(id)}`);
    await page.getByRole('heading', { name: id, level: 1 }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Open the workflow in the Temporal UI' }).getAttribute('href'), `http://temporal-ui.test/namespaces/default/workflows/${encodeURIComponent(id)}`);
    await page.getByLabel('Verdict', { exact: true }).selectOption('true_positive');
    await page.getByRole('button', { name: 'Record verdict' }).click();
    await page.getByText(/Verdict: true_positive by console-responder/).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'console-incident.png'), fullPage: true });

    const promotion = page.getByRole('table', { name: /Promotion report/ }).getByRole('row', { name: /brute-force/ });
    await shownAfterNav(page, 'Reports', promotion);
    assert.match(await promotion.innerText(), /approve\s+auto/);
    await page.locator('canvas').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-reports.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  test('a viewer gets no Approve button, and a POST with the cookie but without the CSRF token is refused', async () => {
    const ip = uniqueAddress();
    const id = `brute-force:${ip}`;
    assert.equal((await alertFor(api, ip)).status, 202);
    await eventually('awaiting approval', async () => ((await api.call('GET', `/v1/incidents/${id}`)).json?.status === 'awaiting_approval' || undefined));

    const listed = async (query: string) => (await api.call('GET', `/v1/incidents?${query}`)).json.incidents.some((i: { id: string }) => i.id === id);
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    assert.deepEqual(
      [await listed(`source=humio&since=${hourAgo}`), await listed('source=elastic'), await listed(`until=${hourAgo}`)],
      [true, false, false],
      'the incident list filters by source and by when the incident opened',
    );

    const context = await browser.newContext();
    const page = await context.newPage();
    await logIn(page, api, viewer.key);
    const card = page.locator('article', { has: page.getByRole('heading', { name: id }) });
    await card.waitFor();
    assert.equal(await card.getByRole('button', { name: 'Approve' }).count(), 0);
    await card.getByText('Your role can view, not approve.').waitFor();
    await page.getByRole('link', { name: 'Incidents', exact: true }).click();
    await page.getByLabel('Source').fill('humio');
    await page.getByLabel('Entity').fill(ip);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('row', { name: new RegExp(`${id.replaceAll('.', '\\.')}.*awaiting_approval`) }).waitFor();
    assert.match(page.url(), /#\/incidents\?entity=[^&]+&source=humio$/, 'the filters are in the hash: a filtered list can be linked to');
    await context.close();

    const responderContext = await browser.newContext();
    const responderPage = await responderContext.newPage();
    await logIn(responderPage, api, responder.key);
    const [cookie] = await responderContext.cookies();
    assert.equal(cookie!.name, 'riposte_session');
    assert.equal(cookie!.httpOnly, true);
    assert.equal(cookie!.sameSite, 'Strict');
    assert.ok(!cookie!.value.includes(responder.key));
    const forged = await api.call('POST', `/v1/incidents/${encodeURIComponent(id)}/approve`, {}, { cookie: `riposte_session=${cookie!.value}` });
    assert.equal(forged.status, 403);
    assert.equal(forged.json.error, 'csrf');
    assert.equal((await api.call('GET', `/v1/incidents/${id}`)).json.status, 'awaiting_approval');
    await responderContext.close();
  });

  test('every control has a name, and a responder logs in, moves between pages and approves with the keyboard alone', async () => {
    const ip = uniqueAddress();
    const id = `brute-force:${ip}`;
    assert.equal((await alertFor(api, ip)).status, 202);
    await eventually('awaiting approval', async () => ((await api.call('GET', `/v1/incidents/${id}`)).json?.status === 'awaiting_approval' || undefined));

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${api.url}/console/`);
    await page.getByLabel('API key').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'key', 'the login puts focus in the key field');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content', 'the first stop skips the header');
    await page.keyboard.press('Tab');
    await page.keyboard.type(responder.key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Pending approvals/ }).waitFor();

    // Tabs forward from the top until the Approve button of this incident's card has focus, as a keyboard user would.
    const focused = () => page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return { text: el?.textContent ?? '', card: el?.closest('article')?.querySelector('h2')?.textContent ?? '', outline: el ? getComputedStyle(el).outlineStyle : 'none' };
    });
    let stops = 0;
    let at = await focused();
    while (!(at.text === 'Approve' && at.card === id)) {
      assert.ok(++stops < 300, `the Approve button of ${id} is reachable by Tab (last stop: ${JSON.stringify(at)})`);
      await page.keyboard.press('Tab');
      at = await focused();
    }
    assert.notEqual(at.outline, 'none', 'the focused control shows its focus');
    await page.keyboard.press('Enter');
    await page.locator('#status', { hasText: `Approve ${id}: done` }).waitFor();

    for (const nav of ['Pending approvals', 'Incidents', 'Active blocks', 'Kill switch', 'Exceptions', 'Reports']) {
      await page.getByRole('link', { name: nav, exact: true }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: new RegExp(`^${nav}`) }).waitFor();
      // No named functions inside: tsx would wrap them in a helper the page does not have.
      const unnamed = await page.evaluate(() => [
        ...[...document.querySelectorAll('main a, main button, main input, main select, main textarea, main canvas')]
          .filter((el) => !(el.getAttribute('aria-label') ?? (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? '').trim())
          .map((el) => el.outerHTML.slice(0, 120)),
        ...[...document.querySelectorAll('main table')].filter((t) => !t.querySelector('caption')?.textContent?.trim()).map(() => 'a table without a caption'),
      ]);
      assert.deepEqual(unnamed, [], `every control on ${nav} has a name a screen reader can say`);
    }
    await context.close();
  });

  test('an account disabled after approval is listed with its incident, and leaves the list live once a false positive re-enables it', async () => {
    const id = `account-compromise:${ACCOUNT}`;
    assert.equal((await api.call('POST', '/v1/alerts', { id: 'idp-ivy-1', source: 'generic', type: 'account.compromise', severity: 9, user: ACCOUNT })).status, 202);
    await eventually('awaiting approval', async () => ((await api.call('GET', `/v1/incidents/${id}`)).json?.status === 'awaiting_approval' || undefined));
    const page = await browser.newPage();
    await logIn(page, api, responder.key);
    await page.locator('article', { has: page.getByRole('heading', { name: id }) }).getByRole('button', { name: 'Approve' }).click();
    await eventually('the account suspended', async () => (okta.statusOf(ACCOUNT) === 'SUSPENDED' ? true : undefined));

    const accounts = page.getByRole('table', { name: /^Disabled accounts/ });
    await shownAfterNav(page, 'Active blocks', accounts.getByRole('row', { name: new RegExp(ACCOUNT.replaceAll('.', '\\.')) }));
    assert.match(await accounts.getByRole('caption').innerText(), /^Disabled accounts \(1\)$/);
    await accounts.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: id, level: 1 }).waitFor();
    await page.getByLabel('Verdict', { exact: true }).selectOption('false_positive');
    await page.getByRole('button', { name: 'Record verdict' }).click();
    await page.getByText(/Verdict: false_positive by console-responder/).waitFor({ timeout: 15_000 });
    await eventually('the account re-enabled', async () => (okta.statusOf(ACCOUNT) === 'ACTIVE' ? true : undefined));

    await page.getByRole('link', { name: 'Active blocks', exact: true }).click();
    await page.getByRole('table', { name: /^Disabled accounts \(0\)$/ }).waitFor({ timeout: 15_000 });
    await page.close();
  });

  test('a responder adds and removes an exception, and sees the kill switch without its admin buttons', async () => {
    const page = await browser.newPage();
    await logIn(page, api, responder.key);
    const address = uniqueAddress();
    await page.getByRole('link', { name: 'Exceptions', exact: true }).click();
    await page.getByLabel('Value').fill(address);
    await page.getByLabel('Reason').fill('partner pentest');
    await page.getByLabel('For').fill('7d');
    await page.getByRole('button', { name: 'Add exception' }).click();
    const row = page.getByRole('row', { name: new RegExp(`${address.replaceAll('.', '\\.')}.*partner pentest.*console-responder`) });
    await row.waitFor();
    assert.equal((await api.call('GET', '/v1/exceptions')).json.exceptions.some((x: { value: string }) => x.value === address), true);
    await row.getByRole('button', { name: `Remove ${address}` }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await api.call('GET', '/v1/exceptions')).json.exceptions.some((x: { value: string }) => x.value === address), false);

    await page.getByRole('link', { name: 'Kill switch', exact: true }).click();
    await page.getByText('Only an admin key may pause, resume or reset.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Pause all' }).count(), 0);
    await page.close();
  });

  test('a login sets the session cookie with its flags, Secure behind HTTPS, and wrong keys meet the failure limit', async () => {
    const app = createApp({
      client: riposte.client, taskQueue: riposte.taskQueue, apiKeys: [responder.spec], maxBodyBytes: 64 * 1024, coalesceWindowMs: 5,
      policy: () => policy, blocklist: riposte.edl, links: {}, log: () => undefined,
      authFailureLimit: { failures: 3, windowMs: 60_000 }, trustProxy: ['loopback'],
    });
    const served = await serveApp(app);
    try {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const plain = await fetch(`${served.url}/console/login`, { method: 'POST', headers: form, body: `key=${responder.key}`, redirect: 'manual' });
      assert.equal(plain.status, 303);
      assert.equal(plain.headers.get('location'), '/console/');
      const cookie = plain.headers.get('set-cookie')!;
      assert.match(cookie, /^riposte_session=[^;]+; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
      const https = await fetch(`${served.url}/console/login`, { method: 'POST', headers: { ...form, 'x-forwarded-proto': 'https' }, body: `key=${responder.key}`, redirect: 'manual' });
      assert.match(https.headers.get('set-cookie')!, /; Secure; SameSite=Strict$/);
      const session = await served.call('GET', '/console/session', undefined, { cookie: cookie.split(';')[0]! });
      assert.deepEqual([session.json.signedIn, session.json.name, session.json.role], [true, 'console-responder', 'responder']);

      const wrong = () => served.call('POST', '/console/login', { key: 'not-a-key' }, {});
      for (let i = 0; i < 3; i++) assert.equal((await wrong()).status, 401);
      assert.equal((await wrong()).status, 429);
      assert.equal((await served.call('POST', '/console/login', { key: responder.key }, {})).status, 429, 'the right key waits too, as with the API');
    } finally {
      await served.close();
    }
  });

  test('every console response carries the strict CSP, and Chart.js comes from Riposte itself', async () => {
    const index = await api.call('GET', '/console/', undefined, {});
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.doesNotMatch(index.text, /https?:\/\//, 'no asset from another host');
    const chart = await api.call('GET', '/console/chart.umd.min.js', undefined, {});
    assert.equal(chart.status, 200);
    assert.match(chart.headers.get('content-type')!, /javascript/);
  });
});
