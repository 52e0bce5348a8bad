//! The display service and the timeline on QEMU's screen, seen as a person
//! would see them: each image runs to a virtual time under `-icount`, its
//! kernel halts (the board kernel's end), and QEMU's screendump of that
//! instant is checked pixel by pixel (`cargo xtask screenshot`).

use std::path::PathBuf;
use std::time::Duration;
use vesper_abi::console::StatsLine;
use vesper_service::display::TEST_PATTERN;
use vesper_timeline::{
    extra_colour, guaranteed_colour, Timeline, BAR_HEIGHT, BAR_TOP, CHART_X, COLUMNS,
};
use xtask::screenshot::{read_png, screenshot, Screenshot};

/// A screenshot of `tests/manifests/NAME.toml` at `at_ns`, with the
/// picture decoded: width, height, pixels.
fn shot(name: &str, at_ns: u64) -> (Screenshot, u32, u32, Vec<[u8; 3]>) {
    let root = xtask::workspace_root();
    let manifest = root.join("tests/manifests").join(format!("{name}.toml"));
    let out: PathBuf = root.join("target/test-screens").join(format!("{name}.png"));
    let shot = screenshot(&root, &manifest, at_ns, &out, Duration::from_secs(600))
        .unwrap_or_else(|error| panic!("{name}: {error:#}"));
    let (width, height, pixels) = read_png(&out).expect("a PNG");
    (shot, width, height, pixels)
}

/// Fails with the run's console.
fn check(shot: &Screenshot, condition: bool, what: &str) {
    assert!(condition, "{what} ({})\n--- console ---\n{}", shot.png.display(), shot.console);
}

/// The state `domain`'s stats line gives.
fn state(shot: &Screenshot, domain: &str) -> String {
    let line = shot.console.lines().filter_map(StatsLine::parse).find(|l| l.domain == domain);
    line.map(|l| l.state.to_string()).unwrap_or_default()
}

/// Whether `got` is `want` as a screen of `depth` bits shows it: exactly
/// at 32 bits, to the 5 or 6 bits a colour keeps at 16 (RGB565).
fn same_colour(got: [u8; 3], want: (u8, u8, u8), depth: u32) -> bool {
    let want = [want.0, want.1, want.2];
    let slack = if depth == 16 { [8, 4, 8] } else { [0, 0, 0] };
    (0..3).all(|i| got[i].abs_diff(want[i]) <= slack[i])
}

#[test]
fn a_client_s_test_pattern_is_at_its_pixels_in_both_orders_and_depths() {
    for (name, depth) in [("display-rgb", 32), ("display-bgr", 32), ("display-16", 16)] {
        let (shot, width, height, pixels) = shot(name, 30_000_000);
        check(&shot, (width, height) == (320, 240), &format!("{name}: the manifest's size"));
        check(
            &shot,
            state(&shot, "pattern") == "exited(0)",
            &format!("{name}: presented, and refused off the screen"),
        );
        if name == "display-rgb" {
            let dropped = shot.console.lines().any(|line| {
                line.starts_with("[display] display: vandal: ")
                    && line.ends_with("the others are still served")
            });
            check(&shot, dropped, "the display driver drops the client that broke the protocol");
        }
        let at = |x: i32, y: i32| pixels[(y as u32 * width + x as u32) as usize];
        for (x, y, side, colour) in TEST_PATTERN {
            let side = side as i32;
            for (px, py) in [(x, y), (x + side - 1, y + side - 1), (x + side / 2, y + side / 2)] {
                let got = at(px, py);
                check(
                    &shot,
                    same_colour(got, colour, depth),
                    &format!("{name}: ({px}, {py}) is {got:?}, not {colour:?}"),
                );
            }
            let outside = at(x + side, y + side);
            check(
                &shot,
                outside == [0, 0, 0],
                &format!("{name}: just outside a square: {outside:?}"),
            );
        }
        // The yellow band, drawn from off the screen to past it: clipped.
        let band = height as i32 - 9;
        for x in [0, width as i32 / 2, width as i32 - 1] {
            let got = at(x, band);
            check(
                &shot,
                same_colour(got, (0xFF, 0xFF, 0), depth),
                &format!("{name}: the band at x {x}: {got:?}"),
            );
        }
        check(&shot, at(200, 120) == [0, 0, 0], &format!("{name}: the rest is black"));
    }
}

/// Each domain's share of the bars in its row, measured in the picture:
/// guaranteed and extra pixels, each over the chart's whole area.
fn measured_shares(pixels: &[[u8; 3]], width: u32, row: usize) -> (f64, f64) {
    let top = Timeline::row_top(row) + BAR_TOP;
    let colour = |c: embedded_graphics::pixelcolor::Rgb888| {
        use embedded_graphics::pixelcolor::RgbColor;
        [c.r(), c.g(), c.b()]
    };
    let (guaranteed, extra) = (colour(guaranteed_colour(row)), colour(extra_colour(row)));
    let (mut g, mut e) = (0u32, 0u32);
    for x in CHART_X..CHART_X + COLUMNS as i32 {
        for y in top..top + BAR_HEIGHT as i32 {
            let pixel = pixels[(y as u32 * width + x as u32) as usize];
            g += u32::from(pixel == guaranteed);
            e += u32::from(pixel == extra);
        }
    }
    let area = f64::from(COLUMNS as u32 * BAR_HEIGHT);
    (f64::from(g) / area, f64::from(e) / area)
}

/// The timeline's bars over its window match each domain's reservation:
/// within 1.5 percentage points (a column is a millisecond; the window, 400
/// of them, holds 40 of `a`'s periods). `c` may run in slack time too,
/// drawn in its lighter shade.
#[test]
fn the_timeline_s_bars_measure_each_domain_s_reservation() {
    let (shot, width, _, pixels) = shot("timeline", 500_000_000);
    check(&shot, !shot.console.contains("faulted"), "no domain faulted");
    // Rows: the timeline itself (`chart`), then the others in manifest
    // order.
    for (row, name, reserved) in [(1, "a", 0.20), (2, "b", 0.30), (3, "c", 0.10)] {
        let (guaranteed, extra) = measured_shares(&pixels, width, row);
        check(
            &shot,
            (guaranteed - reserved).abs() < 0.015,
            &format!("{name}: {guaranteed:.3} of the bars guaranteed, {reserved} reserved"),
        );
        if name == "c" {
            check(&shot, extra > 0.005, &format!("c's slack time is shown: {extra:.3}"));
        } else {
            check(&shot, extra == 0.0, &format!("{name} has no slack time: {extra:.3}"));
        }
    }
}
