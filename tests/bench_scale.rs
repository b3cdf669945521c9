//! Benchmark of the grid index at province scale: copies of the demo county tiled side by side
//! (like neighbouring counties) at 1×, 10× and 100× its grid count, our index beside the
//! baseline (R-tree over bounding boxes + `geo::Intersects`) measured in the same run.
//!
//! `cargo run --release -p wangge-tests --bin bench-scale [-- --sizes 1,10,100 --points 200000]`
//!
//! For each size, in a fresh process: build time (median of 5 runs, 3 at 50× and above), the
//! index's memory as resident-set growth (`VmRSS`, the resident field of `/proc/self/statm`)
//! over a second build while the first is still held (the first build's freed input and
//! scratch are reused, so the growth is the index, not allocator slack), the raster's own
//! table bytes, and per-lookup latency (median and p99, timer overhead subtracted; medians over
//! 3 rounds) for random points in the tiled extent, with disagreements with the baseline off
//! the boundaries.

use std::error::Error;
use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use geo::{BoundingRect, Translate};
use wangge_core::index::{BaselineIndex, GridShape};
use wangge_core::{DivisionRef, GridIndex, GridKind, LonLat};
use wangge_tests::{county, Points};

type Res<T> = Result<T, Box<dyn Error>>;

/// Lookup rounds per size; the figures are medians over rounds.
const ROUNDS: usize = 3;

struct Args {
    sizes: Vec<usize>,
    points: usize,
    /// Run one size and print its rows, for the parent to collect.
    child: bool,
}

struct Latency {
    median: f64,
    p99: f64,
}

fn main() -> Res<()> {
    let args = parse_args()?;
    if args.child {
        for &k in &args.sizes {
            run_size(k, args.points)?;
        }
        return Ok(());
    }
    let (mut build, mut lookup, mut notes, mut figures) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &k in &args.sizes {
        eprintln!("{k}×: building and measuring in a fresh process…");
        let out = Command::new(std::env::current_exe()?)
            .args(["--child", "--sizes", &k.to_string(), "--points", &args.points.to_string()])
            .output()?;
        if !out.status.success() {
            return Err(format!("{k}×: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            match line.split_once('|') {
                Some(("B", row)) => build.push(row.to_string()),
                Some(("L", row)) => lookup.push(row.to_string()),
                Some(("N", row)) => notes.push(row.to_string()),
                Some(("S", row)) => figures.push(row.to_string()),
                _ => {}
            }
        }
    }
    print_report(&args, &build, &lookup, &notes);
    table(&figures)
}

/// The `TABLE|` lines of scripts/bench.sh: each size's median lookup and build time against
/// the 1× figures; fails on any disagreement with the baseline.
fn table(figures: &[String]) -> Res<()> {
    // k, median ns, build ms, disagreements
    let rows: Vec<(usize, f64, f64, usize)> = figures
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.split('|').collect();
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| format!("bad figures line {r:?}"));
            Ok((num(0)? as usize, num(1)?, num(2)?, num(3)? as usize))
        })
        .collect::<Result<_, String>>()?;
    if let Some((k, _, _, n)) = rows.iter().find(|r| r.3 > 0) {
        return Err(format!("{k}×: {n} points answered differently from the baseline: no figures from a wrong index").into());
    }
    let Some(&(_, one_ns, one_ms, _)) = rows.iter().find(|r| r.0 == 1) else { return Ok(()) };
    for &(k, ns, ms, _) in rows.iter().filter(|r| r.0 > 1) {
        println!("TABLE|point → grid at {k}× the county's grids (bench-scale), median ns|{ns:.0}|the same index at 1×|{one_ns:.0}|{:.2}|≤ 2× the 1× figure", one_ns / ns);
        println!("TABLE|index build at {k}× the county's grids, ms|{ms:.0}|{k} × the 1× build|{:.0}|{:.2}|linear", one_ms * k as f64, one_ms * k as f64 / ms);
    }
    Ok(())
}

fn parse_args() -> Res<Args> {
    let mut a = Args { sizes: vec![1, 10, 100], points: 200_000, child: false };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--sizes" => {
                let v = it.next().ok_or("--sizes needs a list like 1,10,100")?;
                a.sizes = v.split(',').map(|s| s.trim().parse::<usize>()).collect::<Result<_, _>>()?;
            }
            "--points" => a.points = it.next().ok_or("--points needs a number")?.parse()?,
            "--child" => a.child = true,
            other => return Err(format!("unknown argument {other} (use --sizes 1,10,100 --points N)").into()),
        }
    }
    if a.sizes.is_empty() || a.sizes.contains(&0) || a.points == 0 {
        return Err("sizes and points must be positive".into());
    }
    Ok(a)
}

fn print_report(args: &Args, build: &[String], lookup: &[String], notes: &[String]) {
    let sizes: Vec<String> = args.sizes.iter().map(usize::to_string).collect();
    println!("bench-scale --sizes {} --points {}", sizes.join(","), args.points);
    println!("{}\n", machine_facts());
    println!("{:>5} {:>8} {:>13} {:>13} {:>11} {:>11} {:>10} {:>12}",
        "size", "grids", "build ms", "baseline ms", "index MiB", "raster MiB", "cells", "leaves");
    build.iter().for_each(|r| println!("{r}"));
    println!("\n{:>5} {:>8} {:>7} {:>9} {:>10} {:>10} {:>9} {:>10} {:>10} {:>9} {:>13}",
        "size", "points", "in grid", "ours med", "ours p99", "base pts", "base med", "base p99", "med ratio", "p99 ratio", "disagreements");
    lookup.iter().for_each(|r| println!("{r}"));
    println!("\nbuild ms: median of (n) runs; index MiB: resident-set growth over a second build with the");
    println!("first held, in a fresh process per size; raster MiB: the lookup tables alone (raster_stats);");
    println!("cells: top raster cells; leaves: boundary sub-cells decided by exact tests. Points uniform in the");
    println!("tiled extent (in grid: share inside some grid). Latency in ns per lookup, timer overhead");
    println!("subtracted, medians of {ROUNDS} rounds; ratio = baseline / ours; disagreements: points off");
    println!("the boundaries where our index and the baseline differ.");
    notes.iter().for_each(|n| println!("note: {n}"));
}

fn machine_facts() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let read = |f: &str, key: &str| {
        std::fs::read_to_string(f).ok().and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string())
        })
    };
    let cpu = read("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into());
    let mem = read("/proc/meminfo", "MemTotal").unwrap_or_else(|| "?".into());
    format!("machine: {cores} cores ({cpu}), {mem} RAM; {} UTC", chrono::Utc::now().format("%Y-%m-%d %H:%M"))
}

/// One size: tile, build (timed, memory), look up; prints `B|`, `L|` and `N|` lines.
fn run_size(k: usize, n_points: usize) -> Res<()> {
    let shapes = tile(&county().grid_shapes(), k);
    let runs = if k >= 50 { 3 } else { 5 };
    // Two builds kept alive: the second reuses the heap the first freed (its input and scratch),
    // so the resident growth over the second is the index itself, not the allocator's slack.
    let (first, t1) = timed_build(shapes.clone())?;
    let input = shapes.clone();
    let rss_before = rss_bytes()?;
    let (index, t2) = timed_build(input)?;
    let rss_growth = rss_bytes()?.saturating_sub(rss_before);
    drop(first);
    let mut ours = vec![t1, t2];
    for _ in 2..runs {
        let (again, t) = timed_build(shapes.clone())?;
        drop(black_box(again));
        ours.push(t);
    }
    let ours_for_table = ours.clone();
    let theirs: Vec<f64> = (0..runs).map(|_| time(|| drop(black_box(BaselineIndex::build(&shapes))))).collect();
    let base = BaselineIndex::build(&shapes);
    let stats = index.raster_stats();
    let (cells, mixed, bytes) = (stats.cells, stats.leaf_cells, stats.bytes);
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!("B|{k:>4}× {:>8} {:>9.1} ({runs}) {:>9.1} ({runs}) {:>11.1} {:>11.2} {:>10} {:>12}",
        shapes.len(), median(ours) * 1e3, median(theirs) * 1e3, mib(rss_growth), mib(bytes), cells, mixed);
    let (median_ns, disagree) = lookups(k, &shapes, &index, &base, n_points);
    println!("S|{k}|{median_ns}|{}|{disagree}", median(ours_for_table) * 1e3);
    Ok(())
}

/// Prints the `L|` line; answers our median and the disagreements.
fn lookups(k: usize, shapes: &[GridShape], index: &GridIndex, base: &BaselineIndex, n: usize) -> (f64, usize) {
    let points = random_points(shapes, n);
    let overhead = timer_overhead();
    let ours = latency(&points, overhead, |p| index.grid_at(p));
    // The baseline gets the same points unless a trial shows it would take over ~20 s.
    let trial = &points[..points.len().min(2_000)];
    let per_point = time(|| trial.iter().for_each(|&p| { black_box(base.grid_at(p.lon, p.lat)); })) / trial.len() as f64;
    let budget = (20.0 / (per_point * 2.0 * ROUNDS as f64)) as usize;
    let base_points = &points[..points.len().min(budget.max(10_000))];
    if base_points.len() < points.len() {
        println!("N|{k}×: baseline timed on the first {} of the {} points (too slow for all)", base_points.len(), points.len());
    }
    let theirs = latency(base_points, overhead, |p| base.grid_at(p.lon, p.lat));
    let disagree = disagreements(index, base, base_points);
    let inside = points.iter().filter(|&&p| index.grid_at(p).is_some()).count();
    println!("L|{k:>4}× {:>8} {:>6.1}% {:>9.0} {:>10.0} {:>10} {:>9.0} {:>10.0} {:>9.1}× {:>8.1}× {:>13}",
        points.len(), 100.0 * inside as f64 / points.len() as f64, ours.median, ours.p99, base_points.len(), theirs.median, theirs.p99,
        theirs.median / ours.median, theirs.p99 / ours.p99, disagree);
    (ours.median, disagree)
}

/// Copies of the county side by side, `k` of them in a near-square block, each shifted by the
/// county's bounding box (rounded up to 1/1024°, which shifts coordinates exactly while they
/// stay below 128°E and 64°N; shared vertices stay shared either way) and renumbered as its
/// own county: codes `130730…`, `130731…`, … .
fn tile(county: &[GridShape], k: usize) -> Vec<GridShape> {
    let [x0, y0, x1, y1] = extent(county);
    let step = |d: f64| (d * 1024.0).ceil() / 1024.0;
    let (w, h) = (step(x1 - x0), step(y1 - y0));
    let cols = (k as f64).sqrt().ceil() as usize;
    let cols = (cols..=k).find(|&c| k.is_multiple_of(c)).unwrap_or(k);
    (0..k)
        .flat_map(|c| {
            let (dx, dy) = ((c % cols) as f64 * w, (c / cols) as f64 * h);
            let code = format!("13{:04}", 730 + c);
            county.iter().map(move |s| copy_of(s, &code, dx, dy))
        })
        .collect()
}

fn copy_of(s: &GridShape, county_code: &str, dx: f64, dy: f64) -> GridShape {
    let recode = |c: &str| format!("{county_code}{}", c.get(6..).unwrap_or(""));
    let div = |d: &DivisionRef| DivisionRef { code: recode(&d.code), name: d.name.clone() };
    let mut record = s.record.clone();
    record.code = recode(&s.record.code);
    record.village = div(&s.record.village);
    record.township = div(&s.record.township);
    GridShape { record, geometry: s.geometry.translate(dx, dy) }
}

fn extent(shapes: &[GridShape]) -> [f64; 4] {
    shapes.iter().filter_map(|s| s.geometry.bounding_rect()).fold(
        [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
        |[a, b, c, d], r| [a.min(r.min().x), b.min(r.min().y), c.max(r.max().x), d.max(r.max().y)],
    )
}

fn random_points(shapes: &[GridShape], n: usize) -> Vec<LonLat> {
    let [x0, y0, x1, y1] = extent(shapes);
    let mut r = Points::new(42);
    (0..n).filter_map(|_| LonLat::new(r.uniform(x0, x1), r.uniform(y0, y1)).ok()).collect()
}

/// Points off the boundaries (at most one tiling grid holds them) where the two disagree.
fn disagreements(index: &GridIndex, base: &BaselineIndex, points: &[LonLat]) -> usize {
    let tiling = |hits: &[usize]| hits.iter().filter(|&&g| index.grids()[g].kind != GridKind::StreetUnit).count();
    points
        .iter()
        .filter(|p| {
            let hits = base.grids_at(p.lon, p.lat);
            tiling(&hits) <= 1 && index.grid_at(**p) != hits.first().copied()
        })
        .count()
}

fn latency<T>(points: &[LonLat], overhead: f64, f: impl Fn(LonLat) -> T) -> Latency {
    let (mut med, mut p99) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let mut each: Vec<f64> = points
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
    Latency { median: median(med), p99: median(p99) }
}

/// Resident set size in bytes (`VmRSS`: the resident field of `/proc/self/statm`, in kB rather
/// than pages, so no page size is assumed).
fn rss_bytes() -> Res<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .ok_or("no VmRSS in /proc/self/status")?;
    Ok(kb * 1024)
}

fn timer_overhead() -> f64 {
    let mut v: Vec<f64> = (0..100_000).map(|_| Instant::now().elapsed().as_nanos() as f64).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn timed_build(shapes: Vec<GridShape>) -> Res<(GridIndex, f64)> {
    let t = Instant::now();
    let index = GridIndex::build(shapes)?;
    Ok((index, t.elapsed().as_secs_f64()))
}

fn time(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
