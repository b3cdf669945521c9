//! Patrols (巡查): the checks a track fix must pass, and the figures computed from tracks —
//! patrol hours, distance, time outside the bound grids, and the coverage of grids on a fixed
//! 100 m raster (巡查走访率).
//!
//! **Coverage.** The county is cut by a fixed raster aligned to CGCS2000: cell `(col, row)`
//! spans longitudes `[col·Δλ, (col+1)·Δλ)` and latitudes `[row·Δφ, (row+1)·Δφ)`, where Δλ and
//! Δφ are 100 m in degrees at [`RASTER_REF_LAT`] (40.4° N, the middle of Huailai). A grid's
//! cells are the cells whose centre the grid index places in that grid (so a street-unit grid's
//! cells are its own, not its community grid's). A grid's coverage in a period is the share of
//! its cells that hold at least one track point or check-in; a grid too small to hold a cell
//! centre counts as one cell, covered if any fix lies in it. The patrol rate is the mean
//! coverage of the grids in scope, each grid weighing the same.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::coord::metres_per_degree;
use crate::{GridIndex, LonLat};

/// Most points accepted in one upload: a device that keeps a point every 10 s sends under
/// three hours of track per batch; larger queues are split by the device.
pub const MAX_POINTS_PER_BATCH: usize = 1000;

/// Largest accuracy (metres) accepted for a fix: beyond this it is no position at all.
pub const MAX_ACCURACY_M: f64 = 10_000.0;

/// How far a device's clock may run ahead of the server's, or a fix lie outside its patrol's
/// times (milliseconds).
pub const CLOCK_SKEW_MS: i64 = 2 * 60 * 1000;

/// Longest patrol: a fix more than this after the start is refused, and an open patrol older
/// than this is no longer shown as live (milliseconds).
pub const MAX_PATROL_MS: i64 = 24 * 3600 * 1000;

/// How long a device may hold a patrol offline before uploading it (milliseconds).
pub const MAX_BACKDATE_MS: i64 = 7 * 24 * 3600 * 1000;

/// Farthest a fix may lie from the nearest grid of the county and still be plausible (metres).
pub const MAX_DISTANCE_FROM_GRIDS_M: f64 = 20_000.0;

/// Side of a coverage cell, in metres.
pub const CELL_M: f64 = 100.0;

/// The latitude at which the raster's cells are exactly [`CELL_M`] square.
pub const RASTER_REF_LAT: f64 = 40.4;

/// Why a fix (track point or check-in) was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FixError {
    /// Not a coordinate on the earth.
    #[error(transparent)]
    Coord(#[from] crate::CoordError),
    /// Accuracy negative, not finite or absurdly large.
    #[error("accuracy_m must be a finite number from 0 to {MAX_ACCURACY_M}, got {0}")]
    Accuracy(f64),
    /// The time lies outside the patrol (or in the future).
    #[error("time {at_ms} (unix ms) is outside the patrol's window {start_ms}..={end_ms}")]
    Time {
        /// The fix's time.
        at_ms: i64,
        /// Earliest time accepted.
        start_ms: i64,
        /// Latest time accepted.
        end_ms: i64,
    },
}

/// The times a patrol accepts fixes in (unix milliseconds, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Earliest time accepted.
    pub start_ms: i64,
    /// Latest time accepted.
    pub end_ms: i64,
}

impl Window {
    /// The window of a patrol started at `started_ms`, ended at `ended_ms` if it is, checked at
    /// `now_ms`: from the start to the end (or the longest patrol), never past now, each side
    /// widened by [`CLOCK_SKEW_MS`].
    ///
    /// ```
    /// use wangge_core::patrol::{Window, CLOCK_SKEW_MS};
    /// let w = Window::of(1_000_000, None, 2_000_000);
    /// assert_eq!((w.start_ms, w.end_ms), (1_000_000 - CLOCK_SKEW_MS, 2_000_000 + CLOCK_SKEW_MS));
    /// assert!(w.contains(1_500_000) && !w.contains(3_000_000));
    /// ```
    pub fn of(started_ms: i64, ended_ms: Option<i64>, now_ms: i64) -> Self {
        let end = ended_ms.unwrap_or(i64::MAX).min(started_ms.saturating_add(MAX_PATROL_MS)).min(now_ms);
        Self { start_ms: started_ms - CLOCK_SKEW_MS, end_ms: end.saturating_add(CLOCK_SKEW_MS) }
    }

    /// Whether `at_ms` is inside.
    pub fn contains(&self, at_ms: i64) -> bool {
        (self.start_ms..=self.end_ms).contains(&at_ms)
    }
}

/// Checks one fix: coordinates finite and on the earth, accuracy from 0 to
/// [`MAX_ACCURACY_M`], time inside `window`. (Plausibility against the county — within
/// [`MAX_DISTANCE_FROM_GRIDS_M`] of a grid — needs the index and is the caller's.)
///
/// ```
/// use wangge_core::patrol::{check_fix, Window};
/// let w = Window { start_ms: 0, end_ms: 10 };
/// assert!(check_fix(115.5, 40.4, 5, 8.0, w).is_ok());
/// assert!(check_fix(f64::NAN, 40.4, 5, 8.0, w).is_err());
/// assert!(check_fix(115.5, 40.4, 5, -1.0, w).is_err());
/// assert!(check_fix(115.5, 40.4, 11, 8.0, w).is_err());
/// ```
pub fn check_fix(lon: f64, lat: f64, at_ms: i64, accuracy_m: f64, window: Window) -> Result<LonLat, FixError> {
    let p = LonLat::new(lon, lat)?;
    if !accuracy_m.is_finite() || !(0.0..=MAX_ACCURACY_M).contains(&accuracy_m) {
        return Err(FixError::Accuracy(accuracy_m));
    }
    if !window.contains(at_ms) {
        return Err(FixError::Time { at_ms, start_ms: window.start_ms, end_ms: window.end_ms });
    }
    Ok(p)
}

/// One cell of the coverage raster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    /// Column: cells east of longitude 0.
    pub col: i32,
    /// Row: cells north of the equator.
    pub row: i32,
}

/// The fixed coverage raster: [`CELL_M`] cells aligned to CGCS2000's origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellRaster {
    /// Width of a cell in degrees of longitude.
    pub step_lon: f64,
    /// Height of a cell in degrees of latitude.
    pub step_lat: f64,
}

impl CellRaster {
    /// The county's raster: 100 m cells at [`RASTER_REF_LAT`].
    ///
    /// ```
    /// use wangge_core::patrol::CellRaster;
    /// let r = CellRaster::county();
    /// let c = r.cell(wangge_core::LonLat::new(115.505, 40.405).unwrap());
    /// let centre = r.centre(c);
    /// assert!((centre.lon - 115.505).abs() <= r.step_lon / 2.0);
    /// assert_eq!(r.cell(centre), c);
    /// ```
    pub fn county() -> Self {
        let (per_lon, per_lat) = metres_per_degree(RASTER_REF_LAT);
        Self { step_lon: CELL_M / per_lon, step_lat: CELL_M / per_lat }
    }

    /// The cell holding `p`.
    pub fn cell(&self, p: LonLat) -> Cell {
        Cell { col: (p.lon / self.step_lon).floor() as i32, row: (p.lat / self.step_lat).floor() as i32 }
    }

    /// The centre of a cell.
    pub fn centre(&self, c: Cell) -> LonLat {
        LonLat { lon: (f64::from(c.col) + 0.5) * self.step_lon, lat: (f64::from(c.row) + 0.5) * self.step_lat }
    }

    /// How many cells of grid `g` of `index` (cells whose centre the index places in it).
    pub fn cells_of(&self, index: &GridIndex, g: usize) -> usize {
        let Some([x0, y0, x1, y1]) = index.bbox(g) else { return 0 };
        let (lo, hi) = (self.cell(LonLat { lon: x0, lat: y0 }), self.cell(LonLat { lon: x1, lat: y1 }));
        let mut n = 0;
        for row in lo.row..=hi.row {
            for col in lo.col..=hi.col {
                if index.grid_at(self.centre(Cell { col, row })) == Some(g) {
                    n += 1;
                }
            }
        }
        n
    }
}

/// Distance in metres between two nearby points (local equirectangular approximation).
pub fn distance_m(a: LonLat, b: LonLat) -> f64 {
    let (per_lon, per_lat) = metres_per_degree((a.lat + b.lat) / 2.0);
    ((a.lon - b.lon) * per_lon).hypot((a.lat - b.lat) * per_lat)
}

/// A track point as the figures need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackFix {
    /// Unix milliseconds.
    pub at_ms: i64,
    /// Where (CGCS2000).
    pub at: LonLat,
    /// Outside the gridworker's bound grids.
    pub outside: bool,
}

/// One patrol as the figures need it.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolFacts {
    /// The gridworker.
    pub person_id: String,
    /// Start (unix ms).
    pub started_ms: i64,
    /// End (unix ms), `None` while open.
    pub ended_ms: Option<i64>,
    /// The track, in time order.
    pub points: Vec<TrackFix>,
    /// Check-ins: when and where.
    pub checkins: Vec<(i64, LonLat)>,
}

impl PatrolFacts {
    /// Its duration in ms: start to end, or to the last fix while open.
    pub fn duration_ms(&self) -> i64 {
        let last = self.points.iter().map(|p| p.at_ms).chain(self.checkins.iter().map(|c| c.0)).max();
        let end = self.ended_ms.or(last).unwrap_or(self.started_ms);
        (end - self.started_ms).max(0)
    }

    /// The length of its track in metres (consecutive points joined).
    pub fn length_m(&self) -> f64 {
        self.points.windows(2).map(|w| distance_m(w[0].at, w[1].at)).sum()
    }

    /// (ms spent outside the bound grids, ms tracked): each interval between consecutive
    /// points counts as where its first point was.
    pub fn outside_ms(&self) -> (i64, i64) {
        self.points.windows(2).fold((0, 0), |(out, all), w| {
            let dt = (w[1].at_ms - w[0].at_ms).max(0);
            (out + if w[0].outside { dt } else { 0 }, all + dt)
        })
    }
}

/// One gridworker's figures for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridworkerFigures {
    /// The gridworker.
    pub person_id: String,
    /// Patrols started in the period.
    pub patrols: u32,
    /// Their total duration in hours.
    pub hours: f64,
    /// Their total track length in kilometres.
    pub km: f64,
    /// Check-ins made on them.
    pub checkins: u32,
    /// Share of tracked time spent outside the bound grids (0 when nothing was tracked).
    pub outside_share: f64,
    /// Share of the cells of the gridworker's bound grids holding their own fixes.
    pub coverage: f64,
}

/// One grid's figures for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridFigures {
    /// The grid's code.
    pub code: String,
    /// Its cells (at least 1).
    pub cells: u32,
    /// Its cells holding a fix.
    pub covered: u32,
    /// `covered / cells`.
    pub coverage: f64,
    /// Check-ins (走访) in the grid.
    pub visits: u32,
}

/// The patrol figures of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatrolFigures {
    /// By gridworker, by id.
    pub by_gridworker: Vec<GridworkerFigures>,
    /// By grid, in the order asked.
    pub by_grid: Vec<GridFigures>,
    /// 巡查走访率: the mean coverage of the grids asked for (0 for none).
    pub patrol_rate: f64,
}

/// Cells and the grids holding fixes, for coverage.
struct Covered<'a> {
    index: &'a GridIndex,
    raster: CellRaster,
    cells: HashMap<usize, usize>,
}

impl Covered<'_> {
    /// Grid `g`'s cells, counted once.
    fn cells(&mut self, g: usize) -> usize {
        let (index, raster) = (self.index, self.raster);
        *self.cells.entry(g).or_insert_with(|| raster.cells_of(index, g))
    }

    /// (covered, cells) of each grid in `grids` for the fixes `fixes`: a grid without a cell
    /// centre counts as one cell, covered if a fix lies in it.
    fn tally(&mut self, grids: &[usize], fixes: &[LonLat]) -> Vec<(usize, usize)> {
        let visited: HashSet<Cell> = fixes.iter().map(|p| self.raster.cell(*p)).collect();
        let mut by_owner: HashMap<usize, usize> = HashMap::new();
        for c in visited {
            if let Some(g) = self.index.grid_at(self.raster.centre(c)) {
                *by_owner.entry(g).or_default() += 1;
            }
        }
        let touched: HashSet<usize> = fixes.iter().filter_map(|p| self.index.grid_at(*p)).collect();
        grids
            .iter()
            .map(|g| match self.cells(*g) {
                0 => (usize::from(touched.contains(g)), 1),
                n => (by_owner.get(g).copied().unwrap_or(0), n),
            })
            .collect()
    }
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole
    } else {
        0.0
    }
}

/// The figures of `patrols` over the grids `grids` (positions in `index`), each gridworker's
/// coverage over their `bound` grids. Every patrol counts for its gridworker; every fix of every
/// patrol counts for the grids' coverage.
///
/// ```
/// use std::collections::BTreeMap;
/// # use wangge_core::{index::GridShape, GridIndex, GridKind, GridRecord, DivisionRef, LonLat};
/// # use geo_types::{polygon, MultiPolygon};
/// use wangge_core::patrol::{patrol_figures, PatrolFacts, TrackFix};
/// # let d = DivisionRef { code: "130730100001".into(), name: "村".into() };
/// # let rec = GridRecord { code: "130730100001001".into(), name: "g".into(), kind: GridKind::Rural, village: d.clone(), township: d };
/// // A grid of about 850 m × 1,100 m: 8 or 9 columns of 11 cells.
/// let square = polygon![(x: 115.5, y: 40.4), (x: 115.51, y: 40.4), (x: 115.51, y: 40.41), (x: 115.5, y: 40.41), (x: 115.5, y: 40.4)];
/// let index = GridIndex::build(vec![GridShape { record: rec, geometry: MultiPolygon(vec![square]) }]).unwrap();
/// let fix = |at_ms, lon, lat| TrackFix { at_ms, at: LonLat::new(lon, lat).unwrap(), outside: false };
/// let walk = PatrolFacts {
///     person_id: "GW1".into(),
///     started_ms: 0,
///     ended_ms: Some(3_600_000),
///     points: vec![fix(0, 115.501, 40.401), fix(1_800_000, 115.505, 40.401)],
///     checkins: vec![],
/// };
/// let bound = BTreeMap::from([("GW1".to_string(), vec![0])]);
/// let f = patrol_figures(&index, &[0], &bound, &[walk]);
/// assert_eq!(f.by_gridworker[0].hours, 1.0);
/// assert!((f.by_gridworker[0].km - 0.339).abs() < 0.001); // 0.004° of longitude at 40.4° N
/// assert_eq!(f.by_grid[0].covered, 2);
/// assert!(f.patrol_rate > 0.0 && f.patrol_rate == f.by_grid[0].coverage);
/// ```
pub fn patrol_figures(
    index: &GridIndex,
    grids: &[usize],
    bound: &BTreeMap<String, Vec<usize>>,
    patrols: &[PatrolFacts],
) -> PatrolFigures {
    let mut cov = Covered { index, raster: CellRaster::county(), cells: HashMap::new() };
    let fixes = |p: &PatrolFacts| p.points.iter().map(|f| f.at).chain(p.checkins.iter().map(|c| c.1)).collect::<Vec<_>>();
    let mut by_person: BTreeMap<&str, Vec<&PatrolFacts>> = BTreeMap::new();
    for p in patrols {
        by_person.entry(p.person_id.as_str()).or_default().push(p);
    }
    let by_gridworker = by_person
        .into_iter()
        .map(|(person, walks)| {
            let (out, all) = walks.iter().map(|w| w.outside_ms()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            let own: Vec<LonLat> = walks.iter().flat_map(|w| fixes(w)).collect();
            let tally = cov.tally(bound.get(person).map_or(&[][..], Vec::as_slice), &own);
            let (covered, cells) = tally.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            GridworkerFigures {
                person_id: person.to_owned(),
                patrols: u32::try_from(walks.len()).unwrap_or(u32::MAX),
                hours: walks.iter().map(|w| w.duration_ms()).sum::<i64>() as f64 / 3_600_000.0,
                km: walks.iter().map(|w| w.length_m()).sum::<f64>() / 1000.0,
                checkins: u32::try_from(walks.iter().map(|w| w.checkins.len()).sum::<usize>()).unwrap_or(u32::MAX),
                outside_share: share(out as f64, all as f64),
                coverage: share(covered as f64, cells as f64),
            }
        })
        .collect();
    let every: Vec<LonLat> = patrols.iter().flat_map(fixes).collect();
    let mut visits: HashMap<usize, u32> = HashMap::new();
    for (_, p) in patrols.iter().flat_map(|p| &p.checkins) {
        if let Some(g) = index.grid_at(*p) {
            *visits.entry(g).or_default() += 1;
        }
    }
    let by_grid: Vec<GridFigures> = grids
        .iter()
        .zip(cov.tally(grids, &every))
        .map(|(g, (covered, cells))| GridFigures {
            code: index.grids().get(*g).map(|r| r.code.clone()).unwrap_or_default(),
            cells: u32::try_from(cells).unwrap_or(u32::MAX),
            covered: u32::try_from(covered).unwrap_or(u32::MAX),
            coverage: share(covered as f64, cells as f64),
            visits: visits.get(g).copied().unwrap_or(0),
        })
        .collect();
    let patrol_rate = share(by_grid.iter().map(|g| g.coverage).sum(), by_grid.len() as f64);
    PatrolFigures { by_gridworker, by_grid, patrol_rate }
}

#[cfg(test)]
mod tests {
    use geo_types::{polygon, MultiPolygon};

    use super::*;
    use crate::index::GridShape;
    use crate::{DivisionRef, GridKind, GridRecord};

    fn index() -> GridIndex {
        let d = DivisionRef { code: "130730100001".into(), name: "村".into() };
        let rec = |code: &str, kind| GridRecord { code: code.into(), name: code.into(), kind, village: d.clone(), township: d.clone() };
        let a = polygon![(x: 115.5, y: 40.4), (x: 115.51, y: 40.4), (x: 115.51, y: 40.41), (x: 115.5, y: 40.41), (x: 115.5, y: 40.4)];
        let b = polygon![(x: 115.51, y: 40.4), (x: 115.52, y: 40.4), (x: 115.52, y: 40.41), (x: 115.51, y: 40.41), (x: 115.51, y: 40.4)];
        // A street unit inside A, smaller than a cell and off every cell centre.
        let r = CellRaster::county();
        let c = r.centre(r.cell(LonLat { lon: 115.503, lat: 40.403 }));
        let (x, y) = (c.lon + r.step_lon / 8.0, c.lat + r.step_lat / 8.0);
        let (w, h) = (r.step_lon / 4.0, r.step_lat / 4.0);
        let tiny = polygon![(x: x, y: y), (x: x + w, y: y), (x: x + w, y: y + h), (x: x, y: y + h), (x: x, y: y)];
        GridIndex::build(vec![
            GridShape { record: rec("130730100001001", GridKind::Community), geometry: MultiPolygon(vec![a]) },
            GridShape { record: rec("130730100001002", GridKind::Community), geometry: MultiPolygon(vec![b]) },
            GridShape { record: rec("130730100001Z01", GridKind::StreetUnit), geometry: MultiPolygon(vec![tiny]) },
        ])
        .unwrap()
    }

    /// Cells whose centre lies in the lon/lat rectangle, counted directly.
    fn cells_in_rect(x0: f64, y0: f64, x1: f64, y1: f64) -> usize {
        let r = CellRaster::county();
        let cols = ((x0 / r.step_lon).floor() as i32..=(x1 / r.step_lon).floor() as i32)
            .filter(|c| (x0..x1).contains(&((f64::from(*c) + 0.5) * r.step_lon)))
            .count();
        let rows = ((y0 / r.step_lat).floor() as i32..=(y1 / r.step_lat).floor() as i32)
            .filter(|c| (y0..y1).contains(&((f64::from(*c) + 0.5) * r.step_lat)))
            .count();
        cols * rows
    }

    fn fix(at_ms: i64, lon: f64, lat: f64, outside: bool) -> TrackFix {
        TrackFix { at_ms, at: LonLat { lon, lat }, outside }
    }

    #[test]
    fn cells_are_100_m_at_the_reference_latitude() {
        let r = CellRaster::county();
        let a = LonLat { lon: 115.5, lat: RASTER_REF_LAT };
        let east = LonLat { lon: 115.5 + r.step_lon, lat: RASTER_REF_LAT };
        let north = LonLat { lon: 115.5, lat: RASTER_REF_LAT + r.step_lat };
        assert!((distance_m(a, east) - 100.0).abs() < 0.01);
        assert!((distance_m(a, north) - 100.0).abs() < 0.01);
    }

    #[test]
    fn a_grid_has_the_cells_whose_centre_it_holds() {
        let index = index();
        let r = CellRaster::county();
        let expected = cells_in_rect(115.5, 40.4, 115.51, 40.41);
        assert!((80..=100).contains(&expected), "{expected}");
        assert_eq!(r.cells_of(&index, 0), expected);
        assert_eq!(r.cells_of(&index, 2), 0, "the tiny street unit holds no centre");
    }

    #[test]
    fn figures_by_gridworker_and_grid() {
        let index = index();
        let cells_a = cells_in_rect(115.5, 40.4, 115.51, 40.41) as f64;
        let cells_b = cells_in_rect(115.51, 40.4, 115.52, 40.41) as f64;
        // GW1 bound to A: three points in three cells of A (one outside, in B), a check-in.
        let one = PatrolFacts {
            person_id: "GW1".into(),
            started_ms: 0,
            ended_ms: Some(7_200_000),
            points: vec![
                fix(0, 115.5015, 40.4015, false),
                fix(600_000, 115.5035, 40.4015, false),
                fix(1_800_000, 115.5155, 40.4015, true),
                fix(2_400_000, 115.5055, 40.4015, false),
            ],
            checkins: vec![(900_000, LonLat { lon: 115.5035, lat: 40.4016 })],
        };
        // GW2, open, one point in A's first cell again and a check-in in the tiny street unit.
        let tiny = index.bbox(2).unwrap();
        let in_tiny = LonLat { lon: (tiny[0] + tiny[2]) / 2.0, lat: (tiny[1] + tiny[3]) / 2.0 };
        let two = PatrolFacts {
            person_id: "GW2".into(),
            started_ms: 0,
            ended_ms: None,
            points: vec![fix(60_000, 115.5016, 40.4016, false)],
            checkins: vec![(120_000, in_tiny)],
        };
        let bound = BTreeMap::from([("GW1".into(), vec![0]), ("GW2".into(), vec![2])]);
        let f = patrol_figures(&index, &[0, 1, 2], &bound, &[one, two]);
        let gw1 = &f.by_gridworker[0];
        assert_eq!((gw1.patrols, gw1.checkins, gw1.hours), (1, 1, 2.0));
        // 600 s inside, 1200 s inside, 600 s outside.
        assert!((gw1.outside_share - 600.0 / 2400.0).abs() < 1e-12);
        let (per_lon, _) = metres_per_degree(40.4015);
        assert!((gw1.km - (0.002 + 0.012 + 0.010) * per_lon / 1000.0).abs() < 1e-6);
        // Cells of A visited by GW1: three points and the check-in share a cell → 3.
        assert!((gw1.coverage - 3.0 / cells_a).abs() < 1e-12);
        let gw2 = &f.by_gridworker[1];
        assert_eq!((gw2.hours, gw2.coverage), (120_000.0 / 3_600_000.0, 1.0));
        // Grid A: the same 3 cells (GW2's point shares the first, the tiny unit's check-in lies in
        // a cell whose centre is A's) → 4 with that cell; B: 1; the tiny unit: covered.
        let a = &f.by_grid[0];
        assert_eq!((a.covered, a.visits), (4, 1));
        assert!((a.coverage - 4.0 / cells_a).abs() < 1e-12);
        assert!((f.by_grid[1].coverage - 1.0 / cells_b).abs() < 1e-12);
        assert_eq!((f.by_grid[2].cells, f.by_grid[2].covered, f.by_grid[2].visits), (1, 1, 1));
        let mean = (4.0 / cells_a + 1.0 / cells_b + 1.0) / 3.0;
        assert!((f.patrol_rate - mean).abs() < 1e-12);
    }

    #[test]
    fn no_grids_no_rate_and_no_track_no_share() {
        let f = patrol_figures(&index(), &[], &BTreeMap::new(), &[]);
        assert_eq!(f.patrol_rate, 0.0);
        let lone = PatrolFacts { person_id: "x".into(), started_ms: 5, ended_ms: None, points: vec![], checkins: vec![] };
        assert_eq!((lone.duration_ms(), lone.outside_ms(), lone.length_m()), (0, (0, 0), 0.0));
    }

    #[test]
    fn windows_close_at_the_end_the_longest_patrol_and_now() {
        let w = Window::of(0, Some(1000), 10_000_000);
        assert_eq!(w.end_ms, 1000 + CLOCK_SKEW_MS);
        let w = Window::of(0, None, i64::MAX / 2);
        assert_eq!(w.end_ms, MAX_PATROL_MS + CLOCK_SKEW_MS);
        assert!(check_fix(115.5, 40.4, -CLOCK_SKEW_MS - 1, 1.0, Window::of(0, None, 10)).is_err());
        assert!(check_fix(115.5, 40.4, 0, MAX_ACCURACY_M + 1.0, Window::of(0, None, 10)).is_err());
        assert!(check_fix(115.5, 40.4, 0, f64::INFINITY, Window::of(0, None, 10)).is_err());
    }
}
