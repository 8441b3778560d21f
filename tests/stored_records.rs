//! Reading a stored record (contract §7) through `StoredUser::from_json`:
//! a table of records and the exact canonical record each becomes, and a
//! table of records storage should never hold and the exact detail each
//! is refused with (logged, never answered).

use knock_identify::{channel_data_answer, preference_set_answer, preference_sets_answer, IdentifyError, StoredUser};

/// The standard fields of a user all `null`, as a record writes them.
const NULLS: &str =
    r#""avatar":null,"created_at":null,"email":null,"locale":null,"name":null,"phone_number":null,"timezone":null"#;

fn read(record: &str) -> StoredUser {
    StoredUser::from_json(record.as_bytes()).unwrap_or_else(|error| panic!("{error:?}: {record}"))
}

fn detail(record: &str) -> String {
    match StoredUser::from_json(record.as_bytes()) {
        Err(IdentifyError::InvalidStoredRecord { detail }) => detail,
        other => panic!("{record}: expected an unreadable record, got {other:?}"),
    }
}

#[test]
fn a_record_is_read_and_written_again_canonically() {
    // (stored, the record as the core writes it)
    let cases = [
        // `__typename` is the core's to write; the standard fields missing are null.
        (
            r#"{"user":{"id":"user-1","updated_at":"2020-01-01T00:00:00.000Z"}}"#,
            format!(
                r#"{{"user":{{"__typename":"User","id":"user-1",{NULLS},"updated_at":"2020-01-01T00:00:00.000Z"}},"preferences":{{}},"channel_data":{{}}}}"#
            ),
        ),
        (
            r#"{"channel_data":{"c":{"tokens":["t"]}},"preferences":{"default":{}},"user":{"plan":1,"name":"Jane","email":null,"updated_at":"2020-01-01T00:00:00.000Z","__typename":"User","id":"user-1"}}"#,
            format!(
                r#"{{"user":{{"__typename":"User","id":"user-1",{},"updated_at":"2020-01-01T00:00:00.000Z","plan":1}},"preferences":{{"default":{{}}}},"channel_data":{{"c":{{"tokens":["t"]}}}}}}"#,
                NULLS.replace(r#""name":null"#, r#""name":"Jane""#)
            ),
        ),
    ];
    for (stored, expected) in cases {
        let record = read(stored);
        assert_eq!(record.as_json(), expected, "{stored}");
        assert_eq!(record.clone().into_json(), expected, "{stored}");
        assert_eq!(format!("{record:?}"), format!("StoredUser({expected:?})"));
        assert_eq!(record.user_id(), "user-1");
        assert_eq!(record.updated_at(), "2020-01-01T00:00:00.000Z");
    }
}

#[test]
fn the_user_id_is_read_with_its_escapes() {
    // (the id's JSON string as stored, the id)
    let cases = [
        (r#""user-1""#, "user-1"),
        (r#""a\"b""#, "a\"b"),
        (r#""back\\slash""#, "back\\slash"),
        (r#""tab\tand\u00e9""#, "tab\tandé"),
    ];
    for (token, id) in cases {
        let record = read(&format!(r#"{{"user":{{"id":{token},"updated_at":"2020-01-01T00:00:00.000Z"}}}}"#));
        assert_eq!(record.user_id(), id, "{token}");
        assert!(record.user_json().contains(&format!(r#""id":{}"#, serde_json::to_string(id).unwrap())));
    }
}

#[test]
fn a_record_of_another_shape_is_refused_with_what_is_wrong() {
    const AT: &str = r#""updated_at":"2020-01-01T00:00:00.000Z""#;
    // (stored, the detail)
    let cases = [
        ("[]".to_owned(), "expected an object, got an array"),
        ("{}".to_owned(), "no `user`"),
        (format!(r#"{{"user":{{"id":"u",{AT}}},"users":{{}}}}"#), "unknown field `users`"),
        (r#"{"user":"u"}"#.to_owned(), "`user` is a string, not an object"),
        (format!(r#"{{"user":{{"id":"u",{AT}}},"preferences":[]}}"#), "`preferences` is an array, not an object"),
        (format!(r#"{{"user":{{"id":"u",{AT}}},"channel_data":null}}"#), "`channel_data` is null, not an object"),
        (format!(r#"{{"user":{{{AT}}}}}"#), "no `user.id`"),
        (r#"{"user":{"id":"u"}}"#.to_owned(), "no `user.updated_at`"),
        (format!(r#"{{"user":{{"id":1,{AT}}}}}"#), "`user.id` is not a string"),
        (format!(r#"{{"user":{{"id":null,{AT}}}}}"#), "`user.id` is not a string"),
        (r#"{"user":{"id":"u","updated_at":1}}"#.to_owned(), "`user.updated_at` is not a string"),
        (format!(r#"{{"user":{{"id":"u",{AT},"name":1}}}}"#), "`user.name` is neither a string nor null"),
        (format!(r#"{{"user":{{"id":"u",{AT},"email":{{}}}}}}"#), "`user.email` is neither a string nor null"),
    ];
    for (stored, expected) in cases {
        assert_eq!(detail(&stored), format!("unreadable stored user: {expected}"), "{stored}");
    }
}

#[test]
fn a_record_past_512_mib_is_refused_before_it_is_read() {
    // The largest document the core reads: a tape's lengths and offsets
    // are 29 and 32 bits. Storage never holds one near it, but a caller
    // may hand any text to `merge`. At the bound the text is read (here it
    // stops at once, at a byte that is not UTF-8; read whole:
    // tests/bounded_work.rs); one byte past, it is refused unread.
    let detail = |bytes: usize| {
        // Zeroed memory is given by the system at once; only its first page is written.
        let mut text = vec![0_u8; bytes];
        text[0] = 0xff;
        match StoredUser::from_json(&text) {
            Err(IdentifyError::InvalidStoredRecord { detail }) => detail,
            other => panic!("expected an unreadable record, got {other:?}"),
        }
    };
    assert_eq!(detail((1 << 29) - 1), "unreadable stored user: invalid UTF-8 at line 1 column 1");
    assert_eq!(detail(1 << 29), "unreadable stored user: the document is larger than 536870911 bytes");
}

#[test]
fn parts_nested_as_deep_as_a_record_may_be_are_answered() {
    // A record is nested at most 65 levels (a body's 64, one level down),
    // so each of its parts at most 64: here the record, the part, its
    // entry and 62 arrays.
    let deep = format!("{}1{}", "[".repeat(62), "]".repeat(62));
    let record = format!(
        r#"{{"user":{{"id":"user-1","updated_at":"2020-01-01T00:00:00.000Z"}},"preferences":{{"default":{{"x":{deep}}}}},"channel_data":{{"c":{{"x":{deep}}}}}}}"#
    );
    let user = read(&record);
    assert_eq!(channel_data_answer(&user, "c").map(|answer| answer.contains(&deep)), Some(true));
    assert!(preference_set_answer(&user, "default").contains(&deep));
    assert!(preference_sets_answer(&user).contains(&deep));
}
