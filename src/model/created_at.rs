//! `created_at`: an RFC 3339 date-time with an offset, `2024-05-01T12:00:00Z`,
//! `2024-05-01T14:00:00.5+02:00`. Kept as sent.

use super::FieldError;

const EXPECTED: &str = "expected an RFC 3339 date-time with an offset, like `2024-05-01T12:00:00Z`";

pub(super) fn check(value: &str) -> Result<(), FieldError> {
    if is_rfc3339(value.as_bytes()) {
        return Ok(());
    }
    // `2024-05-01T12:00:00`: say what to add.
    if value.len() < 64 {
        let with_offset = format!("{value}Z");
        if is_rfc3339(with_offset.as_bytes()) {
            return Err(FieldError::format(format!("{EXPECTED}; add the offset: `{with_offset}`")));
        }
    }
    Err(FieldError::format(EXPECTED))
}

/// RFC 3339 §5.6 `date-time`: `full-date "T" full-time`, `T` and `Z` in
/// either case, fractional seconds of any length, seconds up to 60 (a leap
/// second), offsets up to ±23:59.
fn is_rfc3339(s: &[u8]) -> bool {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = s.get(range)?;
        digits.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let at = |index: usize, allowed: &[u8]| s.get(index).is_some_and(|b| allowed.contains(b));
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (number(0..4), number(5..7), number(8..10), number(11..13), number(14..16), number(17..19))
    else {
        return false;
    };
    let separators = at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":");
    if !separators || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return false;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'));
            matches!((two(*h1, *h2), two(*m1, *m2)), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
