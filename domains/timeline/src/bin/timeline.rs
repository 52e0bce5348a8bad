//! `timeline`: the schedule, live, on the screen (the model and the
//! drawing are `vesper_timeline`'s; its documentation says what is shown).
//!
//! The manifest gives the domain a connection to the display service
//! (`services = ["display"]`) and a Domain capability with `READ` for each
//! domain to show (`supervises = ["*"]`: all of them). Every
//! [`INTERVAL_NS`] the domain reads each one's accounting with
//! `domain_info`, adds a column, and every [`FRAME_COLUMNS`] columns moves
//! the chart left, draws the new columns and the shares, and presents the
//! chart.

#![no_std]
#![no_main]

use heapless::Vec;
use vesper_abi::cap::{CapInfo, CapKind};
use vesper_abi::dcb::{Accounting, DomainInfo};
use vesper_activations::events::caps;
use vesper_activations::services::DisplayClient;
use vesper_activations::syscall::domain_info;
use vesper_activations::{now_ns, println, sleep_until};
use vesper_service::display::Rect;
use vesper_timeline::{Sample, Timeline, MAX_ROWS};

vesper_activations::main!(run);

/// How often the domains are sampled: one column each time.
pub const INTERVAL_NS: u64 = 2_500_000;
/// Columns drawn and presented at once.
pub const FRAME_COLUMNS: usize = 8;

fn run() {
    let Some(mut display) = DisplayClient::own() else {
        println!("timeline: no display (the manifest's `services = [\"display\"]`)");
        return;
    };
    let domains: Vec<CapInfo, MAX_ROWS> =
        caps().filter(|cap| cap.kind() == CapKind::Domain).take(MAX_ROWS).collect();
    let mut timeline = Timeline::new();
    let mut last: Vec<Accounting, MAX_ROWS> = Vec::new();
    for cap in &domains {
        let info = domain_info(cap.handle).unwrap_or_default();
        timeline.add_row(name_of(&info), info.reservation);
        let _ = last.push(info.accounting);
    }
    let _ = timeline.draw(&mut display);
    let screen = Rect { x: 0, y: 0, width: display.mode().width, height: display.mode().height };
    let whole = clip(timeline.area(), screen);
    let _ = display.present(whole);
    println!("timeline: {} domains, a column every {} us", domains.len(), INTERVAL_NS / 1000);
    let chart = clip(timeline.chart_area(), screen);
    let shown = Rect { width: screen.width - chart.x, ..chart };
    let mut at = now_ns();
    loop {
        sleep_until(at + INTERVAL_NS);
        let now = now_ns();
        let mut samples: Vec<Sample, MAX_ROWS> = Vec::new();
        for (cap, before) in domains.iter().zip(last.iter_mut()) {
            let after = domain_info(cap.handle).map_or(*before, |info| info.accounting);
            let _ = samples.push(Sample::between(before, &after));
            *before = after;
        }
        timeline.push(now - at, &samples);
        at = now;
        if timeline.pushed() % FRAME_COLUMNS == 0 {
            display.shift_left(chart, FRAME_COLUMNS as u32);
            let _ = timeline.draw_latest(&mut display, FRAME_COLUMNS);
            let _ = display.present(shown);
        }
    }
}

/// A domain's name, from its `DomainInfo`.
fn name_of(info: &DomainInfo) -> &str {
    let len = info.name.iter().position(|&b| b == 0).unwrap_or(info.name.len());
    core::str::from_utf8(&info.name[..len]).unwrap_or("?")
}

/// `area` cut to `screen`, as a display rectangle (empty if it lies
/// outside).
fn clip(area: embedded_graphics::primitives::Rectangle, screen: Rect) -> Rect {
    let x = (area.top_left.x.max(0) as u32).min(screen.width);
    let y = (area.top_left.y.max(0) as u32).min(screen.height);
    let right = (area.top_left.x.max(0) as u32 + area.size.width).min(screen.width);
    let bottom = (area.top_left.y.max(0) as u32 + area.size.height).min(screen.height);
    Rect { x, y, width: right - x, height: bottom - y }
}
