// Serves a Worker under Miniflare (workerd driven from Node, without
// wrangler dev's proxy and DevTools relay) for scripts/measure-worker:
//   node bench/serve-miniflare.mjs worker|reference PERSIST_DIR
// `worker`: the built Worker (build/index.js) with the development key and
// rate limits far above any load; `reference`: bench/reference-worker.
// Prints `ready <url>` once it answers; stops on SIGTERM or SIGINT.
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { COMPATIBILITY_DATE, ROOT, startMiniflare } from "../tests/worker/helpers.mjs";

const [which, persist] = process.argv.slice(2);
const unlimited = 1_000_000;
let server;
if (which === "worker") {
  const apiKeys = JSON.stringify({ sk_test_local: "development" });
  server = await startMiniflare({ apiKeys, persist, limits: { identify: unlimited, get: unlimited, delete: unlimited, bulk: unlimited, publicUser: unlimited, public: unlimited } });
} else if (which === "reference") {
  const mf = new Miniflare({
    scriptPath: join(ROOT, "bench", "reference-worker", "index.js"),
    modules: true,
    compatibilityDate: COMPATIBILITY_DATE,
    host: "127.0.0.1",
    port: 0,
    kvNamespaces: ["USERS"],
    kvPersist: persist,
    durableObjects: { REFERENCE_OBJECTS: { className: "ReferenceObject", useSQLite: true } },
    durableObjectsPersist: persist,
  });
  server = { url: (await mf.ready).origin, stop: () => mf.dispose() };
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
