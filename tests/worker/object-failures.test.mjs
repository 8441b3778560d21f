// What the Worker does when the parts around it fail, under real workerd
// (Miniflare with two workers): the built Worker, and beside it a small
// script that stands in for the one part made to fail.
//   - KV refuses the object's first writes: the object retries (1 s, 2 s,
//     ...) until KV takes the record, and the answer was never held back.
//   - The user's object does not answer: the Worker gives up after 25 s
//     with a 500 internal_error, and says why in its log.
//   - KV refuses each user's first read during a bulk identify: the whole
//     consumer batch fails, the queue delivers it again, and counts and
//     users end as one delivery leaves them.
//   - KV refuses one user's every read: the queue spends its retries, the
//     dead-letter queue's consumer records that user as an error item, and
//     the operation ends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Miniflare } from "miniflare";
import { BULK_QUEUE_CONSUMERS, COMPATIBILITY_DATE, KEY, KEYS, removeDir, send, tempDir, waitFor, workerOptions } from "./helpers.mjs";

/** The built Worker's options (the "api" worker); `overrides` replaces bindings. */
function apiWorker(persist, overrides) {
  return { name: "api", ...workerOptions({ persist, bindings: { API_KEYS: JSON.stringify(KEYS) } }), ...overrides };
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
      apiWorker(persist, {
        durableObjects: {
          USER_OBJECTS: { className: "StalledObject", scriptName: "stalled" },
          BULK_OPERATIONS: { className: "BulkOperation", useSQLite: true },
        },
      }),
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

/**
 * The built Worker with USERS behind a wrapper that refuses reads: the
 * first read of each key when `firstReads`, every read of the users in
 * `unreachable`. The real namespace is `REAL` of the worker "refusing-kv".
 */
function refusingReads(persist, { firstReads = false, unreachable = [], queueConsumers = BULK_QUEUE_CONSUMERS }) {
  const refusingKv = `
    export default function (env) {
      const refusedOnce = new Set();
      const refuses = (key) => {
        if (env.UNREACHABLE.some((user) => key === "env-a/users/" + user)) return true;
        if (!env.FIRST_READS || refusedOnce.has(key)) return false;
        refusedOnce.add(key);
        return true;
      };
      return {
        async get(key, ...args) {
          if (refuses(key)) throw new Error("KV is unavailable (test)");
          return env.REAL.get(key, ...args);
        },
        getWithMetadata: (...args) => env.REAL.getWithMetadata(...args),
        list: (...args) => env.REAL.list(...args),
        delete: (...args) => env.REAL.delete(...args),
        put: (...args) => env.REAL.put(...args),
      };
    }`;
  return start(
    [
      apiWorker(persist, {
        kvNamespaces: [],
        queueConsumers,
        wrappedBindings: {
          USERS: { scriptName: "refusing-kv", bindings: { FIRST_READS: firstReads, UNREACHABLE: unreachable } },
        },
      }),
      { name: "refusing-kv", modules: true, script: refusingKv, kvNamespaces: ["REAL"], kvPersist: persist },
    ],
    persist,
  );
}

/** Sends a bulk identify of `users`; resolves to the operation once it has ended. */
async function bulkUntilEnded(server, users) {
  const queued = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users }) });
  assert.equal(queued.status, 200, queued.text);
  return waitFor(
    async () => {
      const operation = (await send(server.url, "GET", null, { path: queued.body.progress_path })).body;
      return ["completed", "failed"].includes(operation.status) && operation;
    },
    `bulk operation ${queued.body.id} to end`,
    90_000,
  );
}

/** The rows whose delivery failed, from the consumer's log, in order. */
const failedRows = (server, operation) =>
  logged(server, new RegExp(`^bulk operation ${operation} row \\d+: `))
    .map(({ message }) => Number(/ row (\d+): /.exec(message)[1]))
    .sort((a, b) => a - b);

test("a bulk's consumer batch that fails once is delivered again: counts and users as one delivery leaves them", { timeout: 120_000 }, async () => {
  const persist = tempDir("bulk-retried");
  const server = await refusingReads(persist, { firstReads: true });
  try {
    const ids = Array.from({ length: 20 }, (_, i) => `retried-${i}`);
    const operation = await bulkUntilEnded(server, ids.map((id, i) => ({ id, name: `User ${i}`, plan: { seats: i } })));
    assert.equal(operation.status, "completed", JSON.stringify(operation));
    assert.equal(operation.processed_rows, 20);
    assert.equal(operation.success_count, 20);
    assert.equal(operation.error_count, 0);
    assert.deepEqual(failedRows(server, operation.id), ids.map((_, i) => i), "every row's first delivery failed");
    for (const [i, id] of ids.entries()) {
      const user = await send(server.url, "GET", id);
      assert.equal(user.status, 200, user.text);
      assert.equal(user.body.name, `User ${i}`);
      assert.deepEqual(user.body.plan, { seats: i });
    }
    // Each user identified once: one write-through each, of its first version.
    const writes = await waitFor(() => {
      const lines = logged(server, /^kv-write key=\w+ op=put bytes=\d+ version=\d+$/);
      return lines.length >= ids.length && lines;
    }, "the users' KV writes");
    assert.equal(writes.length, ids.length);
    assert.ok(writes.every(({ message }) => message.endsWith(" version=1")), JSON.stringify(writes));
  } finally {
    await server.stop();
  }
});

test("a user unreachable on every delivery is recorded by the dead-letter queue's consumer, and the operation ends", { timeout: 120_000 }, async () => {
  const persist = tempDir("bulk-dead-letter");
  // Two retries, at once, rather than wrangler.toml's ten, 5 s apart: the same path, sooner.
  const main = { ...BULK_QUEUE_CONSUMERS["knock-identify-bulk"], maxRetries: 2, retryDelay: 0 };
  const queueConsumers = { ...BULK_QUEUE_CONSUMERS, "knock-identify-bulk": main };
  const server = await refusingReads(persist, { unreachable: ["unreachable-1"], queueConsumers });
  try {
    const operation = await bulkUntilEnded(server, [
      { id: "unreachable-1", name: "Never" },
      { id: "reachable-1", name: "Kept" },
    ]);
    assert.equal(operation.status, "completed", JSON.stringify(operation));
    assert.equal(operation.success_count, 1);
    assert.equal(operation.error_count, 1);
    assert.deepEqual(operation.error_items, [
      {
        id: "unreachable-1",
        code: "internal_error",
        message: "the user could not be identified: every delivery failed and the queue's retries are spent",
        errors: [],
      },
    ]);
    assert.deepEqual(failedRows(server, operation.id), [0, 0, 0], "three deliveries of row 0 failed, then it was dead-lettered");
    assert.equal((await send(server.url, "GET", "reachable-1")).body.name, "Kept");
    const kv = await server.mf.getKVNamespace("REAL", "refusing-kv");
    assert.equal(await kv.get("env-a/users/unreachable-1"), null, "nothing written for the unreachable user");
    // An operation none of whose users could be identified has failed.
    const none = await bulkUntilEnded(server, [{ id: "unreachable-1" }]);
    assert.equal(none.status, "failed", JSON.stringify(none));
    assert.equal(none.failed_at, none.completed_at);
  } finally {
    await server.stop();
  }
});
