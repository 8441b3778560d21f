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

/** A bulk identify as the server reports it (contract §5b). */
export type BulkOperation = {
  __typename: "BulkOperation";
  id: string;
  name: string;
  status: "queued" | "processing" | "completed" | "failed";
  estimated_total_rows: number;
  processed_rows: number;
  success_count: number;
  error_count: number;
  /**
   * The users not applied, each with what its own identify would have
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
 * A client of the users API: `PUT`/`GET`/`DELETE {baseUrl}/v1/users/{userId}`, a user's
 * `/channel_data/{channelId}` and `/preferences/{setId}` (ids percent-encoded), and `POST
 * {baseUrl}/v1/users/bulk/identify`, with `Authorization: Bearer <apiKey>` (or `<publicKey>` and
 * `X-Knock-User-Token`), retries and typed errors.
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
  identify(userId: string, body: IdentifyBody, options?: RequestOptions): Promise<User>;
  /** The user; rejects with `ApiError` status 404 when there is none. */
  get(userId: string, options?: RequestOptions): Promise<User>;
  /** Deletes the user; resolves also when there was none. */
  delete(userId: string, options?: RequestOptions): Promise<void>;
  /**
   * The user's data of one channel (`channelId`, a UUID); rejects with `ApiError` status 404 when
   * there is none (or no such user). Bad ids reject with `ValidationError` (fields `user_id`,
   * `channel_id`), nothing sent.
   */
  getChannelData(userId: string, channelId: string, options?: RequestOptions): Promise<ChannelData>;
  /**
   * Validates `{ data }` locally as the server does (rejects with `ValidationError`, problems at
   * `data.…`, `channel_id`; nothing sent), then `PUT`s it: the channel's data is replaced whole
   * (the user is created when new). Resolves to the channel data the server answers.
   */
  setChannelData(userId: string, channelId: string, data: { [key: string]: JsonValue }, options?: RequestOptions): Promise<ChannelData>;
  /** Removes the user's data of one channel (`DELETE`); resolves also when there was none. Ids checked locally. */
  unsetChannelData(userId: string, channelId: string, options?: RequestOptions): Promise<void>;
  /**
   * One preference set of the user (`setId` default `"default"`; an empty set when the user has
   * none by that id); rejects with `ApiError` status 404 when there is no such user. Ids checked locally.
   */
  getPreferences(userId: string, setId?: string, options?: RequestOptions): Promise<PreferenceSet>;
  /**
   * Validates `set` locally as the server does (rejects with `ValidationError`, problems at the set's
   * own fields, e.g. `channel_types.fax`, and `id` for the set id; nothing sent), then `PUT`s it as given:
   * it replaces the stored set unless it says `__persistence_strategy__: "merge"`. Resolves to the set
   * the server answers.
   */
  setPreferences(userId: string, setId: string, set: PreferenceSetRequest, options?: RequestOptions): Promise<PreferenceSet>;
  /**
   * Bulk identify: 1 to 1,000 users, each an identify body with its `id`. Every user is checked
   * locally first (rejects with `ValidationError`, problems under `users.N`; nothing sent), then
   * `POST /v1/users/bulk/identify`. Resolves to the queued operation; the server applies each user
   * on its own and `progress_path` reports how far it got.
   */
  bulkIdentify(users: BulkIdentifyUser[], options?: RequestOptions): Promise<BulkOperation>;
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
   * The code of contract §6, e.g. `invalid_params`, `resource_missing`; with a public key also
   * `user_token_missing`, `invalid_user_token` (401) and `forbidden` (403); `unknown` when the answer has none.
   */
  readonly code: string;
  /** The answer's `request_id` or `X-Request-ID`, when it has one. */
  readonly requestId: string | null;
  /** The problems of a 422; empty otherwise. */
  readonly errors: Problem[];
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
