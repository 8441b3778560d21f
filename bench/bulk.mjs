// How long bulk identify takes to apply 10,000 users locally (10 requests
// of 1,000, under Miniflare with its local queue, the built Worker), and
// how many KV writes it costs: each user's object writes its record
// through to KV at most once a second, counted from the objects' log lines
// (`kv-write key=<digest> ...`, one per write).
//
//   node bench/bulk.mjs [REQUESTS]      (default 10 requests of 1,000 users)
import { performance } from "node:perf_hooks";
import { send, startMiniflare } from "../tests/worker/helpers.mjs";

const requests = Number(process.argv[2] ?? 10);
const server = await startMiniflare({ limits: { identify: 1_000_000, get: 1_000_000, delete: 1_000_000, bulk: 1_000_000 } });
try {
  const started = performance.now();
  const operations = [];
  for (let r = 0; r < requests; r++) {
    const users = Array.from({ length: 1000 }, (_, i) => ({ id: `bench-${r}-${i}`, name: `User ${i}`, plan: { seats: i } }));
    const answer = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users }) });
    if (answer.status !== 200) throw new Error(`bulk ${r}: ${answer.status} ${answer.text}`);
    operations.push(answer.body.id);
  }
  const accepted = performance.now() - started;
  const pending = new Set(operations);
  while (pending.size) {
    for (const id of [...pending]) {
      const operation = (await send(server.url, "GET", null, { path: `/v1/bulk_operations/${id}` })).body;
      if (operation.status === "completed") {
        if (operation.success_count !== 1000) throw new Error(`${id}: ${JSON.stringify(operation)}`);
        pending.delete(id);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const applied = performance.now() - started;
  // Let the last flushes run (each a second after the key's previous write at most).
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const writes = server.logs.filter(({ message }) => message.startsWith("kv-write ")).length;
  const users = requests * 1000;
  console.log(`${users} users in ${requests} bulk requests, applied locally:`);
  console.log(`  accepted (all requests answered): ${(accepted / 1000).toFixed(1)} s`);
  console.log(`  applied (every operation completed): ${(applied / 1000).toFixed(1)} s, ${Math.round(users / (applied / 1000))} users/s`);
  console.log(`  KV writes: ${writes} (${(writes / users).toFixed(2)} per user; each user's object writes once a second at most)`);
} finally {
  await server.stop();
}
