// Shared by the end-to-end tests and the budget: start the real `wangge` binary on a free port
// with the demo county on a throwaway SQLite data dir, serving the built frontend, and drive
// Debian's Chromium (never a downloaded browser) through playwright-core.
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

/** Opens the app and waits for the map's first `idle` with all boundaries loaded. */
export async function openMap(page, base, query = '') {
  await page.goto(`${base}/${query}`);
  await page.waitForFunction(() => window.__wangge && window.__wangge.firstIdleMs !== undefined, null, { timeout: 60_000 });
  // The page's own copy of the grids (names, bounds) follows the first idle.
  await page.waitForFunction(() => window.__wangge.loaded.grids > 0, null, { timeout: 60_000 });
  return page.evaluate(() => ({ ...window.__wangge.loaded, firstIdleMs: window.__wangge.firstIdleMs }));
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
 * The budgets, printed: time from navigation to the map's first `idle` with all grids loaded
 * (median of `loads` fresh pages; target 2 s on loopback) and the app wasm's gzipped size
 * (budget 600 KiB; MapLibre not counted).
 */
export async function measureBudget(browser, server, loads = 5) {
  const times = [];
  for (let i = 0; i < loads; i++) {
    const p = await newPage(browser, server.base);
    const loaded = await openMap(p, server.base);
    times.push(loaded.firstIdleMs);
    await p.context().close();
  }
  const wasm = fs.readdirSync(path.join(DIST, 'pkg')).find((f) => f.endsWith('.wasm'));
  const bytes = fs.readFileSync(path.join(DIST, 'pkg', wasm));
  const wasmGzip = gzipSync(bytes, { level: 9 }).length;
  const firstIdleMs = median(times);
  console.log(`# budget: first idle with all grids: median ${firstIdleMs.toFixed(0)} ms of ${loads} loads [${times.map((t) => t.toFixed(0)).join(', ')}] (target <= 2000 ms; server ${server.bin})`);
  console.log(`# budget: app wasm ${(bytes.length / 1024).toFixed(0)} KiB raw, ${(wasmGzip / 1024).toFixed(0)} KiB gzipped (budget <= 600 KiB; MapLibre not counted)`);
  return { firstIdleMs, times, wasmRaw: bytes.length, wasmGzip };
}
