// The real Worker for the client tests of contract §9 (ETags, conditions,
// idempotency keys, push tokens, the change history) and of §5c, §10 and
// §11 (bulk delete and preferences, the users list, merges): build/index.js under
// Miniflare, in a child process (tests/js/api-worker.mjs) on node_modules'
// Node 22, so the same tests run under Node 20, Bun and Deno, which
// Miniflare does not support. The Worker is the one scripts/build-worker
// built; its keys are tests/worker/helpers.mjs's (`sk_test_a`).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..", "..");
/** A secret key of the Worker's `API_KEYS` (tests/worker/helpers.mjs). */
export const WORKER_KEY = "sk_test_a";
/**
 * The other secret key, of an environment of its own: the users list tests
 * list it, so the users the other tests write never show up in their pages.
 */
export const LIST_KEY = "sk_test_b";

/** Starts the Worker: `{ url, stop }`, once Miniflare is ready (at most `timeoutMs`). */
export async function startApiWorker({ timeoutMs = 60_000 } = {}) {
  if (!existsSync(join(ROOT, "build", "index.js"))) {
    throw new Error("build/index.js is missing: build the Worker first (./scripts/build-worker)");
  }
  const node = join(ROOT, "node_modules", ".bin", "node");
  const child = spawn(node, [join(ROOT, "tests", "js", "api-worker.mjs")], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((done) => child.once("exit", done));
  const ready = new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the Worker was not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (data) => {
      output += data;
      const match = /worker: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (data) => (output += data));
    // Not started at all (Deno without --allow-run, no Node 22 in node_modules).
    child.once("error", (error) => {
      clearTimeout(timer);
      fail(new Error(`could not start the Worker with ${node}: ${error.message}`));
    });
    exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`the Worker exited (${code}) before it was ready:\n${output}`));
    });
  });
  let url;
  try {
    url = await ready;
  } catch (error) {
    child.kill();
    throw error;
  }
  // Keep draining, so a chatty Worker never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  const stop = async () => {
    child.stdin.end();
    await exited;
  };
  return { url, stop };
}
