// Public keys' rate limits (contract §6, §6a), under workerd's rate-limit
// binding: a public key's request is counted only once its user token
// verifies, and then only against budgets of its own, one per user
// (PUBLIC_USER_LIMITER) and one per environment (PUBLIC_LIMITER), never the
// secret key's. So a flood of token-less or forged requests is all 401s and
// spends nobody's budget: the app's backend still identifies. One user past
// its limit is a 429 while other users and the backend go on; past the
// environment's public ceiling every further user is a 429, and the backend
// still goes on. The limits here are small (production: wrangler.toml).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { freshLimiterWindow as freshWindow, KEY, OTHER_KEY, rs256Token as tokenFor, send, signingKeyPair as pair, startMiniflare } from "./helpers.mjs";

/** Per 10 s: the secret keys' routes, one user of a public key, all of an environment's public keys. */
const LIMITS = { identify: 20, get: 20, delete: 20, publicUser: 5, public: 12 };
/** The public keys of env-a and env-b (helpers' secret keys: KEY → env-a, OTHER_KEY → env-b). */
const PUBLIC_A = "pk_test_a";
const PUBLIC_B = "pk_test_b";
/** Each environment's signing key, and one never configured. */
const signerA = pair();
const signerB = pair();
const stranger = pair();

let server;
before(async () => {
  server = await startMiniflare({
    limits: LIMITS,
    vars: {
      PUBLIC_KEYS: JSON.stringify({
        [PUBLIC_A]: { environment: "env-a", signing_keys: [signerA.publicKey] },
        [PUBLIC_B]: { environment: "env-b", signing_keys: [signerB.publicKey] },
      }),
    },
  });
});
after(() => server?.stop());

/** A request with `publicKey` and `token` (none when null). */
const asUser = (publicKey, method, id, token, options = {}) =>
  send(server.url, method, id, { ...options, key: publicKey, headers: token === null ? {} : { "X-Knock-User-Token": token } });
/** The secret key's identify of `id` in its environment. */
const identify = (key, id, name = "Backend") => send(server.url, "PUT", id, { key, body: JSON.stringify({ name }) });

function assertError(answer, status, code, what) {
  assert.equal(answer.status, status, `${what}: ${answer.text}`);
  assert.equal(answer.body.code, code, `${what}: ${answer.text}`);
  assert.equal(answer.body.status, status, what);
}

function assertRateLimited(answer, what) {
  assertError(answer, 429, "rate_limit_exceeded", what);
  assert.equal(answer.headers.get("retry-after"), "10", what);
}

test("a flood of token-less and forged public-key requests is all 401, and spends no one's budget", async () => {
  await freshWindow();
  const id = "flood-victim";
  const valid = tokenFor(id, signerA.privateKey);
  const [header, claims] = valid.split(".");
  const kinds = [
    ["no token", null, "user_token_missing"],
    ["signed by a key never configured", tokenFor(id, stranger.privateKey), "invalid_user_token"],
    ["malformed (the signature cut off)", `${header}.${claims}`, "invalid_user_token"],
    ["malformed (not a JWT)", "not-a-token", "invalid_user_token"],
  ];
  // Past every budget the flood could reach: the secret key's identify and
  // GET routes, and the public ones (per user and per environment).
  const count = LIMITS.identify + 10;
  for (let i = 0; i < count; i++) {
    const [what, token, code] = kinds[i % kinds.length];
    assertError(await asUser(PUBLIC_A, "PUT", id, token, { body: '{"name": "Mallory"}' }), 401, code, `PUT #${i}, ${what}`);
    assertError(await asUser(PUBLIC_A, "GET", id, token), 401, code, `GET #${i}, ${what}`);
  }
  // The backend's budget is untouched: it identifies and reads.
  const backend = await identify(KEY, "flood-backend");
  assert.equal(backend.status, 200, backend.text);
  const read = await send(server.url, "GET", "flood-backend", { key: KEY });
  assert.equal(read.status, 200, read.text);
  // So is the public keys' (the victim's own and the environment's).
  assert.equal((await send(server.url, "GET", id, { key: KEY })).status, 404, "the flood wrote nothing");
  const user = await asUser(PUBLIC_A, "PUT", id, valid, { body: '{"name": "Victim"}' });
  assert.equal(user.status, 200, user.text);
});

test("one user past its own limit is 429; other users and the secret key go on", async () => {
  await freshWindow();
  const id = "busy-user";
  const token = tokenFor(id, signerA.privateKey);
  let written;
  for (let i = 0; i < LIMITS.publicUser; i++) {
    // Identify and read alternately: one budget for both.
    const answer =
      i % 2 === 0
        ? await asUser(PUBLIC_A, "PUT", id, token, { body: JSON.stringify({ name: (written = `Busy ${i}`) }) })
        : await asUser(PUBLIC_A, "GET", id, token);
    assert.equal(answer.status, 200, `request ${i + 1} of ${LIMITS.publicUser}: ${answer.text}`);
  }
  const over = await asUser(PUBLIC_A, "PUT", id, token, { body: '{"name": "Over"}' });
  assertRateLimited(over, "one past the user's limit");
  assert.equal(over.body.request_id, over.headers.get("x-request-id"));
  assertRateLimited(await asUser(PUBLIC_A, "GET", id, token), "a GET past the user's limit");
  // The refused PUT wrote nothing.
  const stored = await send(server.url, "GET", id, { key: KEY });
  assert.equal(stored.status, 200, stored.text);
  assert.equal(stored.body.name, written);
  // Another user of the same environment and public key has a budget of its own.
  const other = await asUser(PUBLIC_A, "PUT", "calm-user", tokenFor("calm-user", signerA.privateKey), { body: "{}" });
  assert.equal(other.status, 200, other.text);
  // And the backend's is not the public key's.
  const backend = await identify(KEY, id, "From the backend");
  assert.equal(backend.status, 200, backend.text);
});

test("past an environment's public-key ceiling every user is 429; at it they pass; the secret key goes on", async () => {
  // env-b: nothing above counted against its public budget.
  await freshWindow();
  const ids = Array.from({ length: LIMITS.public + 1 }, (_, i) => `crowd-${i}`);
  for (const id of ids.slice(0, LIMITS.public)) {
    const answer = await asUser(PUBLIC_B, "PUT", id, tokenFor(id, signerB.privateKey), { body: '{"name": "Crowd"}' });
    assert.equal(answer.status, 200, `${id}, within the ceiling: ${answer.text}`);
  }
  const last = ids[LIMITS.public];
  const over = await asUser(PUBLIC_B, "PUT", last, tokenFor(last, signerB.privateKey), { body: '{"name": "Crowd"}' });
  assertRateLimited(over, `${last}, one past the ceiling`);
  assert.equal((await send(server.url, "GET", last, { key: OTHER_KEY })).status, 404, "the refused identify wrote nothing");
  // Even a user never seen before is refused once the ceiling is reached.
  const fresh = await asUser(PUBLIC_B, "GET", "crowd-late", tokenFor("crowd-late", signerB.privateKey));
  assertRateLimited(fresh, "a user new to the window, past the ceiling");
  // The backend of env-b still identifies.
  const backend = await identify(OTHER_KEY, "crowd-backend");
  assert.equal(backend.status, 200, backend.text);
  // env-a's public budget is its own.
  const elsewhere = await asUser(PUBLIC_A, "GET", "calm-user", tokenFor("calm-user", signerA.privateKey));
  assert.equal(elsewhere.status, 200, elsewhere.text);
});
