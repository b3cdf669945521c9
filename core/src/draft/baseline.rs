//! A generation validated as a whole ([`Baseline`]), and what a later draft of the same area
//! need not check again for the grids whose shapes it keeps.
//!
//! A draft grid is *matched* when a grid of the baseline has exactly its shape (every
//! coordinate bit for bit) and the same overlay class (tiling or street unit); each baseline grid
//! is matched at most once. Against a baseline whose area, options and divisions are the
//! draft's:
//!
//! - check 2 (OGC validity) and check 7 (minimum area) do not run again on a matched grid: they
//!   depend on its shape and overlay class alone;
//! - two matched grids are not compared for overlap: their shapes did not overlap in the
//!   baseline;
//! - coverage (check 4) is computed only where shapes changed. The baseline's tiling grids
//!   covered the area and stayed inside it, and the matched ones still lie where they did, so a
//!   gap can only open where a baseline shape left, and a part outside only where a new shape
//!   came in;
//! - a matched grid naming the village and township its shape had in the baseline, whose
//!   boundaries are unchanged, is inside them (check 5).
//!
//! Everything else (coordinates, codes, parents, problems of the grids not matched) runs as in
//! a full validation, so both give the same verdict; `tests/draft.rs` compares them on drafts of
//! the demo county with every kind of change.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use geo::MultiPolygon;

use super::{validate, Division, Draft, DraftGrid, Options, Report};

/// A draft that passed validation as a whole: the grids of its area as published.
#[derive(Debug, Clone)]
pub struct Baseline {
    draft: Draft,
    options: Options,
    /// Baseline grids by the hash of their shape.
    by_shape: HashMap<u64, Vec<usize>>,
}

impl Baseline {
    /// Validates `draft` in full: a baseline and the report if it is publishable, else the
    /// report.
    pub fn validated(draft: Draft, options: &Options) -> Result<(Self, Report), Report> {
        let report = validate(&draft, options);
        if !report.is_publishable() {
            return Err(report);
        }
        Ok((Self::trusted(draft, options), report))
    }

    /// A baseline of a draft already found publishable with `options`.
    fn trusted(draft: Draft, options: &Options) -> Self {
        let mut by_shape: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, g) in draft.grids.iter().enumerate() {
            by_shape.entry(shape_hash(&g.geometry)).or_default().push(i);
        }
        Self { draft, options: options.clone(), by_shape }
    }

    /// Its grids.
    pub fn grids(&self) -> &[DraftGrid] {
        &self.draft.grids
    }
}

/// Validates `draft` like [`validate`] (the same problems decide), re-using what `baseline`
/// established for the shapes the draft keeps (see the module's notes). A baseline of another
/// area, or validated with other options, is not used. Returns the report and, when the draft
/// is publishable, the baseline it makes.
pub fn validate_since(draft: Draft, baseline: Option<&Baseline>, options: &Options) -> (Report, Option<Baseline>) {
    let usable = baseline.filter(|b| b.options == *options && b.draft.area == draft.area);
    let report = match usable {
        Some(b) => {
            let prior = Prior::new(&draft, b);
            super::run(&draft, Some(&prior), options)
        }
        None => validate(&draft, options),
    };
    let next = report.is_publishable().then(|| Baseline::trusted(draft, options));
    (report, next)
}

/// What a baseline established for one draft's grids.
pub(super) struct Prior<'a> {
    baseline: &'a Draft,
    /// For each draft grid: the baseline grid with its shape and overlay class.
    matched: Vec<Option<usize>>,
    /// Whether each baseline grid was matched.
    taken: Vec<bool>,
    /// The draft's divisions whose boundaries equal the baseline's, by code.
    same_divisions: HashMap<&'a str, bool>,
}

impl<'a> Prior<'a> {
    fn new(draft: &'a Draft, b: &'a Baseline) -> Self {
        let mut taken = vec![false; b.draft.grids.len()];
        let matched = draft
            .grids
            .iter()
            .map(|g| {
                let found = b.by_shape.get(&shape_hash(&g.geometry))?.iter().copied().find(|&k| {
                    let old = &b.draft.grids[k];
                    !taken[k] && old.kind.is_overlay() == g.kind.is_overlay() && old.geometry == g.geometry
                })?;
                taken[found] = true;
                Some(found)
            })
            .collect();
        let mut same_divisions = HashMap::new();
        let old: HashMap<&str, &Division> = b.draft.villages.iter().chain(&b.draft.townships).map(|d| (d.code.as_str(), d)).collect();
        for d in draft.villages.iter().chain(&draft.townships) {
            same_divisions.insert(d.code.as_str(), old.get(d.code.as_str()).is_some_and(|o| o.geometry == d.geometry));
        }
        Self { baseline: &b.draft, matched, taken, same_divisions }
    }

    /// Whether draft grid `i` keeps a baseline grid's shape.
    pub(super) fn kept(&self, i: usize) -> bool {
        self.matched[i].is_some()
    }

    /// Whether draft grid `i` keeps a baseline grid's shape with the same village and township,
    /// whose boundaries are unchanged: it is inside them.
    pub(super) fn still_inside(&self, i: usize, g: &DraftGrid) -> bool {
        let Some(k) = self.matched[i] else { return false };
        let old = &self.baseline.grids[k];
        let same = |code: &str| self.same_divisions.get(code).copied().unwrap_or(false);
        old.village_code == g.village_code && old.township_code == g.township_code && same(&g.village_code) && same(&g.township_code)
    }

    /// The baseline's tiling shapes no draft grid kept (where a gap can open).
    pub(super) fn left(&self) -> Vec<&'a MultiPolygon<f64>> {
        let baseline = self.baseline;
        baseline.grids.iter().zip(&self.taken).filter(|(g, t)| !**t && !g.kind.is_overlay()).map(|(g, _)| &g.geometry).collect()
    }

    /// The baseline's tiling shapes.
    pub(super) fn tiling(&self) -> impl Iterator<Item = &'a MultiPolygon<f64>> {
        self.baseline.grids.iter().filter(|g| !g.kind.is_overlay()).map(|g| &g.geometry)
    }
}

/// A hash of a shape's structure and every coordinate's bits.
pub(super) fn shape_hash(g: &MultiPolygon<f64>) -> u64 {
    let mut h = DefaultHasher::new();
    g.0.len().hash(&mut h);
    for ring in g.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())) {
        ring.0.len().hash(&mut h);
        for c in &ring.0 {
            c.x.to_bits().hash(&mut h);
            c.y.to_bits().hash(&mut h);
        }
    }
    h.finish()
}
