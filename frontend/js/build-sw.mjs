// Build step (node, run by scripts/frontend.sh): the field app's service worker, dist/sw.js, made
// by Workbox's generateSW with its runtime copied beside it (nothing is loaded from a CDN).
//   - precached: the app shell (index.html, the wasm and its JS, the stylesheets, MapLibre, idb,
//     the manifest and icons), so /field opens with no network at all;
//   - NetworkFirst with a short timeout: who is signed in (/api/v1/auth/me), the account's grid
//     layer (/api/v1/map/grids.geojson) and its tasks (/api/v1/events?holder=…), answered from
//     the cache only when the network is gone;
//   - nothing else of the API is cached, and never a POST: reports, actions and patrols made
//     offline wait in the app's own queue (IndexedDB, js/field.js).
// The worker is registered with the scope /field: the console at / is not touched by it.
//
//   node frontend/js/build-sw.mjs <dist>
import path from 'node:path';
import { generateSW } from 'workbox-build';

const dist = path.resolve(process.argv[2] || 'frontend/dist');
const api = (name, pattern) => ({
  urlPattern: pattern,
  handler: 'NetworkFirst',
  method: 'GET',
  options: {
    cacheName: `field-${name}`,
    networkTimeoutSeconds: 4,
    // Only complete answers (a 401 or a problem is never kept as "the last known").
    cacheableResponse: { statuses: [200] },
    expiration: { maxEntries: 8 },
  },
});

const { count, size, warnings } = await generateSW({
  globDirectory: dist,
  globPatterns: [
    'index.html', 'style.css', 'field.css', 'field.webmanifest', 'icons/*.png',
    'pkg/**/*.{js,wasm}', 'vendor/*.{js,css}',
  ],
  swDest: path.join(dist, 'sw.js'),
  // The wasm and MapLibre are larger than Workbox's default limit of 2 MiB together.
  maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
  // The page comes from the server as index.html for every client route; offline, a
  // navigation under /field gets the precached copy.
  navigateFallback: '/index.html',
  navigateFallbackAllowlist: [/^\/field/],
  clientsClaim: true,
  skipWaiting: true,
  cleanupOutdatedCaches: true,
  inlineWorkboxRuntime: false,
  sourcemap: false,
  mode: 'production',
  runtimeCaching: [
    api('me', ({ url }) => url.pathname === '/api/v1/auth/me'),
    api('grids', ({ url }) => url.pathname === '/api/v1/map/grids.geojson'),
    api('tasks', ({ url }) => url.pathname === '/api/v1/events' && url.searchParams.has('holder')),
  ],
});
for (const w of warnings) console.warn(`workbox: ${w}`);
console.log(`service worker: ${count} files precached, ${(size / 1024).toFixed(0)} KiB`);
