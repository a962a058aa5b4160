//! The conformance story: what every store must do, run against every backend.
//!
//! One file per capability, as the store is split (`balans_store::store`). Each
//! test is a generic function `fn name<B: Backend>()`; the `conformance!` line
//! at the end of its file instantiates it once per backend, and
//! `every_test_written_runs_on_every_backend` fails for a test that is written
//! but not named there. What the tests share is in `support.rs`.

use std::collections::BTreeSet;
use std::path::Path;

/// Instantiates the generic tests named, once per backend (a module per backend,
/// so `cargo test Postgres` runs one), and lists them for
/// `every_test_written_runs_on_every_backend`.
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        /// The tests this file instantiated on every backend.
        pub const INSTANTIATED: &[&str] = &[$(stringify!($test)),*];
        conformance!(@on Sqlite, $($test),*);
        conformance!(@on Postgres, $($test),*);
    };
    (@on $backend:ident, $($test:ident),*) => {
        #[allow(non_snake_case)]
        mod $backend {
            use balans_tests::Backend as _;
            use balans_tests::$backend as B;
            $(
                #[test]
                fn $test() {
                    if B::available() {
                        super::$test::<B>()
                    }
                }
            )*
        }
    };
}

mod accounts;
mod balances;
mod catalog;
mod credits;
mod directory;
mod export;
mod gestures;
mod import;
mod keeping;
mod model;
mod postgres_schema;
mod promises;
mod support;
mod transactions;

/// Every capability's instantiated tests.
const CAPABILITIES: &[&[&str]] = &[
    accounts::INSTANTIATED,
    balances::INSTANTIATED,
    catalog::INSTANTIATED,
    credits::INSTANTIATED,
    directory::INSTANTIATED,
    export::INSTANTIATED,
    promises::INSTANTIATED,
    gestures::INSTANTIATED,
    import::INSTANTIATED,
    keeping::INSTANTIATED,
    transactions::INSTANTIATED,
];

/// The model-based property test, on every backend.
macro_rules! model_on {
    ($($backend:ident),*) => {
        $(
            #[allow(non_snake_case)]
            mod $backend {
                use balans_tests::Backend as _;
                use balans_tests::$backend as B;
                proptest::proptest! {
                    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]
                    #[test]
                    fn balances_equal_the_sum_of_gestures(ops in crate::model::operations()) {
                        if B::available() {
                            crate::model::run::<B>(ops);
                        }
                    }

                    #[test]
                    fn credits_follow_the_model(ops in crate::model::credits::operations()) {
                        if B::available() {
                            crate::model::credits::run::<B>(ops);
                        }
                    }

                    #[test]
                    fn promises_follow_the_model(ops in crate::model::promises::operations()) {
                        if B::available() {
                            crate::model::promises::run::<B>(ops);
                        }
                    }
                }
            }
        )*
    };
}

mod property {
    model_on!(Sqlite, Postgres);
}

/// The conformance tests written in `source`: functions generic over the
/// backend that take nothing.
fn tests_written(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let rest = line.strip_prefix("pub fn ").or(line.strip_prefix("fn "))?;
            let (name, after) = rest.split_once('<')?;
            after.starts_with("B: Backend>()").then_some(name)
        })
        .collect()
}

/// A test that is written but not instantiated would pass by unseen: every one
/// in this directory must be named on its file's `conformance!` line, and every
/// file with tests must be a module of this suite.
#[test]
fn every_test_written_runs_on_every_backend() {
    let instantiated: BTreeSet<&str> = CAPABILITIES
        .iter()
        .flat_map(|tests| tests.iter().copied())
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut written = Vec::new();
    let mut files = vec![dir];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            for name in tests_written(&source) {
                written.push(format!("{}: {name}", path.display()));
                if !instantiated.contains(name) {
                    panic!(
                        "{}: {name} is written but not instantiated for every backend: name it on the file's conformance! line",
                        path.display()
                    );
                }
            }
        }
    }
    assert_eq!(
        written.len(),
        instantiated.len(),
        "tests written: {written:#?}"
    );
}

#[test]
fn a_test_is_told_from_a_helper() {
    let source = "pub fn a_test<B: Backend>() {}\nfn helper<B: Backend>(n: usize) {}\n    fn inner<S: Store>() {}\nfn other_test<B: Backend>() {\n";
    assert_eq!(tests_written(source), ["a_test", "other_test"]);
}
