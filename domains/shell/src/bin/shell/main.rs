//! `shell`: an interactive shell on the console service (the `uart`
//! driver; the manifest gives it `services = ["console"]`). It reads typed
//! lines and answers:
//!
//! - `help`: the commands;
//! - `echo TEXT`: TEXT;
//! - `uptime`: the time since boot;
//! - `ps`: itself and every domain it supervises (`supervises = ["*"]` in
//!   the manifest gives it a capability to each, with `READ`): state,
//!   reservation, CPU received so far, activations, its user-level
//!   scheduler, from the `domain_info` system call; then, for each domain
//!   stopped for a fault, the kernel's report of it (the exception,
//!   decoded, its syndrome, pc and address);
//! - `reserve NAME PERIOD SLICE`: changes the reservation of domain NAME
//!   (or `self`) through its reservation capability, under admission
//!   control (durations as in manifests: `10ms`, `500us`);
//! - `trace`: writes out the trace records not out yet, the kernel's and
//!   every domain's (`trace_flush`, with a capability to a domain it
//!   supervises as the authority; in an image with `[image] trace`: see
//!   docs/tracing.md), and says how many went;
//! - `ls`, `cat NAME`, `write NAME TEXT`: the files of the SD card's FAT
//!   partition, when the manifest also gives the shell the block service
//!   (`services = ["console", "block"]`; see `files`).

#![no_std]
#![no_main]

use core::fmt::Write as _;
use embedded_io::Read;
use heapless::{String, Vec};
use vesper_abi::cap::{CapInfo, CapKind, KERNEL_CAP_NAMES};
use vesper_abi::dcb::{
    DomainInfo, DOMAIN_EXITED, DOMAIN_FAULTED, DOMAIN_RUNNING, FAULT_BAD_DCB, FAULT_NONE,
};
use vesper_abi::syndrome::Syndrome;
use vesper_activations::console::with_own_console;
use vesper_activations::events::caps;
use vesper_activations::syscall::{domain_info, reservation_set, trace_flush};
use vesper_activations::{now_ns, println};

mod files;

vesper_activations::main!(run);

/// The longest line read.
const LINE_MAX: usize = 120;

fn run() {
    if with_own_console(|_| ()).is_none() {
        println!("shell: the manifest gives this domain no console (services = [\"console\"])");
        return;
    }
    println!("shell: ready; type help");
    let mut card = files::Card::default();
    let mut line: Vec<u8, LINE_MAX> = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let Some(Ok(n)) = with_own_console(|console| console.read(&mut buf)) else {
            println!("shell: the console broke");
            return;
        };
        for &byte in &buf[..n] {
            match byte {
                b'\n' | b'\r' => {
                    if let Ok(text) = core::str::from_utf8(&line) {
                        answer(text.trim(), &mut card);
                    }
                    line.clear();
                }
                0x08 | 0x7f => {
                    line.pop();
                }
                _ => {
                    // A line past the buffer is cut; the rest is dropped.
                    let _ = line.push(byte);
                }
            }
        }
    }
}

/// Carries out one command line.
fn answer(line: &str, card: &mut files::Card) {
    let mut words = line.split_whitespace();
    match (words.next(), words.clone().next()) {
        (None, _) => {}
        (Some("help"), _) => {
            println!(
                "commands: help, echo TEXT, uptime, ps, reserve NAME PERIOD SLICE, trace, ls, \
                 cat NAME, write NAME TEXT"
            );
        }
        (Some("echo"), _) => println!("{}", line["echo".len()..].trim_start()),
        (Some("uptime"), _) => println!("up {}", Duration(now_ns())),
        (Some("ps"), _) => ps(),
        (Some("reserve"), _) => reserve(words),
        (Some("trace"), _) => trace(),
        (Some("ls"), _) => card.ls(),
        (Some("cat"), Some(name)) => card.cat(name),
        (Some("write"), Some(name)) => {
            let text = line["write".len()..].trim_start()[name.len()..].trim_start();
            card.write(name, text);
        }
        (Some("cat" | "write"), None) => println!("usage: cat NAME, write NAME TEXT"),
        (Some(other), _) => println!("unknown command {other:?}; try help"),
    }
}

/// `trace`: has the kernel write out the trace records made so far, with
/// the capability to a domain the shell supervises as its authority.
fn trace() {
    let observed = domain_caps().find(|cap| cap.name() != KERNEL_CAP_NAMES[0]);
    let Some(cap) = observed else {
        println!("trace: the shell supervises no domain (`supervises` in the manifest)");
        return;
    };
    match trace_flush(cap.handle) {
        Ok(0) => println!("trace: nothing new (or the image does not trace)"),
        Ok(count) => println!("trace: {count} records written out"),
        Err(error) => println!("trace: {error:?}"),
    }
}

/// One line per domain this one can read: itself, then those it supervises.
fn ps() {
    println!(
        "domain       state      period      slice     cpu        activations  restarts  scheduler"
    );
    let mut faulted = Vec::<DomainInfo, 16>::new();
    for cap in domain_caps() {
        match domain_info(cap.handle) {
            Ok(info) => {
                println!("{}", Row(&info));
                if info.fault.kind != FAULT_NONE {
                    let _ = faulted.push(info);
                }
            }
            Err(error) => println!("{}: {error:?}", cap.name()),
        }
    }
    for info in &faulted {
        println!("{}", FaultLine(info));
    }
}

/// Why a domain was last stopped for a fault (it may have been restarted
/// since: `ps` shows its restarts): its exception's class and syndrome,
/// where it was, and what it touched.
struct FaultLine<'a>(&'a DomainInfo);

impl core::fmt::Display for FaultLine<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (info, fault) = (self.0, &self.0.fault);
        match fault.kind {
            FAULT_BAD_DCB => write!(f, "{}: stopped: its DCB named no context slot", info.name()),
            _ => write!(
                f,
                "{}: fault: {} (syndrome {:#010x}) at pc {:#x}, address {:#x}",
                info.name(),
                Syndrome::new(fault.syndrome),
                fault.syndrome,
                fault.pc,
                fault.address
            ),
        }
    }
}

/// The domain capabilities this domain holds that let it read.
fn domain_caps() -> impl Iterator<Item = CapInfo> {
    caps().filter(|cap| cap.kind() == CapKind::Domain)
}

/// `reserve NAME PERIOD SLICE`.
fn reserve<'a>(mut words: impl Iterator<Item = &'a str>) {
    let (Some(name), Some(period), Some(slice)) = (words.next(), words.next(), words.next()) else {
        println!("usage: reserve NAME PERIOD SLICE (for example: reserve worker 10ms 3ms)");
        return;
    };
    let (Some(period_ns), Some(slice_ns)) = (parse_duration(period), parse_duration(slice)) else {
        println!("reserve: durations are a number and a unit: ns, us, ms or s");
        return;
    };
    // The domain's own reservation capability is the kernel's second.
    let wanted = if name == "self" { KERNEL_CAP_NAMES[1] } else { name };
    let Some(cap) = caps().find(|cap| cap.kind() == CapKind::Reservation && cap.name() == wanted)
    else {
        println!("reserve: this shell holds no reservation of a domain called {name:?}");
        return;
    };
    match reservation_set(cap.handle, period_ns, slice_ns) {
        Ok(_) => {
            println!("reserve: {name} now has {} every {}", Duration(slice_ns), Duration(period_ns))
        }
        Err(error) => println!("reserve: refused: {error:?}"),
    }
}

/// A duration as manifests write it: digits, then `ns`, `us`, `ms` or `s`.
fn parse_duration(text: &str) -> Option<u64> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    let number: u64 = text[..digits].parse().ok()?;
    let unit = match &text[digits..] {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return None,
    };
    number.checked_mul(unit)
}

/// Nanoseconds shown in the largest unit that keeps them whole enough.
struct Duration(u64);

impl core::fmt::Display for Duration {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let ns = self.0;
        let mut text: String<24> = String::new();
        let _ = match ns {
            n if n >= 1_000_000_000 => {
                write!(text, "{}.{:03}s", n / 1_000_000_000, n / 1_000_000 % 1000)
            }
            n if n >= 1_000_000 => write!(text, "{}.{:03}ms", n / 1_000_000, n / 1_000 % 1000),
            n if n >= 1_000 => write!(text, "{}us", n / 1_000),
            n => write!(text, "{n}ns"),
        };
        f.pad(&text)
    }
}

/// One `ps` row.
struct Row<'a>(&'a DomainInfo);

impl core::fmt::Display for Row<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let info = self.0;
        let mut state: String<16> = String::new();
        let _ = match info.state {
            DOMAIN_RUNNING => write!(state, "running"),
            DOMAIN_EXITED => write!(state, "exited({})", info.exit_code),
            DOMAIN_FAULTED => write!(state, "faulted"),
            _ => write!(state, "stopped"),
        };
        write!(
            f,
            "{:<12} {:<10} {:>10} {:>10} {:>10} {:>12} {:>9}  {}",
            info.name(),
            state,
            Duration(info.reservation.period_ns),
            Duration(info.reservation.slice_ns),
            Duration(info.accounting.cpu_ns),
            info.accounting.activations,
            info.restarts,
            info.scheduler()
        )
    }
}
