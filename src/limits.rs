//! The limits of the contract on sizes, lengths, depth and counts, on the
//! ground floor: every module that enforces one (the parser's depth, the
//! checks, the merge, bulk identify) reads it from here.

/// The largest body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The deepest nesting accepted; the body object itself is level 1.
pub const MAX_DEPTH: usize = 64;

/// The longest user id, in characters (Unicode scalar values).
pub const MAX_USER_ID_CHARS: usize = 256;

/// The longest `name`, in characters.
pub const MAX_NAME_CHARS: usize = 1024;

/// The longest custom property key, preference set id, workflow key or
/// category key, in characters.
pub const MAX_KEY_CHARS: usize = 256;

/// The largest custom properties, preferences or channel data, as compact
/// JSON: in a request, and in the stored user after a merge.
pub const MAX_SECTION_BYTES: usize = 256 * 1024;

/// The most problems one answer lists; more are counted in one last
/// `too_many_problems` problem.
pub const MAX_PROBLEMS: usize = 100;

/// The largest bulk request body: 10 MiB.
pub const MAX_BULK_BODY_BYTES: usize = 10 * 1024 * 1024;

/// The most users in one bulk request.
pub const MAX_BULK_USERS: usize = 1000;

/// The most items one page of a list route holds, and the number it holds
/// when `page_size` is not given (Knock's default is its maximum).
pub const MAX_PAGE_SIZE: u8 = 50;

/// The longest `Idempotency-Key` header value, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;
