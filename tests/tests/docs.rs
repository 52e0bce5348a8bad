//! Documentation that states what the code does must say what it does
//! now: figures that come from a command are compared with a fresh run.

use xtask::bench::{doc_block, markdown, measure, DOC};

#[test]
fn docs_show_the_benchmark_figures_of_the_code() {
    let root = xtask::workspace_root();
    let doc = std::fs::read_to_string(root.join(DOC)).expect("docs/benchmarks.md");
    let written = doc_block(&doc).expect("docs/benchmarks.md has its generated block");
    let measured = markdown(&measure(&root).expect("the benchmarks run"));
    assert!(
        written == measured,
        "{DOC} is stale: run `cargo xtask bench --markdown`.\n--- in {DOC} ---\n{written}\n\
         --- measured now ---\n{measured}"
    );
}
