//! Rust source for the image's tables. [`ToSource`] writes a value of a
//! type of `vesper_abi::image` (or of a capability type one holds) as the
//! expression that builds it, one implementation per type; [`write_items`]
//! writes a whole [`ImageConfig`] as the items of `image_config.rs`, which
//! the kernel compiles into `domain::config`. The names the expressions use
//! are the ABI's, imported by the file itself ([`IMPORTS`]).
//!
//! Each implementation takes its value apart field by field, without `..`:
//! a field added to an ABI type does not compile until it is written here.

use crate::codegen::program_path;
use crate::units::format_duration;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use vesper_abi::cap::{Object, Rights};
use vesper_abi::image::{
    CapConfig, ChannelConfig, ConsoleUart, DomainConfig, EventTarget, ImageConfig, IrqConfig,
    RegionConfig, RegionKind, ReservationConfig, Segment, SegmentRights, Supervision, ThreadConfig,
};

/// The imports that open `image_config.rs`: every name the expressions of
/// [`ToSource`] use.
pub const IMPORTS: &str = "\
// An image without domains or capabilities uses none of these.
#[allow(unused_imports)]
use vesper_abi::{cap::{Object, Rights}, image::*};
";

/// Rust source being written.
#[derive(Clone, Debug)]
pub struct Source {
    /// The text so far.
    text: String,
    /// The indentation of the lines to come, in spaces.
    indent: usize,
    /// The folder each domain's relocated program is in, as
    /// `<domain>.bin` (see [`program_path`]); UTF-8, since
    /// `include_bytes!` names it.
    programs: Option<PathBuf>,
}

impl Source {
    /// Empty source for an image whose programs are in `programs`.
    pub fn new(programs: &Path) -> Result<Self> {
        programs.to_str().with_context(|| {
            format!("{} is not UTF-8, so include_bytes! cannot name it", programs.display())
        })?;
        Ok(Self { text: String::new(), indent: 0, programs: Some(programs.to_path_buf()) })
    }

    /// Empty source for an image without domains.
    pub fn without_programs() -> Self {
        Self { text: String::new(), indent: 0, programs: None }
    }

    /// The source written.
    pub fn into_string(self) -> String {
        self.text
    }

    /// Appends `text`.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the expression that builds `value`.
    pub fn value(&mut self, value: &dyn ToSource) -> &mut Self {
        value.to_source(self);
        self
    }

    /// Ends the line and indents the next.
    fn newline(&mut self) {
        self.text.push('\n');
        self.text.extend(std::iter::repeat_n(' ', self.indent));
    }

    /// `NAME { FIELD: VALUE, ... }` on one line.
    fn record(&mut self, name: &str, fields: &[(&str, &dyn ToSource)]) {
        self.push(name).push(" {");
        for (i, (field, value)) in fields.iter().enumerate() {
            self.push(if i == 0 { " " } else { ", " }).push(field).push(": ").value(*value);
        }
        self.push(" }");
    }

    /// `NAME {`, one `FIELD: VALUE,` per line, `}`.
    fn block(&mut self, name: &str, fields: &[(&str, &dyn ToSource)]) {
        self.push(name).push(" {");
        self.indent += 4;
        for (field, value) in fields {
            self.newline();
            self.push(field).push(": ").value(*value).push(",");
        }
        self.indent -= 4;
        self.newline();
        self.push("}");
    }
}

/// Writes a value as the Rust expression that builds it.
pub trait ToSource {
    /// Writes the expression that builds `self` to `out`; an expression
    /// that spans lines starts each line after its first at `out`'s
    /// indentation.
    fn to_source(&self, out: &mut Source);
}

/// An address or a size, in hexadecimal.
#[derive(Clone, Copy, Debug)]
pub struct Hex(pub u64);

/// A slice written one item per line (a slice is otherwise written on one
/// line).
#[derive(Clone, Copy, Debug)]
pub struct Lines<'a, T>(pub &'a [T]);

/// The relocated program of the domain called `.0`, in the programs'
/// folder.
#[derive(Clone, Copy, Debug)]
struct ProgramBytes<'a>(&'a str);

impl ToSource for &str {
    fn to_source(&self, out: &mut Source) {
        // A Rust string literal: `Debug` escapes what a literal must.
        out.push(&format!("{self:?}"));
    }
}

impl ToSource for u64 {
    fn to_source(&self, out: &mut Source) {
        out.push(&self.to_string());
    }
}

impl ToSource for usize {
    fn to_source(&self, out: &mut Source) {
        out.push(&self.to_string());
    }
}

impl ToSource for u32 {
    fn to_source(&self, out: &mut Source) {
        out.push(&self.to_string());
    }
}

impl ToSource for bool {
    fn to_source(&self, out: &mut Source) {
        out.push(if *self { "true" } else { "false" });
    }
}

impl<T: ToSource> ToSource for Option<T> {
    fn to_source(&self, out: &mut Source) {
        match self {
            Some(value) => out.push("Some(").value(value).push(")"),
            None => out.push("None"),
        };
    }
}

impl ToSource for Hex {
    fn to_source(&self, out: &mut Source) {
        out.push(&format!("{:#x}", self.0));
    }
}

impl<T: ToSource> ToSource for &[T] {
    fn to_source(&self, out: &mut Source) {
        out.push("&");
        bracketed(out, self);
    }
}

impl<T: ToSource, const N: usize> ToSource for [T; N] {
    fn to_source(&self, out: &mut Source) {
        bracketed(out, self);
    }
}

/// Writes `[ITEM, ...]` on one line.
fn bracketed<T: ToSource>(out: &mut Source, items: &[T]) {
    out.push("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(", ");
        }
        out.value(item);
    }
    out.push("]");
}

impl<T: ToSource> ToSource for Lines<'_, T> {
    fn to_source(&self, out: &mut Source) {
        if self.0.is_empty() {
            out.push("&[]");
            return;
        }
        out.push("&[");
        out.indent += 4;
        for item in self.0 {
            out.newline();
            out.value(item).push(",");
        }
        out.indent -= 4;
        out.newline();
        out.push("]");
    }
}

impl ToSource for ProgramBytes<'_> {
    fn to_source(&self, out: &mut Source) {
        let programs = out.programs.as_deref().expect("an image with domains has programs");
        let path = program_path(programs, self.0);
        // `Source::new` checked that the folder is UTF-8, and names are.
        let path = path.to_str().expect("the programs' paths are UTF-8");
        out.push(&format!("include_bytes!({path:?})"));
    }
}

impl ToSource for Rights {
    fn to_source(&self, out: &mut Source) {
        let mut terms: Vec<String> =
            self.iter_names().map(|(name, _)| format!("Rights::{name}")).collect();
        let unnamed = self.bits() & !Rights::all().bits();
        if unnamed != 0 {
            terms.push(format!("Rights::from_bits_retain({unnamed:#x})"));
        }
        match terms.split_first() {
            None => out.push("Rights::empty()"),
            Some((first, rest)) => {
                out.push(first);
                for term in rest {
                    out.push(".union(").push(term).push(")");
                }
                out
            }
        };
    }
}

impl ToSource for Object {
    fn to_source(&self, out: &mut Source) {
        match *self {
            Object::Channel { channel, end } => {
                out.record("Object::Channel", &[("channel", &channel), ("end", &end)])
            }
            Object::Irq { irq } => out.record("Object::Irq", &[("irq", &irq)]),
            Object::Region { region } => out.record("Object::Region", &[("region", &region)]),
            Object::Domain { domain } => out.record("Object::Domain", &[("domain", &domain)]),
            Object::Reservation { domain } => {
                out.record("Object::Reservation", &[("domain", &domain)])
            }
        }
    }
}

impl ToSource for SegmentRights {
    fn to_source(&self, out: &mut Source) {
        out.push(match self {
            SegmentRights::ReadOnly => "SegmentRights::ReadOnly",
            SegmentRights::ReadWrite => "SegmentRights::ReadWrite",
            SegmentRights::ReadExecute => "SegmentRights::ReadExecute",
        });
    }
}

impl ToSource for Segment {
    fn to_source(&self, out: &mut Source) {
        let Segment { start, end, rights } = self;
        out.record("Segment", &[("start", &Hex(*start)), ("end", &Hex(*end)), ("rights", rights)]);
    }
}

impl ToSource for ReservationConfig {
    fn to_source(&self, out: &mut Source) {
        let ReservationConfig { period_ns, slice_ns, latency_ns, extra } = self;
        out.record(
            "ReservationConfig",
            &[
                ("period_ns", period_ns),
                ("slice_ns", slice_ns),
                ("latency_ns", latency_ns),
                ("extra", extra),
            ],
        );
    }
}

impl ToSource for ThreadConfig {
    fn to_source(&self, out: &mut Source) {
        let ThreadConfig { name, period_ns, wcet_ns, deadline_ns, tickets } = self;
        out.record(
            "ThreadConfig",
            &[
                ("name", name),
                ("period_ns", period_ns),
                ("wcet_ns", wcet_ns),
                ("deadline_ns", deadline_ns),
                ("tickets", tickets),
            ],
        );
    }
}

impl ToSource for CapConfig {
    fn to_source(&self, out: &mut Source) {
        let CapConfig { name, object, rights } = self;
        out.record("CapConfig", &[("name", name), ("object", object), ("rights", rights)]);
    }
}

impl ToSource for DomainConfig {
    fn to_source(&self, out: &mut Source) {
        // The program's bytes are not written out: `codegen` writes `image`
        // to the file that `include_bytes!` names.
        let DomainConfig {
            name,
            program,
            reservation,
            slot_base,
            entry,
            activation_sp,
            image: _,
            segments,
            scheduler,
            threads,
            caps,
            args,
            supervisors,
            supervision,
            scheduled_by,
            core,
        } = self;
        out.block(
            "DomainConfig",
            &[
                ("name", name),
                ("program", program),
                ("reservation", reservation),
                ("slot_base", &Hex(*slot_base)),
                ("entry", &Hex(*entry)),
                ("activation_sp", &Hex(*activation_sp)),
                ("image", &ProgramBytes(name)),
                ("segments", &Lines(segments)),
                ("scheduler", scheduler),
                ("threads", &Lines(threads)),
                ("caps", &Lines(caps)),
                ("args", args),
                ("supervisors", supervisors),
                ("supervision", supervision),
                ("scheduled_by", scheduled_by),
                ("core", core),
            ],
        );
    }
}

impl ToSource for Supervision {
    fn to_source(&self, out: &mut Source) {
        if *self == Supervision::NONE {
            out.push("Supervision::NONE");
            return;
        }
        let Supervision { event, limit, window_ns, backoff_ns } = self;
        out.record(
            "Supervision",
            &[
                ("event", event),
                ("limit", limit),
                ("window_ns", window_ns),
                ("backoff_ns", backoff_ns),
            ],
        );
    }
}

impl ToSource for RegionKind {
    fn to_source(&self, out: &mut Source) {
        out.push(match self {
            RegionKind::Normal => "RegionKind::Normal",
            RegionKind::Device => "RegionKind::Device",
        });
    }
}

impl ToSource for ConsoleUart {
    fn to_source(&self, out: &mut Source) {
        out.push(match self {
            ConsoleUart::Pl011 => "ConsoleUart::Pl011",
            ConsoleUart::MiniUart => "ConsoleUart::MiniUart",
        });
    }
}

impl ToSource for RegionConfig {
    fn to_source(&self, out: &mut Source) {
        let RegionConfig { name, start, end, kind } = self;
        out.record(
            "RegionConfig",
            &[("name", name), ("start", &Hex(*start)), ("end", &Hex(*end)), ("kind", kind)],
        );
    }
}

impl ToSource for EventTarget {
    fn to_source(&self, out: &mut Source) {
        let EventTarget { domain, event } = self;
        out.record("EventTarget", &[("domain", domain), ("event", event)]);
    }
}

impl ToSource for ChannelConfig {
    fn to_source(&self, out: &mut Source) {
        let ChannelConfig { name, ends } = self;
        out.record("ChannelConfig", &[("name", name), ("ends", ends)]);
    }
}

impl ToSource for IrqConfig {
    fn to_source(&self, out: &mut Source) {
        let IrqConfig { name, line, owners } = self;
        out.record("IrqConfig", &[("name", name), ("line", line), ("owners", owners)]);
    }
}

/// Writes `image` as the items of `image_config.rs`, one per field, each
/// with its doc comment.
pub fn write_items(out: &mut Source, image: &ImageConfig) {
    let ImageConfig {
        name,
        run_for_ns,
        switch_cost_ns,
        min_period_ns,
        min_slice_ns,
        console,
        domains,
        regions,
        channels,
        irqs,
        trace_records,
    } = image;
    let mut item = |docs: &str, declaration: &str, value: &dyn ToSource| {
        out.push("/// ").push(docs).push("\n");
        out.push(declaration).push(" = ").value(value).push(";\n");
    };
    item(
        "The image's name (`[image] name`, else the manifest's file stem).",
        "pub const IMAGE_NAME: &str",
        name,
    );
    let run_for = match run_for_ns {
        Some(ns) => format!(
            "Virtual time after which the kernel prints per-domain statistics and ends the run \
             ({}).",
            format_duration(*ns)
        ),
        None => "Run until halted (no `run-for`).".to_string(),
    };
    item(&run_for, "pub const RUN_FOR_NS: Option<u64>", run_for_ns);
    item(
        "What a preemption costs its victim, charged to the preemptor.",
        "pub const SWITCH_COST_NS: u64",
        switch_cost_ns,
    );
    item(
        "The shortest reservation period the board allows.",
        "pub const MIN_PERIOD_NS: u64",
        min_period_ns,
    );
    item(
        "The shortest reservation slice the board allows.",
        "pub const MIN_SLICE_NS: u64",
        min_slice_ns,
    );
    item(
        "The UART the kernel prints on (`[image] console`).",
        "pub const CONSOLE: ConsoleUart",
        console,
    );
    item(
        "The image's domains, in manifest order: domain `i` lives in slot `i`.",
        "pub static DOMAINS: &[DomainConfig]",
        &Lines(domains),
    );
    item(
        "The memory regions domains may map: the `[[region]]`s in manifest order, then the \
         registers of each device a domain uses, in board order, rounded out to whole pages.",
        "pub static REGIONS: &[RegionConfig]",
        &Lines(regions),
    );
    item(
        "The event channels, in manifest order: each end's domain and the event slot that \
         counts its events.",
        "pub static CHANNELS: &[ChannelConfig]",
        &Lines(channels),
    );
    item(
        "The interrupts delivered to domains, in board order: each domain taking it and its \
         event slot there.",
        "pub static IRQS: &[IrqConfig]",
        &Lines(irqs),
    );
    item(
        "The records of the kernel's trace ring (`[image] trace`; 0: no tracing).",
        "pub const TRACE_RECORDS: usize",
        trace_records,
    );
    out.push(
        "/// The items above as one value, for the checks the kernel shares with the \
         builder.\npub static IMAGE: ImageConfig = ImageConfig {\n    name: IMAGE_NAME,\n    \
         run_for_ns: RUN_FOR_NS,\n    switch_cost_ns: SWITCH_COST_NS,\n    min_period_ns: \
         MIN_PERIOD_NS,\n    min_slice_ns: MIN_SLICE_NS,\n    console: CONSOLE,\n    domains: \
         DOMAINS,\n    regions: REGIONS,\n    channels: CHANNELS,\n    irqs: IRQS,\n    \
         trace_records: TRACE_RECORDS,\n};\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `value` as source, on one line.
    fn source(value: &dyn ToSource) -> String {
        let mut out = Source::without_programs();
        out.value(value);
        out.into_string()
    }

    #[test]
    fn rights_are_written_by_name() {
        assert_eq!(source(&Rights::empty()), "Rights::empty()");
        assert_eq!(source(&Rights::ACK), "Rights::ACK");
        assert_eq!(
            source(&(Rights::SEND | Rights::RECEIVE | Rights::GRANT)),
            "Rights::SEND.union(Rights::RECEIVE).union(Rights::GRANT)"
        );
        // Bits without a name are kept, as the kernel would read them.
        assert_eq!(
            source(&Rights::from_bits_retain(Rights::CONTROL.bits() | 1 << 40)),
            "Rights::CONTROL.union(Rights::from_bits_retain(0x10000000000))"
        );
        assert_eq!(
            source(&Rights::from_bits_retain(1 << 63)),
            "Rights::from_bits_retain(0x8000000000000000)"
        );
    }

    #[test]
    fn every_object_names_its_variant_and_fields() {
        let objects = [
            (Object::Channel { channel: 1, end: 0 }, "Object::Channel { channel: 1, end: 0 }"),
            (Object::Irq { irq: 2 }, "Object::Irq { irq: 2 }"),
            (Object::Region { region: 3 }, "Object::Region { region: 3 }"),
            (Object::Domain { domain: 4 }, "Object::Domain { domain: 4 }"),
            (Object::Reservation { domain: 5 }, "Object::Reservation { domain: 5 }"),
        ];
        for (object, expected) in objects {
            assert_eq!(source(&object), expected);
        }
    }

    #[test]
    fn leaf_types_are_written_on_one_line() {
        let thread = ThreadConfig {
            name: "audio",
            period_ns: 5_000_000,
            wcet_ns: 1_000_000,
            deadline_ns: 0,
            tickets: 300,
        };
        assert_eq!(
            source(&thread),
            "ThreadConfig { name: \"audio\", period_ns: 5000000, wcet_ns: 1000000, \
             deadline_ns: 0, tickets: 300 }"
        );
        let irq = IrqConfig {
            name: "gpio.bank0",
            line: 49,
            owners: &[EventTarget { domain: 0, event: 3 }],
        };
        assert_eq!(
            source(&irq),
            "IrqConfig { name: \"gpio.bank0\", line: 49, owners: &[EventTarget { domain: 0, \
             event: 3 }] }"
        );
        assert_eq!(source(&Some(7u64)), "Some(7)");
        assert_eq!(source(&None::<u64>), "None");
        assert_eq!(source(&"a \"b\"\n"), r#""a \"b\"\n""#);
    }

    #[test]
    fn lines_are_indented_under_their_opening() {
        let segments = [
            Segment { start: 0x1000, end: 0x2000, rights: SegmentRights::ReadExecute },
            Segment { start: 0x2000, end: 0x3000, rights: SegmentRights::ReadWrite },
        ];
        let mut out = Source::without_programs();
        out.push("    x: ");
        out.indent = 4;
        out.value(&Lines(&segments[..]));
        assert_eq!(
            out.into_string(),
            "    x: &[\n        Segment { start: 0x1000, end: 0x2000, rights: \
             SegmentRights::ReadExecute },\n        Segment { start: 0x2000, end: 0x3000, \
             rights: SegmentRights::ReadWrite },\n    ]"
        );
        assert_eq!(source(&Lines::<Segment>(&[])), "&[]");
    }

    #[test]
    fn programs_need_a_utf8_folder() {
        use std::os::unix::ffi::OsStrExt;
        let folder = Path::new(std::ffi::OsStr::from_bytes(b"/out/\xff"));
        let err = Source::new(folder).unwrap_err().to_string();
        assert!(err.contains("is not UTF-8, so include_bytes! cannot name it"), "{err}");
        let mut out = Source::new(Path::new("/out")).unwrap();
        out.value(&ProgramBytes("a"));
        assert_eq!(out.into_string(), "include_bytes!(\"/out/a.bin\")");
    }
}
