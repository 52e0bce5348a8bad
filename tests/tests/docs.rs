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

#[test]
fn the_tutorial_figures_are_drawn_by_the_code() {
    let root = xtask::workspace_root();
    let scratch = root.join("target").join("test-figures");
    let figures = xtask::figures::draw(&root, &scratch).expect("the figures are drawn");
    for (name, drawn) in &figures.files {
        let path = root.join(xtask::figures::DIR).join(name);
        let committed = std::fs::read(&path).unwrap_or_default();
        // A picture is compared pixel by pixel: another PNG encoder may
        // write the same picture in other bytes.
        let same = if name.ends_with(".png") {
            let fresh = scratch.join("fresh.png");
            std::fs::write(&fresh, drawn).unwrap();
            let pixels = |png: &std::path::Path| xtask::screenshot::read_png(png).ok();
            pixels(&path).is_some() && pixels(&path) == pixels(&fresh)
        } else {
            committed == *drawn
        };
        assert!(same, "{} is stale: run `cargo xtask figures`", path.display());
    }
    let tutorial = std::fs::read_to_string(root.join(xtask::figures::TUTORIAL)).unwrap();
    assert_eq!(
        xtask::figures::current_table(&tutorial),
        Some(figures.table.as_str()),
        "docs/tutorial.md's table is stale: run `cargo xtask figures`"
    );
}
