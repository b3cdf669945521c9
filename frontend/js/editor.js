// The planner's boundary editor on the map (网格边界编辑): the draft's grids drawn over the
// dimmed county, a grid picked by a click, a cutting line drawn point by point, the selected
// grid's vertices dragged (every grid holding the same coordinate follows, snapped to a nearby
// vertex, else to a nearby edge; the app then inserts the point into that edge), the cutting
// line's points snapped the same way, problems of a check and the old boundaries. The draft itself lives in the app
// (Rust): it sends the grids here as JSON text and gets edits back through the callbacks.

const EMPTY = { type: 'FeatureCollection', features: [] };
const TEXT_FONT = ['Noto Sans CJK SC Regular', 'Noto Sans CJK SC', 'sans-serif'];
/** Snap to another vertex, else an edge, within this many pixels. */
const SNAP_PX = 8;

const hook = (window.__wangge = window.__wangge || {});
const state = {
  on: false,
  mode: 'select',
  draft: EMPTY,
  selected: '',
  line: [],
  drag: null,
  callbacks: null,
};
hook.editor = state;

function map() {
  return hook.map;
}

function fc(features) {
  return { type: 'FeatureCollection', features };
}

function point(lon, lat, props = {}) {
  return { type: 'Feature', properties: props, geometry: { type: 'Point', coordinates: [lon, lat] } };
}

function setData(source, data) {
  const s = map() && map().getSource(source);
  if (s) s.setData(data);
}

function addLayers(m) {
  if (m.getSource('draft')) return;
  const world = fc([{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]] } }]);
  for (const id of ['draft-mask', 'draft', 'draft-old', 'draft-problem', 'draft-vertices', 'draft-line']) {
    m.addSource(id, { type: 'geojson', data: id === 'draft-mask' ? world : EMPTY, ...(id === 'draft' ? { promoteId: 'code' } : {}) });
  }
  const selected = ['==', ['get', 'code'], ['literal', '']];
  m.addLayer({ id: 'draft-mask', type: 'fill', source: 'draft-mask', paint: { 'fill-color': '#3a4450', 'fill-opacity': 0.35 } });
  m.addLayer({ id: 'draft-fill', type: 'fill', source: 'draft', paint: { 'fill-color': '#fffdf5', 'fill-opacity': 0.75 } });
  m.addLayer({ id: 'draft-selected-fill', type: 'fill', source: 'draft', filter: selected, paint: { 'fill-color': '#ffd27f', 'fill-opacity': 0.6 } });
  m.addLayer({ id: 'draft-old-line', type: 'line', source: 'draft-old', paint: { 'line-color': '#8a8f96', 'line-width': 2, 'line-dasharray': [2, 2] } });
  m.addLayer({ id: 'draft-outline', type: 'line', source: 'draft', paint: { 'line-color': '#c0561b', 'line-width': 1.6 } });
  m.addLayer({ id: 'draft-selected-line', type: 'line', source: 'draft', filter: selected, paint: { 'line-color': '#0057b8', 'line-width': 3 } });
  m.addLayer({ id: 'draft-problem-fill', type: 'fill', source: 'draft-problem', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'fill-color': '#e0241b', 'fill-opacity': 0.35 } });
  m.addLayer({ id: 'draft-problem-line', type: 'line', source: 'draft-problem', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#e0241b', 'line-width': 2.5 } });
  m.addLayer({ id: 'draft-problem-point', type: 'circle', source: 'draft-problem', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 7, 'circle-color': '#e0241b', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  m.addLayer({
    id: 'draft-label', type: 'symbol', source: 'draft',
    layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 12 },
    paint: { 'text-color': '#5a2d0c', 'text-halo-color': '#ffffff', 'text-halo-width': 1.4 },
  });
  m.addLayer({ id: 'draft-line-path', type: 'line', source: 'draft-line', paint: { 'line-color': '#7b1fa2', 'line-width': 2.5, 'line-dasharray': [3, 1] } });
  m.addLayer({ id: 'draft-line-points', type: 'circle', source: 'draft-line', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#7b1fa2' } });
  m.addLayer({ id: 'draft-vertices', type: 'circle', source: 'draft-vertices', paint: { 'circle-radius': 5, 'circle-color': '#ffffff', 'circle-stroke-color': '#0057b8', 'circle-stroke-width': 2 } });
}

function setVisibility(visible) {
  const m = map();
  for (const l of m.getStyle().layers) {
    if (l.id.startsWith('draft-')) m.setLayoutProperty(l.id, 'visibility', visible ? 'visible' : 'none');
  }
}

/**
 * Starts (or stops, with on = false) editing on the map. onSelect(code) for a click on a grid
 * ('' outside the draft), onLine(json [[lon, lat], ...]) when a cutting line is finished,
 * onEdit(json FeatureCollection) when vertices were dragged.
 */
export function editorStart(on, onSelect, onLine, onEdit) {
  const m = map();
  if (!m) return false;
  addLayers(m);
  if (!state.listening) {
    state.listening = true;
    listen(m);
  }
  state.on = on;
  hook.editing = on;
  state.callbacks = on ? { onSelect, onLine, onEdit } : null;
  setVisibility(on);
  if (!on) {
    editorMode('select');
    setData('draft', EMPTY);
    setData('draft-old', EMPTY);
    setData('draft-problem', EMPTY);
  }
  return true;
}

/** The draft's grids (JSON FeatureCollection) and the selected grid's code. */
export function editorSetDraft(json, selected) {
  state.draft = JSON.parse(json);
  editorSelect(selected);
  setData('draft', state.draft);
}

/** Marks the selected grid; in vertex mode its vertices become draggable. */
export function editorSelect(code) {
  state.selected = code || '';
  const m = map();
  const filter = ['==', ['get', 'code'], ['literal', state.selected]];
  for (const id of ['draft-selected-fill', 'draft-selected-line']) if (m.getLayer(id)) m.setFilter(id, filter);
  showVertices();
}

/** 'select', 'split', 'vertex' or 'merge'. */
export function editorMode(mode) {
  const m = map();
  state.mode = mode;
  state.line = [];
  setData('draft-line', EMPTY);
  if (mode === 'split') m.doubleClickZoom.disable();
  else m.doubleClickZoom.enable();
  m.getCanvas().style.cursor = mode === 'split' ? 'crosshair' : '';
  showVertices();
}

/** Finishes the cutting line being drawn (the 完成 button); false with fewer than 2 points. */
export function editorFinishLine() {
  if (state.line.length < 2) return false;
  const line = state.line;
  state.line = [];
  setData('draft-line', EMPTY);
  if (state.callbacks) state.callbacks.onLine(JSON.stringify(line));
  return true;
}

/** Fits the map to a draft grid (or the whole draft for ''). */
export function editorFit(code) {
  const features = state.draft.features.filter((f) => !code || f.properties.code === code);
  if (features.length === 0) return;
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const f of features) eachCoord(f.geometry, (c) => {
    w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
  });
  map().fitBounds([[w, s], [e, n]], { padding: 80, duration: 0, maxZoom: 17 });
}

/** The old boundaries (dashed grey): JSON FeatureCollection, '' to clear. */
export function editorShowOld(json) {
  const old = json ? JSON.parse(json) : EMPTY;
  state.oldCount = old.features.length;
  setData('draft-old', old);
}

/** A problem in red: its geometry (JSON or ''), its point (NaN for none); flies there. */
export function editorShowProblem(geometryJson, lon, lat) {
  const features = [];
  if (geometryJson) features.push({ type: 'Feature', properties: {}, geometry: JSON.parse(geometryJson) });
  if (Number.isFinite(lon)) {
    features.push(point(lon, lat));
    map().flyTo({ center: [lon, lat], zoom: Math.max(map().getZoom(), 15), duration: 600 });
  }
  setData('draft-problem', fc(features));
  hook.problemShown = features.length;
}

/** Reloads the county's published grids on the map (after a publish). */
export function reloadGrids() {
  const s = map() && map().getSource('grids');
  if (s) s.setData('/api/v1/map/grids.geojson');
}

function eachCoord(geometry, f) {
  const walk = (c) => (typeof c[0] === 'number' ? f(c) : c.forEach(walk));
  walk(geometry.coordinates);
}

function selectedFeature() {
  return state.draft.features.find((f) => f.properties.code === state.selected);
}

function showVertices() {
  const f = state.mode === 'vertex' ? selectedFeature() : null;
  const seen = new Set();
  const points = [];
  if (f) eachCoord(f.geometry, (c) => {
    const k = `${c[0]},${c[1]}`;
    if (!seen.has(k)) {
      seen.add(k);
      points.push(point(c[0], c[1], { lon: c[0], lat: c[1] }));
    }
  });
  setData('draft-vertices', fc(points));
}

function showLine(extra) {
  const pts = extra ? [...state.line, extra] : state.line;
  const features = pts.map(([lon, lat]) => point(lon, lat));
  if (pts.length >= 2) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } });
  setData('draft-line', fc(features));
}

/** The nearest vertex within SNAP_PX of a screen point (but those in `dragged`), else null. */
function snapVertex(px, dragged) {
  const m = map();
  let best = null;
  let bestD = SNAP_PX * SNAP_PX;
  for (const f of state.draft.features) eachCoord(f.geometry, (c) => {
    if (dragged.has(c)) return;
    const p = m.project(c);
    const d = (p.x - px.x) ** 2 + (p.y - px.y) ** 2;
    if (d < bestD) { bestD = d; best = [c[0], c[1]]; }
  });
  return best;
}

function eachSegment(geometry, f) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  for (const ring of polys.flat()) for (let i = 0; i + 1 < ring.length; i++) f(ring[i], ring[i + 1]);
}

/**
 * The nearest point of a draft edge within SNAP_PX of a screen point (edges ending at a vertex
 * in `dragged` move with it and are left out), else null. Found on screen, placed on the edge
 * in lon/lat.
 */
function snapEdge(px, dragged) {
  const m = map();
  let best = null;
  let bestD = SNAP_PX * SNAP_PX;
  for (const f of state.draft.features) eachSegment(f.geometry, (a, b) => {
    if (dragged.has(a) || dragged.has(b)) return;
    const [p, q] = [m.project(a), m.project(b)];
    const [dx, dy] = [q.x - p.x, q.y - p.y];
    const len2 = dx * dx + dy * dy;
    if (len2 === 0) return;
    const t = Math.min(1, Math.max(0, ((px.x - p.x) * dx + (px.y - p.y) * dy) / len2));
    const d = (p.x + t * dx - px.x) ** 2 + (p.y + t * dy - px.y) ** 2;
    if (d < bestD && t > 0 && t < 1) { bestD = d; best = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]; }
  });
  return best;
}

/** Where a point at a screen position snaps to: a vertex, else an edge, else null. */
function snapTarget(px, dragged = new Set()) {
  return snapVertex(px, dragged) || snapEdge(px, dragged);
}

/** The coordinates (in every grid) equal to `at`: the ones a drag moves together. */
function coordinatesAt(at) {
  const found = new Set();
  for (const f of state.draft.features) eachCoord(f.geometry, (c) => {
    if (c[0] === at[0] && c[1] === at[1]) found.add(c);
  });
  return found;
}

function listen(m) {
  m.on('click', (e) => {
    if (!state.on || state.drag) return;
    if (state.mode === 'split') {
      const last = state.line[state.line.length - 1];
      const p = [e.lngLat.lng, e.lngLat.lat];
      // The second click of a double-click lands on the same pixel: not a new point.
      if (last) {
        const q = m.project(last);
        if (Math.abs(q.x - e.point.x) < 3 && Math.abs(q.y - e.point.y) < 3) return;
      }
      state.line.push(snapTarget(e.point) || p);
      showLine();
      return;
    }
    if (state.mode === 'vertex' && m.queryRenderedFeatures(e.point, { layers: ['draft-vertices'] }).length) return;
    const hit = m.queryRenderedFeatures(e.point, { layers: ['draft-fill'] });
    if (state.callbacks) state.callbacks.onSelect(hit.length ? String(hit[0].properties.code) : '');
  });
  m.on('dblclick', (e) => {
    if (!state.on || state.mode !== 'split') return;
    e.preventDefault();
    editorFinishLine();
  });
  m.on('mousemove', (e) => {
    if (!state.on) return;
    if (state.mode === 'split' && state.line.length) showLine([e.lngLat.lng, e.lngLat.lat]);
    if (!state.drag) return;
    const to = snapTarget(e.point, state.drag.coords) || [e.lngLat.lng, e.lngLat.lat];
    for (const c of state.drag.coords) { c[0] = to[0]; c[1] = to[1]; }
    state.drag.moved = true;
    setData('draft', state.draft);
    showVertices();
  });
  m.on('mousedown', 'draft-vertices', (e) => {
    if (!state.on || state.mode !== 'vertex') return;
    e.preventDefault();
    const p = e.features[0].properties;
    const at = [Number(p.lon), Number(p.lat)];
    // The exact coordinate as held in the draft (the rendered one may be rounded).
    let exact = at;
    let bestD = Infinity;
    eachCoord(selectedFeature().geometry, (c) => {
      const d = (c[0] - at[0]) ** 2 + (c[1] - at[1]) ** 2;
      if (d < bestD) { bestD = d; exact = [c[0], c[1]]; }
    });
    state.drag = { coords: coordinatesAt(exact), moved: false };
    m.dragPan.disable();
  });
  m.on('mouseup', () => {
    if (!state.drag) return;
    const moved = state.drag.moved;
    state.drag = null;
    m.dragPan.enable();
    if (moved && state.callbacks) state.callbacks.onEdit(JSON.stringify(state.draft));
  });
  m.on('mouseenter', 'draft-vertices', () => { if (state.on) m.getCanvas().style.cursor = 'move'; });
  m.on('mouseleave', 'draft-vertices', () => { if (state.on) m.getCanvas().style.cursor = state.mode === 'split' ? 'crosshair' : ''; });
}
