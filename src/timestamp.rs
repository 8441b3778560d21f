//! The time of a write, as the caller's clock gives it: the core never reads
//! a clock itself, so it runs the same natively, in browsers and in Workers.

use std::fmt;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The timestamp of a number of milliseconds since the Unix epoch.
    pub fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }
}

impl Timestamp {
    /// RFC 3339 in UTC with millisecond precision, as `updated_at` is
    /// written: `2024-05-01T12:00:00.000Z`. Years outside 0–9999 are clamped
    /// to them (RFC 3339 has four-digit years).
    pub fn to_rfc3339(self) -> String {
        self.rfc3339_bytes().iter().map(|&byte| char::from(byte)).collect()
    }

    /// [`Timestamp::to_rfc3339`] as ASCII bytes, without allocating.
    pub(crate) fn rfc3339_bytes(self) -> [u8; 24] {
        let days = self.0.div_euclid(86_400_000);
        let millis_of_day = self.0.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let seconds = millis_of_day / 1000;
        let fields: [(i64, usize); 7] = [
            (year.clamp(0, 9999), 4),
            (i64::from(month), 2),
            (i64::from(day), 2),
            (seconds / 3600, 2),
            (seconds / 60 % 60, 2),
            (seconds % 60, 2),
            (millis_of_day % 1000, 3),
        ];
        // Digits written by hand: `format!` costs more than the rest of a merge.
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut end = 0;
        for (value, width) in fields {
            let mut rest = value;
            for position in (end..end + width).rev() {
                out[position] = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            end += width + 1;
        }
        out
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn formats_rfc3339_utc_with_milliseconds() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_714_564_800_123, "2024-05-01T12:00:00.123Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (1_714_567_496_789, "2024-05-01T12:44:56.789Z"),
            (4_107_542_399_001, "2100-02-28T23:59:59.001Z"),
            (-2_203_891_200_000, "1900-03-01T00:00:00.000Z"),
        ];
        for (millis, expected) in cases {
            assert_eq!(Timestamp::from_millis(millis).to_string(), expected, "{millis}");
            assert_eq!(Timestamp::from_millis(millis).as_millis(), millis);
        }
    }

    #[test]
    fn every_day_of_a_400_year_cycle_is_its_calendar_date() {
        // Counted forward one day at a time, with the Gregorian leap rule,
        // over 1600–2400: every branch of the conversion repeats each 400 years.
        let leap = |year: i64| year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in = |year: i64, month: u32| match month {
            2 if leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        // 1600-01-01 is 135,140 days before 1970-01-01; 2401-01-01 157,420 after.
        let (mut year, mut month, mut day) = (1600_i64, 1_u32, 1_u32);
        for days in -135_140_i64..157_420 {
            let expected = format!("{year:04}-{month:02}-{day:02}T00:00:00.000Z");
            let written = Timestamp::from_millis(days * 86_400_000).rfc3339_bytes();
            assert_eq!(&written[..], expected.as_bytes(), "{days}");
            day += 1;
            if day > days_in(year, month) {
                (day, month) = (1, month + 1);
                if month > 12 {
                    (month, year) = (1, year + 1);
                }
            }
        }
        assert_eq!((year, month, day), (2401, 1, 1));
    }
}
