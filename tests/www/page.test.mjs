// The page (www/) in Debian's headless Chromium against the real Worker
// under `wrangler dev` and the real package (pkg/): live validation, identify,
// the before/after of a merge, load, the user's ETag and change history, a
// write refused because someone else changed the user (412), errors in plain
// words, phone width and the keyboard; the users view (paging, a click
// loading a user, merge and delete each confirmed in a dialog, cancel). The tests of the first block run in
// order on one page, as a person would use it: each starts from where the
// previous one left off.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  DEV_KEY, PUBLIC_KEY, ROOT, freePort, identifyElsewhere, launchChromium, listedPage, listedUsers, startPage, startWorker,
  storedUser, waitUntil,
} from "./servers.mjs";

/** Where the screenshot after a merge goes (scripts/test-www --screenshot: docs/). */
const SCREENSHOT = resolve(ROOT, process.env.WWW_SCREENSHOT ?? "target/www/screenshot.png");
/** The browser's own zone and languages, so preselection is checked, not assumed. */
const BROWSER_ZONE = "Europe/Paris";
const USER_ID = "jane-doe";

let page;
let worker;
let browser;

before(async () => {
  page = await startPage();
  worker = await startWorker({ origin: page.origin });
  browser = await launchChromium();
}, { timeout: 360_000 });

after(async () => {
  await browser?.close();
  await worker?.stop();
  await page?.stop();
});

/** A fresh tab on the page, pointed at the test's Worker, once the package is loaded. */
async function openPage({ width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    timezoneId: BROWSER_ZONE,
    locale: "fr-BE",
  });
  const tab = await context.newPage();
  const failures = [];
  tab.on("pageerror", (error) => failures.push(error.message));
  await tab.goto(page.url);
  await tab.waitForSelector("html[data-ready]", { timeout: 20_000 });
  await tab.fill("#base-url", worker.url);
  // Closing a tab asserts that nothing in it threw: every page is checked.
  const close = async () => {
    await context.close();
    assert.deepEqual(failures, [], "no uncaught error in the page");
  };
  return { tab, failures, close };
}

/** The rows of the change table: field → { before, after, change }. */
async function changeRows(tab) {
  return tab.$$eval("#changes tbody tr", (rows) =>
    Object.fromEntries(
      rows.map((row) => [
        row.dataset.field,
        { before: row.cells[1].textContent, after: row.cells[2].textContent, change: row.dataset.change },
      ]),
    ),
  );
}

/** The rows of the change history, newest first: { route, at, changed }. */
async function historyRows(tab) {
  return tab.$$eval("#history tbody tr", (rows) =>
    rows.map((row) => ({
      route: row.dataset.route,
      at: row.querySelector("time").getAttribute("datetime"),
      changed: [...row.cells[2].querySelectorAll("code")].map((code) => code.textContent),
    })),
  );
}

/** The next identify the page sends to the Worker. */
function nextPut(tab) {
  return tab.waitForRequest((request) => request.method() === "PUT" && request.url().startsWith(worker.url));
}

/** The visible problems listed under one field. */
function problemsOf(tab, field) {
  return tab.locator(`#${field}-problems:not([hidden]) li`).allTextContents();
}

/** Runs `action` (a click, a key) and waits until the call it starts has its answer shown. */
async function answerTo(tab, action) {
  const calls = Number((await tab.getAttribute("#result", "data-calls")) ?? 0);
  await action();
  await tab.waitForFunction(
    (before) => Number(document.getElementById("result").dataset.calls ?? 0) > before,
    calls,
    { timeout: 30_000 },
  );
  return tab.textContent("#status");
}

/** Clicks Identify and waits for the answer (a status or an error). */
function identify(tab) {
  return answerTo(tab, () => tab.click("#identify"));
}

describe("one person's session", () => {
  let session;
  before(async () => {
    session = await openPage();
  });
  after(async () => {
    await session?.close(); // only when a test before the last one failed
  });

  test("a new user starts with the browser's own time zone; a bad phone number shows the package's message", async () => {
    const { tab } = session;
    assert.equal(await tab.inputValue("#timezone"), BROWSER_ZONE);
    assert.equal(await tab.inputValue("#api-key"), PUBLIC_KEY, "no secret key in the page by default");
    assert.ok(await tab.isHidden("#key-warning"), "the secret-key warning only for a secret key");
    await tab.fill("#user_id", USER_ID);
    await tab.fill("#phone_number", "+1 (415) 555-2671");
    // The contract's words (fixture phone_formatted), from the package in the page.
    assert.deepEqual(await problemsOf(tab, "phone_number"), [
      "expected an E.164 number: `+` and 7 to 15 digits starting with a country calling code, like `+14155552671`; use `+14155552671`",
    ]);
    assert.equal(await tab.getAttribute("#phone_number", "aria-invalid"), "true");
    assert.equal(await tab.textContent("#identify"), "Identify (1 problem)");
    assert.ok(await tab.isDisabled("#identify"));
  });

  test("fixing the phone number makes its message go and enables Identify", async () => {
    const { tab } = session;
    await tab.fill("#phone_number", "+14155552671");
    assert.deepEqual(await problemsOf(tab, "phone_number"), []);
    assert.ok(await tab.isHidden("#phone_number-problems"));
    assert.equal(await tab.getAttribute("#phone_number", "aria-invalid"), null);
    assert.equal(await tab.textContent("#identify"), "Identify");
    assert.ok(await tab.isEnabled("#identify"));
  });

  test("identify a new user: the page shows the user the server returned, every field set marked added", async () => {
    const { tab } = session;
    await tab.fill("#name", "Jane Doe");
    await tab.fill("#email", "jane@example.com");
    await tab.fill("#locale", "fr-BE");
    await tab.fill("#custom", '{"plan": {"tier": "pro", "seats": 3}}');
    await tab.fill("#preferences", '{"default": {"channel_types": {"email": true, "sms": false}}}');
    const sent = tab.waitForRequest((request) => request.method() === "PUT" && request.url().startsWith(worker.url));
    const status = await identify(tab);
    assert.match(status, /Identified “jane-doe”/);
    // The public key and a user token for the signed-in user, from the stand-in backend.
    const headers = (await sent).headers();
    assert.equal(headers.authorization, `Bearer ${PUBLIC_KEY}`);
    const claims = JSON.parse(Buffer.from(headers["x-knock-user-token"].split(".")[1], "base64url"));
    assert.equal(claims.sub, USER_ID);
    const shown = JSON.parse(await tab.textContent("#returned-user"));
    const stored = await storedUser(worker.url, USER_ID);
    assert.equal(stored.status, 200);
    assert.deepEqual(shown, stored.body, "the page shows exactly what the Worker stored");
    assert.deepEqual(
      { ...shown, updated_at: "…" },
      {
        __typename: "User", id: USER_ID, avatar: null, created_at: null, email: "jane@example.com",
        locale: "fr-BE", name: "Jane Doe", phone_number: "+14155552671", timezone: BROWSER_ZONE,
        updated_at: "…", plan: { tier: "pro", seats: 3 },
      },
    );
    const rows = await changeRows(tab);
    assert.deepEqual(
      Object.fromEntries(Object.entries(rows).map(([field, row]) => [field, row.change])),
      {
        name: "added", email: "added", phone_number: "added", timezone: "added", locale: "added",
        avatar: "unchanged", created_at: "unchanged", plan: "added",
      },
    );
    assert.deepEqual(rows.name, { before: "—", after: "Jane Doe", change: "added" });
  });

  test("change one field and identify again: only that field is marked changed", async () => {
    const { tab } = session;
    await tab.fill("#name", "Jane Q. Doe");
    const status = await identify(tab);
    assert.match(status, /Identified “jane-doe”/);
    const rows = await changeRows(tab);
    const changed = Object.entries(rows).filter(([, row]) => row.change !== "unchanged");
    assert.deepEqual(changed, [["name", { before: "Jane Doe", after: "Jane Q. Doe", change: "changed" }]]);
    assert.equal(Object.keys(rows).length, 8, "every standard field and the custom property");
    assert.equal((await storedUser(worker.url, USER_ID)).body.name, "Jane Q. Doe");
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await tab.evaluate(() => window.scrollTo(0, 0));
    await tab.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test("Load fetches the user by id into the form", async () => {
    const { tab } = session;
    await tab.click("#new-user");
    assert.equal(await tab.inputValue("#name"), "");
    await tab.fill("#user_id", USER_ID);
    assert.match(await answerTo(tab, () => tab.click("#load")), /^Loaded “jane-doe” into the form/);
    assert.equal(await tab.inputValue("#name"), "Jane Q. Doe");
    assert.equal(await tab.inputValue("#email"), "jane@example.com");
    assert.equal(await tab.inputValue("#phone_number"), "+14155552671");
    assert.equal(await tab.inputValue("#timezone"), BROWSER_ZONE);
    assert.equal(await tab.inputValue("#locale"), "fr-BE");
    assert.equal(await tab.inputValue("#avatar"), "");
    assert.deepEqual(JSON.parse(await tab.inputValue("#custom")), { plan: { tier: "pro", seats: 3 } });
    assert.deepEqual(JSON.parse(await tab.textContent("#returned-user")), (await storedUser(worker.url, USER_ID)).body);
    assert.equal(await tab.textContent("#identify"), "Identify");
  });

  test("Load shows the user's version (its ETag) and its change history, newest first", async () => {
    const { tab } = session;
    const stored = await storedUser(worker.url, USER_ID);
    assert.equal(await tab.textContent("#etag"), stored.etag);
    const rows = await historyRows(tab);
    assert.deepEqual(rows.map(({ route, changed }) => [route, changed]), [
      ["identify", ["name"]],
      ["identify", ["email", "locale", "name", "phone_number", "timezone", "custom.plan", "preferences.default"]],
    ]);
    assert.equal(rows[0].at, stored.body.updated_at, "when: the write's updated_at");
  });

  test("after Load, identify sends the loaded ETag as If-Match and compares with the loaded user", async () => {
    const { tab } = session;
    const loaded = await tab.textContent("#etag");
    await tab.fill("#avatar", "https://example.com/jane.png");
    const sent = nextPut(tab);
    await identify(tab);
    assert.equal((await sent).headers()["if-match"], loaded);
    const rows = await changeRows(tab);
    const changed = Object.entries(rows).filter(([, row]) => row.change !== "unchanged").map(([field, row]) => [field, row.change]);
    assert.deepEqual(changed, [["avatar", "added"]]);
    const stored = await storedUser(worker.url, USER_ID);
    assert.equal(await tab.textContent("#etag"), stored.etag, "the new version");
    assert.notEqual(stored.etag, loaded);
    const [latest] = await historyRows(tab);
    assert.deepEqual(latest, { route: "identify", at: stored.body.updated_at, changed: ["avatar"] });
  });

  test("null clears a standard field: sent from the custom editor while the field is empty", async () => {
    const { tab } = session;
    await tab.fill("#custom", '{"plan": {"tier": "pro", "seats": 3}, "email": null}');
    const [conflict] = await problemsOf(tab, "custom");
    assert.match(conflict, /^email: `email` is also in its own field/);
    assert.equal(await tab.textContent("#identify"), "Identify (1 problem)");
    await tab.fill("#email", "");
    assert.equal(await tab.textContent("#identify"), "Identify");
    await identify(tab);
    const changed = Object.entries(await changeRows(tab)).filter(([, row]) => row.change !== "unchanged");
    assert.deepEqual(changed, [["email", { before: "jane@example.com", after: "—", change: "changed" }]]);
    const stored = await storedUser(worker.url, USER_ID);
    assert.equal(stored.body.email, null);
    assert.ok(Object.hasOwn(stored.body, "email"), "a key is never deleted by identify");
  });

  test("a user changed elsewhere since the page had it: the 412 said in plain words, nothing overwritten, the current user shown", async () => {
    const { tab } = session;
    const had = await tab.textContent("#etag");
    const elsewhere = await identifyElsewhere(worker.url, USER_ID, { name: "Renamed Elsewhere" });
    assert.equal(elsewhere.status, 200);
    await tab.fill("#name", "Jane Again");
    const sent = nextPut(tab);
    const status = await identify(tab);
    assert.equal((await sent).headers()["if-match"], had);
    assert.match(status, /^Someone else changed “jane-doe” after this page loaded it \(412\): nothing was overwritten\./);
    assert.equal(await tab.getAttribute("#status", "class"), "error");
    const stored = await storedUser(worker.url, USER_ID);
    assert.equal(stored.body.name, "Renamed Elsewhere", "not overwritten");
    assert.deepEqual(JSON.parse(await tab.textContent("#returned-user")), stored.body, "the user as it is now");
    assert.equal(await tab.textContent("#etag"), stored.etag);
    const changed = Object.entries(await changeRows(tab)).filter(([, row]) => row.change !== "unchanged");
    assert.deepEqual(changed, [["name", { before: "Jane Q. Doe", after: "Renamed Elsewhere", change: "changed" }]]);
    assert.equal(await tab.inputValue("#name"), "Jane Again", "the person's edit stays in the form");
    const [latest] = await historyRows(tab);
    assert.deepEqual(latest, { route: "identify", at: stored.body.updated_at, changed: ["name"] });
    // Identify again: on top of the version now shown.
    const again = nextPut(tab);
    assert.match(await identify(tab), /^Identified “jane-doe”/);
    assert.equal((await again).headers()["if-match"], stored.etag);
    assert.equal((await storedUser(worker.url, USER_ID)).body.name, "Jane Again");
  });

  test("a wrong key shows the 401 in plain words; a secret key brings its warning", async () => {
    const { tab } = session;
    await tab.fill("#api-key", "sk_test_wrong");
    assert.ok(await tab.isVisible("#key-warning"));
    const status = await identify(tab);
    assert.match(status, /The API key was refused \(401\): check the key in Settings\./);
    assert.match(status, /Request id: req_/);
    assert.equal(await tab.getAttribute("#status", "class"), "error");
    assert.doesNotMatch(status, /\bat \S+:\d+|Error:|ApiError/, "no stack or class name");
    await tab.fill("#api-key", PUBLIC_KEY);
    assert.ok(await tab.isHidden("#key-warning"));
  });

  test("Load of an unknown id says so (404)", async () => {
    const { tab } = session;
    await tab.fill("#user_id", "nobody-here");
    const status = await answerTo(tab, () => tab.click("#load"));
    assert.match(status, /No user “nobody-here” is stored for this key's environment \(404\)\./);
  });

  test("nothing in the page threw during the session", async () => {
    const closing = session;
    session = null;
    await closing.close();
  });
});

describe("problems in the JSON editors", () => {
  test("invalid JSON shows its parse error; a problem inside preferences shows under that editor; odd keys stay keys", async () => {
    const { tab, failures, close } = await openPage();
    try {
      await tab.fill("#user_id", "json-user");
      await tab.fill("#custom", '{"plan": ');
      const [parse] = await problemsOf(tab, "custom");
      assert.match(parse, /^not valid JSON: /);
      // A repeated key is the server's 400, not silently the last value.
      await tab.fill("#custom", '{"plan": "free", "plan": "pro"}');
      assert.deepEqual(await problemsOf(tab, "custom"), ["not valid JSON: duplicate key `plan` at line 1 column 18"]);
      await tab.fill("#preferences", '{"default": {"channel_types": {"push": "yes"}}}');
      assert.deepEqual(await problemsOf(tab, "preferences"), [
        "default.channel_types.push: expected a boolean or an object with `conditions`, got a string",
      ]);
      await tab.fill("#channel_data", '{"not-a-uuid": {"tokens": ["t"]}}');
      assert.equal((await problemsOf(tab, "channel_data")).length, 1);
      assert.equal(await tab.textContent("#identify"), "Identify (3 problems)");
      assert.ok(await tab.isDisabled("#identify"));
      await tab.fill("#custom", '{"plan": "pro", "__typename": "User"}');
      const custom = await problemsOf(tab, "custom");
      assert.deepEqual(custom, ["__typename: `__typename` is read-only: the server sets it; remove it from the request"]);
      // A custom property named `__proto__` is sent as a property, not a prototype.
      await tab.fill("#custom", '{"__proto__": {"admin": true}}');
      await tab.fill("#preferences", "");
      await tab.fill("#channel_data", "");
      assert.equal(await tab.textContent("#identify"), "Identify");
      assert.match(await identify(tab), /^Identified “json-user”/);
      const shown = JSON.parse(await tab.textContent("#returned-user"));
      assert.deepEqual(Object.getOwnPropertyDescriptor(shown, "__proto__")?.value, { admin: true });
      assert.equal(await tab.getAttribute('#changes tr[data-field="__proto__"]', "data-change"), "added");
      assert.deepEqual(failures, []);
    } finally {
      await close();
    }
  });
});

describe("the users view", () => {
  /** Users of this block's own, among whatever the other tests identified. */
  const PAGED = Array.from({ length: 12 }, (_, i) => `view-user-${String(i).padStart(2, "0")}`);
  let session;
  before(async () => {
    for (const id of PAGED) assert.equal((await identifyElsewhere(worker.url, id, { name: `Name ${id}`, email: `${id}@example.com` })).status, 200);
    await waitUntil(async () => {
      const listed = await listedUsers(worker.url);
      return PAGED.every((id) => listed.includes(id));
    }, "the view's users to be listed");
    session = await openPage();
  });
  after(async () => {
    await session?.close();
  });

  /** The ids of the users the view shows, in order. */
  const shownIds = (tab) => tab.$$eval("#users-table tbody tr", (rows) => rows.map((row) => row.dataset.id));
  /** Every request the tab sends to the Worker while `action` runs: [method, path]. */
  async function requestsDuring(tab, action) {
    const sent = [];
    const onRequest = (request) => {
      if (request.url().startsWith(worker.url) && request.method() !== "OPTIONS") {
        sent.push([request.method(), new URL(request.url()).pathname]);
      }
    };
    tab.on("request", onRequest);
    try {
      await action();
      // Anything the action started has left by now.
      await tab.waitForTimeout(300);
    } finally {
      tab.off("request", onRequest);
    }
    return sent;
  }

  test("with the public key, the view says listing needs a secret key and lists nothing", async () => {
    const { tab } = session;
    assert.equal(await tab.inputValue("#api-key"), PUBLIC_KEY);
    assert.ok(await tab.isVisible("#users-key-note"));
    assert.match(await tab.textContent("#users-key-note"), /need a secret key \(sk_…\)/);
    assert.ok(await tab.isDisabled("#users-show"));
    await tab.fill("#api-key", DEV_KEY);
    assert.ok(await tab.isHidden("#users-key-note"));
    assert.ok(await tab.isEnabled("#users-show"));
  });

  test("Show users lists the first page; Next and Previous page through the users in the order of their ids", async () => {
    const { tab } = session;
    await tab.selectOption("#users-page-size", "5");
    const first = await listedPage(worker.url, { page_size: 5 });
    assert.match(await answerTo(tab, () => tab.click("#users-show")), /^Showing 5 users, /);
    assert.deepEqual(await shownIds(tab), first.entries.map((user) => user.id));
    assert.ok(await tab.isDisabled("#users-previous"), "no page before the first");
    assert.ok(await tab.isEnabled("#users-next"));
    const second = await listedPage(worker.url, { page_size: 5, after: first.page_info.after });
    await answerTo(tab, () => tab.click("#users-next"));
    assert.deepEqual(await shownIds(tab), second.entries.map((user) => user.id));
    assert.ok(await tab.isEnabled("#users-previous"));
    await answerTo(tab, () => tab.click("#users-previous"));
    assert.deepEqual(await shownIds(tab), first.entries.map((user) => user.id), "back to the first page");
    assert.ok(await tab.isDisabled("#users-previous"));
    // Next until the last page: every user seen once, in the order of their ids.
    const seen = [...(await shownIds(tab))];
    while (await tab.isEnabled("#users-next")) {
      await answerTo(tab, () => tab.click("#users-next"));
      seen.push(...(await shownIds(tab)));
    }
    const every = await listedUsers(worker.url);
    assert.ok(every.length > 10, "more than two pages");
    assert.deepEqual(seen, every);
    assert.ok(PAGED.every((id) => seen.includes(id)));
    assert.match(await tab.textContent("#users-note"), /\(the last page, by id\)/);
  });

  test("a click on a user's id loads that user into the form", async () => {
    const { tab } = session;
    // Another page size shows the first page again, with as many users.
    await answerTo(tab, () => tab.selectOption("#users-page-size", "50"));
    assert.ok((await shownIds(tab)).length > 10);
    const id = PAGED[3];
    const status = await answerTo(tab, () => tab.click(`#users-table tr[data-id="${id}"] button.load-user`));
    assert.match(status, new RegExp(`^Loaded “${id}” into the form`));
    assert.equal(await tab.inputValue("#user_id"), id);
    assert.equal(await tab.inputValue("#name"), `Name ${id}`);
    assert.equal(await tab.inputValue("#email"), `${id}@example.com`);
    assert.equal(await tab.textContent("#etag"), (await storedUser(worker.url, id)).etag);
  });

  test("Cancel, or Escape, in the confirmation of a merge or a delete sends nothing and changes nothing", async () => {
    const { tab } = session;
    const [primary, other] = [PAGED[0], PAGED[1]];
    const before = await shownIds(tab);
    const sent = await requestsDuring(tab, async () => {
      await tab.click(`#users-table tr[data-id="${primary}"] button.merge-user`);
      assert.ok(await tab.isVisible("#confirm"));
      assert.ok(await tab.isDisabled("#confirm-yes"), "nothing to merge until an id is typed");
      await tab.fill("#merge-from", other);
      assert.equal(await tab.textContent("#confirm-yes"), `Merge “${other}” into “${primary}”`);
      await tab.click("#confirm-no");
      assert.ok(await tab.isHidden("#confirm"));
      await tab.click(`#users-table tr[data-id="${other}"] button.delete-user`);
      assert.equal(await tab.textContent("#confirm-title"), `Delete “${other}”?`);
      assert.equal(await tab.evaluate(() => document.activeElement.id), "confirm-no", "Cancel has the focus");
      await tab.keyboard.press("Escape");
      assert.ok(await tab.isHidden("#confirm"));
    });
    assert.deepEqual(sent, [], "no request");
    assert.equal((await storedUser(worker.url, primary)).status, 200);
    assert.equal((await storedUser(worker.url, other)).status, 200);
    assert.deepEqual(await shownIds(tab), before);
  });

  test("merge, once confirmed: the other user merged in and deleted, the merged user in the form, the list read again", async () => {
    const { tab } = session;
    const [primary, other] = [PAGED[4], PAGED[5]];
    assert.equal((await identifyElsewhere(worker.url, other, { phone_number: "+14155552671", plan: "pro" })).status, 200);
    await tab.click(`#users-table tr[data-id="${primary}"] button.merge-user`);
    assert.equal(await tab.textContent("#confirm-title"), `Merge a user into “${primary}”`);
    await tab.fill("#merge-from", other);
    const sent = tab.waitForRequest((request) => request.method() === "POST" && request.url().startsWith(worker.url));
    const status = await answerTo(tab, () => tab.click("#confirm-yes"));
    assert.match(status, new RegExp(`^Merged “${other}” into “${primary}”, and deleted “${other}”\\.`));
    const request = await sent;
    assert.equal(new URL(request.url()).pathname, `/v1/users/${primary}/merge`);
    assert.deepEqual(JSON.parse(request.postData()), { from_user_id: other });
    assert.ok(await tab.isHidden("#confirm"));
    const stored = await storedUser(worker.url, primary);
    assert.equal(stored.body.name, `Name ${primary}`, "the primary's own value stays");
    assert.equal(stored.body.phone_number, "+14155552671", "what it lacked comes from the other");
    assert.equal(stored.body.plan, "pro");
    assert.equal((await storedUser(worker.url, other)).status, 404, "the other user is deleted");
    assert.deepEqual(JSON.parse(await tab.textContent("#returned-user")), stored.body);
    assert.equal(await tab.inputValue("#user_id"), primary);
    assert.equal(await tab.inputValue("#phone_number"), "+14155552671");
    assert.equal((await historyRows(tab))[0].route, "merge");
    const shown = await shownIds(tab);
    assert.ok(shown.includes(primary) && !shown.includes(other), "the list read again, without the user merged in");
    // A merge the package refuses (the same id twice) is said, and sends nothing.
    const refused = await requestsDuring(tab, async () => {
      await tab.click(`#users-table tr[data-id="${primary}"] button.merge-user`);
      await tab.fill("#merge-from", primary);
      const said = await answerTo(tab, () => tab.click("#confirm-yes"));
      assert.match(said, /^The package refused the request before sending it:from_user_id: expected another user's id/);
    });
    assert.deepEqual(refused, []);
  });

  test("delete, once confirmed: the user is deleted and the list read again without it", async () => {
    const { tab } = session;
    const id = PAGED[6];
    await tab.click(`#users-table tr[data-id="${id}"] button.delete-user`);
    assert.match(await tab.textContent("#confirm-text"), /This cannot be undone\./);
    const sent = tab.waitForRequest((request) => request.method() === "DELETE" && request.url().startsWith(worker.url));
    assert.equal(await answerTo(tab, () => tab.click("#confirm-yes")), `Deleted “${id}”.`);
    assert.equal(new URL((await sent).url()).pathname, `/v1/users/${id}`);
    assert.equal((await storedUser(worker.url, id)).status, 404);
    const shown = await shownIds(tab);
    assert.ok(!shown.includes(id), "the list read again, without it");
    assert.ok(shown.includes(PAGED[7]));
  });
});

describe("errors without an answer", () => {
  test("a Worker that cannot be reached is said in plain words, naming the page's origin", async () => {
    const { tab, close } = await openPage();
    try {
      await tab.fill("#base-url", `http://127.0.0.1:${await freePort()}`);
      await tab.fill("#user_id", "unreachable");
      const status = await identify(tab);
      assert.match(status, /^Could not reach http:\/\/127\.0\.0\.1:\d+\. Is the Worker running/);
      assert.ok(status.includes(page.origin), "names the origin the Worker must allow");
    } finally {
      await close();
    }
  });
});

describe("layout and keyboard", () => {
  test("at a phone's width (375 px) nothing scrolls sideways, also after a merge", async () => {
    const { tab, close } = await openPage({ width: 375, height: 800 });
    try {
      await tab.fill("#user_id", "phone-width-user");
      await tab.fill("#name", "A rather long name for a narrow screen");
      await tab.fill("#custom", '{"favourite_colours": ["teal", "orange"], "address": {"city": "Brussels"}}');
      await identify(tab);
      await tab.fill("#name", "Shorter");
      await identify(tab);
      const widths = await tab.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        table: document.querySelector(".table-scroll").scrollWidth,
        tableBox: document.querySelector(".table-scroll").clientWidth,
      }));
      assert.ok(widths.page <= 375, `page is ${widths.page} px wide`);
      assert.ok(widths.table <= widths.tableBox, `change table ${widths.table} px in ${widths.tableBox} px`);
    } finally {
      await close();
    }
  });

  test("every input has a label, and Identify is reached and pressed with the keyboard alone", async () => {
    const { tab, close } = await openPage();
    try {
      const unlabelled = await tab.$$eval("input, textarea", (fields) =>
        fields.filter((field) => field.labels.length === 0 || !field.labels[0].textContent.trim()).map((field) => field.id),
      );
      assert.deepEqual(unlabelled, []);
      await tab.focus("#user_id");
      await tab.keyboard.type("keyboard-user");
      let steps = 0;
      while ((await tab.evaluate(() => document.activeElement.id)) !== "identify") {
        await tab.keyboard.press("Tab");
        assert.ok(++steps < 40, "Identify is reachable with Tab");
      }
      const outline = await tab.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(outline, "none", "the focused button shows its focus");
      assert.match(await answerTo(tab, () => tab.keyboard.press("Enter")), /^Identified “keyboard-user”/);
      assert.equal(JSON.parse(await tab.textContent("#returned-user")).id, "keyboard-user");
    } finally {
      await close();
    }
  });
});

describe("refusals of the user token", () => {
  /** The Worker's own 401 for an identify with the public key and `headers`: its `{ code, message }`. */
  async function refusalOf(headers) {
    const answer = await fetch(`${worker.url}/v1/users/token-user`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${PUBLIC_KEY}`, "Content-Type": "application/json", ...headers },
      body: "{}",
    });
    assert.equal(answer.status, 401);
    return answer.json();
  }

  test("a token the Worker cannot read: the page says the server's code and message, not the API key", async () => {
    const { tab, close } = await openPage();
    try {
      // The stand-in backend hands out a token that is no JWT, each time it is asked.
      await tab.route(
        (url) => url.pathname === "/backend/user-token",
        (route) => route.fulfill({ json: { token: "not-a-jwt" } }),
      );
      const { code, message } = await refusalOf({ "X-Knock-User-Token": "not-a-jwt" });
      assert.equal(code, "invalid_user_token");
      await tab.fill("#user_id", "token-user");
      const status = await identify(tab);
      assert.ok(status.startsWith(`The server refused the request (401 invalid_user_token): ${message}.`), status);
      assert.doesNotMatch(status, /API key/);
      assert.match(status, /Request id: req_/);
    } finally {
      await close();
    }
  });

  test("a request that lost its token on the way: the page says the server's code and message", async () => {
    const { tab, close } = await openPage();
    try {
      await tab.route(
        (url) => url.href.startsWith(`${worker.url}/`),
        async (route) => {
          const request = route.request();
          if (request.method() !== "PUT") return route.continue();
          const headers = await request.allHeaders();
          delete headers["x-knock-user-token"];
          return route.continue({ headers });
        },
      );
      const { code, message } = await refusalOf({});
      assert.equal(code, "user_token_missing");
      await tab.fill("#user_id", "token-user");
      const status = await identify(tab);
      assert.ok(status.startsWith(`The server refused the request (401 user_token_missing): ${message}.`), status);
      assert.doesNotMatch(status, /API key/);
    } finally {
      await close();
    }
  });
});

// It spends one user's public-key limit (50 per 10 s, contract §6), the
// limit the page's requests count against.
describe("rate limit", () => {
  test("a 429 says how long to wait", { timeout: 120_000 }, async () => {
    const { tab, close } = await openPage();
    // The local limiter counts in fixed windows of the period
    // (floor(now / 10 s)); once a window's count reaches the limit, every
    // later request in that window is refused.
    const PERIOD_MS = 10_000;
    const windowOf = (time) => Math.floor(time / PERIOD_MS);
    let flooding = true;
    let limitedWindow = null;
    // The page's user, with the public key and a token for that user from
    // the page's stand-in backend, as the page sends. A body the core
    // refuses counts like any other (the limit is checked first) and is
    // answered without the user's object, so the flood spends a window quickly.
    const { token } = await (await fetch(new URL("/backend/user-token?user_id=limited-user", page.url))).json();
    const flood = async () => {
      while (flooding) {
        const sent = Date.now();
        const answer = await fetch(`${worker.url}/v1/users/limited-user`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${PUBLIC_KEY}`, "X-Knock-User-Token": token, "Content-Type": "application/json" },
          body: "[]",
        });
        await answer.arrayBuffer();
        if (answer.status === 429 && windowOf(sent) === windowOf(Date.now())) limitedWindow = windowOf(sent);
      }
    };
    const floods = Array.from({ length: 8 }, flood);
    try {
      await tab.fill("#user_id", "limited-user");
      const started = Date.now();
      for (;;) {
        assert.ok(Date.now() - started < 90_000, "no identify met a spent window");
        const now = Date.now();
        // Identify only inside a window the flood has spent, with time to
        // spare; the answer counts only if it came back in that window.
        if (limitedWindow !== windowOf(now) || now % PERIOD_MS > PERIOD_MS - 1_500) {
          await new Promise((done) => setTimeout(done, 20));
          continue;
        }
        const window = windowOf(now);
        const status = await identify(tab);
        if (windowOf(Date.now()) !== window) continue;
        assert.match(status, /^Too many requests \(429\): the server asks you to wait 10 seconds before trying again\./);
        break;
      }
    } finally {
      flooding = false;
      await Promise.allSettled(floods);
      await close();
    }
  });
});
