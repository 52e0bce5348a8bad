//! Reading a domain's `uses` and `interrupts`: the devices of the board it
//! maps and the interrupts of those devices it takes, each with its event
//! slot.

use super::super::reader::{did_you_mean, integer_value, Problems, Section};
use super::super::report::Problem;
use super::super::{InterruptRoute, CAP_SLOTS, EVENT_SLOTS, KERNEL_CAPS};
use crate::board::{Board, Device};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::DeValue;
use toml::Spanned;

/// The most devices a domain's `uses` may list: each is a capability, in
/// the slots the kernel's own leave.
const MAX_USES: usize = CAP_SLOTS - KERNEL_CAPS;

/// The most interrupts a domain's `interrupts` may hold: each has an event
/// slot of its own.
const MAX_INTERRUPTS: usize = EVENT_SLOTS as usize;

/// Reads the `uses` of `domain` up to [`MAX_USES`]: the devices it names
/// once that `board` (if known) has and that domains may use. A device
/// whose pages hold kernel registers too is refused, unless it reaches
/// all of RAM by DMA and the domain is `trusted`: such a domain could
/// rewrite the kernel through the device anyway, so the shared page gives
/// it nothing more (the mailbox, whose page holds the interrupt
/// controller).
pub(super) fn uses(
    domain: &Section,
    board: Option<&Board>,
    trusted: bool,
    problems: &mut Problems,
) -> Vec<Spanned<String>> {
    let mut uses: Vec<Spanned<String>> = Vec::new();
    let mut devices = domain.strings("uses", problems);
    let count = devices.len();
    let beyond = devices.split_off(count.min(MAX_USES));
    if let Some(device) = beyond.first() {
        problems.at(
            &device.span(),
            &domain.what("uses"),
            format!(
                "{count} devices, but a domain's capability table has {CAP_SLOTS} slots, \
                 {KERNEL_CAPS} of them the kernel's; the devices from this one on are not checked"
            ),
        );
    }
    let what = domain.what("uses");
    for device in devices {
        if uses.iter().any(|used| used.get_ref() == device.get_ref()) {
            problems.at(&device.span(), &what, format!("{} is listed twice", device.get_ref()));
            continue;
        }
        let Some(board) = board else { continue };
        let Some(found) = usable_device(board, &device, &what, problems) else { continue };
        let kernel = board.kernel_device_near(found).filter(|_| !(trusted && found.dma));
        if let Some(kernel) = kernel {
            let pages = found.pages();
            problems.at(
                &device.span(),
                &what,
                format!(
                    "{} shares a page with {}, which belongs to the kernel: a domain maps a \
                     device by whole 4KiB pages ({:#x}-{:#x}), so it would reach the kernel's \
                     registers ({:#x}-{:#x})",
                    found.name,
                    kernel.name,
                    pages.start,
                    pages.end,
                    kernel.base,
                    kernel.registers().end
                ),
            );
        }
        uses.push(device);
    }
    uses
}

/// Reports each device of `uses` that can reach all of RAM by DMA: the
/// domain is not `trusted`, and such a device would give it the machine.
pub(super) fn refuse_dma(
    domain: &Section,
    board: Option<&Board>,
    uses: &[Spanned<String>],
    problems: &mut Problems,
) {
    let Some(board) = board else { return };
    for device in uses {
        if board.device(device.get_ref()).is_some_and(|found| found.dma) {
            let reason = format!(
                "{} can write anywhere in RAM by DMA, and the Pi has no IOMMU to stop it: a \
                 domain that uses it holds the whole machine and must be marked trusted",
                device.get_ref()
            );
            problems.report(
                Problem::at(&device.span(), &domain.what("uses"), reason)
                    .help("add `trusted = true` to the domain if you trust its program"),
            );
        }
    }
}

/// The device of `board` that `device` (in `what`) names, if domains may
/// use it; reports it if it names none, or the kernel's.
fn usable_device<'b>(
    board: &'b Board,
    device: &Spanned<String>,
    what: &str,
    problems: &mut Problems,
) -> Option<&'b Device> {
    match board.device(device.get_ref()) {
        None => {
            let usable: Vec<&str> =
                board.devices.iter().filter(|d| !d.kernel).map(|d| d.name.as_str()).collect();
            let reason = format!(
                "no device is called {:?} on board {}; its devices are: {}",
                device.get_ref(),
                board.name,
                usable.join(", ")
            );
            let help = did_you_mean(device.get_ref(), &usable, |close| format!("{close:?}"));
            problems.report(Problem::at(&device.span(), what, reason).maybe_help(help));
            None
        }
        Some(found) if found.kernel => {
            problems.at(
                &device.span(),
                what,
                format!(
                    "{} ({}) belongs to the kernel: no domain may use it",
                    found.name, found.description
                ),
            );
            None
        }
        found => found,
    }
}

/// Reads the `interrupts` table of `domain`, `"DEVICE.NAME" = event slot`,
/// up to [`MAX_INTERRUPTS`]. Returns the interrupts that `board` (if known)
/// has on devices the domain `uses`, and the routes of those with a valid
/// event slot (by slot).
pub(super) fn interrupts(
    domain: &Section,
    board: Option<&Board>,
    uses: &[Spanned<String>],
    problems: &mut Problems,
) -> (Vec<Spanned<String>>, Vec<InterruptRoute>) {
    let mut taken = Vec::new();
    let mut routes = Vec::new();
    let Some((table, _)) = domain.table("interrupts", problems) else {
        return (taken, routes);
    };
    let what = domain.what("interrupts");
    // The table iterates by key; "from this one on" means in the file.
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let beyond = entries.split_off(entries.len().min(MAX_INTERRUPTS));
    if let Some((key, _)) = beyond.first() {
        problems.at(
            &key.span(),
            &what,
            format!(
                "{} interrupts, but a domain has {EVENT_SLOTS} event slots, one for each interrupt \
                 it takes; the interrupts from this one on are not checked",
                table.len()
            ),
        );
    }
    let mut slots: BTreeMap<u64, String> = BTreeMap::new();
    for (key, value) in entries {
        let name = key.get_ref().as_ref();
        let slot = event_slot(name, value, &what, &mut slots, problems);
        let Some(board) = board else { continue };
        let Some(number) = interrupt_number(board, name, &key.span(), uses, &what, problems) else {
            continue;
        };
        taken.push(Spanned::new(key.span(), name.to_string()));
        if let Some(slot) = slot {
            routes.push(InterruptRoute { interrupt: name.to_string(), number, event: slot });
        }
    }
    routes.sort_by_key(|route| route.event);
    (taken, routes)
}

/// The event slot `value` gives the interrupt `name` (of `what`), if it is
/// one; reports it if it is not, or if another interrupt of `slots` (the
/// slots given so far, to which it is added) has it.
fn event_slot(
    name: &str,
    value: &Spanned<DeValue>,
    what: &str,
    slots: &mut BTreeMap<u64, String>,
    problems: &mut Problems,
) -> Option<u64> {
    let slot = integer_value(value, 0..=EVENT_SLOTS - 1)
        .map_err(|reason| {
            problems.at(
                &value.span(),
                &format!("{what}, interrupt {name}"),
                format!("the event slot {reason}"),
            )
        })
        .ok()?;
    if let Some(other) = slots.insert(*slot.get_ref(), name.to_string()) {
        problems.at(
            &slot.span(),
            what,
            format!("{name} and {other} both use event slot {}", slot.get_ref()),
        );
    }
    Some(slot.into_inner())
}

/// The number of the interrupt `name` (at `span` in `what`), if `board`
/// has it on a device the domain `uses`; reports it otherwise.
fn interrupt_number(
    board: &Board,
    name: &str,
    span: &Range<usize>,
    uses: &[Spanned<String>],
    what: &str,
    problems: &mut Problems,
) -> Option<u32> {
    let Some(interrupt) = board.interrupt(name) else {
        problems.at(span, what, unknown_interrupt(board, name));
        return None;
    };
    if !uses.iter().any(|device| device.get_ref() == &interrupt.device.name) {
        problems.at(
            span,
            what,
            format!(
                "{name} is an interrupt of {}, which this domain does not list in `uses`",
                interrupt.device.name
            ),
        );
        return None;
    }
    Some(interrupt.number)
}

/// Why `name` is not an interrupt of `board`.
pub(super) fn unknown_interrupt(board: &Board, name: &str) -> String {
    let device_name = name.split_once('.').map_or(name, |(device, _)| device);
    match board.device(device_name) {
        Some(device) if device.interrupts.is_empty() => {
            format!("{} has no interrupts a domain may take", device.name)
        }
        Some(device) => {
            let names: Vec<String> =
                device.interrupts.keys().map(|irq| format!("{}.{irq}", device.name)).collect();
            format!(
                "no interrupt is called {name:?}: interrupts are named DEVICE.NAME, and those of \
                 {} are {}",
                device.name,
                names.join(", ")
            )
        }
        None => format!(
            "no interrupt is called {name:?}: interrupts are named DEVICE.NAME, and board {} \
             has no device {device_name:?}",
            board.name
        ),
    }
}
