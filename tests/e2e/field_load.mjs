// The field app's first load on a slow mobile network, beside a load from its service worker's
// cache on the same network: a phone (390×844, touch) signed in as the demo gridworker opens
// /field with the network throttled through CDP (Network.emulateNetworkConditions: 1.6 Mbit/s
// down, 750 kbit/s up, 150 ms round trip) until the app is up with its map of my grids drawn.
// "cold": the origin's service worker, caches and HTTP cache cleared first; "cached": the same
// page opened again once the worker controls it. Median of 5 each, printed side by side. Any
// load that fails or does not finish within 120 s stops the run with exit code 1.
//
//   WANGGE_BIN=<server binary> node tests/e2e/field_load.mjs      (scripts/bench_field.sh)
import { launchBrowser, median, startServer, DEMO_PASSWORD } from './support.mjs';

const LOADS = Number(process.env.LOADS || 5);
const SLOW = { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) };
const PHONE = {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true, locale: 'zh-CN',
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  permissions: ['geolocation'], geolocation: { longitude: 115.52, latitude: 40.415, accuracy: 10 },
};

const server = await startServer();
const browser = await launchBrowser();
let failed = null;
try {
  const context = await browser.newContext(PHONE);
  const login = await context.request.post(`${server.base}/api/v1/auth/login`, { data: { username: 'gridworker', password: DEMO_PASSWORD } });
  if (!login.ok()) throw new Error(`login: HTTP ${login.status()} ${await login.text()}`);
  const origin = server.base;

  /** Opens /field on a throttled page; resolves to ms from navigation to the app with its map. */
  async function load(clear) {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    if (clear) {
      await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'service_workers,cache_storage,indexeddb,local_storage' });
      await cdp.send('Network.clearBrowserCache');
    }
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW);
    // Bytes that crossed the (emulated) network for the page.
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(`${origin}/field`, { timeout: 120_000 });
      await page.waitForFunction(() => window.__wangge?.field?.readyMs !== undefined, null, { timeout: 120_000 });
      const ms = await page.evaluate(() => window.__wangge.field.readyMs);
      const sent = bytes;
      const controlled = await page.evaluate(() => Boolean(navigator.serviceWorker.controller));
      if (clear) {
        // The worker installs during the cold load; wait until it holds the shell and data.
        await page.waitForFunction(() => window.__wangge.field.warmed, null, { timeout: 120_000 });
      }
      return { ms, controlled, bytes: sent };
    } catch (e) {
      throw new Error(`${clear ? 'cold' : 'cached'} load of /field failed: ${e.message}${errors.length ? `; page errors: ${errors.join(' | ')}` : ''}`);
    } finally {
      await page.close();
    }
  }

  const cold = [];
  const cached = [];
  for (let i = 0; i < LOADS; i++) {
    cold.push(await load(true));
    const c = await load(false);
    if (!c.controlled) throw new Error('the cached load was not served by the service worker');
    cached.push(c);
  }
  const row = (name, xs) => {
    const ms = xs.map((x) => x.ms);
    const kib = median(xs.map((x) => x.bytes)) / 1024;
    return `${name.padEnd(8)} ${median(ms).toFixed(0).padStart(8)} ms ${kib.toFixed(0).padStart(8)} KiB   [${ms.map((x) => x.toFixed(0)).join(', ')}]`;
  };
  console.log(`# field app (/field) to its map, phone on 1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT; median of ${LOADS} (server ${server.bin})`);
  console.log(`${'load'.padEnd(8)} ${'median'.padStart(11)} ${'over net'.padStart(12)}   all (ms)`);
  console.log(row('cold', cold));
  console.log(row('cached', cached));
} catch (e) {
  failed = e;
} finally {
  await browser.close();
  await server.stop();
}
if (failed) {
  console.error(`FAILED: ${failed.message}`);
  process.exit(1);
}
