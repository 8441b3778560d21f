// The package's identify flows beside the JS a user would otherwise write,
// interleaved in one process, against two anchors: the full JS stack
// (bench/js-stack.mjs) on a request with every part, and the lighter stack
// many apps write (bench/js-light-stack.mjs) on a typical app's request
// (standard fields and a few custom properties). In whatever
// runtime runs it: `node bench/package.mjs`, `bun bench/package.mjs`,
// `deno run -A bench/package.mjs` (scripts/bench-package runs all three),
// after `scripts/build-pkg`. The package is imported from pkg/ as a user
// would.
import { merge, mergeJson, toUser, validate, validateJson } from "../pkg/index.node.js";
import { identify as lightIdentify } from "./js-light-stack.mjs";
import { identify as jsIdentify } from "./js-stack.mjs";

// The same request as the core's benchmark (bench/identify.rs): every
// standard field, nested custom properties, a preference set, a push channel.
const REQUEST_TEXT = `{"name":"Jane Doe","email":"jane.doe@example.com","phone_number":"+14155552671","timezone":"America/New_York","locale":"en-US","avatar":"https://cdn.example.com/avatars/jane.png","created_at":"2024-05-01T12:00:00Z","plan":{"tier":"pro","seats":12,"addons":["sso","audit-log"]},"company":"Acme Inc.","signup_source":"web","trial":false,"preferences":{"default":{"channel_types":{"email":true,"sms":false,"push":true},"workflows":{"weekly-digest":false,"welcome":true},"commercial_subscribed":true}},"channel_data":{"97c5837d-c65c-4d54-aa39-080eeb81c69d":{"tokens":["fcm-token-abcdef0123456789"]}}}`;
const EARLIER = { name: "Jane", email: "jane@example.com", plan: { tier: "free", seats: 1 }, company: "Acme", preferences: { default: { channel_types: { email: true } } } };
const REQUEST = JSON.parse(REQUEST_TEXT);
// What a typical app sends on each identify: the standard fields and a few
// custom properties, no preferences and no channel data.
const TYPICAL_TEXT = `{"name":"Jane Doe","email":"jane.doe@example.com","phone_number":"+14155552671","timezone":"America/New_York","locale":"en-US","avatar":"https://cdn.example.com/avatars/jane.png","created_at":"2024-05-01T12:00:00Z","plan":"pro","company":{"name":"Acme Inc.","seats":12},"signup_source":"web","trial":false}`;
const TYPICAL = JSON.parse(TYPICAL_TEXT);
const TYPICAL_EARLIER = { name: "Jane", email: "jane@example.com", plan: "free", company: { name: "Acme" } };
const NOW = Date.UTC(2024, 5, 1);
const SECONDS = Number(globalThis.process?.env?.BENCH_SECONDS ?? 3);
const ID = "user-1";

const stored = merge(null, ID, EARLIER, NOW);
const storedJson = mergeJson(null, ID, JSON.stringify(EARLIER), NOW);
const storedByJs = jsIdentify(null, ID, EARLIER, NOW);
const storedTypical = merge(null, ID, TYPICAL_EARLIER, NOW);
const storedByLight = lightIdentify(null, ID, TYPICAL_EARLIER, NOW);

// What `merge` must do in JS beyond `mergeJson`'s work, whatever the core
// costs: write the body as JSON, and read the new record into objects
// frozen all the way down (contract §8), as src/js/records.js does. The
// flow adds `validate`'s JSON of the body and the user's JSON at the end.
const RECORD_TEXT = mergeJson(storedJson, ID, REQUEST_TEXT, NOW);
/** The record the flow's `merge` returns. */
const NEXT = merge(stored, ID, REQUEST, NOW);
const TYPICAL_RECORD_TEXT = mergeJson(mergeJson(null, ID, JSON.stringify(TYPICAL_EARLIER), NOW), ID, TYPICAL_TEXT, NOW);
function freezeAll(value) {
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const child = value[index];
      if (typeof child === "object" && child !== null) freezeAll(child);
    }
  } else {
    for (const key in value) {
      const child = value[key];
      if (typeof child === "object" && child !== null) freezeAll(child);
    }
  }
  return value;
}

const JS_STACK = "JS stack: zod 4 + libphonenumber-js + Intl + lodash.merge, then JSON.stringify(user)";
const FLOW = "package: validate, merge, JSON.stringify(toUser(next))";
const MERGE_FLOOR = "  JS alone in merge: JSON.stringify(body), JSON.parse(record) frozen all the way down";
const FLOW_FLOOR = "  JS alone in the flow: merge's, validate's JSON.stringify(body), JSON.stringify(user)";
const TYPICAL_FLOOR = "  JS alone in the flow, typical request";
// The JS alone, with the record read by `read` (frozen, as records are, or not).
const readFrozen = (text) => freezeAll(JSON.parse(text));
const mergeJsAlone = (read) => () => read(RECORD_TEXT) && JSON.stringify(REQUEST);
const flowJsAlone = (body, recordText, read) => () =>
  JSON.stringify(body) + JSON.stringify(body) + JSON.stringify(read(recordText).user);
// The same two floors if records were plain objects, not frozen (a contract
// question, §8): what `merge` and the flow could gain from that alone.
const MERGE_UNFROZEN = "  JS alone in merge, the record not frozen";
const FLOW_UNFROZEN = "  JS alone in the flow, the record not frozen";
const LIGHT_STACK = "lighter stack, typical request: zod (z.any() parts) + libphonenumber-js + lodash.merge";
const TYPICAL_FLOW = "package, typical request: validate, merge, JSON.stringify(toUser(next))";
const candidates = {
  [FLOW]: () => {
    if (validate(ID, REQUEST).length > 0) throw new Error("invalid");
    return JSON.stringify(toUser(merge(stored, ID, REQUEST, NOW)));
  },
  "package: merge (which validates), JSON.stringify(toUser(next))": () => JSON.stringify(toUser(merge(stored, ID, REQUEST, NOW))),
  "package: mergeJson (record and body as JSON text)": () => mergeJson(storedJson, ID, REQUEST_TEXT, NOW),
  [JS_STACK]: () => JSON.stringify(jsIdentify(storedByJs, ID, REQUEST, NOW).user),
  [TYPICAL_FLOW]: () => {
    if (validate(ID, TYPICAL).length > 0) throw new Error("invalid");
    return JSON.stringify(toUser(merge(storedTypical, ID, TYPICAL, NOW)));
  },
  [LIGHT_STACK]: () => JSON.stringify(lightIdentify(storedByLight, ID, TYPICAL, NOW).user),
  "  package call: validate": () => validate(ID, REQUEST),
  "  package call: merge": () => merge(stored, ID, REQUEST, NOW),
  "  package call: validateJson": () => validateJson(ID, REQUEST_TEXT),
  // The flow's two ends in plain JS: an app that gets the request as text
  // parses it first, and the flow ends by writing the user.
  "  JS call: JSON.parse(request text)": () => JSON.parse(REQUEST_TEXT),
  "  JS call: JSON.stringify(toUser(next))": () => JSON.stringify(toUser(NEXT)),
  [MERGE_FLOOR]: mergeJsAlone(readFrozen),
  [FLOW_FLOOR]: flowJsAlone(REQUEST, RECORD_TEXT, readFrozen),
  [MERGE_UNFROZEN]: mergeJsAlone(JSON.parse),
  [FLOW_UNFROZEN]: flowJsAlone(REQUEST, RECORD_TEXT, JSON.parse),
  [TYPICAL_FLOOR]: flowJsAlone(TYPICAL, TYPICAL_RECORD_TEXT, readFrozen),
};

// Both sides give the same user (keys compared in sorted order).
const canonical = (value) =>
  JSON.stringify(value, (_, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
const ours = toUser(merge(stored, ID, REQUEST, NOW));
const theirs = jsIdentify(storedByJs, ID, REQUEST, NOW).user;
for (const key of Object.keys(ours)) {
  if (canonical(ours[key]) !== canonical(theirs[key])) throw new Error(`the stacks differ on ${key}`);
}
if (canonical(JSON.parse(mergeJson(storedJson, ID, REQUEST_TEXT, NOW)).user) !== canonical(ours)) throw new Error("mergeJson differs");
if (canonical(toUser(merge(storedTypical, ID, TYPICAL, NOW))) !== canonical(lightIdentify(storedByLight, ID, TYPICAL, NOW).user)) {
  throw new Error("the package and the lighter stack differ on the typical request");
}

/** Operations per second of `fn` over `ms`. */
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
for (const fn of Object.values(candidates)) run(fn, 500); // warm up (JIT and wasm tier-up)
const samples = Object.fromEntries(Object.keys(candidates).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(candidates)) samples[name].push(run(fn, (SECONDS * 1000) / ROUNDS));
}
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

const runtime = globalThis.Bun ? `Bun ${Bun.version}` : globalThis.Deno ? `Deno ${Deno.version.deno}` : `Node ${process.version}`;
console.log(`identify against a stored user, ${runtime}, median of ${ROUNDS} interleaved rounds, ${SECONDS} s in all per flow`);
console.log(`  requests: the full one ${REQUEST_TEXT.length} bytes, the typical one ${TYPICAL_TEXT.length} bytes`);
const results = {};
for (const name of Object.keys(candidates)) {
  results[name] = median(samples[name]);
  console.log(`  ${name.padEnd(88)} ${(1e6 / results[name]).toFixed(2).padStart(7)} µs`);
}
// Each ratio is the package's speed over its anchor's: above 1, the package is faster.
const js = results[JS_STACK];
for (const name of Object.keys(candidates).filter((name) => name.startsWith("package: ") && name !== FLOW)) {
  console.log(`  ratio ${name.replace("package: ", "")}: ${(results[name] / js).toFixed(2)}× the JS stack (full request)`);
}
// Operations per second, so time(merge) / time(mergeJson) is their inverse ratio.
const mergeJsonRate = results["package: mergeJson (record and body as JSON text)"];
const leastOverMergeJson = (floor) => ((1 / results[floor] + 1 / mergeJsonRate) * mergeJsonRate).toFixed(2);
console.log(
  `  merge takes ${(mergeJsonRate / results["  package call: merge"]).toFixed(2)}× mergeJson's time; ` +
    `mergeJson plus the JS alone would take ${leastOverMergeJson(MERGE_FLOOR)}× ` +
    `(${leastOverMergeJson(MERGE_UNFROZEN)}× with the record not frozen)`,
);
// What is left for the core and its glue at 3× the anchor, and the most the
// flow could be against it if they cost nothing (the JS alone).
function budget(flow, floor, anchor, anchorName) {
  const [flowTime, floorTime, anchorTime] = [1e6 / results[flow], 1e6 / results[floor], 1e6 / results[anchor]];
  console.log(
    `  ${flow.replace("package", "the flow").replace(/: .*/, "")} takes ${flowTime.toFixed(2)} µs, ` +
      `${floorTime.toFixed(2)} of them the JS alone; at 3× ${anchorName} it would take ${(anchorTime / 3).toFixed(2)} µs, ` +
      `${(anchorTime / 3 - floorTime).toFixed(2)} for the core and its glue (now ${(flowTime - floorTime).toFixed(2)}); ` +
      `with a core and glue that cost nothing, ${(anchorTime / floorTime).toFixed(2)}×`,
  );
}
budget(FLOW, FLOW_FLOOR, JS_STACK, "the JS stack");
console.log(
  `  with the record not frozen, the JS alone in the flow would take ${(1e6 / results[FLOW_UNFROZEN]).toFixed(2)} µs: ` +
    `a core and glue that cost nothing would reach ${(results[FLOW_UNFROZEN] / js).toFixed(2)}× the JS stack`,
);
budget(TYPICAL_FLOW, TYPICAL_FLOOR, LIGHT_STACK, "the lighter stack");
console.log(`  RATIO the flow against the full JS stack, full request:      ${(results[FLOW] / js).toFixed(2)}×`);
console.log(`  RATIO the flow against the lighter stack, typical request: ${(results[TYPICAL_FLOW] / results[LIGHT_STACK]).toFixed(2)}×`);
