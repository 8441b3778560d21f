//! The core's checks of a request's parameters besides its body (contract
//! §9): the `Idempotency-Key` header and a list route's `page_size`. Each
//! table holds the value and the exact answer; the bounds are the
//! contract's, written out here.

use knock_identify::{check_idempotency_key, check_page_size, Problem};
use serde_json::{json, Value};

/// The answer as JSON: `null` when accepted, else the problem.
fn answer<T>(result: Result<T, Problem>) -> Value {
    match result {
        Ok(_) => Value::Null,
        Err(problem) => json!(problem),
    }
}

#[test]
fn an_idempotency_key_is_1_to_255_printable_ascii_bytes() {
    let at_bound = "k".repeat(255);
    let past = "k".repeat(256);
    let past_and_bad = "\n".repeat(300);
    let printable: Vec<u8> = (0x20..=0x7e).collect();
    let bad_byte = |byte: &str, at: usize| json!({"field": "Idempotency-Key", "type": "format", "message": format!("an idempotency key holds printable ASCII only (0x20 to 0x7E), got the byte 0x{byte} at index {at}")});
    let cases: [(&[u8], Value); 12] = [
        (b"a", Value::Null),
        (b"5c3f9e1a-0d4b-4c1e-9a7f-2b6d8e0c1f3a", Value::Null),
        (b" spaces and ~{}\"\\ are printable ", Value::Null),
        (&printable, Value::Null),
        (at_bound.as_bytes(), Value::Null),
        (
            past.as_bytes(),
            json!({"field": "Idempotency-Key", "type": "too_long", "message": "an idempotency key has at most 255 bytes, got 256"}),
        ),
        // Past the bound, the length is the one problem, whatever the bytes.
        (
            past_and_bad.as_bytes(),
            json!({"field": "Idempotency-Key", "type": "too_long", "message": "an idempotency key has at most 255 bytes, got 300"}),
        ),
        (
            b"",
            json!({"field": "Idempotency-Key", "type": "format", "message": "the idempotency key must not be empty: send 1 to 255 printable ASCII characters (0x20 to 0x7E), or no header"}),
        ),
        (b"key\x1f", bad_byte("1F", 3)),
        (b"\tkey", bad_byte("09", 0)),
        (b"key\x7f", bad_byte("7F", 3)),
        // `é` in UTF-8: the first byte outside printable ASCII is named.
        ("clé".as_bytes(), bad_byte("C3", 2)),
    ];
    for (value, expected) in cases {
        assert_eq!(answer(check_idempotency_key(value)), expected, "{:?}", String::from_utf8_lossy(value));
    }
}

#[test]
fn a_page_size_is_absent_or_a_whole_number_from_1_to_50() {
    let refused = |shown: &str| json!({"field": "page_size", "type": "format", "message": format!("expected a page size from 1 to 50, in digits without a sign, space or leading zero, got `{shown}`")});
    let long = "9".repeat(300);
    let long_shown = format!("{}…", "9".repeat(255));
    let cases: [(Option<&str>, Result<u8, Value>); 20] = [
        (None, Ok(50)),
        (Some("1"), Ok(1)),
        (Some("9"), Ok(9)),
        (Some("10"), Ok(10)),
        (Some("25"), Ok(25)),
        (Some("50"), Ok(50)),
        (Some("0"), Err(refused("0"))),
        (Some("51"), Err(refused("51"))),
        (Some("99"), Err(refused("99"))),
        (Some("100"), Err(refused("100"))),
        (Some("-1"), Err(refused("-1"))),
        (Some("x"), Err(refused("x"))),
        (Some("1.5"), Err(refused("1.5"))),
        (Some(""), Err(refused(""))),
        (Some("+5"), Err(refused("+5"))),
        (Some(" 5"), Err(refused(" 5"))),
        (Some("5 "), Err(refused("5 "))),
        (Some("05"), Err(refused("05"))),
        (Some("٥"), Err(refused("٥"))),
        (Some(&long), Err(refused(&long_shown))),
    ];
    for (value, expected) in cases {
        assert_eq!(check_page_size(value).map_err(|problem| json!(problem)), expected, "{value:?}");
    }
}
