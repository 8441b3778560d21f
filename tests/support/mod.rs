//! Runs one fixture case (see tests/fixtures/README.md) through the Rust
//! core. Shared by the native and the wasm test suites.

use knock_identify::{identify, parse_request, IdentifyError, StoredUser, Timestamp};
use serde_json::{json, Value};

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// The clock of every fixture write: 2024-06-01T00:00:00.000Z.
pub const FIXTURE_NOW: Timestamp = Timestamp(1_717_200_000_000);

/// The request body a case sends, as bytes.
pub fn case_body(case: &Value) -> Vec<u8> {
    if let Some(body) = case.get("body") {
        return serde_json::to_vec(body).expect("a JSON value serializes");
    }
    if let Some(text) = case.get("raw_body") {
        return raw_body(text);
    }
    if let Some(pieces) = case.get("raw_body_bytes") {
        return raw_bytes(pieces);
    }
    raw_body(&case["raw_body_repeat"])
}

/// A body given as bytes, which JSON text cannot hold (invalid UTF-8): a
/// list of pieces, each a string (its UTF-8) or a list of byte values.
fn raw_bytes(spec: &Value) -> Vec<u8> {
    let pieces = spec.as_array().expect("raw_body_bytes is a list of pieces");
    let mut body = Vec::new();
    for piece in pieces {
        match piece {
            Value::String(text) => body.extend_from_slice(text.as_bytes()),
            Value::Array(bytes) => body.extend(bytes.iter().map(|byte| {
                let byte = byte.as_u64().expect("a byte is a number");
                u8::try_from(byte).expect("a byte is 0 to 255")
            })),
            other => panic!("a raw_body_bytes piece is a string or a list of bytes, not {other}"),
        }
    }
    body
}

/// A body given as text, or as `[piece, count]` pairs to repeat.
fn raw_body(spec: &Value) -> Vec<u8> {
    if let Some(text) = spec.as_str() {
        return text.as_bytes().to_vec();
    }
    let pieces = spec.as_array().expect("a raw body is a string or [piece, count] pairs");
    let mut body = Vec::new();
    for piece in pieces {
        let text = piece[0].as_str().expect("piece text");
        let count = piece[1].as_u64().expect("piece count") as usize;
        body.extend(text.repeat(count).into_bytes());
    }
    body
}

/// Whether a case's bodies are text (`raw_*`): runners send them as
/// JSON text, never as objects, so their numbers stay exact.
pub fn is_raw_case(case: &Value) -> bool {
    case.get("body").is_none()
}

/// The bodies a case identifies before its own, as bytes (`before` or `raw_before`).
pub fn case_before(case: &Value) -> Vec<Vec<u8>> {
    if let Some(raw) = case.get("raw_before") {
        return raw.as_array().expect("raw_before is a list").iter().map(raw_body).collect();
    }
    let before = case["before"].as_array().into_iter().flatten();
    before.map(|body| serde_json::to_vec(body).expect("a JSON value serializes")).collect()
}

/// Runs a case through [`identify`]; `Err` says how the answer differs.
pub fn run_case(name: &str, text: &str) -> Result<(), String> {
    let case: Value = serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let user_id = case["user_id"].as_str().ok_or_else(|| format!("{name}: no user_id"))?;
    let mut stored: Option<StoredUser> = None;
    for (index, body) in case_before(&case).iter().enumerate() {
        let record = identify(stored.as_ref().map(|r| r.as_json().as_bytes()), user_id, body, FIXTURE_NOW)
            .map_err(|e| format!("{name}: before[{index}] failed: {e} {:?}", e.problems()))?;
        stored = Some(record);
    }
    let expect = &case["expect"];
    let (stored, body) = (stored.as_ref().map(|r| r.as_json().as_bytes()), case_body(&case));
    let identified = identify(stored, user_id, &body, FIXTURE_NOW);
    // A valid request kept apart from its body (as the package keeps what
    // `validate` read) merges exactly as identify does.
    if let Ok(request) = parse_request(user_id, &body) {
        let kept = request.keep();
        if !kept.is_for(user_id, &body) {
            return Err(format!("{name}: the kept request is not for its own body"));
        }
        let merged = kept.merge(stored, FIXTURE_NOW);
        if merged.as_ref().map(StoredUser::as_json) != identified.as_ref().map(StoredUser::as_json) {
            return Err(format!("{name}: the kept request merges to {merged:?}, identify to {identified:?}"));
        }
    }
    let answer = match identified {
        Ok(record) => record_answer(record.as_json(), expect).map_err(|e| format!("{name}: {e}"))?,
        Err(error) => error_answer(&error, expect),
    };
    compare(name, &case, &answer)
}

/// A 200 answer as a case states it, from the record's JSON: the user
/// without `updated_at` (checked here) where the case has it, and the
/// stored preferences and channel data where the case has them. The record must read back as
/// itself, byte for byte (storage gives back what it was given).
pub fn record_answer(json: &str, expect: &Value) -> Result<Value, String> {
    let record = StoredUser::from_json(json.as_bytes()).map_err(|e| format!("the record does not read: {e:?}"))?;
    if record.as_json() != json {
        return Err(format!("the record does not read back as itself:\n{json}\n{}", record.as_json()));
    }
    let mut user: Value = serde_json::from_str(record.user_json()).map_err(|e| format!("user JSON: {e}"))?;
    let updated_at = user.as_object_mut().and_then(|u| u.remove("updated_at"));
    if updated_at != Some(json!("2024-06-01T00:00:00.000Z")) {
        return Err(format!("updated_at is {updated_at:?}"));
    }
    let whole: Value = serde_json::from_str(json).map_err(|e| format!("record JSON: {e}"))?;
    let mut answer = json!({ "status": 200 });
    if expect.get("user").is_some() {
        answer["user"] = user;
    }
    for key in ["preferences", "channel_data"] {
        if expect.get(key).is_some() {
            answer[key] = whole[key].clone();
        }
    }
    Ok(answer)
}

/// The error as a case states it; `message_contains` is kept when it holds.
pub fn error_answer(error: &IdentifyError, expect: &Value) -> Value {
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

/// `Ok` when `answer` is the case's `expect`, else how they differ.
pub fn compare(name: &str, case: &Value, answer: &Value) -> Result<(), String> {
    let expect = &case["expect"];
    if answer == expect {
        Ok(())
    } else {
        Err(format!(
            "{name}: {}\n  expected: {expect}\n  got:      {answer}",
            case["description"].as_str().unwrap_or_default()
        ))
    }
}
