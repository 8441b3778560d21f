// How many times the built Worker's wasm calls into JS (its imports:
// wasm-bindgen's glue, workers-rs' bindings) per request, by import: a
// count that, unlike CPU time, does not move with the machine's load
// (docs/measurements.md, "The two Workers side by side").
//   node bench/wasm-calls.mjs identify|refused [REQUESTS]
// Runs a copy of build/index.js (build it first: ./scripts/build-worker)
// whose imports count their calls and log the counts every 100 calls,
// under Miniflare as scripts/measure-worker's miniflare runner does. The
// requests are sequential PUTs to load-user-0 ... (identify: users that
// exist, each identified once before; refused: a body the core refuses,
// 422); the counts are read from the logs before and after them, after
// the flushes they set off (2.5 s), so an identify counts its object's
// work and its alarm flush too.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, removeDir, tempDir, workerOptions } from "../tests/worker/helpers.mjs";

const [kind, countArg = "500"] = process.argv.slice(2);
// The bodies scripts/measure-worker sends, and their statuses.
const LOAD = JSON.parse(readFileSync(join(import.meta.dirname, "load-bodies.json"), "utf8"));
if (!(kind in LOAD)) {
  console.error("usage: node bench/wasm-calls.mjs identify|refused [REQUESTS]");
  process.exit(2);
}
const requests = Number(countArg);
const LOG_EVERY = 100;

// The glue instantiates the wasm with `new WebAssembly.Instance(module, imports())`:
// the imports object goes through `countCalls` first.
const glue = readFileSync(join(ROOT, "build", "index.js"), "utf8");
const instance = /new WebAssembly\.Instance\((\w+),(\w+)\(\)\)/g;
if (!instance.test(glue)) throw new Error("build/index.js: no `new WebAssembly.Instance(module, imports())` found");
const countCalls = `function countCalls(imports) {
  const calls = (globalThis.wasmCalls ??= { total: 0, by: {} });
  for (const table of Object.values(imports)) {
    for (const [name, f] of Object.entries(table)) {
      if (typeof f !== "function") continue;
      table[name] = function (...args) {
        calls.by[name] = (calls.by[name] ?? 0) + 1;
        if (++calls.total % ${LOG_EVERY} === 0) console.log("wasm-calls " + JSON.stringify(calls.by));
        return f.apply(this, args);
      };
    }
  }
  return imports;
}`;
const dir = tempDir("wasm-calls");
const persist = tempDir("wasm-calls-state");
writeFileSync(join(dir, "index.js"), `${glue.replace(instance, "new WebAssembly.Instance($1,countCalls($2()))")}\n${countCalls}\n`);
copyFileSync(join(ROOT, "build", "index_bg.wasm"), join(dir, "index_bg.wasm"));

const logs = [];
const unlimited = 1_000_000;
const limits = Object.fromEntries(["identify", "get", "delete", "bulk", "publicUser", "public", "list", "merge"].map((name) => [name, unlimited]));
const mf = new Miniflare({
  host: "127.0.0.1",
  port: 0,
  handleStructuredLogs: ({ message }) => {
    if (message.startsWith("wasm-calls ")) logs.push(message);
  },
  ...workerOptions({ persist, limits, bindings: { API_KEYS: JSON.stringify({ sk_test_local: "development" }) } }),
  scriptPath: join(dir, "index.js"),
});
try {
  const base = (await mf.ready).origin;
  const put = async (user, body) => {
    const response = await fetch(`${base}/v1/users/load-user-${user}`, {
      method: "PUT",
      headers: { Authorization: "Bearer sk_test_local", "Content-Type": "application/json" },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 2500));
  const counts = () => JSON.parse(logs.at(-1)?.slice("wasm-calls ".length) ?? "{}");
  for (let user = 0; user < requests; user++) await put(user, LOAD.identify.body);
  await settle();
  const before = counts();
  for (let user = 0; user < requests; user++) {
    const status = await put(user, LOAD[kind].body);
    if (status !== LOAD[kind].status) throw new Error(`PUT load-user-${user}: status ${status}, expected ${LOAD[kind].status}`);
  }
  await settle();
  const after = counts();
  const per = Object.entries(after)
    .map(([name, calls]) => [name, (calls - (before[name] ?? 0)) / requests])
    .filter(([, calls]) => calls >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const total = per.reduce((sum, [, calls]) => sum + calls, 0);
  console.log(`${kind}: ${total.toFixed(1)} calls from the wasm into JS a request (${requests} requests; counts logged every ${LOG_EVERY} calls)`);
  const source = (name) => glue.match(new RegExp(`${name}:(function\\([^)]*\\)\\{[^}]{0,60})`))?.[1] ?? "";
  for (const [name, calls] of per) console.log(`${calls.toFixed(2).padStart(8)}  ${name}  ${source(name)}`);
} finally {
  await mf.dispose();
  removeDir(dir);
  removeDir(persist);
}
