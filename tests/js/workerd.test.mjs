// The package in a Cloudflare Worker: wrangler bundles a Worker that imports
// "knock-identify" (unpacked from `npm pack`; its `workerd` export, the
// .wasm as a module), and
// Miniflare runs the bundle under real workerd. The Worker validates,
// merges, and calls a local HTTP server with IdentifyClient.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Miniflare } from "miniflare";
import { startServer, json, user } from "./server.mjs";

const ROOT = resolve(import.meta.dirname, "..", "..");
const WORKER = `
import { validate, merge, toUser, timeZones, IdentifyClient, ValidationError, ApiError } from "knock-identify";

export default {
  async fetch(request, env) {
    const problems = validate("user-1", { email: "nope", timezone: "UTC" });
    const stored = merge(null, "user-1", { name: "Jane", plan: { tier: "pro" } }, Date.UTC(2024, 5, 1));
    let validation = null;
    try {
      merge(null, "user-1", { email: "nope" }, 0);
    } catch (error) {
      validation = { isClass: error instanceof ValidationError, status: error.status, errors: error.errors.length };
    }
    const client = new IdentifyClient({ apiKey: "sk_test_local", baseUrl: env.BASE_URL, maxRetries: 1 });
    const identified = await client.identify("user 1", { name: "Jane" });
    let missing = null;
    try {
      await client.get("ghost");
    } catch (error) {
      missing = { isApiError: error instanceof ApiError, status: error.status, code: error.code };
    }
    return Response.json({ problems, user: toUser(stored), validation, zones: timeZones().length, identified, missing });
  },
};
`;

let dir;
let server;
let mf;
before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "knock-identify-workerd-"));
  mkdirSync(join(dir, "node_modules"));
  // Installed as a registry install would: the files `npm pack` puts in the tarball.
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: join(ROOT, "pkg"), encoding: "utf8" }).trim();
  mkdirSync(join(dir, "node_modules", "knock-identify"));
  execFileSync("tar", ["-xzf", join(dir, tarball), "-C", join(dir, "node_modules", "knock-identify"), "--strip-components=1"]);
  writeFileSync(join(dir, "worker.mjs"), WORKER);
  writeFileSync(join(dir, "wrangler.toml"), `name = "package-test"\nmain = "worker.mjs"\ncompatibility_date = "2025-09-01"\n`);
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", "out"], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: "pipe",
  });
  mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, "out", "worker.js"),
    modulesRoot: join(dir, "out"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2025-09-01",
    bindings: { BASE_URL: server.baseUrl },
  });
});
after(async () => {
  await mf?.dispose();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("wrangler bundles the workerd entry with the wasm as a module", () => {
  const files = readdirSync(join(dir, "out"));
  assert.ok(files.includes("worker.js"), files.join(", "));
  assert.ok(files.some((file) => file.endsWith(".wasm")), `no .wasm module in ${files.join(", ")}`);
});

test("under workerd: validate, merge, toUser, typed errors and the client's fetch", async () => {
  server.script(
    (req, res) => json(res, 503, {}),
    (req, res) => json(res, 200, user("user 1", { name: "Jane" })),
    (req, res) => json(res, 404, { code: "resource_missing", message: "no user", status: 404, request_id: "r" }),
  );
  const response = await mf.dispatchFetch("http://localhost/");
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  assert.deepEqual(answer.problems.map((problem) => problem.field), ["email"]);
  assert.equal(answer.user.name, "Jane");
  assert.deepEqual(answer.user.plan, { tier: "pro" });
  assert.equal(answer.user.updated_at, "2024-06-01T00:00:00.000Z");
  assert.deepEqual(answer.validation, { isClass: true, status: 422, errors: 1 });
  assert.ok(answer.zones > 500);
  assert.equal(answer.identified.id, "user 1");
  assert.deepEqual(answer.missing, { isApiError: true, status: 404, code: "resource_missing" });
  assert.deepEqual(server.requests.map((req) => `${req.method} ${req.url}`), [
    "PUT /v1/users/user%201",
    "PUT /v1/users/user%201",
    "GET /v1/users/ghost",
  ]);
});
