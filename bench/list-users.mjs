// The users list (contract §10) over USERS users: the built Worker under
// Miniflare (state on a throwaway folder, limits far above the load), its
// KV namespace behind a wrapper that logs each call, so that KV reads are
// counted, and D1's own `rows_read` per page from the Worker's
// `users-list` log line.
//   - USERS identifies (16 at a time, ~400-byte users, each with a
//     preference set and its own email), then the wait until every user's
//     row is in the index (the flushes' `flushed ... index=yes` lines);
//   - how long a new user takes to appear in the list after its identify
//     answered (SAMPLES users, one at a time, each polled every 5 ms);
//   - the whole list, page_size 50, one page at a time: the time of each
//     page (median, 95th percentile, total), D1 rows read and KV calls per
//     page; the same with include[]=preferences; the same through Knock's
//     SDK (`for await` over `users.list()`), in all;
//   - 20 pages back from the end with `before`, and 100 lookups by email;
//   - the index's size on disk.
//
//   node bench/list-users.mjs [USERS] [SAMPLES]      (10,000 and 20 by default)
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Knock from "@knocklabs/node";
import { KEY, removeDir, send, startWorkers, tempDir, waitFor, workerOptions } from "../tests/worker/helpers.mjs";

const total = Number(process.argv[2] ?? 10_000);
const samples = Number(process.argv[3] ?? 20);
const unlimited = 1_000_000;
const persist = tempDir("list-bench");
const limits = Object.fromEntries(["identify", "get", "delete", "bulk", "publicUser", "public", "list"].map((name) => [name, unlimited]));
const countingKv = `
  export default function (env) {
    const logged = (op, call) => { console.log("kv-call " + op); return call(); };
    return {
      get: (...args) => logged("get", () => env.REAL.get(...args)),
      getWithMetadata: (...args) => logged("get", () => env.REAL.getWithMetadata(...args)),
      list: (...args) => logged("list", () => env.REAL.list(...args)),
      put: (...args) => logged("put", () => env.REAL.put(...args)),
      delete: (...args) => logged("delete", () => env.REAL.delete(...args)),
    };
  }`;
const options = workerOptions({ persist, limits, bindings: { API_KEYS: JSON.stringify({ [KEY]: "env-a" }) } });
const server = await startWorkers(
  [
    { name: "api", ...options, kvNamespaces: [], wrappedBindings: { USERS: { scriptName: "counting-kv" } } },
    { name: "counting-kv", modules: true, script: countingKv, kvNamespaces: ["REAL"] },
  ],
  persist,
);
const lines = (pattern) => server.logs.filter(({ message }) => pattern.test(message));
const id = (i) => `user-${String(i).padStart(6, "0")}`;
const body = (i) => JSON.stringify({
  name: `User ${i}`,
  email: `user-${i}@example.com`,
  timezone: "Europe/Paris",
  plan: { tier: i % 3 ? "free" : "pro", seats: i % 50 },
  preferences: { default: { channel_types: { email: i % 2 === 0, sms: false }, workflows: { "welcome-flow": true } } },
});
/** A request sent again (up to twice) when a kept-alive connection closes under it: loopback's race, not an answer. */
async function sendAgain(...args) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send(...args);
    } catch (error) {
      if (attempt === 2 || error?.cause?.code !== "UND_ERR_SOCKET") throw error;
    }
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const p95 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)];
const ms = (value) => `${value.toFixed(1)} ms`;

/** Pages through the whole list with `query`: the time, D1 rows read and KV calls of each page. */
async function pageThrough(query) {
  const pages = [];
  let cursor = null;
  let listed = 0;
  let lastBefore = null;
  do {
    const logsBefore = server.logs.length;
    const started = performance.now();
    const answer = await send(server.url, "GET", null, { path: `/v1/users?page_size=50${query}${cursor ? `&after=${cursor}` : ""}` });
    const took = performance.now() - started;
    if (answer.status !== 200) throw new Error(`${answer.status} ${answer.text}`);
    const logs = server.logs.slice(logsBefore).map(({ message }) => message);
    const rowsRead = logs.map((line) => /^users-list entries=\d+ rows_read=(\d+)/.exec(line)?.[1]).find(Boolean);
    pages.push({ took, rowsRead: Number(rowsRead), kvCalls: logs.filter((line) => line.startsWith("kv-call ")).length, bytes: answer.text.length });
    listed += answer.body.entries.length;
    cursor = answer.body.page_info.after;
    lastBefore = answer.body.page_info.before;
  } while (cursor);
  return { pages, listed, lastBefore };
}

function report(what, { pages, listed }) {
  const took = pages.map((page) => page.took);
  console.log(`${what}: ${listed} users in ${pages.length} pages, ${ms(took.reduce((a, b) => a + b, 0))} in all`);
  console.log(`  per page: median ${ms(median(took))}, p95 ${ms(p95(took))}; D1 rows read: median ${median(pages.map((page) => page.rowsRead))}, max ${Math.max(...pages.map((page) => page.rowsRead))}; KV calls: ${pages.reduce((sum, page) => sum + page.kvCalls, 0)} in all; ${(median(pages.map((page) => page.bytes)) / 1024).toFixed(1)} KiB a page`);
}

try {
  console.log(`identifying ${total} users, 16 at a time...`);
  let started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < total) {
      const i = next++;
      const answer = await sendAgain(server.url, "PUT", id(i), { body: body(i) });
      if (answer.status !== 200) throw new Error(`${answer.status} ${answer.text}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  const identified = performance.now() - started;
  await waitFor(() => lines(/^flushed key=\w+ op=put .* index=yes /).length >= total, "every row in the index", 600_000);
  console.log(`  identified in ${(identified / 1000).toFixed(1)} s (${Math.round(total / (identified / 1000))} users/s); every row in the index ${((performance.now() - started - identified) / 1000).toFixed(1)} s later`);
  console.log(`  KV writes ${lines(/^flushed .* kv=yes /).length}, index writes ${lines(/^flushed .* index=yes /).length}, failed ${lines(/-failed /).length}`);

  const appear = [];
  for (let s = 0; s < samples; s++) {
    const newId = `new-${s}`;
    const answer = await send(server.url, "PUT", newId, { body: JSON.stringify({ email: `${newId}@example.com` }) });
    if (answer.status !== 200) throw new Error(answer.text);
    const answered = performance.now();
    await waitFor(async () => {
      const found = await send(server.url, "GET", null, { path: `/v1/users?email=${newId}@example.com` });
      return found.body.entries.length === 1;
    }, `${newId} listed`);
    appear.push(performance.now() - answered);
  }
  console.log(`a new user appears in the list, after its identify's answer: median ${ms(median(appear))}, max ${ms(Math.max(...appear))} (${samples} users)`);

  const whole = await pageThrough("");
  report("the whole list, page_size 50", whole);
  report("the whole list with include[]=preferences", await pageThrough("&include[]=preferences"));

  const knock = new Knock({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  started = performance.now();
  let seen = 0;
  for await (const _user of knock.users.list()) seen++;
  console.log(`Knock's SDK, for await over users.list(): ${seen} users in ${ms(performance.now() - started)}`);

  const back = [];
  let before = whole.lastBefore;
  let backPages = 0;
  for (let i = 0; i < 20 && before; i++, backPages++) {
    const logsBefore = server.logs.length;
    const began = performance.now();
    const answer = await send(server.url, "GET", null, { path: `/v1/users?page_size=50&before=${before}` });
    back.push({ took: performance.now() - began, rowsRead: Number(server.logs.slice(logsBefore).map(({ message }) => /rows_read=(\d+)/.exec(message)?.[1]).find(Boolean)) });
    before = answer.body.page_info.before;
  }
  console.log(`pages back with before: median ${ms(median(back.map((page) => page.took)))}, D1 rows read median ${median(back.map((page) => page.rowsRead))} (${backPages} pages)`);

  const lookups = [];
  for (let i = 0; i < 100; i++) {
    const logsBefore = server.logs.length;
    const began = performance.now();
    const answer = await send(server.url, "GET", null, { path: `/v1/users?email=user-${(i * 97) % total}@example.com` });
    if (answer.body.entries.length !== 1) throw new Error(answer.text);
    lookups.push({ took: performance.now() - began, rowsRead: Number(server.logs.slice(logsBefore).map(({ message }) => /rows_read=(\d+)/.exec(message)?.[1]).find(Boolean)) });
  }
  console.log(`lookups by email: median ${ms(median(lookups.map((lookup) => lookup.took)))}, D1 rows read median ${median(lookups.map((lookup) => lookup.rowsRead))} (100 lookups)`);
} catch (error) {
  console.error("the Worker's last lines:", server.logs.slice(-10), "workerd's:", server.runtimeLogs.slice(-10));
  throw error;
} finally {
  await server.stop({ keep: true });
}
const d1 = readdirSync(persist).filter((name) => name.endsWith("D1DatabaseObject"));
let bytes = 0;
for (const folder of d1) for (const file of readdirSync(join(persist, folder))) bytes += statSync(join(persist, folder, file)).size;
console.log(`the index on disk (SQLite, with its WAL): ${(bytes / 1024 / 1024).toFixed(1)} MiB for ${total + samples} users`);
removeDir(persist);
