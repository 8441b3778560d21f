// The floor of the local runtime: the least a Worker can do for each part
// of an identify, in plain JavaScript, for scripts/measure-worker to load
// with the same tool and settings as the real Worker. Not part of the
// product. The first path segment picks what a request does:
//   /empty/...   answers at once (routing, no storage)
//   /kv/...      reads and writes the user's KV key (the KV-only Worker's storage work)
//   /hop/...     the user's Durable Object answers at once (the cost of
//                the Worker-to-object request alone)
//   /object/...  the user's Durable Object writes one SQLite row and sets an
//                alarm that writes KV (the storage work of the object design)
//   /v1/users/...  a complete identify in plain JavaScript (identify.js):
//                the peer of the Rust Worker's, not a floor
// Bundled with esbuild (the JS stack's packages) by bench/serve-miniflare.mjs
// or by wrangler.
import { fetchIdentify } from "./identify.js";

export { JsUserObject } from "./identify.js";
const json = (body) => new Response(body, { headers: { "content-type": "application/json" } });

export class ReferenceObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }

  async fetch(request) {
    const body = await request.text();
    if (new URL(request.url).pathname.startsWith("/hop/")) return json(body);
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS record (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    sql.exec("INSERT OR REPLACE INTO record (id, body) VALUES (0, ?)", body);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
    return json(body);
  }

  async alarm() {
    const [row] = this.ctx.storage.sql.exec("SELECT body FROM record WHERE id = 0").toArray();
    await this.env.USERS.put(`object/${this.ctx.id}`, row.body);
  }
}

export default {
  async fetch(request, env) {
    const [, kind, ...rest] = new URL(request.url).pathname.split("/");
    const user = rest.join("/");
    switch (kind) {
      case "v1":
        return fetchIdentify(request, env);
      case "empty":
        return json('{"ok":true}');
      case "kv": {
        const body = await request.text();
        await env.USERS.get(`kv/${user}`);
        await env.USERS.put(`kv/${user}`, body);
        return json(body);
      }
      case "hop":
      case "object":
        return env.REFERENCE_OBJECTS.get(env.REFERENCE_OBJECTS.idFromName(user)).fetch(request);
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
