// End-to-end tests of the registry (基础数据) in headless Chromium against the real server with
// the demo county: the county dispatcher finds a person by the exact ID number, sees it masked,
// reveals it (audited), re-verifies it, opens its grid's 家底 and the map's registry layers,
// is shown a bad ID number's problem beside its field, exports the list as XLSX and has an
// import refused row by row; on the phone the gridworker adds a person and re-verifies a record
// offline, and both reach the server once the network returns; a special-group officer finds a
// member in its queue and records a follow-up (走访). Screenshots in target/e2e/.
//
//   WANGGE_BIN=<server binary> node --test tests/e2e/registry.test.mjs
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD, OUT, apiSession, launchBrowser, loginForm, mapLoaded, newPage, startServer } from './support.mjs';

const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  locale: 'zh-CN',
};

/** A citizen ID number (GB 11643) from its first 17 digits: the ISO 7064 MOD 11-2 check character. */
function idNumber(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

/** The same number with a wrong check character (one digit mistyped). */
function mistyped(id) {
  return id.slice(0, 17) + (id[17] === '1' ? '2' : '1');
}

let server;
let browser;
let county;
/** A demo house (its village and grid) and the person this test registers in it. */
let house;
let person;
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

const text = (p, selector) => p.locator(selector).textContent();

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  county = await apiSession(server.base, 'county');
  const houses = await api('GET', '/api/v1/registry/houses?per_page=1');
  assert.ok(houses.total > 0, 'the demo registry has houses');
  house = houses.items[0];
  assert.ok(house.grid_code, `the demo house is in a grid: ${JSON.stringify(house)}`);
  const id = idNumber('13990119900307123');
  const created = await county.call('POST', '/api/v1/registry/people', {
    kind: 'registered', name: '测试居民甲', id_number: id, phone: '18012346486',
    village_code: house.village_code, house_id: house.id,
  });
  assert.equal(created.status, 201, created.text);
  person = { ...created.body, full_id: id };
  assert.match(person.id_number, /^1399\*{10}\d{3}[\dX]$/, 'answered masked');
  assert.equal(person.grid_code, house.grid_code, 'placed in its house’s grid');
  console.log(`# server ${server.bin} at ${server.base}; person ${person.id} in grid ${person.grid_code}`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  for (const f of shots) console.log(`# screenshot: ${f}`);
});

test('the console’s 基础数据: exact search, masked, revealed, verified, 家底, layers, a field’s problem, export and import', { timeout: 240_000 }, async () => {
  const page = await newPage(browser, server.base);
  await loginForm(page, server.base, 'county', DEMO_PASSWORD, '?view=registry');
  await mapLoaded(page);
  assert.match(await text(page, '#tab-registry'), /基础数据/);
  assert.equal(await page.locator('#tab-special').count(), 0, 'no special groups for a dispatcher');

  // The exact ID number finds the person; its personal fields are masked in the list.
  await page.fill('#registry-id-number', person.full_id);
  await page.click('#registry-id-search');
  // The county's first page may show the person too: the search's answer is the one of 1.
  await page.locator('#registry-total', { hasText: '共 1 条' }).waitFor({ timeout: 30_000 });
  const row = page.locator(`#registry-list tr[data-id="${person.id}"]`);
  assert.equal(await page.locator('#registry-list tbody tr').count(), 1, 'exactly one person');
  assert.equal(await row.count(), 1, 'the person registered');
  assert.equal(await row.locator('td[data-field=id_number]').textContent(), person.id_number);
  assert.equal(await row.locator('td[data-field=phone]').textContent(), '180****6486');
  assert.ok(!(await text(page, '#registry-list')).includes(person.full_id.slice(4, 14)), 'the full number is not in the list');

  // The record: masked, then revealed (the reveal is audited), then re-verified.
  await row.click();
  await page.locator('#record-facts').waitFor({ timeout: 30_000 });
  assert.equal(await text(page, '#value-id_number'), person.id_number);
  assert.equal(await text(page, '#value-kind'), '户籍人口', 'codes by their labels');
  await page.click('#reveal-field-id_number');
  await page.waitForFunction((id) => document.querySelector('#value-id_number')?.textContent === id, person.full_id, { timeout: 30_000 });
  const auditor = await apiSession(server.base, 'auditor');
  const reveals = `/api/v1/audit?action=reveal_personal_data&object=${encodeURIComponent(`registry:${person.id}`)}`;
  let audit = await auditor.call('GET', reveals);
  for (let i = 0; i < 20 && audit.status === 200 && audit.body.total === 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    audit = await auditor.call('GET', reveals);
  }
  assert.equal(audit.status, 200, audit.text);
  assert.equal(audit.body.total, 1, `the reveal is in the audit log once: ${audit.text.slice(0, 300)}`);
  await page.click('#record-verify');
  await page.locator('#record-status', { hasText: '已核实' }).waitFor({ timeout: 30_000 });
  const after = await api('GET', `/api/v1/registry/people/${person.id}`);
  assert.ok(Date.parse(after.verified_at) > Date.parse(person.verified_at), `re-verified: ${person.verified_at} → ${after.verified_at}`);

  // The grid's 家底: counts by kind, the collection rate, the special groups.
  await page.click('#record-grid');
  const card = page.locator(`#area-card[data-grid="${person.grid_code}"]`);
  await card.locator('[data-count=people]').waitFor({ timeout: 30_000 });
  const summary = await api('GET', `/api/v1/registry/summary?grid=${person.grid_code}`);
  assert.ok(summary.people >= 1 && summary.houses >= 1, JSON.stringify(summary));
  assert.equal(Number(await card.locator('[data-count=people]').textContent()), summary.people);
  assert.equal(Number(await card.locator('[data-count=houses]').textContent()), summary.houses);
  assert.match(await card.locator('.card-rate').textContent(), /信息采集率：\d+\.\d%/);

  // The map: the village's houses as points, the grids shaded by people per km².
  await page.check('#layer-houses');
  await page.waitForFunction(() => window.__wangge.registryPoints > 0, null, { timeout: 30_000 });
  await page.check('#layer-density');
  await page.waitForFunction(() => window.__wangge.choropleth > 0, null, { timeout: 30_000 });
  await shot(page, 'registry-console');

  // A new person with a mistyped ID number: the service's problem beside the field.
  await page.click('#registry-new');
  await page.locator('#record-form').waitFor({ timeout: 10_000 });
  assert.equal(await page.inputValue('#rf-village_code'), person.village_code, 'the village chosen is filled in');
  await page.selectOption('#rf-kind', 'registered');
  await page.fill('#rf-name', '测试居民乙');
  await page.fill('#rf-id_number', mistyped(idNumber('13990119900307124')));
  await page.click('#record-save');
  await page.locator('#problem-id_number', { hasText: '校验位' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('.rf-field.invalid').count(), 1, 'only the ID number is refused');
  await shot(page, 'registry-form-problem');

  // 导出Excel: the list as an XLSX download.
  const href = await page.getAttribute('#registry-export', 'href');
  assert.match(href, /format=xlsx/);
  const xlsx = await page.request.get(server.base + href);
  assert.equal(xlsx.status(), 200);
  assert.match(xlsx.headers()['content-type'], /spreadsheetml\.sheet/);
  assert.equal((await xlsx.body()).subarray(0, 2).toString(), 'PK', 'a zip (XLSX) file');

  // An import with a bad row: followed to the end, refused row by row, nothing stored.
  const good = idNumber('13990119900307131');
  const csv = `kind,name,id_number,village_code\nregistered,导入甲,${good},${person.village_code}\nregistered,导入乙,${mistyped(good)},${person.village_code}\n`;
  await page.click('#registry-import summary');
  await page.setInputFiles('#import-file', { name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('#import-submit');
  await page.locator('#import-status', { hasText: '未保存任何记录' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.getAttribute('#import-progress', 'value'), '2', 'both rows checked');
  assert.match(await page.locator('#import-problems tr:nth-child(2)').textContent(), /^3公民身份号码校验位不符/, 'row 3, its ID number, in Chinese');
  const found = await api('GET', `/api/v1/registry/people?id_number=${good}`);
  assert.equal(found.total, 0, 'nothing was imported');
  assert.deepEqual(page.outside, [], 'nothing is loaded from outside the server');
  assert.deepEqual(page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e)), [], 'the app never panicked');
  await page.context().close();
});

test('the phone adds a person and re-verifies a record offline; both are sent once online', { timeout: 180_000 }, async () => {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${server.base}/field`);
  await page.locator('#login-username').waitFor({ timeout: 60_000 });
  await page.fill('#login-username', 'gridworker');
  await page.fill('#login-password', DEMO_PASSWORD);
  await page.click('#login-submit');
  await page.click('#tab-registry', { timeout: 60_000 });
  const village = await page.inputValue('#rf-village_code');
  assert.match(village, /^\d{12}$/, 'my village is filled in');
  // The records of my village not re-verified in time, read while online.
  const stale = await api('GET', `/api/v1/registry/people?village=${village}&stale=true&per_page=1`);
  assert.ok(stale.total > 0, 'the demo village has records to re-verify');
  const first = page.locator('#f-reg-stale li').first();
  await first.waitFor({ timeout: 30_000 });
  const staleId = await first.getAttribute('data-id');

  await context.setOffline(true);
  await page.waitForFunction(() => document.querySelector('#f-online')?.textContent === '离线', null, { timeout: 10_000 });
  // A bad ID number is caught on the phone, before it is queued.
  const id = idNumber('13990119900307158');
  await page.selectOption('#rf-kind', 'floating');
  await page.fill('#rf-name', '手机新增居民');
  await page.fill('#rf-id_number', mistyped(id));
  await page.click('#f-reg-submit');
  await page.locator('#problem-id_number', { hasText: '校验位' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#f-pending').getAttribute('data-count'), '0', 'nothing queued');
  await page.fill('#rf-id_number', id);
  await page.selectOption('#rf-floating_reason', 'work');
  await page.click('#f-reg-submit');
  await page.locator('#f-reg-result', { hasText: '联网后自动上传' }).waitFor({ timeout: 10_000 });
  await first.locator('button').click();
  await page.waitForFunction(() => document.querySelector('#f-pending')?.dataset.count === '2', null, { timeout: 10_000 });
  await shot(page, 'registry-field-offline');

  await context.setOffline(false);
  await page.waitForFunction(() => document.querySelector('#f-pending')?.dataset.count === '0', null, { timeout: 60_000 });
  const sent = await page.evaluate(() => window.__wangge.field.list('sent'));
  assert.deepEqual(sent.map((i) => i.kind), ['registry_create', 'registry_verify']);
  assert.deepEqual(await page.evaluate(() => window.__wangge.field.list('failed')), [], 'nothing refused');
  const added = await api('GET', `/api/v1/registry/people?id_number=${id}`);
  assert.equal(added.total, 1, 'the person is registered once');
  assert.equal(added.items[0].village_code, village);
  assert.equal(added.items[0].floating_reason, 'work');
  const verified = await api('GET', `/api/v1/registry/people/${staleId}`);
  assert.ok(Date.now() - Date.parse(verified.verified_at) < 5 * 60_000, `re-verified just now: ${verified.verified_at}`);
  assert.deepEqual(page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e)), [], 'the app never panicked');
  await context.close();
});

test('a special-group officer finds a member in the queue and records a follow-up', { timeout: 120_000 }, async () => {
  // An officer's account: made by the system administrator, granted by the security administrator.
  const [first, password] = ['Huailai-Zhuan-2026', 'Huailai-Zhuan-2027'];
  const sysadmin = await apiSession(server.base, 'sysadmin');
  let r = await sysadmin.call('POST', '/api/v1/admin/users', { username: 'officer', display_name: '特殊人群专管员（测试）', password: first });
  assert.equal(r.status, 201, r.text);
  const secadmin = await apiSession(server.base, 'secadmin');
  r = await secadmin.call('PUT', '/api/v1/admin/users/officer/grant', { role: 'special_group_officer', jurisdiction: 'county' });
  assert.equal(r.status, 204, r.text);
  r = await (await apiSession(server.base, 'officer', first)).call('PUT', '/api/v1/auth/password', { current: first, new: password });
  assert.ok(r.status >= 200 && r.status < 300, `the first password is changed: ${r.status} ${r.text}`);
  const officer = await apiSession(server.base, 'officer', password);
  // The person registered above joins a group, followed up by its grid's gridworker.
  const workers = await api('GET', `/api/v1/people?role=gridworker&grid=${person.grid_code}`);
  assert.ok(workers.items.length > 0, 'the grid has a gridworker');
  r = await officer.call('POST', '/api/v1/registry/special_groups', {
    group: 'community_correction', person_id: person.id, responsible_person_id: workers.items[0].id, correction_type: 'probation',
  });
  assert.equal(r.status, 201, r.text);
  const member = r.body;

  const page = await newPage(browser, server.base);
  await loginForm(page, server.base, 'officer', password, '?view=special');
  await mapLoaded(page);
  await page.selectOption('#special-group', 'community_correction');
  const item = page.locator(`#special-list li[data-id="${member.id}"]`);
  await item.waitFor({ timeout: 30_000 });
  assert.match(await item.textContent(), /测试居民甲.*社区矫正人员/);
  await item.click();
  await page.locator('#special-panel .facts').waitFor({ timeout: 30_000 });
  assert.match(await text(page, '#special-panel .facts'), /矫正类别缓刑/, 'its record, codes by their labels');
  await page.fill('#followup-note', '已上门走访，情况稳定');
  await page.click('#followup-submit');
  await page.locator('#special-followups li', { hasText: '已上门走访，情况稳定' }).waitFor({ timeout: 30_000 });
  await shot(page, 'registry-special');
  const followed = await officer.call('GET', `/api/v1/registry/special_groups/${member.id}`);
  assert.equal(followed.body.followups.length, 1, 'one follow-up');
  assert.ok(followed.body.last_followup_at, 'the follow-up is the last one');
  assert.equal(followed.body.overdue, false);
  assert.deepEqual(page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e)), [], 'the app never panicked');
  await page.context().close();
});
