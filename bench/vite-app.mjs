// What a web app ships with the package, and what a browser downloads: a
// fresh Vite app with no Vite configuration that validates at load and
// makes an IdentifyClient (the package installed from its `npm pack`
// tarball, as from a registry), built by Vite 8 and by Vite 7, once with
// `import { validate, IdentifyClient }` and once with `import * as lib`.
// For each: every file `vite build` emits (raw and gzip -9), then the bytes
// headless Chromium downloads from a server that gzips (-9) what it sends,
// at load (the page's answer written, the network idle) and after the
// client's first call.
// `node bench/vite-app.mjs` after `scripts/build-pkg`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, statSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const ROOT = resolve(import.meta.dirname, "..");
const VITES = { 8: "vite", 7: "vite7" };
/** The app: validates at load, and sends (to nothing) when `send()` is called. */
const MAINS = {
  named: `import { validate, IdentifyClient } from "knock-identify";
const client = new IdentifyClient({ apiKey: "pk_test", baseUrl: location.origin });
document.body.textContent = JSON.stringify(validate("user-1", { email: "jane@example.com" })) + client.baseUrl;
window.send = () => client.get("user-1").catch((error) => error.name);
`,
  namespace: `import * as lib from "knock-identify";
const client = new lib.IdentifyClient({ apiKey: "pk_test", baseUrl: location.origin });
document.body.textContent = JSON.stringify(lib.validate("user-1", { email: "jane@example.com" })) + client.baseUrl;
window.send = () => client.get("user-1").catch((error) => error.name);
`,
};

/** Builds the app with `vite` (a module: Vite 8 or 7); answers the emitted files with their raw and gzip -9 sizes. */
async function buildApp(dir, main, vite) {
  mkdirSync(join(dir, "node_modules", "knock-identify"), { recursive: true });
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: join(ROOT, "pkg"), encoding: "utf8" }).trim();
  execFileSync("tar", ["-xzf", join(dir, tarball), "-C", join(dir, "node_modules", "knock-identify"), "--strip-components=1"]);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  writeFileSync(join(dir, "index.html"), `<!doctype html><html><body><script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(join(dir, "main.js"), main);
  await vite.build({ root: dir, logLevel: "silent", configFile: false, build: { outDir: join(dir, "dist") } });
  const files = [];
  const walk = (folder) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const bytes = readFileSync(path);
        files.push({ path: relative(join(dir, "dist"), path), raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length });
      }
    }
  };
  walk(join(dir, "dist"));
  return files;
}

/**
 * Serves `dist` gzipped and loads it in Chromium: the bytes sent for each
 * path at load (the app's text written, the network idle), and after `send()`.
 */
async function downloads(browser, dist) {
  const sent = new Map();
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer((req, res) => {
    const path = join(dist, req.url === "/" ? "index.html" : req.url.split("?")[0]);
    if (!path.startsWith(dist) || !existsSync(path) || statSync(path).isDirectory()) return res.writeHead(404).end();
    const body = gzipSync(readFileSync(path), { level: 9 });
    sent.set(req.url, (sent.get(req.url) ?? 0) + body.length);
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream", "content-encoding": "gzip" });
    res.end(body);
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const page = await browser.newPage();
  try {
    await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "networkidle" });
    await page.waitForFunction(() => document.body.textContent.includes("127.0.0.1"));
    const atLoad = new Map(sent);
    const answer = await page.evaluate(() => window.send());
    await page.waitForLoadState("networkidle");
    return { atLoad, afterSend: new Map(sent), answer };
  } finally {
    await page.close();
    server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const sum = (map) => [...map.values()].reduce((a, b) => a + b, 0);
  try {
    for (const [major, name] of Object.entries(VITES).reverse()) {
      const vite = await import(name);
      for (const [style, main] of Object.entries(MAINS)) {
        const dir = mkdtempSync(join(tmpdir(), "knock-identify-vite-size-"));
        try {
          const files = await buildApp(dir, main, vite);
          console.log(`vite ${vite.version} (${major}), import ${style === "named" ? "{ validate, IdentifyClient }" : "* as lib"}, no config:`);
          for (const { path, raw, gz } of files) console.log(`  ${path.padEnd(36)} ${kb(raw).padStart(9)} raw ${kb(gz).padStart(9)} gzip -9`);
          const total = files.reduce((all, file) => ({ raw: all.raw + file.raw, gz: all.gz + file.gz }), { raw: 0, gz: 0 });
          console.log(`  ${"every file, summed".padEnd(36)} ${kb(total.raw).padStart(9)} raw ${kb(total.gz).padStart(9)} gzip -9`);
          const { atLoad, afterSend, answer } = await downloads(browser, join(dir, "dist"));
          console.log(`  DOWNLOADED vite ${major} ${style}: at load ${kb(sum(atLoad))} (${[...atLoad.keys()].join(" ")}); ` +
            `after the first call ${kb(sum(afterSend))} (it answered ${answer})`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await browser.close();
  }
}
