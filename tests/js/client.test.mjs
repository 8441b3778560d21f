// IdentifyClient against a real local HTTP server, through the BUILT package
// (pkg/, resolved by its `exports` map as a user's import would be), and
// for contract §9 against the real Worker (build/index.js under Miniflare,
// tests/js/worker.mjs), the scripted server standing between them where an
// answer must be lost on its way back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  IdentifyClient,
  validate,
  ValidationError,
  ApiError,
  RateLimitError,
  TimeoutError,
  ConnectionError,
  AbortError,
} from "knock-identify";
import { startServer, json, apiError, user, forwardTo } from "./server.mjs";
import { startApiWorker, LIST_KEY, WORKER_KEY } from "./worker.mjs";

let server;
let worker;
before(async () => {
  [server, worker] = await Promise.all([startServer(), startApiWorker()]);
}, { timeout: 90_000 });
after(async () => {
  await Promise.all([server?.close(), worker?.stop()]);
});

const KEY = "sk_test_local";
const client = (options = {}) => new IdentifyClient({ apiKey: KEY, baseUrl: server.baseUrl, ...options });
/** Runs `promise` and gives back what it rejected with, failing if it resolved. */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}
/**
 * The client waited at least `low` ms (less 20: timers may fire a little
 * early on some systems). Only the lower bound is asserted: a busy machine
 * makes waits longer, never shorter. The waits' exact arithmetic (backoff,
 * jitter, Retry-After) is the unit test of src/js/client/retry.rs, on
 * injected randomness.
 */
function assertWaitedAtLeast(ms, low) {
  assert.ok(ms >= low - 20, `waited ${Math.round(ms)} ms, at least ${low} expected`);
}

test("identify: 200 sends PUT with the path encoded, the headers and the JSON body", async () => {
  const id = "jane doe+é@x?1";
  const body = { name: "Jane", email: "jane@example.com", plan: { tier: "pro" }, skipped: undefined };
  server.script((req, res) => json(res, 200, user(id, { name: "Jane", email: "jane@example.com", plan: { tier: "pro" } })));
  const answer = await client().identify(id, body);
  assert.equal(server.requests.length, 1);
  const [req] = server.requests;
  assert.equal(req.method, "PUT");
  assert.equal(req.url, "/v1/users/jane%20doe%2B%C3%A9%40x%3F1");
  assert.equal(req.headers.authorization, `Bearer ${KEY}`);
  assert.equal(req.headers.accept, "application/json");
  assert.equal(req.headers["content-type"], "application/json");
  assert.equal(req.body, JSON.stringify(body));
  assert.deepEqual(JSON.parse(req.body), { name: "Jane", email: "jane@example.com", plan: { tier: "pro" } });
  assert.deepEqual(answer, user(id, { name: "Jane", email: "jane@example.com", plan: { tier: "pro" } }));
});

test("identify: a base URL with a path prefix and a trailing slash", async () => {
  server.script((req, res) => json(res, 200, user("u1")));
  await client({ baseUrl: `${server.baseUrl}/knock/` }).identify("u1", {});
  assert.equal(server.requests[0].url, "/knock/v1/users/u1");
});

test("identify: an invalid body is a ValidationError with validate's errors, and nothing is sent", async () => {
  server.script();
  const body = { email: "jane", phone_number: "+1 (415) 555-2671", updated_at: "now" };
  const error = await rejection(client().identify("user-1", body));
  assert.ok(error instanceof ValidationError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ValidationError");
  assert.equal(error.status, 422);
  assert.equal(error.code, "invalid_params");
  assert.deepEqual(error.errors, validate("user-1", body));
  assert.equal(error.errors.length, 3);
  assert.equal(server.requests.length, 0);
});

test("422 with errors: an ApiError with every field, not retried", async () => {
  const errors = [{ field: "email", message: "expected an email address", type: "format" }];
  server.script((req, res) =>
    json(res, 422, apiError(422, "invalid_params", "the request has 1 problem, listed in `errors`", { errors }), {
      "x-request-id": "req_header",
    }),
  );
  const error = await rejection(client().identify("user-1", { name: "Jane" }));
  assert.ok(error instanceof ApiError);
  assert.ok(!(error instanceof RateLimitError));
  assert.equal(error.name, "ApiError");
  assert.equal(error.status, 422);
  assert.equal(error.code, "invalid_params");
  assert.equal(error.message, "the request has 1 problem, listed in `errors`");
  assert.equal(error.requestId, "req_123");
  assert.deepEqual(error.errors, errors);
  assert.equal(server.requests.length, 1);
});

test("429 with Retry-After: 1 waits a second, then succeeds", async () => {
  server.script(
    (req, res) => json(res, 429, apiError(429, "rate_limit_exceeded", "slow down"), { "retry-after": "1" }),
    (req, res) => json(res, 200, user("user-1")),
  );
  const answer = await client().identify("user-1", {});
  assert.equal(answer.id, "user-1");
  assert.equal(server.requests.length, 2);
  assertWaitedAtLeast(server.gaps()[0], 1000);
});

test("429 after every retry is a RateLimitError (an ApiError) with the asked wait", async () => {
  const limited = (req, res) =>
    json(res, 429, apiError(429, "rate_limit_exceeded", "slow down"), { "retry-after-ms": "100", "x-request-id": "r" });
  server.script(limited, limited);
  const error = await rejection(client({ maxRetries: 1 }).get("user-1"));
  assert.ok(error instanceof RateLimitError);
  assert.ok(error instanceof ApiError);
  assert.equal(error.name, "RateLimitError");
  assert.equal(error.status, 429);
  assert.equal(error.code, "rate_limit_exceeded");
  assert.equal(error.retryAfterMs, 100);
  assert.equal(server.requests.length, 2);
  assertWaitedAtLeast(server.gaps()[0], 100);
});

test("Retry-After as an HTTP date", async () => {
  server.script(
    (req, res) => json(res, 503, {}, { "retry-after": new Date(Date.now() + 2000).toUTCString() }),
    (req, res) => json(res, 200, user("user-1")),
  );
  await client().identify("user-1", {});
  assert.equal(server.requests.length, 2);
  // The date has whole seconds: between 1 and 2 s from now.
  assertWaitedAtLeast(server.gaps()[0], 1000);
});

test("503 then 200: one retry after 0.5 s less up to 25 %", async () => {
  server.script(
    (req, res) => json(res, 503, apiError(503, "internal_error", "unavailable")),
    (req, res) => json(res, 200, user("user-1", { name: "Jane" })),
  );
  const answer = await client().identify("user-1", { name: "Jane" });
  assert.equal(answer.name, "Jane");
  assert.equal(server.requests.length, 2);
  assert.equal(server.requests[1].body, server.requests[0].body);
  assertWaitedAtLeast(server.gaps()[0], 375);
});

test("5xx after every retry: maxRetries + 1 attempts, backoff doubling, then an ApiError", async () => {
  const failing = (req, res) => json(res, 500, apiError(500, "internal_error", "boom"));
  server.script(failing, failing, failing);
  const error = await rejection(client().identify("user-1", {}));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 500);
  assert.equal(error.code, "internal_error");
  assert.equal(error.requestId, "req_123");
  assert.deepEqual(error.errors, []);
  assert.equal(server.requests.length, 3);
  const [first, second] = server.gaps();
  assertWaitedAtLeast(first, 375);
  assertWaitedAtLeast(second, 750);
});

test("408 and 409 are retried, 400/401/404 are not", async () => {
  server.script(
    (req, res) => json(res, 408, {}),
    (req, res) => json(res, 409, {}),
    (req, res) => json(res, 200, user("user-1")),
  );
  await client({ maxRetries: 2 }).get("user-1");
  assert.equal(server.requests.length, 3);
  for (const [status, code] of [[400, "invalid_json"], [401, "invalid_api_key"], [404, "resource_missing"]]) {
    server.script((req, res) => json(res, status, apiError(status, code, "no")));
    const error = await rejection(client().get("user-1"));
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    assert.equal(server.requests.length, 1, `${status} is not retried`);
  }
});

test("an error answer that is not JSON keeps its status", async () => {
  server.script((req, res) => {
    res.writeHead(502, { "content-type": "text/html", "x-request-id": "req_html" });
    res.end("<h1>Bad gateway</h1>");
  });
  const error = await rejection(client({ maxRetries: 0 }).get("user-1"));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 502);
  assert.equal(error.code, "unknown");
  assert.equal(error.message, "the server answered 502");
  assert.equal(error.requestId, "req_html");
});

test("an answer slower than timeoutMs: a TimeoutError after every retry", async () => {
  const slow = (req, res) => setTimeout(() => json(res, 200, user("user-1")), 1500);
  server.script(slow, slow);
  const started = performance.now();
  const error = await rejection(client({ timeoutMs: 300, maxRetries: 1 }).identify("user-1", {}));
  const elapsed = performance.now() - started;
  assert.ok(error instanceof TimeoutError);
  assert.ok(error instanceof ConnectionError);
  assert.equal(error.name, "TimeoutError");
  assert.match(error.message, /no answer within 300 ms/);
  assert.equal(server.requests.length, 2);
  // 300 ms, a backoff of 375–500 ms, 300 ms.
  assertWaitedAtLeast(server.gaps()[0], 300 + 375);
  assertWaitedAtLeast(elapsed, 300 + 375 + 300);
});

test("a slow answer within timeoutMs is fine", async () => {
  server.script((req, res) => setTimeout(() => json(res, 200, user("user-1")), 200));
  const answer = await client({ timeoutMs: 2000 }).get("user-1");
  assert.equal(answer.id, "user-1");
});

// The dropped-connection tests use a server of their own, so the first
// attempt opens a new connection: when the server drops a kept-alive one
// (left by an earlier test), Bun's fetch sends the request again by itself,
// and the client's own retries would not be what is counted.
async function withFreshServer(exercise) {
  const fresh = await startServer();
  try {
    return await exercise(fresh);
  } finally {
    await fresh.close();
  }
}

test("a dropped connection is retried, then a ConnectionError", () =>
  withFreshServer(async (fresh) => {
    const drop = (req, res, raw) => raw.socket.destroy();
    fresh.script(drop, drop, drop);
    const error = await rejection(client({ baseUrl: fresh.baseUrl }).identify("user-1", {}));
    assert.ok(error instanceof ConnectionError);
    assert.ok(!(error instanceof TimeoutError));
    assert.equal(error.name, "ConnectionError");
    assert.match(error.message, /^could not reach http:\/\/127\.0\.0\.1:\d+\/v1\/users\/user-1: /);
    assert.ok(error.cause instanceof Error, "the cause is what fetch threw");
    assert.equal(fresh.requests.length, 3);
  }));

test("a dropped connection then 200 succeeds", () =>
  withFreshServer(async (fresh) => {
    fresh.script(
      (req, res, raw) => raw.socket.destroy(),
      (req, res) => json(res, 200, user("user-1")),
    );
    const answer = await client({ baseUrl: fresh.baseUrl }).identify("user-1", {});
    assert.equal(answer.id, "user-1");
    assert.equal(fresh.requests.length, 2);
  }));

test("nothing listening: a ConnectionError", async () => {
  const error = await rejection(
    new IdentifyClient({ apiKey: KEY, baseUrl: "http://127.0.0.1:1", maxRetries: 0 }).get("user-1"),
  );
  assert.ok(error instanceof ConnectionError);
});

test("abort mid-retry: an AbortError at once, no further attempt", async () => {
  const unavailable = (req, res) => json(res, 503, {});
  let firstAnswered;
  const answered = new Promise((resolve) => (firstAnswered = resolve));
  server.script(
    (req, res) => {
      unavailable(req, res);
      res.on("finish", firstAnswered);
    },
    unavailable,
    unavailable,
  );
  const controller = new AbortController();
  const reason = new Error("user navigated away");
  // The first retry waits at least 375 ms after the first answer: abort
  // as soon as that answer is sent, inside the wait.
  const pending = client().identify("user-1", {}, { signal: controller.signal });
  await answered;
  controller.abort(reason);
  const error = await rejection(pending);
  // Had the wait run its course, the retry would have been sent before the rejection.
  assert.equal(server.requests.length, 1, "the wait was cut short");
  assert.ok(error instanceof AbortError);
  assert.equal(error.name, "AbortError");
  assert.equal(error.cause, reason);
  // No attempt comes later either: the backoff (at most 500 ms) has passed.
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.equal(server.requests.length, 1);
});

test("abort during a request, with a non-Error reason: an AbortError, never a panic", async () => {
  server.script((req, res) => setTimeout(() => json(res, 200, user("user-1")), 2000));
  const controller = new AbortController();
  const pending = client().get("user-1", { signal: controller.signal });
  setTimeout(() => controller.abort("just a string"), 100);
  const error = await rejection(pending);
  assert.ok(error instanceof AbortError);
  assert.equal(error.cause, "just a string");
  // The client still works afterwards.
  server.script((req, res) => json(res, 200, user("user-2")));
  assert.equal((await client().get("user-2")).id, "user-2");
});

test("an already aborted signal sends nothing", async () => {
  server.script();
  const error = await rejection(client().delete("user-1", { signal: AbortSignal.abort() }));
  assert.ok(error instanceof AbortError);
  assert.equal(server.requests.length, 0);
});

test("get: GET without a body; 404 is an ApiError resource_missing", async () => {
  server.script(
    (req, res) => json(res, 200, user("user-1", { plan: "pro" })),
    (req, res) => json(res, 404, apiError(404, "resource_missing", "no user `ghost`")),
  );
  assert.deepEqual(await client().get("user-1"), user("user-1", { plan: "pro" }));
  const [req] = server.requests;
  assert.equal(req.method, "GET");
  assert.equal(req.url, "/v1/users/user-1");
  assert.equal(req.headers.authorization, `Bearer ${KEY}`);
  assert.equal(req.headers["content-type"], undefined);
  assert.equal(req.body, "");
  server.script((req, res) => json(res, 404, apiError(404, "resource_missing", "no user `ghost`")));
  const error = await rejection(client().get("ghost"));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 404);
  assert.equal(error.code, "resource_missing");
});

test("delete: DELETE, 204 resolves to undefined; a bad id is refused locally", async () => {
  server.script((req, res) => {
    res.writeHead(204);
    res.end();
  });
  assert.equal(await client().delete("user 1"), undefined);
  assert.equal(server.requests[0].method, "DELETE");
  assert.equal(server.requests[0].url, "/v1/users/user%201");
  server.script();
  const error = await rejection(client().delete(".."));
  assert.ok(error instanceof ValidationError);
  assert.equal(error.errors[0].field, "user_id");
  assert.equal(server.requests.length, 0);
});

test("a 200 whose body is not JSON is an ApiError invalid_response", async () => {
  server.script((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  const error = await rejection(client().get("user-1"));
  assert.ok(error instanceof ApiError);
  assert.equal(error.code, "invalid_response");
});

test("options: defaults, and a secret key needs no opt-in outside a browser", () => {
  const c = new IdentifyClient({ apiKey: KEY });
  assert.equal(c.baseUrl, "https://api.knock.app");
  assert.throws(() => new IdentifyClient({}), TypeError);
  assert.throws(() => new IdentifyClient({ apiKey: KEY, maxRetries: -1 }), RangeError);
});

// Enhanced security mode (contract §6a): a public key and a user token.
const PUBLIC_KEY = "pk_test_local";
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl";
const publicClient = (userToken, options = {}) =>
  new IdentifyClient({ publicKey: PUBLIC_KEY, userToken, baseUrl: server.baseUrl, ...options });
const refused = (req, res) => json(res, 401, apiError(401, "invalid_user_token", "the user token has expired"));
/** A token function that counts its calls and gives `token-1`, `token-2`, …, possibly as promises. */
function tokenSource({ async = false } = {}) {
  const source = () => {
    source.calls += 1;
    const token = `token-${source.calls}`;
    return async ? new Promise((resolve) => setTimeout(() => resolve(token), 5)) : token;
  };
  source.calls = 0;
  return source;
}

test("public key: Authorization with the public key and X-Knock-User-Token on every request", async () => {
  server.script(
    (req, res) => json(res, 200, user("user-1")),
    (req, res) => json(res, 503, {}),
    (req, res) => json(res, 200, user("user-1")),
    (req, res) => {
      res.writeHead(204);
      res.end();
    },
  );
  const c = publicClient(TOKEN);
  await c.identify("user-1", { name: "Jane" });
  await c.get("user-1");
  await c.delete("user-1");
  assert.equal(server.requests.length, 4);
  for (const req of server.requests) {
    assert.equal(req.headers.authorization, `Bearer ${PUBLIC_KEY}`);
    assert.equal(req.headers["x-knock-user-token"], TOKEN);
  }
  // The secret-key form sends no token header.
  server.script((req, res) => json(res, 200, user("user-1")));
  await client().get("user-1");
  assert.equal(server.requests[0].headers["x-knock-user-token"], undefined);
});

test("public key: a token function is called once per call, its token kept across retries", async () => {
  const source = tokenSource({ async: true });
  server.script(
    (req, res) => json(res, 503, {}),
    (req, res) => json(res, 200, user("user-1")),
    (req, res) => json(res, 200, user("user-1")),
  );
  const c = publicClient(source);
  assert.equal(source.calls, 0, "not called by the constructor");
  await c.identify("user-1", {});
  assert.equal(source.calls, 1);
  assert.deepEqual(server.requests.map((req) => req.headers["x-knock-user-token"]), ["token-1", "token-1"]);
  await c.get("user-1");
  assert.equal(source.calls, 2);
  assert.equal(server.requests[2].headers["x-knock-user-token"], "token-2");
  // A body refused locally: nothing sent, no token asked for.
  server.script();
  assert.ok((await rejection(c.identify("user-1", { email: "nope" }))) instanceof ValidationError);
  assert.equal(source.calls, 2);
  assert.equal(server.requests.length, 0);
});

test("public key: 401 invalid_user_token calls the token function once more and retries at once with the new token", async () => {
  const source = tokenSource({ async: true });
  server.script(refused, (req, res) => json(res, 200, user("user-1", { name: "Jane" })));
  const answer = await publicClient(source).identify("user-1", { name: "Jane" });
  assert.equal(answer.name, "Jane");
  assert.equal(source.calls, 2);
  assert.equal(server.requests.length, 2);
  assert.deepEqual(server.requests.map((req) => req.headers["x-knock-user-token"]), ["token-1", "token-2"]);
  assert.equal(server.requests[1].body, server.requests[0].body);
});

test("public key: a second invalid_user_token is an ApiError, never a loop", async () => {
  const source = tokenSource();
  server.script(refused, refused, refused, refused);
  const error = await rejection(publicClient(source, { maxRetries: 5 }).get("user-1"));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 401);
  assert.equal(error.code, "invalid_user_token");
  assert.equal(error.message, "the user token has expired");
  assert.equal(error.requestId, "req_123");
  assert.equal(server.requests.length, 2);
  assert.equal(source.calls, 2);
});

test("public key: a string token refused with invalid_user_token is not retried", async () => {
  server.script(refused, (req, res) => json(res, 200, user("user-1")));
  const error = await rejection(publicClient(TOKEN).identify("user-1", {}));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 401);
  assert.equal(error.code, "invalid_user_token");
  assert.equal(server.requests.length, 1);
});

test("public key: user_token_missing and forbidden are ApiErrors, not retried, the token not asked again", async () => {
  for (const [status, code] of [[401, "user_token_missing"], [403, "forbidden"]]) {
    const source = tokenSource();
    server.script((req, res) => json(res, status, apiError(status, code, "no")), (req, res) => json(res, 200, {}));
    const error = await rejection(publicClient(source).delete("user-1"));
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    assert.equal(server.requests.length, 1);
    assert.equal(source.calls, 1);
  }
});

test("public key: a token function that throws or rejects fails the call with that error; nothing is sent", async () => {
  const thrown = new Error("not signed in");
  const cases = [
    () => {
      throw thrown;
    },
    () => Promise.reject(thrown),
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw thrown;
    },
  ];
  for (const userToken of cases) {
    server.script();
    const error = await rejection(publicClient(userToken).identify("user-1", {}));
    assert.equal(error, thrown);
    assert.equal(server.requests.length, 0);
  }
  // Thrown on the refresh: the call fails with it, after the one refused request.
  let calls = 0;
  server.script(refused);
  const error = await rejection(
    publicClient(() => {
      calls += 1;
      if (calls > 1) throw thrown;
      return TOKEN;
    }).get("user-1"),
  );
  assert.equal(error, thrown);
  assert.equal(server.requests.length, 1);
});

test("public key: a token function giving anything but a printable ASCII string rejects with a TypeError; nothing is sent", async () => {
  for (const value of ["", "two words", "tök", "a\r\nX-Evil: 1", 42, undefined, null, { token: TOKEN }]) {
    server.script();
    for (const userToken of [() => value, async () => value]) {
      const error = await rejection(publicClient(userToken).get("user-1"));
      assert.ok(error instanceof TypeError, `${String(value)}: ${error}`);
      assert.match(error.message, /userToken/);
    }
    assert.equal(server.requests.length, 0);
  }
});

test("public key: an abort while the token function is pending is an AbortError, nothing sent", async () => {
  server.script();
  const controller = new AbortController();
  const pending = publicClient(() => new Promise(() => {})).get("user-1", { signal: controller.signal });
  setTimeout(() => controller.abort("gone"), 20);
  const error = await rejection(pending);
  assert.ok(error instanceof AbortError);
  assert.equal(error.cause, "gone");
  let called = false;
  const aborted = await rejection(
    publicClient(() => {
      called = true;
      return TOKEN;
    }).get("user-1", { signal: AbortSignal.abort() }),
  );
  assert.ok(aborted instanceof AbortError);
  assert.equal(called, false, "an aborted call asks for no token");
  assert.equal(server.requests.length, 0);
});

test("options: exactly one of apiKey and publicKey, userToken only and always with publicKey", () => {
  const cases = [
    [{ apiKey: KEY, publicKey: PUBLIC_KEY, userToken: TOKEN }, /not both/],
    [{ apiKey: KEY, publicKey: PUBLIC_KEY }, /not both/],
    [{}, /expected `apiKey`.*or `publicKey` and `userToken`/],
    [{ userToken: TOKEN }, /expected `apiKey`.*or `publicKey` and `userToken`/],
    [{ publicKey: PUBLIC_KEY }, /`publicKey` needs `userToken`/],
    [{ apiKey: KEY, userToken: TOKEN }, /`userToken` goes with `publicKey`, not with `apiKey`/],
    [{ publicKey: PUBLIC_KEY, userToken: "tök" }, /`userToken` must be printable ASCII/],
    [{ publicKey: PUBLIC_KEY, userToken: "a b" }, /`userToken` must be printable ASCII/],
    [{ publicKey: PUBLIC_KEY, userToken: "" }, /`userToken` is empty/],
    [{ publicKey: PUBLIC_KEY, userToken: 42 }, /`userToken` to be a string or a function/],
    [{ publicKey: "", userToken: TOKEN }, /`publicKey` to be a non-empty string/],
    [{ publicKey: "pk é", userToken: TOKEN }, /`publicKey` must be printable ASCII/],
    [{ publicKey: "sk_live_x", userToken: TOKEN }, /`publicKey` is a secret key/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => new IdentifyClient(options), (error) => {
      assert.ok(error instanceof TypeError, `${JSON.stringify(options)}: ${error}`);
      assert.match(error.message, message);
      return true;
    });
  }
  assert.equal(new IdentifyClient({ publicKey: PUBLIC_KEY, userToken: TOKEN }).baseUrl, "https://api.knock.app");
  assert.ok(new IdentifyClient({ publicKey: PUBLIC_KEY, userToken: async () => TOKEN, apiKey: undefined }));
});

test("options: in a browser a public key needs no opt-in, a secret key does", () => {
  // What the package takes for a page: a window and a document.
  const had = { window: "window" in globalThis, document: "document" in globalThis };
  globalThis.window ??= globalThis;
  globalThis.document ??= {};
  try {
    const remote = "https://api.knock.app";
    assert.throws(() => new IdentifyClient({ apiKey: "sk_live_x", baseUrl: remote }), /refusing to send a secret key/);
    assert.ok(new IdentifyClient({ publicKey: "pk_live_x", userToken: TOKEN, baseUrl: remote }));
    assert.ok(new IdentifyClient({ publicKey: "pk_live_x", userToken: () => TOKEN }));
  } finally {
    if (!had.window) delete globalThis.window;
    if (!had.document) delete globalThis.document;
  }
});

// A user's channel data and preference sets (contract §5a): the same
// calls, retries and errors; each request checked locally first by the
// core's function for that route.
const CHANNEL = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
const channelData = (data) => ({ __typename: "ChannelData", channel_id: CHANNEL, data });
const preferenceSet = (id, fields = {}) => ({
  __typename: "PreferenceSet",
  id,
  categories: null,
  channel_types: null,
  workflows: null,
  ...fields,
});
const noContent = (req, res) => {
  res.writeHead(204);
  res.end();
};

test("setChannelData: PUT {data} to the channel's path, ids encoded; resolves to the answer", async () => {
  const id = "jane doe+é@x?1";
  const data = { tokens: ["push_token_1"], skipped: undefined };
  server.script((req, res) => json(res, 200, channelData({ tokens: ["push_token_1"] })));
  const answer = await client().setChannelData(id, CHANNEL, data);
  assert.deepEqual(answer, channelData({ tokens: ["push_token_1"] }));
  assert.equal(server.requests.length, 1);
  const [req] = server.requests;
  assert.equal(req.method, "PUT");
  assert.equal(req.url, `/v1/users/jane%20doe%2B%C3%A9%40x%3F1/channel_data/${CHANNEL}`);
  assert.equal(req.headers.authorization, `Bearer ${KEY}`);
  assert.equal(req.headers.accept, "application/json");
  assert.equal(req.headers["content-type"], "application/json");
  assert.equal(req.body, JSON.stringify({ data }));
  assert.deepEqual(JSON.parse(req.body), { data: { tokens: ["push_token_1"] } });
});

test("getChannelData: GET without a body; 404 is an ApiError resource_missing", async () => {
  server.script((req, res) => json(res, 200, channelData({ tokens: ["t"] })));
  assert.deepEqual(await client().getChannelData("user 1", CHANNEL), channelData({ tokens: ["t"] }));
  const [req] = server.requests;
  assert.equal(req.method, "GET");
  assert.equal(req.url, `/v1/users/user%201/channel_data/${CHANNEL}`);
  assert.equal(req.headers.authorization, `Bearer ${KEY}`);
  assert.equal(req.headers["content-type"], undefined);
  assert.equal(req.body, "");
  server.script((req, res) => json(res, 404, apiError(404, "resource_missing", "no channel data")));
  const error = await rejection(client().getChannelData("user-1", CHANNEL));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 404);
  assert.equal(error.code, "resource_missing");
  assert.equal(server.requests.length, 1, "a 404 is not retried");
});

test("unsetChannelData: DELETE without a body, 204 resolves to undefined", async () => {
  server.script(noContent);
  assert.equal(await client().unsetChannelData("user-1", CHANNEL), undefined);
  const [req] = server.requests;
  assert.equal(req.method, "DELETE");
  assert.equal(req.url, `/v1/users/user-1/channel_data/${CHANNEL}`);
  assert.equal(req.body, "");
});

test("channel data refused locally: ValidationError at the route's fields, nothing sent", async () => {
  server.script();
  const c = client();
  const cases = [
    [c.getChannelData("user-1", "not-a-uuid"), [["channel_id", "format"]]],
    [c.unsetChannelData("user-1", "not-a-uuid"), [["channel_id", "format"]]],
    [c.setChannelData("user-1", "not-a-uuid", { tokens: ["a"] }), [["channel_id", "format"]]],
    [c.setChannelData("user-1", CHANNEL, { tokens: ["a", 5] }), [["data.tokens.1", "type"]]],
    [c.setChannelData("user-1", CHANNEL, ["a"]), [["data", "type"]]],
    [c.setChannelData("user-1", CHANNEL, null), [["data", "type"]]],
    [c.getChannelData("..", CHANNEL), [["user_id", "format"]]],
    [c.setChannelData("", "nope", { tokens: ["a"] }), [["channel_id", "format"], ["user_id", "format"]]],
  ];
  for (const [promise, expected] of cases) {
    const error = await rejection(promise);
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.status, 422);
    assert.equal(error.code, "invalid_params");
    assert.deepEqual(error.errors.map((problem) => [problem.field, problem.type]).sort(), expected, JSON.stringify(error.errors));
  }
  assert.ok((await rejection(c.getChannelData("user-1", 42))) instanceof TypeError);
  assert.ok((await rejection(c.setChannelData("user-1", CHANNEL, undefined))) instanceof TypeError);
  assert.equal(server.requests.length, 0);
});

test("setPreferences: PUT the set as given to the set's path; resolves to the answer", async () => {
  const set = { __persistence_strategy__: "merge", channel_types: { email: false }, workflows: { welcome: true } };
  const answered = preferenceSet("my set", { channel_types: { email: false }, workflows: { welcome: true } });
  server.script((req, res) => json(res, 200, answered));
  assert.deepEqual(await client().setPreferences("user-1", "my set", set), answered);
  const [req] = server.requests;
  assert.equal(req.method, "PUT");
  assert.equal(req.url, "/v1/users/user-1/preferences/my%20set");
  assert.equal(req.headers.authorization, `Bearer ${KEY}`);
  assert.equal(req.headers["content-type"], "application/json");
  assert.equal(req.body, JSON.stringify(set));
});

test("getPreferences: GET the set (\"default\" when omitted); 404 is an ApiError", async () => {
  server.script(
    (req, res) => json(res, 200, preferenceSet("default")),
    (req, res) => json(res, 200, preferenceSet("a/b")),
    (req, res) => json(res, 200, preferenceSet("default")),
  );
  assert.deepEqual(await client().getPreferences("user-1"), preferenceSet("default"));
  assert.deepEqual(await client().getPreferences("user-1", "a/b"), preferenceSet("a/b"));
  await client().getPreferences("user-1", undefined, { signal: new AbortController().signal });
  assert.deepEqual(
    server.requests.map((req) => [req.method, req.url, req.body]),
    [
      ["GET", "/v1/users/user-1/preferences/default", ""],
      ["GET", "/v1/users/user-1/preferences/a%2Fb", ""],
      ["GET", "/v1/users/user-1/preferences/default", ""],
    ],
  );
  server.script((req, res) => json(res, 404, apiError(404, "resource_missing", "no user `ghost`")));
  const error = await rejection(client().getPreferences("ghost"));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 404);
  assert.equal(error.code, "resource_missing");
});

test("preference sets refused locally: ValidationError at the set's fields and `id`, nothing sent", async () => {
  server.script();
  const c = client();
  const cases = [
    [c.setPreferences("user-1", "default", { channel_types: { fax: true } }), [["channel_types.fax", "unknown_value"]]],
    [c.setPreferences("user-1", "default", []), [["", "type"]]],
    [c.setPreferences("user-1", "", {}), [["id", "format"]]],
    [c.getPreferences("user-1", ""), [["id", "format"]]],
    // `.` and `..` are resolved away by URLs, even as `%2E`: no path can name them.
    [c.getPreferences("user-1", ".."), [["id", "format"]]],
    [c.setPreferences("user-1", ".", {}), [["id", "format"]]],
    [c.getPreferences("a/b"), [["user_id", "format"]]],
  ];
  for (const [promise, expected] of cases) {
    const error = await rejection(promise);
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.code, "invalid_params");
    assert.deepEqual(error.errors.map((problem) => [problem.field, problem.type]), expected, JSON.stringify(error.errors));
  }
  assert.ok((await rejection(c.getPreferences("user-1", { signal: AbortSignal.abort() }))) instanceof TypeError);
  assert.equal(server.requests.length, 0);
});

test("the part methods retry a 503 as identify does, sending the same request again", async () => {
  const unavailable = (req, res) => json(res, 503, apiError(503, "internal_error", "unavailable"));
  server.script(unavailable, (req, res) => json(res, 200, channelData({ tokens: ["t"] })));
  assert.deepEqual(await client().setChannelData("user-1", CHANNEL, { tokens: ["t"] }), channelData({ tokens: ["t"] }));
  assert.equal(server.requests.length, 2);
  assert.deepEqual(server.requests[1].body, server.requests[0].body);
  assert.equal(server.requests[1].url, server.requests[0].url);
  assertWaitedAtLeast(server.gaps()[0], 375);
  server.script(unavailable, unavailable);
  const error = await rejection(client({ maxRetries: 1 }).getPreferences("user-1"));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 503);
  assert.equal(server.requests.length, 2);
  server.script(unavailable, noContent);
  assert.equal(await client().unsetChannelData("user-1", CHANNEL), undefined);
  assert.deepEqual(server.requests.map((req) => req.method), ["DELETE", "DELETE"]);
});

test("the part methods with a public key send the user token; an aborted signal sends nothing", async () => {
  server.script(
    (req, res) => json(res, 200, channelData({ tokens: ["t"] })),
    (req, res) => json(res, 200, preferenceSet("default")),
  );
  const c = publicClient(TOKEN);
  await c.setChannelData("user-1", CHANNEL, { tokens: ["t"] });
  await c.getPreferences("user-1");
  for (const req of server.requests) {
    assert.equal(req.headers.authorization, `Bearer ${PUBLIC_KEY}`);
    assert.equal(req.headers["x-knock-user-token"], TOKEN);
  }
  server.script();
  const signal = AbortSignal.abort();
  for (const promise of [
    c.getChannelData("user-1", CHANNEL, { signal }),
    client().setPreferences("user-1", "default", {}, { signal }),
    client().unsetChannelData("user-1", CHANNEL, { signal }),
  ]) {
    assert.ok((await rejection(promise)) instanceof AbortError);
  }
  assert.equal(server.requests.length, 0);
});

test("bulkIdentify: POST the users to /v1/users/bulk/identify; resolves to the queued operation", async () => {
  const operation = {
    __typename: "BulkOperation", id: "op-1", name: "users.identify", status: "queued", estimated_total_rows: 2,
    processed_rows: 0, success_count: 0, error_count: 0, error_items: [], progress_path: "/v1/bulk_operations/op-1",
    inserted_at: "2026-12-02T00:00:00.000Z", started_at: null, completed_at: null, failed_at: null, updated_at: "2026-12-02T00:00:00.000Z",
  };
  server.script((req, res) => json(res, 200, operation));
  const users = [{ id: "a", name: "A" }, { id: "b", plan: { tier: "pro" } }];
  assert.deepEqual(await client().bulkIdentify(users), operation);
  const [req] = server.requests;
  assert.equal(req.method, "POST");
  assert.equal(req.url, "/v1/users/bulk/identify");
  assert.equal(req.body, JSON.stringify({ users }));
});

test("bulkIdentify: a bad user is a ValidationError under users.N, and nothing is sent", async () => {
  server.script();
  const error = await rejection(client().bulkIdentify([{ id: "a" }, { id: "b", email: "not an email" }, { name: "no id" }]));
  assert.ok(error instanceof ValidationError);
  assert.deepEqual(
    error.errors.map((problem) => [problem.field, problem.type]),
    [["users.1.email", "format"], ["users.2.id", "type"]],
  );
  assert.equal(server.requests.length, 0);
});

// Writes safe to race and to retry (contract §9): idempotency keys, ETags
// and conditions, push tokens and the change history, against the real
// Worker; the scripted server stands in where an answer must fail.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The real Worker. */
const api = (options = {}) => new IdentifyClient({ apiKey: WORKER_KEY, baseUrl: worker.url, ...options });
/** The real Worker behind the scripted server (`forwardTo`). */
const viaServer = (options = {}) => new IdentifyClient({ apiKey: WORKER_KEY, baseUrl: server.baseUrl, ...options });
/** A 503 that asks for no wait: the retry follows at once. */
const unavailableNow = (req, res) =>
  json(res, 503, apiError(503, "service_unavailable", "try again"), { "retry-after-ms": "0" });
const ETAG = /^"[0-9a-f]{16}\.\d+"$/;

test("every write sends a fresh Idempotency-Key (a UUID), the same on each of its retries; reads send none", async () => {
  const operation = { __typename: "BulkOperation", id: "op-1", status: "queued" };
  const writes = [
    ["identify", (c) => c.identify("user-1", { name: "A" }), (req, res) => json(res, 200, user("user-1"))],
    ["delete", (c) => c.delete("user-1"), noContent],
    ["setChannelData", (c) => c.setChannelData("user-1", CHANNEL, { tokens: ["t"] }), (req, res) => json(res, 200, channelData({ tokens: ["t"] }))],
    ["unsetChannelData", (c) => c.unsetChannelData("user-1", CHANNEL), noContent],
    ["setPreferences", (c) => c.setPreferences("user-1", "default", {}), (req, res) => json(res, 200, preferenceSet("default"))],
    ["bulkIdentify", (c) => c.bulkIdentify([{ id: "a" }]), (req, res) => json(res, 200, operation)],
    ["addPushToken", (c) => c.addPushToken("user-1", CHANNEL, "t"), (req, res) => json(res, 200, channelData({ tokens: ["t"] }))],
    ["removePushToken", (c) => c.removePushToken("user-1", CHANNEL, "t"), noContent],
    ["merge", (c) => c.merge("user-1", "anon-1"), (req, res) => json(res, 200, user("user-1"))],
    ["bulkDelete", (c) => c.bulkDelete(["a"]), (req, res) => json(res, 200, operation)],
    ["bulkSetPreferences", (c) => c.bulkSetPreferences(["a"], {}), (req, res) => json(res, 200, operation)],
  ];
  const keys = [];
  for (const [name, call, answer] of writes) {
    server.script(unavailableNow, answer);
    await call(client());
    assert.equal(server.requests.length, 2, name);
    const [first, second] = server.requests.map((req) => req.headers["idempotency-key"]);
    assert.match(first ?? "(none)", UUID, name);
    assert.equal(second, first, `${name}: the same key on its retry`);
    keys.push(first);
  }
  // The request sent again at once with a fresh user token is the same request too.
  server.script(refused, (req, res) => json(res, 200, user("user-1")));
  await publicClient(tokenSource()).identify("user-1", {});
  assert.deepEqual(server.requests.map((req) => req.headers["x-knock-user-token"]), ["token-1", "token-2"]);
  const [first, second] = server.requests.map((req) => req.headers["idempotency-key"]);
  assert.match(first ?? "(none)", UUID);
  assert.equal(second, first);
  keys.push(first);
  assert.equal(new Set(keys).size, keys.length, "a fresh key for every call");
  server.script(
    (req, res) => json(res, 200, user("user-1")),
    (req, res) => json(res, 200, channelData({ tokens: ["t"] })),
    (req, res) => json(res, 200, preferenceSet("default")),
    (req, res) => json(res, 200, { entries: [], page_info: { __typename: "PageInfo", after: null, before: null, page_size: 50 } }),
    (req, res) => json(res, 200, []),
    (req, res) => json(res, 200, { entries: [], page_info: { __typename: "PageInfo", after: null, before: null, page_size: 50 } }),
  );
  const c = client();
  await c.get("user-1");
  await c.getChannelData("user-1", CHANNEL);
  await c.getPreferences("user-1");
  await c.changes("user-1");
  await c.listPreferences("user-1");
  await c.listUsers();
  assert.equal(server.requests.length, 6);
  assert.deepEqual(server.requests.map((req) => req.headers["idempotency-key"]), Array(6).fill(undefined));
});

test("a write whose answer is lost is applied once: its retry, with the same key, gets the first answer again", async () => {
  const id = "lost-answer";
  server.script(forwardTo(worker.url, { lose: true }), forwardTo(worker.url));
  const answered = await viaServer().identify(id, { name: "Jane" });
  assert.equal(server.requests.length, 2);
  const [first, second] = server.requests;
  assert.equal(first.answer.status, 200, "the Worker applied the first attempt");
  assert.equal(second.headers["idempotency-key"], first.headers["idempotency-key"]);
  assert.equal(second.answer.headers.get("idempotent-replayed"), "true", second.answer.body);
  assert.deepEqual(answered, JSON.parse(first.answer.body), "the first identify's user, updated_at and all");
  const history = await api().changes(id);
  assert.equal(history.entries.length, 1, "written once");
});

test("an ifMatch write whose answer is lost: the retry gets the first answer, not a 412", async () => {
  const id = "lost-conditional";
  let etag;
  await api().identify(id, { name: "A" }, { onETag: (value) => (etag = value) });
  assert.match(etag, ETAG);
  server.script(forwardTo(worker.url, { lose: true }), forwardTo(worker.url));
  let written;
  const user = await viaServer().identify(id, { name: "B" }, { ifMatch: etag, onETag: (value) => (written = value) });
  assert.equal(user.name, "B");
  assert.deepEqual(server.requests.map((req) => req.headers["if-match"]), [etag, etag]);
  assert.equal(server.requests[1].answer.status, 200, server.requests[1].answer.body);
  assert.equal(written, server.requests[0].answer.headers.get("etag"), "the first answer's ETag");
  assert.notEqual(written, etag);
  assert.equal((await api().changes(id)).entries.length, 2, "created, then written once");
});

test("{ idempotencyKey } is sent as given: the same request again gets the first answer, another request is refused", async () => {
  const c = api();
  const options = { idempotencyKey: "caller-key-1" };
  const first = await c.identify("keyed", { name: "A" }, options);
  const again = await c.identify("keyed", { name: "A" }, options);
  assert.deepEqual(again, first, "the first answer, updated_at and all");
  const error = await rejection(c.identify("keyed", { name: "B" }, options));
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 422);
  assert.equal(error.code, "idempotency_key_reused");
  assert.equal((await c.get("keyed")).name, "A", "written once");
  server.script((req, res) => json(res, 200, preferenceSet("default")), (req, res) => json(res, 200, { id: "op" }));
  await client().setPreferences("user-1", "default", {}, { idempotencyKey: "any printable ASCII: !~" });
  await client().bulkIdentify([{ id: "a" }], { idempotencyKey: "bulk-key" });
  assert.deepEqual(server.requests.map((req) => req.headers["idempotency-key"]), ["any printable ASCII: !~", "bulk-key"]);
});

test("a bad idempotencyKey is a ValidationError at `Idempotency-Key` (the core's check, and spaces HTTP would trim); nothing is sent", async () => {
  const c = client({ maxRetries: 0 });
  const refusedKey = (type, message) => [{ field: "Idempotency-Key", message, type }];
  const cases = [
    ["", refusedKey("format", "the idempotency key must not be empty: send 1 to 255 printable ASCII characters (0x20 to 0x7E), or no header")],
    ["k".repeat(256), refusedKey("too_long", "an idempotency key has at most 255 bytes, got 256")],
    ["tök", refusedKey("format", "an idempotency key holds printable ASCII only (0x20 to 0x7E), got the byte 0xC3 at index 1")],
    ["a\nb", refusedKey("format", "an idempotency key holds printable ASCII only (0x20 to 0x7E), got the byte 0x0A at index 1")],
    // Valid to the core, but HTTP trims a header's value: the server would get another key.
    ...[" k", "k ", "   "].map((key) => [
      key,
      refusedKey("format", "an idempotency key must not begin or end with a space: HTTP trims a header's value, so the server would get another key"),
    ]),
  ];
  server.script();
  for (const [idempotencyKey, errors] of cases) {
    for (const call of [
      c.identify("user-1", {}, { idempotencyKey }),
      c.delete("user-1", { idempotencyKey }),
      c.bulkIdentify([{ id: "a" }], { idempotencyKey }),
      c.removePushToken("user-1", CHANNEL, "t", { idempotencyKey }),
    ]) {
      const error = await rejection(call);
      assert.ok(error instanceof ValidationError, String(error));
      assert.equal(error.status, 422);
      assert.equal(error.code, "invalid_params");
      assert.deepEqual(error.errors, errors);
    }
  }
  // Options of the wrong type are TypeErrors.
  for (const options of [{ idempotencyKey: 42 }, { ifMatch: "" }, { ifMatch: '"é"' }, { ifMatch: 1 }, { onETag: "no" }]) {
    const error = await rejection(c.identify("user-1", {}, options));
    assert.ok(error instanceof TypeError, `${JSON.stringify(options)}: ${error}`);
  }
  assert.ok((await rejection(c.get("user-1", { ifNoneMatch: '"a"\n' }))) instanceof TypeError);
  assert.ok((await rejection(c.get("user-1", 7))) instanceof TypeError);
  assert.equal(server.requests.length, 0);
});

test("ifMatch on every write of one user: a stale ETag is a 412 ApiError holding the current ETag; nothing is written", async () => {
  const c = api();
  const id = "conditional";
  let created;
  await c.identify(id, { name: "A" }, { onETag: (value) => (created = value) });
  let current;
  assert.equal((await c.identify(id, { name: "B" }, { ifMatch: created, onETag: (value) => (current = value) })).name, "B");
  assert.match(current, ETAG);
  assert.notEqual(current, created);
  const stale = await rejection(c.identify(id, { name: "C" }, { ifMatch: created }));
  assert.ok(stale instanceof ApiError);
  assert.equal(stale.status, 412);
  assert.equal(stale.code, "precondition_failed");
  assert.equal(stale.etag, current, "the user's current ETag");
  const writes = [
    (options) => c.setChannelData(id, CHANNEL, { tokens: ["t"] }, options),
    (options) => c.unsetChannelData(id, CHANNEL, options),
    (options) => c.setPreferences(id, "default", { workflows: { a: true } }, options),
    (options) => c.addPushToken(id, CHANNEL, "t", options),
    (options) => c.removePushToken(id, CHANNEL, "t", options),
    (options) => c.delete(id, options),
  ];
  for (const write of writes) {
    const error = await rejection(write({ ifMatch: created }));
    assert.equal(error.status, 412, String(error));
    assert.equal(error.etag, current);
  }
  const { user, etag } = await c.getWithETag(id);
  assert.equal(etag, current, "nothing written");
  assert.equal(user.name, "B");
  // `*`: the user must exist; ifNoneMatch `*`: it must not.
  assert.equal((await rejection(c.identify("nobody-yet", {}, { ifMatch: "*" }))).etag, null);
  assert.equal((await rejection(c.identify(id, {}, { ifNoneMatch: "*" }))).status, 412);
  assert.equal((await c.identify("created-once", { name: "N" }, { ifNoneMatch: "*" })).name, "N");
  // The ETag just read lets the next write through.
  await c.setChannelData(id, CHANNEL, { tokens: ["t"] }, { ifMatch: etag });
  assert.equal(await c.delete(id, { ifMatch: "*" }), undefined);
});

test("the ETag of a read: getWithETag, a 304 when ifNoneMatch names it, onETag on reads and writes", async () => {
  const c = api();
  const id = "tagged";
  let written;
  const identified = await c.identify(id, { name: "A" }, { onETag: (value) => (written = value) });
  assert.deepEqual(await c.getWithETag(id), { user: identified, etag: written, notModified: false });
  assert.deepEqual(await c.getWithETag(id, { ifNoneMatch: written }), { user: null, etag: written, notModified: true });
  assert.deepEqual(await c.getWithETag(id, { ifNoneMatch: '"other.1"' }), { user: identified, etag: written, notModified: false });
  let read;
  assert.equal(await c.get(id, { ifNoneMatch: written, onETag: (value) => (read = value) }), null, "not modified");
  assert.equal(read, written);
  assert.deepEqual(await c.get(id, { ifNoneMatch: `"x.1", W/${written}` }), null, "weak comparison, one of a list");
  let channelEtag;
  await c.setChannelData(id, CHANNEL, { tokens: ["a"] }, { onETag: (value) => (channelEtag = value) });
  assert.match(channelEtag, ETAG);
  assert.notEqual(channelEtag, written);
  assert.equal(await c.getChannelData(id, CHANNEL, { ifNoneMatch: channelEtag }), null);
  assert.equal(await c.getPreferences(id, "default", { ifNoneMatch: channelEtag }), null);
  let setEtag;
  assert.equal((await c.getPreferences(id, undefined, { ifNoneMatch: written, onETag: (value) => (setEtag = value) })).id, "default");
  assert.equal(setEtag, channelEtag);
  const missing = await rejection(c.getWithETag("nobody"));
  assert.ok(missing instanceof ApiError);
  assert.equal(missing.status, 404);
  // What onETag throws rejects the call.
  const thrown = new Error("listener failed");
  assert.equal(await rejection(c.get(id, { onETag: () => { throw thrown; } })), thrown);
});

test("push tokens: addPushToken resolves to the channel's data, removePushToken to undefined; a token is one path segment", async () => {
  const c = api();
  const id = "push-user";
  const token = "a/b c?d#é%2F..";
  assert.deepEqual(await c.addPushToken(id, CHANNEL, token), channelData({ tokens: [token] }));
  assert.deepEqual(await c.addPushToken(id, CHANNEL, "second"), channelData({ tokens: [token, "second"] }));
  assert.deepEqual(await c.addPushToken(id, CHANNEL, token), channelData({ tokens: [token, "second"] }), "there already");
  assert.equal(await c.removePushToken(id, CHANNEL, token), undefined);
  assert.deepEqual(await c.getChannelData(id, CHANNEL), channelData({ tokens: ["second"] }));
  assert.equal(await c.removePushToken(id, CHANNEL, "never-added"), undefined);
  assert.deepEqual((await c.changes(id)).entries.map((entry) => entry.route), [
    "remove_push_token", "add_push_token", "add_push_token",
  ]);
  server.script((req, res) => json(res, 200, channelData({ tokens: ["t"] })), noContent);
  await client().addPushToken("user 1", CHANNEL, "a/b");
  await client().removePushToken("user 1", CHANNEL, "a/b");
  assert.deepEqual(server.requests.map((req) => [req.method, req.url, req.body]), [
    ["PUT", `/v1/users/user%201/channel_data/${CHANNEL}/tokens/a%2Fb`, ""],
    ["DELETE", `/v1/users/user%201/channel_data/${CHANNEL}/tokens/a%2Fb`, ""],
  ]);
});

test("push tokens refused locally: ValidationError at `channel_id`, `token`, `user_id`; nothing sent", async () => {
  server.script();
  const c = client();
  const cases = [
    [c.addPushToken("user-1", "not-a-uuid", "t"), [["channel_id", "format"]]],
    [c.removePushToken("user-1", "not-a-uuid", "t"), [["channel_id", "format"]]],
    [c.addPushToken("user-1", CHANNEL, ""), [["token", "format"]]],
    [c.removePushToken("user-1", CHANNEL, ""), [["token", "format"]]],
    // `.` and `..` are resolved away by URLs: no path can name them.
    [c.addPushToken("user-1", CHANNEL, ".."), [["token", "format"]]],
    [c.removePushToken("user-1", CHANNEL, "."), [["token", "format"]]],
    [c.addPushToken("..", CHANNEL, "t"), [["user_id", "format"]]],
    [c.removePushToken("", "nope", ""), [["channel_id", "format"], ["token", "format"], ["user_id", "format"]]],
  ];
  for (const [promise, expected] of cases) {
    const error = await rejection(promise);
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.code, "invalid_params");
    assert.deepEqual(error.errors.map((problem) => [problem.field, problem.type]), expected, JSON.stringify(error.errors));
  }
  assert.ok((await rejection(c.addPushToken("user-1", CHANNEL, 42))) instanceof TypeError);
  assert.equal(server.requests.length, 0);
});

test("changes: one page at a time with pageSize and after, newest first; allChanges iterates every entry", async () => {
  const c = api();
  const id = "history";
  for (const name of ["N1", "N2", "N3", "N4", "N5"]) await c.identify(id, { name });
  const { etag } = await c.getWithETag(id);
  const first = await c.changes(id, { pageSize: 2 });
  assert.equal(first.entries.length, 2);
  assert.equal(first.entries[0].etag, etag, "newest first");
  assert.deepEqual(first.entries.map(({ __typename, route, changed }) => [__typename, route, changed]), [
    ["UserChange", "identify", ["name"]],
    ["UserChange", "identify", ["name"]],
  ]);
  assert.equal(first.page_info.page_size, 2);
  assert.equal(typeof first.page_info.after, "string");
  const second = await c.changes(id, { pageSize: 2, after: first.page_info.after });
  const third = await c.changes(id, { pageSize: 2, after: second.page_info.after });
  assert.equal(third.entries.length, 1);
  assert.equal(third.page_info.after, null, "the last page");
  const whole = await c.changes(id);
  assert.equal(whole.page_info.page_size, 50);
  assert.deepEqual([...first.entries, ...second.entries, ...third.entries], whole.entries);
  const all = [];
  for await (const entry of c.allChanges(id, { pageSize: 2 })) all.push(entry);
  assert.deepEqual(all, whole.entries);
  const some = [];
  for await (const entry of c.allChanges(id)) {
    some.push(entry);
    if (some.length === 3) break;
  }
  assert.deepEqual(some, whole.entries.slice(0, 3));
  const missing = await rejection(c.changes("nobody"));
  assert.equal(missing.status, 404);
  const badCursor = await rejection(c.changes(id, { after: "not-a-cursor" }));
  assert.equal(badCursor.status, 422);
});

test("changes: the query as sent; a bad pageSize is a ValidationError at `page_size`, nothing sent", async () => {
  const page = { entries: [], page_info: { __typename: "PageInfo", after: null, before: null, page_size: 7 } };
  server.script((req, res) => json(res, 200, page));
  assert.deepEqual(await client().changes("user 1", { pageSize: 7, after: "a b&c" }), page);
  assert.equal(server.requests[0].url, "/v1/users/user%201/changes?page_size=7&after=a%20b%26c");
  server.script();
  const refusedSize = (shown) => ({
    field: "page_size",
    message: `expected a page size from 1 to 50, in digits without a sign, space or leading zero, got \`${shown}\``,
    type: "format",
  });
  for (const [pageSize, shown] of [[0, "0"], [51, "51"], [2.5, "2.5"], [-1, "-1"], [Number.NaN, "NaN"]]) {
    const error = await rejection(client().changes("user-1", { pageSize }));
    assert.ok(error instanceof ValidationError, String(error));
    assert.deepEqual(error.errors, [refusedSize(shown)]);
  }
  const both = await rejection(client().changes("..", { pageSize: 0 }));
  assert.deepEqual(both.errors.map((problem) => problem.field), ["user_id", "page_size"]);
  const iterated = await rejection(client().allChanges("user-1", { pageSize: 99 }).next());
  assert.deepEqual(iterated.errors, [refusedSize("99")]);
  assert.ok((await rejection(client().changes("user-1", { pageSize: "20" }))) instanceof TypeError);
  assert.ok((await rejection(client().changes("user-1", { after: 5 }))) instanceof TypeError);
  assert.equal(server.requests.length, 0);
});

// Managing users (contract §5a, §5c, §10, §11): every set of a user, the
// users list, merging two users, bulk delete and bulk preferences; the same
// retries, keys and errors, each request checked locally first by the
// core's function for that route. The list tests list an environment of
// their own (LIST_KEY), which no other test writes.
/** The real Worker, in the list tests' own environment. */
const lister = (options = {}) => new IdentifyClient({ apiKey: LIST_KEY, baseUrl: worker.url, ...options });
const emptyPage = (pageSize = 50) => ({ entries: [], page_info: { __typename: "PageInfo", after: null, before: null, page_size: pageSize } });
/** Ids in the list's order: their UTF-8 bytes compared. */
const byBytes = (ids) => [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
/** Polls `condition` until it holds (the users index follows each write within about a second). */
async function eventually(condition, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
/** Every user of the list tests' environment with its sets' ids, through the raw API: `id:set,set`. */
async function listed() {
  const users = [];
  let after = null;
  do {
    const query = `?include[]=preferences${after ? `&after=${encodeURIComponent(after)}` : ""}`;
    const answer = await fetch(`${worker.url}/v1/users${query}`, { headers: { authorization: `Bearer ${LIST_KEY}` } });
    assert.equal(answer.status, 200);
    const page = await answer.json();
    users.push(...page.entries.map((entry) => `${entry.id}:${entry.preferences.map((set) => set.id)}`));
    after = page.page_info.after;
  } while (after);
  return users;
}
/** A ValidationError's problems as [field, type]. */
const problemsOf = (error) => {
  assert.ok(error instanceof ValidationError, String(error));
  assert.equal(error.status, 422);
  assert.equal(error.code, "invalid_params");
  return error.errors.map((problem) => [problem.field, problem.type]);
};

test("listUsers: GET /v1/users with the options as its query (names and values encoded); retried as any read", async () => {
  const page = { entries: [user("a b")], page_info: { __typename: "PageInfo", after: "c2", before: "c1", page_size: 5 } };
  server.script(
    (req, res) => json(res, 200, page),
    (req, res) => json(res, 503, apiError(503, "service_unavailable", "the index is busy"), { "retry-after-ms": "0" }),
    (req, res) => json(res, 200, emptyPage()),
  );
  const options = { pageSize: 5, after: "a b&c", before: "x/y", include: ["preferences"], email: "jane+1@x.co" };
  assert.deepEqual(await client().listUsers(options), page);
  assert.deepEqual(await client().listUsers(), emptyPage());
  assert.deepEqual(server.requests.map((req) => [req.method, req.url, req.body]), [
    ["GET", "/v1/users?page_size=5&after=a%20b%26c&before=x%2Fy&include%5B%5D=preferences&email=jane%2B1%40x.co", ""],
    ["GET", "/v1/users", ""],
    ["GET", "/v1/users", ""],
  ]);
  assert.equal(server.requests[0].headers.authorization, `Bearer ${KEY}`);
});

test("listUsers and allUsers against the Worker: pages forward and back, and the iterator visits every user exactly once", async () => {
  const c = lister();
  const ids = ["Zed", "a?b&c=d", "alice", "bob", "carol", "dave", "user 100%", "ü-user", "😀"];
  for (const id of ids) await c.identify(id, { name: `Name of ${id}`, email: id === "bob" ? "bob@example.com" : null });
  await c.setPreferences("carol", "default", { channel_types: { email: false } });
  await c.setPreferences("carol", "work", { workflows: { digest: true } });
  const expected = byBytes(ids).map((id) => (id === "carol" ? "carol:default,work" : `${id}:`));
  await eventually(async () => JSON.stringify(await listed()) === JSON.stringify(expected), "every user listed as written");
  // Every user once, in the order of their ids, over five pages of two.
  const seen = [];
  for await (const listed of c.allUsers({ pageSize: 2 })) seen.push(listed);
  assert.deepEqual(seen.map((listed) => listed.id), byBytes(ids));
  assert.deepEqual(seen.find((listed) => listed.id === "bob"), await c.get("bob"), "each as GET answers it");
  // One page at a time: forward with `after`, back with `before`.
  const first = await c.listUsers({ pageSize: 4 });
  assert.deepEqual(first.entries.map((listed) => listed.id), byBytes(ids).slice(0, 4));
  assert.deepEqual({ ...first.page_info, after: "…" }, { __typename: "PageInfo", after: "…", before: null, page_size: 4 });
  const second = await c.listUsers({ pageSize: 4, after: first.page_info.after });
  assert.deepEqual(second.entries.map((listed) => listed.id), byBytes(ids).slice(4, 8));
  const third = await c.listUsers({ pageSize: 4, after: second.page_info.after });
  assert.deepEqual(third.entries.map((listed) => listed.id), byBytes(ids).slice(8));
  assert.equal(third.page_info.after, null, "the last page");
  const back = await c.listUsers({ pageSize: 4, before: third.page_info.before });
  assert.deepEqual(back, second, "the page before the third is the second");
  // The sets with `include`, the email filter, an early break.
  const withSets = await c.listUsers({ include: ["preferences"], email: "bob@example.com" });
  assert.deepEqual(withSets.entries.map((listed) => [listed.id, listed.preferences]), [["bob", []]]);
  const { entries: [carol] } = await c.listUsers({ pageSize: 1, after: first.page_info.after, include: ["preferences"] });
  assert.equal(carol.id, "carol");
  assert.deepEqual(carol.preferences, await c.listPreferences("carol"));
  assert.deepEqual(carol.preferences.map((set) => set.id), ["default", "work"]);
  const some = [];
  for await (const listed of c.allUsers({ pageSize: 3 })) {
    some.push(listed.id);
    if (some.length === 4) break;
  }
  assert.deepEqual(some, byBytes(ids).slice(0, 4));
  // A cursor is opaque to the client: the server refuses one it did not make.
  const badCursor = await rejection(c.listUsers({ after: "not-a-cursor" }));
  assert.ok(badCursor instanceof ApiError && !(badCursor instanceof ValidationError));
  assert.equal(badCursor.status, 422);
  assert.deepEqual(badCursor.errors.map((problem) => problem.field), ["after"]);
});

test("listUsers refused locally by the core's check of the query: ValidationError at page_size, include[], email; nothing sent", async () => {
  server.script();
  const c = client();
  const cases = [
    [{ pageSize: 0 }, [["page_size", "format"]]],
    [{ pageSize: 51 }, [["page_size", "format"]]],
    [{ pageSize: 2.5 }, [["page_size", "format"]]],
    [{ include: ["channel_data"] }, [["include[]", "unknown_value"]]],
    [{ email: "" }, [["email", "format"]]],
    [{ pageSize: 99, include: ["preferences", "x"], email: "" }, [["page_size", "format"], ["include[]", "unknown_value"], ["email", "format"]]],
  ];
  for (const [options, expected] of cases) {
    assert.deepEqual(problemsOf(await rejection(c.listUsers(options))), expected, JSON.stringify(options));
  }
  const refused = await rejection(c.listUsers({ include: ["channel_data"] }));
  assert.deepEqual(refused.errors, [{ field: "include[]", message: "expected `preferences`, got `channel_data`", type: "unknown_value" }]);
  assert.deepEqual(problemsOf(await rejection(c.allUsers({ pageSize: 0 }).next())), [["page_size", "format"]]);
  for (const options of [{ pageSize: "5" }, { after: 5 }, { before: {} }, { include: "preferences" }, { include: [1] }, { email: 1 }]) {
    assert.ok((await rejection(c.listUsers(options))) instanceof TypeError, JSON.stringify(options));
  }
  assert.equal(server.requests.length, 0);
});

test("listPreferences: every set of the user, in the order it keeps them; 404 for an unknown user; the id checked locally", async () => {
  const c = api();
  const id = "sets-user";
  assert.equal((await rejection(c.listPreferences(id))).status, 404);
  await c.identify(id, {});
  assert.deepEqual(await c.listPreferences(id), []);
  await c.setPreferences(id, "work", { workflows: { digest: true } });
  await c.setPreferences(id, "default", { channel_types: { sms: false } });
  let etag;
  const sets = await c.listPreferences(id, { onETag: (value) => (etag = value) });
  assert.deepEqual(sets, [await c.getPreferences(id, "work"), await c.getPreferences(id, "default")]);
  assert.match(etag, ETAG);
  assert.equal(await c.listPreferences(id, { ifNoneMatch: etag }), null, "not modified");
  server.script((req, res) => json(res, 200, [preferenceSet("default")]));
  assert.deepEqual(await client().listPreferences("user 1"), [preferenceSet("default")]);
  assert.equal(server.requests[0].url, "/v1/users/user%201/preferences");
  server.script();
  assert.deepEqual(problemsOf(await rejection(client().listPreferences("a/b"))), [["user_id", "format"]]);
  assert.ok((await rejection(client().listPreferences(7))) instanceof TypeError);
  assert.equal(server.requests.length, 0);
});

test("merge against the Worker: the other user merged in and deleted; the merged user and its ETag", async () => {
  const c = api();
  await c.identify("merge-primary", { name: "Primary", plan: { tier: "pro" } });
  await c.identify("merge anon?7", { name: "Anon", email: "anon@example.com", plan: { seats: 3 }, source: "ad" });
  let etag;
  const merged = await c.merge("merge-primary", "merge anon?7", { onETag: (value) => (etag = value) });
  assert.equal(merged.id, "merge-primary");
  assert.equal(merged.name, "Primary", "the primary's value wins");
  assert.equal(merged.email, "anon@example.com", "what the primary lacked comes from the other");
  assert.deepEqual(merged.plan, { tier: "pro", seats: 3 });
  assert.equal(merged.source, "ad");
  const { user: stored, etag: current } = await c.getWithETag("merge-primary");
  assert.deepEqual(stored, merged);
  assert.equal(etag, current);
  assert.equal((await rejection(c.get("merge anon?7"))).status, 404, "the other user is deleted");
  assert.equal((await c.changes("merge-primary")).entries[0].route, "merge");
  // Merged again: it is gone (404); an unknown primary is a 404 too.
  const again = await rejection(c.merge("merge-primary", "merge anon?7"));
  assert.ok(again instanceof ApiError);
  assert.equal(again.status, 404);
  // The same key again, once the merge is done: the first answer.
  await c.identify("merge-anon-8", { locale: "fr" });
  const keyed = await c.merge("merge-primary", "merge-anon-8", { idempotencyKey: "merge-8" });
  assert.deepEqual(await c.merge("merge-primary", "merge-anon-8", { idempotencyKey: "merge-8" }), keyed);
  // The request as sent.
  server.script((req, res) => json(res, 200, user("u 1")));
  await client().merge("u 1", "anon \"7\"", { idempotencyKey: "m-1" });
  const [req] = server.requests;
  assert.deepEqual([req.method, req.url, req.body], ["POST", "/v1/users/u%201/merge", JSON.stringify({ from_user_id: 'anon "7"' })]);
  assert.equal(req.headers["content-type"], "application/json");
  assert.equal(req.headers["idempotency-key"], "m-1");
});

test("merge refused locally by the core's check of the request: ValidationError at user_id and from_user_id; nothing sent", async () => {
  server.script();
  const c = client();
  const cases = [
    [c.merge("user-1", "user-1"), [["from_user_id", "mismatch"]]],
    [c.merge("user-1", ""), [["from_user_id", "format"]]],
    [c.merge("user-1", "a/b"), [["from_user_id", "format"]]],
    [c.merge("..", "user-1"), [["user_id", "format"]]],
    [c.merge("", "x".repeat(1001)), [["user_id", "format"], ["from_user_id", "too_long"]]],
  ];
  for (const [promise, expected] of cases) assert.deepEqual(problemsOf(await rejection(promise)), expected);
  const same = await rejection(c.merge("user-1", "user-1"));
  assert.equal(same.errors[0].message, "expected another user's id: `user-1` is the user merged into");
  assert.ok((await rejection(c.merge("user-1", 7))) instanceof TypeError);
  assert.equal(server.requests.length, 0);
});

test("bulkDelete and bulkSetPreferences: POST the ids (and the set); resolve to the queued operation", async () => {
  const operation = (name) => ({ __typename: "BulkOperation", id: "op-1", name, status: "queued" });
  server.script(
    (req, res) => json(res, 200, operation("users.delete")),
    (req, res) => json(res, 200, operation("users.set_preferences")),
  );
  assert.deepEqual(await client().bulkDelete(["a", "b c"]), operation("users.delete"));
  const set = { id: "work", channel_types: { sms: false } };
  assert.deepEqual(await client().bulkSetPreferences(["a"], set, { idempotencyKey: "bulk-prefs-1" }), operation("users.set_preferences"));
  assert.deepEqual(server.requests.map((req) => [req.method, req.url, req.body]), [
    ["POST", "/v1/users/bulk/delete", JSON.stringify({ user_ids: ["a", "b c"] })],
    ["POST", "/v1/users/bulk/preferences", JSON.stringify({ user_ids: ["a"], preferences: set })],
  ]);
  assert.equal(server.requests[1].headers["idempotency-key"], "bulk-prefs-1");
});

test("bulkDelete and bulkSetPreferences against the Worker: each user deleted, each user given the set", async () => {
  const c = api();
  for (const id of ["bulk-del-1", "bulk-del-2", "bulk-set-1"]) await c.identify(id, { name: id });
  const deleting = await c.bulkDelete(["bulk-del-1", "bulk-del-2", "never-there"]);
  assert.equal(deleting.name, "users.delete");
  assert.equal(deleting.estimated_total_rows, 3);
  const set = { id: "work", channel_types: { sms: false }, workflows: { digest: true } };
  const setting = await c.bulkSetPreferences(["bulk-set-1", "bulk-set-new"], set);
  assert.equal(setting.name, "users.set_preferences");
  const expected = preferenceSet("work", { channel_types: { sms: false }, workflows: { digest: true } });
  await eventually(async () => {
    const gone = await Promise.all(["bulk-del-1", "bulk-del-2"].map((id) => c.get(id).then(() => false, (error) => error.status === 404)));
    return gone.every(Boolean);
  }, "the bulk delete to delete both users");
  await eventually(async () => {
    const sets = await Promise.all(["bulk-set-1", "bulk-set-new"].map((id) => c.listPreferences(id).catch(() => [])));
    return sets.every((list) => JSON.stringify(list) === JSON.stringify([expected]));
  }, "the bulk preferences to write the set to both users");
  assert.equal((await c.get("bulk-set-1")).name, "bulk-set-1", "the user's fields stay");
});

test("bulkDelete and bulkSetPreferences refused locally by the core's check: ValidationError at user_ids and preferences; nothing sent", async () => {
  server.script();
  const c = client();
  const cases = [
    [c.bulkDelete([]), [["user_ids", "too_large"]]],
    [c.bulkDelete(Array.from({ length: 1001 }, (_, i) => `u${i}`)), [["user_ids", "too_large"]]],
    [c.bulkDelete(["a", "a/b", 7]), [["user_ids.1", "format"], ["user_ids.2", "type"]]],
    [c.bulkDelete("a"), [["user_ids", "type"]]],
    [c.bulkDelete(undefined), [["user_ids", "type"]]],
    [c.bulkSetPreferences(["a"], { channel_types: { fax: true } }), [["preferences.channel_types.fax", "unknown_value"]]],
    [c.bulkSetPreferences(["a"], { __persistence_strategy__: "merge" }), [["preferences.__persistence_strategy__", "unknown_value"]]],
    [c.bulkSetPreferences(["a"], { id: "" }), [["preferences.id", "format"]]],
    [c.bulkSetPreferences(["..", "b"], []), [["user_ids.0", "format"], ["preferences", "type"]]],
  ];
  for (const [promise, expected] of cases) {
    const error = await rejection(promise);
    assert.deepEqual(problemsOf(error), expected, JSON.stringify(error.errors));
  }
  assert.equal(server.requests.length, 0);
});
