// Bulk delete and bulk preferences (contract §5c), under workerd with
// Miniflare's local queue: Knock's SDK drives each to completion through
// the same queue and operation object as bulk identify; the users are gone,
// or carry the set (replacing their set of its id, and only it); a delete
// of unknown users succeeds; any bad input is a 422 naming it and nothing
// is applied; a message delivered again changes nothing; a key sent again
// answers the same operation.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Knock, { APIConnectionError } from "@knocklabs/node";
import { KEY, send, startMiniflare, waitFor } from "./helpers.mjs";

let server;
let knock;
before(async () => {
  // Bulk requests past wrangler.toml's 10 per 10 s: this file sends many, bad ones too.
  server = await startMiniflare({ limits: { bulk: 1000 } });
  knock = new Knock({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
});
after(() => server?.stop());

/**
 * Polls the operation until it has ended; asserts its status (`completed`
 * unless said). A poll that loses its connection is polled again: on a
 * loaded machine workerd's one thread can be busy with a batch past its
 * 5 s keep-alive window, and closes the idle connection a poll was just
 * sent on.
 */
async function ended(id, status = "completed") {
  const operation = await waitFor(async () => {
    const current = await knock.bulkOperations.get(id).catch((error) => {
      if (!(error instanceof APIConnectionError)) throw error;
      return null;
    });
    return ["completed", "failed"].includes(current?.status) && current;
  }, `bulk operation ${id} to end`, 120_000);
  assert.equal(operation.status, status, JSON.stringify(operation));
  return operation;
}

/** Identifies `users` in one bulk and waits for it. */
async function identified(users) {
  return ended((await knock.users.bulk.identify({ users })).id);
}

/** GETs every id, 50 at a time; the answers in order. */
async function readAll(ids, part = "") {
  const answers = [];
  for (let at = 0; at < ids.length; at += 50) {
    const batch = ids.slice(at, at + 50).map((id) => send(server.url, "GET", null, { path: `/v1/users/${encodeURIComponent(id)}${part}` }));
    answers.push(...(await Promise.all(batch)));
  }
  return answers;
}

const post = (path, body, options = {}) => send(server.url, "POST", null, { path, body: JSON.stringify(body), ...options });
const bulkDelete = (body, options) => post("/v1/users/bulk/delete", body, options);
const bulkPreferences = (body, options) => post("/v1/users/bulk/preferences", body, options);
const ids = (prefix, count) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

test("users.bulk.delete through Knock's SDK: 1,000 users queued, completed, every one gone", { timeout: 300_000 }, async () => {
  const users = ids("bulk-delete", 1000);
  await identified(users.map((id) => ({ id, name: "To go" })));
  const queued = await knock.users.bulk.delete({ user_ids: users });
  assert.equal(queued.__typename, "BulkOperation");
  assert.equal(queued.name, "users.delete");
  assert.equal(queued.estimated_total_rows, 1000);
  assert.equal(queued.progress_path, `/v1/bulk_operations/${queued.id}`);
  const done = await ended(queued.id);
  assert.equal(done.name, "users.delete");
  assert.deepEqual([done.processed_rows, done.success_count, done.error_count, done.error_items], [1000, 1000, 0, []]);
  for (const [i, answer] of (await readAll(users)).entries()) assert.equal(answer.status, 404, `${users[i]}: ${answer.text}`);
  // KV lets them go too.
  const kv = await server.kv();
  await waitFor(async () => (await kv.get(`env-a/users/${users[999]}`)) === null, "KV's copy deleted");
});

test("a bulk delete of users that do not exist succeeds, as a DELETE of one is a 204", async () => {
  const queued = await knock.users.bulk.delete({ user_ids: ["never-seen-1", "never-seen-2", "never-seen-1"] });
  const done = await ended(queued.id);
  assert.deepEqual([done.success_count, done.error_count], [3, 0]);
  for (const answer of await readAll(["never-seen-1", "never-seen-2"])) assert.equal(answer.status, 404);
});

test("users.bulk.setPreferences through Knock's SDK: each user's set of that id replaced, nothing else", { timeout: 120_000 }, async () => {
  const users = ids("bulk-prefs", 200);
  await identified(
    users.map((id) => ({
      id,
      name: `Name ${id}`,
      preferences: { default: { workflows: { welcome: false } }, "tenant-1": { channel_types: { sms: true } } },
    })),
  );
  const set = {
    categories: { marketing: false, transactional: { channel_types: { email: false } } },
    channel_types: { email: true },
    channels: {
      "2f641633-95d3-4555-9222-9f1eb7888a80": { conditions: [{ argument: "US", operator: "equal_to", variable: "recipient.country_code" }] },
      "aef6e715-df82-4ab6-b61e-b743e249f7b6": true,
    },
    commercial_subscribed: true,
    workflows: { "dinosaurs-loose": { channel_types: { email: false } } },
  };
  // A user that does not exist yet is created with the set, as the set's own route does.
  const queued = await knock.users.bulk.setPreferences({ user_ids: [...users, "bulk-prefs-new"], preferences: { id: "default", ...set } });
  assert.equal(queued.name, "users.set_preferences");
  assert.equal(queued.estimated_total_rows, 201);
  const done = await ended(queued.id);
  assert.deepEqual([done.name, done.success_count, done.error_count], ["users.set_preferences", 201, 0]);
  const expected = { __typename: "PreferenceSet", id: "default", ...set };
  for (const id of [...users, "bulk-prefs-new"]) {
    assert.deepEqual(await knock.users.getPreferences(id, "default"), { ...expected, workflows: set.workflows }, id);
  }
  for (const id of users.slice(0, 20)) {
    const other = await knock.users.getPreferences(id, "tenant-1");
    assert.deepEqual(other.channel_types, { sms: true }, `${id}: the tenant's set stays`);
    assert.equal((await knock.users.get(id)).name, `Name ${id}`, "the user's fields stay");
  }
  // A tenant's set, and a set that leaves a part out: that part is gone.
  const tenant = await knock.users.bulk.setPreferences({ user_ids: users.slice(0, 2), preferences: { id: "tenant-1", channel_types: { push: false } } });
  await ended(tenant.id);
  assert.deepEqual((await knock.users.getPreferences(users[0], "tenant-1")).channel_types, { push: false });
  assert.deepEqual((await knock.users.getPreferences(users[0], "default")).channel_types, { email: true });
});

test("a user whose preferences would pass their limit is an error item with its own 422", async () => {
  const big = Object.fromEntries(Array.from({ length: 16_000 }, (_, i) => [`w${i}`, true]));
  assert.equal((await send(server.url, "PUT", "prefs-full-1", { body: JSON.stringify({ preferences: { "tenant-1": { workflows: big } } }) })).status, 200);
  const more = Object.fromEntries(Array.from({ length: 6_000 }, (_, i) => [`x${i}`, true]));
  const queued = await knock.users.bulk.setPreferences({ user_ids: ["prefs-full-1", "prefs-fine-1"], preferences: { workflows: more } });
  const done = await ended(queued.id);
  assert.deepEqual([done.success_count, done.error_count], [1, 1]);
  const [item] = done.error_items;
  const single = await send(server.url, "PUT", null, { path: "/v1/users/prefs-full-1/preferences/default", body: JSON.stringify({ workflows: more }) });
  assert.equal(single.status, 422, single.text);
  assert.deepEqual(item, { id: "prefs-full-1", code: "invalid_params", message: single.body.message, errors: single.body.errors });
});

test("every bad input is a 422 naming it, and nothing is applied", async () => {
  const kept = ids("kept", 3);
  await identified(kept.map((id) => ({ id, name: "Kept", preferences: { default: { workflows: { w: true } } } })));
  const tooMany = Array.from({ length: 1001 }, (_, i) => `u${i}`);
  const problem = (field, message, type) => ({ field, message, type });
  const sdkBadSet = { id: "default", channel_types: { fax: true } };
  const cases = [
    [bulkDelete, { user_ids: [] }, [problem("user_ids", "expected 1 to 1000 user ids, got 0", "too_large")]],
    [bulkDelete, { user_ids: tooMany }, [problem("user_ids", "expected 1 to 1000 user ids, got 1001", "too_large")]],
    [
      bulkDelete,
      { user_ids: [kept[0], kept[1], "a/b", 7] },
      [
        problem("user_ids.2", "the user id must not contain `/`: no `/`, `#` or control characters", "format"),
        problem("user_ids.3", "expected a user id, a string, got a number", "type"),
      ],
    ],
    [bulkDelete, { users: kept }, [problem("users", "unknown key `users`; expected `user_ids`", "unknown_value"), problem("user_ids", "expected `user_ids`, an array of 1 to 1000 user ids", "type")]],
    [bulkPreferences, { user_ids: [], preferences: {} }, [problem("user_ids", "expected 1 to 1000 user ids, got 0", "too_large")]],
    [bulkPreferences, { user_ids: tooMany, preferences: {} }, [problem("user_ids", "expected 1 to 1000 user ids, got 1001", "too_large")]],
    [bulkPreferences, { user_ids: [kept[0], ""], preferences: {} }, [problem("user_ids.1", "the user id must not be empty", "format")]],
    [
      bulkPreferences,
      { user_ids: kept, preferences: sdkBadSet },
      [problem("preferences.channel_types.fax", "unknown channel type `fax`; expected `chat`, `email`, `http`, `in_app_feed`, `push` or `sms`", "unknown_value")],
    ],
    [
      bulkPreferences,
      { user_ids: kept, preferences: { id: "", __persistence_strategy__: "merge" } },
      [
        problem("preferences.id", "preference set ids must not be empty", "format"),
        problem("preferences.__persistence_strategy__", "a bulk preference set always replaces the stored set: expected `replace`, got `merge`", "unknown_value"),
      ],
    ],
    [bulkPreferences, { user_ids: kept }, [problem("preferences", "expected `preferences`, a preference set object with its `id` (`default` or a tenant id)", "type")]],
  ];
  for (const [route, body, errors] of cases) {
    const answer = await route(body);
    assert.equal(answer.status, 422, answer.text);
    assert.equal(answer.body.code, "invalid_params");
    assert.deepEqual(answer.body.errors, errors, JSON.stringify(body).slice(0, 200));
  }
  // Knock's SDK gets the same 422.
  await assert.rejects(knock.users.bulk.setPreferences({ user_ids: kept, preferences: sdkBadSet }), (error) => error.status === 422);
  await assert.rejects(knock.users.bulk.delete({ user_ids: [] }), (error) => error.status === 422);
  // Give any queued row time to land, then look: nothing was applied.
  const later = await knock.users.bulk.identify({ users: [{ id: "kept-later" }] });
  await ended(later.id);
  for (const id of kept) {
    assert.equal((await send(server.url, "GET", id)).body?.name, "Kept", id);
    assert.deepEqual((await knock.users.getPreferences(id, "default")).workflows, { w: true }, id);
  }
  // The body's own refusals, the method, the key.
  assert.equal((await send(server.url, "POST", null, { path: "/v1/users/bulk/delete", body: "{" })).status, 400);
  const tooLarge = await send(server.url, "POST", null, { path: "/v1/users/bulk/preferences", body: JSON.stringify({ user_ids: ["a"], pad: "x".repeat(10 * 1024 * 1024) }) });
  assert.equal(tooLarge.status, 413, tooLarge.text);
  for (const path of ["/v1/users/bulk/delete", "/v1/users/bulk/preferences"]) {
    const get = await send(server.url, "GET", null, { path });
    assert.equal(get.status, 405, get.text);
    assert.equal(get.headers.get("allow"), "POST");
    assert.equal((await send(server.url, "POST", null, { path, body: '{"user_ids": ["a"]}', key: null })).status, 401);
  }
});

test("a message delivered again changes nothing: a user identified after its bulk delete stays", { timeout: 120_000 }, async () => {
  await identified([{ id: "redelete-1", name: "First" }, { id: "redelete-2", name: "First" }]);
  const queued = await knock.users.bulk.delete({ user_ids: ["redelete-1", "redelete-2"] });
  const first = await ended(queued.id);
  assert.equal((await send(server.url, "PUT", "redelete-2", { body: '{"name": "Back"}' })).status, 200);
  const prefs = await knock.users.bulk.setPreferences({ user_ids: ["repref-1"], preferences: { channel_types: { sms: false } } });
  await ended(prefs.id);
  await knock.users.setPreferences("repref-1", "default", { channel_types: { sms: true } });
  // The queue delivers at least once: the same messages again.
  const queue = await server.queue();
  await queue.send({ environment: "env-a", operation: queued.id, row: 1 });
  await queue.send({ environment: "env-a", operation: prefs.id, row: 0 });
  // The queue delivers in order: once a later operation ends, the duplicates have been consumed.
  await ended((await knock.users.bulk.delete({ user_ids: ["redelete-later"] })).id);
  const again = await knock.bulkOperations.get(queued.id);
  assert.deepEqual([again.processed_rows, again.success_count], [first.processed_rows, 2]);
  assert.equal((await send(server.url, "GET", "redelete-2")).body?.name, "Back", "the user identified since stays");
  assert.deepEqual((await knock.users.getPreferences("repref-1", "default")).channel_types, { sms: true }, "the set written since stays");
});

test("Idempotency-Key: a bulk delete or preferences sent again answers the same operation; another body with the key is refused", async () => {
  for (const [route, body, other] of [
    [bulkDelete, { user_ids: ["idem-del-1"] }, { user_ids: ["idem-del-2"] }],
    [bulkPreferences, { user_ids: ["idem-pref-1"], preferences: {} }, { user_ids: ["idem-pref-1"], preferences: { id: "t" } }],
  ]) {
    const headers = { "Idempotency-Key": `idem-${JSON.stringify(body)}` };
    const first = await route(body, { headers });
    assert.equal(first.status, 200, first.text);
    const again = await route(body, { headers });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(again.body, first.body);
    const refused = await route(other, { headers });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body.code, "idempotency_key_reused");
    await ended(first.body.id);
  }
});
