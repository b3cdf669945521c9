// End-to-end tests of the gridworker's phone app (手机端, /field) in headless Chromium emulating
// a phone (390×844, touch, a phone's user agent, geolocation set by the test), against the real
// server with the demo county: the service worker takes the page; offline, a report with a
// photo, a task verified and resolved on the spot with a photo, a patrol with its track and a
// check-in wait in the queue ("N 条待上传"), also across a reload with no network; back online
// the queue drains and the server holds each thing once, and replaying everything already sent
// changes nothing. The dispatcher's console shows the gridworker on patrol. An ended session
// asks for the password and the queue goes on. A second phone is refused while the account is
// bound to the first (人机格) and signs in once a dispatcher unbinds it. Screenshots in
// target/e2e/.
//
//   WANGGE_BIN=<server binary> node --test tests/e2e/field.test.mjs
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  DEMO_PASSWORD, OUT, apiSession, launchBrowser, loginForm, mapLoaded, newPage, startServer,
} from './support.mjs';

const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  locale: 'zh-CN',
  permissions: ['geolocation'],
};

let server;
let browser;
/** The county dispatcher's API session. */
let county;
/** The demo gridworker: its person id, a grid of its own and a point well inside it. */
let worker;
/** The first phone: its context and page, signed in as `gridworker`. */
let phone;
let page;
/** What the offline test made: the reported event (with its photo) and the gridworker's task. */
const made = {};
const shots = [];

async function shot(p, name) {
  const file = path.join(OUT, `${name}.png`);
  await p.screenshot({ path: file });
  shots.push(file);
}

async function api(method, url, body) {
  const r = await county.call(method, url, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${url}: HTTP ${r.status} ${r.text}`);
  return r.body;
}

/** A point `east` × 20 m east and `north` × 20 m north of the gridworker's base point. */
function step(east, north = 0) {
  const dLat = 20 / 111320;
  const dLon = dLat / Math.cos((worker.lat * Math.PI) / 180);
  return { longitude: worker.lon + east * dLon, latitude: worker.lat + north * dLat, accuracy: 8 };
}

/** A phone context at the gridworker's base point and a page in it (outside requests recorded). */
async function newPhone() {
  const context = await browser.newContext({ ...PHONE, geolocation: step(0) });
  const p = await context.newPage();
  p.errors = [];
  p.outside = [];
  p.on('pageerror', (e) => p.errors.push(String(e)));
  p.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(server.base) && !url.startsWith('data:') && !url.startsWith('blob:')) p.outside.push(url);
  });
  return { context, page: p };
}

/** Signs in at /field through its form; resolves to the text of the login error, if any. */
async function signInPhone(p) {
  await p.goto(`${server.base}/field`);
  await p.locator('#login-username').waitFor({ timeout: 60_000 });
  await p.fill('#login-username', 'gridworker');
  await p.fill('#login-password', DEMO_PASSWORD);
  await p.click('#login-submit');
  await p.waitForFunction(() => document.querySelector('#f-pending') || document.querySelector('#login-error')?.textContent, null, { timeout: 60_000 });
  return (await p.locator('#login-error').count()) ? p.locator('#login-error').textContent() : '';
}

const pending = (p) => p.locator('#f-pending').getAttribute('data-count').then(Number);

/** Waits until the item last settled was sent and is of `kind`, and nothing waits. */
async function waitSent(p, kind, timeout = 30_000) {
  await p.waitForFunction((k) => {
    const last = window.__wangge.field.lastSettled;
    return last && last.store === 'sent' && last.kind === k && document.querySelector('#f-pending')?.dataset.count === '0';
  }, kind, { timeout });
}

async function waitPending(p, n, timeout = 30_000) {
  await p.waitForFunction((want) => document.querySelector('#f-pending')?.dataset.count === String(want), n, { timeout });
}

/** A small real JPEG, drawn on a canvas in the page. */
async function jpeg(p) {
  const url = await p.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 96;
    c.height = 64;
    const g = c.getContext('2d');
    g.fillStyle = '#0b5cad';
    g.fillRect(0, 0, 96, 64);
    g.fillStyle = '#f5a623';
    g.fillRect(30, 20, 36, 24);
    return c.toDataURL('image/jpeg', 0.85);
  });
  return Buffer.from(url.split(',')[1], 'base64');
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  county = await apiSession(server.base, 'county');
  // The gridworker's person, found without signing it in (a sign-in would bind the device).
  const admin = await apiSession(server.base, 'sysadmin');
  const users = await admin.call('GET', '/api/v1/admin/users');
  const list = Array.isArray(users.body) ? users.body : users.body.items;
  const account = list.find((u) => u.username === 'gridworker');
  assert.ok(account && account.acting_as, `the demo gridworker acts as a person: ${users.text.slice(0, 200)}`);
  const person = await api('GET', `/api/v1/people/${encodeURIComponent(account.acting_as)}`);
  assert.ok(person.grids.length > 0, 'the demo gridworker has grids');
  const layer = await api('GET', '/api/v1/map/grids.geojson');
  const grid = layer.features.find((f) => f.properties.code === person.grids[0]);
  assert.ok(grid, `grid ${person.grids[0]} is on the map`);
  worker = { person: person.id, name: person.name, grid: grid.properties.code, lon: grid.properties.label_lon, lat: grid.properties.label_lat };
  console.log(`# server ${server.bin} at ${server.base}; gridworker ${worker.person} in grid ${worker.grid}`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  for (const f of shots) console.log(`# screenshot: ${f}`);
});

test('the phone app works offline: a report with a photo, actions on a task, a patrol and a check-in with a photo are queued, survive a reload and are sent once', { timeout: 180_000 }, async () => {
  // A task for the gridworker: a resident's report in its grid, assigned to it by the rule.
  const task = await api('POST', '/api/v1/reports', {
    report_id: `field-task-${Date.now()}`, category: 'livelihood', subcategory: '路灯损坏',
    description: '小区路灯不亮（手机端任务测试）', location: { lon: worker.lon, lat: worker.lat, crs: 'cgcs2000' },
    reporter: { kind: 'resident', name: '测试', phone: '13800000000' }, channel: 'phone',
  });
  assert.equal(task.holder && task.holder.id, worker.person, `the report is the gridworker's task: ${JSON.stringify(task.holder)}`);
  ({ context: phone, page } = await newPhone());
  // 1. Signed in on the phone; the service worker installs and controls the page.
  assert.equal(await signInPhone(page), '', 'the gridworker signs in');
  await page.waitForFunction(async () => {
    const reg = await navigator.serviceWorker.ready;
    return Boolean(reg.active && navigator.serviceWorker.controller);
  }, null, { timeout: 60_000 });
  await page.waitForFunction(() => window.__wangge?.field?.mapReady, null, { timeout: 60_000 });
  // Who is signed in, my grids and my tasks are in the worker's caches.
  await page.waitForFunction(() => window.__wangge.field.warmed, null, { timeout: 30_000 });
  await page.waitForFunction(() => /所在网格/.test(document.querySelector('#f-grid')?.textContent || ''), null, { timeout: 30_000 });
  assert.match(await page.locator('#f-grid').textContent(), new RegExp(worker.grid), 'the grid I stand in, found on the device');
  assert.match(await page.locator('#f-position').textContent(), /精度 ±8 米/, 'my position with its accuracy');
  await page.waitForFunction(() => /服务器定位/.test(document.querySelector('#f-server-grid')?.textContent || ''), null, { timeout: 30_000 });
  // The touch targets of the bottom bar are large enough for a thumb.
  const tab = await page.locator('#tab-report').boundingBox();
  assert.ok(tab.height >= 44 && tab.y > 844 / 2, `the tabs are at the bottom and tall: ${JSON.stringify(tab)}`);
  // Online, the report form shows the open events of the same category nearby.
  await page.click('#tab-report');
  await page.waitForFunction(() => /200 米内/.test(document.querySelector('#report-nearby')?.textContent || ''), null, { timeout: 30_000 });
  // My tasks (kept by the service worker for offline use), with their 1-3-5 countdown.
  await page.click('#tab-tasks');
  const taskItem = page.locator(`#tasks li[data-id="${task.event_id}"]`);
  await taskItem.waitFor({ timeout: 30_000 });
  assert.match(await taskItem.locator('.f-countdown').textContent(), /核实时限 (剩余|已超期) /);
  await shot(page, 'field-online');
  const photo = await jpeg(page);

  // 2. Offline: a report with a photo, a patrol with a track and a check-in.
  await phone.setOffline(true);
  await page.waitForFunction(() => document.querySelector('#f-online')?.textContent === '离线', null, { timeout: 10_000 });
  await page.click('#tab-report');
  await page.selectOption('#report-category', 'hazard');
  await page.selectOption('#report-subcategory', '燃气隐患');
  await page.fill('#report-description', '商户燃气软管老化，有轻微气味（手机端离线测试）');
  await page.setInputFiles('#report-photos', { name: 'scene.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page.click('#report-submit');
  await page.waitForFunction(() => /联网后自动上传/.test(document.querySelector('#report-result')?.textContent || ''), null, { timeout: 10_000 });
  await waitPending(page, 1);

  // The task, from the cache: verified, then resolved on the spot with a photo as evidence.
  await page.click('#tab-tasks');
  await taskItem.waitFor({ timeout: 30_000 });
  await taskItem.click();
  await page.click('#do-accept');
  await waitPending(page, 2);
  await page.fill('#task-text', '已联系供电所更换灯泡');
  await page.setInputFiles('#task-photos', { name: 'fixed.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page.click('#do-resolve');
  await waitPending(page, 3);

  await page.click('#tab-patrol');
  await page.click('#patrol-start');
  await page.waitForFunction(() => /巡查中.*轨迹 1 点/.test(document.querySelector('#patrol-status')?.textContent || ''), null, { timeout: 10_000 });
  for (let i = 1; i <= 4; i++) {
    await phone.setGeolocation(step(i, i % 2));
    await page.waitForFunction((n) => new RegExp(`轨迹 ${n} 点`).test(document.querySelector('#patrol-status')?.textContent || ''), i + 1, { timeout: 10_000 });
  }
  // A fix 3 m from the last one is thinned away on the device.
  await phone.setGeolocation({ ...step(4, 0), longitude: step(4, 0).longitude + 0.00001 });
  await page.waitForTimeout(500);
  assert.match(await page.locator('#patrol-status').textContent(), /轨迹 5 点/);
  await page.selectOption('#checkin-kind', 'shop');
  await page.fill('#checkin-note', '检查商户燃气');
  await page.setInputFiles('#checkin-photos', { name: 'shop.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page.click('#checkin-submit');
  await page.waitForFunction(() => /打卡 1 次/.test(document.querySelector('#patrol-status')?.textContent || ''), null, { timeout: 10_000 });
  await page.click('#patrol-end');
  // The month's screening of the first grid (矛盾纠纷排查), recorded although nothing was found.
  await page.selectOption('#screening-grid', worker.grid);
  await page.fill('#screening-found', '0');
  await page.fill('#screening-note', '本月走访未发现矛盾纠纷');
  await page.click('#screening-submit');
  await page.waitForFunction(() => /已记录/.test(document.querySelector('#screening-result')?.textContent || ''), null, { timeout: 10_000 });
  // The report, two actions on the task, the patrol's start, its track (one batch), the
  // check-in, the end and the screening.
  await waitPending(page, 8);
  assert.equal(await page.locator('#f-pending').textContent(), '8 条待上传');
  await shot(page, 'field-offline-queue');

  // 3. Reloaded with no network: the app opens from the service worker's cache, the queue is kept.
  await page.reload();
  await page.locator('#f-pending').waitFor({ timeout: 60_000 });
  await waitPending(page, 8);
  assert.equal(await page.locator('#f-online').textContent(), '离线');
  await page.waitForFunction(() => window.__wangge?.field?.mapReady, null, { timeout: 60_000 });

  // 4. Back online: the queue drains, in order, once.
  await phone.setOffline(false);
  await waitPending(page, 0, 60_000);
  const sent = await page.evaluate(() => window.__wangge.field.list('sent'));
  assert.deepEqual(sent.map((i) => i.kind), ['report', 'transition', 'transition', 'patrol_start', 'points', 'checkin', 'patrol_end', 'screening'], 'sent in the order made');
  const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  const board = await api('GET', `/api/v1/screenings?month=${month}&village=${worker.grid.slice(0, 12)}`);
  const screened = board.items.find((g) => g.grid === worker.grid);
  assert.ok(screened && screened.screening, `grid ${worker.grid} screened this month: ${JSON.stringify(screened)}`);
  assert.deepEqual([screened.screening.found, screened.screening.note, screened.screening.on_time], [0, '本月走访未发现矛盾纠纷', true]);
  assert.deepEqual(await page.evaluate(() => window.__wangge.field.list('failed')), [], 'nothing refused');
  const reportId = sent[0].id;
  const created = JSON.parse(sent[0].answer);
  const event = await api('GET', `/api/v1/events/${created.event_id}`);
  made.report = created.event_id;
  assert.equal(event.report_id, reportId, 'the event carries the client id');
  assert.equal(event.category, 'hazard');
  assert.equal(event.reporter.kind, 'gridworker');
  assert.equal(event.attachments.length, 1, 'one photo');
  assert.equal(event.attachments[0].content_type, 'image/jpeg');
  // The photo as stored: a JPEG the dispatcher can read.
  const stored = await fetch(`${server.base}${event.attachments[0].url}`, { headers: { cookie: county.cookie } });
  assert.equal(stored.status, 200);
  assert.equal(stored.headers.get('content-type'), 'image/jpeg');
  const sameReport = async () => {
    const list = await api('GET', `/api/v1/events?grid=${event.grid_code}&per_page=100`);
    return list.items.filter((e) => e.report_id === reportId).length;
  };
  assert.equal(await sameReport(), 1, 'exactly one event with that report id');
  // The demo county has its year of patrols: today's are this test's.
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const patrolsToday = () => api('GET', `/api/v1/patrols?person=${encodeURIComponent(worker.person)}&from=${today}`);
  const patrols = await patrolsToday();
  assert.equal(patrols.total, 1, 'exactly one patrol of the gridworker today');
  const patrol = patrols.items[0];
  assert.equal(patrol.id, sent[3].id, 'the patrol has the client id');
  assert.deepEqual([patrol.points, patrol.checkins, patrol.open], [5, 1, false], JSON.stringify(patrol));
  const walked = await api('GET', `/api/v1/patrols/${encodeURIComponent(patrol.id)}`);
  assert.equal(walked.visits.length, 1);
  assert.equal(walked.visits[0].note, '检查商户燃气');
  assert.equal(walked.visits[0].photos.length, 1, 'the check-in keeps its photo');
  const handled = await api('GET', `/api/v1/events/${task.event_id}`);
  made.task = task.event_id;
  const steps = await api('GET', `/api/v1/events/${task.event_id}/timeline`);
  assert.deepEqual(steps.entries.slice(-2).map((t) => t.action), ['accept', 'resolve_on_spot'], 'verified, then resolved on the spot');
  assert.equal(handled.attachments.length, 1, 'the evidence photo');
  assert.ok(handled.attachments[0].seq > 1, 'the evidence belongs to the transition');

  // 5. Everything sent is sent again (as after a lost answer): nothing changes on the server.
  const statuses = await page.evaluate(() => window.__wangge.field.replay());
  assert.equal(statuses.length, 8);
  assert.ok(statuses.every((s) => s >= 200 && s < 300), `replays answered: ${statuses}`);
  assert.equal(await sameReport(), 1, 'still one event');
  const again = await patrolsToday();
  assert.equal(again.total, 1, 'still one patrol');
  assert.deepEqual([again.items[0].points, again.items[0].checkins], [5, 1], 'no point or check-in twice');
  const boardAgain = await api('GET', `/api/v1/screenings?month=${month}&village=${worker.grid.slice(0, 12)}`);
  const screenedAgain = boardAgain.items.find((g) => g.grid === worker.grid).screening;
  assert.deepEqual([screenedAgain.at, screenedAgain.found], [screened.screening.at, 0], 'the screening replayed keeps its first time');
  assert.equal((await api('GET', `/api/v1/events/${created.event_id}`)).attachments.length, 1, 'still one photo');
  assert.equal((await api('GET', `/api/v1/patrols/${encodeURIComponent(patrol.id)}`)).visits[0].photos.length, 1, 'still one check-in photo');
  const stepsAgain = await api('GET', `/api/v1/events/${task.event_id}/timeline`);
  assert.equal(stepsAgain.entries.length, steps.entries.length, 'no action taken twice');
  assert.deepEqual(page.outside, [], 'nothing is loaded from outside the server');
  assert.deepEqual(page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e)), [], 'the app never panicked');
});

test('the dispatcher sees the gridworker on patrol on the console map', { timeout: 120_000 }, async () => {
  await page.click('#tab-patrol');
  await page.click('#patrol-start');
  await phone.setGeolocation(step(2, 2));
  await page.waitForFunction(() => /轨迹 2 点/.test(document.querySelector('#patrol-status')?.textContent || ''), null, { timeout: 10_000 });
  await page.click('#patrol-pause');
  await waitSent(page, 'points');
  const desk = await newPage(browser, server.base);
  await loginForm(desk, server.base, 'county', DEMO_PASSWORD, '?view=dispatch');
  await mapLoaded(desk);
  const item = desk.locator('#live-patrols li', { hasText: worker.name });
  await item.waitFor({ timeout: 30_000 });
  assert.match(await item.textContent(), /刚刚|分钟前/, 'the last point and its age');
  await desk.waitForFunction(() => window.__wangge.patrolsLive >= 1, null, { timeout: 30_000 });
  await shot(desk, 'console-live-patrols');
  await desk.context().close();
  await page.click('#patrol-end');
  await waitSent(page, 'patrol_end');
  const live = await api('GET', '/api/v1/patrols/live');
  const sentNow = await page.evaluate(() => window.__wangge.field.list('sent'));
  assert.equal(live.items.filter((p) => p.person_id === worker.person).length, 0,
    `an ended patrol leaves the map: ${JSON.stringify(live.items)} ${JSON.stringify(sentNow.slice(-4))}`);
});

test('the console shows the report’s photo, marks a duplicate and finds the phone’s binding', { timeout: 120_000 }, async () => {
  assert.ok(made.report && made.task, 'the offline test ran first');
  const desk = await newPage(browser, server.base);
  await loginForm(desk, server.base, 'county', DEMO_PASSWORD, '?view=dispatch');
  await mapLoaded(desk);
  // The event found by its id opens in the panel with its photo's thumbnail, loaded.
  await desk.fill('#search-q', made.report);
  await desk.press('#search-q', 'Enter');
  await desk.locator('#event-id', { hasText: made.report }).waitFor({ timeout: 30_000 });
  const thumb = desk.locator('#event-photos img');
  await thumb.waitFor({ timeout: 30_000 });
  assert.equal(await thumb.count(), 1);
  await desk.waitForFunction(() => document.querySelector('#event-photos img')?.naturalWidth > 0, null, { timeout: 30_000 });
  assert.match(await desk.locator('#event-photos a').getAttribute('href'), /^\/api\/v1\/attachments\/P[0-9a-f]+$/);
  // Marked a duplicate of the task's event: the link shows, and the original lists it.
  await desk.fill('#duplicate-input', made.task);
  await desk.click('#do-duplicate');
  await desk.locator('#duplicate-of', { hasText: made.task }).waitFor({ timeout: 30_000 });
  assert.deepEqual((await api('GET', `/api/v1/events/${made.task}`)).duplicates, [made.report]);
  await shot(desk, 'console-photo-duplicate');
  // Taken back through the API: the rest of the suite counts it as before.
  const back = await county.call('DELETE', `/api/v1/events/${made.report}/duplicate`);
  assert.equal(back.status, 204, back.text);
  // The gridworker's device binding, looked up in the console.
  await desk.click('#device-binding summary');
  await desk.fill('#device-username', 'gridworker');
  await desk.click('#device-look');
  await desk.locator('#device-status', { hasText: '已绑定' }).waitFor({ timeout: 30_000 });
  await desk.context().close();
});

test('an ended session asks for the password on the phone, and the queue goes on', { timeout: 60_000 }, async () => {
  // The session ends on the server (as after 30 idle minutes or a sign-out elsewhere).
  const out = await page.evaluate(async () => {
    const me = await (await fetch('/api/v1/auth/me')).json();
    return (await fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf_token } })).status;
  });
  assert.equal(out, 204);
  await page.click('#tab-report');
  await page.fill('#report-description', '路面塌陷，已设置警示（会话结束后上报）');
  await page.click('#report-submit');
  await page.locator('#f-relogin').waitFor({ timeout: 30_000 });
  assert.equal(await pending(page), 1, 'the report waits');
  await page.fill('#relogin-password', DEMO_PASSWORD);
  await page.click('#f-relogin button[type=submit]');
  await waitSent(page, 'report');
  assert.equal(await page.locator('#f-relogin').count(), 0, 'signed in again');
});

test('a second phone is refused while the account is bound to the first, signs in once unbound, and signs out', { timeout: 120_000 }, async () => {
  const bound = (await phone.cookies()).some((c) => c.name === 'wangge_device');
  const second = await newPhone();
  const refusal = await signInPhone(second.page);
  if (!bound) {
    console.log('# this server does not bind devices yet: the second phone signs in');
    assert.equal(refusal, '');
    await second.context.close();
    return;
  }
  const device = (await phone.cookies()).find((c) => c.name === 'wangge_device');
  assert.ok(device.httpOnly, 'the device cookie is HttpOnly');
  assert.match(refusal, /此账号已绑定其他设备，请联系调度员或管理员解除绑定/);
  await shot(second.page, 'field-device-refused');
  const r = await county.call('DELETE', '/api/v1/admin/users/gridworker/device');
  assert.ok(r.status >= 200 && r.status < 300, `unbinding: HTTP ${r.status} ${r.text}`);
  await second.page.fill('#login-password', DEMO_PASSWORD);
  await second.page.click('#login-submit');
  await second.page.locator('#f-pending').waitFor({ timeout: 30_000 });
  // Signing out starts a fresh page on the login form; nothing panics on the way.
  await second.page.click('#tab-map');
  await second.page.click('#f-logout');
  await second.page.locator('#login-form').waitFor({ timeout: 30_000 });
  const me = await second.page.request.get(`${server.base}/api/v1/auth/me`);
  assert.equal(me.status(), 401, 'signed out on the server');
  assert.deepEqual(second.page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e)), []);
  await second.context.close();
});
