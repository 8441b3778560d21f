// The users API over HTTP against the built Worker under workerd: identify
// sequences, every error row of contract §6, the body rules of contract §2,
// environments, configuration errors and CORS.
import assert from "node:assert/strict";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { KEY, OTHER_KEY, send, startMiniflare, userUrl, waitFor } from "./helpers.mjs";

let server;
before(async () => {
  server = await startMiniflare({ allowedOrigins: "https://app.example.com" });
});
after(() => server?.stop());

const put = (id, body, options = {}) => send(server.url, "PUT", id, { body: JSON.stringify(body), ...options });
const get = (id, options) => send(server.url, "GET", id, options);
const del = (id, options) => send(server.url, "DELETE", id, options);
const withoutUpdatedAt = ({ updated_at: _, ...user }) => user;

/** Asserts contract §6's error shape: code, status, request_id = X-Request-ID. */
function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.headers.get("content-type"), "application/json");
  const requestId = answer.headers.get("x-request-id");
  assert.ok(requestId, "X-Request-ID");
  assert.deepEqual(Object.keys(answer.body).sort(), status === 422 ? ["code", "errors", "message", "request_id", "status"] : ["code", "message", "request_id", "status"]);
  assert.equal(answer.body.code, code);
  assert.equal(answer.body.status, status);
  assert.equal(answer.body.request_id, requestId);
  assert.equal(typeof answer.body.message, "string");
  assert.ok(!/sk_test|USERS|\bKV\b|stack|panicked|\.rs:/.test(answer.text), `no internals in ${answer.text}`);
}

describe("identify sequences", () => {
  test("create, merge only the fields sent, deep merge, null stored, GET equals PUT", async () => {
    const id = "seq-1";
    await del(id);
    const created = await put(id, { name: "Jane", email: "jane@example.com", plan: { tier: "pro", seats: 2 }, tags: ["a", "b"] });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(withoutUpdatedAt(created.body), {
      __typename: "User", id, avatar: null, created_at: null, email: "jane@example.com", locale: null,
      name: "Jane", phone_number: null, timezone: null, plan: { tier: "pro", seats: 2 }, tags: ["a", "b"],
    });
    const merged = await put(id, { locale: "en-US", plan: { seats: 5, addons: { sso: true } }, tags: ["c"], email: null });
    assert.equal(merged.status, 200, merged.text);
    assert.deepEqual(withoutUpdatedAt(merged.body), {
      __typename: "User", id, avatar: null, created_at: null, email: null, locale: "en-US",
      name: "Jane", phone_number: null, timezone: null, plan: { tier: "pro", seats: 5, addons: { sso: true } }, tags: ["c"],
    });
    assert.ok(merged.body.updated_at > created.body.updated_at, `${merged.body.updated_at} after ${created.body.updated_at}`);
    const read = await get(id);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, merged.body);
  });

  test("a refused identify changes nothing: not even its valid fields", async () => {
    const id = "seq-refused";
    await del(id);
    const created = await put(id, { name: "Jane", plan: { tier: "pro" } });
    assert.equal(created.status, 200, created.text);
    const refused = await put(id, { name: "Janet", plan: { tier: "free" }, email: "not an address" });
    assertError(refused, 422, "invalid_params");
    assert.deepEqual(refused.body.errors.map((problem) => problem.field), ["email"]);
    const read = await get(id);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);
  });

  test("preferences and channel_data are stored but not returned", async () => {
    const id = "seq-2";
    const answer = await put(id, {
      name: "P",
      preferences: { default: { channel_types: { email: false } } },
      channel_data: { "97c5837d-c65c-4d54-aa39-080eeb81c69d": { tokens: ["t1"] } },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.preferences, undefined);
    assert.equal(answer.body.channel_data, undefined);
    assert.deepEqual((await get(id)).body, answer.body);
  });

  test("DELETE answers 204, then GET is 404; DELETE of an unknown user is 204", async () => {
    const id = "seq-3";
    assert.equal((await put(id, { name: "Gone" })).status, 200);
    const deleted = await del(id);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, "");
    assert.ok(deleted.headers.get("x-request-id"));
    assertError(await get(id), 404, "resource_missing");
    assert.equal((await del(id)).status, 204);
    assert.equal((await del("never-existed")).status, 204);
  });

  test("a 256-character id of 4-byte characters round-trips through PUT and GET", async () => {
    const id = "😀".repeat(256);
    const created = await put(id, { name: "Emoji" });
    assert.equal(created.status, 200, created.text);
    assert.equal(created.body.id, id);
    const read = await get(id);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.id, id);
    assert.deepEqual(read.body, created.body);
    // A neighbour id (also digested) is another user.
    assertError(await get("😀".repeat(255) + "😁"), 404, "resource_missing");
    assert.equal((await del(id)).status, 204);
    assertError(await get(id), 404, "resource_missing");
  });

  test("ids are case-sensitive and percent-decoded", async () => {
    assert.equal((await put("Case", { name: "upper" })).status, 200);
    assert.equal((await put("case", { name: "lower" })).status, 200);
    assert.equal((await get("Case")).body.name, "upper");
    assert.equal((await get("case")).body.name, "lower");
    const encoded = await send(server.url, "GET", null, { path: "/v1/users/%43ase" });
    assert.equal(encoded.body.name, "upper");
    assert.equal(encoded.body.id, "Case");
  });

  test("the same id in two environments is two users", async () => {
    const id = "shared-id";
    assert.equal((await put(id, { name: "in A" }, { key: KEY })).status, 200);
    assertError(await get(id, { key: OTHER_KEY }), 404, "resource_missing");
    assert.equal((await put(id, { name: "in B" }, { key: OTHER_KEY })).status, 200);
    assert.equal((await get(id, { key: KEY })).body.name, "in A");
    assert.equal((await get(id, { key: OTHER_KEY })).body.name, "in B");
    assert.equal((await del(id, { key: OTHER_KEY })).status, 204);
    assert.equal((await get(id, { key: KEY })).body.name, "in A");
  });

  test("Idempotency-Key and X-Stainless-* headers are accepted and ignored", async () => {
    const headers = { "Idempotency-Key": "stainless-node-retry-1", "X-Stainless-Lang": "js", "X-Stainless-Retry-Count": "0" };
    const answer = await put("headers-1", { name: "H" }, { headers });
    assert.equal(answer.status, 200, answer.text);
  });
});

describe("the users' Durable Objects and KV", () => {
  /** The record KV holds for `id` in env-a, parsed (null when none). */
  const kvRecord = async (id) => JSON.parse(await (await server.kv()).get(`env-a/users/${id}`));
  /** Waits until KV's record of `id` has `user` as its user, and returns the record. */
  const flushedUser = (id, user) =>
    waitFor(async () => {
      const record = await kvRecord(id);
      return isDeepStrictEqual(record?.user, user) && record;
    }, `KV to hold ${id} as answered`);
  /** A record as the Worker before the objects wrote it to KV. */
  const legacy = (id, user, parts = {}) => JSON.stringify({
    user: { __typename: "User", id, avatar: null, created_at: null, email: null, locale: null, name: null, phone_number: null, timezone: null, updated_at: "2026-01-02T03:04:05.678Z", ...user },
    preferences: { default: { channel_types: { email: false } } },
    channel_data: {},
    ...parts,
  });

  test("a user already in KV (written before the objects) is found by GET and merged by identify", async () => {
    const kv = await server.kv();
    const id = "legacy-1";
    await kv.put(`env-a/users/${id}`, legacy(id, { name: "Old", plan: { tier: "free", seats: 1 } }));
    const read = await get(id);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.name, "Old");
    assert.equal(read.body.updated_at, "2026-01-02T03:04:05.678Z");
    const merged = await put(id, { plan: { tier: "pro" } });
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.body.name, "Old");
    assert.deepEqual(merged.body.plan, { tier: "pro", seats: 1 });
    const stored = await flushedUser(id, merged.body);
    assert.deepEqual(stored.preferences, { default: { channel_types: { email: false } } }, "and keeps the stored preferences");
  });

  test("the first identify of a user KV holds merges onto it, also when many arrive at once", async () => {
    const kv = await server.kv();
    const id = "legacy-2";
    await kv.put(`env-a/users/${id}`, legacy(id, { name: "Old", kept: true }));
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => put(id, { [`p${i}`]: i })));
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
    for (const answer of answers) assert.equal(answer.body.kept, true, answer.text);
    const read = await get(id);
    for (let i = 0; i < 10; i++) assert.equal(read.body[`p${i}`], i);
    assert.equal(read.body.kept, true);
  });

  test("DELETE removes the user from KV too, and a user deleted is not read back from KV", async () => {
    const kv = await server.kv();
    const id = "legacy-3";
    await kv.put(`env-a/users/${id}`, legacy(id, { name: "Old" }));
    assert.equal((await del(id)).status, 204);
    assertError(await get(id), 404, "resource_missing");
    await waitFor(async () => (await kv.get(`env-a/users/${id}`)) === null, "KV's delete");
    assertError(await get(id), 404, "resource_missing");
  });

  test("preferences and channel data sent over HTTP are stored: KV's record holds them as merged", async () => {
    const id = "stored-parts-1";
    const channel = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
    const first = await put(id, {
      name: "Parts",
      preferences: { default: { channel_types: { email: false }, workflows: { "welcome-flow": true } } },
      channel_data: { [channel]: { tokens: ["a"] } },
    });
    assert.equal(first.status, 200, first.text);
    const second = await put(id, { preferences: { default: { channel_types: { sms: true } }, marketing: { categories: { promo: false } } } });
    assert.equal(second.status, 200, second.text);
    const stored = await flushedUser(id, second.body);
    assert.deepEqual(stored.preferences, {
      default: { channel_types: { email: false, sms: true }, workflows: { "welcome-flow": true } },
      marketing: { categories: { promo: false } },
    });
    assert.deepEqual(stored.channel_data, { [channel]: { tokens: ["a"] } });
  });

  test("an id whose KV key would pass 512 bytes is stored under its hashed key, the full id in the record", async () => {
    const id = "😀".repeat(256); // 1,024 bytes of UTF-8: valid (256 characters), too long for a KV key
    const answer = await put(id, { name: "Long" });
    assert.equal(answer.status, 200, answer.text);
    const hashed = `env-a/users#sha256/${createHash("sha256").update(id).digest("hex")}`;
    const kv = await server.kv();
    // The user of an earlier test has the same id: wait for this PUT's record, not that one's.
    const stored = await waitFor(async () => {
      const record = JSON.parse(await kv.get(hashed));
      return record?.user.updated_at === answer.body.updated_at && record;
    }, "this PUT's record under the hashed key");
    assert.deepEqual(stored.user, answer.body);
    assert.equal(stored.user.id, id);
    assert.deepEqual((await get(id)).body, answer.body);
  });

  test("a tombstone holds while KV's copies may lag: a record put back into KV is not read", async () => {
    const kv = await server.kv();
    const id = "tombstone-1";
    assert.equal((await put(id, { name: "Gone" })).status, 200);
    assert.equal((await del(id)).status, 204);
    await waitFor(async () => (await kv.get(`env-a/users/${id}`)) === null, "KV's delete");
    // A stale copy (KV in another location) is what the tombstone guards against.
    await kv.put(`env-a/users/${id}`, legacy(id, { name: "Stale" }));
    assertError(await get(id), 404, "resource_missing");
  });

  test("TOMBSTONE_SECONDS under 60 (KV's propagation) is a configuration error: every request a 500, logged", async () => {
    for (const seconds of ["0", "59", "-1", "1.5", "soon"]) {
      const short = await startMiniflare({ vars: { TOMBSTONE_SECONDS: seconds } });
      try {
        const answer = await send(short.url, "PUT", "tombstone-config", { body: "{}" });
        assertError(answer, 500, "internal_error");
        assert.equal(answer.body.message, "internal error");
        const line = await waitFor(() => short.logs.find(({ message }) => message.includes(answer.body.request_id)), "the log line");
        assert.match(line.message, /configuration: `TOMBSTONE_SECONDS` is a whole number of seconds, at least 60/, seconds);
      } finally {
        await short.stop();
      }
    }
  });

  test("a tombstone is dropped TOMBSTONE_SECONDS after KV's delete: the object then reads KV again", { timeout: 180_000 }, async () => {
    // The shortest tombstone the configuration takes.
    const short = await startMiniflare({ vars: { TOMBSTONE_SECONDS: "60" } });
    try {
      const kv = await short.kv();
      const id = "tombstone-2";
      assert.equal((await send(short.url, "PUT", id, { body: '{"name": "Gone"}' })).status, 200);
      assert.equal((await send(short.url, "DELETE", id)).status, 204);
      await waitFor(async () => (await kv.get(`env-a/users/${id}`)) === null, "KV's delete");
      await waitFor(
        () => short.logs.some(({ message }) => message.includes("tombstone-dropped")),
        "the tombstone's drop",
        120_000,
      );
      assert.equal((await send(short.url, "GET", id)).status, 404, "nothing in KV, nothing in the object");
      await kv.put(`env-a/users/${id}`, legacy(id, { name: "Written into KV" }));
      const read = await send(short.url, "GET", id);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.name, "Written into KV");
      // Identify after a dropped tombstone writes through to KV as for a new user.
      assert.equal((await send(short.url, "PUT", id, { body: '{"name": "Back"}' })).status, 200);
      await waitFor(async () => JSON.parse(await kv.get(`env-a/users/${id}`)).user.name === "Back", "the write-through");
    } finally {
      await short.stop();
    }
  });

  test("a record larger than a SQLite-backed object's 2 MB string limit (one from before the limits on users) is adopted whole", async () => {
    const kv = await server.kv();
    const id = "big-1";
    const channels = ["97c5837d-c65c-4d54-aa39-080eeb81c69d", "a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000002"];
    const channelData = Object.fromEntries(channels.map((channel) => [channel, { tokens: ["t".repeat(900_000)] }]));
    await kv.put(`env-a/users/${id}`, legacy(id, { name: "big" }, { channel_data: channelData }));
    const read = await get(id);
    assert.equal(read.status, 200, read.text.slice(0, 300));
    assert.equal(read.body.name, "big");
    // Past the limit on channel data, it may stay or shrink but not grow.
    const renamed = await put(id, { name: "renamed" });
    assert.equal(renamed.status, 200, renamed.text.slice(0, 300));
    const grow = await put(id, { name: "bigger", channel_data: { "a1b2c3d4-0000-4000-8000-000000000003": { tokens: ["t"] } } });
    assertError(grow, 422, "invalid_params");
    assert.equal(grow.body.errors[0].field, "channel_data");
    assert.equal((await get(id)).body.name, "renamed", "nothing changed");
    const shrunk = await put(id, { channel_data: { [channels[0]]: null } });
    assert.equal(shrunk.status, 200, shrunk.text.slice(0, 300));
    const emptied = await put(id, { name: "small", channel_data: { [channels[1]]: null, [channels[2]]: null } });
    assert.equal(emptied.status, 200, emptied.text.slice(0, 300));
    const stored = await flushedUser(id, emptied.body);
    assert.deepEqual(stored.channel_data, {});
  });

  test("a user grows to the limit on its channel data and no further: the identify past it is a 422 and writes nothing", async () => {
    const id = "bounded-1";
    const [first, second] = ["97c5837d-c65c-4d54-aa39-080eeb81c69d", "a1b2c3d4-0000-4000-8000-000000000001"];
    const kept = { [first]: { tokens: ["t".repeat(200_000)] } };
    const size = (n) => JSON.stringify({ ...kept, [second]: { tokens: ["u".repeat(n)] } }).length;
    const atLimit = 262_144 - size(0);
    assert.equal(size(atLimit), 262_144);
    assert.equal((await put(id, { channel_data: kept })).status, 200);
    const full = await put(id, { name: "full", channel_data: { [second]: { tokens: ["u".repeat(atLimit)] } } });
    assert.equal(full.status, 200, full.text.slice(0, 300));
    const over = await put(id, { name: "over", channel_data: { [second]: { tokens: ["u".repeat(atLimit + 1)] } } });
    assertError(over, 422, "invalid_params");
    assert.deepEqual(over.body.errors, [
      {
        field: "channel_data",
        message: "after this identify the user's channel data would take 262145 bytes as compact JSON; the limit is 262144 (256 KiB): nothing was changed",
        type: "too_large",
      },
    ]);
    assert.deepEqual((await get(id)).body, full.body, "nothing changed");
    const stored = await flushedUser(id, full.body);
    assert.equal(JSON.stringify(stored.channel_data).length, 262_144);
  });

  test("a 1 MiB body built to multiply work (a long channel id over 260,000 bad tokens) is a 422 of 101 problems", async () => {
    const id = "c".repeat(524_200);
    const tokens = Array(260_000).fill("0").join(",");
    const body = `{"channel_data": {"${id}": {"tokens": [${tokens}]}}}`;
    assert.ok(body.length <= 1_048_576, `${body.length}`);
    const answer = await send(server.url, "PUT", "hostile-1", { body });
    assertError(answer, 422, "invalid_params");
    assert.equal(answer.body.errors.length, 101);
    const cut = `channel_data.${"c".repeat(255)}…`;
    assert.equal(answer.body.errors[1].field, `${cut}.tokens.0`);
    assert.equal(answer.body.errors[100].type, "too_many_problems");
    assert.match(answer.body.errors[100].message, /^259901 more problems not listed/);
    assertError(await get("hostile-1"), 404, "resource_missing");
  });

  test("a failure inside the object is a 500 internal_error with the request id, never a hang", async () => {
    const kv = await server.kv();
    // A record no Worker wrote: the object cannot adopt it.
    await kv.put("env-a/users/broken-1", '{"user": {"id": "broken-1", "name": 5}, "mystery": true}');
    for (const answer of [await get("broken-1"), await put("broken-1", { name: "x" })]) {
      assertError(answer, 500, "internal_error");
      assert.equal(answer.body.message, "internal error");
    }
    // Other users are unaffected.
    assert.equal((await put("broken-neighbour", { name: "fine" })).status, 200);
  });
});

describe("contract §6 errors", () => {
  test("400 invalid_json: syntax, naming line and column", async () => {
    const answer = await send(server.url, "PUT", "e-400", { body: '{"name": "Jane",\n "email": }' });
    assertError(answer, 400, "invalid_json");
    assert.match(answer.body.message, /line 2 column/);
  });

  test("400 invalid_json: a duplicated key", async () => {
    const answer = await send(server.url, "PUT", "e-400", { body: '{"name": "a", "name": "b"}' });
    assertError(answer, 400, "invalid_json");
    assert.match(answer.body.message, /name/);
  });

  test("401 api_key_missing: no Authorization, or not Bearer", async () => {
    assertError(await get("e-401", { key: null }), 401, "api_key_missing");
    assertError(await send(server.url, "GET", "e-401", { key: null, headers: { Authorization: "Basic c2tfdGVzdF9hOg==" } }), 401, "api_key_missing");
    assertError(await put("e-401", { name: "x" }, { key: null }), 401, "api_key_missing");
  });

  test("401 invalid_api_key: a key that is not configured, and nothing is written", async () => {
    const answer = await put("e-401b", { name: "x" }, { key: "sk_test_wrong" });
    assertError(answer, 401, "invalid_api_key");
    assert.ok(!answer.text.includes("sk_test_wrong"));
    assertError(await get("e-401b"), 404, "resource_missing");
    assertError(await del("e-401b", { key: "sk_test_a_" }), 401, "invalid_api_key");
  });

  test("404 resource_missing: unknown user and unknown routes, as JSON", async () => {
    assertError(await get("nobody-here"), 404, "resource_missing");
    for (const path of ["/", "/v1/users/a/b", "/v2/users/a", "/v1/user/a", "/v1/users/a/channel_data", "/v1/users/a/feeds/x", "/v1/bulk_operations/"]) {
      assertError(await send(server.url, "GET", null, { path }), 404, "resource_missing");
    }
  });

  test("405 method_not_allowed with Allow on the users route, also for methods the runtime does not name", async () => {
    await send(server.url, "PUT", "e-405", { body: '{"name": "Jane"}' });
    for (const method of ["POST", "PATCH", "QUERY", "PROPFIND"]) {
      const answer = await send(server.url, method, "e-405", { body: "{}" });
      assertError(answer, 405, "method_not_allowed");
      assert.equal(answer.headers.get("allow"), "GET, PUT, DELETE");
    }
  });

  test("413 request_too_large: a 2 MiB body", async () => {
    const body = `{"pad": "${"x".repeat(2 * 1024 * 1024)}"}`;
    assertError(await send(server.url, "PUT", "e-413", { body }), 413, "request_too_large");
  });

  /**
   * Requests on one keep-alive connection (`maxSockets: 1`): each resolves
   * to { status, text, reused } or, when the connection was given up under
   * it, { error } (the error's code).
   */
  function oneConnection() {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const exchange = (method, id, { body, chunked = false, headers = {}, path } = {}) =>
      new Promise((resolve) => {
        const url = new URL(path ?? userUrl(server.url, id), server.url);
        const req = httpRequest(
          { agent, host: url.hostname, port: url.port, path: url.pathname, method, headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", ...headers } },
          (res) => {
            let text = "";
            res.on("data", (d) => (text += d));
            res.on("end", () => resolve({ status: res.statusCode, text, reused: req.reusedSocket }));
          },
        );
        req.on("error", (error) => resolve({ error: error.code }));
        if (body === undefined) req.end();
        else if (chunked) {
          req.write(body); // no Content-Length: Node sends it chunked
          req.end();
        } else req.end(body);
      });
    return { exchange, close: () => agent.destroy() };
  }

  test("a refusal before the body is read leaves the keep-alive connection usable for the next request", async () => {
    // One socket for every request: each refused PUT is followed by a GET
    // that must be answered on that same connection.
    const { exchange, close } = oneConnection();
    try {
      const over = `{"pad": "${"x".repeat(1024 * 1024 + 100)}"}`;
      const refusals = [
        ["413, chunked", { body: over, chunked: true }, 413],
        ["413, Content-Length", { body: over }, 413],
        ["415 before the body", { body: over.slice(0, 500_000), headers: { "Content-Type": "text/plain" } }, 415],
        // Not authenticated: a body of at most 64 KiB is read and dropped.
        ["401 before the body", { body: over.slice(0, 60_000), chunked: true, headers: { Authorization: "Bearer sk_nope" } }, 401],
        // Past the largest limit (bulk identify's 10 MiB), declared up front.
        ["413 of a bulk identify, Content-Length", { method: "POST", path: "/v1/users/bulk/identify", body: `{"users": [{"id": "a", "pad": "${"x".repeat(10 * 1024 * 1024)}"}]}` }, 413],
      ];
      const created = await exchange("PUT", "e-keep-alive", { body: '{"name": "K"}' });
      assert.equal(created.status, 200, created.text);
      for (const [name, { method = "PUT", ...request }, status] of refusals) {
        const refused = await exchange(method, "e-keep-alive", request);
        assert.equal(refused.status, status, `${name}: ${refused.text}`);
        const next = await exchange("GET", "e-keep-alive");
        assert.equal(next.status, 200, `${name}: the next request got ${next.status ?? next.error} ${next.text}`);
        assert.ok(next.reused, `${name}: the next request went on the same connection`);
        assert.equal(JSON.parse(next.text).name, "K", name);
      }
    } finally {
      close();
    }
  });

  test("a caller without a valid key costs 64 KiB of body at most: past it, its connection is given up", async () => {
    const created = await send(server.url, "PUT", "e-anonymous", { body: '{"name": "A"}' });
    assert.equal(created.status, 200, created.text);
    for (const [name, headers] of [["no key", { Authorization: "" }], ["a wrong key", { Authorization: "Bearer sk_nope" }]]) {
      // At the bound: read and dropped, the connection stays usable.
      const atBound = oneConnection();
      try {
        const refused = await atBound.exchange("PUT", "e-anonymous", { body: "x".repeat(64 * 1024), headers });
        assert.equal(refused.status, 401, `${name}: ${refused.text}`);
        const next = await atBound.exchange("GET", "e-anonymous");
        assert.equal(next.status, 200, `${name}, 64 KiB: ${next.error}`);
        assert.ok(next.reused, `${name}, 64 KiB: the same connection`);
      } finally {
        atBound.close();
      }
      // One byte past it, declared or streamed: answered, then not read.
      for (const chunked of [false, true]) {
        const past = oneConnection();
        try {
          const refused = await past.exchange("PUT", "e-anonymous", { body: "x".repeat(64 * 1024 + 1), chunked, headers });
          assert.equal(refused.status, 401, `${name}: ${refused.text}`);
          const next = await past.exchange("GET", "e-anonymous");
          assert.equal(next.error, "ECONNRESET", `${name}, 64 KiB + 1 (chunked: ${chunked}): the connection is given up, got ${JSON.stringify(next)}`);
        } finally {
          past.close();
        }
      }
    }
  });

  test("415 unsupported_media_type: another Content-Type; JSON with a charset is fine", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonp"]) {
      const answer = await send(server.url, "PUT", "e-415", { body: '{"name": "x"}', headers: { "Content-Type": type } });
      assertError(answer, 415, "unsupported_media_type");
    }
    const ok = await send(server.url, "PUT", "e-415", { body: '{"name": "x"}', headers: { "Content-Type": "Application/JSON; charset=utf-8" } });
    assert.equal(ok.status, 200, ok.text);
  });

  test("422 invalid_params: every problem at once", async () => {
    const answer = await put("e-422", { email: "nope", locale: "en_US", updated_at: "x" });
    assertError(answer, 422, "invalid_params");
    assert.deepEqual(answer.body.errors.map((e) => [e.field, e.type]), [["email", "format"], ["locale", "format"], ["updated_at", "read_only"]]);
  });

  test("422 on user_id for GET and DELETE too: %2F in the id, 257 characters, not UTF-8", async () => {
    for (const method of ["PUT", "GET", "DELETE"]) {
      const slash = await send(server.url, method, "team/jane", method === "PUT" ? { body: "{}" } : {});
      assertError(slash, 422, "invalid_params");
      assert.deepEqual(slash.body.errors, [{ field: "user_id", message: "the user id must not contain `/`: no `/`, `#` or control characters", type: "format" }]);
      const long = await send(server.url, method, "a".repeat(257), method === "PUT" ? { body: "{}" } : {});
      assertError(long, 422, "invalid_params");
      assert.deepEqual(long.body.errors.map((e) => [e.field, e.type]), [["user_id", "too_long"]]);
      const notUtf8 = await send(server.url, method, null, { path: "/v1/users/%FF", ...(method === "PUT" ? { body: "{}" } : {}) });
      assertError(notUtf8, 422, "invalid_params");
      assert.deepEqual(notUtf8.body.errors.map((e) => e.field), ["user_id"]);
    }
  });

  test("an id that is not UTF-8 is reported beside the body's problems, as any bad id is", async () => {
    const answer = await send(server.url, "PUT", null, { path: "/v1/users/%FF", body: '{"email": "nope", "locale": "en_US"}' });
    assertError(answer, 422, "invalid_params");
    assert.deepEqual(answer.body.errors.map((e) => [e.field, e.type]), [["user_id", "format"], ["email", "format"], ["locale", "format"]]);
    assert.equal(answer.body.errors[0].message, "the user id is not valid UTF-8 once percent-decoded");
  });

  test("contract §2 body rules: array body, string body, 1000-deep nesting", async () => {
    const array = await send(server.url, "PUT", "e-body", { body: "[1, 2]" });
    assertError(array, 422, "invalid_params");
    assert.deepEqual(array.body.errors.map((e) => e.field), [""]);
    const text = await send(server.url, "PUT", "e-body", { body: '"jane"' });
    assertError(text, 422, "invalid_params");
    const deep = await send(server.url, "PUT", "e-body", { body: `{"a": ${"[".repeat(1000)}${"]".repeat(1000)}}` });
    assertError(deep, 422, "invalid_params");
    assert.deepEqual(deep.body.errors, [{ field: "", message: "the body is nested deeper than 64 levels", type: "too_deep" }]);
  });
});

describe("configuration", () => {
  for (const [name, apiKeys] of [["missing", null], ["not JSON", "sk_live_secret"], ["not an object of strings", '{"sk_live_secret": 1}'], ["empty", "{}"]]) {
    test(`API_KEYS ${name}: every request is a 500 internal_error that reveals nothing`, async () => {
      const broken = await startMiniflare({ apiKeys });
      try {
        for (const [method, body] of [["GET", undefined], ["PUT", "{}"], ["DELETE", undefined]]) {
          const answer = await send(broken.url, method, "cfg", { body, key: "sk_live_secret" });
          assertError(answer, 500, "internal_error");
          assert.ok(!answer.text.includes("API_KEYS") && !answer.text.includes("sk_live"), answer.text);
        }
        assertError(await send(broken.url, "GET", null, { path: "/elsewhere" }), 500, "internal_error");
        // The log (not the answer) names the problem, and never a key.
        const logged = () => broken.logs.map((log) => log.message).join("\n");
        await waitFor(() => /internal_error: configuration: .*API_KEYS/.test(logged()), "the configuration problem in the log");
        const lines = logged();
        assert.ok(!lines.includes("sk_live_secret"), lines);
      } finally {
        await broken.stop();
      }
    });
  }
});

describe("CORS for configured origins", () => {
  test("an allowed origin gets CORS headers and a preflight answer", async () => {
    const preflight = await fetch(userUrl(server.url, "cors-1"), {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization, content-type" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.match(preflight.headers.get("access-control-allow-methods"), /PUT/);
    assert.match(preflight.headers.get("access-control-allow-headers"), /authorization/);
    // Each route's preflight allows that route's methods (its Allow header).
    for (const [path, allowed] of [
      ["/v1/users/cors-1", "GET, PUT, DELETE"],
      ["/v1/users/cors-1/preferences/default", "GET, PUT"],
      ["/v1/users/bulk/identify", "POST"],
      ["/v1/bulk_operations/op-1", "GET"],
    ]) {
      const headers = { Origin: "https://app.example.com", "Access-Control-Request-Method": allowed.split(", ").at(-1) };
      const routePreflight = await fetch(`${server.url}${path}`, { method: "OPTIONS", headers });
      assert.equal(routePreflight.status, 204, path);
      assert.equal(routePreflight.headers.get("access-control-allow-methods"), allowed, path);
    }
    const answer = await send(server.url, "PUT", "cors-1", { body: "{}", headers: { Origin: "https://app.example.com" } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.match(answer.headers.get("access-control-expose-headers"), /X-Request-ID/);
  });

  test("another origin gets no CORS headers", async () => {
    const answer = await send(server.url, "GET", "cors-1", { headers: { Origin: "https://evil.example.com" } });
    assert.equal(answer.headers.get("access-control-allow-origin"), null);
    const preflight = await fetch(userUrl(server.url, "cors-1"), { method: "OPTIONS", headers: { Origin: "https://evil.example.com", "Access-Control-Request-Method": "PUT" } });
    assert.equal(preflight.status, 405);
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
  });
});
