//! Golden transcripts of the checker's messages: each manifest in
//! `errors/` is checked and its problems (or, for a valid manifest, its
//! warnings) rendered the way `cargo xtask check` prints them, without
//! colour, and compared with the `.txt` beside it. `docs/manifest.md`
//! shows some of these transcripts; a test keeps its copies equal to the
//! files. After a deliberate change, rewrite the files and the document's
//! copies with `VESPER_BLESS=1 cargo test -p vesper-builder --test errors`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use vesper_builder::manifest::{Report, Severity};
use vesper_builder::Manifest;

/// The programs the manifests may run. The transcripts do not depend on
/// them beyond these names (a misspelt program gets a suggestion, not the
/// list of every program), so `cargo xtask check` prints the same.
const PROGRAMS: [&str; 5] = ["domain-scheduler", "hello", "periodic", "sleeper", "spin"];

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the manifests and transcripts are, relative to the root.
const ERRORS_DIR: &str = "images/builder/tests/errors";

/// Whether to rewrite the transcripts instead of checking them.
fn blessing() -> bool {
    std::env::var_os("VESPER_BLESS").is_some()
}

/// The manifests in `errors/`, relative to the root, sorted.
fn manifests() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join(ERRORS_DIR))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".toml"))
        .map(|name| format!("{ERRORS_DIR}/{name}"))
        .collect();
    names.sort();
    names
}

/// What checking `manifest` (relative to the root) reports: its errors,
/// or the warnings of a valid manifest.
fn report(manifest: &str) -> Report {
    let programs: BTreeSet<String> = PROGRAMS.into_iter().map(String::from).collect();
    let text = std::fs::read_to_string(root().join(manifest)).unwrap();
    match Manifest::parse(&text, Path::new(manifest), &programs) {
        Ok(valid) => valid.warnings,
        Err(error) => error.downcast::<Report>().expect("the error is a report"),
    }
}

#[test]
fn every_bad_manifest_is_rendered_as_its_transcript() {
    let manifests = manifests();
    assert!(manifests.len() >= 3, "{manifests:?}");
    for manifest in manifests {
        let report = report(&manifest);
        assert!(!report.is_empty(), "{manifest} has nothing to report");
        let rendered = report.render(false);
        let golden = root().join(manifest.replace(".toml", ".txt"));
        if blessing() {
            std::fs::write(&golden, &rendered).unwrap();
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        assert!(
            rendered == expected,
            "the messages for {manifest} changed; if that is intended, run with VESPER_BLESS=1.\n\
             --- expected ({}) ---\n{expected}--- got ---\n{rendered}",
            golden.display()
        );
    }
}

#[test]
fn the_transcripts_cover_errors_and_warnings() {
    let severities: BTreeSet<_> = manifests()
        .iter()
        .map(|manifest| match report(manifest).severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
        .collect();
    assert_eq!(severities, ["error", "warning"].into());
}

/// The marker before a transcript's copy in a document: the fenced block
/// after it holds the file's text.
const MARKER: &str = "<!-- transcript: ";

/// The copies of transcripts in `doc`: for each, the file it copies and
/// the byte range of the copy (the fenced block's contents).
fn copies(doc: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = doc[from..].find(MARKER) {
        let start = from + at + MARKER.len();
        let end = start + doc[start..].find(" -->").expect("the marker is closed");
        let file = doc[start..end].to_string();
        let fence = end + doc[end..].find("```text\n").expect("a fenced block follows");
        let body = fence + "```text\n".len();
        let close = body + doc[body..].find("```\n").expect("the block is closed");
        found.push((file, body..close));
        from = close;
    }
    found
}

#[test]
fn the_transcripts_in_the_manifest_docs_are_the_real_output() {
    let path = root().join("docs/manifest.md");
    let mut doc = std::fs::read_to_string(&path).unwrap();
    let copies = copies(&doc);
    assert!(copies.len() >= 3, "docs/manifest.md shows {} transcripts", copies.len());
    // Back to front, so that rewriting one keeps the others' ranges.
    for (file, range) in copies.into_iter().rev() {
        let manifest = file.replace(".txt", ".toml");
        assert!(manifests().contains(&manifest), "docs/manifest.md copies {file}: no {manifest}");
        let rendered = report(&manifest).render(false);
        if blessing() {
            doc.replace_range(range, &rendered);
            continue;
        }
        assert!(
            doc[range.clone()] == rendered,
            "docs/manifest.md's copy of {file} differs from the real output; run with \
             VESPER_BLESS=1 to rewrite it.\n--- in the document ---\n{}--- the output ---\n{rendered}",
            &doc[range]
        );
    }
    if blessing() {
        std::fs::write(&path, doc).unwrap();
    }
}

/// The programs under `domains/` whose source calls `accessor` (the
/// DCB's `thread_specs()` or `member_specs()`), by name.
fn programs_reading(accessor: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for package in std::fs::read_dir(root().join("domains")).unwrap() {
        let bins = package.unwrap().path().join("src/bin");
        let Ok(entries) = std::fs::read_dir(&bins) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            // A binary is `src/bin/NAME.rs` or `src/bin/NAME/main.rs`.
            let source = if path.is_dir() { path.join("main.rs") } else { path.clone() };
            let Some(name) = path.file_stem().and_then(|stem| stem.to_str()) else { continue };
            let reads = std::fs::read_to_string(&source).is_ok_and(|s| s.contains(accessor));
            if reads && source.extension().is_some_and(|ext| ext == "rs") {
                found.insert(name.to_string());
            }
        }
    }
    found
}

#[test]
fn the_programs_that_run_threads_and_members_are_those_that_read_them() {
    use vesper_builder::manifest::{MEMBER_PROGRAMS, THREAD_PROGRAMS};
    for (listed, accessor, list) in [
        (&THREAD_PROGRAMS[..], "thread_specs()", "THREAD_PROGRAMS"),
        (&MEMBER_PROGRAMS[..], "member_specs()", "MEMBER_PROGRAMS"),
    ] {
        let listed: BTreeSet<String> = listed.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            listed,
            programs_reading(accessor),
            "{list} (images/builder/src/manifest/mod.rs) must name the domain programs that \
             read {accessor}: update it"
        );
    }
}
