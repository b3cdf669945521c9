//! Pure geometry of the field app: which of my grids a point is in (point in polygon, on the
//! device from the cached grid layer), the nearest of them when it is in none, and the
//! thinning of a patrol's track (巡查轨迹抽稀). The layer holds the grids of the account's
//! area; "mine" are those the gridworker is bound to when the service names them (every grid
//! of the layer otherwise).

use serde_json::Value;

/// Metres per degree of latitude (and of longitude at the equator).
const M_PER_DEG: f64 = 111_320.0;

/// A ring of `[lon, lat]` vertices (closed or not).
type Ring = Vec<[f64; 2]>;

/// One of my grids, as the device keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Grid code.
    pub code: String,
    /// Grid name.
    pub name: String,
    /// A street unit (驻街单位) lies inside a community grid and wins over it.
    pub street_unit: bool,
    /// One of the gridworker's own grids.
    pub mine: bool,
    /// Polygons, each an outer ring followed by its holes.
    pub polygons: Vec<Vec<Ring>>,
}

/// Where a point is among my grids.
#[derive(Debug, Clone, PartialEq)]
pub enum Here {
    /// Inside this grid of mine (index into the list).
    Mine(usize),
    /// Outside my grids: the grid of the layer holding the point, if any, and the nearest of
    /// my grids with the distance to its boundary in metres.
    Away {
        /// The layer's grid holding the point.
        inside: Option<usize>,
        /// The nearest of my grids and how far.
        nearest: Option<(usize, f64)>,
    },
    /// No grids known.
    Unknown,
}

/// The grids of a GeoJSON FeatureCollection (`code`, `name`, `kind` properties); features
/// without a polygon are skipped.
pub fn grids_of(layer: &Value) -> Vec<Grid> {
    let Some(features) = layer.get("features").and_then(Value::as_array) else { return Vec::new() };
    features.iter().filter_map(grid_of).collect()
}

fn grid_of(f: &Value) -> Option<Grid> {
    let props = f.get("properties")?;
    let text = |k: &str| props.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let geometry = f.get("geometry")?;
    let coords = geometry.get("coordinates")?;
    let polygons = match geometry.get("type").and_then(Value::as_str)? {
        "Polygon" => vec![rings(coords)?],
        "MultiPolygon" => coords.as_array()?.iter().map(rings).collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    Some(Grid { code: text("code"), name: text("name"), street_unit: text("kind") == "street_unit", mine: true, polygons })
}

fn rings(polygon: &Value) -> Option<Vec<Ring>> {
    polygon
        .as_array()?
        .iter()
        .map(|ring| ring.as_array()?.iter().map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?])).collect())
        .collect()
}

/// Whether `p` is inside the ring (even-odd rule).
fn in_ring(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + n - 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
    }
    inside
}

/// Whether the grid holds `p` (inside an outer ring and in none of its holes).
pub fn contains(grid: &Grid, p: [f64; 2]) -> bool {
    grid.polygons.iter().any(|rings| match rings.split_first() {
        Some((outer, holes)) => in_ring(outer, p) && !holes.iter().any(|h| in_ring(h, p)),
        None => false,
    })
}

/// Metres between two points (local equirectangular approximation: exact enough within a county).
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let k = ((a[1] + b[1]) / 2.0).to_radians().cos();
    ((a[0] - b[0]) * k).hypot(a[1] - b[1]) * M_PER_DEG
}

/// Metres from `p` to the segment `a`–`b`.
fn to_segment_m(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let k = p[1].to_radians().cos();
    let (ax, ay, bx, by) = ((a[0] - p[0]) * k, a[1] - p[1], (b[0] - p[0]) * k, b[1] - p[1]);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    (ax + t * dx).hypot(ay + t * dy) * M_PER_DEG
}

/// Metres from `p` to the grid's boundary.
pub fn to_boundary_m(grid: &Grid, p: [f64; 2]) -> f64 {
    grid.polygons
        .iter()
        .flatten()
        .flat_map(|ring| ring.iter().zip(ring.iter().cycle().skip(1)).map(move |(a, b)| to_segment_m(p, *a, *b)))
        .fold(f64::INFINITY, f64::min)
}

/// Marks my grids among the layer's: those named in `codes`, or all when none are named.
pub fn mark_mine(grids: &mut [Grid], codes: &[String]) {
    for g in grids {
        g.mine = codes.is_empty() || codes.contains(&g.code);
    }
}

/// Where `p` is: in one of my grids (a street unit before the community grid around it), else
/// in which grid of the layer, and the nearest of mine.
pub fn locate(grids: &[Grid], p: [f64; 2]) -> Here {
    if grids.is_empty() {
        return Here::Unknown;
    }
    let holding = |mine: bool, street: bool| {
        grids.iter().position(|g| (!mine || g.mine) && g.street_unit == street && contains(g, p))
    };
    if let Some(i) = holding(true, true).or_else(|| holding(true, false)) {
        return Here::Mine(i);
    }
    let inside = holding(false, true).or_else(|| holding(false, false));
    let nearest = grids
        .iter()
        .enumerate()
        .filter(|(_, g)| g.mine)
        .map(|(i, g)| (i, to_boundary_m(g, p)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    Here::Away { inside, nearest }
}

/// A position fix: `[lon, lat, unix_ms, accuracy_m]`, as the patrol API takes it.
pub type Fix = [f64; 4];

/// Fixes less accurate than this are dropped.
pub const MAX_ACCURACY_M: f64 = 100.0;
/// A fix closer than this to the last kept one is dropped…
pub const MIN_STEP_M: f64 = 10.0;
/// …unless this long has passed since it.
pub const MAX_GAP_MS: f64 = 60_000.0;

/// Whether a patrol keeps `fix` after `last` (the last fix kept): accuracy within 100 m, and at
/// least 10 m from the last kept fix or 60 s after it.
pub fn keep(last: Option<&Fix>, fix: &Fix) -> bool {
    if !(fix[3].is_finite() && fix[3] <= MAX_ACCURACY_M) {
        return false;
    }
    match last {
        None => true,
        Some(l) => fix[2] - l[2] >= MAX_GAP_MS || distance_m([l[0], l[1]], [fix[0], fix[1]]) >= MIN_STEP_M,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(code: &str, x: f64, y: f64, size: f64, street: bool) -> Grid {
        let ring = vec![[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]];
        Grid { code: code.into(), name: code.into(), street_unit: street, mine: true, polygons: vec![vec![ring]] }
    }

    #[test]
    fn a_point_is_in_its_grid_a_street_unit_first() {
        let grids = vec![square("community", 115.0, 40.0, 0.01, false), square("school", 115.002, 40.002, 0.002, true)];
        assert_eq!(locate(&grids, [115.001, 40.001]), Here::Mine(0));
        assert_eq!(locate(&grids, [115.003, 40.003]), Here::Mine(1));
    }

    #[test]
    fn outside_the_nearest_grid_is_named_with_its_distance() {
        let grids = vec![square("a", 115.0, 40.0, 0.01, false), square("b", 115.02, 40.0, 0.01, false)];
        // 0.001° east of b's east edge at 40°N: about 85 m.
        let Here::Away { inside: None, nearest: Some((i, d)) } = locate(&grids, [115.031, 40.005]) else { panic!("expected outside") };
        assert_eq!(grids[i].code, "b");
        assert!((d - 85.3).abs() < 1.0, "{d}");
        assert_eq!(locate(&[], [115.0, 40.0]), Here::Unknown);
    }

    #[test]
    fn in_a_grid_not_mine_the_nearest_of_mine_is_named() {
        let mut grids = vec![
            square("mine", 115.0, 40.0, 0.01, false),
            square("theirs", 115.01, 40.0, 0.01, false),
            square("school", 115.002, 40.002, 0.002, true),
        ];
        mark_mine(&mut grids, &["mine".to_owned()]);
        let Here::Away { inside: Some(1), nearest: Some((0, d)) } = locate(&grids, [115.015, 40.005]) else { panic!("expected away") };
        assert!((d - 426.0).abs() < 2.0, "{d}");
        // A street unit not bound to me inside my community grid: my community grid.
        assert_eq!(locate(&grids, [115.003, 40.003]), Here::Mine(0));
        mark_mine(&mut grids, &[]);
        assert!(grids.iter().all(|g| g.mine), "no list: every grid of the layer is mine");
    }

    #[test]
    fn holes_are_not_inside() {
        let outer = vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]];
        let hole = vec![[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0]];
        let g = Grid { code: "h".into(), name: "h".into(), street_unit: false, mine: true, polygons: vec![vec![outer, hole]] };
        assert!(contains(&g, [0.5, 0.5]));
        assert!(!contains(&g, [2.0, 2.0]));
    }

    #[test]
    fn grids_are_read_from_the_layer() {
        let layer = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "130730100001001", "name": "第1网格", "kind": "community"},
             "geometry": {"type": "MultiPolygon", "coordinates": [[[[115.0, 40.0], [115.1, 40.0], [115.1, 40.1], [115.0, 40.0]]]]}},
            {"type": "Feature", "properties": {"code": "x"}, "geometry": {"type": "Point", "coordinates": [1, 2]}}
        ]});
        let grids = grids_of(&layer);
        assert_eq!(grids.len(), 1);
        assert_eq!((grids[0].name.as_str(), grids[0].street_unit, grids[0].polygons[0][0].len()), ("第1网格", false, 4));
    }

    #[test]
    fn the_track_is_thinned() {
        let first: Fix = [115.5, 40.4, 0.0, 5.0];
        assert!(keep(None, &first));
        assert!(!keep(None, &[115.5, 40.4, 0.0, 150.0]), "too inaccurate");
        assert!(!keep(Some(&first), &[115.50005, 40.4, 10_000.0, 5.0]), "4 m away after 10 s");
        assert!(keep(Some(&first), &[115.50005, 40.4, 60_000.0, 5.0]), "a minute later");
        assert!(keep(Some(&first), &[115.5002, 40.4, 1_000.0, 5.0]), "17 m away");
        assert!(!keep(Some(&first), &[115.5002, 40.4, 1_000.0, f64::NAN]), "no accuracy");
    }
}
