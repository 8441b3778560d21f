//! Embeds the fixture corpus (`tests/fixtures/*.json`) into the test
//! binaries, so the wasm test suites, which cannot read files in a browser,
//! run the very same files as the native ones.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=tests/fixtures");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // A corpus that cannot be read must fail the build, not become empty.
    let entries = fs::read_dir(&dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|entry| entry.expect("a readable fixture directory entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    let mut out = String::from("/// (file name, contents) of every fixture in tests/fixtures.\n");
    out.push_str("pub const FIXTURES: &[(&str, &str)] = &[\n");
    for name in &names {
        let path = dir.join(name);
        out.push_str(&format!("    ({name:?}, include_str!({:?})),\n", path.display().to_string()));
    }
    out.push_str("];\n\n");
    // One test per case: `for_each_fixture!(m)` calls `m!(ident, "name", text)`.
    out.push_str("/// Calls `$m!(test_name, file_name, contents)` for every fixture.\n");
    out.push_str("#[allow(unused_macros)]\nmacro_rules! for_each_fixture {\n    ($m:ident) => {\n");
    for name in &names {
        let ident: String =
            name.trim_end_matches(".json").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let path = dir.join(name);
        out.push_str(&format!(
            "        $m!(case_{ident}, {name:?}, include_str!({:?}));\n",
            path.display().to_string()
        ));
    }
    out.push_str("    };\n}\n");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    fs::write(Path::new(&out_dir).join("fixtures.rs"), out).expect("OUT_DIR is writable");
}
