// Where workerd's CPU goes for one kind of request to the built Worker
// (issue 23, "The front" and "The object hop"): a V8 CPU profile of the
// Worker's isolate (the Worker and its Durable Objects share it), taken
// over workerd's inspector while this script sends the requests.
//   KEEP_NAMES=1 ./scripts/build-worker      # once: keep the wasm's names
//   node bench/profile-worker.mjs refused|identify [COUNT] [CONCURRENCY]
// `refused`: PUT /v1/users/<id> with a body the core refuses (422, no
// object call); `identify`: PUT with the body scripts/measure-worker sends
// (200), to users that exist (a warm-up identifies each of them once).
// Miniflare runs the Worker as scripts/measure-worker's miniflare runner
// does (bench/serve-miniflare.mjs: development key, limits far above the
// load, state in a fresh folder on tmpfs). The profile (a sample asked
// for every 100 µs, SAMPLING_US; workerd's sampler manages about 200 µs
// here) goes to target/profile-<kind>.cpuprofile (open it in Chrome
// DevTools); the script prints the top self-time functions, self time by
// kind of code and inclusive time by part of the Worker (idle and
// `(program)` are left out of the shares). USERS (100) sets how many
// users `identify` cycles through. RATE (requests a second) sends the
// requests at that pace instead, each to a user picked at random, as
// scripts/measure-worker's load does (RATE=100 USERS=1000: most requests
// then wake their user's object, which the lanes' quick cycle never does);
// each phase then waits 2 s for the flushes it set off, as that script does.
// WORKER=reference profiles the plain-JS Worker's identify instead
// (bench/reference-worker, as scripts/measure-worker serves it), under the
// same load, to set the two side by side.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { startReference } from "./reference-worker/miniflare.mjs";
import WebSocket from "ws";
import { freePort, removeDir, ROOT, tempDir, workerOptions } from "../tests/worker/helpers.mjs";

const [kind, countArg = "3000", concurrencyArg = "4"] = process.argv.slice(2);
// The bodies scripts/measure-worker sends, and their statuses.
const LOAD = JSON.parse(readFileSync(join(import.meta.dirname, "load-bodies.json"), "utf8"));
if (!(kind in LOAD)) {
  console.error("usage: node bench/profile-worker.mjs refused|identify [COUNT] [CONCURRENCY]");
  process.exit(2);
}
const count = Number(countArg);
const GLUE_LINES = readFileSync(join(ROOT, "build", "index.js"), "utf8").split("\n");
const concurrency = Number(concurrencyArg);
const samplingUs = Number(process.env.SAMPLING_US ?? 100);
// Few users, each identified every USERS requests: their objects stay
// loaded (workerd unloads an idle object after some seconds), so the
// profile is the steady state, not objects' start-up.
const USERS = Number(process.env.USERS ?? 100);
const RATE = process.env.RATE ? Number(process.env.RATE) : null;
const KEY = "sk_test_local";
const WORKER = process.env.WORKER ?? "worker";
if (!["worker", "reference"].includes(WORKER)) {
  console.error("WORKER is `worker` (the built Worker, the default) or `reference` (the plain-JS Worker)");
  process.exit(2);
}

/** Wasm functions by crate or module of this crate, first match wins (self time). */
const WASM_GROUPS = [
  ["wasm: core validate (validate, model, section_entry)", /knock_identify::(validate|model|section_entry)/],
  ["wasm: core merge and record (merge, record, changed)", /knock_identify::(merge|record|changed|merge_request)/],
  ["wasm: core JSON parse/write (json)", /knock_identify::json/],
  ["wasm: Worker code (knock_identify::worker)", /knock_identify::worker/],
  ["wasm: core, other (knock_identify)", /knock_identify/],
  ["wasm: serde / serde_json", /serde/],
  ["wasm: workers-rs (worker::)", /(^|[<( ])worker::/],
  ["wasm: wasm-bindgen, js-sys, web-sys", /wasm_bindgen|js_sys|web_sys|__wbindgen|externref/],
  ["wasm: allocator, memcpy", /dlmalloc|alloc::|__rust_(re)?alloc|__rdl|__rust_dealloc|memcpy|memmove|memset|memcmp/],
  ["wasm: core::fmt, core::str", /core::fmt|core::str/],
];
/** Inclusive labels: a sample counts for a label when a frame of its stack passes the test (name, node). */
const INCLUSIVE = [
  ["Worker handler (worker::handle)", (n) => /knock_identify::worker::handle/.test(n)],
  ["auth (worker::auth)", (n) => /knock_identify::worker::auth/.test(n)],
  ["rate limiter call (worker::rate_limit)", (n) => /knock_identify::worker::rate_limit/.test(n)],
  ["request.cf getter (workers-rs Request::from)", (n) => /__wbg_cf_/.test(n)],
  ["body read (read_json_body, arrayBuffer)", (n) => /read_json_body|__wbg_arrayBuffer_/.test(n)],
  ["core validate (knock_identify::validate)", (n) => /knock_identify::validate/.test(n)],
  ["core merge (knock_identify::merge)", (n) => /knock_identify::merge/.test(n)],
  ["core JSON (knock_identify::json)", (n) => /knock_identify::json/.test(n)],
  ["serde_json", (n) => /serde_json/.test(n)],
  ["object call, Worker side (UserObjectClient, its RPC call)", (n) => /UserObjectClient|object_call/.test(n)],
  ["user object, its handle (UserObject)", (n) => /worker::user::object::|userobject_handle/.test(n)],
  ["flush by alarm (Flusher, KV and D1 writes)", (n) => /worker::user::flush|userobject_alarm/.test(n)],
  ["SQLite (SqlStorage exec, cursors)", (n) => /SqlStorage|__wbg_exec_|__wbg_toArray_|__wbg_sql_/.test(n)],
  ["alarm get/set", (n) => /__wbg_(get|set)Alarm_/.test(n)],
  ["console.log", (n) => /__wbg_log_/.test(n)],
  ["headers (Headers get/set, conversions)", (n) => /header/i.test(n)],
  ["Request/Response construction", (n) => /gen_(Response|Request)::(Response|Request)::new|worker::(response|request)::|__wbg_new_with_(opt_)?(str|buffer_source)/.test(n)],
  ["D1 index write (worker::d1, workerd's d1-api JS)", (n, node) => /worker::d1|D1PreparedStatement|D1Database/.test(n) || /d1-api/.test(node.callFrame.url)],
  ["KV put (worker::kv)", (n) => /worker::kv::|KvStore/.test(n)],
  ["timeouts of bounded awaits (setTimeout, clearTimeout)", (n) => /__wbg_(set|clear)Timeout_/.test(n)],
  ["queueMicrotask (wasm-bindgen futures)", (n) => /__wbg_queueMicrotask_/.test(n)],
  ["any frame in build/index.js (JS glue)", (_n, node) => /index\.js$/.test(node.callFrame.url)],
  ["any wasm frame", (_n, node) => node.callFrame.url.startsWith("wasm://")],
  ["GC", (n) => n === "(garbage collector)"],
];

const unlimited = 1_000_000;
const limits = Object.fromEntries(["identify", "get", "delete", "bulk", "publicUser", "public", "list", "merge"].map((name) => [name, unlimited]));
// tmpfs when there is one, as scripts/measure-worker's STATE_DIR advice.
const persist = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/profile-worker-") : tempDir("profile");
const inspectorPort = await freePort();
const inspected = { inspectorPort, handleStructuredLogs: () => {} };
const mf =
  WORKER === "reference"
    ? (await startReference({ persist, options: inspected })).mf
    : new Miniflare({
        host: "127.0.0.1",
        port: 0,
        ...inspected,
        ...workerOptions({ persist, limits, bindings: { API_KEYS: JSON.stringify({ [KEY]: "development" }) } }),
      });
const base = (await mf.ready).origin;

try {
  const userUrl = (i) => `${base}/v1/users/load-user-${String(i % USERS).padStart(4, "0")}`;
  const put = async (i) => {
    const response = await fetch(userUrl(i), {
      method: "PUT",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: LOAD[kind].body,
    });
    await response.arrayBuffer();
    if (response.status !== LOAD[kind].status) throw new Error(`PUT ${userUrl(i)}: status ${response.status}, expected ${LOAD[kind].status}`);
  };
  const drive = async (n) => {
    let next = 0;
    const lane = async () => {
      while (next < n) await put(next++);
    };
    if (RATE === null) {
      await Promise.all(Array.from({ length: concurrency }, lane));
      return;
    }
    const start = performance.now();
    const puts = [];
    for (let i = 0; i < n; i++) {
      const wait = start + (i * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      puts.push(put(Math.floor(Math.random() * USERS)));
    }
    await Promise.all(puts);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  };

  // Warm-up, not profiled: JIT, the isolate's caches and (identify) every user once.
  await drive(kind === "identify" ? USERS : 500);
  // The same run unprofiled: workerd's CPU per request from /proc, to set
  // the profile's sampled time against (and see the profiler's overhead).
  const workerd = workerdPid();
  let before = threadTicks(workerd);
  await drive(count);
  const unprofiled = cpuPerRequest(before, threadTicks(workerd), count);

  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => /core:user/.test(t.id ?? t.title ?? "")) ?? targets[0];
  if (!target) throw new Error(`no inspector target at port ${inspectorPort}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let lastId = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString());
    if (message.id && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(JSON.stringify(message.error)));
      else resolve(message.result);
    }
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++lastId;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });

  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: samplingUs });
  await call("Profiler.start");
  const started = performance.now();
  before = threadTicks(workerd);
  await drive(count);
  const profiled = cpuPerRequest(before, threadTicks(workerd), count);
  const wallMs = performance.now() - started;
  const { profile } = await call("Profiler.stop");
  ws.close();

  const dir = join(ROOT, "target");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `profile-${WORKER === "reference" ? "reference-" : ""}${kind}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const pace = RATE === null ? `concurrency ${concurrency}` : `${RATE} a second to random users of ${USERS}`;
  console.log(`${WORKER}, ${kind}: ${count} requests (${pace}) in ${wallMs.toFixed(0)} ms; sampling ${samplingUs} µs; target ${target.id ?? target.title}`);
  console.log(`profile: ${file}`);
  console.log(`workerd CPU per request (/proc), busiest thread / all threads: unprofiled ${unprofiled}; profiled ${profiled}`);
  report(profile, count);
} finally {
  await mf.dispose();
  removeDir(persist);
}

/** Prints the top self-time functions and the grouped shares of `profile`. */
function report(profile, requests) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // workerd's sampler ticks only while the isolate runs: between requests
  // it leaves gaps of milliseconds, and the time delta before a sample can
  // hold such a gap. So every sample weighs the same, the median delta (the
  // sampler's real interval while the isolate is busy).
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const interval = sorted[Math.floor(sorted.length / 2)] ?? samplingUs;
  console.log(`${profile.samples.length} samples, median interval ${interval} µs`);
  const selfUs = new Map();
  const stacks = new Map(); // node id -> its frames, leaf first
  const stackOf = (id) => {
    if (!stacks.has(id)) {
      const frames = [];
      for (let at = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at));
      stacks.set(id, frames);
    }
    return stacks.get(id);
  };
  const samples = profile.samples.map((id) => ({ id, us: interval }));
  for (const { id, us } of samples) selfUs.set(id, (selfUs.get(id) ?? 0) + us);

  const name = (node) => node.callFrame.functionName || "(anonymous)";
  if (WORKER === "worker" && !profile.nodes.some((node) => node.callFrame.url.startsWith("wasm://") && name(node).includes("::"))) {
    console.log("warning: the wasm frames have no Rust names; build with KEEP_NAMES=1 ./scripts/build-worker");
  }
  const special = new Set(["(idle)", "(program)", "(root)"]);
  const isWasm = (node) => node.callFrame.url.startsWith("wasm://") || /^\$?wasm-function|^\$func/.test(name(node));
  const isGlue = (node) => /index\.js$/.test(node.callFrame.url);
  const kindOf = (node) => {
    const n = name(node);
    if (special.has(n)) return n;
    if (n === "(garbage collector)") return "GC";
    if (isWasm(node)) return "wasm";
    if (isGlue(node)) return "JS glue (build/index.js)";
    if (/bundle\.js$/.test(node.callFrame.url)) return "the plain-JS Worker (bench/reference-worker, bundled)";
    if (!node.callFrame.url) return "runtime/native";
    if (/^(cloudflare|node)-internal:/.test(node.callFrame.url)) return `workerd built-in JS (${node.callFrame.url})`;
    return "other JS";
  };

  // Self time by function (name + where), then the top 15.
  const byFunction = new Map();
  let total = 0;
  let excluded = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const k = kindOf(node);
    if (special.has(k)) {
      excluded += us;
      continue;
    }
    total += us;
    const key = `${k}\t${name(node)}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const ms = (us) => (us / 1000).toFixed(1);
  const pct = (us) => ((100 * us) / total).toFixed(1);
  const perReq = (us) => (us / requests).toFixed(1);
  console.log(`\nsampled CPU (idle, (program) and (root) left out): ${ms(total)} ms, ${perReq(total)} µs per request; left out: ${ms(excluded)} ms`);
  console.log("\n| # | function | kind | self ms | % | µs/req |\n| ---: | --- | --- | ---: | ---: | ---: |");
  [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(process.env.TOP ?? 15))
    .forEach(([key, us], i) => {
      const [k, n0] = key.split("\t");
      const n = k.startsWith("JS glue") && n0.length <= 3 ? `${n0} ${glueSource(n0)}` : n0;
      console.log(`| ${i + 1} | \`${n.length > 110 ? `${n.slice(0, 107)}...` : n}\` | ${k} | ${ms(us)} | ${pct(us)} | ${perReq(us)} |`);
    });

  // Self time by kind of code, wasm split by crate/module.
  const wasmGroup = (n) => {
    for (const [label, pattern] of WASM_GROUPS) if (pattern.test(n)) return label;
    return "wasm: other";
  };
  const groups = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const k = kindOf(node);
    if (special.has(k)) continue;
    const label = k === "wasm" ? wasmGroup(name(node)) : k === "runtime/native" ? `runtime/native: ${name(node)}` : k;
    groups.set(label, (groups.get(label) ?? 0) + us);
  }
  function glueSource(short) {
    const node = profile.nodes.find((x) => x.callFrame.functionName === short && /index\.js$/.test(x.callFrame.url));
    const line = GLUE_LINES[node.callFrame.lineNumber] ?? "";
    return `(${line.slice(node.callFrame.columnNumber, node.callFrame.columnNumber + 50).replace(/[|`]/g, "?")}...)`;
  }
  console.log("\nself time by kind of code:\n\n| group | ms | % | µs/req |\n| --- | ---: | ---: | ---: |");
  for (const [label, us] of [...groups].sort((a, b) => b[1] - a[1])) {
    if (us / total < 0.002) continue;
    console.log(`| ${label} | ${ms(us)} | ${pct(us)} | ${perReq(us)} |`);
  }

  // Inclusive time: a sample counts for a label when any frame of its stack matches.
  const inclusive = new Map();
  for (const { id, us } of samples) {
    const leaf = byId.get(id);
    if (special.has(kindOf(leaf))) continue;
    const frames = stackOf(id);
    for (const [label, test] of INCLUSIVE) {
      if (frames.some((frame) => test(name(frame), frame))) inclusive.set(label, (inclusive.get(label) ?? 0) + us);
    }
  }
  console.log("\ninclusive time (a sample counts once for each label any frame of its stack matches; labels overlap):\n\n| label | ms | % | µs/req |\n| --- | ---: | ---: | ---: |");
  for (const [label] of INCLUSIVE) {
    const us = inclusive.get(label) ?? 0;
    console.log(`| ${label} | ${ms(us)} | ${pct(us)} | ${perReq(us)} |`);
  }
}

/** The workerd process Miniflare started (a descendant of this one). */
function workerdPid() {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      parents.set(Number(entry), { ppid: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]), comm });
    } catch {
      // The process ended while we looked.
    }
  }
  const queue = [process.pid];
  while (queue.length) {
    const at = queue.shift();
    for (const [pid, { ppid, comm }] of parents) {
      if (ppid !== at) continue;
      if (comm === "workerd") return pid;
      queue.push(pid);
    }
  }
  throw new Error("no workerd process below this one");
}

/** Map thread id -> CPU ticks (user + system) of each thread of `pid`. */
function threadTicks(pid) {
  const ticks = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended.
    }
  }
  return ticks;
}

/** "X ms / Y ms": CPU per request on the busiest thread and in all threads (100 ticks a second). */
function cpuPerRequest(before, after, requests) {
  let busiest = 0;
  let all = 0;
  for (const [tid, t] of after) {
    const spent = t - (before.get(tid) ?? 0);
    all += spent;
    busiest = Math.max(busiest, spent);
  }
  const tick = 1000 / 100;
  return `${((busiest * tick) / requests).toFixed(3)} ms / ${((all * tick) / requests).toFixed(3)} ms`;
}
