// What a web app ships with the package: a fresh Vite app, no Vite
// configuration, `import { validate, IdentifyClient } from "knock-identify"`
// (the package installed from its `npm pack` tarball, as from a registry),
// `vite build`; then every file in dist/, raw and gzip -9, summed.
// `node bench/vite-app.mjs` after `scripts/build-pkg`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build, version } from "vite";

const ROOT = resolve(import.meta.dirname, "..");
const MAIN = `import { validate, IdentifyClient } from "knock-identify";
const client = new IdentifyClient({ apiKey: "pk_test", baseUrl: location.origin });
document.body.textContent = JSON.stringify(validate("user-1", { email: "jane@example.com" })) + client.baseUrl;
`;

/** Builds the app; answers the emitted files with their raw and gzip -9 sizes. */
export async function buildApp(dir, main = MAIN) {
  mkdirSync(join(dir, "node_modules", "knock-identify"), { recursive: true });
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: join(ROOT, "pkg"), encoding: "utf8" }).trim();
  execFileSync("tar", ["-xzf", join(dir, tarball), "-C", join(dir, "node_modules", "knock-identify"), "--strip-components=1"]);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  writeFileSync(join(dir, "index.html"), `<!doctype html><html><body><script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(join(dir, "main.js"), main);
  await build({ root: dir, logLevel: "silent", configFile: false, build: { outDir: join(dir, "dist") } });
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), "knock-identify-vite-size-"));
  try {
    const files = await buildApp(dir);
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    console.log(`vite ${version} build of an app importing validate and IdentifyClient, no config:`);
    for (const { path, raw, gz } of files) console.log(`  ${path.padEnd(36)} ${kb(raw).padStart(9)} raw ${kb(gz).padStart(9)} gzip -9`);
    const total = files.reduce((sum, file) => ({ raw: sum.raw + file.raw, gz: sum.gz + file.gz }), { raw: 0, gz: 0 });
    console.log(`  ${"every file, summed".padEnd(36)} ${kb(total.raw).padStart(9)} raw ${kb(total.gz).padStart(9)} gzip -9`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
