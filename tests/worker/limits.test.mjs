// Contract §1–§3's limits over HTTP, against the built Worker under
// workerd: each at its bound (accepted) and one past it (refused), with
// bodies generated and measured here. The fixture corpus (fixtures.test.mjs)
// already sends the pairs it holds (a 1 MiB body with Content-Length, each
// part at 256 KiB and one byte past, in a request and after a merge, ids
// and keys of 256 and 257 ASCII characters, 64 and 65 levels, 100 and 101
// problems, bodies that are not UTF-8); this file sends what it does not:
// bodies streamed without Content-Length, sizes measured as written rather
// than as sent, keys of four-byte characters and empty ones, depth in
// channel data and cut short, and the count of problems left out.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { KEY, send, startMiniflare, userUrl } from "./helpers.mjs";

// The contract's numbers, written out.
const BODY_BYTES = 1_048_576;
const SECTION_BYTES = 262_144;
const KEY_CHARS = 256;
const DEPTH = 64;
const PROBLEMS = 100;
const CHANNEL = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
const OTHER_CHANNEL = "0a6e8e4f-4a3c-4b0e-9a59-5d6a0b1c2d3e";

let server;
before(async () => {
  // Limits far above the run: this file tests answers, not the limiter.
  server = await startMiniflare({ limits: { identify: 100_000, get: 100_000, delete: 100_000 } });
});
after(() => server?.stop());

let ids = 0;
/** A user id of its own for each request sequence. */
const freshId = (what) => `limits-${what}-${++ids}`;

const put = (id, body) => send(server.url, "PUT", id, { body });

function assertAccepted(answer, what) {
  assert.equal(answer.status, 200, `${what}: ${answer.text.slice(0, 500)}`);
}

function assertProblems(answer, errors, what) {
  assert.equal(answer.status, 422, `${what}: ${answer.text.slice(0, 500)}`);
  assert.equal(answer.body.code, "invalid_params");
  assert.deepEqual(answer.body.errors, errors, what);
}

function assertError(answer, status, code, what) {
  assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 500)}`);
  assert.equal(answer.body?.code, code, what);
  assert.equal(answer.body.request_id, answer.headers.get("x-request-id"));
}

const bytes = (text) => Buffer.byteLength(text, "utf8");

/**
 * PUT with Transfer-Encoding: chunked (no Content-Length), the body in
 * `chunks` (Buffers or strings) written one by one, as a client streaming
 * its body sends it: the Worker has to count while reading.
 */
function putChunked(id, chunks) {
  return new Promise((resolve, reject) => {
    const url = new URL(userUrl(server.url, id));
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "PUT",
        headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (data) => (text += data));
        res.on("end", () => resolve({ status: res.statusCode, text, body: text ? JSON.parse(text) : null, requestId: res.headers["x-request-id"] }));
      },
    );
    // A refused body may be cut off under the client: the answer is what counts.
    req.on("error", reject);
    let index = 0;
    const pump = () => {
      while (index < chunks.length) {
        if (!req.write(chunks[index++])) return req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

/** `total` bytes of body, `{ … "pad": value}` padded with spaces, cut into chunks of 65,537 bytes and one odd one. */
function paddedChunks(total, value) {
  const tail = `"pad": ${JSON.stringify(value)}}`;
  const text = `{${" ".repeat(total - 1 - bytes(tail))}${tail}`;
  assert.equal(bytes(text), total);
  const buffer = Buffer.from(text);
  const chunks = [];
  for (let start = 0; start < buffer.length; start += 65_537) chunks.push(buffer.subarray(start, start + 65_537));
  return chunks;
}

describe("the body: 1 MiB, counted while streaming", () => {
  test("a chunked body of exactly 1,048,576 bytes is read; 1,048,577 is a 413", async () => {
    const id = freshId("chunked");
    const at = await putChunked(id, paddedChunks(BODY_BYTES, "at the limit"));
    assert.equal(at.status, 200, at.text.slice(0, 300));
    assert.equal(at.body.pad, "at the limit");
    const past = await putChunked(id, paddedChunks(BODY_BYTES + 1, "one past"));
    assert.equal(past.status, 413, past.text);
    assert.equal(past.body.code, "request_too_large");
    assert.equal(past.body.message, "the request body is larger than 1048576 bytes (1 MiB)");
    assert.equal(past.body.request_id, past.requestId);
    // The refused body changed nothing.
    const read = await send(server.url, "GET", id);
    assert.equal(read.body.pad, "at the limit");
  });

  test("the bytes are counted, not the characters: 1 MiB of escapes (`\\u007f`, one byte once written)", async () => {
    const dels = Math.floor((BODY_BYTES - 9) / 6);
    const body = (extra) => `{"s": "${"x".repeat(BODY_BYTES - 9 - dels * 6 + extra)}${"\\u007f".repeat(dels)}"}`;
    assert.equal(bytes(body(0)), BODY_BYTES);
    const at = await put(freshId("escapes"), body(0));
    assertAccepted(at, "1 MiB of escapes");
    assert.equal([...at.body.s].filter((c) => c === "\u007f").length, dels);
    assertError(await put(freshId("escapes"), body(1)), 413, "request_too_large", "1 MiB and one byte of escapes");
  });

  test("a UTF-8 character split across chunks is one character; bytes that are not UTF-8 are a 400 however they arrive", async () => {
    const euro = Buffer.from("€"); // e2 82 ac
    const id = freshId("split");
    const split = await putChunked(id, [Buffer.from('{"name": "'), euro.subarray(0, 2), euro.subarray(2), Buffer.from('"}')]);
    assert.equal(split.status, 200, split.text);
    assert.equal(split.body.name, "€");
    // 0xE2 0x82 then a quote: cut short, whichever chunk the bytes come in.
    const cut = await putChunked(id, [Buffer.from('{"name": "'), euro.subarray(0, 1), euro.subarray(1, 2), Buffer.from('"}')]);
    assert.equal(cut.status, 400, cut.text);
    assert.equal(cut.body.code, "invalid_json");
    assert.equal(cut.body.message, "the body is not valid JSON: invalid UTF-8 at line 1 column 11");
  });
});

// ---------------------------------------------------------------------------
// Custom properties, preferences and channel data: 256 KiB as written.

/** Text written as exactly `written` bytes, sent as `\u00e9` escapes (six bytes sent for two written). */
function escapedText(written) {
  return {
    sent: "x".repeat(written % 2) + "\\u00e9".repeat(Math.floor(written / 2)),
    stored: "x".repeat(written % 2) + "é".repeat(Math.floor(written / 2)),
  };
}

/** The parts of a user with a size limit: how each is sent and written (§2, §3). */
const PARTS = [
  {
    name: "custom properties",
    field: "",
    sent: (slot, text) => `"big_${slot}": "${text}"`,
    written: (slots) => Object.fromEntries(slots.map(([slot, text]) => [`big_${slot}`, text])),
  },
  {
    name: "preferences",
    field: "preferences",
    sent: (slot, text) =>
      `"preferences": {"set_${slot}": {"channel_types": {"email": {"conditions": [{"variable": "${text}", "operator": "exists", "argument": null}]}}}}`,
    written: (slots) =>
      Object.fromEntries(
        slots.map(([slot, text]) => [`set_${slot}`, { channel_types: { email: { conditions: [{ variable: text, operator: "exists", argument: null }] } } }]),
      ),
  },
  {
    name: "channel data",
    field: "channel_data",
    sent: (slot, text) => `"channel_data": {"${slot === "a" ? CHANNEL : OTHER_CHANNEL}": {"tokens": ["${text}"]}}`,
    written: (slots) => Object.fromEntries(slots.map(([slot, text]) => [slot === "a" ? CHANNEL : OTHER_CHANNEL, { tokens: [text] }])),
  },
];

const compactLength = (value) => bytes(JSON.stringify(value));
const bodyWith = (parts) => `{"name": "Jane", ${parts}}`;

describe("each part: 256 KiB as compact JSON, as written", () => {
  for (const part of PARTS) {
    test(`${part.name}: written at exactly 262,144 bytes (sent as three times that) is accepted; 262,145 is a 422`, async () => {
      const written = (n) => compactLength(part.written([["a", escapedText(n).stored]]));
      const n = SECTION_BYTES - written(0);
      assert.equal(written(n), SECTION_BYTES);
      assert.equal(written(n + 1), SECTION_BYTES + 1);
      const at = bodyWith(part.sent("a", escapedText(n).sent));
      assert.ok(bytes(at) > 2 * SECTION_BYTES && bytes(at) <= BODY_BYTES, `${bytes(at)}`);
      assertAccepted(await put(freshId("part"), at), part.name);
      const past = bodyWith(part.sent("a", escapedText(n + 1).sent));
      const message = `${part.name} take 262145 bytes as compact JSON; the limit is 262144 (256 KiB)`;
      assertProblems(await put(freshId("part"), past), [{ field: part.field, message, type: "too_large" }], part.name);
    });

    test(`${part.name}: a merge to exactly 262,144 bytes is accepted; to 262,145 a 422 that writes nothing`, async () => {
      const id = freshId("merge");
      const storedText = "s".repeat(100_000);
      assertAccepted(await put(id, bodyWith(part.sent("a", storedText))), "the stored user");
      const written = (n) => compactLength(part.written([["a", storedText], ["b", escapedText(n).stored]]));
      const n = SECTION_BYTES - written(0);
      assert.equal(written(n), SECTION_BYTES);
      assert.equal(written(n + 1), SECTION_BYTES + 1);
      // One past first: refused, and nothing changes, so the one at the bound then fits.
      const past = bodyWith(part.sent("b", escapedText(n + 1).sent));
      const message = `after this identify the user's ${part.name} would take 262145 bytes as compact JSON; the limit is 262144 (256 KiB): nothing was changed`;
      assertProblems(await put(id, past), [{ field: part.field, message, type: "too_large" }], part.name);
      assertAccepted(await put(id, bodyWith(part.sent("b", escapedText(n).sent))), part.name);
      // Full now: one byte more anywhere is refused.
      assertProblems(await put(id, bodyWith(part.sent("b", escapedText(n + 1).sent))), [{ field: part.field, message, type: "too_large" }], part.name);
    });
  }
});

// ---------------------------------------------------------------------------
// Ids and keys: 1 to 256 characters, not bytes.

const KINDS = [
  { what: "custom property keys", body: (key) => `{"${key}": 1}`, field: (key) => key },
  {
    what: "preference set ids",
    body: (key) => `{"preferences": {"${key}": {"commercial_subscribed": true}}}`,
    field: (key) => `preferences.${key}`,
  },
  {
    what: "workflow keys",
    body: (key) => `{"preferences": {"default": {"workflows": {"${key}": true}}}}`,
    field: (key) => `preferences.default.workflows.${key}`,
  },
  {
    what: "category keys",
    body: (key) => `{"preferences": {"default": {"categories": {"${key}": false}}}}`,
    field: (key) => `preferences.default.categories.${key}`,
  },
];

describe("keys and ids: 1 to 256 characters", () => {
  for (const kind of KINDS) {
    test(`${kind.what}: 1 and 256 four-byte characters are accepted; empty and 257 are refused`, async () => {
      for (const key of ["k", "😀".repeat(KEY_CHARS)]) assertAccepted(await put(freshId("key"), kind.body(key)), `${[...key].length} characters`);
      assertProblems(await put(freshId("key"), kind.body("")), [{ field: kind.field(""), message: `${kind.what} must not be empty`, type: "format" }], "empty");
      const long = "😀".repeat(KEY_CHARS + 1);
      // Paths quote a long key cut to 255 characters and `…`.
      const shown = `${"😀".repeat(255)}…`;
      const message = `${kind.what} have at most 256 characters, got 257`;
      assertProblems(await put(freshId("key"), kind.body(long)), [{ field: kind.field(shown), message, type: "too_long" }], "257 characters");
    });
  }

  test("the user id: 256 four-byte characters are accepted, 257 are refused", async () => {
    // (256 of them round-trip through GET in api.test.mjs; 257 ASCII ones are in the corpus.)
    const answer = await put("😀".repeat(KEY_CHARS + 1), "{}");
    assertProblems(answer, [{ field: "user_id", message: "expected at most 256 characters, got 257", type: "too_long" }], "257");
    assertAccepted(await put("😀".repeat(KEY_CHARS), "{}"), "256");
  });
});

// ---------------------------------------------------------------------------
// Depth and the problem count.

describe("nesting: 64 levels, in any part; 65 refused as soon as it opens", () => {
  const tooDeep = [{ field: "", message: "the body is nested deeper than 64 levels", type: "too_deep" }];
  const shapes = {
    objects: (levels) => `${'{"a": '.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`,
    // Body 1, channel_data 2, the channel 3, then arrays in a key kept as sent.
    "channel data": (levels) => `{"channel_data": {"${CHANNEL}": {"tokens": ["t"], "extra": ${"[".repeat(levels - 3)}${"]".repeat(levels - 3)}}}}`,
  };
  for (const [what, body] of Object.entries(shapes)) {
    test(`${what}: 64 levels accepted, 65 too_deep`, async () => {
      assertAccepted(await put(freshId("depth"), body(DEPTH)), "64");
      assertProblems(await put(freshId("depth"), body(DEPTH + 1)), tooDeep, "65");
    });
  }

  test("a body cut after level 65 opens is too_deep; cut after level 64, it is not JSON", async () => {
    const cut = (levels) => `{"a": ${"[".repeat(levels - 1)}x`;
    assertProblems(await put(freshId("depth"), cut(DEPTH + 1)), tooDeep, "65 levels, then garbage");
    const answer = await put(freshId("depth"), cut(DEPTH));
    assertError(answer, 400, "invalid_json", "64 levels, then garbage");
    assert.equal(answer.body.message, "the body is not valid JSON: expected value at line 1 column 70");
  });
});

test("problems: 100 listed; past that, one more saying how many were left out", async () => {
  const body = (count) => `{"channel_data": {"${CHANNEL}": {"tokens": [${Array(count).fill("1").join(",")}]}}}`;
  const listed = Array.from({ length: PROBLEMS }, (_, index) => ({
    field: `channel_data.${CHANNEL}.tokens.${index}`,
    message: "expected a string, got a number",
    type: "type",
  }));
  assertProblems(await put(freshId("problems"), body(PROBLEMS)), listed, "100");
  for (const [count, more] of [
    [PROBLEMS + 1, "1 more problem"],
    [PROBLEMS + 2, "2 more problems"],
    [5000, "4900 more problems"],
  ]) {
    const left = { field: "", message: `${more} not listed: an answer lists at most 100; fix these and send the request again`, type: "too_many_problems" };
    assertProblems(await put(freshId("problems"), body(count)), [...listed, left], `${count}`);
  }
});
