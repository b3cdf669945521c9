// The field app's browser side (手机端, /field): the page's install data and service worker, the
// network state, geolocation, a lean MapLibre map of the gridworker's grids, and the offline
// queue in IndexedDB (through idb, vendored in dist/vendor). The app (Rust, src/field/) decides
// what goes in the queue and what an answer means; this file stores, sends and draws.
import { openDB } from '/vendor/idb.js';

const hook = (window.__wangge = window.__wangge || {});
const field = (hook.field = hook.field || {});

// ---- page and service worker -------------------------------------------------------------

/** Turns the shared index.html into the field app's page: title, manifest, colours, styles. */
export function setupPage() {
  document.title = '网格员 · 怀来县网格化服务管理';
  document.body.classList.add('field');
  const add = (tag, attrs) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    document.head.appendChild(el);
  };
  add('link', { rel: 'manifest', href: '/field.webmanifest' });
  add('link', { rel: 'stylesheet', href: '/field.css' });
  add('link', { rel: 'apple-touch-icon', href: '/icons/icon-192.png' });
  add('meta', { name: 'theme-color', content: '#0b5cad' });
  const viewport = document.querySelector('meta[name=viewport]');
  if (viewport) viewport.setAttribute('content', 'width=device-width, initial-scale=1, viewport-fit=cover');
}

/**
 * Registers the service worker (dist/sw.js, made by Workbox) for /field. Resolves to true once
 * a worker controls the page (the first visit is claimed at once: clientsClaim).
 */
export async function registerWorker() {
  if (!('serviceWorker' in navigator)) return false;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/field' });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => {
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
        setTimeout(resolve, 5000);
      });
    }
    field.controlled = Boolean(navigator.serviceWorker.controller);
    return field.controlled;
  } catch (e) {
    console.warn('service worker:', e);
    return false;
  }
}

/**
 * Asks for the given URLs (JSON text of a list) through the service worker, so that its
 * NetworkFirst caches hold them before the network goes: the first visit asked for them before
 * the worker was there.
 */
export async function warm(urlsJson) {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return;
  await Promise.all(JSON.parse(urlsJson).map((u) => fetch(u, { credentials: 'same-origin' }).catch(() => null)));
  field.warmed = true;
}

/** Empties the service worker's API caches (at sign-out: nothing of the account stays). */
export async function clearCaches() {
  if (!('caches' in window)) return;
  for (const name of await caches.keys()) {
    if (name.startsWith('field-')) await caches.delete(name);
  }
}

// ---- network -----------------------------------------------------------------------------

/** Whether the browser thinks it is online. */
export function isOnline() {
  return navigator.onLine;
}

/** onChange(true|false) on every `online` / `offline` event. */
export function onNetwork(onChange) {
  window.addEventListener('online', () => onChange(true));
  window.addEventListener('offline', () => onChange(false));
}

/** Calls tick() every `seconds` (the queue's retry). */
export function every(seconds, tick) {
  setInterval(tick, seconds * 1000);
}

// ---- geolocation -------------------------------------------------------------------------

/**
 * Follows the device's position: onFix(lon, lat, unix_ms, accuracy_m) for each fix, onError(text)
 * when the position cannot be had. Returns the watch id (for stopWatch).
 */
export function watchPosition(onFix, onError) {
  if (!('geolocation' in navigator)) {
    onError('此设备不支持定位');
    return -1;
  }
  return navigator.geolocation.watchPosition(
    (p) => onFix(p.coords.longitude, p.coords.latitude, p.timestamp || Date.now(), p.coords.accuracy),
    (e) => onError(e.code === 1 ? '未允许定位：请在浏览器设置中允许本应用使用位置' : `定位失败：${e.message}`),
    { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 },
  );
}

/** Stops a watch started by watchPosition. */
export function stopWatch(id) {
  if (id >= 0 && 'geolocation' in navigator) navigator.geolocation.clearWatch(id);
}

// ---- the map -----------------------------------------------------------------------------

const EMPTY = { type: 'FeatureCollection', features: [] };
const TEXT_FONT = ['Noto Sans CJK SC Regular', 'Noto Sans CJK SC', 'sans-serif'];
let map = null;
let ready = false;

/** A circle of `radius` metres around [lon, lat] as a polygon (the accuracy of a fix). */
function circle(lon, lat, radius) {
  const ring = [];
  const dLat = radius / 111320;
  const dLon = dLat / Math.cos((lat * Math.PI) / 180);
  for (let i = 0; i <= 48; i++) {
    const a = (i / 48) * 2 * Math.PI;
    ring.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } };
}

/**
 * Creates the map in the element `container` with the grids (GeoJSON text) fitted in view;
 * onTap(lon, lat) for a tap on the map. Resolves when the style has loaded.
 */
export function initMap(container, gridsJson, onTap) {
  const grids = JSON.parse(gridsJson || 'null') || EMPTY;
  const box = bounds(grids);
  map = new window.maplibregl.Map({
    container,
    style: {
      version: 8,
      sources: {
        grids: { type: 'geojson', data: grids, promoteId: 'code' },
        accuracy: { type: 'geojson', data: EMPTY },
        me: { type: 'geojson', data: EMPTY },
        point: { type: 'geojson', data: EMPTY },
        track: { type: 'geojson', data: EMPTY },
      },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#eef1ec' } },
        {
          id: 'grids-fill', type: 'fill', source: 'grids',
          // My grids white, the area's other grids grey; the one I stand in blue.
          paint: {
            'fill-color': ['case', ['boolean', ['feature-state', 'here'], false], '#9ecae1',
              ['coalesce', ['get', 'mine'], true], '#ffffff', '#d5d8dc'],
            'fill-opacity': 0.6,
          },
        },
        { id: 'grids-line', type: 'line', source: 'grids', paint: { 'line-color': '#4f6b85', 'line-width': 1.2 } },
        {
          id: 'grids-label', type: 'symbol', source: 'grids',
          layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 12 },
          paint: { 'text-color': '#34495e', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2 },
        },
        { id: 'track', type: 'line', source: 'track', paint: { 'line-color': '#d35400', 'line-width': 3 } },
        { id: 'accuracy', type: 'fill', source: 'accuracy', paint: { 'fill-color': '#0b5cad', 'fill-opacity': 0.15 } },
        { id: 'point', type: 'circle', source: 'point', paint: { 'circle-radius': 9, 'circle-color': '#c0392b', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
        { id: 'me', type: 'circle', source: 'me', paint: { 'circle-radius': 8, 'circle-color': '#0b5cad', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } },
      ],
    },
    ...(box ? { bounds: [[box[0], box[1]], [box[2], box[3]]], fitBoundsOptions: { padding: 24 } } : { center: [115.52, 40.4], zoom: 10 }),
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', sans-serif",
    fadeDuration: 0,
    attributionControl: false,
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  field.map = map;
  map.on('click', (e) => onTap(e.lngLat.lng, e.lngLat.lat));
  return new Promise((resolve) => map.once('load', () => {
    ready = true;
    field.mapReady = true;
    // Measured by tests/e2e/field_load.mjs: from navigation to the app with its map drawn.
    field.readyMs = performance.now();
    resolve();
  }));
}

function bounds(fc) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else c.forEach(walk);
  };
  for (const f of fc.features || []) walk(f.geometry.coordinates);
  return Number.isFinite(w) ? [w, s, e, n] : null;
}

/** The device's position with its accuracy circle (NaN clears it). */
export function setPosition(lon, lat, accuracy) {
  if (!ready) return;
  const at = Number.isFinite(lon);
  map.getSource('me').setData(at ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } }] } : EMPTY);
  map.getSource('accuracy').setData(at && accuracy > 0 ? { type: 'FeatureCollection', features: [circle(lon, lat, accuracy)] } : EMPTY);
}

/** The point of the report being written (NaN clears it). */
export function setPoint(lon, lat) {
  if (!ready) return;
  const at = Number.isFinite(lon);
  map.getSource('point').setData(at ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } }] } : EMPTY);
}

/** The patrol's track: JSON text of [[lon, lat], …]. */
export function setTrack(coordsJson) {
  if (!ready) return;
  const coords = JSON.parse(coordsJson);
  map.getSource('track').setData(coords.length > 1 ? { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords } } : EMPTY);
}

let here = '';
/** Shades the grid the device is in ('' for none). */
export function setHere(code) {
  if (!ready) return;
  if (here) map.removeFeatureState({ source: 'grids', id: here }, 'here');
  here = code;
  if (here) map.setFeatureState({ source: 'grids', id: here }, { here: true });
}

/** Centres the map on a point. */
export function centre(lon, lat) {
  if (ready) map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 15), duration: 500 });
}

/** Lets the map fit its box again after its container was shown or resized. */
export function resizeMap() {
  if (ready) map.resize();
}

// ---- the offline queue -------------------------------------------------------------------
//
// Stores of the database `wangge-field`:
//   queue   what waits to be sent, in the order it was made (auto-increment key)
//   sent    what the server took, with its answer (kept for the replay test hook and history)
//   failed  what the server refused for good, with the reason (shown to the user)
// An item: {key, id (client UUID), kind, label, method, url, part ('report' | 'transition' |
// ''), body (JSON text), photos: [Blob], created_ms}.

/** Items kept in the 'sent' history. */
const SENT_KEPT = 100;
let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = openDB('wangge-field', 1, {
      upgrade(d) {
        d.createObjectStore('queue', { keyPath: 'key', autoIncrement: true });
        d.createObjectStore('sent', { keyPath: 'key' });
        d.createObjectStore('failed', { keyPath: 'key' });
      },
    });
  }
  return dbPromise;
}

/** A new client id (UUID v4). */
export function uuid() {
  return crypto.randomUUID();
}

/** Adds an item (JSON text, without key) and its photos (an array of Blobs); resolves to its key. */
export async function queueAdd(itemJson, photos) {
  const item = JSON.parse(itemJson);
  item.photos = Array.from(photos || []);
  item.created_ms = Date.now();
  return (await db()).add('queue', item);
}

const summary = (i) => ({
  key: i.key, id: i.id, kind: i.kind, label: i.label, photos: (i.photos || []).length,
  created_ms: i.created_ms, note: i.note || '', answer: i.answer || '',
});

/** The items of a store ('queue', 'sent' or 'failed') as JSON text, oldest first, without photos. */
export async function queueList(store) {
  const all = await (await db()).getAll(store);
  return JSON.stringify(all.map(summary));
}

/** Moves an item from the queue to 'sent' or 'failed', with the server's answer or the reason. */
export async function queueSettle(key, store, answer, note) {
  const d = await db();
  const tx = d.transaction(['queue', store], 'readwrite');
  const item = await tx.objectStore('queue').get(key);
  if (item) {
    item.answer = answer;
    item.note = note;
    item.settled_ms = Date.now();
    await tx.objectStore(store).put(item);
    await tx.objectStore('queue').delete(key);
    // For tests: what was settled last.
    field.lastSettled = { store, kind: item.kind, id: item.id };
    if (store === 'sent') {
      // The history keeps the latest SENT_KEPT items (their photos take room on the phone).
      const keys = await tx.objectStore('sent').getAllKeys();
      for (const old of keys.slice(0, Math.max(0, keys.length - SENT_KEPT))) await tx.objectStore('sent').delete(old);
    }
  }
  await tx.done;
}

let lastCsrf = '';
/**
 * Sends the item `key` of `store` once: resolves to [status, body text]; rejects when the network
 * fails. An item with photos goes as multipart/form-data (a JSON part named by `item.part` and
 * one `photo` part per photo); a server that does not take multipart yet (415) gets the JSON
 * alone, and the answer's status is then marked `photos_dropped` in the third element.
 */
export async function queueSend(store, key, csrf) {
  if (csrf) lastCsrf = csrf;
  const item = await (await db()).get(store, key);
  if (!item) return [404, 'item not found', false];
  const headers = { Accept: 'application/json' };
  if (lastCsrf) headers['X-CSRF-Token'] = lastCsrf;
  if (item.idempotent) headers['Idempotency-Key'] = item.id;
  const photos = item.photos || [];
  if (photos.length > 0 && item.part) {
    const form = new FormData();
    form.append(item.part, new Blob([item.body], { type: 'application/json' }), `${item.part}.json`);
    photos.forEach((p, i) => form.append('photo', p, p.name || `photo-${i + 1}.jpg`));
    const r = await fetch(item.url, { method: item.method, headers, body: form, credentials: 'same-origin' });
    if (r.status !== 415) return [r.status, await r.text(), false];
  }
  headers['Content-Type'] = 'application/json';
  const r = await fetch(item.url, { method: item.method, headers, body: item.body, credentials: 'same-origin' });
  return [r.status, await r.text(), photos.length > 0];
}

/**
 * Test hook: sends every item already sent once more, in order (what a replay after a lost
 * answer would do); resolves to their statuses. The server's idempotency must make it harmless.
 */
field.replay = async () => {
  const sent = await (await db()).getAll('sent');
  const statuses = [];
  for (const item of sent) statuses.push((await queueSend('sent', item.key, ''))[0]);
  return statuses;
};
field.list = async (store) => JSON.parse(await queueList(store));

// ---- small local state -------------------------------------------------------------------

/** Keeps a small text under `key` across closing the app (the patrol in progress). */
export function saveLocal(key, text) {
  try {
    if (text) localStorage.setItem(key, text);
    else localStorage.removeItem(key);
  } catch (_) { /* private mode: kept in memory only */ }
}

/** The text saved under `key` ('' when none). */
export function loadLocal(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch (_) {
    return '';
  }
}
