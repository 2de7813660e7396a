//! Marks the build of the integration tests' Postgres half: with `TEST_DATABASE_URL` set,
//! `cfg(postgres_tests)` is on and those tests run; without it they are compiled as ignored, so
//! `cargo test` reports them as ignored instead of as passed tests that did nothing.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
