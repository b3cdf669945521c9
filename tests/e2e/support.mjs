// Shared by the end-to-end tests and the budget: start the real `wangge` binary on a free port
// with the demo county (and its demo accounts) on a throwaway SQLite data dir, serving the built
// frontend, sign in, and drive Debian's Chromium (never a downloaded browser) through
// playwright-core.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(REPO, 'frontend/dist');
/** Screenshots and logs: under target/ (ignored by git). */
export const OUT = path.join(REPO, 'target/e2e');

const CHROMIUM = process.env.WANGGE_CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The binary under test: WANGGE_BIN, else the newest of the debug and release builds. */
export function binary() {
  if (process.env.WANGGE_BIN) return process.env.WANGGE_BIN;
  const target = process.env.CARGO_TARGET_DIR || '/var/cache/wangge/target';
  const found = ['debug', 'release']
    .map((p) => path.join(target, p, 'wangge'))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (found.length === 0) throw new Error(`no wangge binary under ${target}: build it first (or set WANGGE_BIN)`);
  return found[0];
}

/** Starts the server; resolves to {base, stop()} once /healthz answers. */
export async function startServer() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error(`${DIST}/index.html missing: run scripts/frontend.sh`);
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wangge-e2e-'));
  fs.mkdirSync(OUT, { recursive: true });
  const log = fs.openSync(path.join(OUT, 'server.log'), 'w');
  const bin = binary();
  const child = spawn(bin, [
    '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--demo', 'true',
    '--frontend-dir', DIST, '--geodata-dir', path.join(REPO, 'geodata/huailai'),
    // A smaller demo registry than the census's: starts stay quick.
    '--demo-residents', '20000',
  ], { cwd: REPO, stdio: ['ignore', log, log], env: { ...process.env, DATABASE_URL: '' } });
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exited !== null) throw new Error(`${bin} exited (${exited}) before answering: see ${OUT}/server.log`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch (_) { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${bin} did not answer /healthz in 180 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(r, 5000); });
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, bin, stop };
}

/** Headless Chromium. */
export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** A page that fails the test on any request that leaves the machine. */
export async function newPage(browser, base) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.outside = [];
  page.errors = [];
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('blob:')) page.outside.push(url);
  });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  return page;
}

/** The app wasm's budget in KiB gzipped, MapLibre not counted (scripts/frontend.sh enforces the same). */
export const WASM_BUDGET_KIB = 650;

/** The demo accounts' password (created by the server on the demo county's first start). */
export const DEMO_PASSWORD = 'Wangge-demo-2026';

/** Opens the app (signed in already) and waits for the map's first `idle` with all boundaries. */
export async function openMap(page, base, query = '') {
  await page.goto(`${base}/${query}`);
  return mapLoaded(page);
}

/** Waits for the map's first `idle` with all boundaries loaded. */
export async function mapLoaded(page) {
  await page.waitForFunction(() => window.__wangge && window.__wangge.firstIdleMs !== undefined, null, { timeout: 60_000 });
  // The page's own copy of the grids (names, bounds) follows the first idle.
  await page.waitForFunction(() => window.__wangge.loaded.grids > 0, null, { timeout: 60_000 });
  return page.evaluate(() => ({ ...window.__wangge.loaded, firstIdleMs: window.__wangge.firstIdleMs }));
}

/** Opens the page and signs in through its login form (the form is left to answer). */
export async function loginForm(page, base, username, password = DEMO_PASSWORD, query = '') {
  await page.goto(`${base}/${query}`);
  await page.locator('#login-username').waitFor({ timeout: 60_000 });
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
}

/** Signs the page's browser context in through the API (the session cookie lands in it). */
export async function apiLogin(page, base, username, password = DEMO_PASSWORD) {
  const r = await page.request.post(`${base}/api/v1/auth/login`, { data: { username, password } });
  if (!r.ok()) throw new Error(`login ${username}: HTTP ${r.status()} ${await r.text()}`);
  return r.json();
}

/**
 * A signed-in client for node's own calls to the API: the session cookie and the CSRF token
 * on every change. `call` resolves to {status, body} (body parsed when JSON).
 */
export async function apiSession(base, username, password = DEMO_PASSWORD) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`login ${username}: HTTP ${r.status} ${text}`);
  const me = JSON.parse(text);
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  const call = async (method, url, body) => {
    const headers = { Cookie: cookie };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (!['GET', 'HEAD'].includes(method)) headers['X-CSRF-Token'] = me.csrf_token;
    const answer = await fetch(base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const raw = await answer.text();
    let parsed = raw;
    try { parsed = JSON.parse(raw); } catch (_) { /* not JSON */ }
    return { status: answer.status, body: parsed, text: raw };
  };
  return { me, cookie, call };
}

/** Waits for the map to stop moving and render everything. */
export async function settled(page) {
  await page.waitForFunction(() => {
    const m = window.__wangge.map;
    return !m.isMoving() && m.loaded() && m.areTilesLoaded();
  }, null, { timeout: 30_000, polling: 100 });
  await page.evaluate(() => new Promise((resolve) => {
    const m = window.__wangge.map;
    m.once('idle', resolve);
    m.triggerRepaint();
  }));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The page's milestones on the way to its first idle, in ms from navigation (run in the page):
 * the downloads' ends (the resource timing), the app's start of the map, the townships and the
 * drawn grids, the first idle.
 */
function PHASES() {
  const w = window.__wangge || {};
  const out = {};
  const nav = performance.getEntriesByType('navigation')[0];
  if (nav) out['html loaded'] = nav.responseEnd;
  const ends = [['maplibre-gl.js', 'maplibre-gl.js loaded'], ['_bg.wasm', 'app wasm loaded'],
    ['/auth/me', 'session read'], ['townships.geojson', 'townships loaded']];
  // (MapLibre's workers fetch the grids themselves: their timing is not the page's.)
  for (const e of performance.getEntriesByType('resource')) {
    for (const [part, name] of ends) {
      if (e.name.includes(part) && out[name] === undefined) out[name] = e.responseEnd;
    }
  }
  if (w.t0 !== undefined) out['app started the map'] = w.t0;
  if (w.boundariesMs !== undefined) out['county view set'] = w.boundariesMs;
  if (w.sourceLoadedMs && w.sourceLoadedMs.grids !== undefined) out['grids tiled (worker)'] = w.sourceLoadedMs.grids;
  if (w.firstIdleMs !== undefined) out['first idle'] = w.firstIdleMs;
  return Object.fromEntries(Object.entries(out).sort((a, b) => a[1] - b[1]));
}

/**
 * The budgets, printed: time from navigation to the map's first `idle` with all grids loaded
 * (median of `loads` fresh pages, each signed in as `username` through the API before the
 * navigation, so the time counts the app asking who is signed in; target 2 s on loopback) and
 * the app wasm's gzipped size (budget WASM_BUDGET_KIB; MapLibre not counted); also each
 * milestone's median (`PHASES`) and the map's size. Throws when a page has an error or a
 * request leaves the machine.
 */
export async function measureBudget(browser, server, loads = 5, username = 'county') {
  const times = [];
  const phases = [];
  let mapSize = null;
  for (let i = 0; i < loads; i++) {
    const p = await newPage(browser, server.base);
    await apiLogin(p, server.base, username);
    const loaded = await openMap(p, server.base);
    times.push(loaded.firstIdleMs);
    phases.push(await p.evaluate(PHASES));
    mapSize ||= await p.evaluate(() => {
      const r = document.getElementById('map').getBoundingClientRect();
      return { width: Math.round(r.width), height: Math.round(r.height) };
    });
    failOnPageErrors(p, 'the map');
    await p.context().close();
  }
  // What the first idle waited for: each milestone's median time from navigation, in ms.
  for (const name of Object.keys(phases[0] || {})) {
    const at = phases.map((ph) => ph[name]).filter((t) => t !== undefined);
    if (at.length > 0) console.log(`# budget: phase ${name.padEnd(28)} ${median(at).toFixed(0).padStart(6)} ms`);
  }
  const wasm = fs.readdirSync(path.join(DIST, 'pkg')).find((f) => f.endsWith('.wasm'));
  const bytes = fs.readFileSync(path.join(DIST, 'pkg', wasm));
  const wasmGzip = gzipSync(bytes, { level: 9 }).length;
  const firstIdleMs = median(times);
  console.log(`# budget: first idle with all grids: median ${firstIdleMs.toFixed(0)} ms of ${loads} loads [${times.map((t) => t.toFixed(0)).join(', ')}] (target <= 2000 ms; server ${server.bin})`);
  console.log(`# budget: app wasm ${(bytes.length / 1024).toFixed(0)} KiB raw, ${(wasmGzip / 1024).toFixed(0)} KiB gzipped (budget <= ${WASM_BUDGET_KIB} KiB; MapLibre not counted)`);
  return { firstIdleMs, times, wasmRaw: bytes.length, wasmGzip, mapSize };
}

/** A measure is void when its page failed: an error on the page or a request off the machine. */
function failOnPageErrors(page, what) {
  if (page.errors.length > 0 || page.outside.length > 0) {
    throw new Error(`${what}: the page failed (${[...page.errors, ...page.outside.map((u) => `outside request ${u}`)].join('; ')})`);
  }
}

/**
 * The alternative to our map page: MapLibre alone (its defaults: worker count, no app, no
 * labels) on a page of the same origin and the same map size, drawing the same three boundary
 * layers from the same server (the signed-in account's, fetched by MapLibre's workers), fitted
 * to the county. Resolves to the median time from navigation to its first `idle` with all
 * three layers loaded, over `loads` fresh pages.
 */
export async function measureBareMapLibre(browser, server, loads, size, username = 'county') {
  const url = `${server.base}/__bare-maplibre.html`;
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/vendor/maplibre-gl.css"><script src="/vendor/maplibre-gl.js"></script>
<style>body { margin: 0 } #map { width: ${size.width}px; height: ${size.height}px }</style></head>
<body><div id="map"></div><script>
const base = '/api/v1/map';
const layer = (name) => ({ type: 'geojson', data: base + '/' + name + '.geojson' });
fetch(base + '/townships.geojson').then((r) => r.json()).then((t) => {
  let box = [180, 90, -180, -90];
  const walk = (c) => { if (typeof c[0] === 'number') { box = [Math.min(box[0], c[0]), Math.min(box[1], c[1]), Math.max(box[2], c[0]), Math.max(box[3], c[1])]; } else c.forEach(walk); };
  t.features.forEach((f) => walk(f.geometry.coordinates));
  const map = new maplibregl.Map({
    container: 'map', fadeDuration: 0, bounds: [[box[0], box[1]], [box[2], box[3]]], fitBoundsOptions: { padding: 24 },
    style: { version: 8, sources: { townships: layer('townships'), villages: layer('villages'), grids: layer('grids') },
      layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#eef1ec' } },
        { id: 'grids', type: 'fill', source: 'grids', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.55, 'fill-antialias': false } },
        { id: 'villages', type: 'line', source: 'villages', minzoom: 9.5, paint: { 'line-color': '#4f6b85', 'line-width': 0.9 } },
        { id: 'townships', type: 'line', source: 'townships', paint: { 'line-color': '#1f3b57', 'line-width': 1.8 } }] },
  });
  map.on('idle', () => {
    if (window.__bareIdleMs === undefined && ['townships', 'villages', 'grids'].every((s) => map.isSourceLoaded(s))) {
      window.__bareIdleMs = performance.now();
    }
  });
});
</script></body></html>`;
  const times = [];
  for (let i = 0; i < loads; i++) {
    const p = await newPage(browser, server.base);
    await apiLogin(p, server.base, username);
    await p.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await p.goto(url);
    await p.waitForFunction(() => window.__bareIdleMs !== undefined, null, { timeout: 60_000 });
    times.push(await p.evaluate(() => window.__bareIdleMs));
    failOnPageErrors(p, 'MapLibre alone');
    await p.context().close();
  }
  const ms = median(times);
  console.log(`# budget: MapLibre alone, same layers and map size (${size.width}×${size.height}): first idle median ${ms.toFixed(0)} ms of ${loads} loads [${times.map((t) => t.toFixed(0)).join(', ')}]`);
  return ms;
}
