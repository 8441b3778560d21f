// Rate limits per environment, under workerd's rate-limit binding: a test
// server with an identify limit of 20 per 10 s (production: 600 per 10 s,
// wrangler.toml) answers 20 × 200, then 429 rate_limit_exceeded with
// Retry-After; another environment keeps its own budget.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { freshLimiterWindow as freshWindow, KEY, OTHER_KEY, send, startMiniflare } from "./helpers.mjs";

const LIMIT = 20;
let server;

before(async () => {
  server = await startMiniflare({ limits: { identify: LIMIT, get: LIMIT, delete: LIMIT } });
});
after(() => server?.stop());

test("identify: the limit passes, the burst over it is 429 with Retry-After", async () => {
  await freshWindow();
  const statuses = [];
  let limited;
  for (let i = 0; i < LIMIT + 10; i++) {
    const answer = await send(server.url, "PUT", `burst-${i}`, { body: '{"name": "B"}' });
    statuses.push(answer.status);
    if (answer.status === 429) limited ??= answer;
  }
  assert.deepEqual(statuses.slice(0, LIMIT), Array(LIMIT).fill(200), "none below the limit is refused");
  assert.deepEqual(statuses.slice(LIMIT), Array(10).fill(429), "every request over the limit is refused");
  assert.equal(limited.body.code, "rate_limit_exceeded");
  assert.equal(limited.body.status, 429);
  assert.equal(limited.body.request_id, limited.headers.get("x-request-id"));
  // The limiters' period (wrangler.toml), as contract §6 and the README say.
  assert.equal(limited.headers.get("retry-after"), "10");
  assert.match(limited.body.message, /retry after 10 seconds/);
  // A refused identify wrote nothing.
  assert.equal((await send(server.url, "GET", `burst-${LIMIT}`)).status, 404);
});

test("limits are per environment and per route", async () => {
  // The first test spent env-a's identify budget; env-b still has its own.
  const other = await send(server.url, "PUT", "burst-other", { body: "{}", key: OTHER_KEY });
  assert.equal(other.status, 200, other.text);
  assert.equal((await send(server.url, "PUT", "burst-again", { body: "{}", key: KEY })).status, 429);
  // GET has its own budget in env-a.
  assert.equal((await send(server.url, "GET", "burst-0", { key: KEY })).status, 200);
});
