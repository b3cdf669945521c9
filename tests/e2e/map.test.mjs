// End-to-end tests of the map in headless Chromium against the real server with the demo
// county and its demo accounts: every test signs in through the login form first. The grid
// layer renders, the hazard heatmap has data, a search flies to a grid, a dispatcher escalates
// a new event and sees its timeline grow; a wrong password, a locked account, a township
// dispatcher's map, the audit administrator's page, logging out and a gridworker's views; a
// planner splits a grid and publishes it, a second planner's stale publish is refused,
// merging and dragging a shared vertex keep the draft clean, and a gridworker moved to a split's
// new grid is bound there once published.
// Screenshots go to target/e2e/.
//
//   node --test tests/e2e/        (scripts/test.sh runs it after scripts/frontend.sh)
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  DEMO_PASSWORD, OUT, apiSession, launchBrowser, loginForm, mapLoaded, measureBudget, newPage, settled, startServer, WASM_BUDGET_KIB,
} from './support.mjs';

let server;
let browser;
let page;
/** The county dispatcher's API session, for node's own calls. */
let county;
const shots = [];

async function shot(name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  shots.push(file);
}

/** A fresh page (its own cookies) signed in as `username` through the login form. */
async function signIn(username, query = '') {
  if (page) await page.context().close();
  page = await newPage(browser, server.base);
  await loginForm(page, server.base, username, DEMO_PASSWORD, query);
  await page.locator('#user-box').waitFor({ timeout: 60_000 });
}

/** Signs in as `username` and waits for the map with its boundaries. */
async function openAs(username, query = '') {
  await signIn(username, query);
  return mapLoaded(page);
}

async function api(method, url, body) {
  const r = await county.call(method, url, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${url}: HTTP ${r.status} ${r.text}`);
  return r.body;
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

/** Searches for a grid by code and waits for the map to fly there. */
async function searchGrid(grid) {
  const zoom = await page.evaluate(() => window.__wangge.map.getZoom());
  await page.fill('#search-q', grid.code);
  await page.press('#search-q', 'Enter');
  await page.waitForFunction((z) => window.__wangge.map.getZoom() > z + 2, zoom, { timeout: 20_000 });
  await settled(page);
  return zoom;
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  county = await apiSession(server.base, 'county');
  console.log(`# server ${server.bin} at ${server.base}`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  for (const f of shots) console.log(`# screenshot: ${f}`);
});

test('the map loads the grid layer and the dashboard its figures', { timeout: 120_000 }, async () => {
  const loaded = await openAs('leader');
  assert.match(await page.locator('#user-box').textContent(), /县领导/, 'the header names the role');
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

test('the hazard heatmap appears', { timeout: 120_000 }, async () => {
  await openAs('leader');
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

test('grids shaded by density, and a township row fits the map to it', { timeout: 120_000 }, async () => {
  await openAs('county');
  await page.waitForFunction(() => document.querySelectorAll('#by-township tr').length > 1, null, { timeout: 60_000 });
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

test('a search flies to a grid', { timeout: 120_000 }, async () => {
  await openAs('county');
  const grid = await gridPoint(500);
  const before = await searchGrid(grid);
  const after = await page.evaluate((code) => {
    const m = window.__wangge.map;
    const c = m.getCenter();
    const inside = m.queryRenderedFeatures(m.project(c), { layers: ['grids-fill'] }).map((f) => f.properties.code);
    return { zoom: m.getZoom(), center: [c.lng, c.lat], inside, highlighted: JSON.stringify(m.getFilter('grid-highlight')).includes(code) };
  }, grid.code);
  assert.ok(after.zoom > before + 2, `zoomed in from ${before} to ${after.zoom}`);
  assert.ok(after.highlighted, 'the grid is outlined');
  const d = Math.hypot(after.center[0] - grid.lon, after.center[1] - grid.lat);
  assert.ok(d < 0.05, `centre ${after.center} near the grid ${grid.lon},${grid.lat}`);
});

test('a click on the map shows the grid and its gridworker there', { timeout: 120_000 }, async () => {
  await openAs('county');
  await searchGrid(await gridPoint(500));
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

test('a dispatcher escalates an event and sees the timeline change', { timeout: 180_000 }, async () => {
  await openAs('county');
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
  // The reporter's phone comes masked; the full number only on request (audited).
  const masked = (await page.locator('#event-phone').textContent()).trim();
  assert.notEqual(masked, '13800000000', `the phone is masked: ${masked}`);
  assert.match(masked, /\*/, `the phone is masked: ${masked}`);
  await page.click('#reveal-phone');
  await page.waitForFunction(() => document.querySelector('#event-phone')?.textContent === '13800000000', null, { timeout: 20_000 });
  assert.match(await page.locator('#reveal-note').textContent(), /审计/);
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

test('a raster base map is used only when asked for', { timeout: 120_000 }, async () => {
  const tiles = `${server.base}/basemap-test/{z}/{x}/{y}.png`;
  await signIn('county', `?tiles=${encodeURIComponent(tiles)}`);
  await page.waitForFunction(() => window.__wangge?.map?.getLayer('basemap') !== undefined, null, { timeout: 30_000 });
  const url = await page.evaluate(() => window.__wangge.map.getSource('basemap').tiles[0]);
  assert.equal(url, tiles);
});

/**
 * A rural village of three to five grids (no street units) and its largest grid, from the
 * published layer; `skip` picks another village.
 */
async function planningGrid(skip = 0) {
  const grids = await api('GET', '/api/v1/map/grids.geojson');
  const byVillage = new Map();
  for (const f of grids.features) {
    const v = f.properties.village_code;
    if (!byVillage.has(v)) byVillage.set(v, []);
    byVillage.get(v).push(f);
  }
  const villages = [...byVillage.entries()]
    .filter(([, fs]) => fs.length >= 3 && fs.length <= 5 && fs.every((f) => f.properties.kind === 'rural'))
    .sort(([a], [b]) => a.localeCompare(b));
  const [village, fs] = villages[skip];
  const grid = [...fs].sort((a, b) => b.properties.area_km2 - a.properties.area_km2)[0];
  return { village, grid, codes: fs.map((f) => f.properties.code) };
}

/** Where the boundary of a (Multi)Polygon crosses the horizontal line at `lat`: sorted lons. */
function crossings(geometry, lat) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const xs = [];
  for (const ring of polys.flat()) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [[x0, y0], [x1, y1]] = [ring[i], ring[i + 1]];
      if ((y0 > lat) !== (y1 > lat)) xs.push(x0 + ((lat - y0) / (y1 - y0)) * (x1 - x0));
    }
  }
  return xs.sort((a, b) => a - b);
}

/**
 * A cut across a grid: a horizontal line, its ends just outside the grid, at a height where it
 * crosses the grid's boundary exactly twice, and a point inside the grid on each side of it.
 */
function cutAcross(geometry) {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => (typeof c[0] === 'number'
    ? ([w, s, e, n] = [Math.min(w, c[0]), Math.min(s, c[1]), Math.max(e, c[0]), Math.max(n, c[1])])
    : c.forEach(walk));
  walk(geometry.coordinates);
  const d = (n - s) * 0.08;
  for (const f of [0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65, 0.3, 0.7]) {
    const lat = s + (n - s) * f + 1e-7;
    const [at, above, below] = [crossings(geometry, lat), crossings(geometry, lat + d), crossings(geometry, lat - d)];
    if (at.length !== 2 || above.length !== 2 || below.length !== 2) continue;
    // Left of the first crossing and right of the second is outside the grid.
    const margin = (e - w) * 0.03;
    return {
      line: [[at[0] - margin, lat], [at[1] + margin, lat]],
      above: [(above[0] + above[1]) / 2, lat + d],
      below: [(below[0] + below[1]) / 2, lat - d],
    };
  }
  throw new Error('no horizontal cut crosses the grid exactly twice');
}

/** Opens 网格规划, chooses the village and starts editing it. */
async function startEditing(village) {
  await page.click('#tab-planning');
  await page.locator(`#village-select option[value="${village}"]`).waitFor({ state: 'attached', timeout: 30_000 });
  await page.fill('#village-search', village);
  await page.selectOption('#village-select', village);
  await page.locator('#draft-start:not([disabled])').waitFor({ timeout: 60_000 });
  await page.click('#draft-start');
  await page.waitForFunction(() => /已载入/.test(document.querySelector('#draft-message')?.textContent || ''), null, { timeout: 30_000 });
}

/** Clicks the map at a lon/lat. */
async function clickAt([lon, lat]) {
  const box = await page.locator('#map').boundingBox();
  const p = await page.evaluate((c) => {
    const q = window.__wangge.map.project(c);
    return { x: q.x, y: q.y };
  }, [lon, lat]);
  assert.ok(p.x > 0 && p.y > 0 && p.x < box.width && p.y < box.height, `${lon},${lat} is in view (${p.x}, ${p.y})`);
  await page.mouse.click(box.x + p.x, box.y + p.y);
}

/** Renames a grid of the draft in the properties form. */
async function rename(code, name) {
  await page.click(`#draft-grid-${code}`);
  await page.locator('#grid-props').waitFor();
  await page.fill('#prop-name', name);
  await page.click('#props-apply');
  await page.waitForFunction((n) => [...document.querySelectorAll('#draft-grids td')].some((td) => td.textContent === n), name, { timeout: 10_000 });
}

async function publish(note) {
  await page.fill('#publish-note', note);
  await page.click('#draft-publish');
  await page.waitForFunction(() => document.querySelector('#publish-result, #publish-conflict, #publish-error, #draft-error:not(:empty)'), null, { timeout: 60_000 });
}

// Before the lock test below, which locks the planner's account.
test('a planner splits a grid along a drawn line, checks and publishes it', { timeout: 300_000 }, async () => {
  const { village, grid } = await planningGrid(0);
  const code = grid.properties.code;
  const cut = cutAcross(grid.geometry);
  await openAs('planner');
  assert.match(await page.locator('#tab-planning').textContent(), /网格规划/);
  await startEditing(village);
  const drawn = await page.evaluate(() => window.__wangge.editor.draft.features.length);
  assert.ok(drawn >= 3, `the draft's grids are drawn: ${drawn}`);
  // Select the grid (the map fits to it), then draw the line across it and finish.
  await page.click(`#draft-grid-${code}`);
  await settled(page);
  await page.click('#tool-split');
  for (const p of cut.line) await clickAt(p);
  await page.click('#split-done');
  await page.waitForFunction(() => /已拆分/.test(document.querySelector('#draft-message')?.textContent || ''), null, { timeout: 30_000 });
  const message = await page.locator('#draft-message').textContent();
  const added = message.match(/新网格 (\d{15})/)[1];
  assert.ok(added.startsWith(village), `the new grid ${added} is numbered in the village`);
  assert.equal(await page.locator(`#draft-grid-${added}`).count(), 1, 'the new grid is listed');
  assert.match(await page.locator(`#draft-grid-${added}`).textContent(), /（拆分）/);
  // Undo and redo go through the snapshots.
  await page.click('#draft-undo');
  assert.equal(await page.locator(`#draft-grid-${added}`).count(), 0, 'undone');
  await page.keyboard.press('Control+y');
  await page.locator(`#draft-grid-${added}`).waitFor({ timeout: 5_000 });
  // 校验: publishable (warnings at most), impact listed, old boundaries drawn dashed.
  await page.click('#draft-check');
  await page.locator('#check-result').waitFor({ timeout: 60_000 });
  const problems = await page.locator('#check-problems li').allTextContents();
  const errors = await page.locator('#check-problems li[data-severity=error]').count();
  assert.equal(errors, 0, `no errors: ${problems.join(' | ')}`);
  assert.equal(await page.locator('#check-result').getAttribute('data-publishable'), 'true');
  assert.match(await page.locator('#impact-added').textContent(), new RegExp(added));
  const old = await page.evaluate(() => window.__wangge.editor.oldCount);
  assert.ok(old >= 3, 'the old boundaries are drawn');
  if (problems.length > 0) {
    await page.locator('#check-problems li').first().click();
    await page.waitForFunction(() => window.__wangge.problemShown > 0, null, { timeout: 5_000 });
  }
  await settled(page);
  await shot('editor');
  // 发布 with a note: the new generation is shown.
  await publish('端到端测试：拆分网格');
  assert.match(await page.locator('#publish-result').textContent(), /发布成功：新版本 \d+/);
  // Each side of the line is now a different grid of the village, one of them the new one.
  const planner = await apiSession(server.base, 'planner');
  const at = async ([lon, lat]) => {
    const r = await planner.call('GET', `/api/v1/locate?lon=${lon}&lat=${lat}`);
    assert.equal(r.status, 200, r.text);
    return r.body.grid.code;
  };
  const [up, down] = [await at(cut.above), await at(cut.below)];
  assert.notEqual(up, down, `the two sides are different grids (${up}, ${down})`);
  assert.ok(up.startsWith(village) && down.startsWith(village), `both in the village: ${up}, ${down}`);
  assert.ok([up, down].includes(added) && [up, down].includes(code), `the old ${code} and the new ${added}: ${up}, ${down}`);
  // (The signed-out page's first `GET /api/v1/auth/me` answers 401: not an error of the editor.)
  assert.deepEqual(page.errors.filter((e) => !/status of 401/.test(e)), [], 'no errors on the page');
});

test('a planner publishing a village someone else published meanwhile is told so and reloads', { timeout: 300_000 }, async () => {
  const { village, codes } = await planningGrid(1);
  await openAs('planner');
  await startEditing(village);
  const first = page;
  page = null;
  await openAs('planner');
  await startEditing(village);
  const second = page;
  // The first planner publishes a renamed grid.
  page = first;
  await rename(codes[0], '第一位规划员改名网格');
  await publish('端到端测试：先发布');
  assert.match(await page.locator('#publish-result').textContent(), /发布成功/);
  await first.context().close();
  // The second, on the old base, is refused: the conflict and 重新载入.
  page = second;
  await rename(codes[1], '第二位规划员改名网格');
  await publish('端到端测试：后发布');
  assert.equal(await page.locator('#publish-conflict').count(), 1, await page.locator('#draft-publish ~ *, .side').first().textContent());
  assert.match(await page.locator('#publish-conflict').textContent(), /发布冲突/);
  await page.click('#draft-reload');
  await page.waitForFunction(() => /已载入/.test(document.querySelector('#draft-message')?.textContent || '') && !document.querySelector('#publish-conflict'), null, { timeout: 30_000 });
  assert.match(await page.locator('#draft-grids').textContent(), /第一位规划员改名网格/, 'the reloaded draft has the first planner\'s change');
});

/** The two grids of a list sharing the most vertices, with one vertex inside both (not on a third). */
function adjacentPair(features) {
  const keys = (f) => new Set(f.geometry.coordinates.flat(2).map((c) => `${c[0]},${c[1]}`));
  let best = null;
  for (let i = 0; i < features.length; i++) {
    for (let j = i + 1; j < features.length; j++) {
      const [a, b] = [keys(features[i]), keys(features[j])];
      const others = features.filter((_, k) => k !== i && k !== j).map(keys);
      const shared = [...a].filter((k) => b.has(k));
      const only = shared.filter((k) => others.every((o) => !o.has(k)));
      if (!best || shared.length > best.shared) best = { a: features[i], b: features[j], shared: shared.length, only };
    }
  }
  // A vertex in the middle of the shared boundary (its ends may lie on the village's edge).
  const vertex = best.only[Math.floor(best.only.length / 2)].split(',').map(Number);
  return { a: best.a.properties.code, b: best.b.properties.code, vertex };
}

/** The coordinates of a draft grid in the page, as "lon,lat" keys. */
async function draftVertices(code) {
  return page.evaluate((c) => {
    const f = window.__wangge.editor.draft.features.find((g) => g.properties.code === c);
    return f ? f.geometry.coordinates.flat(2).map((p) => `${p[0]},${p[1]}`) : null;
  }, code);
}

async function checkErrors() {
  await page.click('#draft-check');
  await page.locator('#check-result').waitFor({ timeout: 60_000 });
  return page.locator('#check-problems li[data-severity=error]').allTextContents();
}

test('a planner merges two grids and drags a shared vertex: both grids follow', { timeout: 300_000 }, async () => {
  const { village } = await planningGrid(2);
  await openAs('planner');
  await startEditing(village);
  const features = await page.evaluate(() => window.__wangge.editor.draft.features);
  const { a, b, vertex } = adjacentPair(features);
  // 合并: the shared edges dissolve into one polygon, and the draft checks clean.
  await page.click('#tool-merge');
  await page.click(`#draft-grid-${a}`);
  await page.click(`#draft-grid-${b}`);
  assert.equal(await page.locator('#merge-second').textContent(), b);
  await page.click('#merge-confirm');
  await page.waitForFunction(() => /已合并/.test(document.querySelector('#draft-message')?.textContent || ''), null, { timeout: 10_000 });
  assert.equal(await page.locator(`#draft-grid-${b}`).count(), 0, 'the second grid is gone');
  const parts = await page.evaluate((c) => window.__wangge.editor.draft.features.find((g) => g.properties.code === c).geometry.coordinates.length, a);
  assert.equal(parts, 1, 'one polygon, the shared boundary dissolved');
  assert.deepEqual(await checkErrors(), [], 'the merged draft has no errors');
  assert.match(await page.locator('#impact-removed').textContent(), new RegExp(b));
  // 撤销 (Ctrl+Z) brings both back.
  await page.keyboard.press('Control+z');
  await page.locator(`#draft-grid-${b}`).waitFor({ timeout: 5_000 });
  // 编辑顶点: drag a vertex the two grids share; both hold the new coordinate, none the old.
  await page.click('#tool-select');
  await page.click(`#draft-grid-${a}`);
  await settled(page);
  await page.click('#tool-vertex');
  await settled(page);
  const box = await page.locator('#map').boundingBox();
  const from = await page.evaluate((c) => { const q = window.__wangge.map.project(c); return { x: q.x, y: q.y }; }, vertex);
  await page.mouse.move(box.x + from.x, box.y + from.y);
  await page.mouse.down();
  await page.mouse.move(box.x + from.x + 6, box.y + from.y + 4, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => window.__wangge.editor.drag === null, null, { timeout: 5_000 });
  const old = `${vertex[0]},${vertex[1]}`;
  const [va, vb] = [await draftVertices(a), await draftVertices(b)];
  assert.ok(!va.includes(old) && !vb.includes(old), 'the old coordinate is gone from both grids');
  const before = new Set(features.flatMap((f) => f.geometry.coordinates.flat(2).map((p) => `${p[0]},${p[1]}`)));
  const moved = va.filter((k) => vb.includes(k) && !before.has(k));
  assert.ok(moved.length >= 1, 'both grids hold the same new vertex');
  assert.ok(await page.locator('#draft-undo:not([disabled])').count(), 'the drag can be undone');
  assert.deepEqual(await checkErrors(), [], 'no gap or overlap after the drag');
  await settled(page);
  await shot('editor-vertex');
});

/** Chooses a file `name` holding `text` in the editor's 导入文件 input: the note and the error after it. */
async function importFile(name, text) {
  await page.setInputFiles('#import-file', { name, mimeType: 'application/geo+json', buffer: Buffer.from(text) });
  await page.waitForFunction(() => /已导入/.test(document.querySelector('#draft-message')?.textContent || '')
    || /导入失败/.test(document.querySelector('#draft-error')?.textContent || ''), null, { timeout: 30_000 });
  return { note: await page.locator('#draft-message').textContent(), error: await page.locator('#draft-error').textContent() };
}

test('a planner imports a GeoJSON file into the draft, undoes it, and a projected file is refused with the reason', { timeout: 300_000 }, async () => {
  const { village, codes } = await planningGrid(3);
  await openAs('planner');
  await startEditing(village);
  // The village's draft as the service exports it, with this page's session.
  const grids = await page.evaluate(async (v) => {
    const r = await fetch(`/api/v1/drafts/base?village=${v}`, { credentials: 'same-origin' });
    if (!r.ok) throw new Error(`base: HTTP ${r.status}`);
    return (await r.json()).grids;
  }, village);
  assert.equal(grids.features.length, codes.length);
  // A renamed grid first: the import replaces it, and one undo brings it back.
  await rename(codes[0], '导入前改名网格');
  const { note, error } = await importFile('draft.geojson', JSON.stringify(grids));
  assert.equal(error, '', 'no error');
  assert.match(note, new RegExp(`已导入 ${codes.length} 个网格（坐标系 EPSG:4490）`));
  assert.equal(await page.evaluate(() => window.__wangge.editor.draft.features.length), codes.length, 'the map shows the imported grids');
  assert.doesNotMatch(await page.locator('#draft-grids').textContent(), /导入前改名网格/, 'the imported grids replaced the draft\'s');
  for (const c of codes) assert.equal(await page.locator(`#draft-grid-${c}`).count(), 1, `${c} is listed`);
  assert.deepEqual(await checkErrors(), [], 'the imported draft has no errors');
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => /导入前改名网格/.test(document.querySelector('#draft-grids')?.textContent || ''), null, { timeout: 5_000 });
  await page.keyboard.press('Control+y');
  await page.waitForFunction(() => !/导入前改名网格/.test(document.querySelector('#draft-grids')?.textContent || ''), null, { timeout: 5_000 });
  // A file in a projected system (Web Mercator) is refused with the service's reason; the draft stays.
  const projected = { ...grids, crs: { type: 'name', properties: { name: 'EPSG:3857' } } };
  const refused = await importFile('projected.geojson', JSON.stringify(projected));
  assert.match(refused.error, /导入失败/);
  assert.match(refused.error, /3857/);
  assert.equal(await page.evaluate(() => window.__wangge.editor.draft.features.length), codes.length, 'the draft is unchanged');
  assert.deepEqual(page.errors.filter((e) => !/status of (401|422)/.test(e)), [], 'no errors on the page');
});

/** The ids on the gridworker chips of the selected grid's panel. */
async function chips() {
  return page.locator('#gridworker-chips .chip').evaluateAll((cs) => cs.map((c) => c.dataset.id));
}

test('a planner splits a grid and moves a bound gridworker to the new grid, and the publication binds it there', { timeout: 300_000 }, async () => {
  // A village whose largest grid has a gridworker bound (from 4 on: the ones before are used above).
  const planner = await apiSession(server.base, 'planner');
  let chosen = null;
  for (let skip = 4; !chosen; skip++) {
    const { village, grid } = await planningGrid(skip);
    const r = await planner.call('GET', `/api/v1/drafts/base?village=${village}`);
    assert.equal(r.status, 200, r.text);
    const f = r.body.grids.features.find((g) => g.properties.code === grid.properties.code);
    if (f.properties.gridworkers.length > 0) chosen = { village, grid };
  }
  const { village, grid } = chosen;
  const code = grid.properties.code;
  await openAs('planner');
  await startEditing(village);
  // The grid's bound gridworkers, as its panel shows them.
  await page.click(`#draft-grid-${code}`);
  await page.locator('#grid-gridworkers').waitFor();
  const bound = await chips();
  assert.ok(bound.length >= 1, `the grid shows its gridworkers: ${bound}`);
  const person = bound[0];
  // Split it: the new grid starts with none.
  await settled(page);
  await page.click('#tool-split');
  for (const p of cutAcross(grid.geometry).line) await clickAt(p);
  await page.click('#split-done');
  await page.waitForFunction(() => /已拆分/.test(document.querySelector('#draft-message')?.textContent || ''), null, { timeout: 30_000 });
  const added = (await page.locator('#draft-message').textContent()).match(/新网格 (\d{15})/)[1];
  await page.click(`#draft-grid-${added}`);
  assert.deepEqual(await chips(), [], 'the new grid has no gridworker yet');
  // 添加 the person to the new grid (trimmed, once only), then remove it from the old one.
  await page.fill('#gridworker-id', `  ${person} `);
  await page.click('#gridworker-add');
  assert.deepEqual(await chips(), [person]);
  await page.fill('#gridworker-id', person);
  await page.click('#gridworker-add');
  assert.deepEqual(await chips(), [person], 'no duplicate');
  assert.match(await page.locator('#draft-error').textContent(), /已绑定/);
  await page.click(`#draft-grid-${code}`);
  await page.locator(`#gridworker-chips .chip[data-id="${person}"] .chip-remove`).click();
  assert.deepEqual(await chips(), bound.slice(1), 'removed from the old grid');
  // Undone and redone like every other edit.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Control+z');
  assert.deepEqual(await chips(), bound, 'undone');
  await page.keyboard.press('Control+y');
  assert.deepEqual(await chips(), bound.slice(1), 'redone');
  // 校验: the binding added and the one dropped.
  assert.deepEqual(await checkErrors(), [], 'no errors');
  const [addedBindings, dropped] = [await page.locator('#impact-bindings-added').textContent(), await page.locator('#impact-bindings').textContent()];
  assert.ok(Number(addedBindings) >= 1, `bindings added: ${addedBindings}`);
  assert.ok(Number(dropped) >= 1, `bindings dropped: ${dropped}`);
  await publish('端到端测试：网格员随拆分调整');
  assert.match(await page.locator('#publish-result').textContent(), /发布成功/);
  // The published base binds the person to the new grid, not to the old.
  const grids = await page.evaluate(async (v) => {
    const r = await fetch(`/api/v1/drafts/base?village=${v}`, { credentials: 'same-origin' });
    if (!r.ok) throw new Error(`base: HTTP ${r.status}`);
    return (await r.json()).grids;
  }, village);
  const of = (c) => grids.features.find((f) => f.properties.code === c).properties.gridworkers;
  assert.ok(of(added).includes(person), `${person} is bound to the new grid ${added}: ${of(added)}`);
  assert.ok(!of(code).includes(person), `${person} is no longer bound to ${code}: ${of(code)}`);
  assert.deepEqual(page.errors.filter((e) => !/status of 401/.test(e)), [], 'no errors on the page');
});

test('a wrong password shows the error and no app', { timeout: 60_000 }, async () => {
  if (page) await page.context().close();
  page = await newPage(browser, server.base);
  await loginForm(page, server.base, 'county', 'not-the-password');
  const error = page.locator('#login-error');
  await page.waitForFunction(() => (document.querySelector('#login-error')?.textContent || '').length > 0, null, { timeout: 30_000 });
  assert.match(await error.textContent(), /用户名或密码错误/);
  assert.equal(await page.locator('#map').count(), 0, 'no map');
  assert.equal(await page.locator('#user-box').count(), 0, 'no app');
  assert.equal(await page.inputValue('#login-password'), '', 'the password is cleared');
  await shot('login');
});

test('a locked account is told so, with the time it opens again', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${server.base}/api/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'planner', password: `wrong-${i}` }),
    });
    assert.ok([401, 423].includes(r.status), `wrong password ${i}: HTTP ${r.status}`);
  }
  if (page) await page.context().close();
  page = await newPage(browser, server.base);
  await loginForm(page, server.base, 'planner', DEMO_PASSWORD);
  await page.waitForFunction(() => (document.querySelector('#login-error')?.textContent || '').length > 0, null, { timeout: 30_000 });
  assert.match(await page.locator('#login-error').textContent(), /账户已锁定.*\d{4}/);
  assert.equal(await page.locator('#user-box').count(), 0, 'no app');
});

test('a township dispatcher sees only its township\'s grids', { timeout: 120_000 }, async () => {
  const loaded = await openAs('shacheng');
  assert.match(await page.locator('#user-box').textContent(), /沙城镇/);
  await settled(page);
  const seen = await page.evaluate(() => {
    const m = window.__wangge.map;
    const rendered = m.queryRenderedFeatures({ layers: ['grids-fill'] }).map((f) => f.properties.township_code);
    const source = m.querySourceFeatures('grids').map((f) => f.properties.township_code);
    return { rendered, source };
  });
  assert.ok(seen.rendered.length > 0, 'grids are drawn');
  assert.deepEqual([...new Set(seen.rendered)], ['130730100'], 'every grid drawn is in 沙城镇');
  assert.deepEqual([...new Set(seen.source)], ['130730100'], 'every grid loaded is in 沙城镇');
  assert.equal(loaded.townships, 1, 'one township layer feature');
  assert.ok(loaded.grids < 1000, `only the township's grids: ${loaded.grids}`);
  // The console starts at its own township and cannot widen to the county.
  await page.locator('button.tab', { hasText: '调度台' }).click();
  const tiers = await page.locator('#level-tier option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(tiers, ['township', 'village']);
});

test('the audit administrator sees the audit log with its own login, and the chain is whole', { timeout: 60_000 }, async () => {
  await signIn('auditor');
  assert.equal(await page.locator('#map').count(), 0, 'no map for the auditor');
  assert.equal(await page.locator('#dashboard').count(), 0, 'no figures for the auditor');
  await page.locator('#audit-table').waitFor({ timeout: 30_000 });
  await page.fill('#audit-user', 'auditor');
  await page.press('#audit-user', 'Enter');
  const own = page.locator('#audit-table tr[data-user="auditor"][data-action="login"]');
  await own.first().waitFor({ timeout: 30_000 });
  assert.match(await own.first().textContent(), /成功/);
  assert.equal((await page.locator('#audit-next').textContent()).trim(), '下一页');
  assert.match(await page.locator('#audit-page').textContent(), /第 1 \/ \d+ 页，共 \d+ 条/);
  await page.click('#audit-verify');
  await page.waitForFunction(() => /完整|不完整|失败/.test(document.querySelector('#audit-verify-result')?.textContent || ''), null, { timeout: 30_000 });
  assert.match(await page.locator('#audit-verify-result').textContent(), /^完整/);
  await shot('audit');
});

test('a page left without input signs itself out after the idle timeout', { timeout: 60_000 }, async () => {
  if (page) await page.context().close();
  page = await newPage(browser, server.base);
  await page.clock.install();
  await loginForm(page, server.base, 'auditor');
  await page.locator('#audit-table').waitFor({ timeout: 30_000 });
  const me = await (await page.request.get(`${server.base}/api/v1/auth/me`)).json();
  assert.ok(me.idle_timeout_s > 0, `an idle timeout: ${me.idle_timeout_s} s`);
  await page.clock.fastForward((me.idle_timeout_s + 30) * 1000);
  await page.locator('#login-form').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('#login-form').textContent(), /未操作/);
  const after = await page.request.get(`${server.base}/api/v1/auth/me`);
  assert.equal(after.status(), 401, 'the session is ended on the server too');
});

test('logging out returns to the login page and the session is over', { timeout: 120_000 }, async () => {
  await signIn('county');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'wangge_session');
  assert.ok(session, 'a session cookie');
  assert.ok(session.httpOnly, 'the session cookie is HttpOnly');
  await page.click('#logout');
  await page.locator('#login-form').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#user-box').count(), 0, 'no app after logout');
  const me = await page.request.get(`${server.base}/api/v1/auth/me`);
  assert.equal(me.status(), 401, 'the page is signed out');
  const old = await fetch(`${server.base}/api/v1/auth/me`, { headers: { Cookie: `wangge_session=${session.value}` } });
  assert.equal(old.status, 401, 'the old session cookie no longer works');
});

test('an ended session sends the page back to the login form', { timeout: 120_000 }, async () => {
  await openAs('county');
  // The session ends elsewhere (as after an idle timeout or a logout in another tab).
  const [csrf, cookie] = await page.evaluate(async () => {
    const r = await fetch('/api/v1/auth/me');
    return [(await r.json()).csrf_token, document.cookie];
  });
  assert.equal(cookie, '', 'the session cookie is not readable by scripts');
  const out = await page.request.post(`${server.base}/api/v1/auth/logout`, { headers: { 'X-CSRF-Token': csrf } });
  assert.equal(out.status(), 204);
  await page.locator('button.tab', { hasText: '调度台' }).click();
  await page.locator('#login-form').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('#login-form').textContent(), /登录已失效/);
  // Signing in again starts afresh, and nothing panicked on the way.
  await page.fill('#login-username', 'county');
  await page.fill('#login-password', DEMO_PASSWORD);
  await page.click('#login-submit');
  await mapLoaded(page);
  const crashes = page.errors.filter((e) => /panicked|RuntimeError|unreachable/.test(e));
  assert.deepEqual(crashes, [], 'the app never panicked');
});

test('a gridworker sees no leaders\' dashboard', { timeout: 120_000 }, async () => {
  // The browser signs in first: a gridworker's account is bound to the first device it signs in
  // from (人机格), so the API is asked from the same browser (its device cookie).
  await openAs('gridworker');
  const gridworker = { me: await (await page.request.get(`${server.base}/api/v1/auth/me`)).json() };
  assert.equal(gridworker.me.role, 'gridworker');
  assert.ok(!gridworker.me.permissions.includes('read_stats'), 'a gridworker may not read the figures');
  assert.equal(await page.locator('button.tab', { hasText: '领导驾驶舱' }).count(), 0, 'no 领导驾驶舱 tab');
  assert.equal(await page.locator('#dashboard').count(), 0, 'no figures');
  await page.locator('.side h2', { hasText: '调度台' }).waitFor({ timeout: 30_000 });
  assert.match(await page.locator('#user-box').textContent(), /网格员/);
});

test('a department handler has its console but no dashboard', { timeout: 120_000 }, async () => {
  await openAs('water');
  assert.equal(await page.locator('button.tab', { hasText: '领导驾驶舱' }).count(), 0, 'no 领导驾驶舱 tab');
  assert.equal(await page.locator('#dashboard').count(), 0, 'no figures');
  await page.locator('.side h2', { hasText: '调度台' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('.locate details.report').count(), 0, 'no report form without report_event');
});

test('a county leader reads an event but has no dispatch buttons and no full phone', { timeout: 120_000 }, async () => {
  const where = await gridPoint(200);
  const created = await report(where, '河道有垃圾（只读测试）');
  await openAs('leader', '?view=dispatch');
  const item = page.locator(`#queue li[data-id="${created.event_id}"]`);
  await item.waitFor({ timeout: 30_000 });
  await item.click();
  await page.waitForFunction((id) => document.querySelector('#event-id')?.textContent === id, created.event_id, { timeout: 30_000 });
  await page.locator('#no-actions').waitFor({ timeout: 10_000 });
  for (const id of ['#do-assign', '#do-accept', '#do-escalate', '#do-return', '#do-handle', '#do-close', '#reveal-phone']) {
    assert.equal(await page.locator(id).count(), 0, `${id} is hidden from a leader`);
  }
});

test('the system administrator sees where its work is done, and no business data', { timeout: 60_000 }, async () => {
  if (page) await page.context().close();
  page = await newPage(browser, server.base);
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/api/')) asked.push(new URL(r.url()).pathname); });
  await loginForm(page, server.base, 'sysadmin');
  const note = page.locator('#admin-note');
  await note.waitFor({ timeout: 30_000 });
  assert.match(await note.textContent(), /\/api\/v1\/admin\/users/);
  assert.equal(await page.locator('#map').count(), 0, 'no map');
  assert.deepEqual(asked.filter((p) => !p.startsWith('/api/v1/auth/')), [], 'no business data asked for');
});

test('an expired password is changed before anything else', { timeout: 120_000 }, async () => {
  // The service says the password has expired (its age cannot be forged against the real
  // binary: the answer of /auth/me is marked so until the change); the change itself is real.
  if (page) await page.context().close();
  page = await newPage(browser, server.base);
  let changed = false;
  await page.route('**/api/v1/auth/me', async (route) => {
    const real = await route.fetch();
    const body = await real.json().catch(() => null);
    if (real.status() !== 200 || changed) return route.fulfill({ response: real });
    return route.fulfill({ response: real, json: { ...body, password_expired: true } });
  });
  page.on('response', (r) => {
    if (r.url().endsWith('/api/v1/auth/password') && r.status() === 204) changed = true;
  });
  await loginForm(page, server.base, 'village');
  // The login answer itself is the real one (not expired): reload so /auth/me decides.
  await page.locator('#user-box').waitFor({ timeout: 30_000 });
  await page.reload();
  await page.locator('#password-form').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#map').count(), 0, 'nothing but the change form');
  await page.fill('#password-current', DEMO_PASSWORD);
  await page.fill('#password-new', 'short');
  await page.fill('#password-again', 'short');
  await page.click('#password-submit');
  await page.waitForFunction(() => /新密码不符合要求/.test(document.querySelector('#password-error')?.textContent || ''), null, { timeout: 20_000 });
  const fresh = 'Huailai-grid-2027!';
  await page.fill('#password-new', fresh);
  await page.fill('#password-again', fresh);
  await page.click('#password-submit');
  await page.locator('#user-box').waitFor({ timeout: 30_000 });
  assert.ok(changed, 'the password was changed on the service');
  const again = await apiSession(server.base, 'village', fresh);
  assert.equal(again.me.username, 'village', 'the new password signs in');
});

test('budget: first idle with all grids (median of 5 loads) and the app wasm size', { timeout: 180_000 }, async () => {
  const b = await measureBudget(browser, server);
  assert.ok(b.wasmGzip <= WASM_BUDGET_KIB * 1024, `app wasm ${b.wasmGzip} bytes gzipped is over ${WASM_BUDGET_KIB} KiB`);
});
