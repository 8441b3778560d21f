// The whole fixture corpus (tests/fixtures, see its README) over HTTP
// against the built Worker under workerd: one test per case.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, before, test } from "node:test";
import { caseBefore, caseBody as textBody, FIXTURES, fixtureCases, send, startMiniflare } from "./helpers.mjs";

/**
 * The request body of a case: `raw_body_bytes` (pieces of UTF-8 text and
 * lists of byte values, for bodies that are not UTF-8) as bytes, every
 * other form as helpers.mjs builds it.
 */
function caseBody(testCase) {
  if (!("raw_body_bytes" in testCase)) return textBody(testCase);
  const pieces = testCase.raw_body_bytes.map((piece) => (typeof piece === "string" ? Buffer.from(piece, "utf8") : Buffer.from(piece)));
  return new Uint8Array(Buffer.concat(pieces));
}

/** An RFC 3339 UTC time with milliseconds that names a real instant. */
function timestampMs(text) {
  assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const ms = Date.parse(text);
  assert.equal(new Date(ms).toISOString(), text, `${text} is a real date and time`);
  return ms;
}

// A corpus that vanishes, or a listing that drops files, must fail: the
// cases are counted here from the directory on their own, and against a floor.
const CORPUS_FLOOR = 150;
const CASES = fixtureCases();
const FILES = readdirSync(FIXTURES).filter((name) => name.endsWith(".json"));
let ran = 0;
// The last `updated_at` answered for each user id in this file's run (cases share ids).
const lastWritten = new Map();

// Ids a URL path cannot carry: WHATWG URL parsing (in every client and in
// workerd) resolves the dot segments `.`/`%2E` and `..`/`%2E%2E` before the
// Worker sees the path. `/v1/users/.` arrives as `/v1/users/` (the empty
// id) and `/v1/users/..` as `/v1/`, no route. These are the answers over
// HTTP; the core's own answer for these ids is tested natively.
const DOT_SEGMENT_ANSWERS = {
  ".": { status: 422, code: "invalid_params", errors: [{ field: "user_id", message: "the user id must not be empty", type: "format" }] },
  "..": { status: 404, code: "resource_missing" },
};

let server;
before(async () => {
  // Limits far above the run: this file tests answers, not the limiter.
  server = await startMiniflare({ limits: { identify: 100_000, get: 100_000, delete: 100_000 } });
});
after(() => server?.stop());

test("the corpus is all here", () => {
  assert.ok(FILES.length >= CORPUS_FLOOR, `tests/fixtures has ${FILES.length} cases, fewer than ${CORPUS_FLOOR}`);
  assert.deepEqual(CASES.map((testCase) => testCase.name), [...FILES].sort());
});

for (const testCase of CASES) {
  test(`fixture ${testCase.name}: ${testCase.description}`, async () => {
    const { url } = server;
    const id = testCase.user_id;
    const dotAnswer = DOT_SEGMENT_ANSWERS[id];
    if (!dotAnswer) {
      const reset = await send(url, "DELETE", id);
      assert.ok([204, 422].includes(reset.status), `DELETE answered ${reset.status}`);
    }
    // `updated_at` (contract §3, §7) is the time of the write, read from the
    // same system clock as Date.now() here (workerd runs on this machine),
    // so it lies between the send and the answer, without any margin; it
    // is one millisecond past the last write instead when the clock has not
    // moved since (it strictly increases per user, so within a case each
    // write is later than the one before).
    let previous = null;
    const identify = async (body) => {
      const started = Date.now();
      const answer = await send(url, "PUT", id, { body });
      const finished = Date.now();
      if (answer.status !== 200) return answer;
      const written = timestampMs(answer.body?.updated_at);
      const last = lastWritten.get(id) ?? -Infinity;
      assert.ok(written >= started, `updated_at ${answer.body.updated_at} is before the request was sent (${started})`);
      assert.ok(written <= Math.max(finished, last + 1), `updated_at ${answer.body.updated_at} is after the answer came (${finished}) and more than 1 ms past the last write`);
      if (previous !== null) assert.ok(written > previous, `updated_at ${answer.body.updated_at} is not later than the write before it`);
      previous = written;
      lastWritten.set(id, Math.max(last, written));
      return answer;
    };
    for (const [index, body] of caseBefore(testCase).entries()) {
      const answer = await identify(body);
      assert.equal(answer.status, 200, `before[${index}]: ${answer.text}`);
    }
    const answer = await identify(caseBody(testCase));
    assert.ok(answer.headers.get("x-request-id"), "X-Request-ID");
    ran += 1;
    if (dotAnswer) {
      const got = { status: answer.status, code: answer.body?.code };
      if (dotAnswer.errors) got.errors = answer.body?.errors;
      assert.deepEqual(got, dotAnswer);
      return;
    }
    const expect = testCase.expect;
    if (expect.status === 200) {
      assert.equal(answer.status, 200, answer.text);
      const { updated_at: _updatedAt, ...user } = answer.exact;
      // Numbers compared as written: nothing on the way may round them.
      if (expect.user) assert.deepEqual(user, testCase.exactExpect.user);
      // GET answers the user the PUT answered, byte for byte.
      const read = await send(url, "GET", id);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.text, answer.text);
      return;
    }
    const got = { status: answer.status, code: answer.body?.code };
    if (expect.errors) got.errors = answer.body?.errors;
    if (expect.message_contains) {
      got.message_contains = answer.body?.message?.includes(expect.message_contains)
        ? expect.message_contains
        : answer.body?.message;
    }
    assert.deepEqual(got, expect, answer.text);
    assert.equal(answer.body.status, expect.status);
    assert.equal(answer.body.request_id, answer.headers.get("x-request-id"));
  });
}

// Runs after every case (a file's tests run in order): each one got its answer.
test("every case of the corpus ran", () => {
  assert.equal(ran, CASES.length);
  assert.ok(ran >= CORPUS_FLOOR, `${ran} cases ran, fewer than ${CORPUS_FLOOR}`);
});
