// The complete identify in plain JavaScript (bench/reference-worker/
// identify.js), the peer scripts/measure-worker holds the Rust Worker
// against, answers as the Rust Worker does: the same statuses and the
// same shapes (the user's keys in the same order, the error's keys, each
// problem's field and type; messages may differ), and its alarm writes the
// record to KV.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startReference } from "../../bench/reference-worker/miniflare.mjs";
import { freshLimiterWindow, removeDir, send, startMiniflare, tempDir } from "./helpers.mjs";

const KEY = "sk_test_local";
const VALID = '{"name": "Load Test", "email": "load@example.com", "locale": "en-US", "plan": {"tier": "pro", "seats": 3}}';
const persist = tempDir("reference");
let rust;
let js;

before(async () => {
  rust = await startMiniflare({ apiKeys: JSON.stringify({ [KEY]: "development" }) });
  js = await startReference({ persist, identifyLimit: 3 });
});
after(async () => {
  await rust?.stop();
  await js?.stop();
  removeDir(persist);
});

/** The same request to both Workers: [rust answer, JS answer]. */
const both = (userId, options) =>
  Promise.all([send(rust.url, "PUT", userId, { key: KEY, ...options }), send(js.url, "PUT", userId, { key: KEY, ...options })]);

test("a valid identify: 200, the same user (but updated_at), an ETag and a request id", async () => {
  await freshLimiterWindow();
  const [ours, theirs] = await both("same-user", { body: VALID });
  assert.equal(ours.status, 200);
  assert.equal(theirs.status, 200);
  assert.deepEqual(Object.keys(theirs.body), Object.keys(ours.body));
  assert.deepEqual({ ...theirs.body, updated_at: null }, { ...ours.body, updated_at: null });
  for (const answer of [ours, theirs]) {
    assert.match(answer.headers.get("etag"), /^"[0-9a-f]+\.\d+"$/);
    assert.match(answer.headers.get("x-request-id"), /^req_[0-9a-f]{32}$/);
  }
  // The alarm writes the record to KV.
  const kv = await js.mf.getKVNamespace("USERS");
  let stored = null;
  for (let i = 0; i < 50 && stored === null; i++) {
    stored = await kv.get("development/users/same-user");
    if (stored === null) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(JSON.parse(stored).user, theirs.body);
});

test("an invalid body: 422 invalid_params, the same fields and types", async () => {
  await freshLimiterWindow();
  const body = '{"email": "not-an-email", "phone_number": "+1 (415) 555-2671", "updated_at": null}';
  const [ours, theirs] = await both("invalid-user", { body });
  assert.equal(ours.status, 422);
  assert.equal(theirs.status, 422);
  assert.deepEqual(Object.keys(theirs.body), Object.keys(ours.body));
  assert.equal(theirs.body.code, ours.body.code);
  const shape = (answer) => answer.body.errors.map(({ field, type }) => ({ field, type }));
  assert.deepEqual(shape(theirs), shape(ours));
});

test("keys: 401 api_key_missing and invalid_api_key", async () => {
  for (const key of [null, "sk_wrong"]) {
    const [ours, theirs] = await Promise.all([
      send(rust.url, "PUT", "u", { key, body: "{}" }),
      send(js.url, "PUT", "u", { key, body: "{}" }),
    ]);
    assert.equal(ours.status, 401);
    assert.equal(theirs.status, 401);
    assert.equal(theirs.body.code, ours.body.code);
    assert.deepEqual(Object.keys(theirs.body), Object.keys(ours.body));
  }
});

test("the JS Worker's limiter: 429 rate_limit_exceeded with Retry-After", async () => {
  await freshLimiterWindow();
  const statuses = [];
  let limited;
  for (let i = 0; i < 5; i++) {
    const answer = await send(js.url, "PUT", `burst-${i}`, { key: KEY, body: '{"name": "B"}' });
    statuses.push(answer.status);
    if (answer.status === 429) limited ??= answer;
  }
  // Earlier tests spent some of this window's 3 when they ran in it.
  assert.ok(statuses.includes(429), `statuses ${statuses}`);
  assert.equal(limited.body.code, "rate_limit_exceeded");
  assert.equal(limited.headers.get("retry-after"), "10");
});
