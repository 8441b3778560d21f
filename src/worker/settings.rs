//! The Worker's optional variables that bound how long data is kept, each
//! checked where it is read and by every request up front
//! ([`check`]), so a wrong value is a configuration error (a logged 500)
//! rather than data kept too short.

use super::env_memo::EnvMemo;
use super::error::ApiError;
use worker::Env;

/// How long a deleted user's tombstone outlives KV's delete (contract §7).
const TOMBSTONE_SECONDS: &str = "TOMBSTONE_SECONDS";
/// The tombstone's time when the variable is unset.
const DEFAULT_TOMBSTONE_SECONDS: i64 = 300;
/// The shortest tombstone: KV's copies in other locations may lag up to
/// about 60 s, and a tombstone dropped before them could bring a deleted
/// user back.
const MIN_TOMBSTONE_SECONDS: i64 = 60;
/// How long an ended bulk operation is kept (contract §5b).
const BULK_RETENTION_SECONDS: &str = "BULK_RETENTION_SECONDS";
/// Seven days, when the variable is unset.
const DEFAULT_BULK_RETENTION_SECONDS: i64 = 7 * 24 * 60 * 60;

thread_local! {
    /// Whether this isolate's variables passed [`check`].
    static CHECKED: EnvMemo<()> = const { EnvMemo::new() };
}

/// Every variable of this module, checked: run by each request first, and
/// read once per isolate when they pass ([`EnvMemo`]).
pub fn check(env: &Env) -> Result<(), ApiError> {
    CHECKED.with(|checked| {
        checked.get_or_derive(env, || {
            tombstone_seconds(env)?;
            bulk_retention_seconds(env)?;
            Ok(())
        })
    })
}

/// `TOMBSTONE_SECONDS`: at least 60, 300 when unset.
pub fn tombstone_seconds(env: &Env) -> Result<i64, ApiError> {
    seconds(env, TOMBSTONE_SECONDS, MIN_TOMBSTONE_SECONDS, DEFAULT_TOMBSTONE_SECONDS)
}

/// `BULK_RETENTION_SECONDS`: at least 1, seven days when unset.
pub fn bulk_retention_seconds(env: &Env) -> Result<i64, ApiError> {
    seconds(env, BULK_RETENTION_SECONDS, 1, DEFAULT_BULK_RETENTION_SECONDS)
}

/// The whole number of seconds in the variable `name`, at least `min`.
fn seconds(env: &Env, name: &str, min: i64, default: i64) -> Result<i64, ApiError> {
    let Ok(value) = env.var(name) else { return Ok(default) };
    parse_seconds(&value.to_string(), min)
        .ok_or_else(|| ApiError::config(format!("`{name}` is a whole number of seconds, at least {min}")))
}

fn parse_seconds(text: &str, min: i64) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|seconds| *seconds >= min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_whole_and_at_least_the_minimum() {
        assert_eq!(parse_seconds("60", MIN_TOMBSTONE_SECONDS), Some(60));
        assert_eq!(parse_seconds(" 300 ", MIN_TOMBSTONE_SECONDS), Some(300));
        for refused in ["59", "0", "-1", "1.5", "", "sixty"] {
            assert_eq!(parse_seconds(refused, MIN_TOMBSTONE_SECONDS), None, "{refused}");
        }
        assert_eq!(parse_seconds("1", 1), Some(1));
        assert_eq!(parse_seconds("0", 1), None);
    }
}
