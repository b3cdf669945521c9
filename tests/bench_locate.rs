//! Benchmark of point → grid lookups on the demo county: our index beside the plain baseline
//! (R-tree over bounding boxes + `geo::Intersects`), measured in the same run.
//!
//! `cargo run --release -p wangge-tests --bin bench-locate [-- --points N --rounds R]`
//!
//! With `--postgis URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`, a server with
//! the PostGIS package), also PostGIS `ST_Covers` with a GiST index: one query per point and
//! batched (100k points in one query), in a throwaway database.
//!
//! Prints ns/lookup (median and p99 of per-lookup timings, timer overhead subtracted, and the
//! mean from whole-batch throughput) for random points in the county's bounding box and for
//! points on shared grid edges, the ratio to the baseline, and any disagreement with it.
//!
//! Exits 1 without a figure when a step fails (the index, the runtime, PostGIS) and after its
//! table when an answer disagrees with the baseline or PostGIS: a wrong answer is not a speed.

#[path = "bench_postgis.rs"]
mod bench_postgis;

use std::hint::black_box;
use std::time::Instant;

use wangge_core::index::{BaselineIndex, GridShape};
use wangge_core::{GridIndex, GridKind, LonLat};
use wangge_tests::{county, Points};

struct Figures {
    median: f64,
    p99: f64,
    mean: f64,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut n_random, mut rounds) = (1_000_000usize, 5usize);
    let mut postgis: Option<String> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--points" => n_random = args.next().and_then(|v| v.parse().ok()).unwrap_or(n_random),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            "--postgis" => postgis = args.next(),
            _ => {}
        }
    }
    let shapes = county().grid_shapes();
    let build = median((0..5).map(|_| time(|| GridIndex::build(shapes.clone()).map(drop))).collect());
    let index = match GridIndex::build(shapes.clone()) {
        Ok(i) => i,
        Err(e) => fail(&format!("index: {e}")),
    };
    let base_build = median((0..5).map(|_| time(|| { drop(BaselineIndex::build(&shapes)); Ok(()) })).collect());
    let base = BaselineIndex::build(&shapes);
    let stats = index.raster_stats();
    println!("demo county: {} grids ({} tiling + {} street units)", shapes.len(),
        shapes.iter().filter(|s| s.record.kind != GridKind::StreetUnit).count(),
        shapes.iter().filter(|s| s.record.kind == GridKind::StreetUnit).count());
    println!(
        "build: index {:.1} ms (raster {} cells, {} sub-blocks of 8 × 8 under boundary cells, {} leaf cells need exact tests, tables {} KiB), baseline {:.1} ms",
        build * 1e3, stats.cells, stats.sub_blocks, stats.leaf_cells, stats.bytes / 1024, base_build * 1e3
    );

    let random = random_points(n_random);
    let edges = edge_points(&shapes, 100_000);
    let overhead = timer_overhead();
    println!("timer overhead {overhead:.1} ns (subtracted); {rounds} rounds, medians over rounds\n");
    println!("{:<34} {:>10} {:>10} {:>10} {:>9}", "points / method", "median ns", "p99 ns", "mean ns", "vs ours");
    for (label, pts) in [("1M random in bbox", &random), ("100k on shared edges", &edges)] {
        let ours = run(rounds, pts, overhead, |p| index.grid_at(p));
        let theirs = run(rounds, pts, overhead, |p| base.grid_at(p.lon, p.lat));
        let label = if pts.len() == 1_000_000 || pts.len() == 100_000 { label.to_string() } else { format!("{} points ({label})", pts.len()) };
        row(&format!("{label}: ours"), &ours, None);
        row(&format!("{label}: baseline"), &theirs, Some(theirs.median / ours.median));
        // One line per figure for scripts/bench.sh's table: what | ours | alternative | theirs | ratio | goal.
        let goal = if pts.len() == edges.len() { ("≤ 60 ns", "—") } else { ("≤ 15 ns", "≤ 150 ns") };
        println!("TABLE|point → grid, {label}, mean ns|{:.1}|rstar + geo, in-process|{:.1}|{:.1}|{}", ours.mean, theirs.mean, theirs.mean / ours.mean, goal.0);
        println!("TABLE|point → grid, {label}, p99 ns|{:.1}|rstar + geo, in-process|{:.1}|{:.1}|{}", ours.p99, theirs.p99, theirs.p99 / ours.p99, goal.1);
    }
    let mut wrong = report_agreement(&index, &base, &random, &edges);
    wrong += variants(&shapes, &index, &random, &edges, overhead);
    if let Some(url) = postgis {
        wrong += postgis_rows(&url, &shapes, &index, &base, &random);
    }
    if wrong > 0 {
        fail(&format!("{wrong} lookups disagree with the baseline or PostGIS"));
    }
}

/// The raster's resolution and refinement depth against each other: build time, table bytes,
/// lookups. Answers how many lookups of a variant disagree with the default index.
fn variants(shapes: &[GridShape], index: &GridIndex, random: &[LonLat], edges: &[LonLat], overhead: f64) -> usize {
    println!("\nraster variants (the default is {:?}):", wangge_core::index::DEFAULT_TUNING);
    println!("{:>10} {:>6} {:>5} {:>9} {:>10} {:>11} {:>12} {:>11} {:>11} {:>11}",
        "top cells", "depth", "segs", "build ms", "table KiB", "sub-blocks", "leaf cells", "mean ns", "p99 ns", "edges mean");
    let mut wrong = 0;
    let variants = [(1usize << 20, 0u32, 0usize), (1 << 20, 1, 3), (1 << 20, 2, 8), (1 << 20, 2, 16), (1 << 20, 3, 32), (1 << 22, 0, 0), (1 << 18, 2, 8)];
    for (cells, depth, segs) in variants {
        let tuning = wangge_core::index::Tuning { target_cells: cells, max_depth: depth, leaf_segments: segs };
        let started = Instant::now();
        let variant = match GridIndex::build_tuned(shapes.to_vec(), tuning) {
            Ok(v) => v,
            Err(e) => fail(&format!("index variant: {e}")),
        };
        let build = started.elapsed().as_secs_f64();
        let stats = variant.raster_stats();
        let r = run(3, random, overhead, |p| variant.grid_at(p));
        let e = run(3, edges, overhead, |p| variant.grid_at(p));
        let differ = random.iter().chain(edges).filter(|&&p| variant.grid_at(p) != index.grid_at(p)).count();
        wrong += differ;
        println!("{:>10} {:>6} {:>5} {:>9.0} {:>10} {:>11} {:>12} {:>11.1} {:>11.1} {:>11.1}{}", stats.cells, depth, segs, build * 1e3, stats.bytes / 1024,
            stats.sub_blocks, stats.leaf_cells, r.mean, r.p99, e.mean, if differ > 0 { format!("  {differ} DIFFER") } else { String::new() });
    }
    wrong
}

/// Ends the run with a reason and exit code 1.
fn fail(reason: &str) -> ! {
    eprintln!("bench-locate: FAILED: {reason}");
    std::process::exit(1)
}

/// The PostGIS rows; answers how many of its answers disagree with ours.
fn postgis_rows(url: &str, shapes: &[GridShape], index: &GridIndex, base: &BaselineIndex, random: &[LonLat]) -> usize {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => fail(&format!("tokio: {e}")),
    };
    let single = &random[..random.len().min(2_000)];
    let batch = &random[..random.len().min(100_000)];
    match runtime.block_on(bench_postgis::run(url, shapes, single, batch)) {
        Err(e) => fail(&format!("PostGIS: {e}")),
        Ok(f) => {
            let ours = run(3, batch, timer_overhead(), |p| index.grid_at(p));
            println!("\nPostGIS (ST_Covers + GiST, via sqlx on loopback)     median ns     p99 ns    mean ns   vs ours");
            println!("{:<50} {:>10.0} {:>10.0} {:>10} {:>8.0}×", format!("one query per point ({} points)", f.single_n), f.single.0, f.single.1, "", f.single.0 / ours.median);
            println!("{:<50} {:>10} {:>10} {:>10.0} {:>8.0}×", format!("batched, {} points in one query", f.batch_n), "", "", f.batched, f.batched / ours.mean);
            println!("TABLE|point → grid, one query per point, median ns|{:.1}|PostGIS ST_Covers + GiST|{:.0}|{:.0}|—", ours.median, f.single.0, f.single.0 / ours.median);
            println!("TABLE|point → grid, batched, mean ns per point|{:.1}|PostGIS ST_Covers + GiST, one query|{:.0}|{:.0}|—", ours.mean, f.batched, f.batched / ours.mean);
            let tiling = |hits: &[usize]| hits.iter().filter(|&&g| index.grids()[g].kind != GridKind::StreetUnit).count();
            let disagree = batch.iter().zip(&f.answers).filter(|(p, a)| {
                let hits = base.grids_at(p.lon, p.lat);
                tiling(&hits) <= 1 && index.grid_at(**p) != **a
            }).count();
            println!("agreement: {disagree} disagreements between PostGIS and our index on {} points off the boundaries", f.batch_n);
            disagree
        }
    }
}

fn row(label: &str, f: &Figures, ratio: Option<f64>) {
    let r = ratio.map_or("1.0×".to_string(), |r| format!("{r:.1}×"));
    println!("{label:<34} {:>10.1} {:>10.1} {:>10.1} {:>9}", f.median, f.p99, f.mean, r);
}

fn run<T>(rounds: usize, pts: &[LonLat], overhead: f64, f: impl Fn(LonLat) -> T) -> Figures {
    let mut med = Vec::new();
    let mut p99 = Vec::new();
    let mut mean = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        for &p in pts {
            black_box(f(black_box(p)));
        }
        mean.push(start.elapsed().as_nanos() as f64 / pts.len() as f64);
        let mut each: Vec<f64> = pts
            .iter()
            .map(|&p| {
                let t = Instant::now();
                black_box(f(black_box(p)));
                (t.elapsed().as_nanos() as f64 - overhead).max(0.0)
            })
            .collect();
        each.sort_by(f64::total_cmp);
        med.push(each[each.len() / 2]);
        p99.push(each[each.len() * 99 / 100]);
    }
    Figures { median: median(med), p99: median(p99), mean: median(mean) }
}

/// Prints the agreement with the baseline; answers the wrong answers (disagreements off the
/// boundaries, edge points without a grid or with a grid that does not touch them).
fn report_agreement(index: &GridIndex, base: &BaselineIndex, random: &[LonLat], edges: &[LonLat]) -> usize {
    let tiling = |hits: &[usize]| hits.iter().filter(|&&g| index.grids()[g].kind != GridKind::StreetUnit).count();
    let (mut off, mut disagree, mut inside) = (0, 0, 0);
    for &p in random {
        let hits = base.grids_at(p.lon, p.lat);
        if tiling(&hits) <= 1 {
            off += 1;
            inside += usize::from(!hits.is_empty());
            disagree += usize::from(index.grid_at(p) != hits.first().copied());
        }
    }
    let none_on_edges = edges.iter().filter(|&&p| index.grid_at(p).is_none()).count();
    let outside_hits = edges.iter().filter(|&&p| index.grid_at(p).is_some_and(|g| !base.grids_at(p.lon, p.lat).contains(&g))).count();
    println!("\nagreement: {disagree} disagreements with the baseline on {off} random points off the boundaries ({inside} inside the county)");
    println!("shared edges: {none_on_edges} points got no grid, {outside_hits} got a grid that does not touch them (of {})", edges.len());
    disagree + none_on_edges + outside_hits
}

fn random_points(n: usize) -> Vec<LonLat> {
    let c = county();
    let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
    for p in &c.outline.exterior().0 {
        lo = (lo.0.min(p.x), lo.1.min(p.y));
        hi = (hi.0.max(p.x), hi.1.max(p.y));
    }
    let mut r = Points::new(42);
    (0..n).filter_map(|_| LonLat::new(r.uniform(lo.0, hi.0), r.uniform(lo.1, hi.1)).ok()).collect()
}

/// Vertices and midpoints of edges shared by two grids, sampled down to `n`.
fn edge_points(shapes: &[GridShape], n: usize) -> Vec<LonLat> {
    let mut seen = std::collections::HashSet::new();
    let mut all = Vec::new();
    for s in shapes.iter().filter(|s| s.record.kind != GridKind::StreetUnit) {
        for w in s.geometry.0.iter().flat_map(|p| p.exterior().0.windows(2)) {
            let k = |c: geo_types::Coord<f64>| (c.x.to_bits(), c.y.to_bits());
            if seen.contains(&(k(w[1]), k(w[0]))) {
                all.push((w[0].x, w[0].y));
                all.push(((w[0].x + w[1].x) / 2.0, (w[0].y + w[1].y) / 2.0));
            }
            seen.insert((k(w[0]), k(w[1])));
        }
    }
    let mut r = Points::new(9);
    (0..n).filter_map(|_| {
        let (x, y) = all[(r.uniform(0.0, all.len() as f64) as usize).min(all.len() - 1)];
        LonLat::new(x, y).ok()
    }).collect()
}

fn timer_overhead() -> f64 {
    let mut v: Vec<f64> = (0..100_000).map(|_| { let t = Instant::now(); t.elapsed().as_nanos() as f64 }).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(f: impl FnOnce() -> Result<(), wangge_core::IndexError>) -> f64 {
    let t = Instant::now();
    let _ = f();
    t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
