// The package's identify step (validate + merge of a typical ~600-byte
// request against a stored user) beside the JS stack a user would
// otherwise pick (bench/js-stack.mjs), in one Node process; then the
// package's size. `node bench/package.mjs` after `scripts/build-pkg`
// (the package is imported from pkg/, as a user would).
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import { merge, mergeJson, validate, toUser } from "../pkg/index.node.js";
import { identify as jsIdentify } from "./js-stack.mjs";

// The same request as the core's benchmark (benches/identify.rs).
const REQUEST_TEXT = `{"name":"Jane Doe","email":"jane.doe@example.com","phone_number":"+14155552671","timezone":"America/New_York","locale":"en-US","avatar":"https://cdn.example.com/avatars/jane.png","created_at":"2024-05-01T12:00:00Z","plan":{"tier":"pro","seats":12,"addons":["sso","audit-log"]},"company":"Acme Inc.","signup_source":"web","trial":false,"preferences":{"default":{"channel_types":{"email":true,"sms":false,"push":true},"workflows":{"weekly-digest":false,"welcome":true},"commercial_subscribed":true}},"channel_data":{"97c5837d-c65c-4d54-aa39-080eeb81c69d":{"tokens":["fcm-token-abcdef0123456789"]}}}`;
const EARLIER = { name: "Jane", email: "jane@example.com", plan: { tier: "free", seats: 1 }, company: "Acme", preferences: { default: { channel_types: { email: true } } } };
const REQUEST = JSON.parse(REQUEST_TEXT);
const NOW = Date.UTC(2024, 5, 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

const storedByPackage = merge(null, "user-1", EARLIER, NOW);
const storedJson = JSON.stringify(storedByPackage);
const storedByJs = jsIdentify(null, "user-1", EARLIER, NOW);

const candidates = {
  "package: merge (validates, then merges)": () => merge(storedByPackage, "user-1", REQUEST, NOW),
  "package: validate + merge (two calls)": () => {
    if (validate("user-1", REQUEST).length) throw new Error("invalid");
    return merge(storedByPackage, "user-1", REQUEST, NOW);
  },
  "package: mergeJson (record and body as JSON text)": () => mergeJson(storedJson, "user-1", REQUEST_TEXT, NOW),
  "JS stack: zod 4 + libphonenumber-js + Intl + lodash.merge": () => jsIdentify(storedByJs, "user-1", REQUEST, NOW),
};

// Both sides give the same user (keys compared in sorted order).
const canonical = (value) =>
  JSON.stringify(value, (_, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
const expected = toUser(merge(storedByPackage, "user-1", REQUEST, NOW));
const fromJs = jsIdentify(storedByJs, "user-1", REQUEST, NOW).user;
for (const key of Object.keys(expected)) {
  if (canonical(expected[key]) !== canonical(fromJs[key])) throw new Error(`the stacks differ on ${key}`);
}

/** Ops per second of `fn` over `ms`. */
function run(fn, ms) {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
    elapsed = performance.now() - start;
  }
  return (ops / elapsed) * 1000;
}

// Interleaved rounds, the median of each: fairer on a busy machine.
const ROUNDS = 7;
for (const fn of Object.values(candidates)) run(fn, 300); // warm up (JIT and wasm tier-up)
const samples = Object.fromEntries(Object.keys(candidates).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(candidates)) samples[name].push(run(fn, (SECONDS * 1000) / ROUNDS));
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`identify step, ${REQUEST_TEXT.length}-byte request against a stored user, Node ${process.version}, median of ${ROUNDS} interleaved rounds, ${SECONDS} s each`);
const results = {};
for (const name of Object.keys(candidates)) {
  results[name] = median(samples[name]);
  console.log(`  ${name.padEnd(58)} ${Math.round(results[name]).toString().padStart(8)} ops/s  ${(1e6 / results[name]).toFixed(2).padStart(7)} µs/op`);
}
const js = results["JS stack: zod 4 + libphonenumber-js + Intl + lodash.merge"];
for (const name of Object.keys(candidates).slice(0, 3)) {
  console.log(`  ratio ${name.replace("package: ", "")}: ${(results[name] / js).toFixed(2)}× the JS stack`);
}

// Sizes of the browser build: the wasm and the JS glue, raw and gzipped.
const size = (path) => {
  const bytes = readFileSync(new URL(`../pkg/${path}`, import.meta.url));
  return { raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const snippetDir = `web/snippets/${readdirSync(new URL("../pkg/web/snippets", import.meta.url))[0]}/src/js`;
const parts = {
  "web/knock_identify_bg.wasm": size("web/knock_identify_bg.wasm"),
  "web/knock_identify.js (glue)": size("web/knock_identify.js"),
  "snippets errors.js + runtime.js": [size(`${snippetDir}/errors.js`), size(`${snippetDir}/runtime.js`)].reduce((a, b) => ({ raw: a.raw + b.raw, gz: a.gz + b.gz })),
};
console.log("\npackage size (pkg/, browser build):");
let total = { raw: 0, gz: 0 };
for (const [name, { raw, gz }] of Object.entries(parts)) {
  console.log(`  ${name.padEnd(34)} ${kb(raw).padStart(9)} raw  ${kb(gz).padStart(9)} gzipped`);
  total = { raw: total.raw + raw, gz: total.gz + gz };
}
console.log(`  ${"wasm + glue".padEnd(34)} ${kb(total.raw).padStart(9)} raw  ${kb(total.gz).padStart(9)} gzipped`);
const inline = size("index.browser.js");
console.log(`  ${"index.browser.js (wasm inline)".padEnd(34)} ${kb(inline.raw).padStart(9)} raw  ${kb(inline.gz).padStart(9)} gzipped`);

// The JS stack, bundled and minified the same way (esbuild), for scale.
try {
  const esbuild = new URL("../node_modules/.bin/esbuild", import.meta.url).pathname;
  const bundle = execFileSync(esbuild, [new URL("./js-stack.mjs", import.meta.url).pathname, "--bundle", "--minify", "--format=esm", "--platform=browser"], { maxBuffer: 1 << 26 });
  console.log(`  ${"JS stack bundle (esbuild --minify)".padEnd(34)} ${kb(bundle.length).padStart(9)} raw  ${kb(gzipSync(bundle, { level: 9 }).length).padStart(9)} gzipped`);
} catch (error) {
  console.log(`  JS stack bundle: esbuild unavailable (${error.message.split("\n")[0]})`);
}
