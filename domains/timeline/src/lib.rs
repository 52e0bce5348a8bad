//! The schedule, live: what the `timeline` domain draws on the screen.
//!
//! The domain samples every domain's accounting at a fixed interval
//! (`domain_info`, the call the shell's `ps` makes, through the Domain
//! capabilities its manifest's `supervises` gives it) and keeps the last
//! [`COLUMNS`] samples. The screen shows one row per domain (the timeline
//! itself first, then the others in manifest order) and one column per
//! sample, newest on the right:
//!
//! - a bar whose height is the share of the interval the domain held the
//!   CPU, its guaranteed time (from its reservation) in the row's colour
//!   and its extra time (slack) in a lighter shade above it
//!   ([`Column::of`]);
//! - a mark under the bar where the domain was activated in the interval,
//!   and one above it where it blocked;
//! - on the left, the domain's name and reservation (`20.0% of 10ms`);
//!   on the right, the share it got over the columns shown.
//!
//! This module is the model and the drawing, for any `embedded_graphics`
//! target, so that it is tested on the host; the program
//! (`src/bin/timeline.rs`) samples and presents.

#![no_std]

use embedded_graphics::mono_font::ascii::FONT_6X10;
use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use embedded_graphics::text::{Baseline, Text};
use heapless::{String, Vec};
use vesper_abi::dcb::{Accounting, Reservation};

/// Samples kept and shown: one pixel column each.
pub const COLUMNS: usize = 400;
/// The most rows (domains) shown.
pub const MAX_ROWS: usize = 10;
/// The chart's left edge, right of the labels.
pub const CHART_X: i32 = 120;
/// The first row's top.
pub const CHART_Y: i32 = 36;
/// From one row's top to the next's.
pub const ROW_PITCH: i32 = 40;
/// The height of a full bar (the whole interval).
pub const BAR_HEIGHT: u32 = 24;
/// Where a row's bar starts below the row's top (the block marks are
/// above it).
pub const BAR_TOP: i32 = 4;
/// The screen's background.
pub const BACKGROUND: Rgb888 = Rgb888::new(0x10, 0x10, 0x18);
/// An empty part of a bar.
pub const EMPTY: Rgb888 = Rgb888::new(0x28, 0x28, 0x30);
/// Text, and the activation and block marks.
pub const INK: Rgb888 = Rgb888::new(0xE0, 0xE0, 0xE0);

/// The rows' colours, in turn: guaranteed time.
const PALETTE: [Rgb888; 8] = [
    Rgb888::new(0x2E, 0x86, 0xDE),
    Rgb888::new(0xE0, 0x6C, 0x1F),
    Rgb888::new(0x2F, 0xA8, 0x4F),
    Rgb888::new(0xC0, 0x39, 0x2B),
    Rgb888::new(0x8E, 0x44, 0xAD),
    Rgb888::new(0xB7, 0x95, 0x0B),
    Rgb888::new(0x16, 0xA0, 0x85),
    Rgb888::new(0xD3, 0x54, 0x9A),
];

/// Row `row`'s colour for guaranteed time.
pub fn guaranteed_colour(row: usize) -> Rgb888 {
    PALETTE[row % PALETTE.len()]
}

/// Row `row`'s colour for extra time: its guaranteed colour, halfway to
/// white.
pub fn extra_colour(row: usize) -> Rgb888 {
    let c = guaranteed_colour(row);
    let lighten = |v: u8| v + (0xFF - v) / 2;
    Rgb888::new(lighten(c.r()), lighten(c.g()), lighten(c.b()))
}

/// What one domain did in one interval, from two readings of its
/// accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// CPU time from its reservation.
    pub guaranteed_ns: u64,
    /// CPU time from slack.
    pub extra_ns: u64,
    /// Whether it was activated.
    pub activated: bool,
    /// Whether it blocked.
    pub blocked: bool,
}

impl Sample {
    /// What happened between the readings `before` and `after`.
    pub fn between(before: &Accounting, after: &Accounting) -> Self {
        Self {
            guaranteed_ns: after.guaranteed_ns.saturating_sub(before.guaranteed_ns),
            extra_ns: after.extra_ns.saturating_sub(before.extra_ns),
            activated: after.activations != before.activations,
            blocked: after.blocks != before.blocks,
        }
    }
}

/// One column of one row: bar heights in pixels, and the marks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Column {
    /// Pixels of guaranteed time, from the bottom.
    pub guaranteed: u8,
    /// Pixels of extra time, above them.
    pub extra: u8,
    /// Activated in the interval.
    pub activated: bool,
    /// Blocked in the interval.
    pub blocked: bool,
}

/// `part` of `whole` as pixels of a full bar, rounded to the nearest.
fn pixels(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    let scaled = u128::from(part) * u128::from(BAR_HEIGHT);
    ((scaled + u128::from(whole) / 2) / u128::from(whole)).min(u128::from(BAR_HEIGHT)) as u64
}

impl Column {
    /// The column of `sample` over an interval of `interval_ns`: the
    /// bar's total height rounds the domain's whole share of the interval,
    /// its guaranteed part rounds the guaranteed share, so that the two
    /// never exceed a full bar.
    pub fn of(sample: &Sample, interval_ns: u64) -> Self {
        let total = pixels(sample.guaranteed_ns.saturating_add(sample.extra_ns), interval_ns);
        let guaranteed = pixels(sample.guaranteed_ns, interval_ns).min(total);
        Self {
            guaranteed: guaranteed as u8,
            extra: (total - guaranteed) as u8,
            activated: sample.activated,
            blocked: sample.blocked,
        }
    }

    /// The bar's height.
    pub fn height(&self) -> u32 {
        u32::from(self.guaranteed) + u32::from(self.extra)
    }
}

/// One domain's row.
#[derive(Clone, Debug)]
pub struct Row {
    /// The domain's name.
    pub name: String<16>,
    /// Its reservation.
    pub reservation: Reservation,
    /// The last [`COLUMNS`] columns, oldest first once full (a ring: see
    /// [`Timeline::columns`]).
    columns: [Column; COLUMNS],
    /// CPU time over the columns kept, and of the intervals they cover.
    cpu_ns: [u64; COLUMNS],
}

/// The chart: its rows and the intervals of its columns.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// How often a column is sampled (the nominal interval).
    interval_ns: u64,
    rows: Vec<Row, MAX_ROWS>,
    /// Each column's interval.
    intervals: [u64; COLUMNS],
    /// Columns pushed so far.
    pushed: usize,
}

/// The sampling interval when the program's `args` set none.
pub const DEFAULT_INTERVAL_NS: u64 = 2_500_000;

/// The sampling interval the program's `args` ask for (`every=1ms`,
/// `every=2500us`: at least 100 us), or [`DEFAULT_INTERVAL_NS`].
pub fn interval_from(args: &str) -> u64 {
    let asked = args.split_whitespace().find_map(|word| word.strip_prefix("every="));
    let parse = |text: &str| {
        let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
        let scale = match unit {
            "us" => 1_000,
            "ms" => 1_000_000,
            _ => return None,
        };
        number.parse::<u64>().ok()?.checked_mul(scale).filter(|&ns| ns >= 100_000)
    };
    asked.and_then(parse).unwrap_or(DEFAULT_INTERVAL_NS)
}

/// `ns` as people write a period: `10ms`, `2.5ms`, `500us`.
struct Duration(u64);

impl core::fmt::Display for Duration {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let us = self.0 / 1000;
        match (us / 1000, us % 1000) {
            (0, us) => write!(f, "{us}us"),
            (ms, 0) if ms % 1000 == 0 => write!(f, "{}s", ms / 1000),
            (ms, 0) => write!(f, "{ms}ms"),
            (ms, us) if us % 100 == 0 => write!(f, "{ms}.{}ms", us / 100),
            (ms, us) => write!(f, "{ms}.{us:03}ms"),
        }
    }
}

impl Timeline {
    /// An empty chart, sampled every `interval_ns`.
    pub const fn new(interval_ns: u64) -> Self {
        Self { interval_ns, rows: Vec::new(), intervals: [0; COLUMNS], pushed: 0 }
    }

    /// Sets the sampling interval (what the title says the window is).
    pub fn set_interval(&mut self, interval_ns: u64) {
        self.interval_ns = interval_ns;
    }

    /// Adds a row for domain `name` with `reservation`; `false` if the
    /// chart has [`MAX_ROWS`] already.
    pub fn add_row(&mut self, name: &str, reservation: Reservation) -> bool {
        let mut short = String::new();
        for c in name.chars() {
            if short.push(c).is_err() {
                break;
            }
        }
        let row = Row {
            name: short,
            reservation,
            columns: [Column::default(); COLUMNS],
            cpu_ns: [0; COLUMNS],
        };
        self.rows.push(row).is_ok()
    }

    /// The rows.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Adds a column: `samples[i]` is row `i`'s over an interval of
    /// `interval_ns` (a row without a sample gets an empty column).
    pub fn push(&mut self, interval_ns: u64, samples: &[Sample]) {
        let slot = self.pushed % COLUMNS;
        self.intervals[slot] = interval_ns;
        for (i, row) in self.rows.iter_mut().enumerate() {
            let sample = samples.get(i).copied().unwrap_or_default();
            row.columns[slot] = Column::of(&sample, interval_ns);
            row.cpu_ns[slot] = sample.guaranteed_ns.saturating_add(sample.extra_ns);
        }
        self.pushed += 1;
    }

    /// Columns kept: at most [`COLUMNS`].
    pub fn len(&self) -> usize {
        self.pushed.min(COLUMNS)
    }

    /// Whether no column was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    /// Columns pushed since the start.
    pub fn pushed(&self) -> usize {
        self.pushed
    }

    /// Row `row`'s columns, oldest first.
    pub fn columns(&self, row: usize) -> impl Iterator<Item = Column> + '_ {
        let oldest = self.pushed.saturating_sub(COLUMNS);
        (oldest..self.pushed).map(move |n| self.rows[row].columns[n % COLUMNS])
    }

    /// The share of the CPU row `row` had over the columns kept, in
    /// parts per million.
    pub fn share_ppm(&self, row: usize) -> u64 {
        let Some(r) = self.rows.get(row) else { return 0 };
        let cpu: u64 = r.cpu_ns.iter().sum();
        let time: u64 = self.intervals.iter().sum();
        if time == 0 {
            0
        } else {
            (u128::from(cpu) * 1_000_000 / u128::from(time)) as u64
        }
    }

    /// The rectangle of the chart's bars: what changes as columns come.
    pub fn chart_area(&self) -> Rectangle {
        Rectangle::new(
            Point::new(CHART_X, CHART_Y),
            Size::new(COLUMNS as u32, ROW_PITCH as u32 * self.rows.len() as u32),
        )
    }

    /// The rectangle of everything the chart draws: the title, the rows,
    /// the legend.
    pub fn area(&self) -> Rectangle {
        let height = Self::row_top(self.rows.len()) as u32 + 14;
        Rectangle::new(Point::zero(), Size::new(CHART_X as u32 + COLUMNS as u32 + 100, height))
    }

    /// Draws everything: the title, each row's label, bars and share.
    pub fn draw<D: DrawTarget<Color = Rgb888>>(&self, target: &mut D) -> Result<(), D::Error> {
        self.area().into_styled(PrimitiveStyle::with_fill(BACKGROUND)).draw(target)?;
        let style = MonoTextStyle::new(&FONT_6X10, INK);
        let window = Duration(self.interval_ns.saturating_mul(COLUMNS as u64));
        let mut title: String<80> = String::new();
        let _ = core::fmt::write(
            &mut title,
            format_args!("Vesper: who had the CPU over the last {window}, newest on the right"),
        );
        Text::with_baseline(&title, Point::new(8, 10), style, Baseline::Top).draw(target)?;
        let legend =
            "dark: guaranteed time, light: slack; marks: activated (below), blocked (above)";
        let bottom = Self::row_top(self.rows.len()) + 2;
        Text::with_baseline(legend, Point::new(8, bottom), style, Baseline::Top).draw(target)?;
        for row in 0..self.rows.len() {
            self.draw_label(target, row)?;
            self.draw_columns(target, row, self.len())?;
            self.draw_share(target, row)?;
        }
        Ok(())
    }

    /// Draws the latest `count` columns of every row at the chart's right
    /// edge, and every row's share: after the caller has moved the chart
    /// left by `count` pixels, this completes it.
    pub fn draw_latest<D: DrawTarget<Color = Rgb888>>(
        &self,
        target: &mut D,
        count: usize,
    ) -> Result<(), D::Error> {
        for row in 0..self.rows.len() {
            self.draw_columns(target, row, count.min(self.len()))?;
            self.draw_share(target, row)?;
        }
        Ok(())
    }

    /// Row `row`'s top edge.
    pub fn row_top(row: usize) -> i32 {
        CHART_Y + row as i32 * ROW_PITCH
    }

    fn draw_label<D: DrawTarget<Color = Rgb888>>(
        &self,
        target: &mut D,
        row: usize,
    ) -> Result<(), D::Error> {
        let r = &self.rows[row];
        let style = MonoTextStyle::new(&FONT_6X10, INK);
        let top = Self::row_top(row) + BAR_TOP;
        Text::with_baseline(&r.name, Point::new(8, top), style, Baseline::Top).draw(target)?;
        let mut reserved: String<24> = String::new();
        let res = r.reservation;
        let ppm = (res.slice_ns.saturating_mul(1_000_000)).checked_div(res.period_ns).unwrap_or(0);
        let slack = if res.extra != 0 { "+x" } else { "" };
        let _ = core::fmt::write(
            &mut reserved,
            format_args!(
                "{}.{}% of {}{slack}",
                ppm / 10_000,
                ppm / 1000 % 10,
                Duration(res.period_ns)
            ),
        );
        Text::with_baseline(&reserved, Point::new(8, top + 12), style, Baseline::Top)
            .draw(target)?;
        let swatch = Rectangle::new(Point::new(CHART_X - 12, top), Size::new(6, BAR_HEIGHT));
        swatch.into_styled(PrimitiveStyle::with_fill(guaranteed_colour(row))).draw(target)
    }

    fn draw_share<D: DrawTarget<Color = Rgb888>>(
        &self,
        target: &mut D,
        row: usize,
    ) -> Result<(), D::Error> {
        let top = Self::row_top(row) + BAR_TOP;
        let x = CHART_X + COLUMNS as i32 + 8;
        let clear = Rectangle::new(Point::new(x, top), Size::new(90, 10));
        clear.into_styled(PrimitiveStyle::with_fill(BACKGROUND)).draw(target)?;
        let ppm = self.share_ppm(row);
        let mut text: String<24> = String::new();
        let _ =
            core::fmt::write(&mut text, format_args!("got {}.{}%", ppm / 10_000, ppm / 1000 % 10));
        let style = MonoTextStyle::new(&FONT_6X10, INK);
        Text::with_baseline(&text, Point::new(x, top), style, Baseline::Top)
            .draw(target)
            .map(|_| ())
    }

    /// Draws row `row`'s latest `count` columns, the newest at the right
    /// edge.
    fn draw_columns<D: DrawTarget<Color = Rgb888>>(
        &self,
        target: &mut D,
        row: usize,
        count: usize,
    ) -> Result<(), D::Error> {
        let kept = self.len();
        let skip = kept - count.min(kept);
        let first_x = CHART_X + (COLUMNS - kept) as i32;
        let bar_bottom = Self::row_top(row) + BAR_TOP + BAR_HEIGHT as i32;
        for (i, column) in self.columns(row).enumerate().skip(skip) {
            let x = first_x + i as i32;
            let segments = [
                (BAR_HEIGHT - column.height(), EMPTY),
                (u32::from(column.extra), extra_colour(row)),
                (u32::from(column.guaranteed), guaranteed_colour(row)),
            ];
            let mut y = bar_bottom - BAR_HEIGHT as i32;
            for (height, colour) in segments {
                let part = Rectangle::new(Point::new(x, y), Size::new(1, height));
                target.fill_solid(&part, colour)?;
                y += height as i32;
            }
            let marks = [
                (column.blocked, bar_bottom - BAR_HEIGHT as i32 - 3),
                (column.activated, bar_bottom + 2),
            ];
            for (marked, y) in marks {
                let mark = Rectangle::new(Point::new(x, y), Size::new(1, 2));
                target.fill_solid(&mark, if marked { INK } else { BACKGROUND })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    /// A screen in memory.
    struct Screen {
        width: u32,
        pixels: std::vec::Vec<Rgb888>,
    }

    impl Screen {
        fn new(width: u32, height: u32) -> Self {
            Self { width, pixels: vec![Rgb888::BLACK; (width * height) as usize] }
        }

        fn at(&self, x: i32, y: i32) -> Rgb888 {
            self.pixels[(y as u32 * self.width + x as u32) as usize]
        }
    }

    impl OriginDimensions for Screen {
        fn size(&self) -> Size {
            Size::new(self.width, self.pixels.len() as u32 / self.width)
        }
    }

    impl DrawTarget for Screen {
        type Color = Rgb888;
        type Error = core::convert::Infallible;

        fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(
            &mut self,
            pixels: I,
        ) -> Result<(), Self::Error> {
            let size = self.size();
            for Pixel(p, c) in pixels {
                if p.x >= 0 && p.y >= 0 && (p.x as u32) < size.width && (p.y as u32) < size.height {
                    self.pixels[(p.y as u32 * self.width + p.x as u32) as usize] = c;
                }
            }
            Ok(())
        }
    }

    fn reservation(period_ms: u64, slice_ms: u64) -> Reservation {
        Reservation {
            period_ns: period_ms * 1_000_000,
            slice_ns: slice_ms * 1_000_000,
            latency_ns: 0,
            extra: 0,
        }
    }

    #[test]
    fn args_set_the_interval_and_periods_read_as_people_write_them() {
        assert_eq!(interval_from(""), DEFAULT_INTERVAL_NS);
        assert_eq!(interval_from("every=1ms"), 1_000_000);
        assert_eq!(interval_from("x=1 every=250us"), 250_000);
        assert_eq!(interval_from("every=50us"), DEFAULT_INTERVAL_NS, "too often");
        assert_eq!(interval_from("every=2s"), DEFAULT_INTERVAL_NS, "unknown unit");
        let shown = |ns| std::format!("{}", Duration(ns));
        assert_eq!(shown(10_000_000), "10ms");
        assert_eq!(shown(2_500_000), "2.5ms");
        assert_eq!(shown(500_000), "500us");
        assert_eq!(shown(1_250_000), "1.250ms");
        assert_eq!(shown(2_000_000_000), "2s");
    }

    #[test]
    fn a_column_rounds_the_shares_and_never_overflows() {
        let full = Sample { guaranteed_ns: 1000, extra_ns: 0, ..Sample::default() };
        assert_eq!(Column::of(&full, 1000).height(), BAR_HEIGHT);
        let half = Sample { guaranteed_ns: 250, extra_ns: 250, ..Sample::default() };
        let column = Column::of(&half, 1000);
        assert_eq!((column.guaranteed, column.extra), (6, 6));
        let over = Sample { guaranteed_ns: 900, extra_ns: 900, ..Sample::default() };
        assert_eq!(Column::of(&over, 1000).height(), BAR_HEIGHT, "clamped");
        assert_eq!(Column::of(&full, 0).height(), 0, "an empty interval");
        let before = Accounting { guaranteed_ns: 5, activations: 1, ..Accounting::default() };
        let after =
            Accounting { guaranteed_ns: 9, activations: 2, blocks: 0, ..Accounting::default() };
        let sample = Sample::between(&before, &after);
        assert_eq!((sample.guaranteed_ns, sample.activated, sample.blocked), (4, true, false));
    }

    #[test]
    fn the_chart_scrolls_and_its_bars_measure_the_shares() {
        let mut timeline = Timeline::new(1000);
        assert!(timeline.add_row("a", reservation(10, 2)));
        assert!(timeline.add_row("b", reservation(10, 5)));
        // a has 20% in every other interval and 60% in the others; b has
        // half, in slack time.
        for n in 0..COLUMNS + 50 {
            let a = if n % 2 == 0 { 200 } else { 600 };
            let samples = [
                Sample { guaranteed_ns: a, ..Sample::default() },
                Sample { extra_ns: 500, activated: n % 10 == 0, ..Sample::default() },
            ];
            timeline.push(1000, &samples);
        }
        assert_eq!(timeline.len(), COLUMNS);
        assert_eq!(timeline.share_ppm(0), 400_000);
        assert_eq!(timeline.share_ppm(1), 500_000);
        let mut screen = Screen::new(640, 480);
        timeline.draw(&mut screen).unwrap();
        // Count each row's coloured pixels over the chart, as the QEMU
        // test counts them in a screendump.
        for (row, share) in [(0, 0.4), (1, 0.5)] {
            let top = Timeline::row_top(row) + BAR_TOP;
            let mut filled = 0;
            for x in CHART_X..CHART_X + COLUMNS as i32 {
                for y in top..top + BAR_HEIGHT as i32 {
                    let c = screen.at(x, y);
                    if c == guaranteed_colour(row) || c == extra_colour(row) {
                        filled += 1;
                    }
                }
            }
            let measured = f64::from(filled) / f64::from(COLUMNS as u32 * BAR_HEIGHT);
            assert!((measured - share).abs() < 0.01, "row {row}: {measured}");
        }
        // Extra time is drawn in the lighter shade, activations marked.
        let x = CHART_X + COLUMNS as i32 - 1;
        let bottom = Timeline::row_top(1) + BAR_TOP + BAR_HEIGHT as i32;
        assert_eq!(screen.at(x, bottom - 1), extra_colour(1));
        let marked = (0..10).any(|back| screen.at(x - back, bottom + 2) == INK);
        assert!(marked, "an activation mark in the last ten columns");
    }

    #[test]
    fn a_partial_chart_is_drawn_at_the_right() {
        let mut timeline = Timeline::new(1000);
        timeline.add_row("only", reservation(10, 10));
        for _ in 0..5 {
            timeline.push(1000, &[Sample { guaranteed_ns: 1000, ..Sample::default() }]);
        }
        let mut screen = Screen::new(640, 480);
        timeline.draw(&mut screen).unwrap();
        let y = Timeline::row_top(0) + BAR_TOP + 1;
        let right = CHART_X + COLUMNS as i32 - 1;
        assert_eq!(screen.at(right, y), guaranteed_colour(0));
        assert_eq!(screen.at(right - 4, y), guaranteed_colour(0));
        assert_ne!(screen.at(right - 5, y), guaranteed_colour(0), "only five columns");
    }
}
