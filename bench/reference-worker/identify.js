// A complete identify (`PUT /v1/users/{user_id}`) in plain JavaScript, as
// a good JS developer would write the same Worker as src/worker/: the peer
// scripts/measure-worker holds the Rust Worker's identify against. Not part
// of the product.
//
// The same design and the same answers: the configured keys' SHA-256
// digests, computed once per isolate, compared in constant time with the
// digest of the presented key (401); the environment's IDENTIFY_LIMITER
// (429); the media type (415), the size (413), JSON (400); the JS stack
// (bench/js-stack.mjs: zod 4, libphonenumber-js, Intl, lodash.merge) to
// validate (422 with every problem) and, in the user's Durable Object, to
// merge; the object keeps the record in its SQLite storage with a version
// (the ETag) and a change-history entry, adopts a user from KV once, and
// its alarm writes the record to KV and the user's row to the users index
// (D1), at most once a second. Left out: Idempotency-Key and If-Match
// (contract §9), the 256 KiB limits on a merged user (§3), public keys.
import { DurableObject } from "cloudflare:workers";
import { identify, requestSchema } from "../js-stack.mjs";

const MAX_BODY_BYTES = 1_048_576;
const STANDARD = ["avatar", "created_at", "email", "locale", "name", "phone_number", "timezone"];
const FLUSH_SPACING_MS = 1_000;
const HISTORY_ENTRIES = 100;
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A failed request: its status, contract §6 code, message and problems. */
class ApiError extends Error {
  constructor(status, code, message, errors = []) {
    super(message);
    Object.assign(this, { status, code, errors });
  }
}

const invalid = (errors) => new ApiError(422, "invalid_params", "the request has invalid parameters", errors);

function json(status, body, requestId, headers = {}) {
  return new Response(body, {
    status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", "X-Request-ID": requestId, ...headers },
  });
}

function errorResponse(error, requestId) {
  if (!(error instanceof ApiError)) {
    console.error(`request ${requestId}: ${error?.stack ?? error}`);
    error = new ApiError(500, "internal_error", "internal error");
  }
  // The keys in the Rust Worker's order (serde_json's, sorted).
  const errors = error.status === 422 ? { errors: error.errors } : {};
  const body = { code: error.code, ...errors, message: error.message, request_id: requestId, status: error.status };
  const headers = error.status === 429 ? { "Retry-After": "10" } : error.status === 405 ? { Allow: "GET, PUT, DELETE" } : {};
  return json(error.status, JSON.stringify(body), requestId, headers);
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** The configured keys as digests, computed once per isolate (per value of API_KEYS). */
let configured = { text: null, keys: null };
async function configuredKeys(env) {
  if (configured.text !== env.API_KEYS) {
    const map = JSON.parse(env.API_KEYS ?? "");
    const keys = await Promise.all(Object.entries(map).map(async ([key, environment]) => [await sha256(key), environment]));
    configured = { text: env.API_KEYS, keys };
  }
  return configured.keys;
}

/** The environment of the request's key; every configured key compared, each in constant time. */
async function authenticate(request, env) {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(request.headers.get("Authorization") ?? "");
  if (!match) throw new ApiError(401, "api_key_missing", "no API key: send `Authorization: Bearer <secret key>`");
  const digest = await sha256(match[1]);
  let environment = null;
  for (const [candidate, name] of await configuredKeys(env)) {
    let difference = 0;
    for (let i = 0; i < 32; i++) difference |= candidate[i] ^ digest[i];
    if (difference === 0) environment = name;
  }
  if (environment === null) throw new ApiError(401, "invalid_api_key", "the API key is not valid");
  return environment;
}

/** Contract §1: the problems of a path's user id. */
function userIdProblems(userId) {
  const length = [...userId].length;
  if (length < 1 || length > 256) return [{ field: "user_id", message: "a user id is 1 to 256 characters", type: "too_long" }];
  if (/[/#\u0000-\u001f\u007f]/.test(userId)) {
    return [{ field: "user_id", message: "a user id has no `/`, `#` or control character", type: "format" }];
  }
  return [];
}

/** zod's issues as the contract's problems ({ field, message, type }). */
function problemsOf(issues) {
  return issues.map((issue) => {
    const field = issue.path.join(".");
    const type =
      field === "__typename" || field === "updated_at"
        ? "read_only"
        : issue.code === "invalid_type"
          ? "type"
          : issue.code === "too_big"
            ? "too_long"
            : issue.code === "unrecognized_keys"
              ? "unknown_value"
              : "format";
    return { field, message: issue.message, type };
  });
}

/** The body: its media type (415), size (413), UTF-8 JSON (400), then every problem (422). */
async function readRequest(request, userId) {
  const mediaType = (request.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new ApiError(415, "unsupported_media_type", "send the body as `Content-Type: application/json`");
  }
  const tooLarge = () => new ApiError(413, "request_too_large", `the body is over ${MAX_BODY_BYTES} bytes`);
  if (Number(request.headers.get("Content-Length") ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  const bytes = await request.arrayBuffer();
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  let text, body;
  try {
    text = strictUtf8.decode(bytes);
    body = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "invalid_json", `the body is not JSON: ${error.message}`);
  }
  const problems = userIdProblems(userId);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalid([...problems, { field: "", message: "expected a JSON object", type: "type" }]);
  }
  const checked = requestSchema.safeParse(body);
  if (!checked.success) problems.push(...problemsOf(checked.error.issues));
  if (body.id != null && body.id !== userId) {
    problems.push({ field: "id", message: "expected the path's user id", type: "mismatch" });
  }
  if (problems.length > 0) throw invalid(problems);
  return text;
}

async function handle(request, env, requestId) {
  const match = /^\/v1\/users\/([^/]+)$/.exec(new URL(request.url).pathname);
  if (!match) throw new ApiError(404, "resource_missing", "no such route");
  if (request.method !== "PUT") throw new ApiError(405, "method_not_allowed", `${request.method} is not allowed here`);
  let userId;
  try {
    userId = decodeURIComponent(match[1]);
  } catch {
    userId = "";
  }
  const environment = await authenticate(request, env);
  const { success } = await env.IDENTIFY_LIMITER.limit({ key: environment });
  if (!success) throw new ApiError(429, "rate_limit_exceeded", "too many requests for this route: retry after 10 seconds");
  const text = await readRequest(request, userId);
  const objects = env.JS_USER_OBJECTS;
  const reply = await objects.get(objects.idFromName(`${environment}/${userId}`)).identify(environment, userId, text, requestId);
  return json(200, reply.body, requestId, { ETag: reply.etag });
}

/** The Worker's fetch for `/v1/users/...`: every failure is contract §6's JSON. */
export async function fetchIdentify(request, env) {
  const requestId = `req_${crypto.randomUUID().replaceAll("-", "")}`;
  try {
    return await handle(request, env, requestId);
  } catch (error) {
    return errorResponse(error, requestId);
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS user_state (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    environment TEXT NOT NULL, user_id TEXT NOT NULL, epoch TEXT NOT NULL,
    record TEXT, version INTEGER NOT NULL, flushed_version INTEGER NOT NULL,
    last_write_ms INTEGER NOT NULL, last_flush_ms INTEGER NOT NULL, flush_at_ms INTEGER
  );
  CREATE TABLE IF NOT EXISTS change_entry (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    etag TEXT NOT NULL, at TEXT NOT NULL, request_id TEXT NOT NULL, route TEXT NOT NULL, changed TEXT NOT NULL
  );`;

const INDEX_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS listed_user (
    environment TEXT NOT NULL, user_id TEXT NOT NULL, epoch TEXT NOT NULL, version INTEGER NOT NULL,
    email TEXT, user_json TEXT, preference_sets TEXT, PRIMARY KEY (environment, user_id))`,
  `CREATE INDEX IF NOT EXISTS listed_user_by_email ON listed_user (environment, email, user_id) WHERE email IS NOT NULL`,
];
const INDEX_WRITE = `INSERT INTO listed_user (environment, user_id, epoch, version, email, user_json, preference_sets)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (environment, user_id) DO UPDATE SET
    epoch = excluded.epoch, version = excluded.version, email = excluded.email,
    user_json = excluded.user_json, preference_sets = excluded.preference_sets
  WHERE listed_user.epoch <> excluded.epoch OR listed_user.version < excluded.version`;
let indexReady = false;

/** Contract §7's KV key, by digest when the id would pass KV's 512 bytes. */
async function kvKey(environment, userId) {
  const key = `${environment}/users/${userId}`;
  if (encoder.encode(key).length <= 512) return key;
  const hex = [...(await sha256(userId))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${environment}/users#sha256/${hex}`;
}

/** A new user's record, its answer's keys in the contract's order (§4). */
function newRecord(userId) {
  const user = { __typename: "User", id: userId };
  for (const key of STANDARD) user[key] = null;
  user.updated_at = null;
  return { user, preferences: {}, channel_data: {} };
}

/** One user's Durable Object: the one writer of its record. */
export class JsUserObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  state() {
    return this.sql.exec("SELECT * FROM user_state WHERE id = 0").toArray()[0] ?? null;
  }

  /** Identify: read, merge and store with no await between; then the flush's alarm. */
  async identify(environment, userId, text, requestId) {
    let state = this.state() ?? (await this.ctx.blockConcurrencyWhile(() => this.adopt(environment, userId)));
    const clock = Date.now();
    const now = Math.max(clock, state.last_write_ms + 1);
    const request = JSON.parse(text);
    const record = identify(state.record === null ? newRecord(userId) : JSON.parse(state.record), userId, request, now);
    const version = state.version + 1;
    const etag = `"${state.epoch}.${version}"`;
    const flushAt = state.flush_at_ms ?? Math.max(clock, state.last_flush_ms + FLUSH_SPACING_MS);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "UPDATE user_state SET record = ?, version = ?, last_write_ms = ?, flush_at_ms = ? WHERE id = 0",
        JSON.stringify(record),
        version,
        now,
        flushAt,
      );
      const changed = JSON.stringify(Object.keys(request).sort());
      this.sql.exec(
        "INSERT INTO change_entry (etag, at, request_id, route, changed) VALUES (?, ?, ?, 'identify', ?)",
        etag,
        record.user.updated_at,
        requestId,
        changed,
      );
      this.sql.exec("DELETE FROM change_entry WHERE seq <= (SELECT MAX(seq) FROM change_entry) - ?", HISTORY_ENTRIES);
    });
    if (state.flush_at_ms === null) await this.ctx.storage.setAlarm(flushAt);
    return { body: JSON.stringify(record.user), etag };
  }

  /** A user the object has never held: its KV record (if any), adopted once. */
  async adopt(environment, userId) {
    const stored = await this.env.USERS.get(await kvKey(environment, userId));
    const epoch = [...crypto.getRandomValues(new Uint8Array(8))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    this.sql.exec(
      `INSERT INTO user_state (id, environment, user_id, epoch, record, version, flushed_version, last_write_ms, last_flush_ms, flush_at_ms)
       VALUES (0, ?, ?, ?, ?, 0, 0, 0, 0, NULL)`,
      environment,
      userId,
      epoch,
      stored,
    );
    return this.state();
  }

  /** The flush: the record to KV and the user's row to the index, then the next alarm if it changed meanwhile. */
  async alarm() {
    const state = this.state();
    if (state === null || state.version === state.flushed_version) return;
    const record = JSON.parse(state.record);
    const started = Date.now();
    await this.env.USERS.put(await kvKey(state.environment, state.user_id), state.record);
    await this.writeIndex(state, record);
    const current = this.state();
    const next = current.version === state.version ? null : Math.max(Date.now(), started + FLUSH_SPACING_MS);
    this.sql.exec(
      "UPDATE user_state SET flushed_version = ?, last_flush_ms = ?, flush_at_ms = ? WHERE id = 0",
      state.version,
      started,
      next,
    );
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  async writeIndex(state, record) {
    const db = this.env.USERS_INDEX;
    if (!indexReady) {
      await db.batch(INDEX_SCHEMA.map((sql) => db.prepare(sql)));
      indexReady = true;
    }
    const sets = Object.entries(record.preferences).map(([id, { categories = null, channel_types = null, workflows = null, ...rest }]) => ({
      __typename: "PreferenceSet",
      id,
      categories,
      channel_types,
      workflows,
      ...rest,
    }));
    const email = record.user.email?.toLowerCase() ?? null;
    await db
      .prepare(INDEX_WRITE)
      .bind(state.environment, state.user_id, state.epoch, state.version, email, JSON.stringify(record.user), JSON.stringify(sets))
      .run();
  }
}
