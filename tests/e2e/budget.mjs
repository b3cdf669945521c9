// The frontend's budgets against a running server (scripts/budget.sh builds release first):
// median time to the map's first idle with all grids over 5 loads, each page signed in first
// (a demo account through the API, `BUDGET_USER`, default the county dispatcher), and the app
// wasm's size.
// BUDGET_TABLE=1 (scripts/bench.sh) also measures MapLibre alone drawing the same layers, the
// alternative, and prints the rows of the benchmark table.
import { WASM_BUDGET_KIB, launchBrowser, measureBareMapLibre, measureBudget, startServer } from './support.mjs';

const server = await startServer();
const browser = await launchBrowser();
const loads = Number(process.env.LOADS || 5);
const user = process.env.BUDGET_USER || 'county';
let failed = false;
try {
  const b = await measureBudget(browser, server, loads, user);
  const ok = (cond, what) => { console.log(`${cond ? 'ok  ' : 'OVER'} ${what}`); failed ||= !cond; };
  ok(b.firstIdleMs <= 2000, `first idle with all grids ${b.firstIdleMs.toFixed(0)} ms <= 2000 ms`);
  ok(b.wasmGzip <= WASM_BUDGET_KIB * 1024, `app wasm ${(b.wasmGzip / 1024).toFixed(0)} KiB gzipped <= ${WASM_BUDGET_KIB} KiB`);
  if (process.env.BUDGET_TABLE) {
    const bare = await measureBareMapLibre(browser, server, loads, b.mapSize, user);
    console.log(`TABLE|the map's first idle with all grids, signed in, median of ${loads} loads, ms|${b.firstIdleMs.toFixed(0)}|MapLibre alone, the same three layers, no app|${bare.toFixed(0)}|${(bare / b.firstIdleMs).toFixed(2)}|≤ 1000 ms`);
    console.log(`TABLE|the app's wasm, gzipped, KiB|${(b.wasmGzip / 1024).toFixed(0)}|—|—|—|≤ 400 KiB`);
  }
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
