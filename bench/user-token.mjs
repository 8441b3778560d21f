// What a user token costs the Worker per request (contract §6a), under
// workerd (Miniflare, the built Worker): the same GET, one request at a
// time on loopback, with the secret key and with the public key and a
// user token, alternated in rounds so that both see the same machine.
// The difference of the two medians is the token's cost: its decoding
// and its RS256 verification with Web Crypto (the key imported once).
//
//   node bench/user-token.mjs [REQUESTS]      (default 2000 of each)
import { createSign, generateKeyPairSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { startMiniflare } from "../tests/worker/helpers.mjs";

const requests = Number(process.argv[2] ?? 2000);
const { publicKey, privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
const unlimited = 1_000_000;
const server = await startMiniflare({
  limits: { identify: unlimited, get: unlimited, delete: unlimited, publicUser: unlimited, public: unlimited },
  vars: { PUBLIC_KEYS: JSON.stringify({ pk_bench: { environment: "env-a", signing_keys: [publicKey] } }) },
});
const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = Math.floor(Date.now() / 1000);
const signed = `${part({ alg: "RS256", typ: "JWT" })}.${part({ sub: "bench-user", iat: now, exp: now + 3600 })}`;
const token = `${signed}.${createSign("RSA-SHA256").update(signed).sign(privateKey).toString("base64url")}`;

const url = `${server.url}/v1/users/bench-user`;
const secret = { Authorization: "Bearer sk_test_a" };
const publicWithToken = { Authorization: "Bearer pk_bench", "X-Knock-User-Token": token };

/** Milliseconds of one GET (a 404: no user), checked. */
async function timed(headers) {
  const started = performance.now();
  const answer = await fetch(url, { headers });
  await answer.arrayBuffer();
  const took = performance.now() - started;
  if (answer.status !== 404) throw new Error(`expected 404, got ${answer.status}`);
  return took;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
try {
  // Warm up both paths (the wasm, the imported key).
  for (let i = 0; i < 200; i++) await timed(i % 2 ? secret : publicWithToken);
  const withSecret = [];
  const withToken = [];
  for (let i = 0; i < requests; i++) {
    withSecret.push(await timed(secret));
    withToken.push(await timed(publicWithToken));
  }
  const [a, b] = [median(withSecret), median(withToken)];
  console.log(`GET, ${requests} of each, one at a time, median wall time per request:`);
  console.log(`  secret key:               ${a.toFixed(3)} ms`);
  console.log(`  public key + user token:  ${b.toFixed(3)} ms`);
  console.log(`  the token's cost:         ${(b - a).toFixed(3)} ms per request`);
} finally {
  await server.stop();
}
