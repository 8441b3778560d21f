//! Runs one step of the core in a loop, for instruction counts that do not
//! depend on the machine's load (docs/measurements.md):
//!
//! ```sh
//! cargo build --release --example steps
//! valgrind --tool=callgrind target/release/examples/steps identify 2000   # instructions / 2000
//! ```
//!
//! Steps: `validate` (the benchmark's request), `identify` (it, against the
//! stored record's JSON: the benchmark's `request_to_response`), `roundtrip`
//! (the same after reading the stored record as a `StoredUser`, and handing
//! over the new record's JSON: `with_stored_json_round_trip`), `flow` (the
//! package's `validate` then `merge` of the same body: the request read
//! and checked once, kept, then merged); `request` and `stored` print the
//! request and the stored record, for other parsers to read
//! (bench/json-parsers).

use knock_identify::{identify, parse_request, validate, IdentifyRequest, StoredUser, Timestamp};
use std::hint::black_box;

/// The core benchmark's request and stored user (bench/identify.rs).
const REQUEST: &str = r#"{"name":"Jane Doe","email":"jane.doe@example.com","phone_number":"+14155552671","timezone":"America/New_York","locale":"en-US","avatar":"https://cdn.example.com/avatars/jane.png","created_at":"2024-05-01T12:00:00Z","plan":{"tier":"pro","seats":12,"addons":["sso","audit-log"]},"company":"Acme Inc.","signup_source":"web","trial":false,"preferences":{"default":{"channel_types":{"email":true,"sms":false,"push":true},"workflows":{"weekly-digest":false,"welcome":true},"commercial_subscribed":true}},"channel_data":{"97c5837d-c65c-4d54-aa39-080eeb81c69d":{"tokens":["fcm-token-abcdef0123456789"]}}}"#;
const EARLIER: &str = r#"{"name":"Jane","email":"jane@example.com","plan":{"tier":"free","seats":1},"company":"Acme","preferences":{"default":{"channel_types":{"email":true}}}}"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let step = args.next().unwrap_or_else(|| "identify".into());
    let times: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let now = Timestamp::from_millis(1_717_200_000_000);
    let stored = identify(None, "user-1", EARLIER.as_bytes(), now).expect("the earlier body is valid");
    let stored = stored.as_json().as_bytes();
    let document = match step.as_str() {
        "request" => Some(REQUEST.as_bytes()),
        "stored" => Some(stored),
        _ => None,
    };
    if let Some(document) = document {
        println!("{}", String::from_utf8_lossy(document));
        return;
    }
    let request = REQUEST.as_bytes();
    let mut written = 0;
    for _ in 0..times {
        written += match step.as_str() {
            "validate" => validate("user-1", black_box(request)).len(),
            "identify" => {
                identify(Some(black_box(stored)), "user-1", black_box(request), now).map_or(0, |r| r.user_json().len())
            }
            "roundtrip" => {
                let read = StoredUser::from_json(black_box(stored)).expect("the stored record reads");
                identify(Some(read.as_json().as_bytes()), "user-1", black_box(request), now)
                    .map_or(0, |r| r.into_json().len())
            }
            "flow" => {
                let kept = parse_request("user-1", black_box(request)).map(IdentifyRequest::keep).expect("valid");
                assert!(kept.is_for("user-1", black_box(request)));
                kept.merge(Some(black_box(stored)), now).map_or(0, |r| r.user_json().len())
            }
            other => {
                eprintln!("unknown step `{other}`: validate, identify, roundtrip, flow, request or stored");
                std::process::exit(2);
            }
        };
    }
    println!("{step}: {times} times, {written} bytes written");
}
