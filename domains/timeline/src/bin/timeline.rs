//! `timeline`: the schedule, live, on the screen (the model and the
//! drawing are `vesper_timeline`'s; its documentation says what is shown).
//!
//! The manifest gives the domain a connection to the display service
//! (`services = ["display"]`) and a Domain capability with `READ` for each
//! domain to show (`supervises = ["*"]`: all of them); its `args` may set
//! the sampling interval (`every=1ms`; 2.5 ms by default).
//!
//! Two threads: a periodic *sampler* that, every interval, reads each
//! domain's accounting with `domain_info` and queues the differences, and
//! the *drawer* (the first thread), which adds the queued columns to the
//! chart and, every [`FRAME_COLUMNS`] of them, moves the chart left, draws
//! the new columns and the shares, and presents them. Presenting waits for
//! the display driver, which runs on its own reservation; the sampler does
//! not wait with it. For the samples to be on time the domain's scheduler
//! should be `edf` (the sampler's jobs have deadlines, the drawer none) and
//! its reservation have a period of the interval and a short `latency`:
//! then every column is an equal span of time.

#![no_std]
#![no_main]

use core::ptr::addr_of_mut;
use heapless::spsc::{Consumer, Producer, Queue};
use heapless::Vec;
use vesper_abi::cap::{CapInfo, CapKind};
use vesper_abi::dcb::{Accounting, DomainInfo};
use vesper_activations::events::caps;
use vesper_activations::services::DisplayClient;
use vesper_activations::syscall::domain_info;
use vesper_activations::{args, job_done, now_ns, println, sleep_until, spawn_with, ThreadParams};
use vesper_service::display::Rect;
use vesper_timeline::{interval_from, Sample, Timeline, MAX_ROWS};

vesper_activations::main!(run);

/// Columns drawn and presented at once.
pub const FRAME_COLUMNS: usize = 8;
/// Columns the sampler may be ahead of the drawer.
const QUEUED: usize = 64;

/// One sampling: how long since the last, and each domain's sample.
struct Tick {
    interval_ns: u64,
    samples: Vec<Sample, MAX_ROWS>,
}

/// What the sampler keeps: the domains and their last accounting.
struct Sampler {
    domains: Vec<CapInfo, MAX_ROWS>,
    last: Vec<Accounting, MAX_ROWS>,
    at_ns: u64,
    ticks: Option<Producer<'static, Tick>>,
}

/// The queue from the sampler to the drawer.
static mut TICKS: Queue<Tick, QUEUED> = Queue::new();
/// The chart, the drawer's alone: some 50 KiB, more than a thread's stack.
static mut TIMELINE: Timeline = Timeline::new(0);
/// The sampler's state, set before it starts and then its alone.
static mut SAMPLER: Sampler =
    Sampler { domains: Vec::new(), last: Vec::new(), at_ns: 0, ticks: None };

fn run() {
    let Some(mut display) = DisplayClient::own() else {
        println!("timeline: no display (the manifest's `services = [\"display\"]`)");
        return;
    };
    let interval_ns = interval_from(args());
    // SAFETY: this thread alone touches TIMELINE; the sampler thread does
    // not exist yet, and from its spawn on only it touches SAMPLER, and
    // this thread only the consumer's end of TICKS, which `split` hands
    // out once.
    let (timeline, sampler, mut ticks) = unsafe {
        let timeline = &mut *addr_of_mut!(TIMELINE);
        let (producer, consumer): (_, Consumer<'static, Tick>) = (*addr_of_mut!(TICKS)).split();
        let sampler = &mut *addr_of_mut!(SAMPLER);
        sampler.ticks = Some(producer);
        (timeline, sampler, consumer)
    };
    timeline.set_interval(interval_ns);
    for cap in caps().filter(|cap| cap.kind() == CapKind::Domain).take(MAX_ROWS) {
        let info = domain_info(cap.handle).unwrap_or_default();
        timeline.add_row(name_of(&info), info.reservation);
        let _ = sampler.domains.push(cap);
        let _ = sampler.last.push(info.accounting);
    }
    let rows = sampler.domains.len();
    sampler.at_ns = now_ns();
    let _ = timeline.draw(&mut display);
    let screen = Rect { x: 0, y: 0, width: display.mode().width, height: display.mode().height };
    let _ = display.present(clip(timeline.area(), screen));
    let params = ThreadParams::periodic(interval_ns, interval_ns / 10);
    if spawn_with(sample, params).is_err() {
        println!("timeline: the sampler thread could not start");
        return;
    }
    println!("timeline: {rows} domains, a column every {} us", interval_ns / 1000);
    let chart = clip(timeline.chart_area(), screen);
    let shown = Rect { width: screen.width - chart.x, ..chart };
    let mut pending = 0;
    let mut next_frame = now_ns();
    loop {
        while let Some(tick) = ticks.dequeue() {
            timeline.push(tick.interval_ns, &tick.samples);
            pending += 1;
        }
        if pending >= FRAME_COLUMNS {
            let count = pending.min(vesper_timeline::COLUMNS);
            display.shift_left(chart, count as u32);
            let _ = timeline.draw_latest(&mut display, count);
            let _ = display.present(shown);
            pending = 0;
        }
        next_frame += interval_ns * FRAME_COLUMNS as u64;
        sleep_until(next_frame.max(now_ns()));
    }
}

/// The sampler thread: a job every interval.
fn sample() {
    // SAFETY: set by `run` before this thread started, and touched by
    // this thread alone since.
    let sampler = unsafe { &mut *addr_of_mut!(SAMPLER) };
    loop {
        let now = now_ns();
        let mut samples: Vec<Sample, MAX_ROWS> = Vec::new();
        for (cap, before) in sampler.domains.iter().zip(sampler.last.iter_mut()) {
            let after = domain_info(cap.handle).map_or(*before, |info| info.accounting);
            let _ = samples.push(Sample::between(before, &after));
            *before = after;
        }
        let tick = Tick { interval_ns: now - sampler.at_ns, samples };
        sampler.at_ns = now;
        if let Some(ticks) = sampler.ticks.as_mut() {
            // A drawer that fell behind loses columns, not the sampler time.
            let _ = ticks.enqueue(tick);
        }
        job_done();
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
