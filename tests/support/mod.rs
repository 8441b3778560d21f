//! Runs one fixture case (see tests/fixtures/README.md) through the Rust
//! core. Shared by the native and the wasm test suites.

use knock_identify::{identify, IdentifyError, StoredUser, Timestamp};
use serde_json::{json, Value};

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// The clock of every fixture write: 2024-06-01T00:00:00.000Z.
pub const FIXTURE_NOW: Timestamp = Timestamp(1_717_200_000_000);

/// The request body a case sends, as bytes.
pub fn case_body(case: &Value) -> Vec<u8> {
    if let Some(body) = case.get("body") {
        return serde_json::to_vec(body).expect("a JSON value serializes");
    }
    if let Some(text) = case["raw_body"].as_str() {
        return text.as_bytes().to_vec();
    }
    let pieces = case["raw_body_repeat"].as_array().expect("a case has body, raw_body or raw_body_repeat");
    let mut body = Vec::new();
    for piece in pieces {
        let text = piece[0].as_str().expect("piece text");
        let count = piece[1].as_u64().expect("piece count") as usize;
        body.extend(text.repeat(count).into_bytes());
    }
    body
}

/// Runs a case through [`identify`]; `Err` says how the answer differs.
pub fn run_case(name: &str, text: &str) -> Result<(), String> {
    let case: Value = serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let user_id = case["user_id"].as_str().ok_or_else(|| format!("{name}: no user_id"))?;
    let mut stored: Option<StoredUser> = None;
    for (index, before) in case["before"].as_array().into_iter().flatten().enumerate() {
        let body = serde_json::to_vec(before).expect("a JSON value serializes");
        let record = identify(stored.take(), user_id, &body, FIXTURE_NOW)
            .map_err(|e| format!("{name}: before[{index}] failed: {e} {:?}", e.problems()))?;
        stored = Some(record);
    }
    let expect = &case["expect"];
    let answer = match identify(stored, user_id, &case_body(&case), FIXTURE_NOW) {
        Ok(record) => {
            let mut user = serde_json::to_value(&record.user).expect("a user serializes");
            let updated_at = user.as_object_mut().and_then(|u| u.remove("updated_at"));
            if updated_at != Some(json!("2024-06-01T00:00:00.000Z")) {
                return Err(format!("{name}: updated_at is {updated_at:?}"));
            }
            let mut answer = json!({ "status": 200, "user": user });
            if expect.get("preferences").is_some() {
                answer["preferences"] = Value::Object(record.preferences);
            }
            if expect.get("channel_data").is_some() {
                answer["channel_data"] = Value::Object(record.channel_data);
            }
            answer
        }
        Err(error) => error_answer(&error, expect),
    };
    if &answer == expect {
        Ok(())
    } else {
        Err(format!(
            "{name}: {}\n  expected: {expect}\n  got:      {answer}",
            case["description"].as_str().unwrap_or_default()
        ))
    }
}

/// The error as a case states it; `message_contains` is kept when it holds.
fn error_answer(error: &IdentifyError, expect: &Value) -> Value {
    let mut answer = json!({ "status": error.status(), "code": error.code() });
    if let IdentifyError::InvalidParams(problems) = error {
        answer["errors"] = serde_json::to_value(problems).expect("problems serialize");
    }
    if let Some(part) = expect["message_contains"].as_str() {
        let message = error.to_string();
        answer["message_contains"] = if message.contains(part) { json!(part) } else { json!(message) };
    }
    answer
}
