// Shared by the Worker's end-to-end tests: start the BUILT Worker
// (build/index.js, from scripts/build-worker) under real workerd, either
// through Miniflare (any configuration a test needs) or through
// `wrangler dev` with the repository's wrangler.toml and .dev.vars; send
// requests over loopback; read the fixture corpus.
import { spawn } from "node:child_process";
import { createSign, generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import Knock from "@knocklabs/node";
import { Log, LogLevel, Miniflare } from "miniflare";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const FIXTURES = join(ROOT, "tests", "fixtures");
/** The compatibility date of wrangler.toml. */
export const COMPATIBILITY_DATE = /compatibility_date\s*=\s*"([^"]+)"/.exec(
  readFileSync(join(ROOT, "wrangler.toml"), "utf8"),
)[1];

/** Keys of the test servers: two environments, so users can be told apart. */
export const KEYS = { sk_test_a: "env-a", sk_test_b: "env-b" };
export const KEY = "sk_test_a";
export const OTHER_KEY = "sk_test_b";

/** wrangler.toml's queue producer and consumers, as Miniflare takes them. */
export const BULK_QUEUE_PRODUCERS = { BULK_QUEUE: { queueName: "knock-identify-bulk" } };
export const BULK_QUEUE_CONSUMERS = {
  "knock-identify-bulk": {
    maxBatchSize: 100,
    maxBatchTimeout: 1,
    maxRetries: 10,
    retryDelay: 5,
    deadLetterQueue: "knock-identify-bulk-dead-letter",
  },
  "knock-identify-bulk-dead-letter": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 100, retryDelay: 60 },
};

/** wrangler.toml's rate limits, per 10 s; a test may change any of them. */
export const DEFAULT_LIMITS = { identify: 600, get: 2000, delete: 50, bulk: 10, publicUser: 50, public: 2000, list: 2000, merge: 50 };

/** A throwaway folder inside the repository's ignored `.wrangler/`. */
export function tempDir(prefix) {
  const base = join(ROOT, ".wrangler", "test");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}

/**
 * The built Worker's Miniflare options, bound as wrangler.toml binds it:
 * KV, the Durable Objects (SQLite-backed) and the users index (D1)
 * stored under `persist`, the
 * bulk queue and its dead-letter queue consumed by the same Worker, the
 * rate limiters (`limits` per 10 s, each defaulting to wrangler.toml's) and
 * `bindings` (variables and secrets).
 */
export function workerOptions({ persist, limits = {}, bindings }) {
  limits = { ...DEFAULT_LIMITS, ...limits };
  return {
    scriptPath: join(ROOT, "build", "index.js"),
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: ["USERS"],
    kvPersist: persist,
    durableObjects: {
      USER_OBJECTS: { className: "UserObject", useSQLite: true },
      BULK_OPERATIONS: { className: "BulkOperation", useSQLite: true },
    },
    durableObjectsPersist: persist,
    d1Databases: ["USERS_INDEX"],
    d1Persist: persist,
    queueProducers: BULK_QUEUE_PRODUCERS,
    queueConsumers: BULK_QUEUE_CONSUMERS,
    ratelimits: {
      IDENTIFY_LIMITER: { simple: { limit: limits.identify, period: 10 } },
      GET_LIMITER: { simple: { limit: limits.get, period: 10 } },
      DELETE_LIMITER: { simple: { limit: limits.delete, period: 10 } },
      BULK_LIMITER: { simple: { limit: limits.bulk, period: 10 } },
      PUBLIC_USER_LIMITER: { simple: { limit: limits.publicUser, period: 10 } },
      PUBLIC_LIMITER: { simple: { limit: limits.public, period: 10 } },
      LIST_LIMITER: { simple: { limit: limits.list, period: 10 } },
      MERGE_LIMITER: { simple: { limit: limits.merge, period: 10 } },
    },
    bindings,
  };
}

/**
 * Starts the built Worker under Miniflare on 127.0.0.1 (a free port).
 * `apiKeys`: the API_KEYS secret (a string, or null to leave it unset);
 * `limits`: per-10 s limits of the three rate limiters; `persist`: the
 * folder of KV and the users' Durable Objects (a fresh one by default).
 * `kv()` gives the USERS namespace itself (Miniflare's API), to read and
 * write KV beside the Worker. The Worker's console output is collected
 * in `logs` ({ level, message }).
 */
export async function startMiniflare({
  apiKeys = JSON.stringify(KEYS),
  limits,
  persist,
  allowedOrigins,
  vars = {},
} = {}) {
  const ownPersist = persist === undefined;
  if (ownPersist) persist = tempDir("kv");
  const bindings = { ...vars };
  if (apiKeys !== null) bindings.API_KEYS = apiKeys;
  if (allowedOrigins !== undefined) bindings.ALLOWED_ORIGINS = allowedOrigins;
  const logs = [];
  const mf = new Miniflare({
    handleStructuredLogs: ({ level, message }) => {
      logs.push({ level, message });
    },
    // Miniflare's own warnings and errors (workerd exiting among them) on
    // stderr: by default it says nothing, and a test sees only "fetch failed".
    log: new Log(LogLevel.WARN),
    host: "127.0.0.1",
    port: 0,
    ...workerOptions({ persist, limits, bindings }),
  });
  const url = await mf.ready;
  const stop = async () => {
    await mf.dispose();
    if (ownPersist) removeDir(persist);
  };
  return { url: url.origin, persist, stop, logs, kv: () => mf.getKVNamespace("USERS"), queue: () => mf.getQueueProducer("BULK_QUEUE") };
}

/**
 * The built Worker (named "api") as one of several workers, bound as
 * wrangler.toml binds it; `overrides` replaces its options (bindings made
 * to fail, queue settings).
 */
export function apiWorker(persist, overrides = {}) {
  return { name: "api", ...workerOptions({ persist, bindings: { API_KEYS: JSON.stringify(KEYS) } }), ...overrides };
}

/**
 * Starts `workers` in one Miniflare on 127.0.0.1: the built Worker
 * (`apiWorker`) and, beside it, small scripts that stand in for a part
 * made to fail. KV and the objects are kept under `persist`, so a test may
 * stop and start again on the same storage (`stop({ keep: true })`).
 * Resolves to { url, logs, runtimeLogs, mf, stop }: `logs` are the
 * workers' console lines ({ level, message }), `runtimeLogs` Miniflare's
 * own (its queue broker's `QUEUE <name> <acked>/<total>` among them).
 */
export async function startWorkers(workers, persist) {
  const logs = [];
  const runtimeLogs = [];
  class CapturingLog extends Log {
    logWithLevel(level, message) {
      runtimeLogs.push(message);
      super.logWithLevel(level, message);
    }
  }
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    log: new CapturingLog(LogLevel.NONE),
    kvPersist: persist,
    durableObjectsPersist: persist,
    d1Persist: persist,
    handleStructuredLogs: ({ level, message }) => {
      logs.push({ level, message });
    },
    workers,
  });
  const url = await mf.ready.catch(async (error) => {
    await mf.dispose();
    removeDir(persist);
    throw error;
  });
  const stop = async ({ keep = false } = {}) => {
    await mf.dispose();
    if (!keep) removeDir(persist);
  };
  return { url: url.origin, logs, runtimeLogs, mf, stop };
}

/** The Worker under Miniflare and Knock's Node SDK pointed at it, unchanged but for no retries: { server, knock }. */
export async function startWithKnock() {
  const server = await startMiniflare();
  return { server, knock: new Knock({ apiKey: KEY, baseURL: server.url, maxRetries: 0 }) };
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `wrangler dev` with the repository's wrangler.toml and .dev.vars
 * (key `sk_test_local`), KV under `persist`; resolves once it is "Ready on".
 */
export async function startWranglerDev({ persist = tempDir("wrangler"), timeoutMs = 120_000 } = {}) {
  const port = await freePort();
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: join(ROOT, ".wrangler", "logs"),
  };
  const child = spawn(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persist, "--show-interactive-dev-session=false", "--live-reload=false"],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const stop = async () => {
    // wrangler's workerd processes can outlive wrangler for a moment, still
    // holding the KV files: wait until every process it started has ended
    // (ended by its pid if it lingers), so a restart reads what was written.
    const started = descendants(child.pid);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM"); // wrangler stops its workerd before it exits
      await exited;
    }
    const deadline = Date.now() + 10_000;
    while (started.some(isRunning)) {
      if (Date.now() > deadline) {
        for (const pid of started.filter(isRunning)) process.kill(pid, "SIGKILL");
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`wrangler dev not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (data) => {
      output += data;
      if (/Ready on http/.test(output)) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`wrangler dev exited with ${code}:\n${output}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, persist, stop, output: () => output };
}

/** The pids of every running descendant of `pid` (from /proc). */
function descendants(pid) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const found = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift();
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Whether `pid` is a live process (a zombie has ended). */
function isRunning(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The URL of a user: the id percent-encoded as one path segment. */
export function userUrl(base, userId) {
  const segment = encodeURIComponent(userId).replace(/\./g, "%2E");
  return `${base}/v1/users/${segment}`;
}

/**
 * JSON.parse that keeps every number as written: each becomes `{ number:
 * "<its text>" }`, so `12345678901234567890` and `1e400` compare exactly
 * (the reviver's `context.source`, Node >= 21).
 */
export function parseExact(text) {
  return JSON.parse(text, (_key, value, context) => (typeof value === "number" ? { number: context.source } : value));
}

/**
 * Sends a request; answers { status, headers, body (parsed JSON or null),
 * exact (the same through `parseExact`), text }.
 */
export async function send(base, method, userId, { body, key = KEY, headers = {}, path } = {}) {
  const allHeaders = { ...headers };
  if (key !== null) allHeaders.Authorization = `Bearer ${key}`;
  if (body !== undefined && !Object.keys(allHeaders).some((name) => name.toLowerCase() === "content-type")) {
    allHeaders["Content-Type"] = "application/json";
  }
  const url = path !== undefined ? `${base}${path}` : userUrl(base, userId);
  const response = await fetch(url, { method, headers: allHeaders, body });
  const text = await response.text();
  let parsed = null;
  let exact = null;
  try {
    parsed = text ? JSON.parse(text) : null;
    exact = text ? parseExact(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, exact, text };
}

/** Every fixture case, by file name; `exactExpect` is its `expect` through `parseExact`. */
export function fixtureCases() {
  return readdirSync(FIXTURES)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => {
      const text = readFileSync(join(FIXTURES, name), "utf8");
      return { name, ...JSON.parse(text), exactExpect: parseExact(text).expect };
    });
}

/** A body given as text, or as `[piece, count]` pairs to repeat. */
function rawBody(spec) {
  return typeof spec === "string" ? spec : spec.map(([piece, count]) => piece.repeat(count)).join("");
}

/** The request body of a case, exactly as the native runner builds it. */
export function caseBody(testCase) {
  if ("body" in testCase) return JSON.stringify(testCase.body);
  if ("raw_body" in testCase) return testCase.raw_body;
  return rawBody(testCase.raw_body_repeat);
}

/** The bodies a case identifies first, as text (`before` or `raw_before`). */
export function caseBefore(testCase) {
  if ("raw_before" in testCase) return testCase.raw_before.map(rawBody);
  return (testCase.before ?? []).map((body) => JSON.stringify(body));
}

/** Removes a folder made by tempDir. */
export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Polls `condition` (sync or async) every 50 ms until it returns a truthy
 * value, which it resolves to; fails after `timeoutMs` naming `what`.
 * Tests wait for what they assert, never for a fixed time.
 */
export async function waitFor(condition, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A fresh RSA-2048 signing key pair, PEM: { publicKey, privateKey }. */
export function signingKeyPair() {
  return generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
}

/** Seconds since the epoch, as JWT times are written. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** JSON (or text) as one base64url segment of a JWT. */
export const base64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A user token for `sub`: RS256, valid for an hour, signed by `privateKey`, with `claims` added. */
export function rs256Token(sub, privateKey, claims = {}) {
  const signed = `${base64url({ alg: "RS256", typ: "JWT" })}.${base64url({ sub, iat: nowSeconds(), exp: nowSeconds() + 3600, ...claims })}`;
  return `${signed}.${createSign("RSA-SHA256").update(signed).sign(privateKey).toString("base64url")}`;
}

/**
 * Waits, if needed, so that the next 5 s stay inside one window of the
 * rate limiters (workerd's local limiter counts in fixed windows aligned
 * to multiples of their 10 s period): a test's requests count together.
 */
export async function freshLimiterWindow() {
  const periodMs = 10_000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
