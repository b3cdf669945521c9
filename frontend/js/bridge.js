// The bridge between the Rust app (wasm) and MapLibre GL JS (window.maplibregl, vendored in
// dist/vendor and loaded by index.html). Everything the app asks of the map goes through these
// functions; data crosses as JSON text. Nothing here loads from the internet: boundaries come
// from the wangge server, text is drawn from the machine's own fonts (no `glyphs` in the
// style: MapLibre GL JS >= 5.11 renders every label locally with TinySDF), and a raster base map
// is used only when /config.json names one.

const CJK_FONTS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', 'WenQuanYi Micro Hei', sans-serif";
const TEXT_FONT = ['Noto Sans CJK SC Regular', 'Noto Sans CJK SC', 'sans-serif'];
const EMPTY = { type: 'FeatureCollection', features: [] };
/** Boundary sources: tiled up to z14 (over-zoomed beyond), with a small buffer (less work). */
const BOUNDARY = { maxzoom: 14, buffer: 32, tolerance: 0.5 };

/** The test hook: the map and what it has loaded (read by tests/e2e). */
const hook = (window.__wangge = window.__wangge || {});
hook.loaded = {};

let map = null;
/** The style has loaded: sources and layers exist. */
let ready = false;
/** Boundaries by layer, then code -> feature (for bounds and names). */
const byCode = { townships: new Map(), villages: new Map(), grids: new Map() };
let choroplethCodes = [];
/** The grids' URL once set: a worker fetches and indexes them. */
let gridsUrl = null;

/**
 * fetch as text: resolves to [status, body text]; rejects only when the network fails. The
 * session cookie (HttpOnly) goes with it (same origin); `csrf`, when given, is sent as
 * X-CSRF-Token (the app gives it for POST, PUT and DELETE). A string body is JSON; bytes (a
 * Uint8Array, such as an imported file) go as they are.
 */
export async function api(method, url, body, csrf) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined && body !== null) {
    init.body = body;
    init.headers['Content-Type'] = typeof body === 'string' ? 'application/json' : 'application/octet-stream';
  }
  if (csrf) init.headers['X-CSRF-Token'] = csrf;
  const r = await fetch(url, init);
  return [r.status, await r.text()];
}

/**
 * Sends a file (a File or Blob, as it is: no copy into the app) with its Content-Type:
 * resolves to [status, body text] like api().
 */
export async function upload(method, url, file, csrf, contentType) {
  const headers = { Accept: 'application/json', 'Content-Type': contentType };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(url, { method, headers, body: file, credentials: 'same-origin' });
  return [r.status, await r.text()];
}

/** Whether the map was created on this page (a new session then starts on a fresh page). */
export function mapCreated() {
  return map !== null;
}

let idleTimer = null;
let lastInput = Date.now();
for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
  window.addEventListener(type, () => { lastInput = Date.now(); }, { passive: true, capture: true });
}
/**
 * Calls onIdle() once after `seconds` without the user's input (pointer, keys, wheel): the
 * session's idle timeout kept on the page too, so an unattended screen does not stay open on
 * data (background requests such as the live queue do not count as use). Replaces any
 * earlier watch; 0 stops watching.
 */
export function watchIdle(seconds, onIdle) {
  if (idleTimer) clearInterval(idleTimer);
  idleTimer = null;
  if (!(seconds > 0)) return;
  lastInput = Date.now();
  idleTimer = setInterval(() => {
    if (Date.now() - lastInput >= seconds * 1000) {
      clearInterval(idleTimer);
      idleTimer = null;
      onIdle();
    }
  }, Math.min(15000, seconds * 250));
}

/** Loads the page afresh (no map, no layers or data of the previous session kept). */
export function reloadPage() {
  window.location.reload();
}

/**
 * The site's options as JSON text: /config.json if the site has one (a static file beside
 * index.html, e.g. {"tile_url": "http://tiles.intranet/{z}/{x}/{y}.png"}), then `?tiles=` in the
 * page's address. No base map by default.
 */
export async function loadConfig() {
  let config = {};
  try {
    const r = await fetch('/config.json', { cache: 'no-store' });
    if (r.ok) config = await r.json();
  } catch (_) { /* no config: defaults */ }
  const tiles = new URLSearchParams(window.location.search).get('tiles');
  if (tiles) config.tile_url = tiles;
  return JSON.stringify(config);
}

function style(base, tileUrl, tileAttribution) {
  // MapLibre's workers fetch and index the boundary layers straight from the server.
  const boundary = (layer) => ({ type: 'geojson', data: `${base}/${layer}.geojson`, promoteId: 'code', ...BOUNDARY });
  const sources = {
    townships: boundary('townships'),
    villages: boundary('villages'),
    grids: boundary('grids'),
    'township-labels': { type: 'geojson', data: EMPTY },
    'village-labels': { type: 'geojson', data: EMPTY },
    'grid-labels': { type: 'geojson', data: EMPTY },
    heat: { type: 'geojson', data: EMPTY },
    events: { type: 'geojson', data: EMPTY, promoteId: 'id' },
    pin: { type: 'geojson', data: EMPTY },
    patrols: { type: 'geojson', data: EMPTY },
    registry: { type: 'geojson', data: EMPTY },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1ec' } }];
  if (tileUrl) {
    sources.basemap = { type: 'raster', tiles: [tileUrl], tileSize: 256, attribution: tileAttribution || '' };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  const choro = ['coalesce', ['feature-state', 'value'], -1];
  layers.push(
    {
      id: 'grids-fill', type: 'fill', source: 'grids',
      paint: {
        'fill-antialias': false,
        'fill-color': ['case', ['<', choro, 0], '#ffffff',
          ['interpolate', ['linear'], choro, 0, '#fff7ec', 0.25, '#fdd49e', 0.5, '#fc8d59', 0.75, '#d7301f', 1, '#7f0000']],
        'fill-opacity': ['case', ['<', choro, 0], tileUrl ? 0.05 : 0.55, 0.75],
      },
    },
    { id: 'grids-line', type: 'line', source: 'grids', minzoom: 10.5, paint: { 'line-color': '#7a8a99', 'line-width': 0.5 } },
    { id: 'villages-line', type: 'line', source: 'villages', minzoom: 9.5, paint: { 'line-color': '#4f6b85', 'line-width': 0.9 } },
    { id: 'townships-line', type: 'line', source: 'townships', paint: { 'line-color': '#1f3b57', 'line-width': 1.8 } },
    {
      id: 'heat-layer', type: 'heatmap', source: 'heat', layout: { visibility: 'none' },
      paint: {
        'heatmap-weight': ['coalesce', ['get', 'w'], 1],
        'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 8, 0.6, 14, 2.5],
        'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 8, 6, 12, 18, 15, 30],
        'heatmap-opacity': 0.8,
        'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'],
          0, 'rgba(33,102,172,0)', 0.2, 'rgb(103,169,207)', 0.4, 'rgb(209,229,240)',
          0.6, 'rgb(253,219,199)', 0.8, 'rgb(239,138,98)', 1, 'rgb(178,24,43)'],
      },
    },
    { id: 'grid-highlight', type: 'line', source: 'grids', filter: ['==', ['get', 'code'], ''], paint: { 'line-color': '#0057b8', 'line-width': 3 } },
    {
      id: 'events-circle', type: 'circle', source: 'events',
      paint: {
        'circle-radius': ['case', ['boolean', ['feature-state', 'selected'], false], 9, 6],
        'circle-color': ['match', ['get', 'tag'], 'overdue', '#c0392b', 'returned', '#d68910', '#1f77b4'],
        'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5,
      },
    },
    {
      id: 'patrols-circle', type: 'circle', source: 'patrols',
      paint: {
        'circle-radius': 7, 'circle-color': ['case', ['get', 'outside'], '#d68910', '#2e8b57'],
        'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
      },
    },
    {
      id: 'patrols-label', type: 'symbol', source: 'patrols',
      layout: { 'text-field': ['get', 'label'], 'text-font': TEXT_FONT, 'text-size': 12, 'text-offset': [0, 1.2], 'text-anchor': 'top' },
      paint: { 'text-color': '#1e5631', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
    {
      id: 'registry-points', type: 'circle', source: 'registry',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 2.5, 15, 6],
        'circle-color': '#6a3d9a', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1,
      },
    },
    {
      id: 'registry-label', type: 'symbol', source: 'registry', minzoom: 16,
      layout: { 'text-field': ['get', 'label'], 'text-font': TEXT_FONT, 'text-size': 11, 'text-offset': [0, 1], 'text-anchor': 'top' },
      paint: { 'text-color': '#4a2a6a', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2 },
    },
    { id: 'pin', type: 'circle', source: 'pin', paint: { 'circle-radius': 7, 'circle-color': '#0057b8', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
    {
      id: 'townships-label', type: 'symbol', source: 'township-labels', maxzoom: 11,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 14 },
      paint: { 'text-color': '#1f3b57', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
    {
      id: 'grids-label', type: 'symbol', source: 'grid-labels', minzoom: 14,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 11 },
      paint: { 'text-color': '#5d6d7e', 'text-halo-color': '#ffffff', 'text-halo-width': 1 },
    },
    {
      id: 'villages-label', type: 'symbol', source: 'village-labels', minzoom: 11, maxzoom: 14,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 12 },
      paint: { 'text-color': '#34495e', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2 },
    },
  );
  return { version: 8, sources, layers };
}

/**
 * Creates the map in the element with id `container`; options is JSON text
 * ({tile_url, tile_attribution}). onClick(lon, lat) for a click on the map, onEvent(id) for a
 * click on an event. Resolves when the style has loaded.
 */
let firstIdleDone;
const firstIdle = new Promise((resolve) => { firstIdleDone = resolve; });

/**
 * Resolves once the map has first drawn the county with its grids (or 3 s after it started):
 * requests that are not needed to draw the map wait for it, so on a small machine they do not
 * compete with the map's workers.
 */
export function mapIdle() {
  return firstIdle;
}

export async function initMap(container, options, onClick, onEvent) {
  const opts = JSON.parse(options || '{}');
  hook.t0 = performance.now();
  const base = opts.boundaries || '/api/v1/map';
  gridsUrl = `${base}/grids.geojson`;
  // The page's own copy of the small layers (names, bounds, label points) downloads first: the
  // townships give the county's extent, so the map starts on it and cuts its tiles once.
  for (const layer of ['townships', 'villages']) fetchLayer(base, layer).catch(() => {});
  let extent = null;
  try {
    extent = countyBox(await fetchLayer(base, 'townships'));
  } catch (_) { /* no extent: the default view, refitted when the boundaries come */ }
  map = new window.maplibregl.Map({
    container,
    style: style(base, opts.tile_url, opts.tile_attribution),
    ...(extent
      ? { bounds: [[extent[0], extent[1]], [extent[2], extent[3]]], fitBoundsOptions: { padding: 24 } }
      : { center: [115.52, 40.4], zoom: 8.6 }),
    localIdeographFontFamily: CJK_FONTS,
    // Labels appear at once (no 300 ms fade): the map is settled sooner.
    fadeDuration: 0,
    attributionControl: opts.tile_url ? {} : false,
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  map.addControl(new window.maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new window.maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  hook.map = map;
  map.on('click', (e) => {
    // While the planner edits a draft, clicks belong to the editor (js/editor.js).
    if (hook.editing) return;
    const hit = map.queryRenderedFeatures(e.point, { layers: ['events-circle'] });
    const record = onRegistryPoint ? map.queryRenderedFeatures(e.point, { layers: ['registry-points'] }) : [];
    if (hit.length > 0) onEvent(String(hit[0].properties.id));
    else if (record.length > 0) onRegistryPoint(String(record[0].properties.id));
    else onClick(e.lngLat.lng, e.lngLat.lat);
  });
  for (const layer of ['events-circle', 'registry-points']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  hook.sourceLoadedMs = {};
  map.on('sourcedata', (e) => {
    if (!e.isSourceLoaded || hook.sourceLoadedMs[e.sourceId] !== undefined) return;
    if (e.sourceId === 'grids' && gridsUrl) {
      hook.gridsDrawn = true;
      hook.sourceLoadedMs.grids = performance.now();
    } else if (hook.loaded[e.sourceId]) {
      hook.sourceLoadedMs[e.sourceId] = performance.now();
    }
  });
  map.on('idle', () => {
    // Counted once the grids are drawn and the county view with its labels is set.
    if (hook.gridsDrawn && hook.boundariesMs !== undefined && hook.firstIdleMs === undefined) {
      hook.firstIdleMs = performance.now();
      firstIdleDone();
    }
  });
  // Work that can wait for the map (the figures) waits at most this long.
  setTimeout(firstIdleDone, 3000);
  // Ready once the style is parsed (its sources and layers exist), not after the first full
  // render: the county view is set before the first tiles are cut.
  return new Promise((resolve) => map.once('style.load', () => { ready = true; resolve(); }));
}

function labelPoints(features) {
  return {
    type: 'FeatureCollection',
    features: features
      .filter((f) => f.properties && f.properties.label_lon != null)
      .map((f) => ({
        type: 'Feature',
        properties: { name: f.properties.name, code: f.properties.code },
        geometry: { type: 'Point', coordinates: [f.properties.label_lon, f.properties.label_lat] },
      })),
  };
}

const fetched = new Map();
/** A boundary layer's GeoJSON, fetched once per URL. */
function fetchLayer(base, layer) {
  const url = `${base}/${layer}.geojson`;
  if (!fetched.has(url)) {
    fetched.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${layer}: HTTP ${r.status}`);
      return r.json();
    }));
  }
  return fetched.get(url);
}

function indexLayer(layer, data) {
  byCode[layer].clear();
  for (const f of data.features) byCode[layer].set(String(f.properties.code), f);
  hook.loaded[layer] = data.features.length;
}

/**
 * The page's own copy of the boundaries (names, bounds, label points; MapLibre's workers load
 * the drawn layers themselves): the townships first, which set the county view; the villages
 * when they come; the grids (the largest layer) once the map is idle. Resolves to JSON text:
 * the townships as [{code, name}] sorted by code.
 */
export async function loadBoundaries(base) {
  const townships = await fetchLayer(base, 'townships');
  indexLayer('townships', townships);
  map.getSource('township-labels').setData(labelPoints(townships.features));
  fetchLayer(base, 'villages').then((villages) => {
    indexLayer('villages', villages);
    map.getSource('village-labels').setData(labelPoints(villages.features));
  }).catch((e) => console.error(e));
  map.once('idle', () => {
    fetchLayer(base, 'grids').then((data) => {
      indexLayer('grids', data);
      map.getSource('grid-labels').setData(labelPoints(data.features));
    }).catch((e) => console.error(e));
  });
  // The whole county in view (the map started there unless the townships came late).
  const box = countyBox(townships);
  if (box) map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 24, duration: 0 });
  hook.boundariesMs = performance.now();
  const list = townships.features
    .map((f) => ({ code: String(f.properties.code), name: f.properties.name }))
    .sort((a, b) => a.code.localeCompare(b.code));
  return JSON.stringify({ townships: list });
}

/** [w, s, e, n] of all the townships, or null. */
function countyBox(townships) {
  const all = townships.features.map((f) => bounds(f.geometry));
  if (all.length === 0) return null;
  return all.reduce((a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]);
}

function bounds(geometry) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [w, s, e, n];
}

/**
 * The villages of a township or the grids of a village (codes start with their parent's), as
 * JSON text of [{code, name}] sorted by code: the division tree the page already holds.
 */
export function childFeatures(layer, prefix) {
  const out = [];
  for (const [code, f] of (byCode[layer] || new Map())) {
    if (code.startsWith(prefix)) out.push({ code, name: String(f.properties.name) });
  }
  out.sort((a, b) => a.code.localeCompare(b.code));
  return JSON.stringify(out);
}

/** Fits the map to a township, village or grid by code; false when the code is unknown. */
export function fitFeature(layer, code) {
  if (!ready) return false;
  const f = byCode[layer] && byCode[layer].get(code);
  if (!f) return false;
  const [w, s, e, n] = bounds(f.geometry);
  map.fitBounds([[w, s], [e, n]], { padding: 40, duration: 800 });
  return true;
}

/** The name of a township, village or grid by code ('' when unknown). */
export function featureName(layer, code) {
  const f = byCode[layer] && byCode[layer].get(code);
  return f ? String(f.properties.name) : '';
}

/** Fits the map to [west, south, east, north]. */
export function fitBounds(w, s, e, n) {
  if (!ready) return;
  if (w === e && s === n) map.flyTo({ center: [w, s], zoom: 15, duration: 800 });
  else map.fitBounds([[w, s], [e, n]], { padding: 40, duration: 800, maxZoom: 16 });
}

/** Flies to a point at a zoom. */
export function flyTo(lon, lat, zoom) {
  if (!ready) return;
  map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), zoom), duration: 800 });
}

/** Outlines one grid (an empty code clears it). */
export function highlightGrid(code) {
  if (!ready) return;
  map.setFilter('grid-highlight', ['==', ['get', 'code'], code || '']);
}

/** Heat points as the JSON text of [[lon, lat, weight], ...]; shows the heatmap layer. */
export function setHeat(pointsJson) {
  if (!ready) return;
  const points = JSON.parse(pointsJson);
  // Cells carry counts: weights relative to the largest, so points and cells look alike.
  const max = points.reduce((m, p) => Math.max(m, p[2]), 1);
  map.getSource('heat').setData({
    type: 'FeatureCollection',
    features: points.map(([lon, lat, w]) => ({ type: 'Feature', properties: { w: max > 1 ? 0.2 + w / max : 1 }, geometry: { type: 'Point', coordinates: [lon, lat] } })),
  });
  hook.heatPoints = points.length;
}

/** Shows or hides a layer. */
export function setVisible(layer, visible) {
  if (!ready) return;
  if (map.getLayer(layer)) map.setLayoutProperty(layer, 'visibility', visible ? 'visible' : 'none');
}

/**
 * Colours the grids: JSON text of [[code, value 0..1], ...]; an empty list clears the
 * choropleth.
 */
export function setChoropleth(valuesJson) {
  if (!ready) return;
  for (const code of choroplethCodes) map.removeFeatureState({ source: 'grids', id: code }, 'value');
  const values = JSON.parse(valuesJson);
  choroplethCodes = values.map(([code]) => code);
  for (const [code, value] of values) map.setFeatureState({ source: 'grids', id: code }, { value });
  hook.choropleth = values.length;
}

let selectedEvent = null;
/** The events on the map: JSON text of [{id, lon, lat, tag}]. */
export function setEvents(eventsJson) {
  if (!ready) return;
  map.getSource('events').setData({
    type: 'FeatureCollection',
    features: JSON.parse(eventsJson).map((e) => ({
      type: 'Feature', properties: { id: e.id, tag: e.tag }, geometry: { type: 'Point', coordinates: [e.lon, e.lat] },
    })),
  });
  if (selectedEvent) map.setFeatureState({ source: 'events', id: selectedEvent }, { selected: true });
}

/** Marks one event as selected (an empty id clears it). */
export function selectEvent(id) {
  if (!ready) return;
  if (selectedEvent) map.removeFeatureState({ source: 'events', id: selectedEvent }, 'selected');
  selectedEvent = id || null;
  if (selectedEvent) map.setFeatureState({ source: 'events', id: selectedEvent }, { selected: true });
}

/** A pin at a point (NaN clears it). */
export function setPin(lon, lat) {
  if (!ready) return;
  const features = Number.isFinite(lon) ? [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } }] : [];
  map.getSource('pin').setData({ type: 'FeatureCollection', features });
}

/**
 * Gridworkers on patrol: JSON text of [{patrol_id, name, lon, lat, label, outside}] (their last
 * points, from GET /api/v1/patrols/live).
 */
export function setPatrols(patrolsJson) {
  if (!ready) return;
  const list = JSON.parse(patrolsJson);
  map.getSource('patrols').setData({
    type: 'FeatureCollection',
    features: list.map((p) => ({
      type: 'Feature', properties: { id: p.patrol_id, label: p.label, outside: Boolean(p.outside) },
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
    })),
  });
  hook.patrolsLive = list.length;
}

let onRegistryPoint = null;
/** onClick(id) for a click on a registry record's point (set once, with the map). */
export function onRegistryClick(onClick) {
  onRegistryPoint = onClick;
}

/** Registry records on the map (the houses of the area shown): JSON text of [{id, lon, lat, label}]. */
export function setRegistryPoints(pointsJson) {
  if (!ready) return;
  const list = JSON.parse(pointsJson);
  map.getSource('registry').setData({
    type: 'FeatureCollection',
    features: list.map((p) => ({
      type: 'Feature', properties: { id: p.id, label: p.label || '' }, geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
    })),
  });
  hook.registryPoints = list.length;
}

/**
 * Opens a server-sent event stream: onMessage(data) for each `event` (or unnamed) message, and
 * onMessage('') for `resync` (the client fell behind and reloads its list). Returns a handle for
 * closeStream.
 */
export function openStream(url, onMessage, onState) {
  const source = new EventSource(url);
  source.onmessage = (m) => onMessage(m.data);
  source.addEventListener('event', (m) => onMessage(m.data));
  source.addEventListener('resync', () => onMessage(''));
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  hook.stream = source;
  return source;
}

/** Closes a stream opened by openStream. */
export function closeStream(source) {
  if (source) source.close();
}
