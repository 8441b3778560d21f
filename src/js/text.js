// Strings into the wasm in one native `encodeInto`. wasm-bindgen's own
// conversion copies a string's ASCII part one character at a time in JS,
// which was a third of `mergeJson`'s time in Node (docs/measurements.md).
const encoder = new TextEncoder();

/**
 * Writes `text` as UTF-8 (a lone surrogate as U+FFFD) into the wasm's
 * `memory` at `at`, if it fits in `room` bytes: the bytes written, or -1.
 */
export function encodeInto(text, memory, at, room) {
  const { read, written } = encoder.encodeInto(text, new Uint8Array(memory.buffer, at, room));
  return read === text.length ? written : -1;
}
