// Seeds the fuzz corpora from the fixture corpus (called by scripts/fuzz):
// each target gets the fixtures' bodies in the shape its input takes.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const fixtures = join(root, "tests", "fixtures");
const body = (spec) => (typeof spec === "string" ? spec : spec.map(([piece, count]) => piece.repeat(count)).join(""));
// `raw_body_bytes`: pieces of UTF-8 text and lists of byte values (bodies that are not UTF-8).
const bytes = (pieces) => Buffer.concat(pieces.map((piece) => Buffer.from(piece)));
const u16 = (n) => Buffer.from([n & 0xff, (n >> 8) & 0xff]);
// Seeds stay small: the fuzzer grows them; the limits have their own tests.
const MAX_SEED = 64 * 1024;
let written = 0;
for (const target of ["validate", "identify_round_trip", "read_stored"]) mkdirSync(join(root, "fuzz", "corpus", target), { recursive: true });
for (const name of readdirSync(fixtures).filter((file) => file.endsWith(".json"))) {
  const fixture = JSON.parse(readFileSync(join(fixtures, name), "utf8"));
  const text =
    "body" in fixture
      ? JSON.stringify(fixture.body)
      : "raw_body_bytes" in fixture
        ? bytes(fixture.raw_body_bytes)
        : body(fixture.raw_body ?? fixture.raw_body_repeat);
  const before = fixture.raw_before ? body(fixture.raw_before[0]) : JSON.stringify(fixture.before?.[0] ?? {});
  const id = Buffer.from(fixture.user_id);
  const seeds = {
    validate: Buffer.concat([Buffer.from([Math.min(id.length, 255)]), id.subarray(0, 255), Buffer.from(text)]),
    identify_round_trip: Buffer.concat([u16(Buffer.byteLength(before)), Buffer.from(before), Buffer.from(text)]),
  };
  if (fixture.expect.status === 200 && fixture.expect.user) {
    const user = { ...fixture.expect.user, updated_at: "2024-06-01T00:00:00.000Z" };
    seeds.read_stored = Buffer.from(JSON.stringify({ user, preferences: fixture.expect.preferences ?? {}, channel_data: fixture.expect.channel_data ?? {} }));
  }
  for (const [target, seed] of Object.entries(seeds)) {
    if (seed.length > MAX_SEED) continue;
    writeFileSync(join(root, "fuzz", "corpus", target, `fixture-${name.replace(/\.json$/, "")}`), seed);
    written += 1;
  }
}
console.log(`fuzz/seed.mjs: ${written} seeds from tests/fixtures`);
