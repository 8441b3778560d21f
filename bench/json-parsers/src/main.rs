//! `json-parsers PARSER N < document.json`: reads a JSON document on stdin,
//! then parses it N times with PARSER, for callgrind to count
//! (scripts/bench-core): `serde_json` reads it keeping nothing,
//! `simd-json` reads it into its tape (stage 1 classifies 32 or 64 bytes
//! at a time, as this machine's CPU allows).

use std::hint::black_box;
use std::io::Read;

fn main() {
    let mut args = std::env::args().skip(1);
    let parser = args.next().unwrap_or_default();
    let times: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let mut document = Vec::new();
    std::io::stdin().read_to_end(&mut document).expect("a document on stdin");
    let mut read = 0;
    for _ in 0..times {
        read += match parser.as_str() {
            "serde_json" => {
                serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&document)).map_or(0, |_| document.len())
            }
            "simd-json" => {
                // simd-json parses in place: each parse gets its own copy, as a request body would be.
                let mut copy = black_box(&document).clone();
                simd_json::to_tape(&mut copy).map_or(0, |tape| tape.0.len())
            }
            other => {
                eprintln!("unknown parser `{other}`: serde_json or simd-json");
                std::process::exit(2);
            }
        };
    }
    println!("{parser}: {times} times, {read} read");
}
