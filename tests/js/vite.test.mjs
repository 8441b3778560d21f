// The package in a Vite app, with no Vite configuration at all: the package
// is packed by `npm pack` and unpacked into the app's node_modules (exactly
// the files a registry install would bring), the app is
// built (`vite build`) and also served by Vite's dev server, and each is
// loaded in Debian's headless Chromium, where the page validates, merges and
// checks `instanceof` on a thrown ValidationError; the built app also in
// Firefox ESR, with the client's code dropped on its first call. The
// browsers are the page tests' own (tests/www/servers.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve, extname } from "node:path";
import { build, createServer as createViteServer } from "vite";
import { launchChromium, launchFirefox } from "../www/servers.mjs";

const ROOT = resolve(import.meta.dirname, "..", "..");
const MAIN = `
import { validate, merge, toUser, timeZones, IdentifyClient, ValidationError, ConnectionError } from "knock-identify";

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
// The client's own wasm loads on its first call: a local refusal needs it,
// and a load that fails is a ConnectionError.
const described = (error) => ({
  name: error.name,
  validation: error instanceof ValidationError,
  connection: error instanceof ConnectionError,
  fields: error.errors?.map((problem) => problem.field) ?? null,
  cause: error.cause === undefined ? null : String(error.cause),
});
window.firstCall = () =>
  new IdentifyClient({ apiKey: "pk_test", baseUrl: location.origin }).identify("user-1", { email: "nope" }).then(() => "sent", described);
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
  browser = await launchChromium();
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

/** What the first call answers once the client's code has loaded: the body refused locally. */
const REFUSED_LOCALLY = { name: "ValidationError", validation: true, connection: false, fields: ["email"], cause: null };

function assertApp(answer) {
  // The client's wasm (client.browser.js) is fetched on the client's first call, not at load.
  assert.deepEqual(answer.atLoad.filter((path) => path.includes("client.browser")), [], answer.atLoad.join(" "));
  assert.deepEqual(answer.firstCall, REFUSED_LOCALLY);
  assert.equal(answer.afterCall.filter((path) => path.includes("client.browser")).length, 1, answer.afterCall.join(" "));
  assert.deepEqual(answer.problems, ["email", "phone_number"]);
  assert.equal(answer.user.name, "Jane");
  assert.equal(answer.user.timezone, "Europe/Paris");
  assert.equal(answer.user.updated_at, "2024-06-01T00:00:00.000Z");
  assert.deepEqual(answer.thrown, { isClass: true, name: "ValidationError", errors: 1 });
  assert.ok(answer.zones > 500);
  assert.match(answer.refused, /refusing to send a secret key/);
}

let built = null;
/** The app built once by `vite build` into dist/, for every test that serves it. */
function buildApp() {
  built ??= build({ root: dir, logLevel: "silent", configFile: false, build: { outDir: join(dir, "dist") } });
  return built;
}

/**
 * Serves dist/ on a free port. While `failing.client` holds, every request
 * for the client's chunk loses its connection, as on a network that drops.
 */
async function serveDist() {
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
  const failing = { client: false, dropped: 0 };
  const server = createServer((req, res) => {
    const path = join(dir, "dist", req.url === "/" ? "index.html" : req.url.split("?")[0]);
    if (failing.client && path.includes("client.browser")) {
      failing.dropped++;
      req.socket.destroy();
      return;
    }
    if (!path.startsWith(join(dir, "dist")) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" });
    res.end(readFileSync(path));
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { url: `http://127.0.0.1:${server.address().port}/`, failing, close: () => server.close() };
}

test("vite build: the built app runs in Chromium, and carries the wasm once", async (t) => {
  await buildApp();
  assert.ok(existsSync(join(dir, "dist", "index.html")));
  const assets = readdirSync(join(dir, "dist", "assets"));
  assert.deepEqual(assets.filter((name) => name.endsWith(".wasm")), [], "no second copy of the wasm as an asset");
  const gzipped = assets.reduce((sum, name) => sum + gzipSync(readFileSync(join(dir, "dist", "assets", name)), { level: 9 }).length, 0);
  t.diagnostic(`vite build emitted ${assets.length} asset(s), ${(gzipped / 1024).toFixed(1)} KB gzip -9 (bench/vite-app.mjs measures the smallest app)`);
  const served = await serveDist();
  try {
    assertApp(await runPage(served.url));
  } finally {
    served.close();
  }
});

/**
 * In `browser`'s new page of the built app: a client's first call while the
 * client's chunk cannot be fetched, then a second call once it can; what
 * each answered, and whether the second fetched the chunk again.
 */
async function failedLoadThenRetry(browser) {
  await buildApp();
  const served = await serveDist();
  const page = await browser.newPage();
  try {
    await page.goto(served.url);
    await page.waitForFunction(() => typeof window.firstCall === "function");
    served.failing.client = true;
    const failed = await page.evaluate(() => window.firstCall());
    const dropped = served.failing.dropped;
    served.failing.client = false;
    const requested = [];
    page.on("request", (request) => requested.push(request.url()));
    const again = await page.evaluate(() => window.firstCall());
    return { failed, dropped, again, fetchedAgain: requested.some((url) => url.includes("client.browser")) };
  } finally {
    await page.close();
    served.close();
  }
}

/** The first call's answer when the client's chunk could not be fetched. */
function assertConnectionError(failed) {
  assert.equal(failed.name, "ConnectionError", JSON.stringify(failed));
  assert.equal(failed.connection, true);
  assert.equal(failed.validation, false);
  assert.ok(failed.cause, "the browser's own error is the cause");
}

test("vite build, Chromium: a client whose code fails to load answers a ConnectionError, and loads it on the next call", async () => {
  const { failed, dropped, again, fetchedAgain } = await failedLoadThenRetry(browser);
  assert.ok(dropped > 0, "the chunk was asked for, and dropped");
  assertConnectionError(failed);
  assert.ok(fetchedAgain, "the next call fetches the chunk again");
  assert.deepEqual(again, REFUSED_LOCALLY);
});

test("vite build, Firefox ESR: a client whose code fails to load answers a ConnectionError, on the next call too if Firefox keeps the failure", async () => {
  const firefox = await launchFirefox();
  try {
    const { failed, dropped, again, fetchedAgain } = await failedLoadThenRetry(firefox);
    assert.ok(dropped > 0, "the chunk was asked for, and dropped");
    assertConnectionError(failed);
    // Firefox keeps a module that failed to load until the page reloads
    // (whatwg/html#6768): then the next call fails the same way, typed.
    if (fetchedAgain) {
      assert.deepEqual(again, REFUSED_LOCALLY);
    } else {
      assertConnectionError(again);
    }
  } finally {
    await firefox.close();
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
