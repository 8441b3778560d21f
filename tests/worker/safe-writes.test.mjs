// Writes safe to race and to retry (contract §9), under real workerd:
// ETags and If-Match / If-None-Match (50 writers racing with one If-Match:
// exactly one wins), Idempotency-Key (the same request again gets the same
// answer and writes nothing; Knock's SDK, whose first answers are lost on
// the way, applies each write once), push tokens one at a time (50 devices
// adding 50 tokens at once keep all 50), and each user's change history.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Knock from "@knocklabs/node";
import { apiWorker, KEY, send, startMiniflare, startWorkers, tempDir, waitFor } from "./helpers.mjs";

const CHANNEL = "97c5837d-c65c-4d54-aa39-080eeb81c69d";

let server;
before(async () => {
  server = await startMiniflare({ allowedOrigins: "https://app.example.com" });
});
after(() => server?.stop());

const put = (id, body, headers = {}) => send(server.url, "PUT", id, { body: JSON.stringify(body), headers });
const get = (id, headers = {}) => send(server.url, "GET", id, { headers });
const del = (id, headers = {}) => send(server.url, "DELETE", id, { headers });
const tokenPath = (id, token, channel = CHANNEL) => `/v1/users/${encodeURIComponent(id)}/channel_data/${channel}/tokens/${encodeURIComponent(token)}`;
const changes = (id, query = "") => send(server.url, "GET", id, { path: `/v1/users/${encodeURIComponent(id)}/changes${query}` });

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.body.code, code, answer.text);
}

describe("kept answers are bounded", () => {
  test("1,001 writes with their keys keep the last 1,000: the first key's request is a new write again", { timeout: 300_000 }, async () => {
    const bounded = await startMiniflare({ limits: { identify: 100_000 } });
    try {
      const id = "kept-bound";
      const write = (i) => send(bounded.url, "PUT", id, { body: JSON.stringify({ counter: i }), headers: { "Idempotency-Key": `kept-${i}` } });
      for (let i = 0; i <= 1000; i++) {
        const answer = await write(i);
        assert.equal(answer.status, 200, answer.text);
      }
      const second = await write(1);
      assert.equal(second.headers.get("idempotent-replayed"), "true", "the second key's answer is still kept");
      const first = await write(0);
      assert.equal(first.headers.get("idempotent-replayed"), null, "the first key's answer went with the 1,001st kept");
      const read = await send(bounded.url, "GET", id, {});
      assert.equal(read.body?.counter, 0, `so its request was applied again: ${read.status} ${read.text}`);
    } finally {
      await bounded.stop();
    }
  });
});

describe("ETags and conditions", () => {
  test("every answer that carries a user, a channel's data or a set has the user's ETag; each write changes it", async () => {
    const id = "etag-1";
    const created = await put(id, { name: "A" });
    const etag = created.headers.get("etag");
    assert.match(etag, /^"[0-9a-f]{16}\.\d+"$/);
    assert.equal((await get(id)).headers.get("etag"), etag, "a GET of the same record: the same ETag");
    const channel = await send(server.url, "PUT", id, { path: `/v1/users/${id}/channel_data/${CHANNEL}`, body: JSON.stringify({ data: { tokens: ["t1"] } }) });
    const set = await send(server.url, "PUT", id, { path: `/v1/users/${id}/preferences/default`, body: JSON.stringify({ workflows: { a: true } }) });
    const etags = [etag, channel.headers.get("etag"), set.headers.get("etag")];
    assert.equal(new Set(etags).size, 3, JSON.stringify(etags));
    assert.equal((await send(server.url, "GET", id, { path: `/v1/users/${id}/preferences/default` })).headers.get("etag"), etags[2]);
  });

  test("two lives of a user never share an ETag: deleted and created again, or adopted from KV by its object", async () => {
    const id = "etag-lives";
    const first = (await put(id, { name: "A" })).headers.get("etag");
    assert.equal((await del(id)).status, 204);
    const second = (await put(id, { name: "A" })).headers.get("etag");
    assert.notEqual(second, first);
    // A user written into KV directly, adopted by an object that never held it.
    const kv = await server.kv();
    const record = (name) => JSON.stringify({ user: { __typename: "User", id: "etag-kv", avatar: null, created_at: null, email: null, locale: null, name, phone_number: null, timezone: null, updated_at: "2026-01-01T00:00:00.000Z" }, preferences: {}, channel_data: {} });
    await kv.put("env-a/users/etag-kv", record("K"));
    const adopted = (await get("etag-kv")).headers.get("etag");
    assert.ok(adopted && ![first, second].includes(adopted), adopted);
  });

  test("If-Match: the write happens only on the ETag named; else 412 with the current ETag, nothing written", async () => {
    const id = "if-match-1";
    const etag = (await put(id, { name: "A" })).headers.get("etag");
    const ok = await put(id, { name: "B" }, { "If-Match": etag });
    assert.equal(ok.status, 200, ok.text);
    const current = ok.headers.get("etag");
    const stale = await put(id, { name: "C" }, { "If-Match": etag });
    assertError(stale, 412, "precondition_failed");
    assert.equal(stale.headers.get("etag"), current);
    assert.equal((await get(id)).body.name, "B", "nothing written");
    assert.equal((await put(id, { name: "D" }, { "If-Match": `"nope", ${current}` })).status, 200, "one of a list");
    assertError(await put(id, { name: "E" }, { "If-Match": `W/${(await get(id)).headers.get("etag")}` }), 412, "precondition_failed");
    // `*`: the user must exist.
    const missing = await put("if-match-missing", { name: "X" }, { "If-Match": "*" });
    assertError(missing, 412, "precondition_failed");
    assert.equal(missing.headers.get("etag"), null);
    assert.equal((await get("if-match-missing")).status, 404);
    assert.equal((await put(id, { name: "F" }, { "If-Match": "*" })).status, 200);
    // DELETE and a channel's write too.
    const now = (await get(id)).headers.get("etag");
    assertError(await del(id, { "If-Match": etag }), 412, "precondition_failed");
    assertError(
      await send(server.url, "PUT", id, { path: `/v1/users/${id}/channel_data/${CHANNEL}`, body: JSON.stringify({ data: { tokens: ["x"] } }), headers: { "If-Match": etag } }),
      412,
      "precondition_failed",
    );
    assert.equal((await del(id, { "If-Match": now })).status, 204);
    assert.equal((await get(id)).status, 404);
  });

  test("50 writers racing with the same If-Match: exactly one succeeds, 49 get a 412", async () => {
    const id = "race-1";
    const etag = (await put(id, { counter: 0 })).headers.get("etag");
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => put(id, { counter: i + 1 }, { "If-Match": etag })));
    const statuses = answers.map(({ status }) => status).sort();
    assert.deepEqual(statuses, [200, ...Array(49).fill(412)]);
    const winner = answers.find(({ status }) => status === 200);
    assert.equal((await get(id)).body.counter, winner.body.counter);
    for (const refused of answers.filter(({ status }) => status === 412)) assert.equal(refused.headers.get("etag"), winner.headers.get("etag"));
  });

  test("If-None-Match: * creates only; a GET naming the current ETag is a 304 without a body", async () => {
    const id = "if-none-1";
    const created = await put(id, { name: "A" }, { "If-None-Match": "*" });
    assert.equal(created.status, 200, created.text);
    assertError(await put(id, { name: "B" }, { "If-None-Match": "*" }), 412, "precondition_failed");
    assert.equal((await get(id)).body.name, "A");
    const etag = created.headers.get("etag");
    const unchanged = await get(id, { "If-None-Match": etag });
    assert.equal(unchanged.status, 304);
    assert.equal(unchanged.text, "");
    assert.equal(unchanged.headers.get("etag"), etag);
    assert.equal((await get(id, { "If-None-Match": `W/${etag}` })).status, 304, "compared weakly");
    assert.equal((await get(id, { "If-None-Match": '"other.1"' })).status, 200);
  });

  test("CORS exposes ETag and Idempotent-Replayed and allows the conditions and the key", async () => {
    const origin = "https://app.example.com";
    const preflight = await fetch(`${server.url}/v1/users/cors-1`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "PUT" } });
    assert.equal(preflight.status, 204);
    const allowed = preflight.headers.get("access-control-allow-headers").split(",").map((name) => name.trim());
    for (const name of ["If-Match", "If-None-Match", "Idempotency-Key"]) assert.ok(allowed.includes(name), allowed.join());
    const answer = await put("cors-1", { name: "A" }, { Origin: origin });
    const exposed = answer.headers.get("access-control-expose-headers").split(",").map((name) => name.trim());
    for (const name of ["ETag", "Idempotent-Replayed"]) assert.ok(exposed.includes(name), exposed.join());
  });
});

describe("Idempotency-Key", () => {
  test("the same request again gets the first answer, status, body and ETag, and writes nothing", async () => {
    const id = "idem-1";
    const headers = { "Idempotency-Key": "idem-key-1" };
    const first = await put(id, { name: "A", plan: { seats: 1 } }, headers);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    const again = await put(id, { name: "A", plan: { seats: 1 } }, headers);
    assert.equal(again.status, 200);
    assert.equal(again.text, first.text, "the same body, updated_at included");
    assert.equal(again.headers.get("etag"), first.headers.get("etag"));
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal((await get(id)).headers.get("etag"), first.headers.get("etag"), "nothing written");
    assert.equal((await changes(id)).body.entries.length, 1);
  });

  test("the same key with another request is 422 idempotency_key_reused, and writes nothing", async () => {
    const id = "idem-2";
    const headers = { "Idempotency-Key": "idem-key-2" };
    assert.equal((await put(id, { name: "A" }, headers)).status, 200);
    const reused = await put(id, { name: "B" }, headers);
    assertError(reused, 422, "idempotency_key_reused");
    assert.equal((await get(id)).body.name, "A");
    // Another path or method is another request too.
    assertError(await del(id, headers), 422, "idempotency_key_reused");
    assert.equal((await get(id)).status, 200);
  });

  test("a refusal the request earned (412, a 404 unset) is kept too; a 429 is not", async () => {
    const id = "idem-3";
    const etag = (await put(id, { name: "A" })).headers.get("etag");
    await put(id, { name: "B" });
    const headers = { "Idempotency-Key": "idem-key-3", "If-Match": etag };
    const refused = await put(id, { name: "C" }, headers);
    assertError(refused, 412, "precondition_failed");
    const again = await put(id, { name: "C" }, headers);
    assert.equal(again.text, refused.text);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    // Unsetting a channel of a user that does not exist: a 204 kept as such.
    const path = `/v1/users/idem-missing/channel_data/${CHANNEL}`;
    const unset = await send(server.url, "DELETE", null, { path, headers: { "Idempotency-Key": "idem-key-4" } });
    assert.equal(unset.status, 204);
    const unsetAgain = await send(server.url, "DELETE", null, { path, headers: { "Idempotency-Key": "idem-key-4" } });
    assert.equal(unsetAgain.status, 204);
    assert.equal(unsetAgain.headers.get("idempotent-replayed"), "true");
    const limited = await startMiniflare({ limits: { identify: 1 } });
    try {
      const first = await send(limited.url, "PUT", "idem-limited", { body: '{"name": "A"}' });
      assert.equal(first.status, 200);
      const over = await send(limited.url, "PUT", "idem-limited", { body: '{"name": "B"}', headers: { "Idempotency-Key": "idem-key-5" } });
      assertError(over, 429, "rate_limit_exceeded");
      // Once the window has passed, the same request runs.
      const retried = await waitFor(async () => {
        const answer = await send(limited.url, "PUT", "idem-limited", { body: '{"name": "B"}', headers: { "Idempotency-Key": "idem-key-5" } });
        return answer.status === 200 && answer;
      }, "the next limiter window", 20_000);
      assert.equal(retried.headers.get("idempotent-replayed"), null);
      assert.equal(retried.body.name, "B");
    } finally {
      await limited.stop();
    }
  });

  test("a key is 1 to 255 printable ASCII characters: at the bound, one past it, and outside ASCII", async () => {
    assert.equal((await put("idem-syntax", { name: "A" }, { "Idempotency-Key": "k".repeat(255) })).status, 200);
    const long = await put("idem-syntax", { name: "A" }, { "Idempotency-Key": "k".repeat(256) });
    assertError(long, 422, "invalid_params");
    assert.equal(long.body.errors[0].field, "Idempotency-Key");
    assert.equal(long.body.errors[0].type, "too_long");
    const control = await put("idem-syntax", { name: "A" }, { "Idempotency-Key": "tab\there" });
    assertError(control, 422, "invalid_params");
    assert.equal(control.body.errors[0].field, "Idempotency-Key");
  });

  test("a bulk sent again with its key answers the same operation; another bulk with the key is refused", async () => {
    const body = JSON.stringify({ users: [{ id: "idem-bulk-1", name: "B" }] });
    const headers = { "Idempotency-Key": "idem-bulk-key" };
    const first = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body, headers });
    assert.equal(first.status, 200, first.text);
    const again = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body, headers });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.text, first.text);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    const other = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users: [{ id: "idem-bulk-2" }] }), headers });
    assertError(other, 422, "idempotency_key_reused");
  });

  test("Knock's SDK whose first answers are lost on the way: each write applied once, the retry answered as the first", { timeout: 60_000 }, async () => {
    const persist = tempDir("lost-answers");
    // A front Worker that forwards to the built Worker and loses the first
    // answer to each Idempotency-Key (a 503 in its place).
    const front = `
      const answered = new Set();
      export default {
        async fetch(request, env) {
          const key = request.headers.get("Idempotency-Key");
          const answer = await env.API.fetch(request);
          if (key && !answered.has(key)) {
            answered.add(key);
            await answer.arrayBuffer();
            return new Response("the answer was lost (test)", { status: 503 });
          }
          return answer;
        },
      };`;
    const workers = await startWorkers(
      [{ name: "front", modules: true, script: front, serviceBindings: { API: "api" } }, apiWorker(persist)],
      persist,
    );
    try {
      const knock = new Knock({ apiKey: KEY, baseURL: workers.url, maxRetries: 2 });
      const user = await knock.users.update("sdk-retried-1", { name: "Once", plan: { seats: 1 } });
      assert.equal(user.name, "Once");
      const read = await send(workers.url, "GET", "sdk-retried-1");
      assert.equal(read.body.updated_at, user.updated_at, "the retry answered the first identify");
      assert.match(read.headers.get("etag"), /\.1"$/, "one write: the user's first version");
      const history = await send(workers.url, "GET", null, { path: "/v1/users/sdk-retried-1/changes" });
      assert.equal(history.body.entries.length, 1);
      const operation = await knock.users.bulk.identify({ users: [{ id: "sdk-retried-2", name: "Bulk" }] });
      const operations = workers.logs.filter(({ message }) => message.startsWith("bulk-created "));
      assert.equal(operations.length, 1, "one operation created");
      assert.ok(operations[0].message.includes(`operation=${operation.id}`));
    } finally {
      await workers.stop();
    }
  });
});

describe("push tokens one at a time", () => {
  test("PUT adds a token (creating the channel and the user), again changes nothing; DELETE removes it", async () => {
    const id = "push-1";
    const added = await send(server.url, "PUT", null, { path: tokenPath(id, "token-a") });
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.body, { __typename: "ChannelData", channel_id: CHANNEL, data: { tokens: ["token-a"] } });
    const etag = added.headers.get("etag");
    const again = await send(server.url, "PUT", null, { path: tokenPath(id, "token-a") });
    assert.deepEqual(again.body, added.body);
    assert.equal(again.headers.get("etag"), etag, "nothing written");
    const second = await send(server.url, "PUT", null, { path: tokenPath(id, "token/b") });
    assert.deepEqual(second.body.data, { tokens: ["token-a", "token/b"] });
    assert.equal((await send(server.url, "DELETE", null, { path: tokenPath(id, "token-a") })).status, 204);
    assert.equal((await send(server.url, "DELETE", null, { path: tokenPath(id, "token-a") })).status, 204, "gone already");
    const channel = await send(server.url, "GET", null, { path: `/v1/users/${id}/channel_data/${CHANNEL}` });
    assert.deepEqual(channel.body.data, { tokens: ["token/b"] });
    // Removing from a user that does not exist creates nothing.
    assert.equal((await send(server.url, "DELETE", null, { path: tokenPath("push-nobody", "t") })).status, 204);
    assert.equal((await get("push-nobody")).status, 404);
  });

  test("50 devices adding 50 tokens at once keep all 50", async () => {
    const id = "push-race";
    const tokens = Array.from({ length: 50 }, (_, i) => `device-${i}`);
    const answers = await Promise.all(tokens.map((token) => send(server.url, "PUT", null, { path: tokenPath(id, token) })));
    assert.ok(answers.every(({ status }) => status === 200), JSON.stringify(answers.map(({ status }) => status)));
    const channel = await send(server.url, "GET", null, { path: `/v1/users/${id}/channel_data/${CHANNEL}` });
    assert.deepEqual([...channel.body.data.tokens].sort(), [...tokens].sort());
  });

  test("a bad token or channel id is a 422 at the route's fields; If-Match holds", async () => {
    const notUtf8 = await send(server.url, "PUT", null, { path: `/v1/users/push-2/channel_data/${CHANNEL}/tokens/%FF` });
    assertError(notUtf8, 422, "invalid_params");
    assert.deepEqual(notUtf8.body.errors.map(({ field }) => field), ["token"]);
    const badChannel = await send(server.url, "PUT", null, { path: "/v1/users/push-2/channel_data/not-a-uuid/tokens/t" });
    assertError(badChannel, 422, "invalid_params");
    assert.deepEqual(badChannel.body.errors.map(({ field }) => field), ["channel_id"]);
    assertError(await send(server.url, "PUT", null, { path: tokenPath("push-2", "t"), headers: { "If-Match": "*" } }), 412, "precondition_failed");
    assert.equal((await get("push-2")).status, 404);
  });
});

describe("a user's change history", () => {
  test("one entry per write that changed something, naming what changed, newest first", async () => {
    const id = "history-1";
    const created = await put(id, { name: "A", email: "a@example.com", plan: { tier: "free" } });
    await put(id, { name: "A" }); // changes nothing but updated_at: no entry
    const renamed = await put(id, { name: "B", plan: { tier: "pro" }, seats: 3 });
    await send(server.url, "PUT", null, { path: tokenPath(id, "t1") });
    await send(server.url, "PUT", id, { path: `/v1/users/${id}/preferences/default`, body: JSON.stringify({ workflows: { w: false } }) });
    const page = await changes(id);
    assert.equal(page.status, 200, page.text);
    const entries = page.body.entries;
    assert.deepEqual(entries.map(({ route, changed }) => [route, changed]), [
      ["set_preferences", ["preferences.default"]],
      ["add_push_token", [`channel_data.${CHANNEL}`]],
      ["identify", ["name", "custom.plan", "custom.seats"]],
      ["identify", ["email", "name", "custom.plan"]],
    ]);
    assert.ok(entries.every(({ __typename }) => __typename === "UserChange"));
    assert.equal(entries[2].etag, renamed.headers.get("etag"));
    assert.equal(entries[2].at, renamed.body.updated_at);
    assert.equal(entries[2].request_id, renamed.headers.get("x-request-id"));
    assert.equal(entries[3].etag, created.headers.get("etag"));
    assert.deepEqual(page.body.page_info, { __typename: "PageInfo", after: null, before: null, page_size: 50 });
    assert.ok(!page.text.includes("a@example.com"), "names, never values");
  });

  test("pages with page_size and after; bad input is a 422 naming it; 100 entries kept; erased by DELETE", { timeout: 120_000 }, async () => {
    const id = "history-2";
    for (let i = 0; i < 105; i++) await put(id, { counter: i });
    const seen = [];
    let after = null;
    do {
      const page = await changes(id, `?page_size=30${after ? `&after=${after}` : ""}`);
      assert.equal(page.status, 200, page.text);
      seen.push(...page.body.entries);
      after = page.body.page_info.after;
    } while (after);
    assert.equal(seen.length, 100, "the last 100 kept");
    assert.equal(new Set(seen.map(({ etag }) => etag)).size, 100);
    for (const [query, field] of [["?page_size=0", "page_size"], ["?page_size=51", "page_size"], ["?page_size=x", "page_size"], ["?after=nope", "after"]]) {
      const refused = await changes(id, query);
      assertError(refused, 422, "invalid_params");
      assert.equal(refused.body.errors[0].field, field, query);
    }
    assert.equal((await changes(id, "?page_size=50")).body.entries.length, 50);
    assert.equal((await changes(id, "?page_size=1")).body.entries.length, 1);
    assert.equal((await del(id)).status, 204);
    assertError(await changes(id), 404, "resource_missing");
    await put(id, { counter: 0 });
    assert.equal((await changes(id)).body.entries.length, 1, "a new life, a new history");
  });
});
