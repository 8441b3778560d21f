// No lost updates: every user's identifies go through that user's Durable
// Object, which applies them one after another and writes the record
// through to Workers KV at most once per second. Against the repository's
// own configuration under `wrangler dev` (wrangler.toml's Durable Object
// binding and migration, .dev.vars), with KV and the objects in a
// throwaway folder.
//
// KV writes are counted twice: from outside, as the new value files
// (blobs) that workerd's local KV creates in the persist folder, one per
// write, read as they appear; and from the object's own log, one line
// `flushed key=<digest> ... kv=yes ...` per KV write in wrangler dev's output.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, watch } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { ROOT, removeDir, send, startWranglerDev, tempDir, waitFor } from "./helpers.mjs";

const DEV_KEY = "sk_test_local";
const ENVIRONMENT = "development";
/** wrangler.toml's KV namespace id: workerd keeps its values under it. */
const NAMESPACE_ID = /\[\[kv_namespaces\]\][^[]*?id\s*=\s*"([^"]+)"/.exec(readFileSync(join(ROOT, "wrangler.toml"), "utf8"))[1];
const run = promisify(execFile);

const persist = tempDir("concurrency");
let server;
before(async () => {
  server = await startWranglerDev({ persist, timeoutMs: 300_000 });
});
after(async () => {
  await server?.stop();
  removeDir(persist);
});

const put = (id, body) => send(server.url, "PUT", id, { body: JSON.stringify(body), key: DEV_KEY });
const get = (id) => send(server.url, "GET", id, { key: DEV_KEY });
const byUpdatedAt = (a, b) => (a.body.updated_at < b.body.updated_at ? -1 : a.body.updated_at > b.body.updated_at ? 1 : 0);
/** A user id no earlier run or test has used. */
const freshId = (name) => `${name}-${process.pid}-${Date.now()}`;

/** The KV key of a user (contract §7; the ids here are short). */
const kvKey = (userId) => `${ENVIRONMENT}/users/${userId}`;
/** The object's log name of a key: the first 16 hex digits of its SHA-256. */
const keyDigest = (userId) => createHash("sha256").update(kvKey(userId)).digest("hex").slice(0, 16);

/** The object's log lines of a user's KV writes, in order: { op, bytes, version }. */
function kvWriteLines(userId) {
  const pattern = new RegExp(`flushed key=${keyDigest(userId)} op=(\\w+) version=(\\d+) kv=yes index=\\w+ bytes=(\\d+)`, "g");
  return [...server.output().matchAll(pattern)].map(([, op, version, bytes]) => ({ op, bytes: Number(bytes), version: Number(version) }));
}

/** The value KV holds for a user, read from the persist folder by `wrangler kv key get --local`. */
async function readKv(userId) {
  try {
    const { stdout } = await run(
      join(ROOT, "node_modules", ".bin", "wrangler"),
      ["kv", "key", "get", "--local", "--persist-to", persist, "--binding", "USERS", kvKey(userId)],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
    return stdout.trim() === "Value not found" ? null : stdout;
  } catch (error) {
    throw new Error(`wrangler kv key get failed: ${error.stderr ?? error.message}`);
  }
}

/**
 * Watches local KV's value files: every write of a value creates a new
 * file. Returns { seen(), stop() }, each giving [{ name, text, at }]: the
 * files created since, their text read as they appeared, and when.
 */
function watchKvWrites() {
  const dir = join(persist, "v3", "kv", NAMESPACE_ID, "blobs");
  const created = new Map();
  const watcher = watch(dir, (event, name) => {
    // A value is written to a hidden temporary file, then renamed to its own name.
    if (!name || name.startsWith(".") || created.has(name)) return;
    let text = null;
    try {
      text = readFileSync(join(dir, name), "utf8");
    } catch {
      return; // a removal (the value it held was replaced), not a creation
    }
    created.set(name, { text, at: Date.now() });
  });
  const files = () => [...created].map(([name, { text, at }]) => ({ name, text, at }));
  return {
    seen: files,
    stop() {
      watcher.close();
      return files();
    },
  };
}

for (let repetition = 1; repetition <= 5; repetition++) {
  test(`50 concurrent identifies of one user, each its own property: none lost (repetition ${repetition} of 5)`, async (t) => {
    const id = freshId(`props-${repetition}`);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => put(id, { [`p${i}`]: i })));
    assert.deepEqual(answers.map((a) => a.status), Array(50).fill(200), answers.find((a) => a.status !== 200)?.text);

    const read = await get(id);
    assert.equal(read.status, 200, read.text);
    const found = Object.keys(read.body).filter((key) => /^p\d+$/.test(key)).length;
    t.diagnostic(`${answers.filter((a) => a.status === 200).length} of 50 answered 200; ${found} of 50 properties stored`);
    for (let i = 0; i < 50; i++) assert.equal(read.body[`p${i}`], i, `p${i} is kept`);

    // Each answer is the user after that identify: sorted by updated_at,
    // each one holds every property of the answers before it, plus its own.
    const sorted = [...answers].sort(byUpdatedAt);
    assert.equal(new Set(sorted.map((a) => a.body.updated_at)).size, 50, "distinct updated_at");
    const seen = {};
    for (const [position, answer] of sorted.entries()) {
      const own = Object.keys(answer.body).filter((key) => /^p\d+$/.test(key));
      for (const [key, value] of Object.entries(seen)) {
        assert.equal(answer.body[key], value, `answer ${position} (${answer.body.updated_at}) lost ${key}`);
      }
      assert.equal(own.length, position + 1, `answer ${position} holds ${position + 1} properties`);
      for (const key of own) seen[key] = answer.body[key];
    }
    assert.deepEqual(read.body, sorted.at(-1).body, "GET answers the user of the last identify");
  });
}

test("50 concurrent identifies of one user setting the same property: each sees its own value, the latest is stored", async (t) => {
  const id = freshId("slot");
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => put(id, { slot: i, name: `writer ${i}` })));
  assert.deepEqual(answers.map((a) => a.status), Array(50).fill(200));
  answers.forEach((answer, i) => {
    assert.equal(answer.body.slot, i, "each answer shows its own value");
    assert.equal(answer.body.name, `writer ${i}`);
  });
  const stamps = answers.map((a) => a.body.updated_at);
  t.diagnostic(`${new Set(stamps).size} distinct updated_at of 50`);
  assert.equal(new Set(stamps).size, 50, "the 50 updated_at are distinct");
  for (const stamp of stamps) assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const latest = [...answers].sort(byUpdatedAt).at(-1);
  const read = await get(id);
  assert.equal(read.status, 200, read.text);
  assert.equal(read.body.slot, latest.body.slot, "the stored value is the one of the latest updated_at");
  assert.deepEqual(read.body, latest.body);
});

test("a burst of 100 identifies within a second: at most 2 KV writes of the key, then KV holds what GET answers", async (t) => {
  const id = freshId("burst");
  // Earlier tests' users may still be flushed meanwhile: their value files
  // are told apart by their content.
  const watcher = watchKvWrites();
  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => put(id, { n: i, [`k${i}`]: true })));
  const took = Date.now() - started;
  assert.deepEqual(answers.map((a) => a.status), Array(100).fill(200));
  // The object logs each KV write after it; the last holds the 100th identify.
  await waitFor(() => kvWriteLines(id).some((line) => line.version === 100), "the KV write of the 100th identify", 30_000);
  const lines = kvWriteLines(id);
  const isOurs = (file) => JSON.parse(file.text).user?.id === id;
  // Local KV's value file of the last write may be seen a moment after the log line.
  await waitFor(() => watcher.seen().filter(isOurs).length >= lines.length, "local KV's value file of every logged write");
  const files = watcher.stop();
  const ours = files.filter(isOurs);
  const gaps = ours.slice(1).map((file, i) => file.at - ours[i].at);
  t.diagnostic(
    `burst of 100 took ${took} ms; KV writes of the key: ${lines.length} logged by the object ` +
      `(versions ${lines.map((line) => line.version).join(", ")}), ${ours.length} value files seen in local KV` +
      (gaps.length ? `, ${gaps.join(", ")} ms apart` : ""),
  );
  assert.equal(ours.length, lines.length, `value files created in local KV: ${files.map((f) => f.name).join(", ")}`);
  // At most one write per second: the first at once, then one a second later
  // with everything since. A burst within one second makes at most 2.
  const bound = took < 1_000 ? 2 : 1 + Math.ceil(took / 1_000);
  assert.ok(lines.length >= 1 && lines.length <= bound, `${lines.length} KV writes for a burst of ${took} ms (at most ${bound})`);
  // The spacing itself (a second after the last write) is the unit test of
  // `plan_flush`, on an injected clock; here the gaps are only reported.
  assert.deepEqual(lines.at(-1), { op: "put", bytes: lines.at(-1).bytes, version: 100 }, "the last write holds the 100th identify");

  const read = await get(id);
  assert.equal(read.status, 200, read.text);
  for (let i = 0; i < 100; i++) assert.equal(read.body[`k${i}`], true, `k${i} is kept`);
  const text = await readKv(id);
  assert.ok(text, "KV holds the user");
  assert.equal(Buffer.byteLength(text), lines.at(-1).bytes);
  const stored = JSON.parse(text);
  assert.deepEqual(stored.user, read.body, "KV holds exactly the user GET answers");
  assert.deepEqual(Object.keys(stored).sort(), ["channel_data", "preferences", "user"]);
  assert.equal(files.at(-1).text, text, "the last value file written is the value KV holds");
});

test("DELETE removes the user from the object at once and from KV within a second; a new identify starts afresh", async () => {
  const id = freshId("lifecycle");
  assert.equal((await put(id, { name: "Kept", plan: { tier: "pro" } })).status, 200);
  await waitFor(async () => JSON.parse((await readKv(id)) ?? "null")?.user.name === "Kept", "KV's write of the user");
  const deleted = await send(server.url, "DELETE", id, { key: DEV_KEY });
  assert.equal(deleted.status, 204);
  assert.equal((await get(id)).status, 404, "read-your-writes: the object answers 404 at once");
  await waitFor(async () => (await readKv(id)) === null, "KV's delete of the user");
  assert.deepEqual(kvWriteLines(id).map((line) => line.op), ["put", "delete"]);
  // A new identify starts a new user: nothing of the deleted one comes back.
  const again = await put(id, { name: "New" });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.plan, undefined);
  assert.equal(again.body.name, "New");
});
