// The real parts the page tests run against: the page served by
// www/serve.mjs, the Worker under `wrangler dev` (workerd, KV in a throwaway
// folder) allowing the page's origin, Debian's headless Chromium
// (playwright-core) and Debian's headless Firefox ESR (puppeteer-core over
// WebDriver BiDi); and `storedUser`, `identifyElsewhere` and `listedPage`,
// the tests' own reads and writes of the Worker.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";

export const ROOT = resolve(import.meta.dirname, "..", "..");
/** The development secret key of .dev.vars (the tests' own reads of the Worker). */
export const DEV_KEY = "sk_test_local";
/** The development public key of .dev.vars: the page's default. */
export const PUBLIC_KEY = "pk_test_local";

/** Debian's Chromium, as root (hence --no-sandbox); never a downloaded browser. */
const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-quic",
];

/** A port nobody listens on right now. */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/**
 * Starts a child and resolves once its output matches `ready` (with the
 * match), failing with its output if it exits or `timeoutMs` passes first.
 */
function startChild(name, command, args, { env = process.env, ready, timeoutMs }) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const stop = () =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGTERM");
    });
  const started = new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (data) => {
      output += data;
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        child.stderr.off("data", onData);
        // Keep draining, so a chatty child never blocks on a full pipe.
        child.stdout.resume();
        child.stderr.resume();
        done(match);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  return { started, stop, output: () => output };
}

/** The page on a free port: `{ url, origin, stop }`. */
export async function startPage() {
  if (!existsSync(join(ROOT, "pkg", "index.browser.js"))) {
    throw new Error("pkg/index.browser.js is missing: build the package first (./scripts/build-pkg)");
  }
  const child = startChild("www/serve.mjs", process.execPath, ["www/serve.mjs", "--port", "0"], {
    ready: /page: (http:\/\/\S+)/,
    timeoutMs: 10_000,
  });
  const [, url] = await child.started;
  return { url, origin: new URL(url).origin, stop: child.stop };
}

/**
 * The repository's Worker under `wrangler dev` (which builds it through
 * wrangler.toml's build command) on a free port, with KV in a fresh folder
 * and CORS allowing `origin`: `{ url, stop }`.
 */
export async function startWorker({ origin, timeoutMs = 300_000 }) {
  const persist = mkdtempSync(join(tmpdir(), "www-test-kv-"));
  const port = await freePort();
  const bin = join(ROOT, "node_modules", ".bin");
  // wrangler needs Node 22, the devDependency in node_modules/.bin.
  const env = {
    ...process.env,
    PATH: `${bin}${delimiter}${process.env.PATH}`,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: join(ROOT, ".wrangler", "logs"),
  };
  const child = startChild(
    "wrangler dev",
    join(bin, "wrangler"),
    [
      "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persist,
      "--show-interactive-dev-session=false", "--live-reload=false",
      "--var", `ALLOWED_ORIGINS:${origin}`,
    ],
    { env, ready: /Ready on http/, timeoutMs },
  );
  const stop = async () => {
    await child.stop();
    rmSync(persist, { recursive: true, force: true });
  };
  try {
    await child.started;
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, stop, output: child.output };
}

/** GET the user `id` straight from the Worker at `workerUrl`: what it really stored, and its ETag. */
export async function storedUser(workerUrl, id) {
  const answer = await fetch(`${workerUrl}/v1/users/${encodeURIComponent(id)}`, {
    headers: { Authorization: `Bearer ${DEV_KEY}` },
  });
  return { status: answer.status, body: await answer.json(), etag: answer.headers.get("etag") };
}

/** Identifies the user `id` straight at the Worker, with the secret key: someone else's write. */
export async function identifyElsewhere(workerUrl, id, body) {
  const answer = await fetch(`${workerUrl}/v1/users/${encodeURIComponent(id)}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${DEV_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: answer.status, body: await answer.json(), etag: answer.headers.get("etag") };
}

/** One page of the users list straight from the Worker (`query`: its parameters), with the secret key. */
export async function listedPage(workerUrl, query = {}) {
  const answer = await fetch(`${workerUrl}/v1/users?${new URLSearchParams(query)}`, {
    headers: { Authorization: `Bearer ${DEV_KEY}` },
  });
  if (answer.status !== 200) throw new Error(`GET /v1/users answered ${answer.status}: ${await answer.text()}`);
  return answer.json();
}

/** The id of every user the Worker lists, in its order. */
export async function listedUsers(workerUrl) {
  const ids = [];
  let after = null;
  do {
    const page = await listedPage(workerUrl, after ? { after } : {});
    ids.push(...page.entries.map((user) => user.id));
    after = page.page_info.after;
  } while (after);
  return ids;
}

/**
 * Checks `condition` every 100 ms until it holds; fails after `timeoutMs`
 * naming `what`. The users list follows each write within about a second
 * (contract §10): tests wait for what they assert.
 */
export async function waitUntil(condition, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Debian's Chromium, headless. */
export function launchChromium() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/**
 * Debian's Firefox ESR, headless, driven over WebDriver BiDi (puppeteer-core,
 * never a downloaded browser), with the process's time zone set to `zone`
 * (Firefox reads TZ; BiDi has no override for it in every ESR). The prefs
 * keep it off the network: this machine has none, and a test never needs it.
 */
export function launchFirefox({ zone } = {}) {
  return puppeteer.launch({
    browser: "firefox",
    executablePath: "/usr/bin/firefox-esr",
    headless: true,
    env: { ...process.env, ...(zone ? { TZ: zone } : {}) },
    extraPrefsFirefox: {
      "app.update.enabled": false,
      "browser.safebrowsing.downloads.remote.enabled": false,
      "browser.safebrowsing.malware.enabled": false,
      "browser.safebrowsing.phishing.enabled": false,
      "datareporting.policy.dataSubmissionEnabled": false,
      "extensions.update.enabled": false,
      "network.captive-portal-service.enabled": false,
      "network.connectivity-service.enabled": false,
      "toolkit.telemetry.enabled": false,
    },
  });
}
