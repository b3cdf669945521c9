// End-to-end tests of call-backs and dispute mediation in headless Chromium against the real
// server with the demo county: the county dispatcher calls back a dispute event closed today and
// records 不满意 in two clicks (已接通, then the level), which reopens the event; then registers a
// dispute case for another event from the 纠纷台账, records its acceptance and the agreement,
// and is shown the service's reason for a move it refuses; the county leader's cockpit shows the
// five benefit indicators as the service counts them, each met or not. Screenshots in
// target/e2e/.
//
//   WANGGE_BIN=<server binary> node --test tests/e2e/disputes.test.mjs
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD, OUT, apiSession, launchBrowser, loginForm, newPage, startServer } from './support.mjs';

let server;
let browser;
let county;
/** Where the test's events are reported: a demo event's point. */
let where;
const shots = [];

async function shot(p, name) {
  const file = path.join(OUT, `${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

async function api(method, url, body) {
  const r = await county.call(method, url, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${url}: HTTP ${r.status} ${r.text}`);
  return r.body;
}

/** A dispute reported now at the demo event's point; answers its id. */
async function reportDispute(tag, description) {
  const event = await api('POST', '/api/v1/reports', {
    report_id: `e2e-disputes-${tag}-${Date.now()}`, category: 'dispute', description,
    location: where, reporter: { kind: 'resident', name: '王五', phone: '13987654321' }, channel: 'web',
  });
  return event.event_id;
}

/** Verified, handled and closed by the county centre: due a call-back (every dispute is). */
async function close(id) {
  for (const step of [{ action: 'accept' }, { action: 'handle', note: '双方已协商' }, { action: 'close', note: '已办结' }]) {
    await api('POST', `/api/v1/events/${id}/transitions`, step);
  }
  const e = await api('GET', `/api/v1/events/${id}`);
  assert.equal(e.state, 'closed', JSON.stringify(e));
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  county = await apiSession(server.base, 'county');
  const events = await api('GET', '/api/v1/events?category=dispute&per_page=1');
  assert.ok(events.items.length > 0, 'the demo county has dispute events');
  where = events.items[0].location;
  console.log(`# server ${server.bin} at ${server.base}`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  for (const f of shots) console.log(`# screenshot: ${f}`);
});

test('回访: 不满意 in two clicks reopens the event; 纠纷: a case registered, accepted and agreed', { timeout: 120_000 }, async () => {
  const called = await reportDispute('callback', '邻居装修噪音扰民，多次协商未果');
  await close(called);
  const page = await newPage(browser, server.base);
  await loginForm(page, server.base, 'county', DEMO_PASSWORD, '?view=callbacks');

  // The desk lists the closed dispute; 已接通, then 不满意.
  const row = page.locator(`#callback-desk #callback-list li[data-event-id="${called}"]`);
  await row.waitFor({ timeout: 30_000 });
  assert.match(await row.textContent(), /矛盾纠纷/);
  assert.match(await row.textContent(), /139\*{4}4321/, 'the reporter’s phone masked');
  await row.locator('.callback-note').fill('居民反映噪音仍在');
  await row.locator('button[data-reached="true"]').click();
  await row.locator('button[data-level="不满意"]').click();
  const done = page.locator(`#callback-done li[data-event-id="${called}"]`);
  await done.waitFor({ timeout: 30_000 });
  assert.equal(await done.getAttribute('data-level'), '不满意');
  assert.equal(await done.getAttribute('data-reopened'), 'true');
  assert.match(await done.textContent(), /已重新打开/);
  await row.waitFor({ state: 'detached', timeout: 10_000 });
  await shot(page, 'disputes-callback-desk');
  // The service reopened it, with the call-back on record.
  const reopened = await api('GET', `/api/v1/events/${called}`);
  assert.ok(!['closed', 'rated'].includes(reopened.state), `reopened: ${reopened.state}`);
  const followups = await api('GET', `/api/v1/events/${called}/followups`);
  const list = Array.isArray(followups) ? followups : followups.items;
  assert.equal(list.length, 1, JSON.stringify(followups));
  assert.equal(list[0].level, '不满意');

  // 纠纷台账: register a case for a new dispute event.
  const disputed = await reportDispute('case', '两户因宅基地界址发生争执');
  await page.click('#tab-disputes');
  await page.click('#dispute-new');
  await page.fill('#register-event', disputed);
  await page.selectOption('#register-kind', 'land');
  await page.fill('#register-summary', '两户因宅基地界址发生争执，要求村委会调解');
  await page.locator('.party .party-name').nth(0).fill('张三');
  await page.locator('.party .party-phone').nth(0).fill('13812345678');
  await page.locator('.party .party-name').nth(1).fill('李四');
  await page.click('#register-submit');
  const file = page.locator('#case-file');
  await file.locator('#case-stage[data-value="registered"]').waitFor({ timeout: 30_000 });
  const caseId = await file.getAttribute('data-id');
  assert.ok(caseId, 'the case file names its case');
  assert.ok(!(await file.locator('#case-parties').textContent()).includes('13812345678'), 'parties masked');

  // 受理 then 调解成功; the stage follows.
  await page.click('#move-accept');
  await page.selectOption('#move-body', 'peoples_mediation');
  await page.fill('#move-mediator', '赵调解');
  await page.fill('#move-method', '当面调解');
  await page.click('#move-submit');
  await file.locator('#case-stage[data-value="mediating"]').waitFor({ timeout: 30_000 });
  await page.click('#move-agree');
  await page.fill('#move-terms', '以原界桩为准，东户退让0.5米');
  await page.click('#move-submit');
  await file.locator('#case-stage[data-value="agreed"]').waitFor({ timeout: 30_000 });
  assert.equal((await file.locator('#case-stage').textContent()).trim(), '调解成功');
  assert.equal(await file.locator('#case-moves tr[data-tag="accept"]').count(), 1);
  assert.equal(await file.locator('#case-moves tr[data-tag="agree"]').count(), 1);

  // A move the service refuses (履行回访 without what was found) is shown with its reason.
  await page.click('#move-follow_up');
  await page.click('#move-submit');
  await page.locator('#move-error', { hasText: 'HTTP 422' }).waitFor({ timeout: 30_000 });
  assert.match(await page.locator('#move-error').textContent(), /note/);
  await shot(page, 'disputes-case-file');

  const stored = await api('GET', `/api/v1/disputes/${caseId}`);
  const c = stored.case || stored;
  assert.equal(c.stage, 'agreed', JSON.stringify(stored).slice(0, 400));
  assert.equal(c.event_id, disputed);
  assert.deepEqual(stored.moves.map((m) => m.action).filter((a) => a !== 'register'), ['accept', 'agree']);
  // The ledger lists it at its stage.
  await page.locator(`#dispute-list tr[data-id="${caseId}"][data-tag="agreed"]`).waitFor({ timeout: 30_000 });
  assert.deepEqual(page.outside, [], 'nothing is loaded from outside the server');
  assert.deepEqual(page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e)), [], 'the app never panicked');
});

test('领导驾驶舱: the five benefit indicators against their targets, as the service counts them', { timeout: 60_000 }, async () => {
  const page = await newPage(browser, server.base);
  await loginForm(page, server.base, 'leader', DEMO_PASSWORD);
  await page.locator('#indicators tr.indicator').first().waitFor({ timeout: 30_000 });
  // The cockpit's period: the demo year's start to today (the page's clock).
  const d = new Date();
  const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const leader = await apiSession(server.base, 'leader');
  const stats = (await leader.call('GET', `/api/v1/stats?from=2023-01-01&to=${today}`)).body;
  const targets = {
    screening: [stats.disputes.screening_rate, (r) => r > 0.97],
    mediated: [stats.disputes.mediated_rate, (r) => r >= 1],
    success: [stats.disputes.success_rate, (r) => r >= 0.95],
    petitions: [stats.petitions.resolved_rate, (r) => r >= 0.9],
    satisfaction: [stats.satisfaction.rate, (r) => r > 0.95],
  };
  for (const [slug, [rate, met]] of Object.entries(targets)) {
    const row = page.locator(`#indicator-${slug}`);
    const shown = (await row.locator('.indicator-value').textContent()).trim();
    const standing = await row.getAttribute('data-standing');
    if (rate === null) {
      assert.equal(shown, '无数据', `${slug}: a null rate is never a number`);
      assert.equal(standing, 'nodata');
    } else {
      assert.equal(shown, `${(rate * 100).toFixed(2)}%`, slug);
      assert.equal(standing, met(rate) ? 'met' : 'unmet', `${slug} at ${rate}`);
    }
  }
  assert.equal(Number(await page.locator('#kpi-beijing-province').textContent()), stats.petitions.to_beijing_or_province);
  assert.equal(Number(await page.locator('#kpi-public-safety').textContent()), stats.outcomes.public_safety_incidents);
  assert.equal(Number(await page.locator('#kpi-civil-criminal').textContent()), stats.outcomes.civil_to_criminal);
  assert.equal(await page.locator('#tab-callbacks').count(), 0, 'no call-back desk for a leader');
  assert.equal(await page.locator('#tab-disputes').count(), 1, 'the ledgers, to read');
  await page.locator('#indicators').screenshot({ path: path.join(OUT, 'disputes-indicators.png') });
  shots.push(path.join(OUT, 'disputes-indicators.png'));
});
