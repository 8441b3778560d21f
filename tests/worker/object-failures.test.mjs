// What the Worker does when the parts around it fail, under real workerd
// (Miniflare with two workers): the built Worker, and beside it a small
// script that stands in for the one part made to fail.
//   - KV refuses the object's first writes: the object retries (1 s, 2 s,
//     ...) until KV takes the record, and the answer was never held back.
//   - The user's object does not answer: the Worker gives up after 25 s
//     with a 500 internal_error, and says why in its log.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { Miniflare } from "miniflare";
import { COMPATIBILITY_DATE, KEY, KEYS, ROOT, removeDir, send, tempDir, waitFor } from "./helpers.mjs";

/** The built Worker's options; `overrides` replaces bindings. */
function apiWorker(persist, overrides) {
  return {
    name: "api",
    scriptPath: join(ROOT, "build", "index.js"),
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: ["USERS"],
    kvPersist: persist,
    durableObjects: { USER_OBJECTS: { className: "UserObject", useSQLite: true } },
    durableObjectsPersist: persist,
    ratelimits: {
      IDENTIFY_LIMITER: { simple: { limit: 600, period: 10 } },
      GET_LIMITER: { simple: { limit: 2000, period: 10 } },
      DELETE_LIMITER: { simple: { limit: 50, period: 10 } },
    },
    bindings: { API_KEYS: JSON.stringify(KEYS) },
    ...overrides,
  };
}

/** Starts the workers; resolves to { url, logs, mf, stop }. */
async function start(workers, persist) {
  const logs = [];
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    handleStructuredLogs: ({ level, message }) => {
      logs.push({ level, message });
    },
    workers,
  });
  const url = await mf.ready.catch(async (error) => {
    await mf.dispose();
    removeDir(persist);
    throw error;
  });
  const stop = async () => {
    await mf.dispose();
    removeDir(persist);
  };
  return { url: url.origin, logs, mf, stop };
}

const logged = (server, pattern) => server.logs.filter(({ message }) => pattern.test(message));

test("KV refuses the first two writes: the object answers at once, retries, and KV ends up with the user", async () => {
  const persist = tempDir("flaky-kv");
  // USERS is a real local KV namespace behind a wrapper that throws on the
  // first two puts (a binding made of a script: Miniflare's wrappedBindings).
  const flakyKv = `
    export default function (env) {
      let refusals = env.REFUSALS;
      return {
        get: (...args) => env.REAL.get(...args),
        getWithMetadata: (...args) => env.REAL.getWithMetadata(...args),
        list: (...args) => env.REAL.list(...args),
        delete: (...args) => env.REAL.delete(...args),
        async put(...args) {
          if (refusals-- > 0) throw new Error("KV is unavailable (test)");
          return env.REAL.put(...args);
        },
      };
    }`;
  const server = await start(
    [
      apiWorker(persist, {
        kvNamespaces: [],
        wrappedBindings: { USERS: { scriptName: "flaky-kv", bindings: { REFUSALS: 2 } } },
      }),
      // A wrapped binding runs with the compatibility date of the Worker that holds it.
      { name: "flaky-kv", modules: true, script: flakyKv, kvNamespaces: ["REAL"], kvPersist: persist },
    ],
    persist,
  );
  try {
    const answer = await send(server.url, "PUT", "retried-1", { body: '{"name": "Kept"}', key: KEY });
    assert.equal(answer.status, 200, answer.text);
    const kv = await server.mf.getKVNamespace("REAL", "flaky-kv");
    const stored = await waitFor(async () => JSON.parse(await kv.get("env-a/users/retried-1")), "KV to hold the user", 30_000);
    assert.deepEqual(stored.user, answer.body);
    const failures = logged(server, /^kv-write-failed key=\w+ version=1 retry_in_ms=(\d+): .*KV is unavailable/);
    assert.deepEqual(
      failures.map(({ message }) => Number(/retry_in_ms=(\d+)/.exec(message)[1])),
      [1_000, 2_000],
      "two failed writes, retried after 1 s then 2 s",
    );
    assert.equal(logged(server, /^kv-write key=\w+ op=put bytes=\d+ version=1$/).length, 1, "then one write that KV took");
    assert.deepEqual((await send(server.url, "GET", "retried-1", { key: KEY })).body, answer.body);
  } finally {
    await server.stop();
  }
});

test("the user's object never answers: the Worker answers 500 internal_error after 25 s and logs why", { timeout: 90_000 }, async () => {
  const persist = tempDir("stalled-object");
  // USER_OBJECTS is bound to an object that waits a minute before answering.
  const stalled = `
    export class StalledObject {
      async fetch() {
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        return new Response("too late");
      }
    }
    export default { fetch: () => new Response("") };`;
  const server = await start(
    [
      apiWorker(persist, { durableObjects: { USER_OBJECTS: { className: "StalledObject", scriptName: "stalled" } } }),
      { name: "stalled", modules: true, script: stalled, compatibilityDate: COMPATIBILITY_DATE, durableObjects: { STALLED: "StalledObject" } },
    ],
    persist,
  );
  try {
    const answer = await send(server.url, "GET", "stalled-1", { key: KEY });
    assert.equal(answer.status, 500, answer.text);
    assert.equal(answer.body.code, "internal_error");
    assert.equal(answer.body.request_id, answer.headers.get("x-request-id"));
    const line = await waitFor(() => logged(server, /user object: no answer within 25 s/)[0], "the log line");
    assert.ok(line.message.includes(answer.body.request_id), line.message);
  } finally {
    await server.stop();
  }
});
