use knock_identify::{identify, validate, Timestamp};
const REQUEST: &str = r#"{"name":"Jane Doe","email":"jane.doe@example.com","phone_number":"+14155552671","timezone":"America/New_York","locale":"en-US","avatar":"https://cdn.example.com/avatars/jane.png","created_at":"2024-05-01T12:00:00Z","plan":{"tier":"pro","seats":12,"addons":["sso","audit-log"]},"company":"Acme Inc.","signup_source":"web","trial":false,"preferences":{"default":{"channel_types":{"email":true,"sms":false,"push":true},"workflows":{"weekly-digest":false,"welcome":true},"commercial_subscribed":true}},"channel_data":{"97c5837d-c65c-4d54-aa39-080eeb81c69d":{"tokens":["fcm-token-abcdef0123456789"]}}}"#;
const EARLIER: &str = r#"{"name":"Jane","email":"jane@example.com","plan":{"tier":"free","seats":1},"company":"Acme","preferences":{"default":{"channel_types":{"email":true}}}}"#;
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let now = Timestamp::from_millis(1_717_200_000_000);
    let stored = identify(None, "user-1", EARLIER.as_bytes(), now).unwrap();
    let t = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..n {
        total += match mode.as_str() {
            "validate" => validate("user-1", std::hint::black_box(REQUEST.as_bytes())).len(),
            _ => identify(
                Some(std::hint::black_box(stored.as_json().as_bytes())),
                "user-1",
                std::hint::black_box(REQUEST.as_bytes()),
                now,
            )
            .unwrap()
            .user_json()
            .len(),
        };
    }
    eprintln!("{mode}: {:.3} µs/op {}", t.elapsed().as_secs_f64() * 1e6 / n as f64, total);
}
