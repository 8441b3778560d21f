// What the IdentifyClient (src/js/client/) needs from the JS runtime: timers
// and abort listeners (Rust cannot schedule a callback without leaking a
// closure, so these few lines stay JS), fresh idempotency keys, and the
// async generators that page a change history and the users list.

/**
 * One attempt's deadline: its `signal` aborts after `ms`, or as soon as the
 * caller's `outer` signal aborts. `dispose()` clears the timer and listener.
 */
export class Deadline {
  constructor(ms, outer) {
    this.controller = new AbortController();
    this.timedOut = false;
    this.outer = outer ?? null;
    this.onAbort = () => this.controller.abort();
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, ms);
    if (this.outer) {
      if (this.outer.aborted) this.controller.abort();
      else this.outer.addEventListener("abort", this.onAbort, { once: true });
    }
  }

  get signal() {
    return this.controller.signal;
  }

  dispose() {
    clearTimeout(this.timer);
    if (this.outer) this.outer.removeEventListener("abort", this.onAbort);
  }
}

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal && signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      if (signal) signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `promise`'s outcome, or `undefined` as soon as `signal` aborts (the
 * caller checks `signal.aborted`): a token function that never settles
 * cannot hold an aborted call.
 */
export function untilAborted(promise, signal) {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(undefined);
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * A fresh `Idempotency-Key` (contract §9): a random (v4) UUID.
 * `crypto.randomUUID` exists only in secure contexts (https, localhost);
 * a page served over plain http has `crypto.getRandomValues` alone.
 */
export function randomKey() {
  const crypto = globalThis.crypto;
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Every entry of a user's change history, newest first (`client.changes`
 * page after page).
 */
export function changeEntries(client, userId, options) {
  return entriesOf(client, (page) => client.changes(userId, page), options);
}

/** Every user of the environment, by id (`client.listUsers` page after page). */
export function userEntries(client, options) {
  return entriesOf(client, (page) => client.listUsers(page), options);
}

/**
 * Every entry of a paged list: `ask` page after page, following
 * `page_info.after` until it is `null`. The first page is asked with the
 * caller's `options` as given (so they are checked as the one-page call
 * checks them), the next ones with their `after`. `client` is the
 * generator's own handle on the caller's client, freed when the
 * generator finishes.
 */
async function* entriesOf(client, ask, options) {
  try {
    let page = await ask(options);
    for (;;) {
      yield* page.entries;
      const after = page.page_info.after;
      if (after === null || after === undefined) return;
      page = await ask({ ...options, after });
    }
  } finally {
    client.free();
  }
}
