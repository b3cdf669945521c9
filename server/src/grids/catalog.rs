//! The in-memory copy of the store that requests are served from: grid features, ready-made
//! GeoJSON, and the division tree with its counts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::body::Bytes;
use geo::{BoundingRect, Intersects};
use geo_types::Rect;
use serde::Serialize;
use wangge_core::draft::Baseline;
use wangge_core::index::GridShape;
use wangge_core::{DivisionRef, GridKind, GridRecord};

use crate::records::{DatasetInfo, Grid, Township, Village, VillageKind};

/// Code of the county the service covers.
pub const COUNTY_CODE: &str = "130730";
/// Name of the county the service covers.
pub const COUNTY_NAME: &str = "怀来县";

/// Why the catalog could not be built from the store's contents.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A grid's GeoJSON could not be written.
    #[error("cannot serialise grid {code} as GeoJSON")]
    Serialize {
        /// The grid.
        code: String,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The store holds no grids.
    #[error("the store holds no grids")]
    Empty,
}

/// One grid as served: attributes, shape and its GeoJSON Feature text.
#[derive(Debug, Clone)]
pub struct CatalogGrid {
    /// The grid.
    pub grid: Grid,
    /// Bounding box of its shape.
    pub bbox: Option<Rect<f64>>,
    /// The grid as a GeoJSON Feature, serialised once at start-up.
    pub feature: String,
}

impl CatalogGrid {
    /// Whether the shape itself (not just its box) meets `rect`.
    pub fn intersects(&self, rect: &Rect<f64>) -> bool {
        self.bbox.is_some_and(|b| b.intersects(rect)) && self.grid.geometry.intersects(rect)
    }
}

/// Grids and divisions held in memory for the lifetime of one index.
#[derive(Debug)]
pub struct Catalog {
    note: String,
    grids: Vec<CatalogGrid>,
    by_code: HashMap<String, usize>,
    divisions: Bytes,
    townships: Vec<Township>,
    villages: Vec<Village>,
    /// Its grids as validated as a whole, once known (a draft of the county is checked against
    /// it); `None` inside once they were found not to validate.
    baseline: std::sync::OnceLock<Option<Arc<Baseline>>>,
    /// Whether validating its grids as a whole was started.
    baseline_started: std::sync::atomic::AtomicBool,
}

impl Catalog {
    /// Builds the catalog from what the store returned.
    pub fn new(
        info: &DatasetInfo,
        townships: Vec<Township>,
        villages: Vec<Village>,
        grids: Vec<Grid>,
    ) -> Result<Self, CatalogError> {
        let grids = grids.into_iter().map(catalog_grid).collect::<Result<Vec<_>, _>>()?;
        Self::assemble(info.note.clone(), townships, villages, grids)
    }

    /// The catalog after the grids changed to `grids` (the divisions and note kept): each grid
    /// unchanged keeps its feature text.
    pub fn with_grids(&self, grids: Vec<Grid>) -> Result<Self, CatalogError> {
        let grids = grids
            .into_iter()
            .map(|g| match self.grid(&g.code).filter(|old| old.grid == g) {
                Some(old) => Ok(old.clone()),
                None => catalog_grid(g),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::assemble(self.note.clone(), self.townships.clone(), self.villages.clone(), grids)
    }

    /// A catalog of these grids and divisions: the division tree written, the grids indexed by
    /// code, no baseline yet.
    fn assemble(note: String, townships: Vec<Township>, villages: Vec<Village>, grids: Vec<CatalogGrid>) -> Result<Self, CatalogError> {
        if grids.is_empty() {
            return Err(CatalogError::Empty);
        }
        let tree = DivisionTree::new(&note, &townships, &villages, grids.iter().map(|g| &g.grid));
        let divisions =
            serde_json::to_vec(&tree).map_err(|source| CatalogError::Serialize { code: COUNTY_CODE.into(), source })?;
        let by_code = grids.iter().enumerate().map(|(i, g)| (g.grid.code.clone(), i)).collect();
        Ok(Self {
            note,
            grids,
            by_code,
            divisions: Bytes::from(divisions),
            townships,
            villages,
            baseline: std::sync::OnceLock::new(),
            baseline_started: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Its grids as validated as a whole, if known and still describing them.
    pub fn baseline(&self) -> Option<Arc<Baseline>> {
        let baseline = self.baseline.get()?.as_ref()?;
        // Codes are unique in a baseline: the same count, each found the same, is the same set.
        let same = |b: &wangge_core::draft::DraftGrid| {
            self.grid(&b.code).is_some_and(|g| {
                let g = &g.grid;
                g.kind == b.kind
                    && g.village_code == b.village_code
                    && g.township_code == b.township_code
                    && g.parent_grid == b.parent_grid
                    && g.geometry == b.geometry
            })
        };
        let grids = baseline.grids();
        (grids.len() == self.grids.len() && grids.iter().all(same)).then(|| baseline.clone())
    }

    /// Records its grids' validation as a whole (`None`: they do not validate); the first wins.
    pub fn set_baseline(&self, baseline: Option<Arc<Baseline>>) {
        let _ = self.baseline.set(baseline);
    }

    /// Whether its baseline is neither known nor being computed: claims the computation.
    pub fn claim_baseline(&self) -> bool {
        self.baseline.get().is_none() && !self.baseline_started.swap(true, std::sync::atomic::Ordering::AcqRel)
    }

    /// Gives back a claim whose computation did not run.
    pub fn release_baseline(&self) {
        self.baseline_started.store(false, std::sync::atomic::Ordering::Release);
    }

    /// All townships with their shapes, by code.
    pub fn townships(&self) -> &[Township] {
        &self.townships
    }

    /// All villages and communities with their shapes, by code.
    pub fn villages(&self) -> &[Village] {
        &self.villages
    }

    /// The dataset's attribution note.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// All grids, by code.
    pub fn grids(&self) -> &[CatalogGrid] {
        &self.grids
    }

    /// The grid with this code.
    pub fn grid(&self, code: &str) -> Option<&CatalogGrid> {
        self.by_code.get(code).map(|&i| &self.grids[i])
    }

    /// The division tree as JSON.
    pub fn divisions(&self) -> Bytes {
        self.divisions.clone()
    }

    /// The name of the township, village or grid with `code` (9, 12 or 15 characters), or
    /// nothing for a code the catalog does not hold.
    pub fn name_of(&self, code: &str) -> &str {
        let name = match code.len() {
            9 => self.townships.binary_search_by(|t| t.code.as_str().cmp(code)).ok().map(|i| &self.townships[i].name),
            12 => self.villages.binary_search_by(|v| v.code.as_str().cmp(code)).ok().map(|i| &self.villages[i].name),
            _ => self.grid(code).map(|g| &g.grid.name),
        };
        name.map_or("", String::as_str)
    }

    /// What the grid index is built from, in catalog order.
    pub fn shapes(&self) -> Vec<GridShape> {
        self.grids.iter().map(|g| grid_shape(&g.grid)).collect()
    }
}

/// A grid as the index wants it.
pub fn grid_shape(g: &Grid) -> GridShape {
    GridShape { record: record(g), geometry: g.geometry.clone() }
}

fn record(g: &Grid) -> GridRecord {
    GridRecord {
        code: g.code.clone(),
        name: g.name.clone(),
        kind: g.kind,
        village: DivisionRef { code: g.village_code.clone(), name: g.village_name.clone() },
        township: DivisionRef { code: g.township_code.clone(), name: g.township_name.clone() },
    }
}

fn catalog_grid(grid: Grid) -> Result<CatalogGrid, CatalogError> {
    let feature = feature_json(&grid).map_err(|source| CatalogError::Serialize { code: grid.code.clone(), source })?;
    Ok(CatalogGrid { bbox: grid.geometry.bounding_rect(), feature, grid })
}

fn feature_json(g: &Grid) -> Result<String, serde_json::Error> {
    let properties = serde_json::json!({
        "code": g.code,
        "name": g.name,
        "kind": g.kind.as_str(),
        "village_code": g.village_code,
        "village_name": g.village_name,
        "township_code": g.township_code,
        "township_name": g.township_name,
        "parent_grid": g.parent_grid,
        "area_km2": g.area_km2,
    });
    let feature = geojson::Feature {
        bbox: None,
        geometry: Some(geojson::Geometry::new(geojson::Value::from(&g.geometry))),
        id: Some(geojson::feature::Id::String(g.code.clone())),
        properties: properties.as_object().cloned(),
        foreign_members: None,
    };
    serde_json::to_string(&feature)
}

/// Grids counted by kind.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub(crate) struct KindCounts {
    community: usize,
    rural: usize,
    street_unit: usize,
}

impl KindCounts {
    fn add(&mut self, kind: GridKind) {
        match kind {
            GridKind::Community => self.community += 1,
            GridKind::Rural => self.rural += 1,
            GridKind::StreetUnit => self.street_unit += 1,
        }
    }
}

/// Village-level divisions counted by kind.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub(crate) struct VillageCounts {
    village: usize,
    community: usize,
}

/// The county's totals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Totals {
    townships: usize,
    /// Villages and communities together.
    villages: usize,
    villages_by_kind: VillageCounts,
    /// All grids, street units included.
    grids: usize,
    grids_by_kind: KindCounts,
}

/// `GET /api/v1/divisions`: county → townships → villages, with grid counts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DivisionTree<'a> {
    county: Division<'a>,
    totals: Totals,
    townships: Vec<TownshipNode<'a>>,
    note: &'a str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Division<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TownshipNode<'a> {
    code: &'a str,
    name: &'a str,
    area_km2: f64,
    village_count: usize,
    grid_count: usize,
    villages: Vec<VillageNode<'a>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct VillageNode<'a> {
    code: &'a str,
    name: &'a str,
    kind: VillageKind,
    area_km2: f64,
    /// All grids of the village, street units included.
    grid_count: usize,
    street_unit_count: usize,
}

impl<'a> DivisionTree<'a> {
    fn new<'g>(note: &'a str, townships: &'a [Township], villages: &'a [Village], grids: impl Iterator<Item = &'g Grid>) -> Self {
        let mut per_village: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut grids_by_kind = KindCounts::default();
        let mut grid_count = 0;
        for g in grids {
            grid_count += 1;
            let entry = per_village.entry(g.village_code.as_str()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(g.kind == GridKind::StreetUnit);
            grids_by_kind.add(g.kind);
        }
        let mut by_township: BTreeMap<&str, Vec<VillageNode<'a>>> = BTreeMap::new();
        for v in villages {
            let (grid_count, street_unit_count) = per_village.get(v.code.as_str()).copied().unwrap_or_default();
            let node = VillageNode {
                code: &v.code,
                name: &v.name,
                kind: v.kind,
                area_km2: v.area_km2,
                grid_count,
                street_unit_count,
            };
            by_township.entry(v.township_code.as_str()).or_default().push(node);
        }
        let townships: Vec<TownshipNode<'a>> = townships
            .iter()
            .map(|t| {
                let villages = by_township.remove(t.code.as_str()).unwrap_or_default();
                let grid_count = villages.iter().map(|v| v.grid_count).sum();
                TownshipNode {
                    code: &t.code,
                    name: &t.name,
                    area_km2: t.area_km2,
                    village_count: villages.len(),
                    grid_count,
                    villages,
                }
            })
            .collect();
        let totals = Totals {
            townships: townships.len(),
            villages: villages.len(),
            villages_by_kind: VillageCounts {
                village: villages.iter().filter(|v| v.kind == VillageKind::Village).count(),
                community: villages.iter().filter(|v| v.kind == VillageKind::Community).count(),
            },
            grids: grid_count,
            grids_by_kind,
        };
        Self { county: Division { code: COUNTY_CODE, name: COUNTY_NAME }, totals, townships, note }
    }
}

/// Holds the current [`Catalog`]; readers take a snapshot, a grid reload swaps in a new one.
#[derive(Debug, Clone)]
pub struct SharedCatalog(Arc<ArcSwap<Catalog>>);

impl SharedCatalog {
    /// Wraps a first catalog.
    pub fn new(catalog: Catalog) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(catalog)))
    }

    /// The current catalog; keep the snapshot for the whole of one request.
    pub fn load(&self) -> Arc<Catalog> {
        self.0.load_full()
    }

    /// Replaces the catalog; requests holding a snapshot finish on the old one.
    pub fn swap(&self, catalog: Catalog) {
        self.0.store(Arc::new(catalog));
    }
}
