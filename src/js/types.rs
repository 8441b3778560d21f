//! The package's TypeScript declarations (the shapes that cross the
//! boundary as plain objects, the client, the error classes of `errors.js`)
//! live in `types.d.ts`, a declaration file `tsc` checks; wasm-bindgen copies
//! it into the package's, and the tests below tie it to the Rust lists.

use wasm_bindgen::prelude::wasm_bindgen;

/// The declarations for the package, after a blank line that sets them
/// apart from wasm-bindgen's header.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = concat!("\n", include_str!("types.d.ts"));

/// The declarations, read by the tests that tie them to the Rust lists.
#[cfg(test)]
const DECLARATIONS: &str = include_str!("types.d.ts");

#[cfg(test)]
mod tests {
    use super::DECLARATIONS as TYPES;
    use crate::validate::CHANNEL_TYPES;
    use crate::{ProblemType, StandardField};

    /// The string literals of the union `export type {name} = ...;`.
    fn union(name: &str) -> Vec<String> {
        let start = TYPES.find(&format!("export type {name} =")).unwrap_or_else(|| panic!("no union {name}"));
        let body = &TYPES[start..start + TYPES[start..].find(';').expect("the union ends")];
        body.split('"').skip(1).step_by(2).map(str::to_owned).collect()
    }

    #[test]
    fn the_declared_unions_are_the_rust_lists() {
        let problem_types: Vec<String> = ProblemType::ALL.iter().map(|kind| kind.as_str().to_owned()).collect();
        assert_eq!(union("ProblemType"), problem_types);
        assert_eq!(union("ChannelType"), CHANNEL_TYPES);
        let fields: Vec<&str> = StandardField::ALL.iter().map(|field| field.key()).collect();
        assert_eq!(union("StandardField"), fields);
    }

    #[test]
    fn the_body_and_the_user_declare_every_standard_field() {
        for field in StandardField::ALL.map(StandardField::key) {
            assert!(TYPES.contains(&format!("\n  {field}?: string | null;\n")), "IdentifyBody lacks {field}");
            assert!(TYPES.contains(&format!("\n  {field}: string | null;\n")), "User lacks {field}");
        }
    }
}
