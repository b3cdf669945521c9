// End-to-end tests of the map in headless Chromium against the real server with the demo
// county: the grid layer renders, the hazard heatmap has data, a search flies to a grid, and a
// dispatcher escalates a new event and sees its timeline grow. Screenshots go to target/e2e/.
//
//   node --test tests/e2e/        (scripts/test.sh runs it after scripts/frontend.sh)
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { OUT, launchBrowser, measureBudget, newPage, openMap, settled, startServer } from './support.mjs';

let server;
let browser;
let page;
const shots = [];

async function shot(name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  shots.push(file);
}

async function api(method, url, body) {
  const r = await fetch(server.base + url, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${url}: HTTP ${r.status} ${text}`);
  return JSON.parse(text);
}

/** A point well inside a grid of the demo county: its label point. */
async function gridPoint(n) {
  const grids = await api('GET', '/api/v1/map/grids.geojson');
  const f = grids.features[n];
  return { code: f.properties.code, name: f.properties.name, lon: f.properties.label_lon, lat: f.properties.label_lat };
}

async function report(where, description) {
  return api('POST', '/api/v1/reports', {
    report_id: `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    category: 'hazard',
    subcategory: '燃气',
    description,
    location: { lon: where.lon, lat: where.lat, crs: 'cgcs2000' },
    reporter: { kind: 'resident', name: '测试', phone: '13800000000' },
    channel: 'web',
  });
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await newPage(browser, server.base);
  console.log(`# server ${server.bin} at ${server.base}`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  for (const f of shots) console.log(`# screenshot: ${f}`);
});

test('the map loads the grid layer and the dashboard its figures', { timeout: 120_000 }, async () => {
  const loaded = await openMap(page, server.base);
  assert.ok(loaded.grids > 1000, `grids loaded: ${loaded.grids}`);
  assert.ok(loaded.townships >= 17 && loaded.villages > 300, JSON.stringify(loaded));
  const rendered = await page.evaluate(() => window.__wangge.map.queryRenderedFeatures({ layers: ['grids-fill'] }).length);
  assert.ok(rendered > 0, 'grids-fill has rendered features');
  const labels = await page.evaluate(() => window.__wangge.map.queryRenderedFeatures({ layers: ['townships-label'] }).length);
  assert.ok(labels > 0, 'township labels are drawn (local fonts, no glyph server)');
  await page.waitForFunction(() => Number(document.querySelector('#kpi-reported')?.textContent) > 0, null, { timeout: 60_000 });
  const rows = await page.locator('#by-township tr').count();
  assert.ok(rows > 17, `township rows: ${rows}`);
  assert.equal(await page.evaluate(() => window.__wangge.map.getLayer('basemap')), undefined, 'no base map by default');
  await settled(page);
  await shot('dashboard');
  assert.deepEqual(page.outside, [], 'nothing is loaded from outside the server');
});

test('the hazard heatmap appears', { timeout: 60_000 }, async () => {
  await page.waitForFunction(() => window.__wangge.heatPoints > 0, null, { timeout: 30_000 });
  const both = await page.evaluate(() => window.__wangge.heatPoints);
  await page.evaluate(() => { window.__wangge.heatPoints = undefined; });
  await page.locator('#cat-dispute').uncheck();
  await page.waitForFunction(() => window.__wangge.heatPoints > 0, null, { timeout: 30_000 });
  await settled(page);
  const heat = await page.evaluate(() => {
    const m = window.__wangge.map;
    return {
      points: window.__wangge.heatPoints,
      visible: m.getLayoutProperty('heat-layer', 'visibility'),
      source: m.querySourceFeatures('heat').length,
    };
  });
  assert.equal(heat.visible, 'visible');
  assert.ok(heat.source > 0, `heat source features: ${heat.source}`);
  assert.ok(heat.points <= both, `hazard alone (${heat.points}) is at most hazards and disputes (${both})`);
  assert.ok(await page.locator('#heat-legend').isVisible(), 'the heatmap has its legend');
  await shot('heatmap');
});

test('grids shaded by density, and a township row fits the map to it', { timeout: 60_000 }, async () => {
  await page.selectOption('#shade', 'density');
  await page.waitForFunction(() => window.__wangge.choropleth > 1000, null, { timeout: 30_000 });
  const shaded = await page.evaluate(() => {
    const m = window.__wangge.map;
    return m.queryRenderedFeatures({ layers: ['grids-fill'] })
      .filter((f) => (m.getFeatureState({ source: 'grids', id: f.properties.code }).value ?? -1) > 0).length;
  });
  assert.ok(shaded > 0, 'some grids are shaded');
  const legend = page.locator('#shade-legend');
  await legend.waitFor({ state: 'visible', timeout: 10_000 });
  assert.match(await legend.textContent(), /\d+(\.\d)? 件\/km²/, 'the shading legend names its largest density');
  await page.selectOption('#shade', 'off');
  assert.ok(!(await legend.isVisible()), 'no legend without shading');
  const zoom = await page.evaluate(() => window.__wangge.map.getZoom());
  const row = page.locator('#by-township tr').nth(1);
  const name = (await row.locator('td').first().textContent()).trim();
  const code = await row.getAttribute('data-code');
  await row.click();
  await page.waitForFunction((z) => window.__wangge.map.getZoom() > z + 0.5, zoom, { timeout: 20_000 });
  await settled(page);
  const seen = await page.evaluate(() => {
    const m = window.__wangge.map;
    return m.queryRenderedFeatures({ layers: ['grids-fill'] }).map((f) => f.properties.township_code);
  });
  const inside = seen.filter((c) => c === code).length;
  assert.ok(inside > seen.length / 2, `the map shows ${name} (${code}): ${inside} of ${seen.length} grids in view are its`);
});

test('a search flies to a grid', { timeout: 60_000 }, async () => {
  const grid = await gridPoint(500);
  const before = await page.evaluate(() => ({ zoom: window.__wangge.map.getZoom() }));
  await page.fill('#search-q', grid.code);
  await page.press('#search-q', 'Enter');
  await page.waitForFunction((z) => window.__wangge.map.getZoom() > z + 2, before.zoom, { timeout: 20_000 });
  await settled(page);
  const after = await page.evaluate((code) => {
    const m = window.__wangge.map;
    const c = m.getCenter();
    const inside = m.queryRenderedFeatures(m.project(c), { layers: ['grids-fill'] }).map((f) => f.properties.code);
    return { zoom: m.getZoom(), center: [c.lng, c.lat], inside, highlighted: JSON.stringify(m.getFilter('grid-highlight')).includes(code) };
  }, grid.code);
  assert.ok(after.zoom > before.zoom + 2, `zoomed in from ${before.zoom} to ${after.zoom}`);
  assert.ok(after.highlighted, 'the grid is outlined');
  const d = Math.hypot(after.center[0] - grid.lon, after.center[1] - grid.lat);
  assert.ok(d < 0.05, `centre ${after.center} near the grid ${grid.lon},${grid.lat}`);
});

test('a click on the map shows the grid and its gridworker there', { timeout: 60_000 }, async () => {
  const box = await page.locator('#map canvas').boundingBox();
  const code = await page.evaluate(([x, y]) => {
    const f = window.__wangge.map.queryRenderedFeatures([x, y], { layers: ['grids-fill'] });
    return f.length ? f[0].properties.code : null;
  }, [box.width / 2, box.height / 2]);
  assert.ok(code, 'a grid under the centre of the map');
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction((c) => (document.querySelector('#locate-grid')?.textContent || '').includes(c), code, { timeout: 20_000 });
  const worker = await page.locator('#locate-gridworker').textContent();
  assert.notEqual(worker.trim(), '—', 'the grid has a gridworker');
  // 在此上报: a report at that point lands in that grid.
  await page.locator('.locate details.report summary').click();
  await page.fill('.locate textarea', '井盖缺失（地图上报测试）');
  await page.click('.locate form button[type=submit]');
  await page.waitForFunction(() => /已上报：E\d{8}-\d+/.test(document.querySelector('.locate .result')?.textContent || ''), null, { timeout: 20_000 });
  const text = await page.locator('.locate .result').textContent();
  const id = text.match(/E\d{8}-\d+/)[0];
  const event = await api('GET', `/api/v1/events/${id}`);
  assert.equal(event.grid_code, code, 'reported in the grid clicked');
  assert.equal(event.channel, 'web');
  await page.locator('.locate .panel-head .link').click();
});

test('a dispatcher escalates an event and sees the timeline change', { timeout: 120_000 }, async () => {
  const where = await gridPoint(100);
  const created = await report(where, '楼道里有燃气味（端到端测试）');
  assert.equal(created.state, 'assigned');
  await page.locator('button.tab', { hasText: '调度台' }).click();
  const item = page.locator(`#queue li[data-id="${created.event_id}"]`);
  await item.waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector('.live.on') !== null, null, { timeout: 30_000 });
  // A report made while the console is open arrives through the live stream.
  const live = await report(where, '路灯不亮（实时推送测试）');
  await page.locator(`#queue li[data-id="${live.event_id}"]`).waitFor({ timeout: 30_000 });

  await item.click();
  await page.waitForFunction((id) => document.querySelector('#event-id')?.textContent === id, created.event_id, { timeout: 30_000 });
  const rowsBefore = await page.locator('#timeline tr[data-action]').count();
  assert.ok(rowsBefore >= 1, `timeline rows before: ${rowsBefore}`);
  await page.fill('#action-text', '需要村里协调');
  await page.click('#do-escalate');
  await page.locator('#timeline tr[data-action="escalate"]').waitFor({ timeout: 30_000 });
  const rowsAfter = await page.locator('#timeline tr[data-action]').count();
  assert.equal(rowsAfter, rowsBefore + 1, 'one new timeline row');
  const lastRow = await page.locator('#timeline tr[data-action]').last().textContent();
  assert.match(lastRow, /需要村里协调/);
  const holder = await page.locator('#event-holder').textContent();
  assert.match(holder, /村/, `escalated one tier up, now with ${holder}`);
  const serverSide = await api('GET', `/api/v1/events/${created.event_id}/timeline`);
  assert.equal(serverSide.entries.at(-1).action, 'escalate');
  await settled(page);
  await shot('console');

  // A refused action is shown plainly (the server's problem+json detail).
  await page.fill('#action-text', '');
  await page.click('#do-return');
  await page.waitForFunction(() => /请求失败/.test(document.querySelector('#action-result')?.textContent || ''), null, { timeout: 20_000 });

  // Back to the dashboard: the console closes its stream and the app keeps running.
  await page.locator('button.tab', { hasText: '领导驾驶舱' }).click();
  await page.waitForFunction(() => Number(document.querySelector('#kpi-reported')?.textContent) > 0, null, { timeout: 30_000 });
  const crashes = page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e));
  assert.deepEqual(crashes, [], 'the app never panicked');
  assert.deepEqual(page.outside, [], 'nothing is loaded from outside the server');
});

test('a raster base map is used only when asked for', { timeout: 60_000 }, async () => {
  const p = await newPage(browser, server.base);
  const tiles = `${server.base}/basemap-test/{z}/{x}/{y}.png`;
  await p.goto(`${server.base}/?tiles=${encodeURIComponent(tiles)}`);
  await p.waitForFunction(() => window.__wangge?.map?.getLayer('basemap') !== undefined, null, { timeout: 30_000 });
  const url = await p.evaluate(() => window.__wangge.map.getSource('basemap').tiles[0]);
  assert.equal(url, tiles);
  await p.context().close();
});

test('budget: first idle with all grids (median of 5 loads) and the app wasm size', { timeout: 180_000 }, async () => {
  const b = await measureBudget(browser, server);
  assert.ok(b.wasmGzip <= 600 * 1024, `app wasm ${b.wasmGzip} bytes gzipped is over 600 KiB`);
});
