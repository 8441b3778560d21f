// Listing users, `GET /v1/users` (contract §10), under real workerd: Knock's
// SDK unchanged pages through every user of its environment exactly once
// (auto-pagination over more than two pages), `before` pages back,
// `include[]=preferences`, the email filter, every bad parameter a 422
// naming it, public keys refused, environments apart (their cursors too),
// users appearing after their first identify and leaving after their
// delete, users created and deleted while a client pages (never one seen
// twice, never one skipped that existed throughout), the route's own rate
// limit, users written before the index, the index in D1 failing on cue
// (a 503 for the list; the flush retrying its write), and the route under
// `wrangler dev` with the repository's wrangler.toml.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import Knock from "@knocklabs/node";
import {
  apiWorker,
  freshLimiterWindow,
  KEYS,
  removeDir,
  send,
  signingKeyPair,
  startMiniflare,
  startWorkers,
  startWranglerDev,
  tempDir,
  waitFor,
} from "./helpers.mjs";

/** Each test lists an environment of its own: key → environment. */
const ENVIRONMENTS = Object.fromEntries(
  ["sdk", "back", "prefs", "email", "bad", "life", "paging", "apart", "legacy", "both"].map((name) => [`sk_list_${name}`, `list-${name}`]),
);
const keyOf = (name) => `sk_list_${name}`;
const PUBLIC_KEY = "pk_list";

let server;
before(async () => {
  server = await startMiniflare({
    apiKeys: JSON.stringify({ ...KEYS, ...ENVIRONMENTS }),
    vars: { PUBLIC_KEYS: JSON.stringify({ [PUBLIC_KEY]: { environment: "list-sdk", signing_keys: [signingKeyPair().publicKey] } }) },
  });
});
after(() => server?.stop());

const knockFor = (name, url = server.url) => new Knock({ apiKey: keyOf(name), baseURL: url, maxRetries: 0 });
/** `GET /v1/users?query` as environment `name`. */
const list = (name, query = "", url = server.url, key = keyOf(name)) => send(url, "GET", null, { path: `/v1/users${query ? `?${query}` : ""}`, key });
const put = (name, id, body, url = server.url) => send(url, "PUT", id, { body: JSON.stringify(body), key: keyOf(name) });
const del = (name, id, url = server.url) => send(url, "DELETE", id, { key: keyOf(name) });
/** Ids in the list's order: their UTF-8 bytes compared, as SQLite compares text. */
const byBytes = (ids) => [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** Identifies each id of `ids` with `body(id)`, 8 at a time; the answers by id. */
async function identifyAll(name, ids, body = () => ({}), url = server.url) {
  const answers = {};
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const answer = await put(name, id, body(id), url);
      assert.equal(answer.status, 200, answer.text);
      answers[id] = answer.body;
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return answers;
}

/** Every id the list holds, page by page through the raw API (with `query`). */
async function listedIds(name, query = "", url = server.url) {
  const ids = [];
  let cursor = null;
  do {
    const page = await list(name, [query, "page_size=50", cursor && `after=${encodeURIComponent(cursor)}`].filter(Boolean).join("&"), url);
    assert.equal(page.status, 200, page.text);
    ids.push(...page.body.entries.map((user) => user.id));
    cursor = page.body.page_info.after;
  } while (cursor);
  return ids;
}

/** Waits until the list of `name` holds exactly `ids` (the index follows each flush). */
const listHolds = (name, ids, query = "", url = server.url) =>
  waitFor(async () => JSON.stringify(await listedIds(name, query, url)) === JSON.stringify(byBytes(ids)), `the list of ${name} to hold ${ids.length} users`);

function assertRefused(answer, field, type, message) {
  assert.equal(answer.status, 422, answer.text);
  assert.equal(answer.body.code, "invalid_params", answer.text);
  assert.deepEqual(answer.body.errors.map((problem) => problem.field), [field], answer.text);
  assert.equal(answer.body.errors[0].type, type, answer.text);
  if (message) assert.equal(answer.body.errors[0].message, message);
}

describe("listing with Knock's SDK", () => {
  const ids = ["Zed", "a?b&c=d", "alice", "bob", "carol", "user 100%", "ü-user", "😀", ...Array.from({ length: 15 }, (_, i) => `user-${String(i).padStart(2, "0")}`)];
  let answers;
  before(async () => {
    answers = await identifyAll("sdk", ids, (id) => ({ name: `Name of ${id}`, plan: { seats: 3 } }));
    await listHolds("sdk", ids);
  });

  test("auto-pagination visits every user exactly once, in the order of their ids, each as GET answers it", async () => {
    const knock = knockFor("sdk");
    const seen = [];
    for await (const user of knock.users.list({ page_size: 5 })) seen.push(user);
    assert.deepEqual(seen.map((user) => user.id), byBytes(ids), "every user once, by id");
    for (const user of seen) assert.deepEqual(user, answers[user.id]);
    // Five pages: the first with no `before`, the last with no `after`.
    const pages = [];
    for await (const page of (await knock.users.list({ page_size: 5 })).iterPages()) pages.push(page);
    assert.equal(pages.length, 5);
    assert.deepEqual(pages.map((page) => page.entries.length), [5, 5, 5, 5, 3]);
    assert.equal(pages[0].page_info.before, null);
    assert.equal(pages.at(-1).page_info.after, null);
    assert.ok(pages.slice(1).every((page) => typeof page.page_info.before === "string"));
    assert.ok(pages.slice(0, -1).every((page) => typeof page.page_info.after === "string"));
    assert.deepEqual(pages[0].page_info, { __typename: "PageInfo", after: pages[0].page_info.after, before: null, page_size: 5 });
  });

  test("the default page holds 50: every user on one page, neither cursor", async () => {
    const page = await knockFor("sdk").users.list();
    assert.equal(page.entries.length, ids.length);
    assert.deepEqual(page.page_info, { __typename: "PageInfo", after: null, before: null, page_size: 50 });
  });

  test("the answer is exactly `entries` and `page_info`; a public key may not list (403)", async () => {
    const answer = await list("sdk", "page_size=1");
    assert.deepEqual(Object.keys(answer.body), ["entries", "page_info"]);
    assert.equal(answer.headers.get("content-type"), "application/json");
    const refused = await list("sdk", "", server.url, PUBLIC_KEY);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.code, "forbidden");
  });

  test("the route takes GET only", async () => {
    const answer = await send(server.url, "POST", null, { path: "/v1/users", body: "{}", key: keyOf("sdk") });
    assert.equal(answer.status, 405, answer.text);
    assert.equal(answer.headers.get("allow"), "GET");
  });
});

describe("cursors", () => {
  const ids = Array.from({ length: 12 }, (_, i) => `back-${String(i).padStart(2, "0")}`);
  before(async () => {
    await identifyAll("back", ids);
    await listHolds("back", ids);
  });
  const page = async (query) => {
    const answer = await list("back", query);
    assert.equal(answer.status, 200, answer.text);
    return { ids: answer.body.entries.map((user) => user.id), ...answer.body.page_info };
  };

  test("`before` pages back: each page's `before` gives the page before it, the first with no `before`", async () => {
    const first = await page("page_size=5");
    const second = await page(`page_size=5&after=${first.after}`);
    const third = await page(`page_size=5&after=${second.after}`);
    assert.deepEqual([first.ids, second.ids, third.ids], [ids.slice(0, 5), ids.slice(5, 10), ids.slice(10)]);
    assert.equal(third.after, null);
    const backToSecond = await page(`page_size=5&before=${third.before}`);
    assert.deepEqual(backToSecond.ids, second.ids);
    assert.equal(typeof backToSecond.before, "string");
    assert.equal(typeof backToSecond.after, "string");
    const backToFirst = await page(`page_size=5&before=${backToSecond.before}`);
    assert.deepEqual(backToFirst.ids, first.ids);
    assert.equal(backToFirst.before, null, "nothing before the first page");
    assert.deepEqual((await page(`page_size=5&after=${backToFirst.after}`)).ids, second.ids);
    // A short page back, from the middle: the four users before the cursor.
    assert.deepEqual((await page(`page_size=4&before=${second.before}`)).ids, ids.slice(1, 5));
  });

  test("a cursor is a place in the list: a page after the last user is empty, with neither cursor", async () => {
    const eleven = await page("page_size=11");
    const last = await page(`page_size=5&after=${eleven.after}`);
    assert.deepEqual(last.ids, [ids[11]]);
    assert.equal(last.after, null);
    // `before` names the page's first user: after it, nothing.
    const beyond = await page(`page_size=5&after=${last.before}`);
    assert.deepEqual(beyond, { ids: [], __typename: "PageInfo", after: null, before: null, page_size: 5 });
  });

  test("with both cursors (as the SDK sends them when it pages on from a `before` page), `after` is followed", async () => {
    const knock = knockFor("back");
    const third = await page("page_size=5&after=" + (await page("page_size=5&after=" + (await page("page_size=5")).after)).after);
    const pageBack = await knock.users.list({ page_size: 5, before: third.before });
    assert.deepEqual(pageBack.entries.map((user) => user.id), ids.slice(5, 10));
    const next = await pageBack.getNextPage();
    assert.deepEqual(next.entries.map((user) => user.id), ids.slice(10));
    const seen = [];
    for await (const user of knock.users.list({ page_size: 5, before: third.before })) seen.push(user.id);
    assert.deepEqual(seen, ids.slice(5));
  });
});

describe("include[]=preferences", () => {
  const CHANNEL = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
  before(async () => {
    await put("prefs", "prefs-1", {
      name: "Two sets",
      preferences: {
        default: { channel_types: { email: false }, workflows: { "welcome-flow": true }, commercial_subscribed: true },
        "tenant-a": { categories: { marketing: false } },
      },
      channel_data: { [CHANNEL]: { tokens: ["t"] } },
    });
    await put("prefs", "prefs-2", { name: "No sets" });
    await listHolds("prefs", ["prefs-1", "prefs-2"]);
  });

  test("each entry carries its preference sets, as the preference set route answers each; without it, none", async () => {
    const listed = await knockFor("prefs").users.list({ include: ["preferences"] });
    const [one, two] = listed.entries;
    const set = async (id) => (await send(server.url, "GET", null, { path: `/v1/users/prefs-1/preferences/${id}`, key: keyOf("prefs") })).body;
    assert.deepEqual(one.preferences, [await set("default"), await set("tenant-a")]);
    assert.deepEqual(one.preferences[0], {
      __typename: "PreferenceSet",
      id: "default",
      categories: null,
      channel_types: { email: false },
      workflows: { "welcome-flow": true },
      commercial_subscribed: true,
    });
    assert.deepEqual(two.preferences, []);
    const { preferences, ...user } = one;
    assert.deepEqual(user, (await send(server.url, "GET", "prefs-1", { key: keyOf("prefs") })).body, "the user as GET answers it");
    assert.ok(!("channel_data" in one), "channel data is never listed");
    const plain = await list("prefs");
    assert.ok(plain.body.entries.every((entry) => !("preferences" in entry)));
    // `include[]` is Knock's name; `include` is read the same.
    assert.deepEqual((await list("prefs", "include=preferences")).body, (await list("prefs", "include%5B%5D=preferences")).body);
  });

  test("a set changed after listing is listed changed", async () => {
    await send(server.url, "PUT", null, { path: "/v1/users/prefs-2/preferences/default", body: JSON.stringify({ channel_types: { sms: false } }), key: keyOf("prefs") });
    await waitFor(async () => (await list("prefs", "include[]=preferences")).body.entries[1].preferences.length === 1, "the new set listed");
    assert.deepEqual((await list("prefs", "include[]=preferences")).body.entries[1].preferences[0].channel_types, { sms: false });
  });
});

describe("finding users by email", () => {
  before(async () => {
    await identifyAll("email", ["e-1", "e-2", "e-3", "e-4", "e-5"], (id) => ({
      email: { "e-1": "jane@example.com", "e-2": "Jane@example.com", "e-3": "jane@example.com", "e-4": "joe@example.com" }[id] ?? null,
    }));
    await listHolds("email", ["e-1", "e-2", "e-3", "e-4", "e-5"]);
  });

  test("`email` finds the users with exactly that address, case as stored, and pages like the list", async () => {
    const found = await list("email", "email=jane%40example.com");
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.body.entries.map((user) => user.id), ["e-1", "e-3"]);
    assert.deepEqual((await list("email", "email=Jane@example.com")).body.entries.map((user) => user.id), ["e-2"]);
    assert.deepEqual((await list("email", "email=nobody@example.com")).body.entries, []);
    const first = await list("email", "email=jane@example.com&page_size=1");
    assert.deepEqual(first.body.entries.map((user) => user.id), ["e-1"]);
    const second = await list("email", `email=jane@example.com&page_size=1&after=${first.body.page_info.after}`);
    assert.deepEqual(second.body.entries.map((user) => user.id), ["e-3"]);
    assert.equal(second.body.page_info.after, null);
  });

  test("a user whose email changes moves to its new address", async () => {
    await put("email", "e-5", { email: "jane@example.com" });
    await put("email", "e-1", { email: null });
    await listHolds("email", ["e-3", "e-5"], "email=jane@example.com");
  });
});

describe("bad parameters: a 422 naming each", () => {
  let otherCursor;
  let ownCursor;
  before(async () => {
    await identifyAll("bad", ["bad-1", "bad-2"]);
    await identifyAll("apart", ["apart-1", "apart-2"]);
    await listHolds("bad", ["bad-1", "bad-2"]);
    await listHolds("apart", ["apart-1", "apart-2"]);
    otherCursor = (await list("apart", "page_size=1")).body.page_info.after;
    ownCursor = (await list("bad", "page_size=1")).body.page_info.after;
  });

  const pageSize = (shown) => `expected a page size from 1 to 50, in digits without a sign, space or leading zero, got \`${shown}\``;
  const cursor = "expected a cursor from `page_info.after` or `page_info.before` of a page of this environment's users";

  for (const [value, shown] of [["0", "0"], ["51", "51"], ["-1", "-1"], ["x", "x"], ["", ""], ["07", "07"], ["5.0", "5.0"]]) {
    test(`page_size=${value}`, async () => {
      assertRefused(await list("bad", `page_size=${encodeURIComponent(value)}`), "page_size", "format", pageSize(shown));
    });
  }

  for (const field of ["after", "before"]) {
    test(`${field}: not a cursor, a change history's cursor, another environment's cursor`, async () => {
      for (const value of ["x", "", "bm90IG91cnM", "Y2hhbmdlczox", otherCursor, `${ownCursor}x`, ownCursor.slice(0, -2)]) {
        assertRefused(await list("bad", `${field}=${encodeURIComponent(value)}`), field, "format", cursor);
      }
      assert.equal((await list("bad", `${field}=${ownCursor}`)).status, 200);
    });
  }

  test("include[] other than preferences; an empty email", async () => {
    assertRefused(await list("bad", "include[]=channel_data"), "include[]", "unknown_value", "expected `preferences`, got `channel_data`");
    assertRefused(await list("bad", "email="), "email", "format", "expected an email address to find, got an empty value");
  });

  test("every bad parameter at once, in one answer", async () => {
    const answer = await list("bad", "page_size=0&after=x&before=y&include[]=z&email=");
    assert.equal(answer.status, 422, answer.text);
    assert.deepEqual(answer.body.errors.map((problem) => problem.field), ["page_size", "after", "before", "include[]", "email"]);
  });

  test("another environment's users are never listed, by either environment", async () => {
    assert.deepEqual(await listedIds("bad"), ["bad-1", "bad-2"]);
    assert.deepEqual(await listedIds("apart"), ["apart-1", "apart-2"]);
    assert.deepEqual((await list("apart", `after=${encodeURIComponent(otherCursor)}`)).body.entries.map((user) => user.id), ["apart-2"]);
  });
});

describe("a user's life in the list", () => {
  test("a user identified appears; a deleted one leaves; identified again, it is back", async () => {
    assert.deepEqual(await listedIds("life"), []);
    const answer = await put("life", "life-1", { name: "New" });
    await listHolds("life", ["life-1"]);
    assert.deepEqual((await list("life")).body.entries, [answer.body]);
    const changed = await put("life", "life-1", { name: "Changed" });
    await waitFor(async () => (await list("life")).body.entries[0]?.name === "Changed", "the change listed");
    assert.deepEqual((await list("life")).body.entries, [changed.body]);
    assert.equal((await del("life", "life-1")).status, 204);
    await listHolds("life", []);
    await put("life", "life-1", { name: "Again" });
    await listHolds("life", ["life-1"]);
  });

  test("a user created through a bulk identify appears too", async () => {
    const queued = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users: [{ id: "life-bulk-1" }, { id: "life-bulk-2" }] }), key: keyOf("life") });
    assert.equal(queued.status, 200, queued.text);
    await listHolds("life", ["life-1", "life-bulk-1", "life-bulk-2"]);
  });
});

describe("users created and deleted while a client pages", () => {
  test("no user is seen twice, and none that existed throughout is skipped", async () => {
    const original = Array.from({ length: 30 }, (_, i) => `p${String(i).padStart(2, "0")}`);
    await identifyAll("paging", original);
    await listHolds("paging", original);
    const seen = [];
    let cursor = null;
    const nextPage = async () => {
      const answer = await list("paging", `page_size=5${cursor ? `&after=${cursor}` : ""}`);
      assert.equal(answer.status, 200, answer.text);
      seen.push(...answer.body.entries.map((user) => user.id));
      cursor = answer.body.page_info.after;
    };
    const listed = (id, present) =>
      waitFor(async () => (await listedIds("paging")).includes(id) === present, `${id} ${present ? "listed" : "gone"}`);
    await nextPage(); // p00..p04
    // Two users created before the client's place, one after it.
    await identifyAll("paging", ["p000", "p001", "p295"]);
    for (const id of ["p000", "p001", "p295"]) await listed(id, true);
    await nextPage();
    await nextPage();
    // Two users the client has seen deleted, and one it has not reached.
    for (const id of ["p02", "p03", "p25"]) assert.equal((await del("paging", id)).status, 204);
    for (const id of ["p02", "p03", "p25"]) await listed(id, false);
    while (cursor) await nextPage();
    const twice = seen.filter((id, i) => seen.indexOf(id) !== i);
    const throughout = original.filter((id) => !["p02", "p03", "p25"].includes(id));
    const skipped = throughout.filter((id) => !seen.includes(id));
    assert.deepEqual({ twice, skipped }, { twice: [], skipped: [] }, "no user seen twice, none that existed throughout skipped");
    assert.ok(seen.includes("p295"), "a user created ahead of the client is reached");
    assert.ok(!seen.includes("p25"), "a user deleted before the client reached it is not listed");
  });
});

describe("users written before the index", () => {
  test("a user only in KV is listed once its object adopts it (its first request, a GET too)", async () => {
    const kv = await server.kv();
    const record = { user: { __typename: "User", id: "legacy-kv", avatar: null, created_at: null, email: null, locale: null, name: "Old", phone_number: null, timezone: null, updated_at: "2026-01-02T03:04:05.678Z" }, preferences: {}, channel_data: {} };
    await kv.put("list-legacy/users/legacy-kv", JSON.stringify(record));
    await put("legacy", "legacy-new", {});
    await listHolds("legacy", ["legacy-new"]);
    const read = await send(server.url, "GET", "legacy-kv", { key: keyOf("legacy") });
    assert.equal(read.status, 200, read.text);
    await listHolds("legacy", ["legacy-kv", "legacy-new"]);
    assert.deepEqual((await list("legacy")).body.entries[0], record.user);
  });
});

test("the route has its own rate limit: past it 429, while GET keeps its budget", async () => {
  const limited = await startMiniflare({ apiKeys: JSON.stringify(KEYS), limits: { list: 3 } });
  try {
    await freshLimiterWindow();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(limited.url, "GET", null, { path: "/v1/users" })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal((await send(limited.url, "GET", "nobody")).status, 404, "GET of a user still counts on its own");
  } finally {
    await limited.stop();
  }
});

describe("an object of the version before the index", () => {
  test("its user is listed once any request wakes the object", async () => {
    const persist = tempDir("list-upgrade");
    try {
      let upgraded = await startMiniflare({ persist });
      assert.equal((await send(upgraded.url, "PUT", "old-object", { body: '{"name": "Before"}' })).status, 200);
      // Flushed (KV has it): the object owes no alarm when it starts again.
      await waitFor(async () => (await (await upgraded.kv()).get("env-a/users/old-object")) !== null, "KV to hold the user");
      await upgraded.stop();
      // The previous version: no `indexed_version`, and no index at all.
      for (const file of sqliteFiles(persist, "UserObject")) {
        const db = new DatabaseSync(file);
        if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'user_state'").get()) db.exec("ALTER TABLE user_state DROP COLUMN indexed_version");
        db.close();
      }
      for (const folder of readdirSync(persist).filter((name) => name.endsWith("D1DatabaseObject"))) removeDir(join(persist, folder));
      upgraded = await startMiniflare({ persist });
      try {
        const ids = async () => (await send(upgraded.url, "GET", null, { path: "/v1/users" })).body.entries.map((user) => user.id);
        assert.deepEqual(await ids(), []);
        assert.equal((await send(upgraded.url, "GET", "old-object")).status, 200);
        await waitFor(async () => (await ids()).includes("old-object"), "the woken object's user listed");
      } finally {
        await upgraded.stop();
      }
    } finally {
      removeDir(persist);
    }
  });
});

/** The SQLite files of `className`'s Durable Objects under `persist`. */
function sqliteFiles(persist, className) {
  const files = [];
  for (const folder of readdirSync(persist).filter((name) => name.endsWith(className))) {
    for (const name of readdirSync(join(persist, folder))) {
      if (name.endsWith(".sqlite") && name !== "metadata.sqlite") files.push(join(persist, folder, name));
    }
  }
  assert.ok(files.length, `no ${className} databases under ${persist}: ${readdirSync(persist)}`);
  return files;
}

/**
 * The built Worker with its index, a real local D1 database (`REAL` of
 * the worker "faulty-d1"), behind a wrapper (Miniflare's
 * wrappedBindings) that fails on cue: the test writes `reads` or
 * `writes` in the wrapper's KV namespace CONTROL: `refuse` (every such
 * statement throws), `hang` (never settles) or a number (the next N
 * throw). Statements that create the schema always pass.
 */
function withFaultyD1(persist) {
  const faultyD1 = `
    const kind = (sql) => /^\\s*CREATE/i.test(sql) ? "schema" : /^\\s*SELECT/i.test(sql) ? "reads" : "writes";
    async function gate(env, kinds, call) {
      for (const which of kinds) {
        if (which === "schema") continue;
        const mode = await env.CONTROL.get(which);
        if (mode === "hang") return new Promise(() => {});
        if (mode === "refuse") throw new Error("D1_ERROR: the index is unavailable (test)");
        if (mode && Number(mode) > 0) {
          await env.CONTROL.put(which, String(Number(mode) - 1));
          throw new Error("D1_ERROR: the index is unavailable (test)");
        }
      }
      return call();
    }
    class D1PreparedStatement {
      constructor(env, sql, real) { this.env = env; this.sql = sql; this.real = real; }
      bind(...values) { return new D1PreparedStatement(this.env, this.sql, this.real.bind(...values)); }
      first(...args) { return gate(this.env, [kind(this.sql)], () => this.real.first(...args)); }
      run(...args) { return gate(this.env, [kind(this.sql)], () => this.real.run(...args)); }
      all(...args) { return gate(this.env, [kind(this.sql)], () => this.real.all(...args)); }
      raw(...args) { return gate(this.env, [kind(this.sql)], () => this.real.raw(...args)); }
    }
    class D1Database {
      constructor(env) { this.env = env; }
      prepare(sql) { return new D1PreparedStatement(this.env, sql, this.env.REAL.prepare(sql)); }
      batch(statements) {
        return gate(this.env, statements.map((statement) => kind(statement.sql)), () => this.env.REAL.batch(statements.map((statement) => statement.real)));
      }
      exec(sql) { return gate(this.env, [kind(sql)], () => this.env.REAL.exec(sql)); }
      withSession() { return this; }
    }
    export default function (env) { return new D1Database(env); }`;
  return startWorkers(
    [
      apiWorker(persist, {
        d1Databases: [],
        wrappedBindings: { USERS_INDEX: { scriptName: "faulty-d1" } },
      }),
      { name: "faulty-d1", modules: true, script: faultyD1, d1Databases: ["REAL"], kvNamespaces: ["CONTROL"] },
    ],
    persist,
  );
}

describe("the index failing on cue", () => {
  let workers;
  let control;
  before(async () => {
    workers = await withFaultyD1(tempDir("faulty-d1"));
    control = await workers.mf.getKVNamespace("CONTROL", "faulty-d1");
  });
  after(() => workers?.stop());
  const logged = (pattern) => workers.logs.filter(({ message }) => pattern.test(message));
  const listing = () => send(workers.url, "GET", null, { path: "/v1/users" });

  test("the index refusing the list's read: 503 with Retry-After, nothing else said; then it lists again", async () => {
    assert.equal((await send(workers.url, "PUT", "d1-read-1", { body: "{}" })).status, 200);
    await waitFor(async () => (await listing()).body?.entries?.length === 1, "the user listed");
    await control.put("reads", "refuse");
    try {
      const refused = await listing();
      assert.equal(refused.status, 503, refused.text);
      assert.equal(refused.body.code, "service_unavailable");
      assert.equal(refused.headers.get("retry-after"), "2");
      assert.doesNotMatch(refused.text, /D1|index/);
      assert.ok(logged(new RegExp(`request ${refused.body.request_id}: 503 service_unavailable: .*the index is unavailable`)).length, "the log says why");
    } finally {
      await control.delete("reads");
    }
    assert.equal((await listing()).status, 200);
  });

  test("the index never answering the list's read: 503 after 10 s", { timeout: 60_000 }, async () => {
    await control.put("reads", "hang");
    try {
      const started = Date.now();
      const refused = await listing();
      assert.equal(refused.status, 503, refused.text);
      assert.ok(Date.now() - started >= 9_500, `answered after ${Date.now() - started} ms`);
      assert.ok(logged(new RegExp(`request ${refused.body.request_id}: 503 .*no answer within 10 s`)).length);
    } finally {
      await control.delete("reads");
    }
  });

  test("the index refusing a flush's writes: the object retries (1 s, then 2 s), KV is written once, and the user is listed", { timeout: 60_000 }, async () => {
    await control.put("writes", "2");
    const answer = await send(workers.url, "PUT", "d1-write-1", { body: '{"name": "Retried"}' });
    assert.equal(answer.status, 200, answer.text);
    await waitFor(async () => (await listing()).body.entries.some((user) => user.id === "d1-write-1"), "the user listed", 30_000);
    const failures = logged(/^index-write-failed key=\w+ version=1 retry_in_ms=(\d+): .*the index is unavailable/);
    assert.deepEqual(failures.map(({ message }) => Number(/retry_in_ms=(\d+)/.exec(message)[1])), [1_000, 2_000]);
    const key = /key=(\w+)/.exec(failures[0].message)[1];
    assert.equal(logged(new RegExp(`^flushed key=${key} op=put version=1 kv=\\w+ index=yes `)).length, 1);
    assert.equal(logged(new RegExp(`^flushed key=${key} op=put version=1 kv=yes `)).length, 1, "KV written once: its write is not repeated");
    // A DELETE's flush refused once: the user stays listed until the retry takes it away.
    await control.put("writes", "1");
    assert.equal((await send(workers.url, "DELETE", "d1-write-1")).status, 204);
    await waitFor(async () => !(await listing()).body.entries.some((user) => user.id === "d1-write-1"), "the user gone", 30_000);
    assert.equal(logged(new RegExp(`^index-write-failed key=${key} version=2 `)).length, 1);
    assert.equal(logged(new RegExp(`^flushed key=${key} op=delete version=2 kv=yes `)).length, 1);
  });
});

test("under `wrangler dev` (the repository's wrangler.toml, no account), a user identified is listed", { timeout: 180_000 }, async () => {
  const dev = await startWranglerDev();
  try {
    const auth = { key: "sk_test_local" };
    assert.equal((await send(dev.url, "PUT", "dev-listed-1", { ...auth, body: '{"email": "dev@example.com"}' })).status, 200);
    await waitFor(async () => {
      const answer = await send(dev.url, "GET", null, { ...auth, path: "/v1/users?email=dev@example.com" });
      return answer.status === 200 && answer.body.entries.some((user) => user.id === "dev-listed-1");
    }, "the user listed", 30_000);
    assert.equal((await send(dev.url, "DELETE", "dev-listed-1", auth)).status, 204);
    await waitFor(async () => (await send(dev.url, "GET", null, { ...auth, path: "/v1/users" })).body.entries.length === 0, "the user gone", 30_000);
  } finally {
    await dev.stop();
    removeDir(dev.persist);
  }
});
