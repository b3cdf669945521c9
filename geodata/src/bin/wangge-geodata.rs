//! Regenerates the demo county's GeoJSON layers: `wangge-geodata [SOURCE_DIR] [OUT_DIR]`
//! (defaults `geodata/source` and `geodata/huailai`).

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let src = PathBuf::from(args.next().unwrap_or_else(|| "geodata/source".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "geodata/huailai".into()));
    let t = Instant::now();
    let outline = std::fs::read_to_string(src.join("county-outline.geojson"))?;
    let divisions = std::fs::read_to_string(src.join("divisions.csv"))?;
    let county = wangge_geodata::generate(&outline, &divisions)?;
    std::fs::create_dir_all(&out)?;
    for (name, text) in wangge_geodata::output::render(&county) {
        std::fs::write(out.join(name), text)?;
    }
    let s = &county.stats;
    println!("generated in {:.2?}: lattice {}x{} ({} active cells), {} boundary vertices", t.elapsed(), s.cells.0, s.cells.1, s.active_cells, s.vertices);
    let area = |v: &mut dyn Iterator<Item = f64>| v.sum::<f64>();
    println!("townships {:>5}  {:>9.2} km²", county.townships.len(), area(&mut county.townships.iter().map(|r| r.area_km2)));
    println!("villages  {:>5}  {:>9.2} km²", county.villages.len(), area(&mut county.villages.iter().map(|r| r.area_km2)));
    for kind in [wangge_core::GridKind::Community, wangge_core::GridKind::Rural, wangge_core::GridKind::StreetUnit] {
        let g: Vec<_> = county.grids.iter().filter(|g| g.kind == kind).collect();
        let a: Vec<f64> = g.iter().map(|g| g.area_km2).collect();
        let (min, max) = a.iter().fold((f64::INFINITY, 0.0f64), |m, &x| (m.0.min(x), m.1.max(x)));
        println!("{:<12} {:>5} grids {:>9.2} km² (min {:.4}, max {:.2})", kind.as_str(), g.len(), a.iter().sum::<f64>(), min, max);
    }
    Ok(())
}
