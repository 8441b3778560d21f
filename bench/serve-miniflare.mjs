// Serves a Worker under Miniflare (workerd driven from Node, without
// wrangler dev's proxy and DevTools relay) for scripts/measure-worker:
//   node bench/serve-miniflare.mjs worker|reference PERSIST_DIR
// `worker`: the built Worker (build/index.js) with the development key and
// rate limits far above any load; `reference`: bench/reference-worker
// (bench/reference-worker/miniflare.mjs), its complete identify with the
// same key, a limiter far above any load, KV and the users index (D1).
// Prints `ready <url>` once it answers; stops on SIGTERM or SIGINT.
import { startMiniflare } from "../tests/worker/helpers.mjs";

const [which, persist] = process.argv.slice(2);
const unlimited = 1_000_000;
let server;
if (which === "worker") {
  const apiKeys = JSON.stringify({ sk_test_local: "development" });
  server = await startMiniflare({ apiKeys, persist, limits: { identify: unlimited, get: unlimited, delete: unlimited, bulk: unlimited, publicUser: unlimited, public: unlimited } });
} else if (which === "reference") {
  // Imported here only: a baseline checkout (measure-worker's BASELINE) serves `worker` with this file.
  const { startReference } = await import("./reference-worker/miniflare.mjs");
  server = await startReference({ persist });
} else {
  console.error("usage: node bench/serve-miniflare.mjs worker|reference PERSIST_DIR");
  process.exit(2);
}
console.log(`ready ${server.url}`);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
