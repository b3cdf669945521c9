// The frontend's budgets against a running server (scripts/budget.sh builds release first):
// median time to the map's first idle with all grids over 5 loads, each page signed in first
// (a demo account through the API, `BUDGET_USER`, default the county dispatcher), and the app
// wasm's size.
import { WASM_BUDGET_KIB, launchBrowser, measureBudget, startServer } from './support.mjs';

const server = await startServer();
const browser = await launchBrowser();
let failed = false;
try {
  const b = await measureBudget(browser, server, Number(process.env.LOADS || 5), process.env.BUDGET_USER || 'county');
  const ok = (cond, what) => { console.log(`${cond ? 'ok  ' : 'OVER'} ${what}`); failed ||= !cond; };
  ok(b.firstIdleMs <= 2000, `first idle with all grids ${b.firstIdleMs.toFixed(0)} ms <= 2000 ms`);
  ok(b.wasmGzip <= WASM_BUDGET_KIB * 1024, `app wasm ${(b.wasmGzip / 1024).toFixed(0)} KiB gzipped <= ${WASM_BUDGET_KIB} KiB`);
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
