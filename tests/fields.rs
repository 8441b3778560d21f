//! Each standard field's rule, as tables of (input, exact answer), with the
//! accepted and rejected examples of contract §2.

use knock_identify::{check_user_id, time_zone_names, ProblemType, StandardField};

/// Checks every accepted value passes and every rejected one fails with
/// exactly the (type, message) given.
fn check_table(
    check: impl Fn(&str) -> Result<(), (ProblemType, String)>,
    accepted: &[&str],
    rejected: &[(&str, ProblemType, &str)],
) {
    for value in accepted {
        if let Err(error) = check(value) {
            panic!("`{value}` was refused: {error:?}");
        }
    }
    for (value, kind, message) in rejected {
        match check(value) {
            Ok(()) => panic!("`{value}` was accepted"),
            Err(error) => assert_eq!((error.0, error.1.as_str()), (*kind, *message), "for `{value}`"),
        }
    }
}

/// The check of one standard field, for [`check_table`].
fn field(field: StandardField) -> impl Fn(&str) -> Result<(), (ProblemType, String)> {
    move |value| field.check(value).map_err(|error| (error.kind, error.message))
}

use ProblemType::*;

#[test]
fn timezone() {
    check_table(
        field(StandardField::Timezone),
        &["America/New_York", "UTC", "Etc/GMT+5", "US/Eastern", "Europe/Kyiv", "Asia/Kolkata", "Etc/UTC", "GMT"],
        &[
            (
                "america/new_york",
                UnknownValue,
                "unknown time zone `america/new_york`; did you mean `America/New_York`?",
            ),
            ("utc", UnknownValue, "unknown time zone `utc`; did you mean `UTC`?"),
            (
                "Mars/Olympus",
                UnknownValue,
                "unknown time zone `Mars/Olympus`: expected an IANA time zone name, like `America/New_York`",
            ),
            ("", UnknownValue, "unknown time zone ``: expected an IANA time zone name, like `America/New_York`"),
            (
                "EST5EDT ",
                UnknownValue,
                "unknown time zone `EST5EDT `: expected an IANA time zone name, like `America/New_York`",
            ),
        ],
    );
}

#[test]
fn timezone_table_is_sorted_for_binary_search() {
    let names: Vec<&str> = time_zone_names().collect();
    assert!(names.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(names.len() > 500, "{}", names.len());
}

const PHONE: &str =
    "expected an E.164 number: `+` and 7 to 15 digits starting with a country calling code, like `+14155552671`";

#[test]
fn phone_number() {
    check_table(
        field(StandardField::PhoneNumber),
        &[
            "+14155552671",
            "+442071838750",
            "+8613800138000",
            "+3545511234",
            "+1234567",
            "+123456789012345",
            "+79161234567",
        ],
        &[
            ("+1 (415) 555-2671", Format, &format!("{PHONE}; use `+14155552671`")),
            ("+44 20 7183 8750", Format, &format!("{PHONE}; use `+442071838750`")),
            ("0033 1 42 68 53 00", Format, &format!("{PHONE}; use `+33142685300`")),
            // Written with spaces but too short even without them: no form to suggest.
            ("+1 (415) 55", Format, PHONE),
            ("14155552671", Format, PHONE),
            ("+123456", Format, PHONE),
            ("+1234567890123456", Format, PHONE),
            ("+04155552671", Format, PHONE),
            ("+1415555267a", Format, PHONE),
            ("", Format, PHONE),
            ("+2101234567", UnknownValue, "`+2101234567` does not begin with an assigned country calling code"),
            ("+8011234567", UnknownValue, "`+8011234567` does not begin with an assigned country calling code"),
        ],
    );
}

const LOCALE: &str = "expected a BCP 47 language tag, like `en-US`";

#[test]
fn locale() {
    check_table(
        field(StandardField::Locale),
        &["en", "en-US", "fr-BE", "zh-Hant-TW", "es-419", "sr-Latn-RS", "de-CH-1996", "x-private", "EN-us"],
        &[
            ("en_US", Format, &format!("{LOCALE}; use `en-US`")),
            ("zh_Hant_TW", Format, &format!("{LOCALE}; use `zh-Hant-TW`")),
            ("en US", Format, LOCALE),
            ("123", Format, LOCALE),
            ("en-", Format, LOCALE),
            ("", Format, LOCALE),
            ("e", Format, LOCALE),
        ],
    );
}

const EMAIL: &str = "expected one email address like `name@example.com`";

#[test]
fn email() {
    check_table(
        field(StandardField::Email),
        &[
            "jane@example.com",
            "jane.doe+tag@mail.example.co.uk",
            "o'brien@example.ie",
            "jürgen@bücher.de",
            "用户@例子.广告",
            "a@b-c.io",
        ],
        &[
            ("Jane <jane@example.com>", Format, &format!("{EMAIL}, without a display name: `jane@example.com`")),
            ("jane@example.com (Jane)", Format, EMAIL),
            ("jane@[192.168.0.1]", Format, EMAIL),
            ("jane@localhost", Format, EMAIL),
            // Not ASCII: both parts are checked, each alone enough to refuse.
            ("jürgen@localhost", Format, EMAIL),
            ("jü..rgen@bücher.de", Format, EMAIL),
            ("jane@example..com", Format, EMAIL),
            ("jane@-example.com", Format, EMAIL),
            ("jane@example.123", Format, EMAIL),
            (".jane@example.com", Format, EMAIL),
            ("ja..ne@example.com", Format, EMAIL),
            ("\"jane\"@example.com", Format, EMAIL),
            ("jane", Format, EMAIL),
            ("@example.com", Format, EMAIL),
            ("jane doe@example.com", Format, EMAIL),
            (&format!("{}@example.com", "a".repeat(65)), Format, EMAIL),
            (&format!("{}@example.com", "a".repeat(243)), TooLong, "expected at most 254 bytes, got 255"),
        ],
    );
}

const AVATAR: &str = "expected an absolute http or https URL, like `https://example.com/avatar.png`";

#[test]
fn avatar() {
    check_table(
        field(StandardField::Avatar),
        &[
            "https://example.com/avatar.png",
            "http://localhost:8080/a.png",
            "HTTPS://EXAMPLE.COM/A.PNG",
            "https://user:pass@example.com/a?x=1#frag",
            "https://[2001:db8::1]/a.png",
            "https://127.0.0.1/a.png",
            "https://example.com/%E2%9C%93.png",
            "https://bücher.de/jürgen.png",
            "https://example.com",
            // A host's labels: letters, digits, `-`, `_` and escapes; a final dot.
            "https://my-host.example_1.com/a.png",
            "https://b%C3%BCcher.de/a.png",
            "https://example.com./a.png",
            // IPv6, IPv4 inside it, a port after it.
            "https://[::ffff:192.0.2.1]/a.png",
            "https://[::1]:8080/a.png",
            // A port: empty, or at most five digits up to 65535.
            "https://example.com:/a.png",
            "https://example.com:65535/a.png",
        ],
        &[
            ("https://exa!mple.com/a.png", Format, AVATAR),
            ("https://a..b/a.png", Format, AVATAR),
            ("https://:80/a.png", Format, AVATAR),
            ("https://[::g]/a.png", Format, AVATAR),
            ("https://[abc]/a.png", Format, AVATAR),
            ("https://[::1/a.png", Format, AVATAR),
            ("https://example.com:65536/a.png", Format, AVATAR),
            ("https://example.com:000080/a.png", Format, AVATAR),
            ("https://example.com/a<b.png", Format, AVATAR),
            ("https://example.com/a\u{a0}b.png", Format, AVATAR),
            ("ftp://example.com/a.png", Format, AVATAR),
            ("//example.com/a.png", Format, AVATAR),
            ("/avatars/1.png", Format, AVATAR),
            ("https://", Format, AVATAR),
            ("https:///a.png", Format, AVATAR),
            ("https://example.com/a b.png", Format, AVATAR),
            ("https://example.com/%zz.png", Format, AVATAR),
            ("https://example.com:99999/a.png", Format, AVATAR),
            ("https://exa mple.com/", Format, AVATAR),
            ("javascript:alert(1)", Format, AVATAR),
            (&format!("https://example.com/{}", "a".repeat(2029)), TooLong, "expected at most 2048 bytes, got 2049"),
        ],
    );
    assert!(StandardField::Avatar.check(&format!("https://example.com/{}", "a".repeat(2028))).is_ok());
}

const CREATED_AT: &str = "expected an RFC 3339 date-time with an offset, like `2024-05-01T12:00:00Z`";

#[test]
fn created_at() {
    check_table(
        field(StandardField::CreatedAt),
        &[
            "2024-05-01T12:00:00Z",
            "2024-05-01T14:00:00.5+02:00",
            "2024-05-01t12:00:00z",
            "2024-02-29T00:00:00-00:00",
            "2000-02-29T23:59:60.123456789+14:00",
            "1985-04-12T23:20:50.52Z",
            "2024-12-31T00:00:00+23:59",
        ],
        &[
            ("2024-05-01T12:00:00", Format, &format!("{CREATED_AT}; add the offset: `2024-05-01T12:00:00Z`")),
            // The hint is offered for values shorter than 64 bytes: 63 and 64.
            (
                &format!("2024-05-01T12:00:00.{}", "0".repeat(43)),
                Format,
                &format!("{CREATED_AT}; add the offset: `2024-05-01T12:00:00.{}Z`", "0".repeat(43)),
            ),
            (&format!("2024-05-01T12:00:00.{}", "0".repeat(44)), Format, CREATED_AT),
            ("2024-05-01", Format, CREATED_AT),
            // Each separator, each part at its bound.
            ("2024/05-01T12:00:00Z", Format, CREATED_AT),
            ("2024-05/01T12:00:00Z", Format, CREATED_AT),
            ("2024-05-01T12-00:00Z", Format, CREATED_AT),
            ("2024-05-01T12:00-00Z", Format, CREATED_AT),
            ("2024-05-00T12:00:00Z", Format, CREATED_AT),
            ("2024-05-01T12:60:00Z", Format, CREATED_AT),
            ("2024-05-01T12:00:61Z", Format, CREATED_AT),
            // The offset's digits: `;` is the character after `9`.
            ("2024-05-01T12:00:00+0;:00", Format, CREATED_AT),
            ("2024-05-01T12:00:00+00:0;", Format, CREATED_AT),
            ("2024-05-01T12:00:00+00:60", Format, CREATED_AT),
            ("2024-05-01 12:00:00Z", Format, CREATED_AT),
            ("2023-02-29T12:00:00Z", Format, CREATED_AT),
            ("1900-02-29T12:00:00Z", Format, CREATED_AT),
            ("2024-13-01T12:00:00Z", Format, CREATED_AT),
            ("2024-04-31T12:00:00Z", Format, CREATED_AT),
            ("2024-05-01T24:00:00Z", Format, CREATED_AT),
            ("2024-05-01T12:00:00.Z", Format, CREATED_AT),
            ("2024-05-01T12:00:00+2:00", Format, CREATED_AT),
            ("2024-05-01T12:00:00+24:00", Format, CREATED_AT),
            ("2024-05-01T12:00:00+0200", Format, CREATED_AT),
            ("May 1, 2024", Format, CREATED_AT),
            ("", Format, CREATED_AT),
        ],
    );
}

#[test]
fn user_id() {
    check_table(
        |id| {
            check_user_id(id).map_err(|problem| {
                assert_eq!(problem.field, "user_id");
                (problem.kind, problem.message)
            })
        },
        &["user-1", "a", "...", ".a", "Jane Doe", "100%", "名前", &"a".repeat(256), &"😀".repeat(256)],
        &[
            ("", Format, "the user id must not be empty"),
            (".", Format, "the user id must not be `.`"),
            ("..", Format, "the user id must not be `..`"),
            ("a/b", Format, "the user id must not contain `/`: no `/`, `#` or control characters"),
            ("a#b", Format, "the user id must not contain `#`: no `/`, `#` or control characters"),
            ("a\nb", Format, "the user id must not contain U+000A: no `/`, `#` or control characters"),
            ("a\u{0}b", Format, "the user id must not contain U+0000: no `/`, `#` or control characters"),
            ("a\u{7f}b", Format, "the user id must not contain U+007F: no `/`, `#` or control characters"),
            (&"a".repeat(257), TooLong, "expected at most 256 characters, got 257"),
            (&"😀".repeat(257), TooLong, "expected at most 256 characters, got 257"),
        ],
    );
}

#[test]
fn an_id_that_is_not_utf8_is_reported_beside_the_bodys_problems() {
    let error = knock_identify::parse_request_bytes(b"jane\xff", br#"{"email": "nope", "id": "jane"}"#).unwrap_err();
    let fields: Vec<(&str, ProblemType)> = error.problems().iter().map(|p| (p.field.as_str(), p.kind)).collect();
    assert_eq!(fields, [("user_id", Format), ("email", Format), ("id", Mismatch)]);
    assert_eq!(error.problems()[0].message, "the user id is not valid UTF-8 once percent-decoded");
    // A valid id is just parse_request.
    assert!(knock_identify::parse_request_bytes("jané".as_bytes(), b"{}").is_ok());
}
