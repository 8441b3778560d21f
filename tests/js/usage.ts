// Type-checked with `tsc --noEmit -p tests/js` (scripts/test-js): the package
// as a TypeScript user sees it, through pkg/'s exports map. The
// `@ts-expect-error` lines fail the check if a declaration degrades to `any`.
import {
  validate,
  validateJson,
  merge,
  mergeJson,
  toUser,
  timeZones,
  IdentifyClient,
  ValidationError,
  ApiError,
  RateLimitError,
  TimeoutError,
  ConnectionError,
  AbortError,
  type Problem,
  type ProblemType,
  type User,
  type StoredUser,
  type IdentifyBody,
  type IdentifyClientOptions,
  type IdentifyClientPublicKeyOptions,
  type UserToken,
  type RequestOptions,
  type ChannelData,
  type PreferenceSet,
  type BulkOperation,
  type PreferenceSetRequest,
  type IdentifyOptions,
  type UserWriteOptions,
  type ConditionalWriteOptions,
  type ReadOptions,
  type ETagListener,
  type UserWithETag,
  type UserChange,
  type UserChangeRoute,
  type ChangesPage,
  type ChangesOptions,
  type ListedUser,
  type ListUsersOptions,
  type UsersPage,
  type MergeOptions,
  type BulkPreferenceSet,
} from "knock-identify";

const body: IdentifyBody = {
  name: "Jane",
  email: "jane@example.com",
  timezone: "America/New_York",
  preferences: { default: { channel_types: { email: true, sms: { conditions: [] } }, commercial_subscribed: false } },
  channel_data: { "97c5837d-c65c-4d54-aa39-080eeb81c69d": { tokens: ["t1"] } },
  plan: { tier: "pro" },
};

const problems: Problem[] = validate("user-1", body);
const kinds: ProblemType[] = problems.map((problem) => problem.type);
const fields: string[] = validateJson("user-1", '{"a": 1}').map((problem) => problem.field);
const stored: StoredUser = merge(null, "user-1", body, new Date());
const againJson: string = mergeJson(JSON.stringify(stored), "user-1", new TextEncoder().encode('{"name": "Jane Doe"}'), Date.now());
const again: StoredUser = JSON.parse(againJson);
const user: User = toUser(again);
const now: StoredUser = merge(again, "user-1", {});
const updatedAt: string = user.updated_at;
const name: string | null = user.name;
const zones: string[] = timeZones();

// @ts-expect-error a user id is a string
validate(42, body);
// @ts-expect-error `now` is a Date or a number
merge(null, "user-1", body, "yesterday");
// @ts-expect-error `email` is a string or null
const wrong: IdentifyBody = { email: 42 };
// @ts-expect-error a problem's type is one of the stable words
const badKind: ProblemType = "oops";
// @ts-expect-error a channel type's setting needs its conditions (the core answers 422)
const noConditions: IdentifyBody = { preferences: { default: { channel_types: { email: {} } } } };
// @ts-expect-error a preference set is an object, not null
const nullSet: IdentifyBody = { preferences: { default: null } };

const options: IdentifyClientOptions = { apiKey: "sk_test_local", baseUrl: "http://127.0.0.1:8787", maxRetries: 2, timeoutMs: 60_000 };
const client = new IdentifyClient(options);
// @ts-expect-error apiKey or publicKey is required
new IdentifyClient({ baseUrl: "https://api.knock.app" });

// In a browser: a public key and the signed-in user's token (a string, or a function returning a (promise of a) string).
const fetchToken: UserToken = async () => (await fetch("/api/knock-token")).text();
const browserOptions: IdentifyClientPublicKeyOptions = { publicKey: "pk_test_local", userToken: fetchToken, maxRetries: 1 };
const browserClient = new IdentifyClient(browserOptions);
new IdentifyClient({ publicKey: "pk_test_local", userToken: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" });
new IdentifyClient({ publicKey: "pk_test_local", userToken: () => "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" });
// @ts-expect-error not both keys
new IdentifyClient({ apiKey: "sk_test_local", publicKey: "pk_test_local", userToken: "t" });
// @ts-expect-error a public key needs a user token
new IdentifyClient({ publicKey: "pk_test_local" });
// @ts-expect-error a secret key takes no user token
new IdentifyClient({ apiKey: "sk_test_local", userToken: "t" });
// @ts-expect-error a token function returns a string (or a promise of one)
new IdentifyClient({ publicKey: "pk_test_local", userToken: () => 42 });
// @ts-expect-error a public key needs no browser opt-in
new IdentifyClient({ publicKey: "pk_test_local", userToken: "t", dangerouslyAllowBrowser: true });

async function callEveryMethod(signal: AbortSignal): Promise<void> {
  const callOptions: RequestOptions = { signal };
  const identified: User = await client.identify("user-1", body, callOptions);
  const fetched: User = await client.get("user-1");
  const deleted: void = await client.delete("user-1", { signal });
  try {
    await client.identify("user-1", { email: "nope" });
  } catch (error) {
    if (error instanceof ValidationError) {
      const status: 400 | 413 | 422 = error.status;
      const list: Problem[] = error.errors;
      console.log(status, list, error.code);
    } else if (error instanceof RateLimitError) {
      const wait: number | null = error.retryAfterMs;
      const status: 429 = error.status;
      console.log(wait, status);
    } else if (error instanceof ApiError) {
      const requestId: string | null = error.requestId;
      console.log(error.status, error.code, error.message, requestId, error.errors);
    } else if (error instanceof TimeoutError) {
      const base: ConnectionError = error;
      console.log(base.message);
    } else if (error instanceof ConnectionError) {
      console.log(error.cause);
    } else if (error instanceof AbortError) {
      console.log(error.name);
    }
  }
  const mine: User = await browserClient.identify("user-1", { name: "Jane" });

  // A user's channel data and preference sets.
  const channel = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
  const setData: ChannelData = await client.setChannelData("user-1", channel, { tokens: ["t1"] }, callOptions);
  const gotData: ChannelData = await client.getChannelData("user-1", channel);
  const channelId: string = gotData.channel_id;
  const typename: "ChannelData" = setData.__typename;
  const unset: void = await browserClient.unsetChannelData("user-1", channel, { signal });
  const request: PreferenceSetRequest = { __persistence_strategy__: "merge", channel_types: { email: false } };
  const written: PreferenceSet = await client.setPreferences("user-1", "default", request, { signal });
  const read: PreferenceSet = await client.getPreferences("user-1");
  const other: PreferenceSet = await client.getPreferences("user-1", "work", { signal });
  const bulk: BulkOperation = await client.bulkIdentify([{ id: "user-1", name: "Jane" }], { signal });
  const progress: string = bulk.progress_path;
  const setId: string = read.id;
  const email: ChannelSetting | undefined = written.channel_types?.email;
  console.log(channelId, typename, unset, other.workflows, setId, email);
  // @ts-expect-error channel data is an object of JSON values
  await client.setChannelData("user-1", channel, "t1");
  // @ts-expect-error a set id is a string
  await client.getPreferences("user-1", 1);
  // @ts-expect-error a channel type's setting is a boolean or conditions
  await client.setPreferences("user-1", "default", { channel_types: { email: "yes" } });
  // @ts-expect-error the answer's categories may be null
  const categories: { [key: string]: unknown } = read.categories;
  console.log(identified.id, fetched.__typename, deleted, client.baseUrl, mine.id);
}

// Contract §9: idempotency keys, ETags and conditions, push tokens, the change history.
async function writeSafely(userId: string): Promise<void> {
  const tagged: UserWithETag = await client.getWithETag(userId);
  if (tagged.notModified) {
    const none: null = tagged.user;
    console.log(none);
  } else {
    const loaded: User = tagged.user;
    console.log(loaded.id);
  }
  const etag: string | null = tagged.etag;
  let next: string | null = null;
  const listener: ETagListener = (value) => (next = value);
  const options: IdentifyOptions = { ifMatch: etag ?? "*", idempotencyKey: "order-42", onETag: listener };
  const identified: User = await client.identify(userId, { name: "Jane" }, options);
  await client.identify(userId, { name: "Jane" }, { ifNoneMatch: "*" });
  const unchanged: User | null = await client.get(userId, { ifNoneMatch: next ?? "*" });
  const plain: User = await client.get(userId, { onETag: listener });
  const readOptions: ReadOptions = { ifNoneMatch: etag ?? undefined };
  const maybe: User | null = await client.get(userId, readOptions);
  const channel = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
  const writeOptions: UserWriteOptions = { ifMatch: '"a.1"', onETag: listener };
  const added: ChannelData = await client.addPushToken(userId, channel, "device-token", writeOptions);
  const removeOptions: ConditionalWriteOptions = { ifMatch: "*", idempotencyKey: "k" };
  const removed: void = await client.removePushToken(userId, channel, "device-token", removeOptions);
  const data: ChannelData | null = await client.getChannelData(userId, channel, { ifNoneMatch: '"a.1"' });
  const set: PreferenceSet | null = await client.getPreferences(userId, undefined, { ifNoneMatch: '"a.1"' });
  const plainSet: PreferenceSet = await client.getPreferences(userId, "default", { onETag: listener });
  await client.bulkIdentify([{ id: userId }], { idempotencyKey: "bulk-1" });
  const pageOptions: ChangesOptions = { pageSize: 20 };
  const page: ChangesPage = await client.changes(userId, pageOptions);
  const after: string | null = page.page_info.after;
  await client.changes(userId, { pageSize: 20, after });
  for await (const change of client.allChanges(userId, { pageSize: 50 })) {
    const entry: UserChange = change;
    const route: UserChangeRoute = entry.route;
    const names: string[] = entry.changed;
    console.log(route, names, entry.etag, entry.at);
  }
  try {
    await client.delete(userId, { ifMatch: '"stale.1"' });
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) {
      const current: string | null = error.etag;
      console.log(current);
    }
  }
  // @ts-expect-error a conditional read may resolve to null
  const notNull: User = await client.get(userId, { ifNoneMatch: '"a.1"' });
  // @ts-expect-error bulk identify takes no condition
  await client.bulkIdentify([{ id: userId }], { ifMatch: "*" });
  // @ts-expect-error a read sends no idempotency key
  await client.get(userId, { idempotencyKey: "k" });
  // @ts-expect-error a page size is a number
  await client.changes(userId, { pageSize: "20" });
  // @ts-expect-error a 204 write has no ETag to hear
  await client.delete(userId, { onETag: listener });
  // @ts-expect-error an entry's route is one of the write routes
  const badRoute: UserChangeRoute = "get";
  console.log(identified, unchanged, plain, maybe, added, removed, data, set, plainSet, notNull, badRoute);
}

// Contract §5a, §5c, §10, §11: every set of a user, the users list, merging users, bulk delete and preferences.
async function manageUsers(signal: AbortSignal): Promise<void> {
  const sets: PreferenceSet[] = await client.listPreferences("user-1", { signal });
  const unchanged: PreferenceSet[] | null = await client.listPreferences("user-1", { ifNoneMatch: '"a.1"' });
  const listOptions: ListUsersOptions = { pageSize: 20, include: ["preferences"], signal };
  const page: UsersPage = await client.listUsers(listOptions);
  const first: ListedUser = page.entries[0];
  const firstSets: PreferenceSet[] | undefined = first.preferences;
  const next: string | null = page.page_info.after;
  const previous: string | null = page.page_info.before;
  await client.listUsers({ after: next, pageSize: 20 });
  await client.listUsers({ before: previous });
  await client.listUsers({ email: "jane@example.com" });
  await client.listUsers();
  for await (const user of client.allUsers({ pageSize: 50 })) {
    const listed: ListedUser = user;
    const id: string = listed.id;
    console.log(id, listed.email);
  }
  const mergeOptions: MergeOptions = { idempotencyKey: "merge-anon-7", onETag: (etag) => console.log(etag) };
  const merged: User = await client.merge("user-1", "anon-7", mergeOptions);
  const deleting: BulkOperation = await client.bulkDelete(["anon-1", "anon-2"], { idempotencyKey: "cleanup-1", signal });
  const set: BulkPreferenceSet = { id: "default", channel_types: { sms: false }, workflows: { digest: true } };
  const setting: BulkOperation = await client.bulkSetPreferences(["user-1", "user-2"], set);
  await client.bulkSetPreferences(["user-1"], { channel_types: { email: true }, __persistence_strategy__: "replace" });
  // @ts-expect-error the list's include takes `preferences` only
  await client.listUsers({ include: ["channel_data"] });
  // @ts-expect-error a page size is a number
  await client.listUsers({ pageSize: "20" });
  // @ts-expect-error the list takes no idempotency key: it is a read
  await client.listUsers({ idempotencyKey: "k" });
  // @ts-expect-error a merge takes no condition (contract §11)
  await client.merge("user-1", "anon-7", { ifMatch: "*" });
  // @ts-expect-error the id merged from is a string
  await client.merge("user-1", 7);
  // @ts-expect-error bulk delete takes ids, not users
  await client.bulkDelete([{ id: "user-1" }]);
  // @ts-expect-error a bulk set never merges
  await client.bulkSetPreferences(["user-1"], { __persistence_strategy__: "merge" });
  // @ts-expect-error a listed user's sets may be absent
  const always: PreferenceSet[] = first.preferences;
  console.log(sets, unchanged, firstSets, merged, deleting, setting, always);
}

type ChannelSetting = boolean | { conditions: { variable: string; operator: string; argument: string | null }[] };

console.log(now, kinds, fields, updatedAt, name, zones, wrong, badKind, callEveryMethod, writeSafely, manageUsers);
