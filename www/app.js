// The page: a form for one user, checked on every keystroke by the package's
// own `validate` (the Rust core the server runs), sent with `IdentifyClient`,
// and the server's answer shown beside what the page knew before, with the
// user's version (its ETag) and its change history. An identify of a user
// the page loaded (or last identified) sends that version as `If-Match`, so
// a change someone else made since is refused (412), never overwritten.
// Below the form, the users of the key's environment a page at a time
// (`listUsers`, a secret key only): a click on one loads it into the form,
// and each can have another user merged into it, or be deleted, once the
// person confirms it in a dialog.

import {
  AbortError,
  ApiError,
  ConnectionError,
  IdentifyClient,
  RateLimitError,
  TimeoutError,
  ValidationError,
  mergeJson,
  standardFields,
  timeZones,
  validate,
} from "knock-identify";

/** The standard fields of contract §2, from the core; each has an input of
 * the same id in index.html (a field without one fails here, at load). */
const STANDARD = standardFields();
for (const field of STANDARD) {
  if (!document.getElementById(field)) throw new Error(`index.html has no input for the standard field ${field}`);
}
/** The JSON editors for objects sent under their own key. */
const OBJECT_EDITORS = ["preferences", "channel_data"];
/** Keys of a returned user that are not the person's data. */
const BOOKKEEPING = new Set(["__typename", "id", "updated_at"]);
/** Each place a problem can be shown: an input (or editor) and its list. */
const SLOTS = ["top", "user_id", ...STANDARD, "custom", ...OBJECT_EDITORS];
/** How long one call may take before the page says there was no answer. */
const TIMEOUT_MS = 15_000;
/** How many of the latest changes the history shows. */
const HISTORY_SIZE = 10;
/** The change history's words for each write route (contract §9d). */
const ROUTES = {
  identify: "Identify",
  set_channel_data: "Channel data set",
  unset_channel_data: "Channel data removed",
  set_preferences: "Preference set written",
  add_push_token: "Push token added",
  remove_push_token: "Push token removed",
  bulk_identify: "Bulk identify",
  bulk_set_preferences: "Bulk preferences",
  merge: "Merge",
};
const COMMON_LOCALES = [
  "en", "en-US", "en-GB", "en-AU", "en-CA", "en-IN", "fr", "fr-FR", "fr-BE", "fr-CA",
  "de", "de-DE", "de-CH", "es", "es-ES", "es-MX", "es-419", "it-IT", "nl-NL", "pt-BR",
  "pt-PT", "sv-SE", "pl-PL", "ru-RU", "tr-TR", "ar", "he-IL", "hi-IN", "ja-JP", "ko-KR",
  "zh-Hans-CN", "zh-Hant-TW",
];

const $ = (id) => document.getElementById(id);
const form = $("user-form");
const identifyButton = $("identify");
const loadButton = $("load");
const zones = timeZones();
const zoneSet = new Set(zones);

/**
 * The user as the page last loaded or received it, `{ id, user, etag }`,
 * or null; `etag` is its version, sent as `If-Match` by the next identify.
 */
let known = null;
/** Whether a call is in flight. */
let busy = false;
/**
 * The users view: the page of users shown and where it was asked from
 * (`place`: `{}` for the first page, `{ after }` or `{ before }`), or null
 * before the first Show users.
 */
let usersView = null;
/** What the confirmation dialog asks about, `{ kind: "merge" | "delete", id }`, while it is open. */
let pending = null;
/** The problems of the form as it is now. */
let current = { userId: "", body: {}, problems: [] };

// ---------------------------------------------------------------- the form

/** The request the form describes, and every problem with it, each placed in a slot. */
function readForm() {
  const userId = $("user_id").value;
  const body = {};
  const problems = [];
  for (const field of STANDARD) {
    const value = $(field).value;
    if (value !== "") body[field] = value;
  }
  const customKeys = [];
  const custom = parseEditor("custom");
  if (custom.error) {
    problems.push({ slot: "custom", path: "", message: custom.error });
  } else if (custom.value !== undefined) {
    const value = custom.value;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.push({
        slot: "custom",
        path: "",
        message: `expected a JSON object of custom properties, like {"plan": "pro"}, got ${kindOf(value)}`,
      });
    } else {
      for (const [key, property] of Object.entries(value)) {
        if (OBJECT_EDITORS.includes(key)) {
          problems.push({ slot: "custom", path: key, message: `\`${key}\` has its own editor: set it there` });
          continue;
        }
        // A standard field may come from here only while its input is empty:
        // that is how a person sends `null` to clear it.
        if (STANDARD.includes(key) && $(key).value !== "") {
          problems.push({
            slot: "custom",
            path: key,
            message: `\`${key}\` is also in its own field: keep one (here, only to send null, with the field empty)`,
          });
          continue;
        }
        // An own property even for a key like `__proto__`, as JSON.parse makes it.
        Object.defineProperty(body, key, { value: property, enumerable: true, writable: true, configurable: true });
        customKeys.push(key);
      }
    }
  }
  for (const editor of OBJECT_EDITORS) {
    const parsed = parseEditor(editor);
    if (parsed.error) problems.push({ slot: editor, path: "", message: parsed.error });
    else if (parsed.value !== undefined) body[editor] = parsed.value;
  }
  for (const problem of validate(userId, body)) {
    const slot = slotFor(problem.field, customKeys);
    const path = slot === "custom" || slot === "top" ? problem.field : relativePath(problem.field, slot);
    problems.push({ slot, path, message: problem.message });
  }
  return { userId, body, problems };
}

/**
 * A JSON editor's value: `undefined` when blank, or the reason its text is
 * not JSON, as the server reads JSON (the package's own parser): a repeated
 * key is refused there, where `JSON.parse` would keep the last one.
 */
function parseEditor(id) {
  const text = $(id).value;
  if (text.trim() === "") return { value: undefined };
  try {
    mergeJson(null, "editor", text, 0);
  } catch (error) {
    if (error instanceof ValidationError && error.code === "invalid_json") {
      return { error: error.message.replace(/^the body is /, "") };
    }
  }
  return { value: JSON.parse(text) };
}

function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Where a problem on `field` (contract §2's dotted path) is shown. */
function slotFor(field, customKeys) {
  if (field === "") return "top";
  if (customKeys.includes(field)) return "custom";
  if (field === "user_id" || STANDARD.includes(field)) return field;
  const head = field.split(".")[0];
  if (OBJECT_EDITORS.includes(head)) return head;
  if (customKeys.some((key) => field.startsWith(`${key}.`))) return "custom";
  return "top";
}

/** `preferences.default.x` shown under the preferences editor as `default.x`. */
function relativePath(field, slot) {
  return field.startsWith(`${slot}.`) ? field.slice(slot.length + 1) : "";
}

/** A list item for one problem: its path (if any) in code, then the message. */
function problemItem(path, message) {
  const item = document.createElement("li");
  if (path) {
    const code = document.createElement("code");
    code.textContent = path;
    item.append(code, ": ");
  }
  item.append(message);
  return item;
}

/** Reads and checks the form, and shows every problem where it belongs. */
function refresh() {
  current = readForm();
  for (const slot of SLOTS) {
    const mine = current.problems.filter((problem) => problem.slot === slot);
    const list = $(`${slot}-problems`);
    list.replaceChildren(...mine.map(({ path, message }) => problemItem(path, message)));
    list.hidden = mine.length === 0;
    if (slot !== "top") {
      const input = $(slot);
      if (mine.length) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }
  const count = current.problems.length;
  identifyButton.textContent = count === 0 ? "Identify" : `Identify (${count} problem${count === 1 ? "" : "s"})`;
  updateButtons();
}

function updateButtons() {
  identifyButton.disabled = busy || current.problems.length > 0;
  loadButton.disabled = busy || current.problems.some((problem) => problem.slot === "user_id");
  form.setAttribute("aria-busy", String(busy));
  // Listing, merging and deleting need a secret key; loading a user does not.
  const managing = !busy && !publicKeyChosen();
  $("users-show").disabled = !managing;
  $("users-previous").disabled = !managing || !usersView?.page.page_info.before;
  $("users-next").disabled = !managing || !usersView?.page.page_info.after;
  for (const button of document.querySelectorAll("#users-table .row-actions button")) button.disabled = !managing;
  for (const button of document.querySelectorAll("#users-table button.load-user")) button.disabled = busy;
  $("users").setAttribute("aria-busy", String(busy));
}

/** Empties the form for a new user; the browser's own time zone is preselected. */
function newUser({ focus = true } = {}) {
  for (const id of ["user_id", ...STANDARD, "custom", ...OBJECT_EDITORS]) $(id).value = "";
  const zone = browserZone();
  if (zone) $("timezone").value = zone;
  refresh();
  if (focus) $("user_id").focus();
}

function browserZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zoneSet.has(zone) ? zone : null;
}

/** Puts a stored user into the form. */
function fillForm(user) {
  $("user_id").value = user.id;
  for (const field of STANDARD) $(field).value = user[field] ?? "";
  const custom = Object.fromEntries(
    Object.entries(user).filter(([key]) => !BOOKKEEPING.has(key) && !STANDARD.includes(key)),
  );
  $("custom").value = Object.keys(custom).length ? JSON.stringify(custom, null, 2) : "";
  for (const editor of OBJECT_EDITORS) $(editor).value = "";
  refresh();
}

// ------------------------------------------------------------ the calls

/**
 * The user token of the signed-in user (the id in the form), from the
 * stand-in for the app's backend (www/serve.mjs), as an app would fetch
 * it from its own server.
 */
async function signedInUserToken() {
  const userId = $("user_id").value;
  const answer = await fetch(`/backend/user-token?user_id=${encodeURIComponent(userId)}`);
  if (!answer.ok) throw new Error(`the backend gave no user token (${answer.status})`);
  return (await answer.json()).token;
}

/** Shows the secret-key warning only while a secret key is chosen, and the users view's note while a public one is. */
function showKeyNotes() {
  const secret = $("api-key").value.trim().startsWith("sk_");
  $("key-warning").hidden = !secret;
  $("key-note").hidden = secret;
  $("users-key-note").hidden = !publicKeyChosen();
  updateButtons();
}

/** Whether the key in Settings is a public key, which may not list, merge or delete users (a 403). */
function publicKeyChosen() {
  return $("api-key").value.trim().startsWith("pk_");
}

/** A client for the settings as they are now, or null (the reason is shown). */
function makeClient() {
  const problem = $("settings-problem");
  try {
    const key = $("api-key").value.trim();
    const common = {
      baseUrl: $("base-url").value.trim(),
      timeoutMs: TIMEOUT_MS,
      // A person is at the keyboard: say at once what went wrong (a 429 and
      // its wait, an unreachable Worker) rather than wait and retry unseen.
      maxRetries: 0,
    };
    const client = key.startsWith("pk_")
      ? new IdentifyClient({ ...common, publicKey: key, userToken: signedInUserToken })
      : // A local development tool (see the warning in Settings).
        new IdentifyClient({ ...common, apiKey: key, dangerouslyAllowBrowser: true });
    problem.hidden = true;
    return client;
  } catch (error) {
    problem.textContent = `Settings: ${error.message}`;
    problem.hidden = false;
    showError(`The settings are not usable: ${error.message}`);
    return null;
  }
}

async function identify(event) {
  event.preventDefault();
  refresh();
  if (busy || current.problems.length) return;
  const { userId, body } = current;
  const client = makeClient();
  if (!client) return;
  const had = known && known.id === userId ? known : null;
  await sendAndReport(`Sending ${userId}…`, async () => {
    let etag = null;
    const options = { onETag: (value) => (etag = value) };
    // Only on the version this page has: a change made since is refused (412).
    if (had?.etag) options.ifMatch = had.etag;
    let user;
    try {
      user = await client.identify(userId, body, options);
    } catch (error) {
      if (had && error instanceof ApiError && error.status === 412) return changedElsewhere(client, had, error);
      throw error;
    }
    known = { id: userId, user, etag };
    showOutcome(user, { before: had?.user ?? null, seen: had !== null }, etag);
    showStatus(`Identified “${userId}”: the server stored it and answered with the user below.`);
    await showHistory(client, userId);
  });
}

/**
 * The identify of a user the page had was refused (412): someone else
 * changed it since. Nothing was written; the page shows the user as it is
 * now, what changed since the page's version, and keeps the person's edits
 * in the form, so a second Identify applies them on top of the new version.
 */
async function changedElsewhere(client, had, refusal) {
  const { id } = had;
  let current;
  try {
    current = await client.getWithETag(id);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    known = null;
    showError(
      `Someone else deleted “${id}” after this page loaded it (412): nothing was written. ` +
        "Identify again to create it anew.",
      [],
      refusal.requestId,
    );
    return;
  }
  known = { id, user: current.user, etag: current.etag };
  showOutcome(current.user, { before: had.user, seen: true, elsewhere: true }, current.etag);
  showError(
    `Someone else changed “${id}” after this page loaded it (412): nothing was overwritten. ` +
      "Below is the user as it is stored now, and what they changed; your edits are still in the form: " +
      "Identify again to apply them to this version.",
    [],
    refusal.requestId,
  );
  await showHistory(client, id);
}

async function load() {
  refresh();
  const userId = $("user_id").value;
  if (busy || current.problems.some((problem) => problem.slot === "user_id")) return;
  const client = makeClient();
  if (!client) return;
  await sendAndReport(`Loading ${userId}…`, async () => {
    const { user, etag } = await client.getWithETag(userId);
    known = { id: userId, user, etag };
    fillForm(user);
    showOutcome(user, null, etag);
    showStatus(
      `Loaded “${userId}” into the form. Preferences and channel data are stored but not returned, ` +
        "so their editors start empty.",
    );
    await showHistory(client, userId);
  });
}

/**
 * Runs one call of the client: `progress` shown while `send` runs, the
 * buttons disabled, and what it throws shown in plain words.
 */
async function sendAndReport(progress, send) {
  busy = true;
  updateButtons();
  showStatus(progress);
  try {
    await send();
  } catch (error) {
    showError(...explain(error));
  } finally {
    busy = false;
    updateButtons();
    // How many calls have finished: lets a script (and the tests) wait for an answer.
    const result = $("result");
    result.dataset.calls = String(Number(result.dataset.calls ?? 0) + 1);
  }
}

// ------------------------------------------------------- the users view

/** The "Per page" choice. */
function usersPageSize() {
  return Number($("users-page-size").value);
}

/** Shows the page of users at `place` (`{}`: the first; `{ after }`, `{ before }`: a cursor of the page shown). */
async function showUsersAt(place) {
  if (busy || publicKeyChosen()) return;
  const client = makeClient();
  if (!client) return;
  await sendAndReport("Loading users…", async () => {
    await listUsers(client, place);
    showStatus(usersSummary());
  });
}

/**
 * Reads the page of users at `place` and shows it; a page left empty (its
 * users deleted) shows the first page instead. `gone` is a user just
 * deleted: the list follows each write within about a second (contract
 * §10), so while the page still holds it, it is read again, for at most
 * about 3 s.
 */
async function listUsers(client, place, gone = null) {
  let page;
  for (let reads = 1; ; reads++) {
    page = await client.listUsers({ pageSize: usersPageSize(), ...place });
    if (page.entries.length === 0 && (place.after || place.before)) {
      place = {};
      continue;
    }
    if (!page.entries.some((user) => user.id === gone) || reads >= 12) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  usersView = { place, page };
  $("users-view").hidden = false;
  $("users-table").tBodies[0].replaceChildren(...page.entries.map(userRow));
  $("users-note").textContent = usersSummary();
  updateButtons();
}

/** What the page of users shown holds, in words. */
function usersSummary() {
  const { entries, page_info } = usersView.page;
  if (entries.length === 0) return "No user is stored in this key's environment yet: identify one.";
  const count = `${entries.length} user${entries.length === 1 ? "" : "s"}`;
  let where = "a page";
  if (!page_info.before && !page_info.after) where = "every user";
  else if (!page_info.before) where = "the first page";
  else if (!page_info.after) where = "the last page";
  return `Showing ${count}, “${entries[0].id}” to “${entries.at(-1).id}” (${where}, by id).`;
}

/** One user of the view: its id (a button that loads it), name, email, and what can be done to it. */
function userRow(user) {
  const row = document.createElement("tr");
  row.dataset.id = user.id;
  const idCell = document.createElement("th");
  idCell.scope = "row";
  const open = document.createElement("button");
  open.type = "button";
  open.className = "link load-user";
  open.title = "Load this user into the form";
  const code = document.createElement("code");
  code.textContent = user.id;
  open.append(code);
  open.addEventListener("click", () => loadUser(user.id));
  idCell.append(open);
  const actions = document.createElement("div");
  actions.className = "row-actions";
  actions.append(
    rowButton("Merge into…", "merge-user", `Merge another user into ${user.id}`, () => askToConfirm("merge", user.id)),
    rowButton("Delete…", "delete-user", `Delete ${user.id}`, () => askToConfirm("delete", user.id)),
  );
  const actionsCell = document.createElement("td");
  actionsCell.append(actions);
  const email = textCell(user.email);
  email.classList.add("email");
  row.append(idCell, textCell(user.name), email, actionsCell);
  return row;
}

function rowButton(text, className, label, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = text;
  button.setAttribute("aria-label", label);
  button.addEventListener("click", onClick);
  return button;
}

function textCell(value) {
  const td = document.createElement("td");
  if (value === null || value === undefined) {
    td.className = "empty";
    td.textContent = "—";
  } else {
    td.textContent = value;
  }
  return td;
}

/** A click on a user of the view: that user loaded into the form, as Load does. */
function loadUser(id) {
  if (busy) return;
  $("user_id").value = id;
  return load();
}

/**
 * Opens the confirmation of a merge into `id` (the person names the user
 * merged in) or of a delete of `id`. Nothing is sent until its confirm
 * button is pressed; Cancel, Escape or closing it sends nothing.
 */
function askToConfirm(kind, id) {
  if (busy) return;
  pending = { kind, id };
  const merging = kind === "merge";
  $("confirm-title").textContent = merging ? `Merge a user into “${id}”` : `Delete “${id}”?`;
  $("confirm-text").textContent = merging
    ? `“${id}” keeps everything it has and gains what it lacks from the user you name: standard fields it has not ` +
      "set, custom properties, preference sets and channel data. That user is then deleted. This cannot be undone."
    : `“${id}” and everything stored for it (its preference sets, channel data and change history) will be ` +
      "deleted. This cannot be undone.";
  $("merge-from-field").hidden = !merging;
  $("merge-from").value = "";
  $("confirm-yes").textContent = merging ? "Merge" : "Delete";
  updateConfirm();
  $("confirm").showModal();
  // The safe choice has the focus when there is nothing to type.
  (merging ? $("merge-from") : $("confirm-no")).focus();
}

function updateConfirm() {
  const from = $("merge-from").value;
  $("confirm-yes").disabled = pending?.kind === "merge" && from === "";
  if (pending?.kind === "merge") $("confirm-yes").textContent = from ? `Merge “${from}” into “${pending.id}”` : "Merge";
}

/** The confirm button: the dialog closes and the call it asked about is sent. */
async function confirmed() {
  const action = pending;
  if (!action || $("confirm-yes").disabled) return;
  const from = $("merge-from").value;
  $("confirm").close();
  if (action.kind === "merge") await mergeInto(action.id, from);
  else await deleteUser(action.id);
}

/**
 * Merges `from` into `primary` (`client.merge`, checked by the package
 * first): the merged user goes into the form and the result, and the
 * page of users is read again.
 */
async function mergeInto(primary, from) {
  const client = makeClient();
  if (!client) return;
  await sendAndReport(`Merging “${from}” into “${primary}”…`, async () => {
    let etag = null;
    let user;
    try {
      user = await client.merge(primary, from, { onETag: (value) => (etag = value) });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      showError(
        `“${primary}” or “${from}” is not stored for this key's environment (404): nothing was merged.`,
        [],
        error.requestId,
      );
      return;
    }
    known = { id: primary, user, etag };
    fillForm(user);
    showOutcome(user, null, etag);
    await listUsers(client, usersView?.place ?? {}, from);
    showStatus(
      `Merged “${from}” into “${primary}”, and deleted “${from}”. Below is “${primary}” as the server ` +
        "returned it, now also in the form.",
    );
    await showHistory(client, primary);
  });
}

/** Deletes `id`, then reads the page of users again. */
async function deleteUser(id) {
  const client = makeClient();
  if (!client) return;
  await sendAndReport(`Deleting “${id}”…`, async () => {
    await client.delete(id);
    if (known?.id === id) {
      known = null;
      $("outcome").hidden = true;
    }
    await listUsers(client, usersView?.place ?? {}, id);
    showStatus(`Deleted “${id}”.`);
  });
}

// ------------------------------------------------------- what the page says

/** Shows a status sentence (not an error). */
function showStatus(text) {
  const status = $("status");
  status.className = "";
  const paragraph = document.createElement("p");
  paragraph.id = "status-text";
  paragraph.textContent = text;
  status.replaceChildren(paragraph);
}

/** Shows an error in plain words: a sentence, an optional list, an optional request id. */
function showError(sentence, items = [], requestId = null) {
  const status = $("status");
  status.className = "error";
  const paragraph = document.createElement("p");
  paragraph.id = "status-text";
  paragraph.textContent = sentence;
  const parts = [paragraph];
  if (items.length) {
    const list = document.createElement("ul");
    list.id = "status-problems";
    list.append(...items.map(({ field, message }) => problemItem(field, message)));
    parts.push(list);
  }
  if (requestId) {
    const id = document.createElement("p");
    id.className = "hint";
    id.textContent = `Request id: ${requestId}`;
    parts.push(id);
  }
  status.replaceChildren(...parts);
}

/** The arguments of `showError` for anything a call can throw. */
function explain(error) {
  const baseUrl = $("base-url").value.trim();
  if (error instanceof ValidationError) {
    return ["The package refused the request before sending it:", error.errors ?? []];
  }
  if (error instanceof RateLimitError) {
    const seconds = error.retryAfterMs == null ? null : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    const wait = seconds === null ? "wait a moment" : `wait ${seconds} second${seconds === 1 ? "" : "s"}`;
    return [`Too many requests (429): the server asks you to ${wait} before trying again.`, [], error.requestId];
  }
  if (error instanceof ApiError) {
    const { status, code, requestId } = error;
    if (status === 401 && code === "api_key_missing") {
      return ["No API key was sent (401): enter one in Settings.", [], requestId];
    }
    if (status === 401 && code === "invalid_api_key") {
      return [
        "The API key was refused (401): check the key in Settings. The local Worker's development key is sk_test_local.",
        [],
        requestId,
      ];
    }
    // Another 401 (a user token missing or refused): what the server said.
    if (status === 401) {
      return [`The server refused the request (401 ${code}): ${error.message}.`, [], requestId];
    }
    if (status === 403) {
      return publicKeyChosen()
        ? [
            "A public key may not do this (403): listing, merging and deleting users need a secret key (sk_…) in Settings.",
            [],
            requestId,
          ]
        : [`The server refused the request (403 ${code}): ${error.message}.`, [], requestId];
    }
    if (status === 404) {
      return [`No user “${$("user_id").value}” is stored for this key's environment (404).`, [], requestId];
    }
    if (status === 422) {
      const errors = error.errors ?? [];
      return [
        `The server refused the request (422): ${errors.length} problem${errors.length === 1 ? "" : "s"}.`,
        errors,
        requestId,
      ];
    }
    if (status >= 500) {
      return [`The server failed (${status}): ${error.message}. Nothing was changed; try again.`, [], requestId];
    }
    return [`The server could not take the request (${status}): ${error.message}.`, [], requestId];
  }
  if (error instanceof TimeoutError) {
    return [`No answer from ${baseUrl} within ${TIMEOUT_MS / 1000} seconds. Is the Worker running?`];
  }
  if (error instanceof ConnectionError) {
    return [
      `Could not reach ${baseUrl}. Is the Worker running (./scripts/dev)? A browser reports a refused ` +
        `cross-origin request the same way: the Worker must allow this page's origin, ${location.origin}.`,
    ];
  }
  if (error instanceof AbortError) return ["The call was cancelled."];
  return [`Something went wrong: ${error?.message ?? String(error)}`];
}

/**
 * Shows the returned user and its version (`etag`) and, after an identify,
 * each field before and after: added, changed or unchanged. `diff.elsewhere`:
 * the user as stored now, changed by someone else since the page's version.
 */
function showOutcome(user, diff, etag) {
  $("outcome").hidden = false;
  $("returned-user").textContent = JSON.stringify(user, null, 2);
  $("etag").textContent = etag ?? "";
  $("version").hidden = !etag;
  const block = $("changes-block");
  block.hidden = diff === null;
  if (diff === null) return;
  const { before, seen, elsewhere = false } = diff;
  $("changes-note").textContent = elsewhere
    ? `Before: “${user.id}” as this page had it (updated ${before.updated_at}). ` +
      `After: as it is stored now, changed by someone else (updated ${user.updated_at}).`
    : seen
      ? `Before: “${user.id}” as this page last loaded or received it (updated ${before.updated_at}). ` +
        `After: the server's answer (updated ${user.updated_at}).`
      : `Before: nothing — this page had not seen “${user.id}” (a new user; to compare with a stored one, ` +
        `Load it first). After: the server's answer (updated ${user.updated_at}).`;
  const rows = changes(before, user).map(({ field, from, to, change }) => {
    const row = document.createElement("tr");
    row.dataset.field = field;
    row.dataset.change = change;
    const name = document.createElement("th");
    name.scope = "row";
    const code = document.createElement("code");
    code.textContent = field;
    name.append(code);
    const badge = document.createElement("span");
    badge.className = `badge ${change}`;
    badge.textContent = change;
    const status = document.createElement("td");
    status.append(badge);
    row.append(name, valueCell(from), valueCell(to), status);
    return row;
  });
  $("changes").tBodies[0].replaceChildren(...rows);
}

/**
 * Shows the latest changes of the user `id` (contract §9d): when, which
 * write, and the names of what it changed. A history that cannot be read
 * says why there, without hiding what the call itself did.
 */
async function showHistory(client, id) {
  const block = $("history-block");
  const note = $("history-note");
  const body = $("history").tBodies[0];
  block.hidden = false;
  let page;
  try {
    page = await client.changes(id, { pageSize: HISTORY_SIZE });
  } catch (error) {
    body.replaceChildren();
    note.textContent = `The change history could not be read: ${explain(error)[0]}`;
    return;
  }
  const count = page.entries.length;
  note.textContent =
    count === 0
      ? `No change of “${id}” is recorded.`
      : `The latest ${count === 1 ? "change" : `${count} changes`} of “${id}”, newest first` +
        (page.page_info.after ? ` (older ones not shown).` : ".");
  body.replaceChildren(...page.entries.map(historyRow));
}

/** One row of the change history. */
function historyRow({ at, route, changed }) {
  const row = document.createElement("tr");
  row.dataset.route = route;
  const when = document.createElement("td");
  const time = document.createElement("time");
  time.dateTime = at;
  time.textContent = new Date(at).toLocaleString();
  time.title = at;
  when.append(time);
  const write = document.createElement("td");
  write.textContent = ROUTES[route] ?? route;
  const names = document.createElement("td");
  if (changed.length === 0) {
    names.className = "empty";
    names.textContent = "—";
  }
  for (const name of changed) {
    const code = document.createElement("code");
    code.textContent = name;
    names.append(code, " ");
  }
  row.append(when, write, names);
  return row;
}

/** Each standard field and custom property, before and after. */
function changes(before, after) {
  const custom = new Set();
  for (const user of [before ?? {}, after]) {
    for (const key of Object.keys(user)) if (!BOOKKEEPING.has(key) && !STANDARD.includes(key)) custom.add(key);
  }
  return [...STANDARD, ...[...custom].sort()].map((field) => {
    const from = before?.[field] ?? null;
    const to = after[field] ?? null;
    let change = "changed";
    if (canonical(from) === canonical(to)) change = "unchanged";
    else if (from === null) change = "added";
    return { field, from, to, change };
  });
}

/** JSON with sorted keys, so equal values compare equal. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function valueCell(value) {
  const td = document.createElement("td");
  if (value === null) {
    td.className = "empty";
    td.textContent = "—";
    td.title = "not set";
  } else {
    const code = document.createElement("code");
    // JSON on one line, with spaces to wrap at: { "tier": "pro", "seats": 3 }
    code.textContent = typeof value === "string" ? value : JSON.stringify(value, null, 1).replace(/\n\s*/g, " ");
    td.append(code);
  }
  return td;
}

// ------------------------------------------------------------------ start

function fillSuggestions() {
  const zoneOptions = zones.map((zone) => new Option("", zone));
  $("timezones").replaceChildren(...zoneOptions);
  const locales = [...new Set([...(navigator.languages ?? []), ...COMMON_LOCALES])];
  $("locales").replaceChildren(...locales.map((locale) => new Option("", locale)));
}

fillSuggestions();
form.addEventListener("input", refresh);
form.addEventListener("submit", identify);
loadButton.addEventListener("click", load);
$("new-user").addEventListener("click", () => newUser());
$("api-key").addEventListener("input", showKeyNotes);
$("users-show").addEventListener("click", () => showUsersAt({}));
$("users-next").addEventListener("click", () => showUsersAt({ after: usersView.page.page_info.after }));
$("users-previous").addEventListener("click", () => showUsersAt({ before: usersView.page.page_info.before }));
$("users-page-size").addEventListener("change", () => usersView && showUsersAt({}));
$("merge-from").addEventListener("input", updateConfirm);
$("merge-from").addEventListener("keydown", (event) => {
  if (event.key === "Enter") confirmed();
});
$("confirm-yes").addEventListener("click", confirmed);
$("confirm-no").addEventListener("click", () => $("confirm").close());
// However it closes (Cancel, Escape, a confirmed call), nothing is pending after.
$("confirm").addEventListener("close", () => (pending = null));
showKeyNotes();
newUser({ focus: false });
showStatus("Ready. Fill in a user id and any fields, then Identify.");
document.documentElement.dataset.ready = "true";
