//! Reading an arbitrary stored record (storage, or a caller of the npm
//! package, hands over any bytes): an error or a record, never a panic; a
//! record read is canonical (it reads back as itself), and an identify
//! merges into it or says why not.
#![no_main]

use knock_identify::{identify, IdentifyError, StoredUser, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = StoredUser::from_json(data) else { return };
    let again = StoredUser::from_json(record.as_json().as_bytes()).expect("a canonical record reads back");
    assert_eq!(again.as_json(), record.as_json());
    let id = record.user_id().into_owned();
    if knock_identify::check_user_id(&id).is_err() {
        return;
    }
    match identify(Some(data), &id, br#"{"name": "x"}"#, Timestamp::from_millis(0)) {
        Ok(merged) => assert!(merged.user_json().contains(r#""name":"x""#)),
        // A record from outside may already be past a limit.
        Err(IdentifyError::InvalidParams(problems)) => assert!(problems.iter().all(|p| p.message.contains("would take"))),
        Err(error) => panic!("a record that reads cannot be merged into: {error:?}"),
    }
});
