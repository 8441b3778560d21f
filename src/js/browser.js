// Whether the package runs in a browser: the check of a client's options
// (src/js/config.rs) refuses a secret key there. Its own file, so a page
// that only validates loads none of the client's runtime (runtime.js).

/** Whether this code runs in a browser page or a browser's web worker. */
export function inBrowser() {
  const g = globalThis;
  const page = typeof g.window !== "undefined" && typeof g.document !== "undefined";
  const webWorker =
    typeof g.importScripts === "function" &&
    typeof g.navigator !== "undefined" &&
    !String(g.navigator.userAgent).startsWith("Cloudflare-Workers");
  return page || webWorker;
}
