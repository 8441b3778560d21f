//! The fixture corpus through the native core: one test per case.

#[macro_use]
#[allow(dead_code)] // parts serve the wasm suites only
mod support;

macro_rules! native_case {
    ($test:ident, $name:expr, $text:expr) => {
        #[test]
        fn $test() {
            if let Err(difference) = support::run_case($name, $text) {
                panic!("{difference}");
            }
        }
    };
}

for_each_fixture!(native_case);

#[test]
fn corpus_has_every_case() {
    assert!(support::FIXTURES.len() >= 150, "the corpus has {} cases", support::FIXTURES.len());
}
