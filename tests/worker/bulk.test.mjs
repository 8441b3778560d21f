// Bulk identify on Cloudflare Queues (contract §5b), under workerd with
// Miniflare's local queue: Knock's SDK sends 1,000 users and polls the
// operation until it is completed; one bad user refuses the whole request;
// a bulk beside single identifies of the same users loses nothing; a
// message delivered again changes neither the counts nor the users.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { BULK_QUEUE_CONSUMERS, BULK_QUEUE_PRODUCERS, ROOT, send, startWithKnock, waitFor } from "./helpers.mjs";

let server;
let knock;
before(async () => ({ server, knock } = await startWithKnock()));
after(() => server?.stop());

/** Polls the operation until it has ended (`completed`, or `failed` when `status` says so), and returns it. */
async function completed(id, status = "completed") {
  return waitFor(async () => {
    const operation = await knock.bulkOperations.get(id);
    return ["completed", "failed"].includes(operation.status) && operation;
  }, `bulk operation ${id} to end`, 240_000).then((operation) => {
    assert.equal(operation.status, status, JSON.stringify(operation));
    return operation;
  });
}

/** GETs every id, 50 at a time; the answers in order. */
async function readAll(ids) {
  const users = [];
  for (let at = 0; at < ids.length; at += 50) {
    users.push(...(await Promise.all(ids.slice(at, at + 50).map((id) => send(server.url, "GET", id)))));
  }
  return users;
}

test("the tests' queues are wrangler.toml's, as wrangler gives them to Miniflare", () => {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  // wrangler leaves options it was not given as `undefined`; JSON drops them.
  const given = (options) => JSON.parse(JSON.stringify(options));
  assert.deepEqual(given(workerOptions.queueConsumers), BULK_QUEUE_CONSUMERS);
  assert.deepEqual(given(workerOptions.queueProducers), BULK_QUEUE_PRODUCERS);
});

test("users.bulk.identify with 1,000 users: queued, then completed, every user there with its fields", { timeout: 300_000 }, async () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
  const queued = await knock.users.bulk.identify({ users: ids.map((id, i) => ({ id, name: `User ${i}`, plan: { seats: i } })) });
  assert.equal(queued.__typename, "BulkOperation");
  assert.equal(queued.estimated_total_rows, 1000);
  assert.equal(queued.progress_path, `/v1/bulk_operations/${queued.id}`);
  const done = await completed(queued.id);
  assert.equal(done.processed_rows, 1000);
  assert.equal(done.success_count, 1000);
  assert.equal(done.error_count, 0);
  assert.deepEqual(done.error_items, []);
  assert.ok(done.started_at && done.completed_at && done.completed_at >= done.started_at);
  const users = await readAll(ids);
  users.forEach((user, i) => {
    assert.equal(user.status, 200, `${ids[i]}: ${user.text}`);
    assert.equal(user.body.name, `User ${i}`);
    assert.deepEqual(user.body.plan, { seats: i });
  });
});

test("one invalid user among 1,000: a 422 naming users.N.field, and not one user written", async () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `refused-${i}`);
  const users = ids.map((id) => ({ id, name: "N" }));
  users[517] = { id: ids[517], email: "not an email" };
  const answer = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users }) });
  assert.equal(answer.status, 422, answer.text);
  assert.deepEqual(answer.body.errors, [
    { field: "users.517.email", message: "expected one email address like `name@example.com`", type: "format" },
  ]);
  for (const user of await readAll([ids[0], ids[517], ids[999]])) assert.equal(user.status, 404);
});

test("a bulk and single identifies of the same users at the same time lose no property", { timeout: 300_000 }, async () => {
  const ids = Array.from({ length: 200 }, (_, i) => `mixed-${i}`);
  const [queued] = await Promise.all([
    knock.users.bulk.identify({ users: ids.map((id) => ({ id, from_bulk: true })) }),
    ...ids.map((id) => send(server.url, "PUT", id, { body: JSON.stringify({ from_single: true }) })),
  ]);
  await completed(queued.id);
  for (const user of await readAll(ids)) {
    assert.equal(user.body.from_bulk, true, user.text);
    assert.equal(user.body.from_single, true, user.text);
  }
});

test("a message delivered again changes neither the counts nor the user", { timeout: 120_000 }, async () => {
  const queued = await knock.users.bulk.identify({ users: [{ id: "redelivered-1", name: "Once" }, { id: "redelivered-2", name: "Twice" }] });
  const first = await completed(queued.id);
  const before = (await send(server.url, "GET", "redelivered-2")).body;
  // The queue delivers at least once: the same message again.
  await (await server.queue()).send({ environment: "env-a", operation: queued.id, row: 1 });
  // The queue delivers in order: once a later operation completes, the duplicate has been consumed.
  const later = await knock.users.bulk.identify({ users: [{ id: "redelivered-3" }] });
  await completed(later.id);
  const again = await knock.bulkOperations.get(queued.id);
  assert.equal(again.processed_rows, first.processed_rows);
  assert.equal(again.success_count, 2);
  assert.deepEqual((await send(server.url, "GET", "redelivered-2")).body, before, "the user is as one delivery left it");
});

test("a user refused when applied is counted as an error item; bad requests get their codes", async () => {
  // Past the merged limit: the stored user already holds 200 KB of custom properties.
  assert.equal((await send(server.url, "PUT", "full-1", { body: JSON.stringify({ big: "x".repeat(200_000) }) })).status, 200);
  const queued = await knock.users.bulk.identify({ users: [{ id: "full-1", more: "y".repeat(100_000) }, { id: "fine-1" }] });
  const done = await completed(queued.id);
  assert.equal(done.success_count, 1);
  assert.equal(done.error_count, 1);
  assert.equal(done.error_items.length, 1);
  const [item] = done.error_items;
  assert.equal(item.id, "full-1");
  // What the user's own identify answers: its 422.
  const single = await send(server.url, "PUT", "full-1", { body: JSON.stringify({ more: "y".repeat(100_000) }) });
  assert.equal(single.status, 422);
  assert.deepEqual(item, { id: "full-1", code: single.body.code, message: single.body.message, errors: single.body.errors });
  assert.equal(item.code, "invalid_params");
  assert.equal(item.errors[0].type, "too_large");
  // When no user could be applied, the operation failed.
  const refused = await knock.users.bulk.identify({ users: [{ id: "full-1", more: "z".repeat(100_000) }] });
  const failed = await completed(refused.id, "failed");
  assert.equal(failed.error_count, 1);
  assert.equal(failed.failed_at, failed.completed_at);
  assert.ok(failed.failed_at);
  const bulk = (body, options = {}) => send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body, ...options });
  assert.equal((await bulk('{"users": []}')).status, 422);
  assert.equal((await bulk("{")).status, 400);
  const tooLarge = await bulk(JSON.stringify({ users: [{ id: "a", pad: "x".repeat(10 * 1024 * 1024) }] }));
  assert.equal(tooLarge.status, 413, tooLarge.text);
  assert.equal(tooLarge.body.message, "the request body is larger than 10485760 bytes (10 MiB)");
  const get = await send(server.url, "GET", null, { path: "/v1/users/bulk/identify" });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.equal((await bulk('{"users": [{"id": "a"}]}', { key: null })).status, 401);
  assert.equal((await send(server.url, "GET", null, { path: "/v1/bulk_operations/no-such-operation" })).status, 404);
});
