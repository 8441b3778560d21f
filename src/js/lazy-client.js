// The browser entry's IdentifyClient. A page loads the small wasm (the core:
// validate, merge, and the check of a client's options) and the client's
// own wasm (fetch, retries, the routes: the `client` feature) only when a
// client first sends: a page that validates does not download it.
//
// The constructor checks the options at once with the very check the
// client's own constructor makes (`clientBaseUrl`, src/js/config.rs), so a
// bad option throws where it is passed. Every method then waits for the
// client's wasm and calls the same method of the real client, made from the
// same options; what they answer and throw is the real client's. A load
// that fails (the network, most often) rejects the call with the package's
// own ConnectionError, as a request that found no server does. The
// package's tests hold this class to the real one's list of methods.
import { clientBaseUrl } from "./core/knock_identify.js";
import { ConnectionError } from "./errors.js";

let loading = null;
/**
 * The client's module, loaded once. A failed load is asked again on the
 * next call; a browser that keeps a failed module (Firefox does, until the
 * page reloads) answers that call with the same failure.
 */
function loadClient() {
  loading ??= import("./client.browser.js").catch((error) => {
    loading = null;
    throw new ConnectionError(`could not load the IdentifyClient's code: ${error?.message ?? error}`, error);
  });
  return loading;
}

/** Each client's options and its real client, once made. */
const states = new WeakMap();

function realClient(client) {
  const state = states.get(client);
  if (!state) return Promise.reject(new TypeError("expected an IdentifyClient that is not freed as `this`"));
  if (!state.real) {
    state.real = loadClient().then(({ IdentifyClient }) => new IdentifyClient(state.options));
    state.real.catch(() => (state.real = null));
  }
  return state.real;
}

export class IdentifyClient {
  constructor(options) {
    const baseUrl = clientBaseUrl(options);
    states.set(this, { options, baseUrl, real: null });
  }

  get baseUrl() {
    return states.get(this).baseUrl;
  }

  /** Frees the real client's wasm memory, once made; the client answers no more calls. */
  free() {
    const state = states.get(this);
    states.delete(this);
    state?.real?.then((client) => client.free(), () => {});
  }

  /** Every entry of a user's change history (the real client's async iterator). */
  async *allChanges(...args) {
    yield* (await realClient(this)).allChanges(...args);
  }

  /** Every user of the environment (the real client's async iterator). */
  async *allUsers(...args) {
    yield* (await realClient(this)).allUsers(...args);
  }
}

/** The methods that answer a promise: each waits for the real client and calls it. */
const SENDING = [
  "identify", "get", "getWithETag", "delete",
  "getChannelData", "setChannelData", "unsetChannelData",
  "getPreferences", "setPreferences", "listPreferences",
  "addPushToken", "removePushToken", "changes", "merge",
  "listUsers", "bulkIdentify", "bulkDelete", "bulkSetPreferences",
];
for (const name of SENDING) {
  Object.defineProperty(IdentifyClient.prototype, name, {
    value: { [name](...args) { return realClient(this).then((client) => client[name](...args)); } }[name],
    writable: true,
    configurable: true,
  });
}
if (Symbol.dispose) IdentifyClient.prototype[Symbol.dispose] = IdentifyClient.prototype.free;
