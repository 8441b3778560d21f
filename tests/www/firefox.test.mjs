// The page (www/) in Debian's headless Firefox ESR, driven by puppeteer-core
// over WebDriver BiDi, against the real Worker under `wrangler dev` and the
// real package (pkg/): the flows a person relies on, so the page is tested
// in a second engine (page.test.mjs covers every flow in Chromium), the
// users view and its confirmation dialog among them. The tests of each
// block run in order on one tab, each from where the previous left off.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import {
  DEV_KEY, PUBLIC_KEY, ROOT, identifyElsewhere, launchFirefox, listedPage, listedUsers, startPage, startWorker, storedUser,
  waitUntil,
} from "./servers.mjs";

/** The browser's own zone, set on Firefox's process, so preselection is checked, not assumed. */
const BROWSER_ZONE = "Asia/Tokyo";
const USER_ID = "firefox-user";

let page;
let worker;
let browser;
let pkg;

before(async () => {
  page = await startPage();
  worker = await startWorker({ origin: page.origin });
  browser = await launchFirefox({ zone: BROWSER_ZONE });
  pkg = await import(pathToFileURL(join(ROOT, "pkg", "index.node.js")));
}, { timeout: 360_000 });

after(async () => {
  await browser?.close();
  await worker?.stop();
  await page?.stop();
});

/** A fresh tab on the page, pointed at the test's Worker, once the package is loaded. */
async function openPage() {
  const tab = await browser.newPage();
  const failures = [];
  tab.on("pageerror", (error) => failures.push(error.message));
  await tab.setViewport({ width: 1280, height: 900 });
  await tab.goto(page.url);
  await tab.waitForSelector("html[data-ready]", { timeout: 20_000 });
  await fill(tab, "#base-url", worker.url);
  return { tab, failures };
}

/** Replaces a field's text by typing it, key by key, as a person would. */
async function fill(tab, selector, text) {
  await tab.$eval(selector, (field) => field.select());
  await tab.keyboard.press("Backspace");
  await tab.type(selector, text);
}

const text = (tab, selector) => tab.$eval(selector, (node) => node.textContent);
const attribute = (tab, selector, name) => tab.$eval(selector, (node, name) => node.getAttribute(name), name);

/** The visible problems listed under one field. */
function problemsOf(tab, field) {
  return tab.$$eval(`#${field}-problems:not([hidden]) li`, (items) => items.map((item) => item.textContent));
}

/** The rows of the change table: field → change. */
function changes(tab) {
  return tab.$$eval("#changes tbody tr", (rows) => Object.fromEntries(rows.map((row) => [row.dataset.field, row.dataset.change])));
}

/** Runs `action` (a click) and waits until the call it starts has its answer shown; gives back the status line. */
async function answerTo(tab, action) {
  const calls = Number((await attribute(tab, "#result", "data-calls")) ?? 0);
  await action();
  await tab.waitForFunction(
    (before) => Number(document.getElementById("result").dataset.calls ?? 0) > before,
    { timeout: 30_000 },
    calls,
  );
  return text(tab, "#status");
}

/** Clicks Identify and waits until the page shows the answer; gives back the status line. */
function identify(tab) {
  return answerTo(tab, () => tab.click("#identify"));
}

describe("one person's session in Firefox", () => {
  let session;
  before(async () => {
    session = await openPage();
  });
  after(async () => {
    await session?.tab.close();
  });

  test("a phone number not in E.164 shows the package's message as it is typed, and Identify counts it", async () => {
    const { tab } = session;
    assert.equal(await tab.$eval("#timezone", (field) => field.value), BROWSER_ZONE);
    assert.equal(await tab.$eval("#api-key", (field) => field.value), PUBLIC_KEY);
    await fill(tab, "#user_id", USER_ID);
    await fill(tab, "#phone_number", "+1 (415) 555-2671");
    const expected = pkg.validate(USER_ID, { phone_number: "+1 (415) 555-2671" }).map((problem) => problem.message);
    assert.equal(expected.length, 1);
    assert.match(expected[0], /\+14155552671/);
    assert.deepEqual(await problemsOf(tab, "phone_number"), expected);
    assert.equal(await attribute(tab, "#phone_number", "aria-invalid"), "true");
    assert.equal(await text(tab, "#identify"), "Identify (1 problem)");
    assert.ok(await tab.$eval("#identify", (button) => button.disabled));
    // Fixed as typed: the message goes and Identify is enabled.
    await fill(tab, "#phone_number", "+14155552671");
    assert.deepEqual(await problemsOf(tab, "phone_number"), []);
    assert.equal(await attribute(tab, "#phone_number", "aria-invalid"), null);
    assert.equal(await text(tab, "#identify"), "Identify");
    assert.ok(!(await tab.$eval("#identify", (button) => button.disabled)));
  });

  test("identify a new user: the page shows the user the Worker stored, every field set marked added", async () => {
    const { tab } = session;
    await fill(tab, "#name", "Jane Doe");
    await fill(tab, "#email", "jane@example.com");
    await fill(tab, "#custom", '{"plan": {"tier": "pro", "seats": 3}}');
    assert.match(await identify(tab), /Identified “firefox-user”/);
    const shown = JSON.parse(await text(tab, "#returned-user"));
    const stored = await storedUser(worker.url, USER_ID);
    assert.equal(stored.status, 200);
    assert.deepEqual(shown, stored.body, "the page shows exactly what the Worker stored");
    assert.deepEqual(
      { ...stored.body, updated_at: "…" },
      {
        __typename: "User", id: USER_ID, avatar: null, created_at: null, email: "jane@example.com",
        locale: null, name: "Jane Doe", phone_number: "+14155552671", timezone: BROWSER_ZONE,
        updated_at: "…", plan: { tier: "pro", seats: 3 },
      },
    );
    assert.deepEqual(await changes(tab), {
      name: "added", email: "added", phone_number: "added", timezone: "added", locale: "unchanged",
      avatar: "unchanged", created_at: "unchanged", plan: "added",
    });
  });

  test("change one field and identify again: only that field is marked changed, and the Worker has it", async () => {
    const { tab } = session;
    await fill(tab, "#name", "Jane Q. Doe");
    assert.match(await identify(tab), /Identified “firefox-user”/);
    const changed = Object.entries(await changes(tab)).filter(([, change]) => change !== "unchanged");
    assert.deepEqual(changed, [["name", "changed"]]);
    const stored = await storedUser(worker.url, USER_ID);
    assert.equal(stored.body.name, "Jane Q. Doe");
    assert.deepEqual(stored.body.plan, { tier: "pro", seats: 3 }, "the custom property kept by the merge");
  });

  test("no uncaught error in the page, and an uncaught error would have been seen", { timeout: 30_000 }, async () => {
    assert.deepEqual(session.failures, [], "no uncaught error in the page");
    // The listener is not silent in this browser: a probe tab's uncaught error reaches it.
    const probe = await browser.newPage();
    try {
      const seen = new Promise((done) => probe.once("pageerror", done));
      await probe.goto(page.url);
      await probe.evaluate(() => {
        setTimeout(() => {
          throw new Error("firefox-probe");
        });
      });
      assert.match((await seen).message, /firefox-probe/);
    } finally {
      await probe.close();
    }
  });
});

describe("the users view in Firefox", () => {
  const IDS = Array.from({ length: 7 }, (_, i) => `firefox-list-${i}`);
  let session;
  before(async () => {
    for (const id of IDS) assert.equal((await identifyElsewhere(worker.url, id, { name: `Name ${id}` })).status, 200);
    await waitUntil(async () => {
      const listed = await listedUsers(worker.url);
      return IDS.every((id) => listed.includes(id));
    }, "the users to be listed");
    session = await openPage();
  });
  after(async () => {
    await session?.tab.close();
  });

  const shownIds = (tab) => tab.$$eval("#users-table tbody tr", (rows) => rows.map((row) => row.dataset.id));
  const visible = (tab, selector) => tab.$eval(selector, (node) => node.checkVisibility());

  test("pages of users with a secret key, a click loading one, a delete cancelled then confirmed", { timeout: 90_000 }, async () => {
    const { tab } = session;
    assert.ok(await visible(tab, "#users-key-note"), "the public key's note");
    await fill(tab, "#api-key", DEV_KEY);
    assert.ok(!(await visible(tab, "#users-key-note")));
    await tab.select("#users-page-size", "5");
    const first = await listedPage(worker.url, { page_size: 5 });
    await answerTo(tab, () => tab.click("#users-show"));
    assert.deepEqual(await shownIds(tab), first.entries.map((user) => user.id));
    const second = await listedPage(worker.url, { page_size: 5, after: first.page_info.after });
    await answerTo(tab, () => tab.click("#users-next"));
    assert.deepEqual(await shownIds(tab), second.entries.map((user) => user.id));
    await answerTo(tab, () => tab.click("#users-previous"));
    assert.deepEqual(await shownIds(tab), first.entries.map((user) => user.id));
    // All on one page, then a click loads a user into the form.
    await answerTo(tab, () => tab.select("#users-page-size", "50"));
    const id = IDS[2];
    assert.match(await answerTo(tab, () => tab.click(`#users-table tr[data-id="${id}"] button.load-user`)), new RegExp(`^Loaded “${id}”`));
    assert.equal(await tab.$eval("#name", (field) => field.value), `Name ${id}`);
    // A delete: cancelled (nothing happens), then confirmed.
    const doomed = IDS[3];
    await tab.click(`#users-table tr[data-id="${doomed}"] button.delete-user`);
    assert.ok(await tab.$eval("#confirm", (dialog) => dialog.open));
    await tab.click("#confirm-no");
    assert.ok(!(await tab.$eval("#confirm", (dialog) => dialog.open)));
    assert.equal((await storedUser(worker.url, doomed)).status, 200, "cancelled: still there");
    await tab.click(`#users-table tr[data-id="${doomed}"] button.delete-user`);
    assert.equal(await answerTo(tab, () => tab.click("#confirm-yes")), `Deleted “${doomed}”.`);
    assert.equal((await storedUser(worker.url, doomed)).status, 404);
    assert.ok(!(await shownIds(tab)).includes(doomed), "the list read again, without it");
    assert.deepEqual(session.failures, [], "no uncaught error in the page");
  });
});
