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
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { apiWorker, BULK_QUEUE_CONSUMERS, COMPATIBILITY_DATE, KEY, send, startWorkers as start, tempDir, waitFor } from "./helpers.mjs";

const logged = (server, pattern) => server.logs.filter(({ message }) => pattern.test(message));

/**
 * The built Worker with USERS, a real local KV namespace (`REAL` of the
 * worker "faulty-kv"), behind a wrapper (Miniflare's wrappedBindings) whose
 * first `refusals` puts throw and whose next `hangs` puts never settle.
 */
function withFaultyKvWrites(persist, { refusals = 0, hangs = 0 }) {
  const faultyKv = `
    export default function (env) {
      let refusals = env.REFUSALS;
      let hangs = env.HANGS;
      return {
        get: (...args) => env.REAL.get(...args),
        getWithMetadata: (...args) => env.REAL.getWithMetadata(...args),
        list: (...args) => env.REAL.list(...args),
        delete: (...args) => env.REAL.delete(...args),
        async put(...args) {
          if (refusals-- > 0) throw new Error("KV is unavailable (test)");
          if (hangs-- > 0) return new Promise(() => {});
          return env.REAL.put(...args);
        },
      };
    }`;
  return start(
    [
      apiWorker(persist, {
        kvNamespaces: [],
        wrappedBindings: { USERS: { scriptName: "faulty-kv", bindings: { REFUSALS: refusals, HANGS: hangs } } },
      }),
      // A wrapped binding runs with the compatibility date of the Worker that holds it.
      { name: "faulty-kv", modules: true, script: faultyKv, kvNamespaces: ["REAL"] },
    ],
    persist,
  );
}

/** The user's record in the real KV namespace behind the wrapper, or null. */
async function inKv(server, id) {
  const kv = await server.mf.getKVNamespace("REAL", "faulty-kv");
  return JSON.parse(await kv.get(`env-a/users/${id}`));
}

test("KV refuses the first two writes: the object answers at once, retries, and KV ends up with the user", async () => {
  const persist = tempDir("flaky-kv");
  const server = await withFaultyKvWrites(persist, { refusals: 2 });
  try {
    const answer = await send(server.url, "PUT", "retried-1", { body: '{"name": "Kept"}', key: KEY });
    assert.equal(answer.status, 200, answer.text);
    const stored = await waitFor(() => inKv(server, "retried-1"), "KV to hold the user", 30_000);
    assert.deepEqual(stored.user, answer.body);
    const failures = logged(server, /^kv-write-failed key=\w+ version=1 retry_in_ms=(\d+): .*KV is unavailable/);
    assert.deepEqual(
      failures.map(({ message }) => Number(/retry_in_ms=(\d+)/.exec(message)[1])),
      [1_000, 2_000],
      "two failed writes, retried after 1 s then 2 s",
    );
    assert.equal(logged(server, /^flushed key=\w+ op=put version=1 kv=yes index=\w+ bytes=\d+$/).length, 1, "then one write that KV took");
    assert.deepEqual((await send(server.url, "GET", "retried-1", { key: KEY })).body, answer.body);
  } finally {
    await server.stop();
  }
});

test("KV never answers a write: the flush gives up on it after 10 s, writes again, and KV ends up with the user", { timeout: 90_000 }, async () => {
  const persist = tempDir("hanging-kv");
  const server = await withFaultyKvWrites(persist, { hangs: 1 });
  try {
    const answer = await send(server.url, "PUT", "hung-1", { body: '{"name": "Kept"}', key: KEY });
    assert.equal(answer.status, 200, answer.text);
    const stored = await waitFor(() => inKv(server, "hung-1"), "KV to hold the user", 60_000);
    assert.deepEqual(stored.user, answer.body);
    assert.equal(
      logged(server, /^kv-write-failed key=\w+ version=1 retry_in_ms=1000: .*KV write: no answer within 10 s/).length,
      1,
      "the write that never settled counted as failed",
    );
  } finally {
    await server.stop();
  }
});

/**
 * Forgets every alarm of the users' objects in `persist`, as the runtime
 * does once it has given up on a failing alarm: Miniflare keeps an alarm
 * in the object's own SQLite (`_cf_METADATA`, key 1) and in its
 * namespace's schedule (`metadata.sqlite`, `_cf_ALARM`).
 */
function forgetUserObjectAlarms(persist) {
  const folder = join(persist, "api-UserObject");
  for (const file of readdirSync(folder).filter((name) => name.endsWith(".sqlite"))) {
    const db = new DatabaseSync(join(folder, file));
    db.exec(file === "metadata.sqlite" ? "DELETE FROM _cf_ALARM" : "DELETE FROM _cf_METADATA WHERE key = 1");
    db.close();
  }
}

test("a change whose flush alarm was lost reaches KV once any request wakes its object", { timeout: 90_000 }, async () => {
  const persist = tempDir("lost-alarm");
  // KV refuses every write: the change stays in the object, its flush retrying.
  let server = await withFaultyKvWrites(persist, { refusals: 1_000_000 });
  try {
    const answer = await send(server.url, "PUT", "lost-1", { body: '{"name": "Kept"}', key: KEY });
    assert.equal(answer.status, 200, answer.text);
    await waitFor(() => logged(server, /^kv-write-failed key=\w+ version=1 /).length > 0, "a failed flush");
  } finally {
    await server.stop({ keep: true });
  }
  forgetUserObjectAlarms(persist);
  server = await withFaultyKvWrites(persist, {});
  try {
    // A read, not a write: only the wake can plan the flush again.
    assert.equal((await send(server.url, "GET", "lost-1", { key: KEY })).body.name, "Kept");
    const stored = await waitFor(() => inKv(server, "lost-1"), "KV to hold the change", 30_000);
    assert.equal(stored.user.name, "Kept");
    assert.equal(logged(server, /^flush-replanned key=\w+$/).length, 1);
  } finally {
    await server.stop();
  }
});

test("KV fails the first read of a user new to its object: 503 service_unavailable with Retry-After, nothing written", async () => {
  const persist = tempDir("kv-outage");
  const server = await refusingReads(persist, { unreachable: ["outage-1"] });
  try {
    for (const [method, body] of [["PUT", '{"name": "New"}'], ["GET", undefined]]) {
      const answer = await send(server.url, method, "outage-1", { body, key: KEY });
      assert.equal(answer.status, 503, answer.text);
      assert.equal(answer.body.code, "service_unavailable");
      assert.equal(answer.body.message, "storage is unavailable and nothing was written: retry after 2 seconds");
      assert.equal(answer.headers.get("retry-after"), "2");
      assert.equal(answer.body.request_id, answer.headers.get("x-request-id"));
    }
    const kv = await server.mf.getKVNamespace("REAL", "refusing-kv");
    assert.equal(await kv.get("env-a/users/outage-1"), null);
  } finally {
    await server.stop();
  }
});

test("the user's object never answers: the Worker answers 500 internal_error after 25 s and logs why", { timeout: 90_000 }, async () => {
  const persist = tempDir("stalled-object");
  // USER_OBJECTS is bound to an object that waits a minute before answering
  // the Worker's RPC call (`handle`, src/worker/user/object.rs).
  const stalled = `
    import { DurableObject } from "cloudflare:workers";
    export class StalledObject extends DurableObject {
      async handle() {
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        return [200, new Uint8Array(), null, false];
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
      { name: "refusing-kv", modules: true, script: refusingKv, kvNamespaces: ["REAL"] },
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
      const lines = logged(server, /^flushed key=\w+ op=put version=\d+ kv=yes index=\w+ bytes=\d+$/);
      return lines.length >= ids.length && lines;
    }, "the users' KV writes");
    assert.equal(writes.length, ids.length);
    assert.ok(writes.every(({ message }) => message.includes(" version=1 ")), JSON.stringify(writes));
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

test("an operation's object that never answers: the consumer's batch settles within its bound, the message retried", { timeout: 120_000 }, async () => {
  const persist = tempDir("stalled-operation");
  // BULK_OPERATIONS is bound to an object that waits ten minutes before answering.
  const stalled = `
    export class StalledOperation {
      async fetch() {
        await new Promise((resolve) => setTimeout(resolve, 600_000));
        return new Response("too late");
      }
    }
    export default { fetch: () => new Response("") };`;
  // One delivery, no dead-letter queue: the first batch's end is all there is.
  const queueConsumers = { "knock-identify-bulk": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 0 } };
  const server = await start(
    [
      apiWorker(persist, {
        queueConsumers,
        durableObjects: {
          USER_OBJECTS: { className: "UserObject", useSQLite: true },
          BULK_OPERATIONS: { className: "StalledOperation", scriptName: "stalled" },
        },
      }),
      { name: "stalled", modules: true, script: stalled, compatibilityDate: COMPATIBILITY_DATE, durableObjects: { STALLED: "StalledOperation" } },
    ],
    persist,
  );
  try {
    const queue = await server.mf.getQueueProducer("BULK_QUEUE", "api");
    await queue.send({ environment: "env-a", operation: "stalled-op", row: 0 });
    // Miniflare's broker logs each batch once the consumer has settled it.
    await waitFor(() => server.runtimeLogs.some((line) => /QUEUE knock-identify-bulk .*0\/1/.test(line)), "the batch to settle, the message not acked", 90_000);
    const end = logged(server, /^bulk-batch-end queue=knock-identify-bulk messages=1 acked=0 retried=1 in_time=true ms=(\d+)$/);
    assert.equal(end.length, 1, JSON.stringify(server.logs.map(({ message }) => message)));
    assert.ok(Number(/ms=(\d+)/.exec(end[0].message)[1]) <= 60_000, "within the batch's bound");
    assert.equal(logged(server, /^bulk operation stalled-op row 0: 500 internal_error: bulk operation: no answer within 10 s$/).length, 1);
  } finally {
    await server.stop();
  }
});
