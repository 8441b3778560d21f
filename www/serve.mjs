#!/usr/bin/env node
// A tiny static server for the page: www/ at `/`, the npm package's build
// (pkg/) at `/pkg/`. No dependencies, no build step: the page imports the
// package through its import map, as a user's app would.
//
// It also stands in for the customer's backend (contract §6a): `GET
// /backend/user-token?user_id=ID` answers `{ "token": ... }`, an RS256 user
// token for that user, signed with the development key (dev/signing-key.pem),
// valid for an hour. A real backend signs only for the user signed in to it.
//
//   node www/serve.mjs [--host 127.0.0.1] [--port 5173] [--pkg DIR] [--signing-key PEM]
//
// `--port 0` picks a free port. Once listening it prints one line,
// `page: http://HOST:PORT/`, which scripts read to find the page.

import { createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "5173" },
    pkg: { type: "string", default: join(here, "..", "pkg") },
    "signing-key": { type: "string", default: join(here, "..", "dev", "signing-key.pem") },
  },
});
const signingKey = readFileSync(options["signing-key"], "utf8");

/** An RS256 JWT for `userId`, as Knock's `signUserToken` makes them. */
function userToken(userId) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const signed = `${part({ alg: "RS256", typ: "JWT" })}.${part({ sub: userId, iat: now, exp: now + 3600 })}`;
  return `${signed}.${createSign("RSA-SHA256").update(signed).sign(signingKey).toString("base64url")}`;
}

/** URL prefix → folder served under it; the longest prefix is tried first. */
const roots = [
  ["/pkg/", resolve(options.pkg)],
  ["/", resolve(here)],
];

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** The file a request path names, or null when it is outside every root. */
function fileFor(pathname) {
  for (const [prefix, root] of roots) {
    if (!pathname.startsWith(prefix)) continue;
    const file = resolve(root, "." + sep + pathname.slice(prefix.length));
    if (file !== root && !file.startsWith(root + sep)) return null;
    return file;
  }
  return null;
}

async function answer(req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
    return res.end("method not allowed\n");
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, "http://page").pathname);
  } catch {
    res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" });
    return res.end("bad request path\n");
  }
  if (pathname === "/backend/user-token") {
    const userId = new URL(req.url, "http://page").searchParams.get("user_id");
    const body = JSON.stringify(userId ? { token: userToken(userId) } : { error: "user_id is required" });
    res.writeHead(userId ? 200 : 400, { "Content-Type": "application/json", "Cache-Control": "no-store" });
    return res.end(body);
  }
  if (pathname.includes("\0")) pathname = "/\0";
  let file = fileFor(pathname);
  try {
    if (file && (await stat(file)).isDirectory()) file = join(file, "index.html");
    const body = file ? await readFile(file) : null;
    if (!body) throw Object.assign(new Error("outside"), { code: "ENOENT" });
    res.writeHead(200, {
      "Content-Type": types[extname(file)] ?? "application/octet-stream",
      "Content-Length": body.length,
      // A development server: always the file as it is now.
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (error) {
    const missing = error.code === "ENOENT" || error.code === "ENOTDIR" || error.code === "EISDIR";
    res.writeHead(missing ? 404 : 500, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(missing ? `not found: ${pathname}\n` : "could not read the file\n");
    if (!missing) console.error(`serve: ${pathname}: ${error.message}`);
  }
}

const server = createServer((req, res) => {
  answer(req, res).catch((error) => {
    console.error(`serve: ${error.message}`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.on("error", (error) => {
  console.error(`serve: cannot listen on ${options.host}:${options.port}: ${error.message}`);
  process.exit(1);
});
server.listen(Number(options.port), options.host, () => {
  const { port } = server.address();
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  console.log(`page: http://${host}:${port}/`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
