// Mends one bug of Miniflare (also under `wrangler dev`) that stops local
// queues: its queue broker awaits, with no time limit, a log request to
// Miniflare's loopback HTTP server in Node after every batch. Node closes an
// idle keep-alive connection after 5 s; when workerd reuses that connection
// just as Node closes it, the request never settles, the broker never
// dispatches another batch, and every bulk operation after it stays
// `processing` or `queued` until the process restarts. Seen under
// `./scripts/dev`: bulk identifies of 1,000 users stalled at 600 of 1,000
// (the broker traced: the batch's dispatch ended, its log request never
// did); with the loopback server's keep-alive timeout off, ten bulks in a
// row completed (`node bench/bulk.mjs 10 --url ...`, docs/measurements.md).
//
// Run by scripts/setup after `npm ci`; idempotent. It fails loudly when
// Miniflare's code no longer has the lines it mends, so an upgrade is
// checked again rather than silently unmended.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const file = join(import.meta.dirname, "..", "node_modules", "miniflare", "dist", "src", "index.js");
const anchor = `      server.on("upgrade", this.#handleLoopbackUpgrade);
      server.listen(0, hostname, () => resolve6(server));`;
const mended = `      server.on("upgrade", this.#handleLoopbackUpgrade);
      server.keepAliveTimeout = 0; // knock-identify: scripts/mend-miniflare.mjs
      server.listen(0, hostname, () => resolve6(server));`;

const source = readFileSync(file, "utf8");
if (source.includes(mended)) {
  console.log("miniflare's loopback server already keeps idle connections");
} else if (source.includes(anchor)) {
  writeFileSync(file, source.replace(anchor, mended));
  console.log("miniflare's loopback server now keeps idle connections (scripts/mend-miniflare.mjs)");
} else {
  console.error(`scripts/mend-miniflare.mjs: ${file} no longer has the loopback server's lines; check whether Miniflare still needs the mend`);
  process.exit(1);
}
