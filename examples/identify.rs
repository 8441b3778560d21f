//! Identify from the command line: `cargo run --example identify -- USER_ID [BODY_FILE]`
//! reads a request body (a file, or standard input), runs it through the
//! core against an empty store and prints the response or the errors as
//! the API would answer them.

use knock_identify::{identify, Timestamp};
use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let mut args = std::env::args().skip(1);
    let user_id = args.next().unwrap_or_else(|| "user-1".to_owned());
    let mut body = Vec::new();
    let read = match args.next() {
        Some(path) => std::fs::read(&path).map(|bytes| body = bytes),
        None => std::io::stdin().read_to_end(&mut body).map(drop),
    };
    if let Err(error) = read {
        eprintln!("cannot read the body: {error}");
        std::process::exit(2);
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64);
    let answer = match identify(None, &user_id, &body, Timestamp::from_millis(now)) {
        Ok(record) => {
            serde_json::json!({ "status": 200, "user": serde_json::from_str::<serde_json::Value>(record.user_json()).ok() })
        }
        Err(error) => serde_json::json!({
            "status": error.status(),
            "code": error.code(),
            "message": error.to_string(),
            "errors": error.problems(),
        }),
    };
    println!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
}
