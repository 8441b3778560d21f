// How long a bulk delete of 1,000 users takes locally (under Miniflare with
// its local queue, the built Worker), and how many KV writes it costs:
// each user's object deletes its key from KV by its flush, counted from
// the objects' log lines (`flushed key=<digest> op=delete ... kv=yes ...`). The users
// are made first by one bulk identify, whose writes are counted apart.
// Then the same for 1,000 ids that were never users (a delete of an
// unknown user is a success, and still deletes its key: KV may hold it
// from before the objects).
//
//   node bench/bulk-delete.mjs [USERS]      (default 1,000)
import { performance } from "node:perf_hooks";
import { send, startMiniflare } from "../tests/worker/helpers.mjs";

const count = Number(process.argv[2] ?? 1000);
const server = await startMiniflare({ limits: { identify: 1_000_000, get: 1_000_000, delete: 1_000_000, bulk: 1_000_000 } });
const kvWrites = (op) => server.logs.filter(({ message }) => message.startsWith("flushed ") && message.includes(` op=${op} `) && message.includes(" kv=yes ")).length;

/** Sends a bulk to `route` and polls it until it has ended; the time it took, in s. */
async function run(route, body) {
  const started = performance.now();
  const answer = await send(server.url, "POST", null, { path: `/v1/users/bulk/${route}`, body: JSON.stringify(body) });
  if (answer.status !== 200) throw new Error(`${route}: ${answer.status} ${answer.text}`);
  const accepted = performance.now() - started;
  for (;;) {
    // A poll whose connection is closed under it (a busy runtime) is sent again.
    const operation = (await send(server.url, "GET", null, { path: answer.body.progress_path }).catch(() => null))?.body;
    if (["completed", "failed"].includes(operation?.status)) {
      if (operation.status !== "completed" || operation.success_count !== count) throw new Error(JSON.stringify(operation));
      return { accepted: accepted / 1000, ended: (performance.now() - started) / 1000 };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits for the last flushes (each a second after the key's previous write at most). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 3_000));

try {
  const ids = Array.from({ length: count }, (_, i) => `bench-delete-${i}`);
  const made = await run("identify", { users: ids.map((id, i) => ({ id, name: `User ${i}`, plan: { seats: i } })) });
  await settle();
  const puts = kvWrites("put");
  const deleted = await run("delete", { user_ids: ids });
  await settle();
  const deletes = kvWrites("delete");
  const unknown = await run("delete", { user_ids: ids.map((id) => `never-${id}`) });
  await settle();
  const unknownDeletes = kvWrites("delete") - deletes;
  const gone = await Promise.all(ids.slice(0, 50).map((id) => send(server.url, "GET", id)));
  if (gone.some(({ status }) => status !== 404)) throw new Error("a deleted user is still there");
  const rate = (seconds) => Math.round(count / seconds);
  console.log(`${count} users made by bulk identify in ${made.ended.toFixed(1)} s, ${puts} KV puts`);
  console.log(`bulk delete of the ${count} users:`);
  console.log(`  accepted: ${(deleted.accepted * 1000).toFixed(0)} ms`);
  console.log(`  applied (completed): ${deleted.ended.toFixed(1)} s, ${rate(deleted.ended)} users/s`);
  console.log(`  KV writes: ${deletes} deletes (${(deletes / count).toFixed(2)} per user), ${kvWrites("put") - puts} puts`);
  console.log(`bulk delete of ${count} ids that were never users: ${unknown.ended.toFixed(1)} s, ${unknownDeletes} KV deletes`);
} finally {
  await server.stop();
}
