// The package in a Vite app, with no Vite configuration at all: the package
// is packed by `npm pack` and unpacked into the app's node_modules (exactly
// the files a registry install would bring), the app is
// built (`vite build`) and also served by Vite's dev server, and each is
// loaded in Debian's headless Chromium (playwright-core), where the page
// validates, merges and checks `instanceof` on a thrown ValidationError.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve, extname } from "node:path";
import { build, createServer as createViteServer } from "vite";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "..", "..");
const MAIN = `
import { validate, merge, toUser, timeZones, IdentifyClient, ValidationError } from "knock-identify";

const problems = validate("user-1", { email: "nope", phone_number: "+1 (415) 555-2671" });
const user = toUser(merge(null, "user-1", { name: "Jane", timezone: "Europe/Paris" }, Date.UTC(2024, 5, 1)));
let thrown = null;
try {
  merge(null, "user-1", { email: "nope" }, 0);
} catch (error) {
  thrown = { isClass: error instanceof ValidationError, name: error.name, errors: error.errors.length };
}
let refused = null;
try {
  new IdentifyClient({ apiKey: "sk_live_123" });
} catch (error) {
  refused = error.message;
}
// The client's own wasm loads on its first call: a local refusal needs it.
window.firstCall = () =>
  new IdentifyClient({ apiKey: "pk_test", baseUrl: location.origin })
    .identify("user-1", { email: "nope" })
    .then(() => "sent", (error) => ({ isClass: error instanceof ValidationError, fields: error.errors.map((problem) => problem.field) }));
document.querySelector("#out").textContent = JSON.stringify({
  problems: problems.map((problem) => problem.field),
  user,
  thrown,
  zones: timeZones().length,
  refused,
});
`;
const INDEX = `<!doctype html><html><body><pre id="out"></pre><script type="module" src="/main.js"></script></body></html>`;

let dir;
let browser;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "knock-identify-vite-"));
  mkdirSync(join(dir, "node_modules"));
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: join(ROOT, "pkg"), encoding: "utf8" }).trim();
  mkdirSync(join(dir, "node_modules", "knock-identify"));
  execFileSync("tar", ["-xzf", join(dir, tarball), "-C", join(dir, "node_modules", "knock-identify"), "--strip-components=1"]);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "main.js"), MAIN);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-dev-shm-usage"] });
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Loads `url` in Chromium, failing on page errors: what the app wrote, the
 * URLs it requested until the network was idle, what its client's first
 * call answered, and the URLs requested after it.
 */
async function runPage(url) {
  const page = await browser.newPage();
  const errors = [];
  const requested = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("request", (request) => requested.push(new URL(request.url()).pathname));
  await page.goto(url, { waitUntil: "networkidle" });
  await page.waitForFunction(() => document.querySelector("#out")?.textContent, null, { timeout: 20_000 }).catch(() => {});
  const text = await page.textContent("#out");
  const atLoad = [...requested];
  const firstCall = text ? await page.evaluate(() => window.firstCall()) : null;
  await page.close();
  assert.ok(text, `the app wrote nothing; page errors: ${errors.join(" | ")}`);
  return { ...JSON.parse(text), atLoad, firstCall, afterCall: requested.slice(atLoad.length) };
}

function assertApp(answer) {
  // The client's wasm (client.browser.js) is fetched on the client's first call, not at load.
  assert.deepEqual(answer.atLoad.filter((path) => path.includes("client.browser")), [], answer.atLoad.join(" "));
  assert.deepEqual(answer.firstCall, { isClass: true, fields: ["email"] });
  assert.equal(answer.afterCall.filter((path) => path.includes("client.browser")).length, 1, answer.afterCall.join(" "));
  assert.deepEqual(answer.problems, ["email", "phone_number"]);
  assert.equal(answer.user.name, "Jane");
  assert.equal(answer.user.timezone, "Europe/Paris");
  assert.equal(answer.user.updated_at, "2024-06-01T00:00:00.000Z");
  assert.deepEqual(answer.thrown, { isClass: true, name: "ValidationError", errors: 1 });
  assert.ok(answer.zones > 500);
  assert.match(answer.refused, /refusing to send a secret key/);
}

test("vite build: the built app runs in Chromium, and carries the wasm once", async (t) => {
  await build({ root: dir, logLevel: "silent", configFile: false, build: { outDir: join(dir, "dist") } });
  assert.ok(existsSync(join(dir, "dist", "index.html")));
  const assets = readdirSync(join(dir, "dist", "assets"));
  assert.deepEqual(assets.filter((name) => name.endsWith(".wasm")), [], "no second copy of the wasm as an asset");
  const gzipped = assets.reduce((sum, name) => sum + gzipSync(readFileSync(join(dir, "dist", "assets", name)), { level: 9 }).length, 0);
  t.diagnostic(`vite build emitted ${assets.length} asset(s), ${(gzipped / 1024).toFixed(1)} KB gzip -9 (bench/vite-app.mjs measures the smallest app)`);
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
  const server = createServer((req, res) => {
    const path = join(dir, "dist", req.url === "/" ? "index.html" : req.url.split("?")[0]);
    if (!path.startsWith(join(dir, "dist")) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" });
    res.end(readFileSync(path));
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  try {
    assertApp(await runPage(`http://127.0.0.1:${server.address().port}/`));
  } finally {
    server.close();
  }
});

test("vite dev server: the app runs in Chromium", async () => {
  const vite = await createViteServer({ root: dir, logLevel: "silent", configFile: false, server: { host: "127.0.0.1", port: 0 } });
  await vite.listen();
  try {
    const { port } = vite.httpServer.address();
    assertApp(await runPage(`http://127.0.0.1:${port}/`));
  } finally {
    await vite.close();
  }
});
