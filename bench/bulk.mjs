// How long bulk identify takes to apply 10,000 users locally (10 requests
// of 1,000, under Miniflare with its local queue, the built Worker), and
// how many KV writes it costs: each user's object writes its record
// through to KV at most once a second, counted from the objects' log lines
// (`flushed key=<digest> ... kv=yes ...`, one per write).
//
//   node bench/bulk.mjs [REQUESTS]      (default 10 requests of 1,000 users)
//
// With `--url`, the requests go through Knock's SDK to a Worker already
// running, e.g. `./scripts/dev` (`--url http://127.0.0.1:8787 --key
// sk_test_local`), one bulk after the other, each polled until it ends
// (a bulk not ended within `--stall-seconds`, 120 by default, fails the run):
//
//   node bench/bulk.mjs 10 --url http://127.0.0.1:8787 --key sk_test_local
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import Knock from "@knocklabs/node";
import { send, startMiniflare } from "../tests/worker/helpers.mjs";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { url: { type: "string" }, key: { type: "string" }, "stall-seconds": { type: "string", default: "120" } },
});
const requests = Number(positionals[0] ?? 10);
const usersOf = (r) => Array.from({ length: 1000 }, (_, i) => ({ id: `bench-${r}-${i}`, name: `User ${i}`, plan: { seats: i } }));

if (values.url) {
  await againstRunningWorker(values.url, values.key ?? "sk_test_local", Number(values["stall-seconds"]) * 1000);
} else {
  await underMiniflare();
}

/** Each bulk through Knock's SDK, polled to its end before the next is sent. */
async function againstRunningWorker(url, key, stallMs) {
  const knock = new Knock({ apiKey: key, baseURL: url });
  const run = `${Date.now().toString(36)}`;
  const started = performance.now();
  for (let r = 0; r < requests; r++) {
    const users = usersOf(`${run}-${r}`);
    const sent = performance.now();
    const queued = await knock.users.bulk.identify({ users });
    let operation = queued;
    while (!["completed", "failed"].includes(operation.status)) {
      if (performance.now() - sent > stallMs) {
        throw new Error(`bulk ${r + 1} (${queued.id}) has not ended after ${stallMs / 1000} s: ${JSON.stringify(operation)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      operation = await knock.bulkOperations.get(queued.id);
    }
    const seconds = ((performance.now() - sent) / 1000).toFixed(1);
    console.log(`bulk ${r + 1}/${requests} ${queued.id}: ${operation.status}, ${operation.success_count} applied, ${operation.error_count} errors, ${seconds} s`);
    if (operation.status !== "completed" || operation.success_count !== users.length) {
      throw new Error(`bulk ${r + 1}: ${JSON.stringify(operation)}`);
    }
  }
  console.log(`${requests} bulks of 1,000 users completed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function underMiniflare() {
  const server = await startMiniflare({ limits: { identify: 1_000_000, get: 1_000_000, delete: 1_000_000, bulk: 1_000_000 } });
  try {
    const started = performance.now();
    const operations = [];
    for (let r = 0; r < requests; r++) {
      const answer = await send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: JSON.stringify({ users: usersOf(r) }) });
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
    const writes = server.logs.filter(({ message }) => message.startsWith("flushed ") && message.includes(" kv=yes ")).length;
    const users = requests * 1000;
    console.log(`${users} users in ${requests} bulk requests, applied locally:`);
    console.log(`  accepted (all requests answered): ${(accepted / 1000).toFixed(1)} s`);
    console.log(`  applied (every operation completed): ${(applied / 1000).toFixed(1)} s, ${Math.round(users / (applied / 1000))} users/s`);
    console.log(`  KV writes: ${writes} (${(writes / users).toFixed(2)} per user; each user's object writes once a second at most)`);
  } finally {
    await server.stop();
  }
}
