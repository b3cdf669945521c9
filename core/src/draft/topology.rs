//! Checks 3, 4, 5 and 8, by polygon overlay (`geo`'s boolean operations): overlaps, gaps and
//! parts outside the area, grids outside their village or township, street units outside
//! their parent.

use std::collections::{BTreeMap, BTreeSet};

use geo::{Area, BooleanOps, BoundingRect, InteriorPoint, MultiPolygon, Polygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::baseline::Prior;
use super::{Division, Draft, DraftGrid, Location, Options, Problem, ProblemKind};
use crate::division::GridKind;

/// The overlay checks over the grids that passed checks 1 and 2.
/// With a `prior`, what its baseline established is not computed again.
pub(super) fn check(draft: &Draft, valid: &[bool], prior: Option<&Prior<'_>>, options: &Options, out: &mut Vec<Problem>) {
    let ctx = Ctx { draft, valid, prior, options };
    ctx.overlaps(out);
    ctx.parents(out);
    ctx.coverage(out);
    ctx.containment(out);
}

struct Ctx<'a> {
    draft: &'a Draft,
    valid: &'a [bool],
    prior: Option<&'a Prior<'a>>,
    options: &'a Options,
}

type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;

fn aabb(r: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

impl Ctx<'_> {
    /// The parts of `m` above the tolerance, or `None` when nothing is left.
    fn significant(&self, m: MultiPolygon<f64>) -> Option<MultiPolygon<f64>> {
        let tol = self.options.area_tolerance_deg2;
        let kept: Vec<Polygon<f64>> = m.0.into_iter().filter(|p| p.unsigned_area() > tol).collect();
        (!kept.is_empty()).then_some(MultiPolygon(kept))
    }

    fn tiling(&self) -> impl Iterator<Item = (usize, &DraftGrid)> {
        self.draft.grids.iter().enumerate().filter(|(i, g)| self.valid[*i] && !g.kind.is_overlay())
    }

    fn tree(&self) -> RTree<Boxed> {
        let boxes = self.draft.grids.iter().enumerate().filter(|(i, _)| self.valid[*i]);
        let boxes = boxes.filter_map(|(i, g)| g.geometry.bounding_rect().map(|r| GeomWithData::new(Rectangle::from_aabb(aabb(r)), i)));
        RTree::bulk_load(boxes.collect())
    }

    /// Check 3: tiling grids do not overlap each other; street units do not overlap each other.
    fn overlaps(&self, out: &mut Vec<Problem>) {
        let tree = self.tree();
        for (a, b) in tree.intersection_candidates_with_other_tree(&tree) {
            let (i, j) = (a.data, b.data);
            let (gi, gj) = (&self.draft.grids[i], &self.draft.grids[j]);
            if i >= j || gi.kind.is_overlay() != gj.kind.is_overlay() || (self.kept(i) && self.kept(j)) {
                continue;
            }
            if let Some(m) = self.significant(gi.geometry.intersection(&gj.geometry)) {
                let msg = format!("网格 {} 与 {} 重叠 (overlap) {:.1} m²", gi.code, gj.code, m2(&m));
                out.push(problem(ProblemKind::Overlap, vec![gi.code.clone(), gj.code.clone()], msg, m));
            }
        }
    }

    /// Whether grid `i` keeps a baseline shape (and overlay class).
    fn kept(&self, i: usize) -> bool {
        self.prior.is_some_and(|p| p.kept(i))
    }

    /// Check 8: each street unit has a community parent in the draft and lies inside it.
    fn parents(&self, out: &mut Vec<Problem>) {
        let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
        let mut duplicated: BTreeSet<&str> = BTreeSet::new();
        for (i, g) in self.draft.grids.iter().enumerate() {
            if by_code.insert(&g.code, i).is_some() {
                duplicated.insert(&g.code);
            }
        }
        for (i, g) in self.draft.grids.iter().enumerate() {
            let parent = g.parent_grid.as_deref().map(|p| (p, by_code.get(p).map(|&k| (k, &self.draft.grids[k]))));
            let fault = match (g.kind, parent) {
                (GridKind::StreetUnit, None) => Some("没有上级网格 (no parent grid)".to_string()),
                (GridKind::StreetUnit, Some((p, None))) => Some(format!("上级网格 {p} 不在草稿中 (parent not in the draft)")),
                (GridKind::StreetUnit, Some((p, Some((_, pg))))) if pg.kind != GridKind::Community => {
                    Some(format!("上级网格 {p} 不是社区网格 (parent is not a community grid)"))
                }
                (GridKind::StreetUnit, Some((p, Some((_, pg))))) if pg.village_code != g.village_code => {
                    Some(format!("上级网格 {p} 属于另一个社区 (parent is in another community)"))
                }
                // A duplicated code is reported as such; which grid it means is unknown.
                (GridKind::StreetUnit, Some((p, _))) if duplicated.contains(p) => None,
                (GridKind::StreetUnit, Some((_, Some((k, pg))))) => {
                    self.inside_parent(i, g, k, pg, out);
                    None
                }
                (_, Some((p, _))) => Some(format!("只有驻街单位有上级网格, 而此处为 {p} (only street units have a parent)")),
                (_, None) => None,
            };
            if let Some(why) = fault {
                let msg = format!("网格 {} 上级网格错误 (bad parent): {why}", g.code);
                out.push(Problem::new(ProblemKind::BadParent, vec![g.code.clone()], msg, super::codes::anchor(g)));
            }
        }
    }

    fn inside_parent(&self, i: usize, g: &DraftGrid, k: usize, parent: &DraftGrid, out: &mut Vec<Problem>) {
        if !(self.valid[i] && self.valid[k]) {
            return;
        }
        if let Some(m) = self.significant(g.geometry.difference(&parent.geometry)) {
            let msg = format!("驻街单位 {} 超出上级社区网格 {} (street unit outside its parent) {:.1} m²", g.code, parent.code, m2(&m));
            out.push(problem(ProblemKind::OutsideParent, vec![g.code.clone(), parent.code.clone()], msg, m));
        }
    }

    /// Check 4: the tiling grids cover the area exactly.
    fn coverage(&self, out: &mut Vec<Problem>) {
        if self.draft.area.is_empty() {
            return;
        }
        // Invalid grids were left out: the holes they leave are not gaps to report.
        let skipped: Vec<Rect<f64>> = self.draft.grids.iter().zip(self.valid)
            .filter(|(g, ok)| !**ok && !g.kind.is_overlay())
            .filter_map(|(g, _)| g.geometry.bounding_rect())
            .collect();
        let (gaps, outside) = match self.prior {
            Some(prior) => self.changed_coverage(prior),
            None => {
                let area = union_of(self.draft.area.iter().map(|d| &d.geometry).collect());
                let union = union_of(self.tiling().map(|(_, g)| &g.geometry).collect());
                (area.difference(&union), union.difference(&area))
            }
        };
        let cap = self.options.max_problems_per_grid * 10;
        let gaps = self.significant(gaps).map(|m| m.0).unwrap_or_default();
        let gaps = gaps.into_iter().filter(|p| !p.bounding_rect().is_some_and(|r| skipped.iter().any(|s| overlap(s, &r))));
        for gap in gaps.take(cap) {
            let m = MultiPolygon(vec![gap]);
            let msg = format!("缝隙 (gap): 没有网格覆盖 {:.1} m² (no grid covers it)", m2(&m));
            out.push(problem(ProblemKind::Gap, vec![], msg, m));
        }
        let outside = self.significant(outside).map(|m| m.0).unwrap_or_default();
        for piece in outside.into_iter().take(cap) {
            let m = MultiPolygon(vec![piece]);
            let codes = self.grids_touching(&m);
            let msg = format!("网格 {} 超出草稿范围 (outside the area) {:.1} m²", codes.join("、"), m2(&m));
            out.push(problem(ProblemKind::OutsideArea, codes, msg, m));
        }
    }

    /// Gaps and parts outside where the shapes changed since the baseline: the baseline's
    /// tiling shapes covered the area and stayed inside it, and the kept ones have not moved.
    /// A gap can only be where a baseline shape left (and no tiling grid now covers), a part
    /// outside only in a new shape (and outside the baseline's tiling and the area).
    fn changed_coverage(&self, prior: &Prior<'_>) -> (MultiPolygon<f64>, MultiPolygon<f64>) {
        let empty = || MultiPolygon(Vec::new());
        let left = prior.left();
        let gaps = match left.is_empty() {
            true => empty(),
            false => {
                let near: Vec<Rect<f64>> = left.iter().filter_map(|g| g.bounding_rect()).collect();
                let covering = self.tiling().filter(|(_, g)| near_any(g.geometry.bounding_rect(), &near)).map(|(_, g)| &g.geometry);
                union_of(left).difference(&union_of(covering.collect()))
            }
        };
        let new: Vec<&MultiPolygon<f64>> = self.tiling().filter(|(i, _)| !self.kept(*i)).map(|(_, g)| &g.geometry).collect();
        let outside = match new.is_empty() {
            true => empty(),
            false => {
                let near: Vec<Rect<f64>> = new.iter().filter_map(|g| g.bounding_rect()).collect();
                let before = prior.tiling().filter(|g| near_any(g.bounding_rect(), &near)).collect();
                // Only what the baseline's tiling did not hold is compared with the area.
                match self.significant(union_of(new).difference(&union_of(before))) {
                    Some(rest) => rest.difference(&union_of(self.draft.area.iter().map(|d| &d.geometry).collect())),
                    None => empty(),
                }
            }
        };
        (gaps, outside)
    }

    fn grids_touching(&self, m: &MultiPolygon<f64>) -> Vec<String> {
        let Some(r) = m.bounding_rect() else { return vec![] };
        self.tiling()
            .filter(|(_, g)| g.geometry.bounding_rect().is_some_and(|b| overlap(&b, &r)))
            .filter(|(_, g)| self.significant(g.geometry.intersection(m)).is_some())
            .map(|(_, g)| g.code.clone())
            .collect()
    }

    /// Check 5: every grid inside its village and its township.
    fn containment(&self, out: &mut Vec<Problem>) {
        let villages = by_code(&self.draft.villages);
        let townships = by_code(&self.draft.townships);
        let mut village_ok: BTreeMap<(&str, &str), bool> = BTreeMap::new();
        let mut reported: BTreeSet<&str> = BTreeSet::new();
        let checked = self.draft.grids.iter().zip(self.valid).enumerate().filter(|(_, (_, ok))| **ok);
        let checked = checked.filter(|(i, (g, _))| !self.prior.is_some_and(|p| p.still_inside(*i, g)));
        for (_, (g, _)) in checked {
            let (v, t) = (villages.get(g.village_code.as_str()), townships.get(g.township_code.as_str()));
            if let Some(v) = v {
                self.outside(ProblemKind::OutsideVillage, g, v, "村/社区", out);
            }
            let Some(t) = t else { continue };
            let key = (g.village_code.as_str(), g.township_code.as_str());
            let ok = *village_ok.entry(key).or_insert_with(|| v.is_some_and(|v| self.significant(v.geometry.difference(&t.geometry)).is_none()));
            if !ok {
                if let Some(v) = v.filter(|_| reported.insert(key.0)) {
                    self.village_outside(v, t, out);
                }
                self.outside(ProblemKind::OutsideTownship, g, t, "乡镇", out);
            }
        }
    }

    fn outside(&self, kind: ProblemKind, g: &DraftGrid, d: &Division, zh: &str, out: &mut Vec<Problem>) {
        if let Some(m) = self.significant(g.geometry.difference(&d.geometry)) {
            let msg = format!("网格 {} 超出所属{zh} {} ({}) {:.1} m²", g.code, d.code, outside_en(kind), m2(&m));
            out.push(problem(kind, vec![g.code.clone()], msg, m));
        }
    }

    fn village_outside(&self, v: &Division, t: &Division, out: &mut Vec<Problem>) {
        if let Some(m) = self.significant(v.geometry.difference(&t.geometry)) {
            let msg = format!("村/社区 {} 超出乡镇 {} (village outside its township) {:.1} m²", v.code, t.code, m2(&m));
            out.push(problem(ProblemKind::VillageOutsideTownship, vec![], msg, m));
        }
    }
}

fn outside_en(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::OutsideVillage => "outside its village",
        _ => "outside its township",
    }
}

/// The union of valid geometries (one alone is its own union: no overlay pass; none is empty).
fn union_of(parts: Vec<&MultiPolygon<f64>>) -> MultiPolygon<f64> {
    match parts[..] {
        [] => MultiPolygon(Vec::new()),
        [one] => one.clone(),
        _ => geo::unary_union(parts),
    }
}

/// Whether a box overlaps any of `near`.
fn near_any(a: Option<Rect<f64>>, near: &[Rect<f64>]) -> bool {
    a.is_some_and(|a| near.iter().any(|b| overlap(&a, b)))
}

fn by_code(ds: &[Division]) -> BTreeMap<&str, &Division> {
    ds.iter().map(|d| (d.code.as_str(), d)).collect()
}

fn overlap(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
}

/// Approximate area in m² for messages (local equirectangular).
fn m2(m: &MultiPolygon<f64>) -> f64 {
    let lat = m.bounding_rect().map(|r| r.center().y).unwrap_or(0.0);
    let (per_lon, per_lat) = crate::coord::metres_per_degree(lat);
    m.unsigned_area() * per_lon * per_lat
}

/// A problem located at an area, pointed at inside its largest part.
fn problem(kind: ProblemKind, grids: Vec<String>, msg: String, m: MultiPolygon<f64>) -> Problem {
    let largest = m.0.iter().max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
    let point = largest.and_then(|p| p.interior_point()).map(|p| [p.x(), p.y()]);
    Problem::new(kind, grids, msg, Location::area(m, point))
}
