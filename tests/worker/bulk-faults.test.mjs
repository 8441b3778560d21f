// Bulk identify when the parts around it fail (contract §5b), under real
// workerd: the built Worker, and beside it a small script standing in for
// the one part made to fail.
//   - The queue refuses a send midway: the bulk is still answered 200 (the
//     operation's object holds every row and queues them itself, retrying),
//     and every user is applied.
//   - The operation does not take a row's report: the queue delivers the
//     row again, and the user's object, which applied it, answers with its
//     first decision: an identify or a delete made in between stands.
//   - The same for a bulk delete's row and a bulk preferences' row (contract
//     §5c): a user identified since its delete, or a set written since,
//     stands.
//   - Every report of a row fails until the queue gives up on it: the
//     dead-letter consumer records the row as its user's object decided it.
//   - An operation that has ended keeps no user's body, and is forgotten
//     (404) BULK_RETENTION_SECONDS after it ended.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { apiWorker, BULK_QUEUE_CONSUMERS, COMPATIBILITY_DATE, send, startMiniflare, startWorkers, tempDir, waitFor } from "./helpers.mjs";

const logged = (server, pattern) => server.logs.filter(({ message }) => pattern.test(message));

/** Sends a bulk identify of `users`; the answer. */
const bulk = (server, users) => send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users }) });

/** Polls operation `id` until it has ended; the operation. */
const ended = (server, id) =>
  waitFor(
    async () => {
      const operation = (await send(server.url, "GET", null, { path: `/v1/bulk_operations/${id}` })).body;
      return ["completed", "failed"].includes(operation?.status) && operation;
    },
    `bulk operation ${id} to end`,
    90_000,
  );

test("the queue refuses a send midway: the bulk is answered 200 and every user is applied", { timeout: 120_000 }, async () => {
  const persist = tempDir("queue-refuses");
  // BULK_QUEUE is the real local queue behind a wrapper whose second
  // sendBatch throws (workers-rs takes a queue binding by its class name).
  const flakyQueue = `
    class WorkerQueue {
      constructor(env) { this.env = env; this.calls = 0; }
      send(...args) { return this.env.REAL.send(...args); }
      async sendBatch(...args) {
        if (++this.calls === 2) throw new Error("the queue is unavailable (test)");
        return this.env.REAL.sendBatch(...args);
      }
    }
    export default function (env) { return new WorkerQueue(env); }`;
  const server = await startWorkers(
    [
      apiWorker(persist, { queueProducers: {}, wrappedBindings: { BULK_QUEUE: { scriptName: "flaky-queue" } } }),
      { name: "flaky-queue", modules: true, script: flakyQueue, queueProducers: { REAL: { queueName: "knock-identify-bulk" } } },
    ],
    persist,
  );
  try {
    const ids = Array.from({ length: 250 }, (_, i) => `refused-send-${i}`);
    const queued = await bulk(server, ids.map((id, i) => ({ id, name: `User ${i}` })));
    assert.equal(queued.status, 200, queued.text);
    const operation = await ended(server, queued.body.id);
    assert.equal(operation.status, "completed", JSON.stringify(operation));
    assert.equal(operation.success_count, 250);
    assert.equal(logged(server, new RegExp(`^bulk-queue-failed operation=${queued.body.id} from_row=100 retry_in_ms=1000: .*the queue is unavailable`)).length, 1);
    for (const [i, id] of ids.entries()) {
      const user = await send(server.url, "GET", id);
      assert.equal(user.body?.name, `User ${i}`, `${id}: ${user.text}`);
    }
  } finally {
    await server.stop();
  }
});

/**
 * The built Worker whose BULK_OPERATIONS go through a proxy object that
 * forwards every request to the real operation, but answers 500 to the
 * first `refusals` reports (POST /rows/N) of each row.
 */
function withRefusedReports(persist, refusals, queueConsumers) {
  const proxy = `
    export class RefusingReports {
      constructor(ctx, env) { this.ctx = ctx; this.env = env; this.refused = new Map(); }
      async fetch(request) {
        const { pathname } = new URL(request.url);
        if (request.method === "POST" && pathname.startsWith("/rows/")) {
          const count = this.refused.get(pathname) ?? 0;
          if (count < this.env.REFUSALS) {
            this.refused.set(pathname, count + 1);
            return new Response("refused (test)", { status: 500 });
          }
        }
        const real = this.env.REAL.get(this.env.REAL.idFromName(this.ctx.id.name));
        return real.fetch(request);
      }
    }
    export default { fetch: () => new Response("") };`;
  return startWorkers(
    [
      apiWorker(persist, {
        queueConsumers,
        durableObjects: {
          USER_OBJECTS: { className: "UserObject", useSQLite: true },
          BULK_OPERATIONS: { className: "RefusingReports", scriptName: "proxy" },
        },
      }),
      {
        name: "proxy",
        modules: true,
        script: proxy,
        compatibilityDate: COMPATIBILITY_DATE,
        bindings: { REFUSALS: refusals },
        durableObjects: {
          PROXY: "RefusingReports",
          REAL: { className: "BulkOperation", scriptName: "api", useSQLite: true },
        },
      },
    ],
    persist,
  );
}

test("a row delivered again after its report failed changes nothing: a newer identify and a delete stand", { timeout: 120_000 }, async () => {
  const persist = tempDir("report-refused");
  // Redeliveries 3 s apart: time to write in between.
  const main = { ...BULK_QUEUE_CONSUMERS["knock-identify-bulk"], retryDelay: 3 };
  const server = await withRefusedReports(persist, 1, { ...BULK_QUEUE_CONSUMERS, "knock-identify-bulk": main });
  try {
    const queued = await bulk(server, [
      { id: "overwritten-1", name: "From the bulk" },
      { id: "deleted-1", name: "From the bulk" },
    ]);
    assert.equal(queued.status, 200, queued.text);
    const id = queued.body.id;
    // Both rows applied, and both reports refused: the rows will come again.
    await waitFor(() => logged(server, new RegExp(`^bulk operation ${id} row \\d: .*report of row \\d answered 500`)).length === 2, "both reports refused");
    assert.equal((await send(server.url, "PUT", "overwritten-1", { body: '{"name": "Newer"}' })).status, 200);
    assert.equal((await send(server.url, "DELETE", "deleted-1")).status, 204);
    const operation = await ended(server, id);
    assert.equal(operation.status, "completed", JSON.stringify(operation));
    assert.equal(operation.success_count, 2);
    assert.equal((await send(server.url, "GET", "overwritten-1")).body.name, "Newer", "the newer identify stands");
    assert.equal((await send(server.url, "GET", "deleted-1")).status, 404, "the deleted user stays deleted");
  } finally {
    await server.stop();
  }
});

test("a bulk delete's and a bulk preferences' rows delivered again after their report failed change nothing", { timeout: 120_000 }, async () => {
  const persist = tempDir("report-refused-by-id");
  const main = { ...BULK_QUEUE_CONSUMERS["knock-identify-bulk"], retryDelay: 3 };
  const server = await withRefusedReports(persist, 1, { ...BULK_QUEUE_CONSUMERS, "knock-identify-bulk": main });
  try {
    assert.equal((await send(server.url, "PUT", "redeleted-1", { body: '{"name": "First"}' })).status, 200);
    const post = (path, body) => send(server.url, "POST", null, { path, body: JSON.stringify(body) });
    const deleted = await post("/v1/users/bulk/delete", { user_ids: ["redeleted-1"] });
    const set = await post("/v1/users/bulk/preferences", { user_ids: ["reset-1"], preferences: { channel_types: { sms: false } } });
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(set.status, 200, set.text);
    // Both rows applied, and both reports refused: the rows will come again.
    for (const id of [deleted.body.id, set.body.id]) {
      await waitFor(() => logged(server, new RegExp(`^bulk operation ${id} row 0: .*report of row 0 answered 500`)).length === 1, `the report of ${id} refused`);
    }
    assert.equal((await send(server.url, "GET", "redeleted-1")).status, 404, "deleted by the bulk");
    assert.equal((await send(server.url, "PUT", "redeleted-1", { body: '{"name": "Back"}' })).status, 200);
    const setPath = "/v1/users/reset-1/preferences/default";
    assert.equal((await send(server.url, "PUT", null, { path: setPath, body: '{"channel_types": {"sms": true}}' })).status, 200);
    for (const id of [deleted.body.id, set.body.id]) {
      const operation = await ended(server, id);
      assert.equal(operation.status, "completed", JSON.stringify(operation));
      assert.equal(operation.success_count, 1);
    }
    assert.equal((await send(server.url, "GET", "redeleted-1")).body?.name, "Back", "the user identified since stands");
    const after = await send(server.url, "GET", null, { path: setPath });
    assert.deepEqual(after.body.channel_types, { sms: true }, "the set written since stands");
  } finally {
    await server.stop();
  }
});

test("a row applied whose every report failed is recorded as applied by the dead-letter consumer", { timeout: 120_000 }, async () => {
  const persist = tempDir("reports-lost");
  // One retry, at once: the row's two deliveries both lose their report,
  // then the dead-letter consumer's report is taken.
  const main = { ...BULK_QUEUE_CONSUMERS["knock-identify-bulk"], maxRetries: 1, retryDelay: 0 };
  const server = await withRefusedReports(persist, 2, { ...BULK_QUEUE_CONSUMERS, "knock-identify-bulk": main });
  try {
    const queued = await bulk(server, [{ id: "applied-once-1", name: "Applied" }]);
    assert.equal(queued.status, 200, queued.text);
    const operation = await ended(server, queued.body.id);
    assert.equal(operation.status, "completed", JSON.stringify(operation));
    assert.equal(operation.success_count, 1);
    assert.deepEqual(operation.error_items, []);
    assert.equal((await send(server.url, "GET", "applied-once-1")).body.name, "Applied");
  } finally {
    await server.stop();
  }
});

/** The rows of every bulk operation kept under `persist`: { user_id, body } each. */
function storedRows(persist) {
  const folder = readdirSync(persist).find((name) => name.endsWith("BulkOperation"));
  const rows = [];
  for (const file of readdirSync(join(persist, folder)).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite")) {
    const db = new DatabaseSync(join(persist, folder, file));
    const hasRows = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'row'").get();
    if (hasRows) rows.push(...db.prepare("SELECT user_id, body FROM row ORDER BY idx").all().map((row) => ({ ...row })));
    db.close();
  }
  return rows;
}

test("an ended operation keeps no user's body, and is forgotten BULK_RETENTION_SECONDS after it ended", { timeout: 120_000 }, async () => {
  const server = await startMiniflare({ vars: { BULK_RETENTION_SECONDS: "3" } });
  try {
    const users = [
      { id: "kept-briefly-1", email: "jane@example.com", phone_number: "+14155552671" },
      { id: "kept-briefly-2", name: "Jo" },
    ];
    const queued = await bulk(server, users);
    assert.equal(queued.status, 200, queued.text);
    assert.equal((await ended(server, queued.body.id)).status, "completed");
    // Ended: each row keeps its user id and outcome, never its body.
    assert.deepEqual(storedRows(server.persist), users.map(({ id }) => ({ user_id: id, body: "" })));
    const gone = await waitFor(
      async () => (await send(server.url, "GET", null, { path: queued.body.progress_path })).status === 404,
      "the operation to be forgotten",
      30_000,
    );
    assert.ok(gone);
    assert.deepEqual(storedRows(server.persist), [], "its storage deleted");
    assert.equal(logged(server, new RegExp(`^bulk-operation-forgotten operation=${queued.body.id}$`)).length, 1);
  } finally {
    await server.stop();
  }
});
