// The Worker's memory for the largest bulk identify: the built Worker under
// Miniflare gets CONCURRENT bulk requests at once (2 by default), each the
// largest the contract takes (1,000 users in just under 10 MiB), and the
// Worker logs its wasm memory after creating each operation
// (`bulk-created ... wasm_memory_bytes=N`). Wasm memory only grows, so the
// largest figure logged is the most the Worker's wasm held at once, all the
// bulks together, in an isolate that Cloudflare gives 128 MB.
//
//   node bench/bulk-memory.mjs [CONCURRENT]
import { performance } from "node:perf_hooks";
import { send, startMiniflare } from "../tests/worker/helpers.mjs";

const concurrent = Number(process.argv[2] ?? 2);
const unlimited = 1_000_000;
const server = await startMiniflare({ limits: { identify: unlimited, get: unlimited, delete: unlimited, bulk: unlimited } });
try {
  /** 1,000 users of about 10 KiB each: a body just under 10 MiB. */
  const body = (n) =>
    JSON.stringify({
      users: Array.from({ length: 1000 }, (_, i) => ({ id: `memory-${n}-${i}`, name: `User ${i}`, notes: "x".repeat(10_300) })),
    });
  const bodies = Array.from({ length: concurrent }, (_, n) => body(n));
  const started = performance.now();
  const answers = await Promise.all(bodies.map((text) => send(server.url, "POST", null, { path: "/v1/users/bulk/identify", body: text })));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  for (const answer of answers) if (answer.status !== 200) throw new Error(`${answer.status} ${answer.text.slice(0, 300)}`);
  const sizes = server.logs
    .map(({ message }) => /^bulk-created .* wasm_memory_bytes=(\d+)$/.exec(message))
    .filter(Boolean)
    .map((match) => Number(match[1]));
  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  console.log(`${concurrent} bulk requests of ${mib(bodies[0].length)} MiB each, sent at once, answered 200 in ${seconds} s`);
  console.log(`the Worker's wasm memory after each: ${sizes.map(mib).join(", ")} MiB; at most ${mib(Math.max(...sizes))} MiB`);
} finally {
  await server.stop();
}
