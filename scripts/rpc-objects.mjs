// Lets the Worker call the user object by RPC (run by scripts/build-worker
// on build/index.js). workerd takes RPC calls only on a Durable Object
// class derived from `DurableObject` ("cloudflare:workers"); worker-build
// exports each object class of its wasm-bindgen build wrapped in a Proxy
// and derived from nothing. This appends the two lines that make the class
// derived (what worker-build does for its emscripten build), found by the
// name the module exports it under; it fails if that export is not there.
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2] ?? "build/index.js";
const classes = ["UserObject"];
let module = readFileSync(file, "utf8");
const exported = module.match(/export\{([^}]*)\};?\s*$/);
if (!exported) throw new Error(`${file}: no export clause at its end`);
const locals = new Map(exported[1].split(",").map((entry) => {
  const [local, as] = entry.trim().split(/\s+as\s+/);
  return [as ?? local, local];
}));
module += `import { DurableObject as RpcDurableObject } from "cloudflare:workers";\n`;
for (const name of classes) {
  const local = locals.get(name);
  if (!local) throw new Error(`${file} does not export ${name}`);
  module += `Object.setPrototypeOf(${local}, RpcDurableObject);\n` +
    `Object.setPrototypeOf(${local}.prototype, RpcDurableObject.prototype);\n`;
}
writeFileSync(file, module);
console.log(`rpc-objects: ${classes.join(", ")} derived from DurableObject`);
