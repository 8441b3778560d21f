// The built Worker (build/index.js, from scripts/build-worker) under
// Miniflare for the client tests (tests/js/worker.mjs starts it). Run by
// node_modules' Node 22, Miniflare's floor, whatever runtime runs the
// tests: prints `worker: URL` once ready, and stops, its KV and objects
// removed, when its stdin closes.
import { startMiniflare } from "../worker/helpers.mjs";

const worker = await startMiniflare();
process.stdout.write(`worker: ${worker.url}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await worker.stop();
  process.exit(0);
});
