"""Point → grid with GEOS through shapely 2, in process and vectorized (an STRtree over the
county's grids, one `query(points, predicate="intersects")` call for all the points): the
alternative a Python user would pick, measured by scripts/bench.sh beside bench-locate.

    python3 tests/bench_shapely.py [POINTS]

Prints ns/point (median of 5 runs) for random points in the county's bounding box, and a
TABLE line for bench.sh. Exits 1 if the tree answers no point inside a grid (a broken run)."""
import json
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely import STRtree

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
features = json.loads((Path(__file__).resolve().parent.parent / "geodata/huailai/grids.geojson").read_text())["features"]
tree = STRtree([shapely.geometry.shape(f["geometry"]) for f in features])
rng = np.random.default_rng(3)
points = shapely.points(rng.uniform(115.28, 115.98, n), rng.uniform(40.06, 40.59, n))

times = []
for _ in range(5):
    start = time.perf_counter()
    pairs = tree.query(points, predicate="intersects")
    times.append(time.perf_counter() - start)
inside = len(np.unique(pairs[0]))
if inside == 0:
    sys.exit("bench_shapely: FAILED: no point found inside a grid")
ns = sorted(times)[len(times) // 2] * 1e9 / n
print(f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), {len(features)} grids: "
      f"STRtree.query(intersects), {n} random points ({inside} inside a grid): {ns:.0f} ns/point, median of 5")
print(f"SHAPELY|{ns:.1f}")
