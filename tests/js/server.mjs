// A scripted local HTTP server for the client tests: each request is
// recorded and answered by the next handler of the script.
import { createServer } from "node:http";

/** Starts a server on 127.0.0.1; `script` is the list of handlers, one per request. */
export async function startServer() {
  const state = { requests: [], script: [], sockets: new Set() };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const record = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: performance.now(),
      };
      state.requests.push(record);
      const handler = state.script.shift() ?? ((_, res) => json(res, 500, { code: "no_script" }));
      handler(record, res, req);
    });
  });
  server.on("connection", (socket) => {
    state.sockets.add(socket);
    socket.on("close", () => state.sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    /** Sets the handlers of the next requests, in order, and forgets past requests. */
    script(...handlers) {
      state.requests.length = 0;
      state.script = handlers;
    },
    /** Milliseconds between the starts of consecutive requests. */
    gaps() {
      return state.requests.slice(1).map((r, i) => r.at - state.requests[i].at);
    },
    async close() {
      for (const socket of state.sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Answers `status` with a JSON body and extra headers. */
export function json(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** An error body as contract §6 writes it. */
export function apiError(status, code, message, extra = {}) {
  return { code, message, status, request_id: "req_123", ...extra };
}

/** The user a server answers for `id` (contract §4). */
export function user(id, fields = {}) {
  return {
    __typename: "User",
    id,
    avatar: null,
    created_at: null,
    email: null,
    locale: null,
    name: null,
    phone_number: null,
    timezone: null,
    updated_at: "2024-06-01T00:00:00.000Z",
    ...fields,
  };
}

/**
 * A handler that passes the request on to `baseUrl` (the real Worker) and
 * relays its answer: status, body, `Content-Type`, `ETag`,
 * `Idempotent-Replayed` and `X-Request-ID`. The Worker's answer is kept
 * in the recorded request's `answer` (`{ status, headers, body }`). With
 * `lose: true` the client gets a 502 instead, as when an answer is lost
 * on its way back after the Worker applied the request.
 */
export function forwardTo(baseUrl, { lose = false } = {}) {
  return async (record, res) => {
    const headers = { ...record.headers };
    for (const name of ["host", "connection", "content-length", "keep-alive"]) delete headers[name];
    const answer = await fetch(`${baseUrl}${record.url}`, {
      method: record.method,
      headers,
      body: record.body === "" ? undefined : record.body,
    });
    record.answer = { status: answer.status, headers: answer.headers, body: await answer.text() };
    if (lose) return json(res, 502, apiError(502, "bad_gateway", "the answer was lost on its way back"));
    const relayed = {};
    for (const name of ["content-type", "etag", "idempotent-replayed", "x-request-id"]) {
      const value = answer.headers.get(name);
      if (value !== null) relayed[name] = value;
    }
    res.writeHead(answer.status, relayed);
    res.end(record.answer.body);
  };
}
