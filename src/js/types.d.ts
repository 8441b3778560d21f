/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The stable machine word of a problem (contract §2). */
export type ProblemType =
  | "format" | "type" | "too_long" | "too_large" | "too_deep" | "read_only" | "mismatch" | "unknown_value"
  | "too_many_problems";

/** One problem with a request: a dotted path (`""` for the whole body), what was expected, its type. */
export interface Problem {
  field: string;
  message: string;
  type: ProblemType;
}

/** A standard field of a user (contract §2); `standardFields()` lists them. */
export type StandardField = "avatar" | "created_at" | "email" | "locale" | "name" | "phone_number" | "timezone";

/** A channel type of a preference set. */
export type ChannelType = "chat" | "email" | "http" | "in_app_feed" | "push" | "sms";

/** A condition of a preference setting (contract §2): all three keys required, `operator` one of Knock's 24. */
export type Condition = { variable: string; operator: string; argument: string | null };

/** A channel type's or channel's setting: on/off, or on under conditions. */
export type ChannelSetting = boolean | { conditions: Condition[] };

/** A workflow's or category's setting. */
export type WorkflowSetting =
  | boolean
  | {
      channel_types?: { [type in ChannelType]?: ChannelSetting } | null;
      channels?: { [channelId: string]: ChannelSetting } | null;
      conditions?: Condition[] | null;
    };

/** A preference set as it is written (contract §2): in `IdentifyBody.preferences`, and `setPreferences`' argument. */
export type PreferenceSetRequest = {
  workflows?: { [key: string]: WorkflowSetting } | null;
  categories?: { [key: string]: WorkflowSetting } | null;
  channel_types?: { [type in ChannelType]?: ChannelSetting } | null;
  channels?: { [channelId: string]: ChannelSetting } | null;
  commercial_subscribed?: boolean | null;
  __persistence_strategy__?: "merge" | "replace";
};

/** The body of an identify request (contract §2): every field optional, `null` allowed; other keys are custom properties. */
export type IdentifyBody = {
  avatar?: string | null;
  created_at?: string | null;
  email?: string | null;
  locale?: string | null;
  name?: string | null;
  phone_number?: string | null;
  timezone?: string | null;
  channel_data?: { [channelId: string]: { [key: string]: JsonValue } | null } | null;
  preferences?: { [setId: string]: PreferenceSetRequest } | null;
  id?: string | null;
  [property: string]: unknown;
};

/** A user as the API returns it (contract §4): standard fields (`null` when unset) and custom properties at the top level. */
export type User = {
  __typename: "User";
  id: string;
  avatar: string | null;
  created_at: string | null;
  email: string | null;
  locale: string | null;
  name: string | null;
  phone_number: string | null;
  timezone: string | null;
  /** RFC 3339, UTC, milliseconds: `2024-05-01T12:00:00.000Z`. */
  updated_at: string;
  [property: string]: JsonValue;
};

/** One channel's data of a user, as the API answers it (`getChannelData`, `setChannelData`). */
export type ChannelData = {
  __typename: "ChannelData";
  /** The channel's id, a UUID. */
  channel_id: string;
  /** The channel's data, e.g. `{ tokens: [...] }` for a push channel. */
  data: { [key: string]: JsonValue };
};

/**
 * One preference set of a user, as the API answers it (`getPreferences`, `setPreferences`):
 * `categories`, `channel_types` and `workflows` always (`null` when unset), then the set's other keys.
 */
export type PreferenceSet = {
  __typename: "PreferenceSet";
  /** The set's id, e.g. `"default"`. */
  id: string;
  categories: { [key: string]: WorkflowSetting } | null;
  channel_types: { [type in ChannelType]?: ChannelSetting } | null;
  workflows: { [key: string]: WorkflowSetting } | null;
  channels?: { [channelId: string]: ChannelSetting } | null;
  commercial_subscribed?: boolean | null;
};

/**
 * What storage keeps for one user (contract §7); `merge` returns it and takes it back.
 * A record `merge` returns is frozen, all the way down: it changes only through
 * `merge`, which reads it back from its exact JSON text (numbers keep every digit).
 */
export interface StoredUser {
  readonly user: User;
  readonly preferences: { readonly [setId: string]: { readonly [key: string]: JsonValue } };
  readonly channel_data: { readonly [channelId: string]: { readonly [key: string]: JsonValue } };
}

/** The user of a stored record, in the response shape (contract §4): `stored.user`, checked. */
export function toUser(stored: StoredUser): User;

/**
 * Identify without a server (contract §3): merges `body` into `stored` (`null` for a new user)
 * at time `now` (a `Date` or epoch milliseconds; default: the clock) and returns the new
 * stored record, frozen. Throws `ValidationError` when the request is refused or the
 * merged user would pass a limit, `TypeError` for values that are not JSON or a `stored`
 * that is not a record.
 */
export function merge(stored: StoredUser | null, userId: string, body: IdentifyBody, now?: Date | number): StoredUser;

/**
 * `merge` with JSON text in and out: the stored record as JSON text (or `null`), the body
 * as JSON text (a string or UTF-8 bytes); returns the new record as JSON text.
 */
export function mergeJson(storedJson: string | null, userId: string, json: string | Uint8Array, now?: Date | number): string;

/** The options of `new IdentifyClient(...)` that both forms share. */
export interface IdentifyClientCommonOptions {
  /** Default `https://api.knock.app`; requests go to `{baseUrl}/v1/users/{userId}`. */
  baseUrl?: string;
  /** Retries after the first attempt, for connection errors, timeouts, 408, 409, 429 and 5xx. Default 2. */
  maxRetries?: number;
  /** Time limit of each attempt, in milliseconds. Default 60000. */
  timeoutMs?: number;
}

/** On a server: a secret key (`sk_…`). */
export interface IdentifyClientSecretKeyOptions extends IdentifyClientCommonOptions {
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Only with `apiKey`: a secret key needs no user token. */
  publicKey?: never;
  /** Only with `publicKey`. */
  userToken?: never;
  /**
   * Allow a secret key (`sk_…`) in a browser, sent to an origin other than
   * `localhost`/`127.0.0.1`. Anyone who loads the page can read the key: don't;
   * use `publicKey` and `userToken` instead.
   */
  dangerouslyAllowBrowser?: boolean;
}

/**
 * The signed-in user's token (an RS256 JWT signed by your backend, e.g. with
 * `signUserToken` of `@knocklabs/node`), or a function that fetches one. A
 * function is called before the first request of every call, and called
 * again, once, when the server refuses its token (`401 invalid_user_token`);
 * cache in it what you may reuse. What it throws or rejects with rejects the
 * call as it is; anything but a non-empty printable ASCII string rejects it
 * with a `TypeError`. A string token is sent as is, and a refusal of it is final.
 */
export type UserToken = string | (() => string | PromiseLike<string>);

/**
 * In a browser: enhanced security mode (contract §6a). The public key (`pk_…`)
 * may be public; the user token lets it act for that one user only.
 */
export interface IdentifyClientPublicKeyOptions extends IdentifyClientCommonOptions {
  /** Sent as `Authorization: Bearer <publicKey>`. Never a secret key (`sk_…`: a `TypeError`). */
  publicKey: string;
  /** Sent as `X-Knock-User-Token` with every request. */
  userToken: UserToken;
  /** Only with `userToken`: pass one key, not both. */
  apiKey?: never;
  /** Not needed: a public key is meant for browsers. */
  dangerouslyAllowBrowser?: never;
}

/** One user of a bulk identify: an identify body with the user's `id`. */
export type BulkIdentifyUser = IdentifyBody & { id: string };

/**
 * The set of a bulk preferences (contract §5c): `id` names it (`"default"` when absent or
 * `null`), the rest is the set, which replaces each user's set of that id whole.
 */
export type BulkPreferenceSet = Omit<PreferenceSetRequest, "__persistence_strategy__"> & {
  id?: string | null;
  /** A bulk set always replaces: `"replace"` is the only value allowed. */
  __persistence_strategy__?: "replace";
};

/** A bulk operation as the server reports it (contract §5b, §5c): bulk identify, delete or preferences. */
export type BulkOperation = {
  __typename: "BulkOperation";
  id: string;
  /** `users.identify`, `users.delete` or `users.set_preferences`. */
  name: string;
  status: "queued" | "processing" | "completed" | "failed";
  estimated_total_rows: number;
  processed_rows: number;
  success_count: number;
  error_count: number;
  /**
   * The users not applied, each with what its own request would have
   * answered: `invalid_params` and its problems when refused (its merged
   * user would pass a limit), `internal_error` when every delivery failed.
   */
  error_items: { id: string; code: string; message: string; errors: Problem[] }[];
  /** `/v1/bulk_operations/{id}`: `GET` it for the operation's progress. */
  progress_path: string;
  inserted_at: string;
  started_at: string | null;
  completed_at: string | null;
  failed_at: string | null;
  updated_at: string;
};

/** Options of `new IdentifyClient(...)`: a secret key, or a public key and a user token. */
export type IdentifyClientOptions = IdentifyClientSecretKeyOptions | IdentifyClientPublicKeyOptions;

/** Options of one call. */
export interface RequestOptions {
  /** Aborts the call, including a wait between retries: the promise rejects with `AbortError`. */
  signal?: AbortSignal;
}

/**
 * Hears the answer's `ETag` (contract §9a: the user's version, `"<epoch>.<version>"`), or
 * `null` when the answer has none, before the call resolves. What it throws rejects the call.
 */
export type ETagListener = (etag: string | null) => void;

/** Options of `getWithETag`. */
export interface ConditionalReadOptions extends RequestOptions {
  /**
   * Sent as `If-None-Match`. When it names the user's current ETag, the server answers
   * `304 Not Modified`: the read resolves to `null` (`getWithETag`: `notModified: true`).
   */
  ifNoneMatch?: string;
}

/** Options of a read of one user: the user, a channel's data, a preference set. */
export interface ReadOptions extends ConditionalReadOptions {
  onETag?: ETagListener;
}

/** Options of every write (contract §9b). */
export interface WriteOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key`: 1 to 255 printable ASCII characters, not beginning or ending
   * with a space (else a `ValidationError` at `Idempotency-Key`, nothing sent). By default
   * each call sends a fresh random UUID. Every retry of the call sends the same key, so a
   * write whose answer was lost is applied once; the same key with another request is a
   * 422 `idempotency_key_reused`.
   */
  idempotencyKey?: string;
}

/** Options of a write of one user answered with `204` (`delete`, `unsetChannelData`, `removePushToken`). */
export interface ConditionalWriteOptions extends WriteOptions {
  /**
   * Sent as `If-Match`: an ETag (as `getWithETag` or `onETag` gave it), a list of them, or
   * `*` (the user must exist). The write happens only if it names the user's current ETag;
   * else it rejects with an `ApiError` 412 `precondition_failed` whose `etag` is the current one.
   */
  ifMatch?: string;
}

/** Options of a write of one user answered with what it wrote (`setChannelData`, `setPreferences`, `addPushToken`). */
export interface UserWriteOptions extends ConditionalWriteOptions {
  /** Hears the user's new ETag. */
  onETag?: ETagListener;
}

/** Options of `identify`. */
export interface IdentifyOptions extends UserWriteOptions {
  /** Sent as `If-None-Match`; `"*"` creates only: a 412 when the user exists. */
  ifNoneMatch?: string;
}

/** A user with its ETag (`getWithETag`); `user` is `null` for a 304 (`ifNoneMatch` named the current ETag). */
export type UserWithETag =
  | { user: User; etag: string | null; notModified: false }
  | { user: null; etag: string | null; notModified: true };

/** The route of a write in a user's change history. */
export type UserChangeRoute =
  | "identify" | "set_channel_data" | "unset_channel_data" | "set_preferences" | "add_push_token"
  | "remove_push_token" | "bulk_identify" | "bulk_set_preferences" | "merge";

/** One write that changed a user (contract §9d): what it changed, by name, never a value. */
export type UserChange = {
  __typename: "UserChange";
  /** The user's ETag after the write. */
  etag: string;
  /** The user's `updated_at` after the write. */
  at: string;
  request_id: string;
  route: UserChangeRoute;
  /**
   * The standard fields, `custom.<key>`, `preferences.<set id>` and `channel_data.<channel id>`
   * the write changed.
   */
  changed: string[];
};

/** One page of a user's change history, newest first; `page_info.after` is `null` on the last page. */
export type ChangesPage = {
  entries: UserChange[];
  page_info: { __typename: "PageInfo"; after: string | null; before: null; page_size: number };
};

/** Options of `changes` and `allChanges`. */
export interface ChangesOptions extends RequestOptions {
  /** Entries per page: a whole number from 1 to 50 (default 50), checked locally. */
  pageSize?: number;
  /** Where the page starts: a page's `page_info.after`. */
  after?: string | null;
}

/** Options of `merge`: a write (its `idempotencyKey`) answered with the merged user (its ETag). */
export interface MergeOptions extends WriteOptions {
  /** Hears the merged user's new ETag. */
  onETag?: ETagListener;
}

/** A user of the users list: the user as `get` answers it, with its preference sets when asked. */
export type ListedUser = User & {
  /** With `include: ["preferences"]` only: every preference set of the user, in the order it keeps them. */
  preferences?: PreferenceSet[];
};

/**
 * One page of the environment's users, in the order of their ids (contract §10). `page_info.after`
 * is `null` on the last page, `page_info.before` on the first.
 */
export type UsersPage = {
  entries: ListedUser[];
  page_info: { __typename: "PageInfo"; after: string | null; before: string | null; page_size: number };
};

/** Options of `listUsers` and `allUsers`, checked locally as the server checks the query (contract §10). */
export interface ListUsersOptions extends RequestOptions {
  /** Users per page: a whole number from 1 to 50 (default 50). */
  pageSize?: number;
  /** The page holds the users after this place: a page's `page_info.after`. */
  after?: string | null;
  /** The page holds the users just before this place: a page's `page_info.before` (with `after`, `after` wins). */
  before?: string | null;
  /** `["preferences"]`: each user with its preference sets. */
  include?: "preferences"[];
  /** Only the users whose `email` is exactly this (case and all); not empty. */
  email?: string;
}

/**
 * A client of the users API: `PUT`/`GET`/`DELETE {baseUrl}/v1/users/{userId}`, a user's
 * `/channel_data/{channelId}` (and its `/tokens/{token}`), `/preferences` and `/preferences/{setId}`,
 * `/changes` and `/merge` (ids percent-encoded), `GET {baseUrl}/v1/users`, and `POST
 * {baseUrl}/v1/users/bulk/identify`, `/bulk/delete` and `/bulk/preferences`, with
 * `Authorization: Bearer <apiKey>` (or `<publicKey>` and `X-Knock-User-Token`), retries
 * (every write with one `Idempotency-Key`), conditions on ETags and typed errors.
 */
export class IdentifyClient {
  /**
   * Throws a `TypeError`/`RangeError` for bad options (both keys or neither, `userToken`
   * missing with `publicKey` or given with `apiKey`, a key or token string that is not
   * printable ASCII), and an `Error` for a secret key in a browser without opt-in.
   */
  constructor(options: IdentifyClientOptions);
  /**
   * Validates `body` locally (rejects with `ValidationError`, nothing sent), then `PUT`s it;
   * resolves to the user the server answers.
   */
  identify(userId: string, body: IdentifyBody, options?: IdentifyOptions): Promise<User>;
  /**
   * The user; rejects with `ApiError` status 404 when there is none. With `ifNoneMatch`,
   * `null` when it names the user's current ETag (304).
   */
  get(userId: string, options: ReadOptions & { ifNoneMatch: string }): Promise<User | null>;
  get(userId: string, options?: ReadOptions & { ifNoneMatch?: undefined }): Promise<User>;
  get(userId: string, options?: ReadOptions): Promise<User | null>;
  /**
   * The user and its ETag; `{ user: null, etag, notModified: true }` when `ifNoneMatch` names
   * the current ETag. Rejects with `ApiError` status 404 when there is no such user.
   */
  getWithETag(userId: string, options?: ConditionalReadOptions): Promise<UserWithETag>;
  /** Deletes the user; resolves also when there was none. */
  delete(userId: string, options?: ConditionalWriteOptions): Promise<void>;
  /**
   * The user's data of one channel (`channelId`, a UUID); rejects with `ApiError` status 404 when
   * there is none (or no such user). Bad ids reject with `ValidationError` (fields `user_id`,
   * `channel_id`), nothing sent. With `ifNoneMatch`, `null` when it names the user's current ETag.
   */
  getChannelData(userId: string, channelId: string, options: ReadOptions & { ifNoneMatch: string }): Promise<ChannelData | null>;
  getChannelData(userId: string, channelId: string, options?: ReadOptions & { ifNoneMatch?: undefined }): Promise<ChannelData>;
  getChannelData(userId: string, channelId: string, options?: ReadOptions): Promise<ChannelData | null>;
  /**
   * Validates `{ data }` locally as the server does (rejects with `ValidationError`, problems at
   * `data.…`, `channel_id`; nothing sent), then `PUT`s it: the channel's data is replaced whole
   * (the user is created when new). Resolves to the channel data the server answers.
   */
  setChannelData(userId: string, channelId: string, data: { [key: string]: JsonValue }, options?: UserWriteOptions): Promise<ChannelData>;
  /** Removes the user's data of one channel (`DELETE`); resolves also when there was none. Ids checked locally. */
  unsetChannelData(userId: string, channelId: string, options?: ConditionalWriteOptions): Promise<void>;
  /**
   * One preference set of the user (`setId` default `"default"`; an empty set when the user has
   * none by that id); rejects with `ApiError` status 404 when there is no such user. Ids checked
   * locally. With `ifNoneMatch`, `null` when it names the user's current ETag.
   */
  getPreferences(userId: string, setId: string | undefined, options: ReadOptions & { ifNoneMatch: string }): Promise<PreferenceSet | null>;
  getPreferences(userId: string, setId?: string, options?: ReadOptions & { ifNoneMatch?: undefined }): Promise<PreferenceSet>;
  getPreferences(userId: string, setId?: string, options?: ReadOptions): Promise<PreferenceSet | null>;
  /**
   * Validates `set` locally as the server does (rejects with `ValidationError`, problems at the set's
   * own fields, e.g. `channel_types.fax`, and `id` for the set id; nothing sent), then `PUT`s it as given:
   * it replaces the stored set unless it says `__persistence_strategy__: "merge"`. Resolves to the set
   * the server answers.
   */
  setPreferences(userId: string, setId: string, set: PreferenceSetRequest, options?: UserWriteOptions): Promise<PreferenceSet>;
  /**
   * Adds `token` to the channel's `data.tokens` (`PUT .../channel_data/{channelId}/tokens/{token}`,
   * the token one percent-encoded segment); a token already there changes nothing. Checked locally
   * first as the server checks it (rejects with `ValidationError` at `channel_id`, `token`, `user_id`;
   * nothing sent). Resolves to the channel's data.
   */
  addPushToken(userId: string, channelId: string, token: string, options?: UserWriteOptions): Promise<ChannelData>;
  /** Removes every copy of `token` from the channel's `data.tokens`; resolves also when it was not there. Checked as `addPushToken`. */
  removePushToken(userId: string, channelId: string, token: string, options?: ConditionalWriteOptions): Promise<void>;
  /**
   * One page of the user's change history, newest first (`GET .../changes`). `pageSize` is checked
   * locally (rejects with `ValidationError` at `page_size`); an unknown user is an `ApiError` 404.
   */
  changes(userId: string, options?: ChangesOptions): Promise<ChangesPage>;
  /**
   * Every entry of the user's change history, newest first, asking `changes` page after page
   * (`pageSize` entries each) as the iteration goes: `for await (const change of client.allChanges(id))`.
   * A call that fails rejects the iteration's step.
   */
  allChanges(userId: string, options?: ChangesOptions): AsyncIterableIterator<UserChange>;
  /**
   * Bulk identify: 1 to 1,000 users, each an identify body with its `id`. Every user is checked
   * locally first (rejects with `ValidationError`, problems under `users.N`; nothing sent), then
   * `POST /v1/users/bulk/identify`. Resolves to the queued operation; the server applies each user
   * on its own and `progress_path` reports how far it got. The same `idempotencyKey` again gives the
   * same operation.
   */
  bulkIdentify(users: BulkIdentifyUser[], options?: WriteOptions): Promise<BulkOperation>;
  /**
   * Every preference set of the user (`GET .../preferences`), in the order the user keeps them,
   * `[]` for none; rejects with `ApiError` status 404 when there is no such user. The id is checked
   * locally. With `ifNoneMatch`, `null` when it names the user's current ETag.
   */
  listPreferences(userId: string, options: ReadOptions & { ifNoneMatch: string }): Promise<PreferenceSet[] | null>;
  listPreferences(userId: string, options?: ReadOptions & { ifNoneMatch?: undefined }): Promise<PreferenceSet[]>;
  listPreferences(userId: string, options?: ReadOptions): Promise<PreferenceSet[] | null>;
  /**
   * Merges the user `fromUserId` into `userId`, then deletes it (`POST .../merge`, contract §11):
   * `userId` keeps what it has and gains what it lacks. Checked locally first as the server checks
   * it (rejects with `ValidationError` at `user_id`, `from_user_id`, e.g. the same id twice; nothing
   * sent). Resolves to the merged user; `ApiError` 404 when either user does not exist, 409 when the
   * merge should be sent again.
   */
  merge(userId: string, fromUserId: string, options?: MergeOptions): Promise<User>;
  /**
   * One page of the environment's users, by id (`GET /v1/users`; a secret key only: a public key
   * gets an `ApiError` 403). The options are checked locally first (rejects with `ValidationError` at
   * `page_size`, `include[]`, `email`; nothing sent); a cursor of another environment is the
   * server's `ApiError` 422.
   */
  listUsers(options?: ListUsersOptions): Promise<UsersPage>;
  /**
   * Every user of the environment, by id, asking `listUsers` page after page (`pageSize` users
   * each, following `page_info.after`) as the iteration goes: `for await (const user of
   * client.allUsers())`. A call that fails rejects the iteration's step.
   */
  allUsers(options?: ListUsersOptions): AsyncIterableIterator<ListedUser>;
  /**
   * Bulk delete: 1 to 1,000 user ids, checked locally first (rejects with `ValidationError` at
   * `user_ids` or `user_ids.N`; nothing sent), then `POST /v1/users/bulk/delete`. Resolves to the
   * queued operation; a user that does not exist counts as deleted.
   */
  bulkDelete(userIds: string[], options?: WriteOptions): Promise<BulkOperation>;
  /**
   * Bulk preferences: writes one preference set (`set.id`, default `"default"`) whole to each of 1 to
   * 1,000 users, creating those that do not exist. Checked locally first (rejects with
   * `ValidationError` at `user_ids.N` and under `preferences`, e.g. `preferences.channel_types.fax`;
   * nothing sent), then `POST /v1/users/bulk/preferences`. Resolves to the queued operation.
   */
  bulkSetPreferences(userIds: string[], set: BulkPreferenceSet, options?: WriteOptions): Promise<BulkOperation>;
  /** The base URL requests go to, without a trailing `/`. */
  readonly baseUrl: string;
  /** Frees the wasm memory of this client now rather than when it is garbage-collected. */
  free(): void;
  [Symbol.dispose](): void;
}

/** The request was refused locally (contract §1–2); nothing was sent. */
export declare class ValidationError extends Error {
  readonly name: "ValidationError";
  /** 422, or 400 (`invalid_json`) / 413 (`request_too_large`) for a body given as JSON text. */
  readonly status: 400 | 413 | 422;
  readonly code: "invalid_params" | "invalid_json" | "request_too_large";
  /** Every problem, as `validate` lists them. */
  readonly errors: Problem[];
}

/** The server answered with an error status, after any retries. */
export declare class ApiError extends Error {
  readonly name: "ApiError" | "RateLimitError";
  readonly status: number;
  /**
   * The code of contract §6, e.g. `invalid_params`, `resource_missing`, `precondition_failed` (412),
   * `idempotency_key_reused` (422); with a public key also `user_token_missing`, `invalid_user_token`
   * (401) and `forbidden` (403); `unknown` when the answer has none.
   */
  readonly code: string;
  /** The answer's `request_id` or `X-Request-ID`, when it has one. */
  readonly requestId: string | null;
  /** The problems of a 422; empty otherwise. */
  readonly errors: Problem[];
  /**
   * The answer's `ETag`: on a 412 `precondition_failed`, the user's current ETag (`null` when
   * the user does not exist); `null` when the answer has none.
   */
  readonly etag: string | null;
}

/** A 429 answer, still a 429 after every retry. */
export declare class RateLimitError extends ApiError {
  readonly name: "RateLimitError";
  readonly status: 429;
  /** What the last answer's `retry-after-ms` / `Retry-After` asked, in milliseconds. */
  readonly retryAfterMs: number | null;
}

/** No answer: the connection failed, after every retry. `cause` holds what `fetch` threw. */
export declare class ConnectionError extends Error {
  readonly name: "ConnectionError" | "TimeoutError";
}

/** No answer within `timeoutMs`, after every retry. */
export declare class TimeoutError extends ConnectionError {
  readonly name: "TimeoutError";
}

/** The call's `signal` aborted it; `cause` holds the signal's reason. */
export declare class AbortError extends Error {
  readonly name: "AbortError";
}
