// End-to-end tests of 考评 in headless Chromium against the real server with the demo county:
// the county leader opens the townships' league table of 2023 (17 townships ranked), a row's
// scorecard with its indicators, the events an indicator counted (one opens in the console) and
// the township's monthly trend; then the county's self-evaluation of 2023 (99, 优秀) with its
// downloads and print layout. The assessor sees the scheme editor and is shown the service's
// reason for a scheme that does not add up. Screenshots in target/e2e/.
//
//   WANGGE_BIN=<server binary> node --test tests/e2e/assessment.test.mjs
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD, OUT, launchBrowser, loginForm, newPage, startServer } from './support.mjs';

let server;
let browser;
const shots = [];

async function shot(p, name) {
  const file = path.join(OUT, `${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

/** No request left the machine and the app never panicked. */
function clean(page) {
  assert.deepEqual(page.outside, [], 'nothing is loaded from outside the server');
  assert.deepEqual(page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e)), [], 'the app never panicked');
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  console.log(`# server ${server.bin} at ${server.base}`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  for (const f of shots) console.log(`# screenshot: ${f}`);
});

test('考评: the townships of 2023 ranked, a scorecard with its records and trend, the self-evaluation 99 优秀', { timeout: 150_000 }, async () => {
  const page = await newPage(browser, server.base);
  await loginForm(page, server.base, 'leader', DEMO_PASSWORD);
  await page.click('#tab-assessment');
  await page.locator('#assessment-page').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#level-township.active').count(), 1, '乡镇 first');

  // The whole year 2023: the league table of the 17 townships, best first.
  await page.selectOption('#assessment-year', '2023');
  await page.selectOption('#assessment-part', '');
  const status = page.locator('#league-status[data-period="2023"]');
  await status.waitFor({ timeout: 60_000 });
  assert.match(await status.textContent(), /^实时/, 'not frozen: live');
  const rows = page.locator('#league-table tbody tr');
  assert.equal(await rows.count(), 17, 'the 17 townships');
  const ranks = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.rank))));
  assert.equal(ranks[0], 1);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `ranked: ${ranks}`);
  const table = await page.locator('#league-table').textContent();
  assert.ok(!/null|NaN|undefined/.test(table), 'no raw nulls in the table');
  assert.match(table, /无数据/, 'manual indicators not scored yet: 无数据, not 0');

  // The first row's scorecard: every indicator, rates as percentages, the events counted.
  const first = rows.first();
  const unit = await first.getAttribute('data-id');
  const name = (await first.locator('td').nth(1).textContent()).trim();
  await first.click();
  const card = page.locator(`#scorecard[data-unit="${unit}"]`);
  await card.waitFor({ timeout: 10_000 });
  assert.match(await card.locator('.panel-head').textContent(), new RegExp(name));
  assert.ok(await card.locator('tr[id^="scorecard-indicator-"]').count() >= 10, 'the township indicators');
  assert.match(await card.locator('#scorecard-indicator-T4 .measured').textContent(), /^\d+(\.\d+)?%$/, '办结率 as a percentage');
  assert.equal((await card.locator('#scorecard-indicator-T11 .points').textContent()).trim(), '无数据');
  await card.locator('#scorecard-records').waitFor({ timeout: 90_000 });
  const events = card.locator('#records-T1 [data-event]');
  assert.ok(await events.count() > 0, 'the valid events counted are listed');
  assert.match(await card.locator('#records-T1 summary').first().textContent(), /计入事件 \d+ 件/);
  assert.ok(await card.locator('#records-T10 [data-record]').count() > 0, 'the call-backs counted are listed');
  assert.match(await card.locator('#records-T9 .record-query').textContent(), /^\/api\/v1\/patrols\?/);

  // Its monthly trend, drawn here.
  await card.locator('#trend-open').click();
  await card.locator('#trend-svg').waitFor({ timeout: 90_000 });
  assert.equal(await card.locator('#trend-svg').getAttribute('data-points'), '12', 'a score for each month of 2023');
  assert.equal(await card.locator('#trend-svg circle').count(), 12);
  await shot(page, 'assessment-scorecard');

  // An event of the list opens in the console.
  await card.locator('#records-T1 summary').first().click();
  const eventId = await events.first().getAttribute('data-event');
  await events.first().click();
  await page.locator('#tab-dispatch.active').waitFor({ timeout: 10_000 });
  await page.locator('#event-panel:not(.hidden)', { hasText: eventId }).waitFor({ timeout: 30_000 });

  // The county's self-evaluation of 2023.
  await page.click('#tab-assessment');
  await page.click('#assessment-report');
  await page.selectOption('#self-evaluation-year', '2023');
  await page.locator('#self-evaluation-body[data-year="2023"]').waitFor({ timeout: 60_000 });
  assert.equal((await page.locator('#self-evaluation-total').textContent()).trim(), '99');
  assert.equal((await page.locator('#self-evaluation-grade').textContent()).trim(), '优秀');
  const report = await page.locator('#self-evaluation').textContent();
  for (const words of ['基本情况', '产出', '效益', '满意度', '99.33%', '3,387,426.30']) assert.ok(report.includes(words), words);
  assert.equal(await page.locator('#self-evaluation-bars rect.bar').count(), 4, 'a bar per section');
  const xlsx = await page.request.get(server.base + await page.locator('#self-evaluation-xlsx').getAttribute('href'));
  assert.equal(xlsx.status(), 200);
  assert.match(xlsx.headers()['content-type'], /spreadsheetml/);
  assert.match(await page.locator('#self-evaluation-docx').getAttribute('href'), /self-evaluation\.docx\?year=2023$/);
  await shot(page, 'assessment-self-evaluation');
  // Printed: the report alone.
  await page.emulateMedia({ media: 'print' });
  assert.ok(!(await page.locator('.topbar').isVisible()), 'no top bar in print');
  assert.ok(!(await page.locator('#self-evaluation-print').isVisible()), 'no buttons in print');
  assert.ok(await page.locator('#self-evaluation-total').isVisible());
  await page.emulateMedia({ media: 'screen' });
  clean(page);
});

test('考评管理: the assessor edits the scheme; one that does not add up is refused with its reason', { timeout: 60_000 }, async () => {
  const page = await newPage(browser, server.base);
  await loginForm(page, server.base, 'assessor', DEMO_PASSWORD);
  await page.locator('#assessment-page').waitFor({ timeout: 30_000 });
  await page.click('#assessment-tools');
  const editor = page.locator('#scheme-editor');
  await editor.locator('#scheme-version').waitFor({ timeout: 30_000 });
  assert.ok(await editor.locator('#scheme-indicators tbody tr').count() >= 30, 'every level’s indicators');
  assert.equal(await editor.locator('#scheme-C1-target').inputValue(), '95', 'a rate’s target as a percentage');
  // The townships' maxima no longer add up to 100: refused, with the reason beside the form.
  await editor.locator('#scheme-T1-max').fill('12');
  await editor.locator('#scheme-note').fill('调整有效事件数分值');
  await editor.locator('#scheme-save').click();
  await editor.locator('#scheme-error', { hasText: 'HTTP 422' }).waitFor({ timeout: 30_000 });
  assert.equal(await editor.locator('#scheme-version').getAttribute('data-version'), '0', 'nothing saved');
  await shot(page, 'assessment-scheme-editor');
  clean(page);
});
