// The built package as a user imports it: exports, classes, and the
// exported functions on a few plain cases (the whole corpus runs in
// tests/wasm_node.rs and tests/wasm_browser.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as pkg from "knock-identify";

const { validate, validateJson, merge, mergeJson, standardFields, toUser, timeZones, ValidationError } = pkg;

test("the package exports exactly its API", () => {
  assert.deepEqual(Object.keys(pkg).sort(), [
    "AbortError", "ApiError", "ConnectionError", "IdentifyClient", "RateLimitError", "TimeoutError",
    "ValidationError", "merge", "mergeJson", "standardFields", "timeZones", "toUser", "validate", "validateJson",
  ]);
  for (const name of ["AbortError", "ApiError", "ConnectionError", "RateLimitError", "TimeoutError", "ValidationError"]) {
    assert.ok(pkg[name].prototype instanceof Error, `${name} extends Error`);
  }
  assert.ok(pkg.RateLimitError.prototype instanceof pkg.ApiError);
  assert.ok(pkg.TimeoutError.prototype instanceof pkg.ConnectionError);
});

test("the browser entry: the same API, and a client whose wasm loads on its first call", async () => {
  const browser = await import(new URL("../../pkg/index.browser.js", import.meta.url));
  assert.deepEqual(Object.keys(browser).sort(), Object.keys(pkg).sort());
  assert.equal(browser.ValidationError, ValidationError, "one error class for both wasm and every entry");
  const methods = (Class) =>
    Object.getOwnPropertyNames(Class.prototype).filter((name) => !["constructor", "__destroy_into_raw"].includes(name)).sort();
  assert.deepEqual(methods(browser.IdentifyClient), methods(pkg.IdentifyClient));
  const thrown = (make) => {
    try {
      make();
    } catch (error) {
      return `${error.constructor.name}: ${error.message}`;
    }
    return "nothing thrown";
  };
  // Options are refused at construction, as the real client refuses them.
  for (const options of [undefined, {}, { apiKey: "pk_x", maxRetries: -1 }, { apiKey: "pk_x", baseUrl: "ftp://x.example" }]) {
    assert.equal(thrown(() => new browser.IdentifyClient(options)), thrown(() => new pkg.IdentifyClient(options)));
  }
  const client = new browser.IdentifyClient({ apiKey: "sk_test", baseUrl: "http://127.0.0.1:1/knock/", maxRetries: 0 });
  assert.equal(client.baseUrl, "http://127.0.0.1:1/knock");
  // The real client's answers: a body refused locally, then nothing listening on port 1.
  const refused = await client.identify("user-1", { email: "nope" }).catch((error) => error);
  assert.ok(refused instanceof ValidationError, String(refused));
  assert.deepEqual(refused.errors.map((problem) => problem.field), ["email"]);
  const unreachable = await client.get("user-1").catch((error) => error);
  assert.ok(unreachable instanceof browser.ConnectionError, String(unreachable));
  const entries = client.allChanges("user-1");
  assert.ok((await entries.next().catch((error) => error)) instanceof browser.ConnectionError);
  client.free();
  await assert.rejects(client.get("user-1"), /not freed/);
});

test("node resolves the package to its node entry", () => {
  const require = createRequire(import.meta.url);
  assert.match(import.meta.resolve("knock-identify"), /\/pkg\/index\.node\.js$/);
  assert.equal(require("knock-identify/package.json").type, "module");
});

test("validate lists every problem; an empty list when valid", () => {
  assert.deepEqual(validate("user-1", { email: "jane@example.com", timezone: "America/New_York" }), []);
  // Every problem, in the body's order.
  // The messages as the contract words them (fixtures phone_formatted, locale_underscore).
  assert.deepEqual(validate("user-1", { phone_number: "+1 (415) 555-2671", locale: "en_US" }), [
    {
      field: "phone_number",
      message: "expected an E.164 number: `+` and 7 to 15 digits starting with a country calling code, like `+14155552671`; use `+14155552671`",
      type: "format",
    },
    { field: "locale", message: "expected a BCP 47 language tag, like `en-US`; use `en-US`", type: "format" },
  ]);
  assert.throws(() => validate(42, {}), TypeError);
});

test("merge, toUser and the JSON-text variants", () => {
  const now = Date.UTC(2024, 5, 1);
  let stored = merge(null, "user-1", { name: "Jane", plan: { tier: "pro" }, preferences: { default: { commercial_subscribed: true } } }, now);
  stored = merge(stored, "user-1", { plan: { seats: 3 } }, new Date(now));
  assert.deepEqual(toUser(stored), {
    __typename: "User", id: "user-1", avatar: null, created_at: null, email: null, locale: null, name: "Jane",
    phone_number: null, timezone: null, updated_at: "2024-06-01T00:00:00.000Z", plan: { tier: "pro", seats: 3 },
  });
  assert.deepEqual(stored.preferences, { default: { commercial_subscribed: true } });
  const againJson = mergeJson(JSON.stringify(stored), "user-1", '{"name": "Jane Doe"}', now);
  assert.equal(typeof againJson, "string");
  const again = JSON.parse(againJson);
  assert.equal(toUser(again).name, "Jane Doe");
  assert.deepEqual(again.preferences, stored.preferences);
  assert.throws(() => mergeJson(null, "user-1", '{"a": 1, "a": 2}', now), (error) => {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.status, 400);
    assert.equal(error.code, "invalid_json");
    assert.deepEqual(error.errors, validateJson("user-1", '{"a": 1, "a": 2}'));
    return true;
  });
  assert.throws(() => merge(null, "user-1", { email: "nope" }, now), ValidationError);
});

test("merge's records are frozen all the way down, and a copy merges as the record does", () => {
  const now = Date.UTC(2024, 5, 1);
  const stored = merge(null, "user-1", { name: "Jane", plan: { tier: "pro", addons: ["sso"] }, preferences: { default: { commercial_subscribed: true } } }, now);
  for (const part of [stored, stored.user, stored.user.plan, stored.user.plan.addons, stored.preferences, stored.preferences.default, stored.channel_data]) {
    assert.ok(Object.isFrozen(part));
  }
  assert.throws(() => {
    stored.user.name = "Changed";
  }, TypeError);
  const copy = structuredClone(stored);
  assert.ok(!Object.isFrozen(copy));
  const fromRecord = merge(stored, "user-1", { plan: { seats: 3 } }, now);
  const fromCopy = merge(copy, "user-1", { plan: { seats: 3 } }, now);
  assert.deepEqual(fromCopy, fromRecord);
  assert.deepEqual(toUser(fromRecord).plan, { tier: "pro", addons: ["sso"], seats: 3 });
  // A copy that was changed merges with its change.
  copy.user.name = "Copy";
  assert.equal(toUser(merge(copy, "user-1", {}, now)).name, "Copy");
});

test("numbers keep their text through the JSON-text calls; limits hold after a merge", () => {
  const now = Date.UTC(2024, 5, 1);
  const record = mergeJson(null, "user-1", '{"big": 12345678901234567890, "exact": 0.1000, "huge": 1e400}', now);
  assert.match(record, /"big":12345678901234567890,"exact":0\.1000,"huge":1e400/);
  const again = mergeJson(record, "user-1", '{"name": "Jane"}', now);
  assert.match(again, /"big":12345678901234567890,"exact":0\.1000,"huge":1e400/);
  const big = "x".repeat(200_000);
  const grown = merge(null, "user-1", { a: big }, now);
  assert.throws(() => merge(grown, "user-1", { b: big }, now), (error) => {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.errors[0].type, "too_large");
    const bytes = JSON.stringify({ a: big, b: big }).length;
    assert.ok(error.errors[0].message.startsWith(`after this identify the user's custom properties would take ${bytes} bytes`), error.errors[0].message);
    return true;
  });
});

test("standardFields lists the user's standard fields, the keys of a new user besides its bookkeeping", () => {
  const fields = standardFields();
  assert.deepEqual(fields, ["avatar", "created_at", "email", "locale", "name", "phone_number", "timezone"]);
  const user = toUser(merge(null, "u", {}, 0));
  assert.deepEqual(Object.keys(user).filter((key) => !["__typename", "id", "updated_at"].includes(key)), fields);
});

test("timeZones lists the accepted names", () => {
  const zones = timeZones();
  assert.ok(zones.includes("America/New_York") && zones.includes("UTC") && zones.includes("US/Eastern"));
  assert.deepEqual(validate("u", { timezone: zones[0] }), []);
});
