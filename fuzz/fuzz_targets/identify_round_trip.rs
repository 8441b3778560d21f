//! Two identifies of one user, then storage's round trip: every record the
//! core writes reads back as itself, byte for byte, so a stored user never
//! drifts on identifies that do not touch it. The second identify also
//! runs as the package's `validate` then `merge` do (the request kept
//! between them), to the same record or the same error.
#![no_main]

use knock_identify::{identify, parse_request, StoredUser, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first two bytes split the rest into the two bodies.
    let Some((split, rest)) = data.split_first_chunk::<2>() else { return };
    let at = (u16::from_le_bytes(*split) as usize).min(rest.len());
    let (first, second) = rest.split_at(at);
    let Ok(record) = identify(None, "user-1", first, Timestamp::from_millis(1)) else { return };
    assert_reads_back(&record);
    let stored = Some(record.as_json().as_bytes());
    let merged = identify(stored, "user-1", second, Timestamp::from_millis(2));
    if let Ok(request) = parse_request("user-1", second) {
        let kept = request.keep().merge(stored, Timestamp::from_millis(2));
        assert_eq!(kept.as_ref().map(StoredUser::as_json), merged.as_ref().map(StoredUser::as_json));
    }
    let Ok(merged) = merged else { return };
    assert_reads_back(&merged);
    // An identify that changes nothing leaves every byte but `updated_at`.
    let again = identify(Some(merged.as_json().as_bytes()), "user-1", b"{}", Timestamp::from_millis(2))
        .expect("an empty identify of a stored user is accepted");
    assert_eq!(again.as_json(), merged.as_json());
});

fn assert_reads_back(record: &StoredUser) {
    let read = StoredUser::from_json(record.as_json().as_bytes()).expect("a record the core wrote reads back");
    assert_eq!(read.as_json(), record.as_json());
}
