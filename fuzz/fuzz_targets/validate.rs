//! `validate` on an arbitrary user id and body: never a panic, at most
//! 101 problems, paths that quote no key past 256 characters, and the same
//! answer as identify gives.
#![no_main]

use knock_identify::{identify, validate, IdentifyError, Timestamp, MAX_PROBLEMS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte says how much of the rest is the user id.
    let Some((&id_len, rest)) = data.split_first() else { return };
    let (id, body) = rest.split_at((id_len as usize).min(rest.len()));
    let Ok(user_id) = std::str::from_utf8(id) else { return };
    let problems = validate(user_id, body);
    assert!(problems.len() <= MAX_PROBLEMS + 1, "{} problems", problems.len());
    for problem in &problems {
        for segment in problem.field.split('.') {
            assert!(segment.chars().count() <= 256, "an uncut segment in {:?}", problem.field);
        }
    }
    match identify(None, user_id, body, Timestamp::from_millis(0)) {
        Ok(_) => assert!(problems.is_empty(), "identify accepted what validate refused: {problems:?}"),
        Err(error @ IdentifyError::InvalidStoredRecord { .. }) => panic!("no stored record was given: {error:?}"),
        Err(error) => assert_eq!(error.into_problems(), problems),
    }
});
