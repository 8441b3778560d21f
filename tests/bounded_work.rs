//! Bodies built to multiply the core's work: every one gets its answer, and
//! validating it never holds more memory than a few times the body (§2:
//! memory and time linear in the body; at most 100 problems listed).
//!
//! One test in its own binary, so the counting allocator sees no other test.

use knock_identify::{validate, ProblemType, MAX_BODY_BYTES, MAX_PROBLEMS};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// What a case checks of the problems.
type Check = Box<dyn Fn(&[knock_identify::Problem])>;

/// The most memory validating a body may hold beyond the body itself.
const MAX_TIMES_THE_BODY: usize = 8;

/// Validates `body`, returning the problems and the peak bytes held meanwhile.
fn validate_measured(body: &[u8]) -> (Vec<knock_identify::Problem>, usize) {
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let problems = validate("user-1", body);
    (problems, PEAK.load(Ordering::Relaxed) - before)
}

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
        let (problems, peak) = validate_measured(body.as_bytes());
        check(&problems);
        let ratio = peak as f64 / body.len() as f64;
        println!("{name}: {} bytes, peak {peak} bytes held ({ratio:.2}x), {} problems", body.len(), problems.len());
        assert!(peak <= MAX_TIMES_THE_BODY * body.len(), "{name}: peak {peak} bytes for a body of {}", body.len());
    }
}
