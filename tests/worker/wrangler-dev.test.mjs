// The repository's own configuration under `wrangler dev` (wrangler.toml,
// .dev.vars with the development key `sk_test_local`), as scripts/dev runs
// it: users persist on local disk across a restart of the server.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { removeDir, send, startWranglerDev, tempDir } from "./helpers.mjs";

const DEV_KEY = "sk_test_local";
const persist = tempDir("restart");
let server;
after(async () => {
  await server?.stop();
  removeDir(persist);
});

test("wrangler dev serves the users API with .dev.vars; a restart keeps the users", { timeout: 600_000 }, async () => {
  server = await startWranglerDev({ persist, timeoutMs: 300_000 });
  const id = "restart-user";
  const created = await send(server.url, "PUT", id, { body: JSON.stringify({ name: "Kept", plan: { tier: "pro" } }), key: DEV_KEY });
  assert.equal(created.status, 200, created.text);
  assert.ok(created.headers.get("x-request-id"));
  const wrongKey = await send(server.url, "GET", id, { key: "sk_test_a" });
  assert.equal(wrongKey.status, 401);

  const firstOutput = server.output();
  await server.stop();
  server = await startWranglerDev({ persist, timeoutMs: 300_000 });
  const read = await send(server.url, "GET", id, { key: DEV_KEY });
  assert.equal(read.status, 200, `${read.text}\n--- first server:\n${firstOutput}\n--- second server:\n${server.output()}`);
  assert.deepEqual(read.body, created.body);
});
