// Starts the reference Worker (index.js, its complete identify among its
// routes) under Miniflare, bound as its wrangler.toml binds it: KV, both
// objects (SQLite), the users index (D1), IDENTIFY_LIMITER and the key
// `sk_test_local`. Miniflare does not bundle, so esbuild does first: the
// complete identify imports the JS stack's packages (zod,
// libphonenumber-js, lodash.merge). For bench/serve-miniflare.mjs and
// tests/worker/reference-identify.test.mjs.
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { COMPATIBILITY_DATE, ROOT } from "../../tests/worker/helpers.mjs";

/**
 * Resolves to { url, mf, stop } once it answers; `identifyLimit` per 10 s;
 * `options` go to Miniflare as well (bench/profile-worker.mjs: its inspector).
 */
export async function startReference({ persist, identifyLimit = 1_000_000, options = {} }) {
  const bundle = await build({
    entryPoints: [join(ROOT, "bench", "reference-worker", "index.js")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    external: ["cloudflare:*"],
    write: false,
  });
  const mf = new Miniflare({
    script: bundle.outputFiles[0].text,
    scriptPath: join(ROOT, "bench", "reference-worker", "bundle.js"),
    modules: true,
    compatibilityDate: COMPATIBILITY_DATE,
    host: "127.0.0.1",
    port: 0,
    kvNamespaces: ["USERS"],
    kvPersist: persist,
    durableObjects: {
      REFERENCE_OBJECTS: { className: "ReferenceObject", useSQLite: true },
      JS_USER_OBJECTS: { className: "JsUserObject", useSQLite: true },
    },
    durableObjectsPersist: persist,
    d1Databases: ["USERS_INDEX"],
    d1Persist: persist,
    ratelimits: { IDENTIFY_LIMITER: { simple: { limit: identifyLimit, period: 10 } } },
    bindings: { API_KEYS: JSON.stringify({ sk_test_local: "development" }) },
    ...options,
  });
  const url = (await mf.ready).origin;
  return { url, mf, stop: () => mf.dispose() };
}
