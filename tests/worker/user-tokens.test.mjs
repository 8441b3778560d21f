// Public keys and signed user tokens (contract §6a), under real workerd:
// tokens signed by Knock's own `signUserToken` (@knocklabs/node) are
// accepted; every forged, stale, foreign or malformed one is refused with
// its code, and nothing is written; two signing keys verify side by side
// (rotation); a public key that requires an audience accepts only tokens
// whose `aud` names its environment, so a token of one environment is
// refused in another that shares its signing key. Tokens are made here
// with Node's crypto, so each attack is exactly the token it names.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { signUserToken } from "@knocklabs/node";
import { base64url, KEY, nowSeconds, OTHER_KEY, rs256Token, send, signingKeyPair, startMiniflare, userUrl } from "./helpers.mjs";

const PUBLIC_KEY = "pk_test_a";
/** env-b's public key: the same signing key as env-a's, but its tokens must name env-b in `aud`. */
const AUDIENCE_KEY = "pk_test_b";
const pair = signingKeyPair;
/** The environment's current signing key, the one before it (rotation), and one never configured. */
const current = pair();
const previous = pair();
const stranger = pair();

let server;
before(async () => {
  server = await startMiniflare({
    allowedOrigins: "https://app.example.com",
    vars: {
      PUBLIC_KEYS: JSON.stringify({
        [PUBLIC_KEY]: { environment: "env-a", signing_keys: [current.publicKey, previous.publicKey] },
        [AUDIENCE_KEY]: { environment: "env-b", signing_keys: [current.publicKey], require_audience: true },
      }),
    },
  });
});
after(() => server?.stop());

/** A JWT of `header` and `claims`, its signature made by `sign` over `header.claims`. */
function jwt(header, claims, sign) {
  const signed = `${base64url(header)}.${base64url(claims)}`;
  return `${signed}.${sign(signed)}`;
}
/** A well-formed RS256 token for `sub`, valid for an hour, signed by `privateKey`. */
const tokenFor = (sub, privateKey = current.privateKey, claims = {}) => rs256Token(sub, privateKey, claims);

/** A request with the public key (`options.key`, env-a's by default) and `token` (none when null). */
const asUser = (method, id, token, options = {}) =>
  send(server.url, method, id, {
    ...options,
    key: options.key ?? PUBLIC_KEY,
    headers: { ...options.headers, ...(token === null ? {} : { "X-Knock-User-Token": token }) },
  });
/** What the secret key (env-a's by default) reads for `id`: the check that a refusal wrote nothing. */
const stored = async (id, key = KEY) => (await send(server.url, "GET", id, { key })).status;

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.body.code, code, answer.text);
  assert.equal(answer.body.status, status);
}

test("a token from Knock's signUserToken identifies and reads its user", async () => {
  const id = "token-user-1";
  const token = await signUserToken(id, { signingKey: current.privateKey, expiresInSeconds: 600 });
  const created = await asUser("PUT", id, token, { body: JSON.stringify({ name: "Jane", plan: "pro" }) });
  assert.equal(created.status, 200, created.text);
  assert.equal(created.body.name, "Jane");
  const read = await asUser("GET", id, token);
  assert.equal(read.status, 200, read.text);
  assert.deepEqual(read.body, created.body);
});

test("rotation: tokens signed by either configured signing key verify", async () => {
  for (const [id, key] of [["rotated-new", current.privateKey], ["rotated-old", previous.privateKey]]) {
    const answer = await asUser("PUT", id, await signUserToken(id, { signingKey: key }), { body: "{}" });
    assert.equal(answer.status, 200, `${id}: ${answer.text}`);
  }
});

test("60 s of clock skew: a token expired 30 s ago, or valid from 30 s ahead, still verifies", async () => {
  const id = "skewed-1";
  const late = tokenFor(id, current.privateKey, { exp: nowSeconds() - 30 });
  assert.equal((await asUser("GET", id, late)).status, 404, "verified (the user does not exist yet)");
  const early = tokenFor(id, current.privateKey, { nbf: nowSeconds() + 30 });
  assert.equal((await asUser("GET", id, early)).status, 404);
});

test("refused, each with its code, and nothing written", async () => {
  const id = "victim-1";
  const valid = tokenFor(id);
  const [header, claims, signature] = valid.split(".");
  const tampered = `${header}.${base64url({ sub: id, iat: nowSeconds(), exp: nowSeconds() + 86_400 * 365 })}.${signature}`;
  const cases = [
    ["no token", null, 401, "user_token_missing"],
    ["an empty token", "", 401, "user_token_missing"],
    ["a token for another user", tokenFor("someone-else"), 403, "forbidden"],
    ["alg none", jwt({ alg: "none", typ: "JWT" }, { sub: id, exp: nowSeconds() + 3600 }, () => ""), 401, "invalid_user_token"],
    [
      "HS256 keyed with the public key's PEM (key confusion)",
      jwt({ alg: "HS256", typ: "JWT" }, { sub: id, exp: nowSeconds() + 3600 }, (signed) =>
        createHmac("sha256", current.publicKey).update(signed).digest("base64url"),
      ),
      401,
      "invalid_user_token",
    ],
    ["signed by a key that is not configured", tokenFor(id, stranger.privateKey), 401, "invalid_user_token"],
    ["expired (past the skew)", tokenFor(id, current.privateKey, { exp: nowSeconds() - 61 }), 401, "invalid_user_token"],
    ["nbf in the future (past the skew)", tokenFor(id, current.privateKey, { nbf: nowSeconds() + 120 }), 401, "invalid_user_token"],
    ["a tampered payload with the original signature", tampered, 401, "invalid_user_token"],
    ["truncated", valid.slice(0, valid.length - 10), 401, "invalid_user_token"],
    ["the signature cut off", `${header}.${claims}`, 401, "invalid_user_token"],
    ["parts that are not base64url", `${header}.${claims}.***`, 401, "invalid_user_token"],
    ["a 16 KB token", `${header}.${"A".repeat(16 * 1024)}.${signature}`, 401, "invalid_user_token"],
  ];
  for (const [name, token, status, code] of cases) {
    const answer = await asUser("PUT", id, token, { body: JSON.stringify({ name: "Mallory" }) });
    assertError(answer, status, code);
    assert.ok(!answer.text.includes(signature), `${name}: the answer never quotes the token`);
    assert.equal(await stored(id), 404, `${name}: nothing written`);
    assertError(await asUser("GET", id, token), status, code);
  }
  // The reason is in the message, the token is not.
  const expired = await asUser("GET", id, tokenFor(id, current.privateKey, { exp: nowSeconds() - 61 }));
  assert.equal(expired.body.message, "the user token is not valid: it has expired");
});

test("a public key may not DELETE or run bulk operations, even with its own user's token; an unknown public key is a 401", async () => {
  const id = "kept-1";
  assert.equal((await send(server.url, "PUT", id, { body: '{"name": "Kept"}' })).status, 200);
  assertError(await asUser("DELETE", id, tokenFor(id)), 403, "forbidden");
  assert.equal(await stored(id), 200, "still there");
  const bulk = await asUser("POST", null, tokenFor(id), { path: "/v1/users/bulk/identify", body: JSON.stringify({ users: [{ id, name: "Bulk" }] }) });
  assertError(bulk, 403, "forbidden");
  assertError(await asUser("GET", null, tokenFor(id), { path: "/v1/bulk_operations/any" }), 403, "forbidden");
  const unknown = await send(server.url, "GET", id, { key: "pk_test_unknown", headers: { "X-Knock-User-Token": tokenFor(id) } });
  assertError(unknown, 401, "invalid_api_key");
});

test("a public key reaches its user's channel data and preference sets, and no one else's", async () => {
  const id = "token-parts-1";
  const token = tokenFor(id);
  const channel = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
  const path = (user, part) => ({ path: `/v1/users/${user}/${part}` });
  const set = await asUser("PUT", null, token, { ...path(id, `channel_data/${channel}`), body: '{"data": {"tokens": ["t"]}}' });
  assert.equal(set.status, 200, set.text);
  assert.equal((await asUser("GET", null, token, path(id, `channel_data/${channel}`))).status, 200);
  assert.equal((await asUser("PUT", null, token, { ...path(id, "preferences/default"), body: '{"channel_types": {"email": false}}' })).status, 200);
  assert.equal((await asUser("DELETE", null, token, path(id, `channel_data/${channel}`))).status, 204);
  assertError(await asUser("PUT", null, token, { ...path("someone-else", "preferences/default"), body: "{}" }), 403, "forbidden");
  assertError(await asUser("GET", null, null, path(id, "preferences/default")), 401, "user_token_missing");
});

test("a key that requires an audience refuses a token whose `aud` does not name its environment, and writes nothing", async () => {
  const id = "audience-refused-1";
  // Signed by env-b's own signing key (shared with env-a), for the path's user.
  for (const [name, claims] of [
    ["a token of env-a (aud: env-a)", { aud: "env-a" }],
    ["a token without aud", {}],
    ["aud: a list without env-b", { aud: ["env-a", "other"] }],
  ]) {
    const token = tokenFor(id, current.privateKey, claims);
    for (const method of ["PUT", "GET"]) {
      const body = method === "PUT" ? JSON.stringify({ name: "Mallory" }) : undefined;
      const answer = await asUser(method, id, token, { key: AUDIENCE_KEY, body });
      assertError(answer, 401, "invalid_user_token");
      assert.equal(answer.body.message, "the user token is not valid: its `aud` does not name this environment", `${name}, ${method}`);
    }
    assert.equal(await stored(id, OTHER_KEY), 404, `${name}: nothing written in env-b`);
  }
  // The same token of env-a is good where it belongs (verified; the user does not exist there).
  assert.equal((await asUser("GET", id, tokenFor(id, current.privateKey, { aud: "env-a" }))).status, 404);
});

test("a key that requires an audience accepts `aud` naming its environment, as a string or in a list", async () => {
  for (const [id, aud] of [["audience-string-1", "env-b"], ["audience-list-1", ["other", "env-b"]]]) {
    const token = tokenFor(id, current.privateKey, { aud });
    const created = await asUser("PUT", id, token, { key: AUDIENCE_KEY, body: JSON.stringify({ name: "Bea" }) });
    assert.equal(created.status, 200, `${JSON.stringify(aud)}: ${created.text}`);
    const read = await asUser("GET", id, token, { key: AUDIENCE_KEY });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.name, "Bea");
    // Written in env-b, the key's environment, and not in env-a.
    assert.equal(await stored(id, OTHER_KEY), 200);
    assert.equal(await stored(id, KEY), 404);
  }
});

test("a key that does not require an audience accepts any `aud`, or none", async () => {
  for (const [id, claims] of [
    ["any-audience-1", { aud: "env-b" }],
    ["any-audience-2", { aud: "somewhere-else" }],
    ["any-audience-3", { aud: ["other", "env-b"] }],
    ["any-audience-4", { aud: 7 }],
    ["any-audience-5", {}],
  ]) {
    const answer = await asUser("PUT", id, tokenFor(id, current.privateKey, claims), { body: "{}" });
    assert.equal(answer.status, 200, `${JSON.stringify(claims)}: ${answer.text}`);
    assert.equal(await stored(id), 200);
  }
});

test("CORS: an allowed origin's preflight for the token header is a 204 that allows it", async () => {
  const preflight = await fetch(userUrl(server.url, "cors-token"), {
    method: "OPTIONS",
    headers: {
      Origin: "https://app.example.com",
      "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "authorization, content-type, x-knock-user-token",
    },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example.com");
  assert.match(preflight.headers.get("access-control-allow-headers"), /x-knock-user-token/i);
  const id = "cors-token";
  const answer = await asUser("PUT", id, tokenFor(id), { body: "{}", headers: { Origin: "https://app.example.com" } });
  assert.equal(answer.status, 200, answer.text);
});

test("keys and tokens are never logged", () => {
  const lines = server.logs.map(({ message }) => message).join("\n");
  for (const secret of [PUBLIC_KEY, AUDIENCE_KEY, "eyJ", current.publicKey.split("\n")[1]]) {
    assert.ok(!lines.includes(secret), `the log holds ${secret.slice(0, 12)}…`);
  }
});
