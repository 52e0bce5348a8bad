//! The image as the kernel reads it: a [`vesper_abi::image::ImageConfig`]
//! filled from a validated manifest and its placed programs. The types are
//! the kernel's own, defined once in the ABI; [`crate::source`] writes the
//! values as Rust source, which the kernel compiles in.
//!
//! The kernel's tables are `'static`, so these are too: the builder makes
//! them once per image, and their strings and slices live on the heap for
//! the rest of the process ([`leak`], [`leak_str`]). An image's tables are
//! small (a few kilobytes, and each program's bytes once).

use crate::caps::ImageCaps;
use crate::manifest::{Domain, Manifest, RestartPolicy};
use crate::PlacedDomain;
use vesper_abi::image::{
    CapConfig, ConsoleUart, DomainConfig, EventTarget, ImageConfig, ReservationConfig, Supervision,
    ThreadConfig,
};

/// `items`, kept for the rest of the process.
pub(crate) fn leak<T>(items: Vec<T>) -> &'static [T] {
    items.leak()
}

/// `text`, kept for the rest of the process.
pub(crate) fn leak_str(text: &str) -> &'static str {
    Box::leak(text.into())
}

/// The image `manifest` describes, its programs placed as `domains` (one
/// per domain of the manifest, in its order).
pub fn image_config(manifest: &Manifest, domains: &[PlacedDomain]) -> ImageConfig {
    let caps = ImageCaps::of(manifest);
    let timing = manifest.board.timing;
    let domains = domains
        .iter()
        .map(|placed| {
            let index = manifest.domain_index(&placed.domain.name);
            let table = index.and_then(|index| caps.domains.get(index));
            let supervisors = index.and_then(|index| caps.supervisors.get(index));
            domain_config(
                placed,
                table.map_or(&[], Vec::as_slice),
                supervisors.map_or(&[], Vec::as_slice),
                scheduled_by(manifest, &placed.domain),
            )
        })
        .collect();
    ImageConfig {
        name: leak_str(&manifest.name),
        run_for_ns: manifest.run_for_ns,
        switch_cost_ns: timing.switch_cost,
        min_period_ns: timing.min_period,
        min_slice_ns: timing.min_slice,
        console: console_uart(manifest),
        domains: leak(domains),
        regions: leak(caps.regions),
        channels: leak(caps.channels),
        irqs: leak(caps.irqs),
        trace_records: manifest.trace_records,
    }
}

/// The file beside a built kernel image that says which UART carries the
/// kernel's console (`pl011` or `mini-uart`), so that whoever boots the
/// image (`cargo xtask run`, the tests) wires QEMU's serial ports right
/// without the manifest.
pub const CONSOLE_FILE: &str = "console";

/// Records `console` beside the kernel image `kernel` (see
/// [`CONSOLE_FILE`]).
pub fn write_console(kernel: &std::path::Path, console: ConsoleUart) -> anyhow::Result<()> {
    let path = kernel.with_file_name(CONSOLE_FILE);
    let word = match console {
        ConsoleUart::Pl011 => "pl011",
        ConsoleUart::MiniUart => "mini-uart",
    };
    std::fs::write(&path, format!("{word}\n"))
        .map_err(|error| anyhow::anyhow!("writing {}: {error}", path.display()))
}

/// The console recorded beside the kernel image `kernel`: the PL011 when
/// nothing is recorded (a kernel built without a manifest).
pub fn read_console(kernel: &std::path::Path) -> ConsoleUart {
    match std::fs::read_to_string(kernel.with_file_name(CONSOLE_FILE)).as_deref().map(str::trim) {
        Ok("mini-uart") => ConsoleUart::MiniUart,
        _ => ConsoleUart::Pl011,
    }
}

/// The kernel driver of the manifest's console device (checked to have one
/// when the manifest was read): which UART carries the kernel's output.
pub fn console_uart(manifest: &Manifest) -> ConsoleUart {
    let driver = manifest.board.device(&manifest.console).and_then(|device| device.console);
    driver.map_or(ConsoleUart::Pl011, ConsoleUart::from)
}

/// A group member's scheduler domain and the event slot there for it.
fn scheduled_by(manifest: &Manifest, domain: &Domain) -> Option<EventTarget> {
    let scheduler = manifest.domain_index(domain.scheduled_by.as_deref()?)?;
    let event = manifest.domains[scheduler].group_event?;
    Some(EventTarget { domain: scheduler, event: usize::try_from(event).ok()? })
}

/// The kernel's entry for `placed`, with the capabilities `caps` (its
/// table after the kernel's own, see [`ImageCaps`]), its supervisors and,
/// for a group member, its scheduler.
pub fn domain_config(
    placed: &PlacedDomain,
    caps: &[CapConfig],
    supervisors: &[EventTarget],
    scheduled_by: Option<EventTarget>,
) -> DomainConfig {
    let (domain, program) = (&placed.domain, &placed.program);
    DomainConfig {
        name: leak_str(&domain.name),
        program: leak_str(&domain.program),
        reservation: reservation(domain),
        slot_base: placed.slot_base,
        entry: program.entry,
        activation_sp: program.activation_sp,
        image: leak(program.image.clone()),
        segments: leak(placed.segments()),
        scheduler: domain.scheduler.name(),
        threads: leak(threads(domain)),
        caps: leak(caps.to_vec()),
        args: leak_str(&domain.args),
        supervisors: leak(supervisors.to_vec()),
        supervision: supervision(domain),
        scheduled_by,
        core: domain.core,
    }
}

/// The restart policy `domain` passes on to its DCB.
pub fn supervision(domain: &Domain) -> Supervision {
    let RestartPolicy { limit, window_ns, backoff_ns } = domain.restart;
    match domain.supervision_event {
        Some(event) => Supervision { event, limit, window_ns, backoff_ns },
        None => Supervision::NONE,
    }
}

/// `domain`'s reservation.
pub fn reservation(domain: &Domain) -> ReservationConfig {
    ReservationConfig {
        period_ns: domain.period_ns,
        slice_ns: domain.slice_ns,
        latency_ns: domain.latency_ns,
        extra: domain.extra,
    }
}

/// The threads `domain` declares, or its group's members (a period or
/// deadline it does not give is 0).
pub fn threads(domain: &Domain) -> Vec<ThreadConfig> {
    domain
        .threads
        .iter()
        .chain(&domain.members)
        .map(|thread| ThreadConfig {
            name: leak_str(&thread.name),
            period_ns: thread.period_ns.unwrap_or(0),
            wcet_ns: thread.wcet_ns,
            deadline_ns: thread.deadline_ns.unwrap_or(0),
            tickets: thread.tickets,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::SegmentRights;
    use std::path::Path;
    use vesper_abi::cap::Object;
    use vesper_abi::image::EventTarget;

    fn full() -> Manifest {
        Manifest::parse_any_program(
            include_str!("../tests/full.toml"),
            Path::new("images/builder/tests/full.toml"),
        )
        .unwrap()
    }

    /// Each domain of `manifest` with a one-page program, its bytes the
    /// domain's number.
    fn placed(manifest: &Manifest) -> Vec<PlacedDomain> {
        let page = [(0, 0x1000, SegmentRights::ReadWrite)];
        (0u8..)
            .zip(&manifest.domains)
            .map(|(number, domain)| {
                PlacedDomain::stand_in(domain, vec![number; 4], &page, 0, 0x1000)
            })
            .collect()
    }

    /// `domain` given a page of code at the start of its program and a
    /// page of stack after it, which the stand-ins lack.
    fn runnable(mut domain: DomainConfig) -> DomainConfig {
        use vesper_abi::image::{Segment, SegmentRights as Rights};
        let code = domain.slot_base + vesper_abi::layout::IMAGE_OFFSET;
        domain.segments = leak(vec![
            Segment { start: code, end: code + 0x1000, rights: Rights::ReadExecute },
            Segment { start: code + 0x1000, end: code + 0x2000, rights: Rights::ReadWrite },
        ]);
        (domain.entry, domain.activation_sp) = (code, code + 0x2000);
        domain
    }

    #[test]
    fn the_kernel_s_boot_check_passes_what_the_builder_writes_and_no_more() {
        use vesper_abi::image_check::{BoardLimits, DomainError};
        let manifest = full();
        let image = image_config(&manifest, &placed(&manifest));
        let board = BoardLimits { kernel_end: 0, ram_end: 0x3C00_0000, irq_lines: 72 };
        // The stand-ins' one page is data: no entry point in code.
        assert_eq!(image.check_domain(0, &board), Err(DomainError::BadEntry));
        let domains: Vec<DomainConfig> = image.domains.iter().copied().map(runnable).collect();
        let with = |domains: Vec<DomainConfig>| ImageConfig { domains: leak(domains), ..image };
        let good = with(domains.clone());
        for index in 0..good.domains.len() {
            assert_eq!(good.check_domain(index, &board), Ok(()), "{}", good.domains[index].name);
        }
        let mut bad = domains.clone();
        bad[1].core = 4;
        assert_eq!(with(bad).check_domain(1, &board), Err(DomainError::OtherCore(4)));
        let mut bad = domains.clone();
        bad[1].slot_base = bad[0].slot_base;
        assert_eq!(with(bad).check_domain(1, &board), Err(DomainError::BadSlot));
        // A member must be on its scheduler's core.
        let mut group = domains.clone();
        group[1].scheduled_by = Some(EventTarget { domain: 0, event: 5 });
        assert_eq!(with(group.clone()).check_domain(1, &board), Ok(()));
        group[1].core = 2;
        assert_eq!(with(group).check_domain(1, &board), Err(DomainError::BadGroup));
    }

    #[test]
    fn a_capability_shows_in_the_dcb_under_the_image_s_name_for_it() {
        let manifest = full();
        let image = image_config(&manifest, &placed(&manifest));
        let rights = vesper_abi::cap::Rights::SEND;
        let end = image.cap_info(0, 7, Object::Channel { channel: 0, end: 0 }, rights);
        assert_eq!((end.handle, end.event, end.rights), (7, 2, rights.bits()));
        assert!(end.name.starts_with(b"readings\0"));
        let own = image.cap_info(2, 1, Object::Domain { domain: 2 }, rights);
        assert!(own.name.starts_with(b"self\0"));
        let other = image.cap_info(2, 1, Object::Reservation { domain: 0 }, rights);
        assert!(other.name.starts_with(b"sensor\0"));
    }

    #[test]
    fn the_full_example_fills_every_table() {
        let manifest = full();
        let placed = placed(&manifest);
        let image = image_config(&manifest, &placed);
        let caps = ImageCaps::of(&manifest);
        assert_eq!(image.name, "full");
        assert_eq!(image.run_for_ns, Some(100_000_000));
        let timing = manifest.board.timing;
        assert_eq!(
            (image.switch_cost_ns, image.min_period_ns, image.min_slice_ns),
            (timing.switch_cost, timing.min_period, timing.min_slice)
        );
        assert_eq!(
            (image.regions, image.channels, image.irqs),
            (&caps.regions[..], &caps.channels[..], &caps.irqs[..])
        );
        assert_eq!(
            image.channels[0].ends,
            [EventTarget { domain: 0, event: 2 }, EventTarget { domain: 2, event: 0 }]
        );

        let names: Vec<&str> = image.domains.iter().map(|d| d.name).collect();
        assert_eq!(names, ["sensor", "leds", "work", "audit"]);
        for ((domain, placed), caps) in image.domains.iter().zip(&placed).zip(&caps.domains) {
            assert_eq!(domain.image, placed.program.image);
            assert_eq!(domain.segments, placed.segments());
            assert_eq!(domain.caps, caps);
        }

        let sensor = &image.domains[0];
        assert_eq!(sensor.program, "sleeper");
        assert_eq!(
            sensor.reservation,
            ReservationConfig {
                period_ns: 10_000_000,
                slice_ns: 1_000_000,
                latency_ns: 500_000,
                extra: false
            }
        );
        // The program, then the stack and the memory.
        assert_eq!(sensor.segments.len(), 3);
        assert!(sensor.segments.iter().all(|s| s.rights == SegmentRights::ReadWrite));
        assert_eq!(sensor.caps[4].object, Object::Channel { channel: 0, end: 0 });

        let work = &image.domains[2];
        assert_eq!((work.scheduler, work.reservation.extra), ("edf", true));
        let thread = |name, period_ns, wcet_ns, deadline_ns, tickets| ThreadConfig {
            name,
            period_ns,
            wcet_ns,
            deadline_ns,
            tickets,
        };
        assert_eq!(
            work.threads,
            [
                thread("video", 10_000_000, 2_000_000, 10_000_000, 100),
                thread("audio", 5_000_000, 1_000_000, 4_000_000, 300),
                thread("batch", 0, 30_000_000, 0, 100),
            ]
        );
    }
}
