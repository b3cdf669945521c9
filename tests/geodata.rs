//! The demo county's layers: regenerated files match the committed ones; counts, codes and
//! topology (validity, shared edges, tiling, nesting) hold.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::collections::{HashMap, HashSet};

use geo::{Area, BooleanOps, Contains, Distance, Validation};
use geo_types::{Coord, MultiPolygon};
use wangge_core::GridKind;
use wangge_tests::{county, repo_root};

type Key = ((u64, u64), (u64, u64));

fn key(a: Coord<f64>, b: Coord<f64>) -> Key {
    ((a.x.to_bits(), a.y.to_bits()), (b.x.to_bits(), b.y.to_bits()))
}

/// Directed segments of all rings.
fn segments(mp: &MultiPolygon<f64>) -> Vec<Key> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.windows(2).map(|w| key(w[0], w[1])).collect::<Vec<_>>())
        .collect()
}

/// Segments of `parts` not cancelled by a reversed twin within `parts` (the union's boundary).
fn boundary_of(parts: &[&MultiPolygon<f64>]) -> HashSet<Key> {
    let all: Vec<Key> = parts.iter().flat_map(|p| segments(p)).collect();
    let set: HashSet<Key> = all.iter().copied().collect();
    all.into_iter().filter(|&(a, b)| !set.contains(&(b, a))).collect()
}

#[test]
fn committed_layers_match_the_generator() {
    for (name, text) in wangge_geodata::output::render(county()) {
        let path = repo_root().join("geodata/huailai").join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(committed == text, "{name} drifted from the generator: run `cargo run --release -p wangge-geodata`");
    }
}

#[test]
fn counts_match_the_county_report() {
    let c = county();
    assert_eq!(c.townships.len(), 17);
    assert_eq!(c.villages.len(), 331);
    assert_eq!(c.villages.iter().filter(|v| v.kind == "community").count(), 52);
    let by_kind = |k| c.grids.iter().filter(|g| g.kind == k).count();
    assert_eq!(by_kind(GridKind::Community), 857);
    assert_eq!(by_kind(GridKind::Rural), 972);
    assert_eq!(by_kind(GridKind::StreetUnit), 45);
    for v in &c.villages {
        let n = c.grids.iter().filter(|g| g.village.0 == v.code && g.kind != GridKind::StreetUnit).count();
        assert!(n >= 1, "{} has no grid", v.code);
    }
    let shacheng = c.villages.iter().filter(|v| v.kind == "community" && v.parent_code == "130730100").count();
    assert_eq!(shacheng, 33);
}

#[test]
fn grid_codes_extend_village_codes_and_are_unique() {
    let c = county();
    let mut seen = HashSet::new();
    for g in &c.grids {
        assert!(seen.insert(&g.code), "duplicate code {}", g.code);
        assert_eq!(g.code.len(), 15, "{}", g.code);
        assert!(g.code.starts_with(&g.village.0), "{} not under {}", g.code, g.village.0);
        assert!(g.village.0.starts_with(&g.township.0));
        let suffix = &g.code[12..];
        match g.kind {
            GridKind::StreetUnit => {
                assert!(suffix.starts_with('Z') && suffix[1..].bytes().all(|b| b.is_ascii_digit()), "{}", g.code);
                let parent = g.parent_grid.as_deref().unwrap_or_default();
                let p = c.grids.iter().find(|p| p.code == parent).unwrap_or_else(|| panic!("{} parent", g.code));
                assert_eq!(p.kind, GridKind::Community);
                assert_eq!(p.village, g.village);
            }
            _ => assert!(suffix.bytes().all(|b| b.is_ascii_digit()) && g.parent_grid.is_none(), "{}", g.code),
        }
    }
}

#[test]
fn every_polygon_is_valid() {
    let c = county();
    let all = c.grids.iter().map(|g| (&g.code, &g.geometry))
        .chain(c.villages.iter().map(|v| (&v.code, &v.geometry)))
        .chain(c.townships.iter().map(|t| (&t.code, &t.geometry)));
    for (code, geom) in all {
        if let Err(e) = geom.check_validation() {
            panic!("{code}: {e}");
        }
    }
    assert!(c.outline.is_valid());
}

#[test]
fn grids_tile_the_outline_with_shared_edges() {
    let c = county();
    let tiling: Vec<&MultiPolygon<f64>> =
        c.grids.iter().filter(|g| g.kind != GridKind::StreetUnit).map(|g| &g.geometry).collect();
    // Every directed segment appears once; an interior edge appears once each way, in two grids.
    let mut owner: HashMap<Key, usize> = HashMap::new();
    for (i, g) in tiling.iter().enumerate() {
        for s in segments(g) {
            assert!(owner.insert(s, i).is_none(), "segment used twice in one direction (overlap)");
        }
    }
    for (&(a, b), &i) in &owner {
        if let Some(&j) = owner.get(&(b, a)) {
            assert_ne!(i, j, "a grid meets itself along an edge");
        }
    }
    // The unmatched segments run exactly along the outline: every corner of the outline is a
    // vertex of them, each of their vertices lies on the outline, and the lengths agree.
    let boundary = boundary_of(&tiling);
    let outline = MultiPolygon(vec![c.outline.clone()]);
    let ring = &c.outline.exterior().0;
    let pt = |k: (u64, u64)| Coord { x: f64::from_bits(k.0), y: f64::from_bits(k.1) };
    let verts: HashSet<(u64, u64)> = boundary.iter().flat_map(|&(a, b)| [a, b]).collect();
    for w in ring.windows(3) {
        let turn = (w[1].x - w[0].x) * (w[2].y - w[1].y) - (w[1].y - w[0].y) * (w[2].x - w[1].x);
        if turn != 0.0 {
            assert!(verts.contains(&(w[1].x.to_bits(), w[1].y.to_bits())), "outline corner {:?} missing", w[1]);
        }
    }
    let on_outline = |p: Coord<f64>| {
        ring.windows(2).any(|w| geo::Euclidean.distance(&geo::Line::new(w[0], w[1]), &geo::Point::from(p)) < 1e-12)
    };
    let off = verts.iter().filter(|&&v| !on_outline(pt(v))).count();
    assert_eq!(off, 0, "{off} boundary vertices off the outline");
    let len = |segs: &mut dyn Iterator<Item = (Coord<f64>, Coord<f64>)>| segs.map(|(a, b)| (b.x - a.x).hypot(b.y - a.y)).sum::<f64>();
    let (lb, lo) = (len(&mut boundary.iter().map(|&(a, b)| (pt(a), pt(b)))), len(&mut ring.windows(2).map(|w| (w[0], w[1]))));
    assert!(((lb - lo) / lo).abs() < 1e-12, "boundary length {lb} vs outline {lo}");
    // No gaps or overlaps: the areas add up to the outline's.
    let sum: f64 = tiling.iter().map(|g| g.signed_area()).sum();
    let whole = c.outline.signed_area();
    assert!(whole > 0.0 && ((sum - whole) / whole).abs() < 1e-12, "sum {sum} vs outline {whole}");
    // And an independent check with geo's boolean union (which snaps to a fixed-point grid,
    // hence the tolerance: 1e-10 of the county is about 0.2 m²).
    let union = geo::unary_union(tiling.iter().copied());
    let diff = union.xor(&outline).unsigned_area();
    assert!(diff < 1e-10 * whole, "symmetric difference {diff}");
}

#[test]
fn grids_nest_in_villages_and_villages_in_townships() {
    let c = county();
    for v in &c.villages {
        let parts: Vec<&MultiPolygon<f64>> = c
            .grids
            .iter()
            .filter(|g| g.village.0 == v.code && g.kind != GridKind::StreetUnit)
            .map(|g| &g.geometry)
            .collect();
        let own: HashSet<Key> = segments(&v.geometry).into_iter().collect();
        assert_eq!(boundary_of(&parts), own, "village {} is not the union of its grids", v.code);
    }
    for t in &c.townships {
        let parts: Vec<&MultiPolygon<f64>> =
            c.villages.iter().filter(|v| v.parent_code == t.code).map(|v| &v.geometry).collect();
        let own: HashSet<Key> = segments(&t.geometry).into_iter().collect();
        assert_eq!(boundary_of(&parts), own, "township {} is not the union of its villages", t.code);
    }
    let town_area: f64 = c.townships.iter().map(|t| t.area_km2).sum();
    let village_area: f64 = c.villages.iter().map(|v| v.area_km2).sum();
    assert!((town_area - village_area).abs() < 1e-3, "{town_area} vs {village_area}");
    assert!((1700.0..1850.0).contains(&town_area), "county area {town_area} km²");
}

#[test]
fn street_units_lie_inside_their_community_grid() {
    let c = county();
    for su in c.grids.iter().filter(|g| g.kind == GridKind::StreetUnit) {
        let parent = c.grids.iter().find(|g| Some(&g.code) == su.parent_grid.as_ref()).map(|g| &g.geometry);
        let parent = parent.unwrap_or_else(|| panic!("{} has no parent", su.code));
        assert!(parent.contains(&su.geometry), "{} not inside its parent", su.code);
        assert!(su.area_km2 > 0.005 && su.area_km2 < 0.05, "{} area {}", su.code, su.area_km2);
    }
}

#[test]
fn communities_are_small_and_villages_larger() {
    let c = county();
    let mean = |kind: &str| {
        let a: Vec<f64> = c.villages.iter().filter(|v| v.kind == kind).map(|v| v.area_km2).collect();
        a.iter().sum::<f64>() / a.len() as f64
    };
    assert!(mean("community") * 2.0 < mean("village"), "community {} village {}", mean("community"), mean("village"));
}
