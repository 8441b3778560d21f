// The package's error classes: real `Error` subclasses, so `instanceof`
// works, constructed from Rust (src/js/errors.rs) and re-exported by the
// package's entry points.

/** The body or user id breaks contract §1–2; nothing was sent. */
export class ValidationError extends Error {
  constructor(message, status, code, errors) {
    super(message);
    this.name = "ValidationError";
    this.status = status;
    this.code = code;
    this.errors = errors;
  }
}

/**
 * The server answered with an error status (after any retries); `etag` is
 * the answer's `ETag`, the user's current one on a 412.
 */
export class ApiError extends Error {
  constructor(message, status, code, requestId, errors, etag) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId ?? null;
    this.errors = errors;
    this.etag = etag ?? null;
  }
}

/** A 429 that was still a 429 after every retry. */
export class RateLimitError extends ApiError {
  constructor(message, status, code, requestId, errors, retryAfterMs) {
    super(message, status, code, requestId, errors, null);
    this.name = "RateLimitError";
    this.retryAfterMs = retryAfterMs ?? null;
  }
}

/** No answer: the connection failed (after every retry). */
export class ConnectionError extends Error {
  constructor(message, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ConnectionError";
  }
}

/** No answer within `timeoutMs` (after every retry). */
export class TimeoutError extends ConnectionError {
  constructor(message) {
    super(message);
    this.name = "TimeoutError";
  }
}

/** The caller's `signal` aborted the call. */
export class AbortError extends Error {
  constructor(message, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "AbortError";
  }
}
