// Merging users and listing a user's preference sets (contract §11,
// §5a), under real workerd. Knock's SDK calls users.merge and
// users.listPreferences unchanged; every bad input gets its answer; and a
// merge interrupted at each of its steps across the two users' objects (a
// proxy object in front of the real UserObject refusing on cue) leaves the
// secondary's data all in the primary or all still in the secondary, and
// sent again completes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Knock, { NotFoundError } from "@knocklabs/node";
import {
  apiWorker,
  COMPATIBILITY_DATE,
  freshLimiterWindow,
  KEY,
  rs256Token,
  send,
  signingKeyPair,
  startMiniflare,
  startWorkers,
  tempDir,
  waitFor,
} from "./helpers.mjs";

const CHANNEL = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
const OTHER_CHANNEL = "0a6e8e4f-4a3c-4b0e-9a59-5d6a0b1c2d3e";
const PUBLIC_KEY = "pk_test_a";
const signing = signingKeyPair();

let server;
let knock;
before(async () => {
  const publicKeys = { [PUBLIC_KEY]: { environment: "env-a", signing_keys: [signing.publicKey] } };
  server = await startMiniflare({ vars: { PUBLIC_KEYS: JSON.stringify(publicKeys) } });
  knock = new Knock({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
});
after(() => server?.stop());

const mergePath = (id) => `/v1/users/${encodeURIComponent(id)}/merge`;
const setsPath = (id) => `/v1/users/${encodeURIComponent(id)}/preferences`;
/** POST .../merge with `body` (JSON of an object, or text as it is). */
const merge = (base, id, body, options = {}) =>
  send(base, "POST", null, { ...options, path: mergePath(id), body: typeof body === "string" ? body : JSON.stringify(body) });
const put = (base, id, body) => send(base, "PUT", id, { body: JSON.stringify(body) });
const get = (base, id) => send(base, "GET", id);
const changes = (base, id) => send(base, "GET", null, { path: `/v1/users/${encodeURIComponent(id)}/changes` });

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.body.code, code, answer.text);
}

describe("merging users", () => {
  test("users.merge through Knock's SDK: the primary takes what it lacks, keeps what it has; the secondary is gone", async () => {
    await knock.users.update("signed-up-1", {
      name: "Jane",
      email: null,
      plan: { tier: "pro" },
      preferences: { default: { channel_types: { email: false } } },
      channel_data: { [CHANNEL]: { tokens: ["a"] } },
    });
    await knock.users.update("invited-1", {
      name: "J.",
      email: "jane@example.com",
      plan: { seats: 3, tier: "free" },
      invited_by: "ops",
      preferences: { default: { channel_types: { sms: true } }, "tenant-a": { workflows: { w: true } } },
      channel_data: { [CHANNEL]: { tokens: ["b"] }, [OTHER_CHANNEL]: { tokens: ["c"] } },
    });
    const merged = await knock.users.merge("signed-up-1", { from_user_id: "invited-1" });
    const { updated_at, ...rest } = merged;
    assert.deepEqual(rest, {
      __typename: "User",
      id: "signed-up-1",
      avatar: null,
      created_at: null,
      email: "jane@example.com",
      locale: null,
      name: "Jane",
      phone_number: null,
      timezone: null,
      plan: { tier: "pro", seats: 3 },
      invited_by: "ops",
    });
    assert.match(updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(await knock.users.get("signed-up-1"), merged);
    await assert.rejects(knock.users.get("invited-1"), NotFoundError);
    // Sets and channels by id, whole: the primary's kept, the secondary's others added.
    assert.deepEqual(await knock.users.listPreferences("signed-up-1"), [
      { __typename: "PreferenceSet", id: "default", categories: null, channel_types: { email: false }, workflows: null },
      { __typename: "PreferenceSet", id: "tenant-a", categories: null, channel_types: null, workflows: { w: true } },
    ]);
    assert.deepEqual((await knock.users.getChannelData("signed-up-1", CHANNEL)).data, { tokens: ["a"] });
    assert.deepEqual((await knock.users.getChannelData("signed-up-1", OTHER_CHANNEL)).data, { tokens: ["c"] });
    // One history entry, `merge`, naming what the merge changed.
    const entries = (await changes(server.url, "signed-up-1")).body.entries;
    assert.deepEqual(entries[0].route, "merge");
    assert.deepEqual(entries[0].changed, ["email", "custom.plan", "custom.invited_by", "preferences.tenant-a", `channel_data.${OTHER_CHANNEL}`]);
    assert.equal(entries[0].at, merged.updated_at);
    // KV gets both: the merged primary, the secondary's key removed.
    const kv = await server.kv();
    await waitFor(async () => (await kv.get("env-a/users/invited-1")) === null, "the secondary's KV key removed");
    await waitFor(async () => JSON.parse((await kv.get("env-a/users/signed-up-1")) ?? "{}").user?.email === "jane@example.com", "the merged primary in KV");
  });

  test("the answer has the primary's ETag; sent again with its key it is answered again; the key with another merge is refused", async () => {
    await put(server.url, "etag-primary", { name: "P" });
    await put(server.url, "etag-secondary", { note: "from the secondary" });
    const headers = { "Idempotency-Key": "merge-key-1" };
    const merged = await merge(server.url, "etag-primary", { from_user_id: "etag-secondary" }, { headers });
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.body.note, "from the secondary");
    const read = await get(server.url, "etag-primary");
    assert.equal(merged.headers.get("etag"), read.headers.get("etag"));
    assert.match(merged.headers.get("etag"), /^"[0-9a-f]{16}\.2"$/, "the primary's second version");
    // The secondary is gone: the primary's kept answer, with its ETag.
    const again = await merge(server.url, "etag-primary", { from_user_id: "etag-secondary" }, { headers });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.text, merged.text);
    assert.equal(again.headers.get("etag"), merged.headers.get("etag"));
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assertError(await merge(server.url, "etag-primary", { from_user_id: "someone-else" }, { headers }), 422, "idempotency_key_reused");
    // Without a key, a merge of a secondary already merged and deleted is a 404; the primary keeps the first result.
    assertError(await merge(server.url, "etag-primary", { from_user_id: "etag-secondary" }), 404, "resource_missing");
    assert.equal((await get(server.url, "etag-primary")).headers.get("etag"), read.headers.get("etag"));
  });

  test("every bad input: 422 at its field, 404 for either unknown user, 400, 413, 415; nothing changes", async () => {
    const primary = await put(server.url, "bad-primary", { name: "P" });
    await put(server.url, "bad-secondary", { name: "S" });
    const cases = [
      [{}, "from_user_id", "format", "expected `from_user_id`, the id of the user to merge into `bad-primary`"],
      [{ from_user_id: null }, "from_user_id", "type", "expected the id of the user to merge (a string), got null"],
      [{ from_user_id: 7 }, "from_user_id", "type", "expected the id of the user to merge (a string), got a number"],
      [{ from_user_id: "" }, "from_user_id", "format", "the user id must not be empty"],
      [{ from_user_id: "a/b" }, "from_user_id", "format", "the user id must not contain `/`: no `/`, `#` or control characters"],
      [{ from_user_id: "x".repeat(257) }, "from_user_id", "too_long", "expected at most 256 characters, got 257"],
      [{ from_user_id: "bad-primary" }, "from_user_id", "mismatch", "expected another user's id: `bad-primary` is the user merged into"],
      [{ from_user_id: "bad-secondary", into: "x" }, "into", "unknown_value", "unknown key `into`; expected `from_user_id`"],
      [[], "", "type", "expected the body to be a JSON object, got an array"],
    ];
    for (const [body, field, type, message] of cases) {
      const refused = await merge(server.url, "bad-primary", body);
      assertError(refused, 422, "invalid_params");
      assert.deepEqual(refused.body.errors, [{ field, message, type }], JSON.stringify(body));
    }
    const badPath = await merge(server.url, "y".repeat(257), { from_user_id: "bad-secondary" });
    assertError(badPath, 422, "invalid_params");
    assert.deepEqual(badPath.body.errors.map(({ field }) => field), ["user_id"]);
    const unknownSecondary = await merge(server.url, "bad-primary", { from_user_id: "nobody-1" });
    assertError(unknownSecondary, 404, "resource_missing");
    assert.equal(unknownSecondary.body.message, "no user with id `nobody-1`");
    const unknownPrimary = await merge(server.url, "nobody-2", { from_user_id: "bad-secondary" });
    assertError(unknownPrimary, 404, "resource_missing");
    assert.equal(unknownPrimary.body.message, "no user with id `nobody-2`");
    assertError(await merge(server.url, "bad-primary", "{"), 400, "invalid_json");
    assertError(await merge(server.url, "bad-primary", `{"from_user_id": "${"x".repeat(1024 * 1024)}"}`), 413, "request_too_large");
    const form = await send(server.url, "POST", null, { path: mergePath("bad-primary"), body: "from_user_id=bad-secondary", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    assertError(form, 415, "unsupported_media_type");
    // Nothing changed: both users as they were, the unknown ones still unknown.
    assert.equal((await get(server.url, "bad-primary")).headers.get("etag"), primary.headers.get("etag"));
    assert.equal((await get(server.url, "bad-secondary")).body.name, "S");
    assert.equal((await get(server.url, "nobody-2")).status, 404);
  });

  test("a merge whose user would pass a stored bound is a 422 and changes nothing", async () => {
    const primary = await put(server.url, "big-primary", { a: "x".repeat(200 * 1024) });
    const secondary = await put(server.url, "big-secondary", { b: "y".repeat(100 * 1024) });
    assert.equal(secondary.status, 200, secondary.text);
    const refused = await merge(server.url, "big-primary", { from_user_id: "big-secondary" });
    assertError(refused, 422, "invalid_params");
    assert.deepEqual(refused.body.errors, [
      {
        field: "",
        type: "too_large",
        message: `after this merge the user's custom properties would take ${200 * 1024 + 100 * 1024 + 15} bytes as compact JSON; the limit is 262144 (256 KiB): nothing was changed`,
      },
    ]);
    assert.equal((await get(server.url, "big-primary")).headers.get("etag"), primary.headers.get("etag"));
    assert.equal((await get(server.url, "big-secondary")).headers.get("etag"), secondary.headers.get("etag"));
  });

  test("methods and keys: 405 with Allow, a public key's 403, 401 without a key", async () => {
    const getMerge = await send(server.url, "GET", null, { path: mergePath("any-1") });
    assertError(getMerge, 405, "method_not_allowed");
    assert.equal(getMerge.headers.get("allow"), "POST");
    const putSets = await send(server.url, "PUT", null, { path: setsPath("any-1"), body: "[]" });
    assertError(putSets, 405, "method_not_allowed");
    assert.equal(putSets.headers.get("allow"), "GET");
    await put(server.url, "token-user-1", { name: "T" });
    await put(server.url, "token-other-1", { name: "O" });
    const asUser = (method, path, body) =>
      send(server.url, method, null, { path, body, key: PUBLIC_KEY, headers: { "X-Knock-User-Token": rs256Token("token-user-1", signing.privateKey) } });
    assertError(await asUser("POST", mergePath("token-user-1"), JSON.stringify({ from_user_id: "token-other-1" })), 403, "forbidden");
    assert.equal((await get(server.url, "token-other-1")).status, 200, "nothing merged");
    assertError(await send(server.url, "POST", null, { path: mergePath("token-user-1"), body: "{}", key: null }), 401, "api_key_missing");
  });

  test("merges count against their own limit, 5 a second (50 per 10 s)", async () => {
    const limited = await startMiniflare({ limits: { merge: 3 } });
    try {
      await freshLimiterWindow();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await merge(limited.url, "limited-1", { from_user_id: `limited-${i + 2}` })).status);
      assert.deepEqual(statuses, [404, 404, 404, 429]);
      const over = await merge(limited.url, "limited-1", {});
      assertError(over, 429, "rate_limit_exceeded");
      assert.equal(over.headers.get("retry-after"), "10");
      // Identify and GET keep their own budgets.
      assert.equal((await put(limited.url, "limited-1", { name: "L" })).status, 200);
      assert.equal((await get(limited.url, "limited-1")).status, 200);
    } finally {
      await limited.stop();
    }
  });
});

describe("a user's preference sets", () => {
  test("users.listPreferences through Knock's SDK: every set as the one set's route answers it; [] for none; 404 for an unknown user", async () => {
    await knock.users.update("sets-1", {
      preferences: {
        default: { channel_types: { email: false }, commercial_subscribed: true },
        "tenant-b": { categories: { marketing: false } },
      },
    });
    const sets = await knock.users.listPreferences("sets-1");
    assert.deepEqual(sets, [
      { __typename: "PreferenceSet", id: "default", categories: null, channel_types: { email: false }, workflows: null, commercial_subscribed: true },
      { __typename: "PreferenceSet", id: "tenant-b", categories: { marketing: false }, channel_types: null, workflows: null },
    ]);
    for (const set of sets) assert.deepEqual(await knock.users.getPreferences("sets-1", set.id), set);
    await knock.users.update("sets-none", { name: "N" });
    assert.deepEqual(await knock.users.listPreferences("sets-none"), []);
    await assert.rejects(knock.users.listPreferences("sets-nobody"), NotFoundError);
    const read = await send(server.url, "GET", null, { path: setsPath("sets-1") });
    assert.equal(read.headers.get("etag"), (await get(server.url, "sets-1")).headers.get("etag"));
  });

  test("a public key lists its own user's sets only", async () => {
    await put(server.url, "sets-token-1", { preferences: { default: { workflows: { w: true } } } });
    await put(server.url, "sets-token-2", { preferences: { default: {} } });
    const asUser = (id) =>
      send(server.url, "GET", null, { path: setsPath(id), key: PUBLIC_KEY, headers: { "X-Knock-User-Token": rs256Token("sets-token-1", signing.privateKey) } });
    const own = await asUser("sets-token-1");
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(own.body.map(({ id }) => id), ["default"]);
    assertError(await asUser("sets-token-2"), 403, "forbidden");
  });
});

/**
 * The built Worker whose USER_OBJECTS go through a proxy object that
 * forwards every call to the real UserObject of the "api" worker, and
 * fails on cue, once, by the user's id:
 *   cut-read-*          its record's read (the merge's first step) refused;
 *   cut-merge-before-*  a merge write refused before it reaches the object;
 *   cut-merge-after-*   a merge write applied, its answer lost (a 500);
 *   cut-delete-before-* a DELETE refused before it reaches the object;
 *   cut-delete-after-*  a DELETE applied, its answer lost;
 *   race-once-*         the secondary identified (`late_1`) while the primary merges;
 *   race-always-*       likewise on every merge write (`late_1`, `late_2`, ...);
 *   race-same-*         the secondary renamed while the primary merges (nothing the
 *                       primary lacks: its own name wins);
 *   gone-*              the secondary deleted while the primary merges.
 */
function withCuts(persist) {
  const proxy = `
    import { DurableObject } from "cloudflare:workers";
    /** A call's message (src/worker/user/message.rs) about a user of env-a. */
    const about = (user_id) => JSON.stringify({ target: { environment: "env-a", user_id }, request_id: "", options: {} });
    const bytes = (text) => new TextEncoder().encode(text);
    /** An answer as the object's \`handle\` gives it: [status, body, ETag, replayed]. */
    const refused = () => [500, bytes("refused (test)"), null, false];
    export class CuttingUserObject extends DurableObject {
      constructor(ctx, env) { super(ctx, env); this.done = new Set(); this.late = 0; }
      real(name) { return this.env.REAL.get(this.env.REAL.idFromName(name)); }
      /** Whether the cue \`step\` is due: the first time only. */
      once(step) { if (this.done.has(step)) return false; this.done.add(step); return true; }
      async handle(method, message, body) {
        const name = this.ctx.id.name;
        const user = name.slice(name.indexOf("/") + 1);
        const { options } = JSON.parse(message);
        if (method === "GET" && options.answer === "Record" && user.startsWith("cut-read-") && this.once("read")) return refused();
        if (method === "POST") {
          if (user.startsWith("cut-merge-before-") && this.once("merge")) return refused();
          const from = options.merge_from;
          const secondary = about(from);
          if (user.startsWith("race-always-") || (user.startsWith("race-once-") && this.once("race"))) {
            const late = JSON.stringify({ ["late_" + ++this.late]: true });
            await this.real("env-a/" + from).handle("PUT", secondary, bytes(late));
          }
          if (user.startsWith("race-same-") && this.once("race")) {
            await this.real("env-a/" + from).handle("PUT", secondary, bytes(JSON.stringify({ name: "Renamed" })));
          }
          if (user.startsWith("gone-") && this.once("gone")) {
            await this.real("env-a/" + from).handle("DELETE", secondary);
          }
          const answer = await this.real(name).handle(method, message, body);
          // Applied, its answer lost.
          return user.startsWith("cut-merge-after-") && this.once("merge") ? refused() : answer;
        }
        if (method === "DELETE") {
          if (user.startsWith("cut-delete-before-") && this.once("delete")) return refused();
          const answer = await this.real(name).handle(method, message, body);
          return user.startsWith("cut-delete-after-") && this.once("delete") ? refused() : answer;
        }
        return this.real(name).handle(method, message, body);
      }
    }
    export default { fetch: () => new Response("") };`;
  return startWorkers(
    [
      apiWorker(persist, {
        durableObjects: {
          USER_OBJECTS: { className: "CuttingUserObject", scriptName: "proxy" },
          BULK_OPERATIONS: { className: "BulkOperation", useSQLite: true },
        },
      }),
      {
        name: "proxy",
        modules: true,
        script: proxy,
        compatibilityDate: COMPATIBILITY_DATE,
        durableObjects: {
          PROXY: "CuttingUserObject",
          REAL: { className: "UserObject", scriptName: "api", useSQLite: true },
        },
      },
    ],
    persist,
  );
}

describe("a merge interrupted at each step, then sent again", () => {
  let cuts;
  before(async () => {
    cuts = await withCuts(tempDir("merge-cuts"));
  });
  after(() => cuts?.stop());

  /** Creates the pair `{prefix}-into` (primary) and `{prefix}-from` (secondary); their ids and first answers. */
  async function pair(prefix) {
    const primary = `${prefix}-into`;
    const secondary = `${prefix}-from`;
    const made = [await put(cuts.url, primary, { name: "Primary", kept: 1 }), await put(cuts.url, secondary, { name: "Secondary", email: "s@example.com", carried: { deep: true } })];
    for (const answer of made) assert.equal(answer.status, 200, answer.text);
    return { primary, secondary, before: made[0] };
  }

  /** The secondary's data is all in the primary (`carried` and its email). */
  async function inPrimary(primary) {
    const user = (await get(cuts.url, primary)).body;
    return user.email === "s@example.com" && user.carried?.deep === true && user.name === "Primary" && user.kept === 1;
  }

  /** The secondary is there whole, as it was made. */
  async function secondaryWhole(secondary) {
    const user = (await get(cuts.url, secondary)).body;
    return user?.name === "Secondary" && user.email === "s@example.com" && user.carried?.deep === true;
  }

  /** Sends the merge again: it completes, the secondary's data in the primary, the secondary gone. */
  async function completes(primary, secondary, options) {
    const again = await merge(cuts.url, primary, { from_user_id: secondary }, options);
    assert.equal(again.status, 200, again.text);
    assert.ok(await inPrimary(primary), "the secondary's data in the primary");
    assert.equal((await get(cuts.url, secondary)).status, 404, "the secondary deleted");
    return again;
  }

  test("the secondary's read fails: nothing written; sent again, it completes", async () => {
    const { primary, secondary, before } = await pair("cut-read-1");
    assertError(await merge(cuts.url, primary, { from_user_id: secondary }), 500, "internal_error");
    assert.equal((await get(cuts.url, primary)).headers.get("etag"), before.headers.get("etag"), "the primary unchanged");
    assert.ok(await secondaryWhole(secondary));
    await completes(primary, secondary);
  });

  test("the primary's merge write fails before it commits: the data all still in the secondary; sent again, it completes", async () => {
    const { primary, secondary, before } = await pair("cut-merge-before-1");
    assertError(await merge(cuts.url, primary, { from_user_id: secondary }), 500, "internal_error");
    assert.equal((await get(cuts.url, primary)).headers.get("etag"), before.headers.get("etag"), "the primary unchanged");
    assert.ok(await secondaryWhole(secondary), "the secondary not deleted");
    await completes(primary, secondary);
  });

  test("the primary commits but its answer is lost: the data in both; sent again, it completes", async () => {
    const { primary, secondary } = await pair("cut-merge-after-1");
    assertError(await merge(cuts.url, primary, { from_user_id: secondary }), 500, "internal_error");
    assert.ok(await inPrimary(primary));
    assert.ok(await secondaryWhole(secondary), "the secondary not deleted before the primary answered");
    await completes(primary, secondary);
  });

  test("with its key: the primary's kept answer given again once the secondary is deleted", async () => {
    const { primary, secondary } = await pair("cut-merge-after-2");
    const headers = { "Idempotency-Key": "cut-merge-after-2" };
    assertError(await merge(cuts.url, primary, { from_user_id: secondary }, { headers }), 500, "internal_error");
    const committed = await get(cuts.url, primary);
    const again = await completes(primary, secondary, { headers });
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.headers.get("etag"), committed.headers.get("etag"), "nothing written again");
    assert.equal(again.body.updated_at, committed.body.updated_at);
    assert.deepEqual((await changes(cuts.url, primary)).body.entries.map(({ route }) => route), ["merge", "identify"]);
  });

  test("with its key, after the secondary changed: the change is merged too before the secondary goes", async () => {
    const { primary, secondary } = await pair("cut-merge-after-3");
    const headers = { "Idempotency-Key": "cut-merge-after-3" };
    assertError(await merge(cuts.url, primary, { from_user_id: secondary }, { headers }), 500, "internal_error");
    assert.equal((await put(cuts.url, secondary, { later: "written after the merge" })).status, 200);
    const again = await completes(primary, secondary, { headers });
    assert.equal(again.body.later, "written after the merge");
    assert.equal((await get(cuts.url, primary)).body.later, "written after the merge");
  });

  test("the secondary's delete fails: the data in both; sent again, it completes", async () => {
    const { primary, secondary } = await pair("cut-delete-before-1");
    assertError(await merge(cuts.url, primary, { from_user_id: secondary }), 500, "internal_error");
    assert.ok(await inPrimary(primary));
    assert.ok(await secondaryWhole(secondary));
    await completes(primary, secondary);
  });

  test("the secondary deleted but the answer lost: the data in the primary; sent again it is a 404, the primary keeping the first result", async () => {
    const { primary, secondary } = await pair("cut-delete-after-1");
    assertError(await merge(cuts.url, primary, { from_user_id: secondary }), 500, "internal_error");
    assert.ok(await inPrimary(primary));
    const first = await get(cuts.url, primary);
    assertError(await merge(cuts.url, primary, { from_user_id: secondary }), 404, "resource_missing");
    assert.equal((await get(cuts.url, primary)).headers.get("etag"), first.headers.get("etag"));
  });

  test("Knock's SDK retrying after the delete's answer was lost: its key answers the merged user", async () => {
    const { primary, secondary } = await pair("cut-delete-after-2");
    const retrying = new Knock({ apiKey: KEY, baseURL: cuts.url, maxRetries: 2 });
    const merged = await retrying.users.merge(primary, { from_user_id: secondary });
    assert.equal(merged.email, "s@example.com");
    const read = await get(cuts.url, primary);
    assert.deepEqual(read.body, merged, "the first merge's answer");
    assert.equal((await get(cuts.url, secondary)).status, 404);
    assert.deepEqual((await changes(cuts.url, primary)).body.entries.map(({ route }) => route), ["merge", "identify"]);
  });

  test("the secondary written between its read and its delete: read and merged again, nothing lost", async () => {
    const { primary, secondary } = await pair("race-once-1");
    const merged = await merge(cuts.url, primary, { from_user_id: secondary });
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.body.late_1, true, "the late write merged too");
    assert.ok(await inPrimary(primary));
    assert.equal((await get(cuts.url, secondary)).status, 404);
    assert.deepEqual((await changes(cuts.url, primary)).body.entries.map(({ route }) => route), ["merge", "merge", "identify"]);
  });

  test("with its key, the secondary written meanwhile with nothing more to merge: its own merge answered, not a replay", async () => {
    const { primary, secondary } = await pair("race-same-1");
    const merged = await merge(cuts.url, primary, { from_user_id: secondary }, { headers: { "Idempotency-Key": "race-same-1" } });
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.headers.get("idempotent-replayed"), null, "the first answer to this key");
    assert.equal(merged.body.name, "Primary");
    assert.ok(await inPrimary(primary));
    assert.equal((await get(cuts.url, secondary)).status, 404, "deleted on the second attempt");
    assert.deepEqual((await changes(cuts.url, primary)).body.entries.map(({ route }) => route), ["merge", "identify"]);
  });

  test("the secondary written on every attempt: 409 conflict after three, the secondary kept whole", async () => {
    const { primary, secondary } = await pair("race-always-1");
    const refused = await merge(cuts.url, primary, { from_user_id: secondary });
    assertError(refused, 409, "conflict");
    const kept = (await get(cuts.url, secondary)).body;
    assert.ok(await secondaryWhole(secondary));
    assert.deepEqual([kept.late_1, kept.late_2, kept.late_3], [true, true, true], "every late write kept");
    assert.ok(await inPrimary(primary), "what was merged stays merged");
  });

  test("the secondary deleted by another request meanwhile: the merge made stands, 200", async () => {
    const { primary, secondary } = await pair("gone-1");
    const merged = await merge(cuts.url, primary, { from_user_id: secondary });
    assert.equal(merged.status, 200, merged.text);
    assert.ok(await inPrimary(primary));
    assert.equal((await get(cuts.url, secondary)).status, 404);
  });
});
