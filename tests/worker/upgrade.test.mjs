// Objects written by the Worker's previous version stay readable after an
// upgrade, under real workerd: the test writes a user and an ended bulk
// operation, stops, puts their SQLite tables back in the previous
// version's shape (a user's record in `record_part` rows and no ETag epoch; an operation's
// single row keyed by `one`, its rows keeping their bodies; an operation
// without its kind, as stored before bulk delete and bulk preferences),
// starts again on the same storage, and reads and writes them.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { removeDir, send, startMiniflare, tempDir, waitFor } from "./helpers.mjs";

/** Every object database of the class `className` under `persist`. */
function objectDatabases(persist, className) {
  const folder = join(persist, readdirSync(persist).find((name) => name.endsWith(className)));
  return readdirSync(folder)
    .filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite")
    .map((name) => join(folder, name));
}

/** Runs `sql` on every database of `className` holding table `table`. */
function rewrite(persist, className, table, sql) {
  for (const file of objectDatabases(persist, className)) {
    const db = new DatabaseSync(file);
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table)) db.exec(sql);
    db.close();
  }
}

/** The names of the tables of `className`'s objects that hold `table`. */
function tablesBeside(persist, className, table) {
  const names = [];
  for (const file of objectDatabases(persist, className)) {
    const db = new DatabaseSync(file);
    const all = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\'").all().map(({ name }) => name);
    if (all.includes(table)) names.push(...all);
    db.close();
  }
  return names.sort();
}

test("a user's object of the previous version (its record in record_part) is read and written", async () => {
  const persist = tempDir("upgrade-user");
  try {
    let server = await startMiniflare({ persist });
    const written = await send(server.url, "PUT", "old-user-1", { body: '{"name": "Before", "plan": {"tier": "free"}}' });
    assert.equal(written.status, 200, written.text);
    await server.stop();
    rewrite(
      persist,
      "UserObject",
      "record_chunk",
      `ALTER TABLE record_chunk RENAME TO record_part;
       ALTER TABLE record_part RENAME COLUMN chunk TO part;
       ALTER TABLE user_state DROP COLUMN epoch;
       DROP TABLE bulk_row_decision;
       DROP TABLE IF EXISTS kept_answer;
       DROP TABLE IF EXISTS change_entry;`,
    );
    assert.deepEqual(tablesBeside(persist, "UserObject", "user_state"), ["record_part", "user_state"]);
    server = await startMiniflare({ persist });
    try {
      const read = await send(server.url, "GET", "old-user-1");
      assert.deepEqual(read.body, written.body, read.text);
      assert.match(read.headers.get("etag"), /^"[0-9a-f]{16}\.\d+"$/, "an ETag of its own");
      const merged = await send(server.url, "PUT", "old-user-1", { body: '{"plan": {"seats": 3}}' });
      assert.equal(merged.status, 200, merged.text);
      assert.deepEqual(merged.body.plan, { tier: "free", seats: 3 });
      assert.equal(merged.body.name, "Before");
    } finally {
      await server.stop();
    }
    assert.deepEqual(tablesBeside(persist, "UserObject", "user_state"), ["bulk_row_decision", "change_entry", "record_chunk", "user_state"]);
  } finally {
    removeDir(persist);
  }
});

test("an ended bulk operation of the previous version is read as it was, keeps no body, and is forgotten in time", { timeout: 120_000 }, async () => {
  const persist = tempDir("upgrade-operation");
  try {
    let server = await startMiniflare({ persist });
    const users = [{ id: "old-bulk-1", name: "A" }, { id: "old-bulk-2", name: "B" }];
    const queued = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users }) });
    assert.equal(queued.status, 200, queued.text);
    const summary = () => send(server.url, "GET", null, { path: queued.body.progress_path });
    const before = await waitFor(async () => {
      const operation = (await summary()).body;
      return operation.status === "completed" && operation;
    }, "the operation to end");
    await server.stop();
    // The previous version's tables, as it created them, with the rows' bodies kept.
    rewrite(
      persist,
      "BulkOperation",
      "operation",
      `CREATE TABLE old_operation (
        one INTEGER PRIMARY KEY CHECK (one = 0),
        id TEXT NOT NULL,
        total INTEGER NOT NULL,
        inserted_at TEXT NOT NULL,
        started_at TEXT,
        completed_at TEXT,
        updated_at TEXT NOT NULL
      );
      INSERT INTO old_operation SELECT 0, operation_id, total, inserted_at, started_at, completed_at, updated_at FROM operation;
      DROP TABLE operation;
      ALTER TABLE old_operation RENAME TO operation;
      CREATE TABLE old_row (
        idx INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        body TEXT NOT NULL,
        state INTEGER NOT NULL DEFAULT 0,
        failure TEXT
      );
      INSERT INTO old_row SELECT idx, user_id, '{"id":"' || user_id || '"}', state, error_item FROM row;
      DROP TABLE row;
      ALTER TABLE old_row RENAME TO row;`,
    );
    // Forgotten 5 s after it ended, which has long passed.
    server = await startMiniflare({ persist, vars: { BULK_RETENTION_SECONDS: "5" } });
    try {
      const after = await summary();
      assert.equal(after.status, 200, after.text);
      assert.deepEqual(after.body, before);
      for (const file of objectDatabases(persist, "BulkOperation")) {
        const db = new DatabaseSync(file);
        const bodies = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'row'").get() ? db.prepare("SELECT body FROM row").all() : [];
        assert.ok(bodies.every(({ body }) => body === ""), "no body kept");
        db.close();
      }
      await waitFor(async () => (await summary()).status === 404, "the operation to be forgotten", 30_000);
    } finally {
      await server.stop();
    }
  } finally {
    removeDir(persist);
  }
});

test("an ended bulk identify stored before operations had kinds is read as it was, and forgotten in time", { timeout: 120_000 }, async () => {
  const persist = tempDir("upgrade-kind");
  // Long enough to stop, rewrite and start again before it is forgotten.
  const vars = { BULK_RETENTION_SECONDS: "40" };
  try {
    let server = await startMiniflare({ persist, vars });
    const users = [{ id: "kindless-1", name: "A" }];
    const queued = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users }) });
    assert.equal(queued.status, 200, queued.text);
    const summary = () => send(server.url, "GET", null, { path: queued.body.progress_path });
    const before = await waitFor(async () => {
      const operation = (await summary()).body;
      return operation.status === "completed" && operation;
    }, "the operation to end");
    await server.stop();
    rewrite(persist, "BulkOperation", "operation", "ALTER TABLE operation DROP COLUMN kind; ALTER TABLE operation DROP COLUMN shared_body;");
    server = await startMiniflare({ persist, vars });
    try {
      const after = await summary();
      assert.equal(after.status, 200, after.text);
      assert.deepEqual(after.body, before);
      assert.equal(after.body.name, "users.identify");
      // Its alarm, set when it ended, still forgets it.
      await waitFor(async () => (await summary()).status === 404, "the operation to be forgotten", 60_000);
    } finally {
      await server.stop();
    }
  } finally {
    removeDir(persist);
  }
});
