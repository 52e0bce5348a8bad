//! Documentation that states what the code does must say what it does
//! now: figures that come from a command are compared with a fresh run.

use xtask::bench::{block_after, doc_block, markdown, measure, BREAKDOWN_BEGIN, DOC};

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

#[test]
fn docs_show_the_path_breakdowns_of_the_code() {
    let root = xtask::workspace_root();
    let doc = std::fs::read_to_string(root.join(DOC)).expect("docs/benchmarks.md");
    let written = block_after(&doc, BREAKDOWN_BEGIN).expect("docs/benchmarks.md has a breakdown");
    let traced = xtask::breakdown::markdown(&xtask::breakdown::run(&root).expect("the trace runs"));
    assert!(
        written == traced,
        "{DOC}'s breakdown is stale: run `cargo xtask bench --breakdown --markdown`.\n\
         --- in {DOC} ---\n{written}\n--- traced now ---\n{traced}"
    );
}
