//! Orchestrates the generation: outline → lattice → townships → villages → grids → street
//! units → traced polygons with areas.

use geo::GeodesicArea;
use geo_types::{Coord, MultiPolygon, Polygon};
use wangge_core::GridKind;

use crate::divisions::{self, Divisions, VillageRow};
use crate::grow::{grow, Frame, Seed, FREE};
use crate::lattice::{Lattice, STEP};
use crate::outline::{self, Outline, UNITS_PER_DEGREE};
use crate::plan::{apportion, spread_seeds, Rng};
use crate::topology::{assemble, Graph};
use crate::{GenError, COMMUNITY_GRIDS, RURAL_GRIDS, SEED, STREET_UNIT_GRIDS};

/// Cells a community grid is budgeted (≈ 0.07 km²).
const CELLS_PER_COMMUNITY_GRID: f64 = 28.0;
/// The county seat 沙城镇, placed where the real town is.
const SEAT: (&str, f64, f64) = ("130730100", 115.518, 40.415);
/// Street-unit compounds are 2 × 2 cells (≈ 90 m × 110 m).
const SU_CELLS: usize = 2;
const SU_KINDS: [&str; 15] = [
    "小学", "中学", "幼儿园", "卫生院", "医院", "供电所", "农贸市场", "加油站", "汽车站", "派出所", "敬老院",
    "邮政所", "粮库", "物流园", "酒厂",
];

/// A township or village polygon.
#[derive(Debug, Clone)]
pub struct Region {
    /// Official code.
    pub code: String,
    /// Official name (villages: short name, e.g. 华祥社区).
    pub name: String,
    /// `township`, `village` or `community`.
    pub kind: &'static str,
    /// Code of the parent division.
    pub parent_code: String,
    /// Its boundary.
    pub geometry: MultiPolygon<f64>,
    /// Geodesic area.
    pub area_km2: f64,
}

/// A grid polygon and its attributes.
#[derive(Debug, Clone)]
pub struct GridOut {
    /// Grid code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Community, rural or street unit.
    pub kind: GridKind,
    /// Village code and name.
    pub village: (String, String),
    /// Township code and name.
    pub township: (String, String),
    /// For street units, the community grid around it.
    pub parent_grid: Option<String>,
    /// Its boundary.
    pub geometry: MultiPolygon<f64>,
    /// Geodesic area.
    pub area_km2: f64,
}

/// Figures of a generation, for reports.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Lattice size.
    pub cells: (usize, usize),
    /// Cells with area inside the county.
    pub active_cells: usize,
    /// Distinct vertices of the boundary graph.
    pub vertices: usize,
    /// Outline vertices dropped while cleaning the source.
    pub outline_removed: usize,
}

/// The whole demo county.
#[derive(Debug, Clone)]
pub struct County {
    /// County code and name.
    pub county: (String, String),
    /// The cleaned outline in degrees.
    pub outline: Polygon<f64>,
    /// Townships in code order.
    pub townships: Vec<Region>,
    /// Villages and communities in code order.
    pub villages: Vec<Region>,
    /// Grids: tiling grids in code order, then street units.
    pub grids: Vec<GridOut>,
    /// Figures.
    pub stats: Stats,
}

/// Generates the county from the outline GeoJSON and the divisions CSV.
pub fn generate(outline_geojson: &str, divisions_csv: &str) -> Result<County, GenError> {
    let outline = outline::parse(outline_geojson)?;
    let divs = divisions::parse(divisions_csv)?;
    let lat = Lattice::new(&outline);
    let mut rng = Rng::new(SEED);
    let mid_lat = outline.origin.1 + (lat.y0 as f64 + lat.ny as f64) / UNITS_PER_DEGREE;
    let frame = Frame { nx: lat.nx, ny: lat.ny, x_scale: mid_lat.to_radians().cos() };
    let ctx = Ctx { lat: &lat, frame, outline: &outline };

    let (township_of, seats) = ctx.townships(&divs, &mut rng)?;
    let (village_of, village_list, comm_counts) = ctx.villages(&divs, &township_of, &seats, &mut rng)?;
    let (grid_of, grid_plan) = ctx.grids(&village_of, &village_list, &comm_counts, &mut rng)?;
    let units = ctx.street_units(&grid_of, &grid_plan, &mut rng)?;

    let graph = Graph::build(&lat, &grid_of)?;
    let to_deg = |(x, y): (f64, f64)| Coord {
        x: outline.origin.0 + x / UNITS_PER_DEGREE,
        y: outline.origin.1 + y / UNITS_PER_DEGREE,
    };
    let polys = |label: &dyn Fn(usize) -> u32, n: usize| -> Result<Vec<MultiPolygon<f64>>, GenError> {
        let mut rings = graph.faces(label);
        (0..n as u32)
            .map(|l| {
                let r = rings.remove(&l).ok_or_else(|| GenError::Topology(format!("label {l} has no face")))?;
                Ok(assemble(&graph, r, &to_deg))
            })
            .collect()
    };
    let grid_geoms = polys(&|c| grid_of[c], grid_plan.len())?;
    let village_geoms = polys(&|c| village_of[c], village_list.len())?;
    let township_geoms = polys(&|c| township_of[c], divs.townships.len())?;

    let townships = divs
        .townships
        .iter()
        .zip(township_geoms)
        .map(|(t, g)| region(&t.code, &t.name, "township", &divs.county.0, g))
        .collect();
    let villages = village_list
        .iter()
        .zip(village_geoms)
        .map(|(v, g)| {
            let kind = if v.community { "community" } else { "village" };
            region(&v.code, v.short_name(), kind, &v.township_code, g)
        })
        .collect();
    let town_name = |code: &str| divs.townships.iter().find(|t| t.code == code).map(|t| t.name.clone()).unwrap_or_default();
    let mut grids: Vec<GridOut> = grid_plan
        .iter()
        .zip(grid_geoms)
        .map(|(p, geometry)| {
            let v = &village_list[p.village];
            GridOut {
                code: p.code.clone(),
                name: p.name.clone(),
                kind: if v.community { GridKind::Community } else { GridKind::Rural },
                village: (v.code.clone(), v.short_name().to_string()),
                township: (v.township_code.clone(), town_name(&v.township_code)),
                parent_grid: None,
                area_km2: area_km2(&geometry),
                geometry,
            }
        })
        .collect();
    for u in units {
        let parent = grids[u.grid].clone();
        let geometry = MultiPolygon(vec![u.polygon(&to_deg)]);
        grids.push(GridOut {
            code: u.code,
            name: u.name,
            kind: GridKind::StreetUnit,
            parent_grid: Some(parent.code),
            area_km2: area_km2(&geometry),
            geometry,
            ..parent
        });
    }
    let ring: Vec<Coord<f64>> =
        outline.ring.iter().chain(outline.ring.first()).map(|p| to_deg(p.to_f64())).collect();
    Ok(County {
        county: divs.county.clone(),
        outline: Polygon::new(ring.into(), vec![]),
        townships,
        villages,
        grids,
        stats: Stats {
            cells: (lat.nx, lat.ny),
            active_cells: lat.active.iter().filter(|&&a| a).count(),
            vertices: graph.vertex_count(),
            outline_removed: outline.removed,
        },
    })
}

fn region(code: &str, name: &str, kind: &'static str, parent: &str, geometry: MultiPolygon<f64>) -> Region {
    Region {
        code: code.into(),
        name: name.into(),
        kind,
        parent_code: parent.into(),
        area_km2: area_km2(&geometry),
        geometry,
    }
}

fn area_km2(g: &MultiPolygon<f64>) -> f64 {
    (g.geodesic_area_unsigned() / 1e6 * 1e6).round() / 1e6
}

/// Village label per cell, the villages in label order, and community grid counts.
type VillagePlan = (Vec<u32>, Vec<VillageRow>, Vec<usize>);

/// A planned tiling grid.
#[derive(Debug, Clone)]
struct GridPlan {
    code: String,
    name: String,
    village: usize,
    community: bool,
}

/// A planned street unit: a block of cells inside one grid.
#[derive(Debug, Clone)]
struct Unit {
    code: String,
    name: String,
    grid: usize,
    corner: (i64, i64),
}

impl Unit {
    fn polygon(&self, to_deg: &dyn Fn((f64, f64)) -> Coord<f64>) -> Polygon<f64> {
        let (x, y) = self.corner;
        let s = STEP * SU_CELLS as i64;
        let pts = [(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
        Polygon::new(pts.iter().map(|&(a, b)| to_deg((a as f64, b as f64))).collect::<Vec<_>>().into(), vec![])
    }
}

struct Ctx<'a> {
    lat: &'a Lattice,
    frame: Frame,
    outline: &'a Outline,
}

impl Ctx<'_> {
    /// Cell centre in distance units (cells, x scaled by cos φ).
    fn centre(&self, c: usize) -> (f64, f64) {
        ((c % self.lat.nx) as f64 * self.frame.x_scale, (c / self.lat.nx) as f64)
    }

    fn cell_at(&self, x: f64, y: f64) -> Option<usize> {
        let (col, row) = ((x / self.frame.x_scale).round(), y.round());
        let ok = col >= 0.0 && row >= 0.0 && (col as usize) < self.lat.nx && (row as usize) < self.lat.ny;
        ok.then(|| row as usize * self.lat.nx + col as usize)
    }

    fn cell_of_lonlat(&self, lon: f64, lat: f64) -> Option<usize> {
        let x = (lon - self.outline.origin.0) * UNITS_PER_DEGREE;
        let y = (lat - self.outline.origin.1) * UNITS_PER_DEGREE;
        let col = ((x - self.lat.x0 as f64) / STEP as f64).floor();
        let row = ((y - self.lat.y0 as f64) / STEP as f64).floor();
        self.cell_at(col * self.frame.x_scale, row)
    }

    fn townships(&self, divs: &Divisions, rng: &mut Rng) -> Result<(Vec<u32>, Vec<usize>), GenError> {
        let active: Vec<(f64, f64, usize)> =
            (0..self.lat.active.len()).filter(|&c| self.lat.active[c]).map(|c| with(self.centre(c), c)).collect();
        let seat = self
            .cell_of_lonlat(SEAT.1, SEAT.2)
            .filter(|&c| self.lat.active[c])
            .ok_or_else(|| GenError::Plan("county seat outside the outline".into()))?;
        let seat_idx = divs.townships.iter().position(|t| t.code == SEAT.0).unwrap_or(0);
        let mut cells = spread_seeds(rng, &active, divs.townships.len() - 1, &[self.centre(seat)], 1.0);
        cells.insert(seat_idx, seat);
        let seeds: Vec<Seed> = cells.iter().map(|&cell| Seed { cell, cap: None }).collect();
        let mut labels = vec![FREE; self.lat.active.len()];
        let region: Vec<usize> = active.iter().map(|c| c.2).collect();
        grow(self.frame, &region, &|c| self.lat.active[c], &seeds, &mut labels, 0);
        Ok((labels, cells))
    }

    /// Grows each township's villages; communities are budgeted and clustered at the seat.
    fn villages(
        &self,
        divs: &Divisions,
        township_of: &[u32],
        seats: &[usize],
        rng: &mut Rng,
    ) -> Result<VillagePlan, GenError> {
        let mut list = divs.villages.clone();
        list.sort_by(|a, b| a.code.cmp(&b.code));
        let weights: Vec<f64> = list.iter().filter(|v| v.community).map(|_| 0.6 + 0.8 * rng.unit()).collect();
        let mut comm_counts = apportion(COMMUNITY_GRIDS, &weights).into_iter();
        let grid_counts: Vec<usize> =
            list.iter().map(|v| if v.community { comm_counts.next().unwrap_or(1) } else { 0 }).collect();
        let by_township = cells_by_label(township_of, divs.townships.len());
        let mut labels = vec![FREE; township_of.len()];
        for (ti, t) in divs.townships.iter().enumerate() {
            let base = list.iter().position(|v| v.township_code == t.code);
            let Some(base) = base else { return Err(GenError::Plan(format!("township {} has no villages", t.code))) };
            let members: Vec<usize> = (base..list.len()).take_while(|&i| list[i].township_code == t.code).collect();
            let cells: Vec<(f64, f64, usize)> = by_township[ti].iter().map(|&c| with(self.centre(c), c)).collect();
            let comms: Vec<usize> = members.iter().copied().filter(|&i| list[i].community).collect();
            let caps: Vec<usize> = comms.iter().map(|&i| (grid_counts[i] as f64 * CELLS_PER_COMMUNITY_GRID) as usize).collect();
            // Seeds are spaced for the nominal budget; a looser cap lets neighbours meet.
            let loose: Vec<usize> = caps.iter().map(|&c| c * 3 / 2).collect();
            let comm_cells = self.cluster(rng, seats[ti], &caps, &|c| township_of[c] == ti as u32);
            let avoid: Vec<(f64, f64)> = comm_cells.iter().map(|&c| self.centre(c)).collect();
            let free: Vec<(f64, f64, usize)> = cells.iter().copied().filter(|c| !comm_cells.contains(&c.2)).collect();
            let vill_cells = spread_seeds(rng, &free, members.len() - comms.len(), &avoid, 0.25);
            let (mut ci, mut vi) = (comm_cells.iter().zip(&loose), vill_cells.iter());
            let mut seeds = Vec::new();
            for &i in &members {
                let seed = if list[i].community {
                    ci.next().map(|(&cell, &cap)| Seed { cell, cap: Some(cap) })
                } else {
                    vi.next().map(|&cell| Seed { cell, cap: None })
                };
                seeds.push(seed.ok_or_else(|| GenError::Plan(format!("no room for {}", list[i].code)))?);
            }
            grow(self.frame, &by_township[ti], &|c| township_of[c] == ti as u32, &seeds, &mut labels, base as u32);
        }
        Ok((labels, list, grid_counts))
    }

    /// Community seeds on a jittered hexagonal pattern around the township's seat.
    fn cluster(&self, rng: &mut Rng, seat: usize, caps: &[usize], inside: &dyn Fn(usize) -> bool) -> Vec<usize> {
        if caps.is_empty() {
            return Vec::new();
        }
        let avg = caps.iter().sum::<usize>() as f64 / caps.len() as f64;
        // Hexagon area s²·√3/2 equals the budget (cells are x_scale wide in distance units).
        let s = (avg * self.frame.x_scale / 0.866).sqrt();
        let (sx, sy) = self.centre(seat);
        let reach = (caps.len() as f64).sqrt().ceil() as i64 + 3;
        let mut pts: Vec<(f64, f64)> = Vec::new();
        for r in -reach..=reach {
            for q in -reach..=reach {
                pts.push((sx + s * (q as f64 + r as f64 / 2.0), sy + s * 0.866 * r as f64));
            }
        }
        pts.sort_by(|a, b| ((a.0 - sx).hypot(a.1 - sy)).total_cmp(&(b.0 - sx).hypot(b.1 - sy)));
        let mut out = Vec::new();
        for (x, y) in pts {
            let jitter = 0.2 * s;
            let (x, y) = (x + jitter * (rng.unit() - 0.5), y + jitter * (rng.unit() - 0.5));
            if let Some(c) = self.cell_at(x, y).filter(|&c| inside(c) && self.lat.active[c] && !out.contains(&c)) {
                out.push(c);
            }
            if out.len() == caps.len() {
                break;
            }
        }
        out
    }

    /// Grows each village's grids.
    fn grids(
        &self,
        village_of: &[u32],
        list: &[VillageRow],
        comm_counts: &[usize],
        rng: &mut Rng,
    ) -> Result<(Vec<u32>, Vec<GridPlan>), GenError> {
        let by_village = cells_by_label(village_of, list.len());
        let rural_w: Vec<f64> =
            list.iter().zip(&by_village).filter(|(v, _)| !v.community).map(|(_, c)| c.len() as f64).collect();
        let mut rural = apportion(RURAL_GRIDS, &rural_w).into_iter();
        let mut labels = vec![FREE; village_of.len()];
        let mut plan = Vec::new();
        for (vi, v) in list.iter().enumerate() {
            let n = if v.community { comm_counts[vi] } else { rural.next().unwrap_or(1) };
            let cells: Vec<(f64, f64, usize)> = by_village[vi].iter().map(|&c| with(self.centre(c), c)).collect();
            if cells.len() < n * 4 {
                return Err(GenError::Plan(format!("{} has {} cells for {n} grids", v.code, cells.len())));
            }
            let seeds: Vec<Seed> = spread_seeds(rng, &cells, n, &[], 1.0).into_iter().map(|cell| Seed { cell, cap: None }).collect();
            grow(self.frame, &by_village[vi], &|c| village_of[c] == vi as u32, &seeds, &mut labels, plan.len() as u32);
            for k in 1..=n {
                plan.push(GridPlan {
                    code: format!("{}{k:03}", v.code),
                    name: format!("{}第{k}网格", v.short_name()),
                    village: vi,
                    community: v.community,
                });
            }
        }
        Ok((labels, plan))
    }

    /// Places the street units: a 2 × 2 block of cells well inside a community grid.
    fn street_units(&self, grid_of: &[u32], plan: &[GridPlan], rng: &mut Rng) -> Result<Vec<Unit>, GenError> {
        let by_grid = cells_by_label(grid_of, plan.len());
        let mut order: Vec<usize> = (0..plan.len()).filter(|&g| plan[g].community).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let mut units: Vec<Unit> = Vec::new();
        let mut per_village = std::collections::HashMap::<usize, usize>::new();
        for round in 0..3 {
            for &g in &order {
                let v = plan[g].village;
                let taken = per_village.get(&v).copied().unwrap_or(0);
                if units.len() == STREET_UNIT_GRIDS || taken > round || units.iter().any(|u| u.grid == g) {
                    continue;
                }
                if let Some(corner) = self.block_in(grid_of, g as u32, &by_grid[g]) {
                    let k = taken + 1;
                    let code = &plan[g].code[..12];
                    let base = plan[g].name.split("社区").next().unwrap_or(&plan[g].name).to_string();
                    let kind = SU_KINDS[(rng.below(SU_KINDS.len()) + k) % SU_KINDS.len()];
                    units.push(Unit { code: format!("{code}Z{k:02}"), name: format!("{base}{kind}"), grid: g, corner });
                    per_village.insert(v, k);
                }
            }
        }
        if units.len() < STREET_UNIT_GRIDS {
            return Err(GenError::Plan(format!("room for only {} street units", units.len())));
        }
        Ok(units)
    }

    /// The lattice corner of a 2 × 2 block whose 4 × 4 surround lies in grid `g`, well inside
    /// the county, nearest the grid's centre.
    fn block_in(&self, grid_of: &[u32], g: u32, cells: &[usize]) -> Option<(i64, i64)> {
        let nx = self.lat.nx;
        let (mx, my) = cells.iter().fold((0.0, 0.0), |a, &c| (a.0 + (c % nx) as f64, a.1 + (c / nx) as f64));
        let (mx, my) = (mx / cells.len() as f64, my / cells.len() as f64);
        let fits = |c: usize| {
            let (i, j) = (c % nx, c / nx);
            i >= 1 && j >= 1 && i + SU_CELLS < nx && j + SU_CELLS < self.lat.ny && {
                let all_cells = (j - 1..j + SU_CELLS + 1).all(|r| (i - 1..i + SU_CELLS + 1).all(|q| grid_of[r * nx + q] == g));
                let all_in = (j - 1..=j + SU_CELLS + 1).all(|r| (i - 1..=i + SU_CELLS + 1).all(|q| self.lat.vertex_inside(q, r)));
                all_cells && all_in
            }
        };
        let best = cells
            .iter()
            .copied()
            .filter(|&c| fits(c))
            .min_by(|&a, &b| {
                let d = |c: usize| ((c % nx) as f64 - mx).hypot((c / nx) as f64 - my);
                d(a).total_cmp(&d(b)).then(a.cmp(&b))
            })?;
        Some((self.lat.vx(best % nx), self.lat.hy(best / nx)))
    }
}

fn cells_by_label(labels: &[u32], n: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); n];
    for (c, &l) in labels.iter().enumerate() {
        if (l as usize) < n {
            out[l as usize].push(c);
        }
    }
    out
}

fn with(p: (f64, f64), c: usize) -> (f64, f64, usize) {
    (p.0, p.1, c)
}

impl County {
    /// The grids as index input, in the same order as [`County::grids`].
    pub fn grid_shapes(&self) -> Vec<wangge_core::index::GridShape> {
        self.grids
            .iter()
            .map(|g| wangge_core::index::GridShape {
                record: wangge_core::GridRecord {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    kind: g.kind,
                    village: wangge_core::DivisionRef { code: g.village.0.clone(), name: g.village.1.clone() },
                    township: wangge_core::DivisionRef { code: g.township.0.clone(), name: g.township.1.clone() },
                },
                geometry: g.geometry.clone(),
            })
            .collect()
    }
}
