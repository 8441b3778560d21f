//! The whole identify step on a typical ~600-byte request against a stored
//! user: parse, validate, merge and write the new record (whose user is
//! the response).
//!
//! `cargo bench --bench identify`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use knock_identify::{identify, StoredUser, Timestamp};
use std::hint::black_box;

/// A typical identify body: every standard field, a few custom properties,
/// a preference set and one push channel (about 600 bytes).
pub const REQUEST: &str = r#"{"name":"Jane Doe","email":"jane.doe@example.com","phone_number":"+14155552671","timezone":"America/New_York","locale":"en-US","avatar":"https://cdn.example.com/avatars/jane.png","created_at":"2024-05-01T12:00:00Z","plan":{"tier":"pro","seats":12,"addons":["sso","audit-log"]},"company":"Acme Inc.","signup_source":"web","trial":false,"preferences":{"default":{"channel_types":{"email":true,"sms":false,"push":true},"workflows":{"weekly-digest":false,"welcome":true},"commercial_subscribed":true}},"channel_data":{"97c5837d-c65c-4d54-aa39-080eeb81c69d":{"tokens":["fcm-token-abcdef0123456789"]}}}"#;

/// The body of an earlier identify that the stored user comes from.
const EARLIER: &str = r#"{"name":"Jane","email":"jane@example.com","plan":{"tier":"free","seats":1},"company":"Acme","preferences":{"default":{"channel_types":{"email":true}}}}"#;

fn bench(c: &mut Criterion) {
    let now = Timestamp::from_millis(1_717_200_000_000);
    let stored = identify(None, "user-1", EARLIER.as_bytes(), now).expect("the earlier body is valid");
    let stored_json = stored.as_json().as_bytes();

    let mut group = c.benchmark_group("identify");
    group.throughput(Throughput::Bytes(REQUEST.len() as u64));
    // The core's step as an edge runs it: the stored record as storage keeps
    // it (JSON text) in, the new record out; the response is a slice of it.
    group.bench_function("request_to_response", |b| {
        b.iter(|| {
            let record = identify(Some(black_box(stored_json)), "user-1", black_box(REQUEST.as_bytes()), now).unwrap();
            black_box(record.user_json().len())
        })
    });
    // Also read the stored record back as a value first and hand over the
    // new record's JSON (what a caller that keeps `StoredUser`s does).
    group.bench_function("with_stored_json_round_trip", |b| {
        b.iter(|| {
            let stored = StoredUser::from_json(black_box(stored_json)).unwrap();
            let record =
                identify(Some(stored.as_json().as_bytes()), "user-1", black_box(REQUEST.as_bytes()), now).unwrap();
            black_box(record.into_json())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
