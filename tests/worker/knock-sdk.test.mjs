// Knock's official Node SDK (@knocklabs/node) as a client of the Worker:
// baseURL pointed at the local server, nothing else changed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Knock, { AuthenticationError, NotFoundError, UnprocessableEntityError } from "@knocklabs/node";
import { startWithKnock } from "./helpers.mjs";

let server;
let knock;
before(async () => ({ server, knock } = await startWithKnock()));
after(() => server?.stop());

test("users.update creates, then merges; users.get reads the same user", async () => {
  const id = "sdk-user-1";
  const created = await knock.users.update(id, { name: "Jane", email: "jane@example.com", plan: { tier: "pro" } });
  assert.equal(created.__typename, "User");
  assert.equal(created.id, id);
  assert.equal(created.name, "Jane");
  assert.equal(created.email, "jane@example.com");
  assert.match(created.updated_at, /Z$/);
  const merged = await knock.users.update(id, { phone_number: "+14155552671", plan: { seats: 3 } });
  assert.equal(merged.name, "Jane");
  assert.equal(merged.phone_number, "+14155552671");
  assert.deepEqual(merged.plan, { tier: "pro", seats: 3 });
  const read = await knock.users.get(id);
  assert.deepEqual(read, merged);
});

test("users.delete deletes: a later users.get is the SDK's NotFoundError", async () => {
  const id = "sdk user 2 ü 100%";
  const created = await knock.users.update(id, { name: "Temp" });
  assert.equal(created.id, id, "the SDK's path encoding round-trips");
  const deleted = await knock.users.delete(id); // 204: the SDK resolves with no user
  assert.ok(deleted === null || deleted === undefined, String(deleted));
  await assert.rejects(knock.users.get(id), (error) => {
    assert.ok(error instanceof NotFoundError, error.constructor.name);
    assert.equal(error.status, 404);
    assert.equal(error.error.code, "resource_missing");
    return true;
  });
});

test("a 422 surfaces as UnprocessableEntityError with our errors", async () => {
  await assert.rejects(knock.users.update("sdk-user-3", { email: "not-an-email", locale: "en_US" }), (error) => {
    assert.ok(error instanceof UnprocessableEntityError, error.constructor.name);
    assert.equal(error.status, 422);
    assert.equal(error.error.code, "invalid_params");
    assert.deepEqual(error.error.errors.map((e) => [e.field, e.type]), [["email", "format"], ["locale", "format"]]);
    assert.match(error.error.errors[1].message, /en-US/);
    assert.ok(error.headers.get("x-request-id"));
    return true;
  });
});

test("a wrong key surfaces as AuthenticationError", async () => {
  const wrong = new Knock({ apiKey: "sk_test_wrong", baseURL: server.url, maxRetries: 0 });
  await assert.rejects(wrong.users.get("sdk-user-1"), (error) => {
    assert.ok(error instanceof AuthenticationError, error.constructor.name);
    assert.equal(error.status, 401);
    assert.equal(error.error.code, "invalid_api_key");
    return true;
  });
});
