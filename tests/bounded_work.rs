//! Bodies built to multiply the core's work: every one gets its answer, and
//! validating it never holds more memory than a few times the body (§2:
//! memory and time linear in the body; at most 100 problems listed), nor
//! checking a bulk body of 10 MiB more than about the body again (§5b,
//! §5c).
//!
//! Its own binary, so the counting allocator sees no other suite; its tests
//! take turns (`MEASURING`), so none sees another's allocations.

use knock_identify::{
    bulk_delete_user_ids, bulk_identify_users, bulk_set_preferences, validate, BulkUser, IdentifyError, ProblemType,
    StoredUser, MAX_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_BULK_USERS, MAX_PROBLEMS,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The system allocator, counting the bytes held now and at most.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let held = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(held, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(pointer, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Held by the test measuring, so the other waits instead of allocating.
static MEASURING: Mutex<()> = Mutex::new(());

/// Runs `work`, returning its result and the peak bytes held meanwhile
/// beyond what was held before.
fn measured<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = work();
    (result, PEAK.load(Ordering::Relaxed) - before)
}

/// What a case checks of the problems.
type Check = Box<dyn Fn(&[knock_identify::Problem])>;

/// The most memory validating a body may hold beyond the body itself.
const MAX_TIMES_THE_BODY: usize = 8;

/// A body of at most 1 MiB: `head`, then `piece` as often as fits, then `tail`.
fn filled(head: &str, piece: &str, separator: &str, tail: &str) -> String {
    let room = MAX_BODY_BYTES - head.len() - tail.len();
    let count = (room + separator.len()) / (piece.len() + separator.len());
    let mut body = String::with_capacity(MAX_BODY_BYTES);
    body.push_str(head);
    for index in 0..count {
        if index > 0 {
            body.push_str(separator);
        }
        body.push_str(piece);
    }
    body.push_str(tail);
    assert!(body.len() <= MAX_BODY_BYTES, "{}", body.len());
    body
}

#[test]
fn bodies_that_multiply_work_cost_at_most_a_few_times_their_size() {
    let _turn = MEASURING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let long_set_id = "s".repeat(524_200);
    let long_channel_id = "c".repeat(524_200);
    let keys: String = (0..60_000).map(|i| format!("\"k{i:06}\":0")).collect::<Vec<_>>().join(",");
    let long_keys: String =
        (0..900).map(|i| format!("\"{i:04}{}\":0", "k".repeat(1_100))).collect::<Vec<_>>().join(",");
    let deep_long = format!("{{\"preferences\":{}{{\"{}", "{\"x\":".repeat(61), "k".repeat(900_000));
    let cases: Vec<(&str, String, Check)> = vec![
        (
            "the fuzzer's body: a 524,200-character set id over ~260,000 bad conditions",
            filled(
                &format!("{{\"preferences\": {{\"{long_set_id}\": {{\"channels\": {{\"c\": {{\"conditions\": ["),
                "0",
                ", ",
                "]}}}}}",
            ),
            Box::new(|problems| {
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].kind, ProblemType::TooLong);
                assert!(
                    problems[0].field.ends_with('…') && problems[0].field.chars().count() == "preferences.".len() + 256
                );
            }),
        ),
        (
            "a 524,200-character channel id over ~260,000 bad tokens",
            filled(&format!("{{\"channel_data\": {{\"{long_channel_id}\": {{\"tokens\": ["), "0", ",", "]}}}"),
            Box::new(|problems| {
                assert_eq!(problems.len(), MAX_PROBLEMS + 1);
                assert_eq!(problems[MAX_PROBLEMS].kind, ProblemType::TooManyProblems);
                assert!(problems.iter().all(|problem| problem.field.chars().count() <= 300), "paths are cut");
            }),
        ),
        (
            "an array of ~520,000 zeros as the body",
            filled("[", "0", ",", "]"),
            Box::new(|problems| assert_eq!(problems[0].message, "expected the body to be a JSON object, got an array")),
        ),
        (
            "~350,000 empty arrays in a custom property",
            filled("{\"a\":[", "[]", ",", "]}"),
            Box::new(|problems| assert_eq!(problems[0].kind, ProblemType::TooLarge)),
        ),
        (
            "60,000 distinct keys",
            format!("{{{keys}}}"),
            Box::new(|problems| assert_eq!(problems[0].kind, ProblemType::TooLarge)),
        ),
        (
            "900 keys of 1,104 characters",
            format!("{{{long_keys}}}"),
            Box::new(|problems| {
                assert_eq!(problems.len(), MAX_PROBLEMS + 1);
                assert_eq!(problems[0].message, "custom property keys have at most 256 characters, got 1104");
            }),
        ),
        (
            "62 levels of objects ending in a 900,000-character key",
            format!("{deep_long}\":0{}", "}".repeat(63)),
            Box::new(|problems| assert_eq!(problems[0].kind, ProblemType::UnknownValue)),
        ),
        (
            "a string of ~170,000 escapes",
            filled("{\"name\":\"", "\\u00e9", "", "\"}"),
            Box::new(|problems| assert_eq!(problems[0].kind, ProblemType::TooLong)),
        ),
        (
            "~130,000 conditions, each with an unknown key",
            filled(
                "{\"preferences\":{\"d\":{\"channel_types\":{\"email\":{\"conditions\":[",
                "{\"a\":0}",
                ",",
                "]}}}}}",
            ),
            Box::new(|problems| assert_eq!(problems.len(), MAX_PROBLEMS + 1)),
        ),
    ];
    for (name, body, check) in cases {
        let (problems, peak) = measured(|| validate("user-1", body.as_bytes()));
        check(&problems);
        let ratio = peak as f64 / body.len() as f64;
        println!("{name}: {} bytes, peak {peak} bytes held ({ratio:.2}x), {} problems", body.len(), problems.len());
        assert!(peak <= MAX_TIMES_THE_BODY * body.len(), "{name}: peak {peak} bytes for a body of {}", body.len());
    }
}

/// What a bulk case checks of the answer.
type BulkCheck = Box<dyn Fn(&Result<Vec<BulkUser>, IdentifyError>)>;

/// A bulk case: its name, its body, its bound in bodies, and its check.
type BulkCase = (&'static str, String, f64, BulkCheck);

/// The most memory checking the largest bulk body (10 MiB) may hold, in
/// bodies: the users' bodies kept for the answer (canonical, so at most
/// the body), and beside them one user, in a tape of at most 4 MiB
/// (524,288 nodes: a user of more is too large and gets none) with its
/// decoded strings (at most its text). About the body and 5 MiB.
const MAX_TIMES_THE_BULK_BODY: f64 = 1.5;

/// `{"users":[...]}` of `count` users, `user(index, room)` each, where
/// `room` is each user's share of the largest bulk body.
fn bulk_of(count: usize, user: impl Fn(usize, usize) -> String) -> String {
    let room = (MAX_BULK_BODY_BYTES - r#"{"users":[]}"#.len() - (count - 1)) / count;
    let users: Vec<String> = (0..count).map(|index| user(index, room)).collect();
    let body = format!(r#"{{"users":[{}]}}"#, users.join(","));
    assert!(body.len() <= MAX_BULK_BODY_BYTES, "{}", body.len());
    body
}

/// A user of at most `room` bytes: its id, `fields`, then login events.
fn user_with_events(index: usize, room: usize, fields: &str) -> String {
    const EVENT: &str = r#"{"at":"2024-05-01T12:00:00.000Z","kind":"login"}"#;
    let head = format!(r#"{{"id":"user-{index:04}",{fields}"events":["#);
    let count = (room - head.len() - "]}".len() + 1) / (EVENT.len() + 1);
    format!("{head}{}]}}", vec![EVENT; count].join(","))
}

/// `head`, then `piece` as often as fits in the largest bulk body, then `tail`.
fn bulk_filled(head: &str, piece: &str, separator: &str, tail: &str) -> String {
    let room = MAX_BULK_BODY_BYTES - head.len() - tail.len();
    let count = (room + separator.len()) / (piece.len() + separator.len());
    let body = format!("{head}{}{tail}", vec![piece; count].join(separator));
    assert!(body.len() <= MAX_BULK_BODY_BYTES, "{}", body.len());
    body
}

fn problems_of(answer: &Result<Vec<BulkUser>, IdentifyError>) -> Vec<(String, ProblemType)> {
    match answer {
        Err(IdentifyError::InvalidParams(problems)) => {
            problems.iter().map(|problem| (problem.field.clone(), problem.kind)).collect()
        }
        other => panic!("expected a 422, got {:?}", other.as_ref().map(Vec::len)),
    }
}

#[test]
fn the_largest_bulk_bodies_cost_at_most_a_few_times_their_size() {
    let _turn = MEASURING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let valid = bulk_of(MAX_BULK_USERS, |index, room| {
        user_with_events(index, room, r#""name":"Jane","email":"jane@example.com","plan":{"tier":"pro"},"#)
    });
    let cut_short = format!("{}x", &valid[..valid.len() - 1]);
    let cut_short_error =
        format!("the body is not valid JSON: expected `,` or `}}` at line 1 column {}", cut_short.len());
    let too_large = |field: &str| vec![(field.to_owned(), ProblemType::TooLarge)];
    let cases: Vec<BulkCase> = vec![
        (
            "1,000 users of ~10 KiB",
            valid,
            MAX_TIMES_THE_BULK_BODY,
            Box::new(|answer| assert_eq!(answer.as_ref().map(Vec::len).ok(), Some(MAX_BULK_USERS))),
        ),
        (
            "1,000 users of ~10 KiB, two bad fields each",
            bulk_of(MAX_BULK_USERS, |index, room| {
                user_with_events(index, room, r#""email":"not an email","locale":"en_US","#)
            }),
            MAX_TIMES_THE_BULK_BODY,
            Box::new(|answer| {
                let problems = problems_of(answer);
                assert_eq!(problems.len(), MAX_PROBLEMS + 1);
                assert_eq!(problems[0], ("users.0.email".to_owned(), ProblemType::Format));
                assert_eq!(problems[MAX_PROBLEMS].1, ProblemType::TooManyProblems);
            }),
        ),
        (
            "1,000 users of ~10 KiB, then a wrong last byte",
            cut_short,
            MAX_TIMES_THE_BULK_BODY,
            Box::new(move |answer| match answer {
                Err(IdentifyError::InvalidJson { message }) => assert_eq!(message, &cut_short_error),
                other => panic!("{:?}", other.as_ref().map(Vec::len)),
            }),
        ),
        (
            "1,000 users, each ~10 KiB of spaces around a small body",
            bulk_of(MAX_BULK_USERS, |index, room| {
                let head = format!(r#"{{"id":"user-{index:04}","name":"Jane""#);
                format!("{head}{}}}", " ".repeat(room - head.len() - 1))
            }),
            MAX_TIMES_THE_BULK_BODY,
            Box::new(|answer| assert_eq!(answer.as_ref().map(Vec::len).ok(), Some(MAX_BULK_USERS))),
        ),
        (
            "one user of ~10 MiB: an array of zeros",
            bulk_filled(r#"{"users":[{"id":"a","zeros":["#, "0", ",", "]}]}"),
            MAX_TIMES_THE_BULK_BODY,
            Box::new(move |answer| assert_eq!(problems_of(answer), too_large("users.0"))),
        ),
        (
            "one user of ~10 MiB: a string of escapes",
            bulk_filled(r#"{"users":[{"id":"a","bio":""#, "\\u00e9", "", "\"}]}"),
            MAX_TIMES_THE_BULK_BODY,
            Box::new(move |answer| assert_eq!(problems_of(answer), too_large("users.0"))),
        ),
        (
            "one user of ~10 MiB: a string with one escape",
            bulk_filled(r#"{"users":[{"id":"a","bio":"\n"#, "x", "", "\"}]}"),
            MAX_TIMES_THE_BULK_BODY,
            Box::new(move |answer| assert_eq!(problems_of(answer), too_large("users.0"))),
        ),
        (
            "one user of ~9 MiB: 800,000 distinct keys",
            {
                let keys: Vec<String> = (0..800_000).map(|i| format!("\"{i:06}\":0")).collect();
                format!(r#"{{"users":[{{"id":"a",{}}}]}}"#, keys.join(","))
            },
            // The duplicate check holds each key of an open object (a node
            // and a record, 20 bytes, in vectors that double), as it does
            // for a single identify's body.
            MAX_TIMES_THE_BODY as f64,
            Box::new(move |answer| assert_eq!(problems_of(answer), too_large("users.0"))),
        ),
        (
            "one user beside an unknown key of ~10 MiB of zeros",
            bulk_filled(r#"{"users":[{"id":"a"}],"zeros":["#, "0", ",", "]}"),
            MAX_TIMES_THE_BULK_BODY,
            Box::new(|answer| assert_eq!(problems_of(answer), vec![("zeros".to_owned(), ProblemType::UnknownValue)])),
        ),
    ];
    for (name, body, max_times, check) in cases {
        let (answer, peak) = measured(|| bulk_identify_users(body.as_bytes()));
        check(&answer);
        drop(answer);
        let ratio = peak as f64 / body.len() as f64;
        println!("bulk, {name}: {} bytes, peak {peak} bytes held ({ratio:.2}x)", body.len());
        assert!(ratio <= max_times, "{name}: peak {peak} bytes for a body of {}", body.len());
    }
}

#[test]
fn the_largest_bulk_delete_and_preferences_bodies_cost_at_most_a_few_times_their_size() {
    let _turn = MEASURING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let problems = |answer: Result<(), IdentifyError>| match answer {
        Err(IdentifyError::InvalidParams(problems)) => {
            problems.into_iter().map(|problem| (problem.field, problem.kind)).collect::<Vec<_>>()
        }
        other => panic!("expected a 422, got {other:?}"),
    };
    let one = |field: &str, kind| vec![(field.to_owned(), kind)];
    let delete = |body: &str| bulk_delete_user_ids(body.as_bytes()).map(drop);
    let preferences = |body: &str| bulk_set_preferences(body.as_bytes()).map(drop);
    type Run = fn(&str) -> Result<(), IdentifyError>;
    type Problems = Vec<(String, ProblemType)>;
    let cases: Vec<(&str, String, Run, Problems)> = vec![
        (
            "bulk delete: ~2.6 million ids",
            bulk_filled(r#"{"user_ids":["#, r#""a""#, ",", "]}"),
            delete,
            one("user_ids", ProblemType::TooLarge),
        ),
        (
            "bulk delete: 1,000 ids beside ~10 MiB of zeros",
            bulk_filled(&format!(r#"{{"user_ids":[{}"a"],"zeros":["#, r#""a","#.repeat(999)), "0", ",", "]}"),
            delete,
            one("zeros", ProblemType::UnknownValue),
        ),
        (
            "bulk preferences: a set of ~10 MiB of zeros",
            bulk_filled(r#"{"user_ids":["a"],"preferences":{"workflows":{"w":["#, "0", ",", "]}}}"),
            preferences,
            one("preferences", ProblemType::TooLarge),
        ),
        (
            "bulk preferences: a set of ~9 MiB, 650,000 distinct keys",
            {
                let keys: Vec<String> = (0..650_000).map(|i| format!("\"{i:06}\":true")).collect();
                format!(r#"{{"user_ids":["a"],"preferences":{{"workflows":{{{}}}}}}}"#, keys.join(","))
            },
            preferences,
            one("preferences", ProblemType::TooLarge),
        ),
        (
            "bulk preferences: a set holding a string of ~10 MiB of escapes",
            bulk_filled(r#"{"user_ids":["a"],"preferences":{"workflows":{""#, "\\u00e9", "", r#"":true}}}"#),
            preferences,
            one("preferences", ProblemType::TooLarge),
        ),
    ];
    for (name, body, run, expected) in cases {
        let (answer, peak) = measured(|| run(&body));
        assert_eq!(problems(answer), expected, "{name}");
        let ratio = peak as f64 / body.len() as f64;
        println!("bulk by id, {name}: {} bytes, peak {peak} bytes held ({ratio:.2}x)", body.len());
        // The duplicate check holds each key of an open object, as for any body.
        let max_times =
            if name.contains("distinct keys") { MAX_TIMES_THE_BODY as f64 } else { MAX_TIMES_THE_BULK_BODY };
        assert!(ratio <= max_times, "{name}: peak {peak} bytes for a body of {}", body.len());
    }
}

/// The largest document the core reads (a tape's lengths and offsets are
/// 29 and 32 bits), as a stored record handed to `merge`: read, holding
/// at most a few times its text (buffers are sized from the text's length
/// before it is read). One byte more is refused unread (tests/stored_records.rs).
#[test]
fn the_largest_document_is_read_at_a_cost_at_most_a_few_times_its_size() {
    const MAX_DOCUMENT_BYTES: usize = (1 << 29) - 1;
    let _turn = MEASURING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let record = r#"{"user":{"id":"user-1","updated_at":"2020-01-01T00:00:00.000Z"}}"#;
    // `repeat` copies by doubling: a debug build fills 512 MiB at once.
    let text = [record, &" ".repeat(MAX_DOCUMENT_BYTES - record.len())].concat().into_bytes();
    let (user, held) = measured(|| StoredUser::from_json(&text).map(|user| user.user_id().into_owned()));
    assert_eq!(user, Ok("user-1".to_owned()));
    assert!(held <= MAX_TIMES_THE_BODY * text.len(), "held {held} bytes reading a record of {} bytes", text.len());
}
