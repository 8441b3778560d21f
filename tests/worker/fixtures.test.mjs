// The whole fixture corpus (tests/fixtures, see its README) over HTTP
// against the built Worker under workerd: one test per case.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { caseBefore, caseBody, fixtureCases, send, startMiniflare } from "./helpers.mjs";

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

for (const testCase of fixtureCases()) {
  test(`fixture ${testCase.name}: ${testCase.description}`, async () => {
    const { url } = server;
    const id = testCase.user_id;
    const dotAnswer = DOT_SEGMENT_ANSWERS[id];
    if (!dotAnswer) {
      const reset = await send(url, "DELETE", id);
      assert.ok([204, 422].includes(reset.status), `DELETE answered ${reset.status}`);
    }
    for (const [index, body] of caseBefore(testCase).entries()) {
      const answer = await send(url, "PUT", id, { body });
      assert.equal(answer.status, 200, `before[${index}]: ${answer.text}`);
    }
    const started = Date.now();
    const answer = await send(url, "PUT", id, { body: caseBody(testCase) });
    const finished = Date.now();
    assert.ok(answer.headers.get("x-request-id"), "X-Request-ID");
    if (dotAnswer) {
      const got = { status: answer.status, code: answer.body?.code };
      if (dotAnswer.errors) got.errors = answer.body?.errors;
      assert.deepEqual(got, dotAnswer);
      return;
    }
    const expect = testCase.expect;
    if (expect.status === 200) {
      assert.equal(answer.status, 200, answer.text);
      const { updated_at: updatedAt, ...user } = answer.exact;
      assert.match(updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const written = Date.parse(updatedAt);
      assert.ok(written >= started - 5 && written <= finished + 5, `updated_at ${updatedAt} is the time of the write`);
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
