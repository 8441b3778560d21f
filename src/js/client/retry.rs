//! When to retry and how long to wait (contract §8): pure functions, so they are
//! tested natively.

/// The first wait, in seconds; it doubles per retry up to [`MAX_WAIT_SECONDS`].
const INITIAL_WAIT_SECONDS: f64 = 0.5;
const MAX_WAIT_SECONDS: f64 = 8.0;
/// A server-asked wait is honoured when it is below this (as Knock's SDKs do);
/// longer or negative asks fall back to the backoff.
const MAX_ASKED_WAIT_MS: f64 = 60_000.0;

/// Whether an answer with this status is worth another attempt.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// The backoff before retry number `retry` (0 for the first): `min(0.5·2^n, 8)`
/// seconds less up to 25 % jitter; `random` is in `[0, 1)`.
pub(crate) fn backoff_ms(retry: u32, random: f64) -> f64 {
    let seconds = (INITIAL_WAIT_SECONDS * 2f64.powi(retry.min(16) as i32)).min(MAX_WAIT_SECONDS);
    seconds * (1.0 - 0.25 * random.clamp(0.0, 1.0)) * 1000.0
}

/// How the client reads numbers and dates in headers. In wasm these are
/// JS's `Number` and `Date.parse` (Rust's float parser would add ~14 KB).
pub(crate) trait HeaderParsers {
    /// A finite decimal number, or `None`.
    fn number(&self, text: &str) -> Option<f64>;
    /// Epoch milliseconds of an HTTP date, or `None`.
    fn date(&self, text: &str) -> Option<f64>;
}

/// The wait the server asks for, in milliseconds: `retry-after-ms`, else
/// `Retry-After` as seconds or as an HTTP date relative to `now_ms`.
pub(crate) fn asked_wait_ms(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
    now_ms: f64,
    parse: &impl HeaderParsers,
) -> Option<f64> {
    if let Some(ms) = retry_after_ms.and_then(|value| parse.number(value.trim())) {
        return Some(ms);
    }
    let value = retry_after?.trim();
    if let Some(seconds) = parse.number(value) {
        return Some(seconds * 1000.0);
    }
    parse.date(value).map(|date| date - now_ms)
}

/// The wait before retry number `retry`: what the server asked when it is
/// in `[0, 60 s)`, else the backoff.
pub(crate) fn wait_ms(asked: Option<f64>, retry: u32, random: f64) -> f64 {
    match asked {
        Some(ms) if (0.0..MAX_ASKED_WAIT_MS).contains(&ms) => ms,
        _ => backoff_ms(retry, random),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_connection_like_statuses_only() {
        for status in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert!(retryable_status(status), "{status}");
        }
        for status in [200, 204, 400, 401, 403, 404, 405, 413, 415, 422] {
            assert!(!retryable_status(status), "{status}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_8_seconds_less_up_to_a_quarter() {
        let cases = [(0, 0.0, 500.0), (1, 0.0, 1000.0), (2, 0.0, 2000.0), (4, 0.0, 8000.0), (9, 0.0, 8000.0)];
        for (retry, random, expected) in cases {
            assert_eq!(backoff_ms(retry, random), expected, "retry {retry}");
        }
        assert!((backoff_ms(0, 0.999_999_9) - 375.0).abs() < 1e-3);
        assert_eq!(backoff_ms(u32::MAX, 0.5), 7000.0);
    }

    struct Parsers;

    impl HeaderParsers for Parsers {
        fn number(&self, text: &str) -> Option<f64> {
            text.parse::<f64>().ok().filter(|n| n.is_finite())
        }
        fn date(&self, text: &str) -> Option<f64> {
            (text == "Wed, 21 Oct 2015 07:28:00 GMT").then_some(1_445_412_480_000.0)
        }
    }

    #[test]
    fn reads_retry_after_ms_then_seconds_then_dates() {
        let now = 1_445_412_470_000.0;
        let cases: [(Option<&str>, Option<&str>, Option<f64>); 9] = [
            (Some("250"), Some("9"), Some(250.0)),
            (Some("12.5"), None, Some(12.5)),
            (None, Some("1"), Some(1000.0)),
            (None, Some(" 0.5 "), Some(500.0)),
            (Some("inf"), Some("1"), Some(1000.0)),
            (Some("soon"), Some("2"), Some(2000.0)),
            (None, Some("Wed, 21 Oct 2015 07:28:00 GMT"), Some(10_000.0)),
            (None, Some("tomorrow"), None),
            (None, None, None),
        ];
        for (ms, after, expected) in cases {
            assert_eq!(asked_wait_ms(ms, after, now, &Parsers), expected, "{ms:?} {after:?}");
        }
    }

    #[test]
    fn honours_asked_waits_under_a_minute_only() {
        assert_eq!(wait_ms(Some(1000.0), 0, 0.0), 1000.0);
        assert_eq!(wait_ms(Some(0.0), 3, 0.0), 0.0);
        assert_eq!(wait_ms(Some(60_000.0), 1, 0.0), 1000.0);
        assert_eq!(wait_ms(Some(-5.0), 0, 0.0), 500.0);
        assert_eq!(wait_ms(None, 2, 0.0), 2000.0);
    }
}
