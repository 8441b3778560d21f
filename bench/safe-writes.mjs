// What contract §9 costs: workerd's CPU per identify with and without an
// Idempotency-Key, and a user's storage with 100 history entries and 1,000
// kept answers. The built Worker under Miniflare (state on a throwaway
// folder, limits far above the load):
//   - CPU: ROUNDS rounds of two interleaved batches of BATCH identifies (the
//     same 300-byte body, each to another of 100 users, 8 at a time), one
//     batch without a key and one with a fresh key per request; workerd's
//     CPU time (utime + stime of its process, from /proc) per answered
//     request, median of the rounds, and the ratio;
//   - storage: one user written once; one written 100 times (100 history
//     entries); one written 1,000 times with a key each (1,000 kept answers,
//     100 entries); each object's SQLite file, in pages, after Miniflare stops.
//
//   node bench/safe-writes.mjs [ROUNDS] [BATCH]      (5 rounds of 400 by default)
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { removeDir, send, startMiniflare, tempDir } from "../tests/worker/helpers.mjs";

const rounds = Number(process.argv[2] ?? 5);
const batch = Number(process.argv[3] ?? 400);
const unlimited = 1_000_000;
const persist = tempDir("safe-writes");
const limits = { identify: unlimited, get: unlimited, delete: unlimited, bulk: unlimited };
const body = JSON.stringify({ name: "Jane Doe", email: "jane@example.com", phone_number: "+14155552671", timezone: "Europe/Paris", plan: { tier: "pro", seats: 12 }, signed_up: "2026-01-02" });

/** The CPU seconds used so far by every workerd process under this one. */
function workerdCpuSeconds() {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (!stat.includes("(workerd)")) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Ended while we looked.
    }
  }
  return ticks / 100;
}

/** Sends `count` identifies, 8 at a time, with a fresh key each when `keyed`. */
async function identifies(url, count, keyed, round) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const headers = keyed ? { "Idempotency-Key": `bench-${round}-${i}-${Math.random()}` } : {};
      const answer = await send(url, "PUT", `cpu-${i % 100}`, { body, headers });
      if (answer.status !== 200) throw new Error(`${answer.status} ${answer.text}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

let server = await startMiniflare({ persist, limits });
try {
  await identifies(server.url, 200, false, "warm");
  await identifies(server.url, 200, true, "warm");
  const cost = { plain: [], keyed: [] };
  for (let round = 0; round < rounds; round++) {
    for (const keyed of round % 2 ? [true, false] : [false, true]) {
      const before = workerdCpuSeconds();
      await identifies(server.url, batch, keyed, round);
      cost[keyed ? "keyed" : "plain"].push(((workerdCpuSeconds() - before) * 1000) / batch);
    }
  }
  const plain = median(cost.plain);
  const keyed = median(cost.keyed);
  console.log(`workerd CPU per identify, median of ${rounds} rounds of ${batch}:`);
  console.log(`  without a key: ${plain.toFixed(3)} ms (rounds: ${cost.plain.map((ms) => ms.toFixed(3)).join(", ")})`);
  console.log(`  with a key:    ${keyed.toFixed(3)} ms (rounds: ${cost.keyed.map((ms) => ms.toFixed(3)).join(", ")})`);
  console.log(`  ratio: ${(keyed / plain).toFixed(3)}`);

  await send(server.url, "PUT", "storage-once", { body });
  for (let i = 0; i < 100; i++) await send(server.url, "PUT", "storage-history", { body: JSON.stringify({ ...JSON.parse(body), counter: i }) });
  for (let i = 0; i < 1000; i++) {
    const answer = await send(server.url, "PUT", "storage-keys", { body: JSON.stringify({ ...JSON.parse(body), counter: i }), headers: { "Idempotency-Key": `storage-${i}` } });
    if (answer.status !== 200) throw new Error(`${answer.status} ${answer.text}`);
  }
} finally {
  await server.stop();
}

// Each user's object database, by the user id its state names.
const folder = join(persist, readdirSync(persist).find((name) => name.endsWith("UserObject")));
const sizes = {};
for (const file of readdirSync(folder).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite")) {
  const db = new DatabaseSync(join(folder, file));
  const user = db.prepare("SELECT user_id FROM user_state").get()?.user_id;
  if (user?.startsWith("storage-")) {
    const pages = db.prepare("PRAGMA page_count").get().page_count;
    const pageSize = db.prepare("PRAGMA page_size").get().page_size;
    const rows = (table) => db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;
    const kept = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'kept_answer'").get() ? rows("kept_answer") : 0;
    sizes[user] = { bytes: pages * pageSize, history: rows("change_entry"), kept };
  }
  db.close();
}
removeDir(persist);
console.log("a user's object storage (SQLite pages in use):");
for (const [user, { bytes, history, kept }] of Object.entries(sizes).sort()) {
  console.log(`  ${user}: ${(bytes / 1024).toFixed(0)} KiB, ${history} history entries, ${kept} kept answers`);
}
