//! Golden summaries: the demo manifest's layout is deterministic (it does
//! not depend on the programs' sizes), so `cargo xtask check` prints the
//! same text every time. After a deliberate change, rewrite the files with
//! `VESPER_BLESS=1 cargo test -p vesper-builder --test golden`.

use std::collections::BTreeSet;
use std::path::Path;
use vesper_builder::{Manifest, Summary};

/// Checks the summary of `manifest` (relative to the workspace root)
/// against the file `golden` in this folder.
fn check(manifest: &str, golden: &str) {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("../..");
    let programs: BTreeSet<String> =
        ["hello", "periodic", "shell", "sleeper", "spin", "supervisor", "uart"]
            .into_iter()
            .map(String::from)
            .collect();
    let text = std::fs::read_to_string(root.join(manifest)).unwrap();
    let parsed = Manifest::parse(&text, Path::new(manifest), &programs)
        .unwrap_or_else(|err| panic!("{err:#}"));
    let summary = Summary::checked(&parsed).to_string();
    let golden = here.join("tests").join(golden);
    if std::env::var_os("VESPER_BLESS").is_some() {
        std::fs::write(&golden, &summary).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        summary == expected,
        "the summary of {manifest} changed; if that is intended, run with VESPER_BLESS=1.\n\
         --- expected ({}) ---\n{expected}--- got ---\n{summary}",
        golden.display()
    );
}

#[test]
fn the_demo_layout_is_stable() {
    check("images/demo.toml", "demo.summary");
}

#[test]
fn the_full_example_summary_is_stable() {
    check("images/builder/tests/full.toml", "full.summary");
}
