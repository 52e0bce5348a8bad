//! One test per validation rule: each asserts that the message names the
//! file, line and column, the table and key, and the reason. Then a
//! property test: parsing and validating never panic.

use super::*;
use crate::layout::SLOT_ROOM;
use crate::units::PPB_ONE;
use std::time::{Duration, Instant};
use vesper_abi::cap::Object;
use vesper_abi::layout::{MAX_DOMAINS, MAX_REGIONS};

fn programs() -> BTreeSet<String> {
    ["hello", "periodic", "sleeper", "spin"].into_iter().map(String::from).collect()
}

fn parse(text: &str) -> Result<Manifest> {
    Manifest::parse(text, Path::new("images/test.toml"), &programs())
}

fn error(text: &str) -> String {
    format!("{:#}", parse(text).unwrap_err())
}

/// The report of the problems that refuse `text`.
fn report(text: &str) -> Report {
    parse(text).unwrap_err().downcast().expect("a manifest's error is its report")
}

/// The 1-based line of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The lines and labels of the places `problem` also points at.
fn related(text: &str, problem: &Problem) -> Vec<(usize, String)> {
    problem.related.iter().map(|(span, label)| (line_of(text, span.start), label.clone())).collect()
}

/// The one-line warnings of `text`, which must be valid.
fn warnings(text: &str) -> Vec<String> {
    parse(text).unwrap_or_else(|err| panic!("{err:#}")).warnings.lines()
}

/// Asserts that `text` is refused with a message containing each of
/// `expected`.
fn refused(text: &str, expected: &[&str]) -> String {
    let err = error(text);
    for line in expected {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    err
}

/// A `[[domain]]` table with the required keys, then `more` lines.
fn domain(name: &str, program: &str, period: &str, slice: &str) -> String {
    format!(
        "[[domain]]\nname = {name:?}\nprogram = {program:?}\nperiod = {period:?}\n\
         slice = {slice:?}\n"
    )
}

/// A domain `name` with a 10% reservation and `extra` lines.
fn with(name: &str, extra: &str) -> String {
    format!("{}{extra}\n", domain(name, "spin", "10ms", "1ms"))
}

const FULL: &str = include_str!("../../tests/full.toml");

#[test]
fn a_minimal_manifest_gets_the_defaults() {
    let manifest = parse(&domain("a", "spin", "1ms", "1ms")).unwrap();
    assert_eq!(manifest.name, "test");
    assert_eq!(manifest.board.name, "rpi3");
    assert_eq!(manifest.console, "uart0");
    assert_eq!(manifest.run_for_ns, None);
    assert_eq!(manifest.utilisation_ppb(), PPB_ONE);
    let a = &manifest.domains[0];
    assert_eq!((a.extra, a.latency_ns, a.stack_bytes, a.memory_bytes), (false, 1_000_000, 0, 0));
    assert_eq!(a.scheduler, Scheduler::Fifo);
    assert!(a.threads.is_empty() && a.uses.is_empty() && a.interrupts.is_empty());
    assert_eq!(a.layout, DomainLayout::new(0, 0, 0).unwrap());
    assert!(manifest.shares.is_empty() && manifest.regions.is_empty());
    assert!(manifest.channels.is_empty());
}

#[test]
fn the_sd_card_is_found_beside_the_manifest() {
    let text =
        format!("[image]\nsd-card = \"cards/sd.img\"\n{}", domain("a", "spin", "10ms", "1ms"));
    let manifest = Manifest::parse(&text, Path::new("images/test.toml"), &programs()).unwrap();
    assert_eq!(manifest.sd_card.as_deref(), Some(Path::new("images/cards/sd.img")));
    let empty = format!("[image]\nsd-card = \"\"\n{}", domain("a", "spin", "10ms", "1ms"));
    refused(&empty, &["[image], key `sd-card`: an empty path names no file"]);
}

#[test]
fn every_key_of_the_full_example_is_read() {
    let manifest = Manifest::parse(FULL, Path::new("full.toml"), &programs()).unwrap();
    assert_eq!(manifest.name, "full");
    assert_eq!(manifest.run_for_ns, Some(100_000_000));
    let [sensor, leds, work, audit] = &manifest.domains[..] else { panic!("four domains") };
    assert_eq!(sensor.latency_ns, 500_000);
    assert_eq!((sensor.stack_bytes, sensor.memory_bytes), (64 << 10, 256 << 10));
    assert_eq!(sensor.uses, ["systimer", "gpio"]);
    assert_eq!(
        sensor.interrupts,
        [
            InterruptRoute { interrupt: "systimer.c1".into(), number: 1, event: 0 },
            InterruptRoute { interrupt: "gpio.bank0".into(), number: 49, event: 1 },
        ]
    );
    assert_eq!(sensor.sizes_at, Location { line: 22, column: 10 });
    assert_eq!(leds.uses, ["gpio"]);
    assert_eq!(
        leds.interrupts,
        [InterruptRoute { interrupt: "gpio.bank0".into(), number: 49, event: 0 }]
    );
    assert_eq!(audit.scheduler, Scheduler::Stride);
    assert_eq!(audit.threads.len(), 2);
    assert_eq!(audit.threads[0].tickets, 200);
    assert_eq!(work.scheduler, Scheduler::Edf);
    assert!(work.extra);
    assert_eq!(
        work.threads,
        [
            Thread {
                name: "video".into(),
                period_ns: Some(10_000_000),
                wcet_ns: 2_000_000,
                deadline_ns: Some(10_000_000),
                tickets: DEFAULT_TICKETS
            },
            Thread {
                name: "audio".into(),
                period_ns: Some(5_000_000),
                wcet_ns: 1_000_000,
                deadline_ns: Some(4_000_000),
                tickets: 300
            },
            Thread {
                name: "batch".into(),
                period_ns: None,
                wcet_ns: 30_000_000,
                deadline_ns: None,
                tickets: DEFAULT_TICKETS
            },
        ]
    );
    assert_eq!(
        manifest.shares,
        [
            Share {
                target: ShareTarget::Device("gpio".into()),
                domains: vec!["sensor".into(), "leds".into()]
            },
            Share {
                target: ShareTarget::Interrupt("gpio.bank0".into()),
                domains: vec!["sensor".into(), "leds".into()]
            },
        ]
    );
    let [samples, dma] = &manifest.regions[..] else { panic!("two regions") };
    assert_eq!(samples.range, AddressRange { start: 0x400_0000, end: 0x401_0000 });
    assert!(!samples.fixed);
    assert_eq!(
        samples.access,
        [("sensor".to_string(), RegionRights::ReadWrite), ("work".to_string(), RegionRights::Read)]
    );
    assert_eq!(dma.range, AddressRange { start: 0x800_0000, end: 0x810_0000 });
    assert!(dma.fixed);
    assert_eq!(
        manifest.channels,
        [Channel {
            name: "readings".into(),
            ends: [
                // The sensor's interrupts take its event slots 0 and 1.
                ChannelEnd { domain: "sensor".into(), rights: ChannelRights::Send, event: 2 },
                ChannelEnd { domain: "work".into(), rights: ChannelRights::Receive, event: 0 },
            ]
        }]
    );
    assert_eq!(manifest.memory_end(), 0x810_0000);
}

#[test]
fn syntax_errors_are_located() {
    refused("[[domain]]\nname = \"a\nperiod = 3\n", &["images/test.toml:2:", "TOML syntax: "]);
    refused("a = [1,\nb = 2\n", &["images/test.toml:2:3: TOML syntax: unexpected `=`"]);
}

#[test]
fn unknown_keys_are_named_with_a_suggestion_and_the_allowed_keys() {
    let err = refused(
        &format!(
            "[image]\nrun_for = \"1s\"\n[images]\n{}slise = \"1ms\"\nthreads = [{{ name = \"t\", \
             period = \"1ms\", wcet = \"1ms\", colour = 1 }}]\n",
            domain("a", "spin", "1ms", "1ms")
        ),
        &[
            "images/test.toml:2:1: [image]: unknown key `run_for` ([image] has the keys name, \
             board, run-for, console, sd-card, trace); help: did you mean `run-for`?",
            "images/test.toml:3:2: the manifest: unknown key `images` (a manifest has the keys \
             image, domain, share, region, channel); help: did you mean `image`?",
            r#"images/test.toml:9:1: domain "a": unknown key `slise` (a [[domain]] has the keys name, program, period, slice, extra, latency, core, stack, memory, scheduler, threads, members, uses, interrupts, provides, services, supervises, restart-limit, restart-window, restart-backoff, trusted, args); help: did you mean `slice`?"#,
            r#"domain "a", thread "t": unknown key `colour` (a thread has the keys name, period, wcet, work, deadline, tickets)"#,
        ],
    );
    assert!(err.contains("(4 problems)"), "{err}");
}

#[test]
fn missing_keys_are_named() {
    refused(
        "[[domain]]\nname = \"a\"\n[[region]]\nname = \"r\"\n[[channel]]\nname = \"c\"\n\
         [[share]]\ndevice = \"gpio\"\n",
        &[
            r#"images/test.toml:1:1: domain "a", key `program`: missing (it is required)"#,
            r#"domain "a", key `period`: missing"#,
            r#"domain "a", key `slice`: missing"#,
            r#"images/test.toml:3:1: region "r", key `size`: missing"#,
            r#"region "r", key `domains`: missing"#,
            r#"images/test.toml:5:1: channel "c", key `ends`: missing"#,
            "share #1, key `domains`: missing",
        ],
    );
    refused("[[domain]]\nprogram = \"spin\"\n", &["domain #1, key `name`: missing"]);
    refused(
        "[[share]]\ndomains = []\n",
        &["share #1, key `device`: missing: a share names a `device` or an `interrupt`"],
    );
}

#[test]
fn wrong_types_are_named() {
    refused(
        &format!(
            "{}extra = \"yes\"\nuses = \"gpio\"\nstack = 4096\ninterrupts = 3\n[image]\nname = 7\n",
            domain("a", "spin", "1ms", "1ms")
        ),
        &[
            r#"images/test.toml:6:9: domain "a", key `extra`: must be true or false (found the string "yes")"#,
            r#"domain "a", key `uses`: must be an array of strings (found the string "gpio")"#,
            r#"domain "a", key `stack`: must be a string (found the integer 4096)"#,
            r#"domain "a", key `interrupts`: must be a table (found the integer 3)"#,
            "[image], key `name`: must be a string (found the integer 7)",
        ],
    );
    refused("domain = 1\n", &["the manifest, key `domain`: must be an array of tables"]);
    refused(
        "[domain]\nname = \"a\"\n",
        &["the manifest, key `domain`: must be an array of tables (found a table)"],
    );
}

#[test]
fn names_must_be_unique() {
    let region = |name: &str| {
        format!("[[region]]\nname = {name:?}\nsize = \"4KiB\"\ndomains = {{ a = \"r\" }}\n")
    };
    let channel = |name: &str| {
        format!("[[channel]]\nname = {name:?}\nends = {{ a = \"send\", b = \"receive\" }}\n")
    };
    let thread = "{ name = \"t\", period = \"10ms\", wcet = \"1ms\" }";
    refused(
        &format!(
            "{}{}{}{}{}{}{}",
            with("a", &format!("threads = [{thread}, {thread}]")),
            domain("b", "spin", "10ms", "1ms"),
            domain("a", "spin", "10ms", "1ms"),
            region("r"),
            region("r"),
            channel("c"),
            channel("c"),
        ),
        &[
            r#"domain "a", thread "t", key `name`: another thread of this domain has this name"#,
            r#"domain "a", key `name`: domain #1 has this name already (names must be unique)"#,
            r#"region "r", key `name`: region #1 has this name already"#,
            r#"channel "c", key `name`: channel #1 has this name already"#,
        ],
    );
}

#[test]
fn names_are_checked() {
    assert!(check_name("a").is_ok());
    assert!(check_name("Net_driver-2").is_ok());
    assert!(check_name(&"x".repeat(MAX_NAME_LEN)).is_ok());
    assert!(check_name(&"x".repeat(MAX_NAME_LEN + 1)).unwrap_err().contains("at most 31"));
    assert!(check_name("").unwrap_err().contains("empty"));
    assert!(check_name("é").unwrap_err().contains("'é'"));
    assert!(check_name("a.b").is_err());
    refused(
        &domain("bad name", "spin", "1ms", "1ms"),
        &[r#"images/test.toml:2:8: domain "bad name", key `name`: ' ' is not allowed"#],
    );
}

#[test]
fn name_limits_match_the_dcb() {
    let dcb = vesper_abi::dcb::DcbReadOnly::default();
    assert_eq!(dcb.name.len(), MAX_NAME_LEN + 1, "room for a terminating NUL");
    let spec = vesper_abi::dcb::ThreadSpec::default();
    assert_eq!(spec.name.len(), MAX_THREAD_NAME_LEN + 1);
    assert_eq!(MAX_THREADS, vesper_abi::dcb::MAX_THREAD_SPECS);
    assert_eq!(vesper_abi::cap::CapInfo::default().name.len(), MAX_CAP_NAME_LEN + 1);
    assert_eq!(dcb.events.len() as u64, EVENT_SLOTS);
}

#[test]
fn region_and_channel_names_fit_a_capability_name() {
    let long = "x".repeat(MAX_CAP_NAME_LEN + 1);
    let fits = "y".repeat(MAX_CAP_NAME_LEN);
    let text = |region: &str, channel: &str| {
        format!(
            "{}{}[[region]]\nname = {region:?}\nsize = \"4KiB\"\ndomains = {{ a = \"r\" }}\n\
             [[channel]]\nname = {channel:?}\nends = {{ a = \"send\", b = \"receive\" }}\n",
            with("a", ""),
            with("b", "")
        )
    };
    refused(
        &text(&long, &long),
        &[
            r#"images/test.toml:14:8: region "xxxxxxxxxxxxxxxx", key `name`: 16 bytes long, but region names have at most 15 (capabilities are named after them, in 16 bytes with a terminating NUL)"#,
            r#"images/test.toml:18:8: channel "xxxxxxxxxxxxxxxx", key `name`: 16 bytes long, but channel names have at most 15"#,
        ],
    );
    let manifest = parse(&text(&fits, &fits)).unwrap();
    assert_eq!((manifest.regions[0].name.len(), manifest.channels[0].name.len()), (15, 15));
}

#[test]
fn image_names_come_from_the_file_or_the_image_table() {
    let named =
        parse(&format!("[image]\nname = \"pi-demo\"\n{}", domain("a", "spin", "1s", "1ms")));
    assert_eq!(named.unwrap().name, "pi-demo");
    refused(
        &format!("[image]\nname = \"board\"\n{}", domain("a", "spin", "1s", "1ms")),
        &["images/test.toml:2:8: [image], key `name`: \"board\" names the output folder of a kernel variant"],
    );
    let err = format!(
        "{:#}",
        Manifest::parse(&domain("a", "spin", "1s", "1ms"), Path::new("my image.toml"), &programs())
            .unwrap_err()
    );
    assert!(err.contains("the image is named after the file (\"my image\")"), "{err}");
    assert!(err.contains("set [image] name"), "{err}");
    let err = format!(
        "{:#}",
        Manifest::parse(&domain("a", "spin", "1s", "1ms"), Path::new("qemu.toml"), &programs())
            .unwrap_err()
    );
    assert!(err.contains("kernel variant"), "{err}");
    assert!(check_image_name("selftest-x").is_err());
    assert!(check_image_name("qemu-demo").is_ok());
}

#[test]
fn bad_durations_name_the_key_and_the_forms() {
    refused(
        &format!(
            "[image]\nrun-for = \"0s\"\n{}latency = \"0ns\"\n{}",
            domain("a", "spin", "10", "0ms"),
            domain("b", "spin", "1ms", "1 ms"),
        ),
        &[
            "images/test.toml:2:11: [image], key `run-for`: must be greater than 0 (leave it out to run until halted)",
            r#"images/test.toml:6:10: domain "a", key `period`: "10" is not a duration: it has no unit; help: say which unit is meant: "10ns", "10us", "10ms" or "10s""#,
            r#"domain "a", key `slice`: must be greater than 0"#,
            r#"domain "a", key `latency`: must be greater than 0"#,
            r#"domain "b", key `slice`: "1 ms" is not a duration: nothing may come between the number and its unit; help: write "1ms""#,
        ],
    );
    // A bare TOML number, and a fraction.
    refused(
        &with("a", "latency = 10\n[[domain.threads]]\nname = \"t\"\nwork = \"1.5ms\""),
        &[
            r#"domain "a", key `latency`: must be a string (found the integer 10); help: say which unit is meant: "10ns", "10us", "10ms" or "10s""#,
            r#"domain "a", thread "t", key `work`: "1.5ms" is not a duration: durations are integers; help: write "1500us""#,
        ],
    );
}

#[test]
fn bad_sizes_name_the_key_and_the_forms() {
    refused(
        &format!(
            "{}{}{}",
            with("a", "stack = \"64KB\""),
            with("b", "memory = \"1000B\""),
            with("c", "memory = \"lots\""),
        ),
        &[
            r#"domain "a", key `stack`: "64KB" is not a size: KB is ambiguous (sizes use the binary units B, KiB, MiB, GiB); help: write "64KiB""#,
            r#"domain "b", key `memory`: 1000B is not a whole number of 4KiB pages"#,
            r#"domain "c", key `memory`: "lots" is not a size: it does not start with an integer; help: write an integer followed by one of the units B, KiB, MiB, GiB"#,
        ],
    );
}

#[test]
fn periods_and_slices_below_the_boards_minimum_are_refused() {
    let text = [domain("a", "spin", "500us", "10us"), domain("b", "spin", "1ns", "1ns")].concat();
    refused(
        &text,
        &[
            r#"domain "a", key `period`: 500us is shorter than the board allows (520us, `[timing] min-period` in its description)"#,
            r#"domain "a", key `slice`: 10us is shorter than the board allows (10400ns, `[timing] min-slice`"#,
            r#"domain "b", key `period`: 1ns is shorter than the board allows (520us"#,
            r#"domain "b", key `slice`: 1ns is shorter than the board allows (10400ns"#,
        ],
    );
    assert!(parse(&domain("a", "spin", "520us", "10400ns")).is_ok(), "the minimum itself");
}

#[test]
fn a_slice_longer_than_its_period_is_refused() {
    refused(
        &domain("a", "spin", "1ms", "2ms"),
        &[r#"images/test.toml:5:9: domain "a", key `slice`: 2ms is longer than the period (1ms)"#],
    );
}

#[test]
fn admission_control_counts_the_domains_that_were_read_and_points_at_each() {
    // A typo in "a" leaves it without a slice; "b" and "c" overload the CPU.
    let text = [
        domain("a", "spin", "10ms", "1ms").replace("slice", "slise"),
        domain("b", "spin", "10ms", "6ms"),
        domain("c", "hello", "20ms", "12ms"),
    ]
    .concat();
    let report = report(&text);
    assert_eq!(
        report.lines(),
        [
            r#"images/test.toml:1:1: domain "a", key `slice`: missing (it is required)"#,
            r#"images/test.toml:5:1: domain "a": unknown key `slise` (a [[domain]] has the keys name, program, period, slice, extra, latency, core, stack, memory, scheduler, threads, members, uses, interrupts, provides, services, supervises, restart-limit, restart-window, restart-backoff, trusted, args); help: did you mean `slice`?"#,
            "images/test.toml: admission control: utilisation 1.20 > 1, not counting domain \"a\" \
             (no valid period and slice): b 0.60, c 0.60 (the slices/periods must add up to at \
             most 1); help: take 0.20 of the CPU from these domains: shorten slices or lengthen \
             periods",
        ]
    );
    let admission = report.problems().last().unwrap();
    assert_eq!(admission.span, None);
    assert_eq!(
        related(&text, admission),
        [(10, "b: 0.60 (6ms every 10ms)".into()), (15, "c: 0.60 (12ms every 20ms)".into())]
    );
    let rendered = report.render(false);
    assert!(rendered.contains("15 | slice = \"12ms\"\n   |         ------ c: 0.60"), "{rendered}");
}

#[test]
fn admission_control_prints_the_utilisation_and_each_share() {
    let err = refused(
        &format!(
            "{}{}{}",
            domain("a", "spin", "10ms", "2ms"),
            domain("b", "spin", "10ms", "6ms"),
            domain("c", "spin", "10ms", "3ms")
        ),
        &["images/test.toml: admission control: utilisation 1.10 > 1: a 0.20, b 0.60, c 0.30"],
    );
    assert!(err.contains("(1 problem)"), "{err}");
    // Other problems in the domains do not hide an overload.
    refused(
        &format!("{}{}", with("a", "stack = \"7B\""), domain("b", "spin", "1ms", "1ms")),
        &[
            "domain \"a\", key `stack`: 7B is not a whole number",
            "utilisation 1.10 > 1: a 0.10, b 1.00",
        ],
    );
    let third = |name| domain(name, "spin", "3ns", "1ns");
    refused(
        &format!("{}{}{}", third("a"), third("b"), third("c")),
        &["utilisation 1.000000002 > 1"],
    );
}

#[test]
fn an_unknown_program_gets_a_suggestion_or_the_list_of_programs() {
    refused(
        &domain("a", "spinn", "1s", "1ms"),
        &[
            r#"images/test.toml:3:11: domain "a", key `program`: no domain program is called "spinn"; help: did you mean "spin"?"#,
        ],
    );
    refused(
        &domain("a", "Hello", "1s", "1ms"),
        &[r#"no domain program is called "Hello"; help: did you mean "hello"?"#],
    );
    refused(
        &domain("a", "idle", "1s", "1ms"),
        &[
            r#"no domain program is called "idle"; the programs are: hello, periodic, sleeper, spin"#,
        ],
    );
    let err = format!(
        "{:#}",
        Manifest::parse(&domain("a", "spin", "1s", "1ms"), Path::new("x.toml"), &BTreeSet::new())
            .unwrap_err()
    );
    assert!(err.contains("the programs are: none"), "{err}");
}

/// `count` domains `d0`, `d1`, ... of 1/16 of the CPU each: the first
/// [`MAX_DOMAINS`] make a full image, with room for nothing else.
fn domains(count: usize) -> String {
    (0..count).map(|i| domain(&format!("d{i}"), "hello", "16ms", "1ms")).collect()
}

/// Line 1 column 1 of the table after [`domains`]`(MAX_DOMAINS)`.
const AFTER_THE_DOMAINS: &str = "images/test.toml:81:1";

#[test]
fn the_domain_count_is_bounded() {
    refused("", &["images/test.toml: no domains: an image needs at least one [[domain]] table"]);
    assert_eq!(parse(&domains(MAX_DOMAINS)).unwrap().domains.len(), MAX_DOMAINS);
    assert_eq!(
        error(&domains(MAX_DOMAINS + 1)),
        format!(
            "invalid manifest images/test.toml (1 problem):\n  {AFTER_THE_DOMAINS}: the manifest, \
             key `domain`: 17 domains, but an image holds at most 16 (one per memory slot); the \
             tables from this one on are not checked"
        )
    );
}

#[test]
fn domains_beyond_the_limit_are_not_checked_nor_reported_where_named() {
    // The broken keys of the 17th domain, and the tables naming it, would
    // be problems of their own if it were checked.
    let text = format!(
        "{}[[domain]]\nname = \"late\"\nperiod = \"0s\"\n\
         [[region]]\nname = \"r\"\nsize = \"4KiB\"\ndomains = {{ d0 = \"rw\", late = \"r\" }}\n\
         [[channel]]\nname = \"c\"\nends = {{ d0 = \"send\", late = \"receive\" }}\n\
         [[share]]\ninterrupt = \"gpio.bank0\"\ndomains = [\"d0\", \"late\"]\n",
        domains(MAX_DOMAINS).replacen(
            "slice = \"1ms\"\n",
            "slice = \"1ms\"\nuses = [\"gpio\"]\ninterrupts = { \"gpio.bank0\" = 0 }\n",
            1
        )
    );
    let err = error(&text);
    assert!(err.starts_with("invalid manifest images/test.toml (1 problem):"), "{err}");
    assert!(err.contains("images/test.toml:83:1: the manifest, key `domain`: 17 domains"), "{err}");
}

#[test]
fn a_manifest_of_150_000_domains_is_refused_at_once() {
    // Checking each table beyond the limit, and locating each of its
    // problems from the start of the file, took hours.
    const COUNT: usize = 150_000;
    let mut text = domains(MAX_DOMAINS);
    for i in MAX_DOMAINS..COUNT {
        text.push_str(&format!("[[domain]]\nname = \"d{i}\"\n"));
    }
    text.push_str("[[channel]]\nname = \"c\"\nends = { d0 = \"send\", d149999 = \"receive\" }\n");
    let started = Instant::now();
    assert_eq!(
        error(&text),
        format!(
            "invalid manifest images/test.toml (1 problem):\n  {AFTER_THE_DOMAINS}: the manifest, \
             key `domain`: {COUNT} domains, but an image holds at most 16 (one per memory slot); \
             the tables from this one on are not checked"
        )
    );
    // A loose bound: parsing the TOML takes most of it.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// How long checking `text` takes once parsed (the least of a few runs, so
/// that a busy machine slows it less), and how many problems it has.
fn checking_time(text: &str) -> (Duration, usize) {
    let (document, errors) = DeTable::parse_recoverable(text);
    assert!(errors.is_empty(), "{errors:?}");
    let programs = programs();
    let run = || {
        let started = Instant::now();
        let mut problems = Problems::new("images/test.toml", text);
        let root = root_section(document.get_ref(), &mut problems);
        let _ = rules::read(&root, Path::new("images/test.toml"), Some(&programs), &mut problems);
        (started.elapsed(), problems.count())
    };
    (0..3).map(|_| run()).min().expect("three runs")
}

#[test]
fn checking_time_grows_linearly_with_the_problems() {
    // Tables without a limit on their number, each with a problem: shares
    // of a device that is shared already.
    let shares = |count: usize| {
        format!(
            "{}{}{}",
            with("a", "uses = [\"gpio\"]"),
            with("b", "uses = [\"gpio\"]"),
            "[[share]]\ndevice = \"gpio\"\ndomains = [\"a\", \"b\"]\n".repeat(count)
        )
    };
    let (small, small_problems) = checking_time(&shares(2_000));
    let (large, large_problems) = checking_time(&shares(8_000));
    assert_eq!((small_problems, large_problems), (1_999, 7_999));
    // Four times the problems, about four times the time: locating each
    // problem from the start of the file took sixteen.
    assert!(
        large < small * 8 + Duration::from_millis(20),
        "{small:?} for 2,000 shares, but {large:?} for 8,000"
    );
}

#[test]
fn the_region_count_is_bounded_device_registers_included() {
    // Half the regions for each of two domains: neither runs out of
    // capabilities.
    let regions = |count: usize| -> String {
        (0..count)
            .map(|i| {
                let owner = if i % 2 == 0 { "d0" } else { "d1" };
                format!(
                    "[[region]]\nname = \"r{i}\"\nsize = \"4KiB\"\n\
                     domains = {{ {owner} = \"rw\" }}\n"
                )
            })
            .collect()
    };
    let full = format!("{}{}", domains(2), regions(MAX_REGIONS));
    assert_eq!(parse(&full).unwrap().regions.len(), MAX_REGIONS);
    // Each region is 4 lines, after the domains' 10.
    let region_line = |index: usize| 11 + 4 * index;
    assert_eq!(
        error(&format!("{}{}", domains(2), regions(MAX_REGIONS + 1))),
        format!(
            "invalid manifest images/test.toml (1 problem):\n  images/test.toml:{}:1: the \
             manifest, key `region`: 33 regions, but an image holds at most 32 (the kernel keeps \
             the regions a domain maps as 32-bit sets); the tables from this one on are not \
             checked",
            region_line(MAX_REGIONS)
        )
    );
    // A device a domain uses is one of the kernel's regions too.
    let with_gpio = full.replacen("slice = \"1ms\"\n", "slice = \"1ms\"\nuses = [\"gpio\"]\n", 1);
    assert_eq!(
        error(&with_gpio),
        format!(
            "invalid manifest images/test.toml (1 problem):\n  images/test.toml:{}:1: the \
             manifest, key `region`: 32 regions and the domains use 1 device, whose registers \
             are a region too, but an image holds at most 32 (the kernel keeps the regions a \
             domain maps as 32-bit sets); the tables from this one on are not checked",
            region_line(MAX_REGIONS - 1) + 1
        )
    );
}

/// The 1-based column of the first `needle` in the last line of `text`
/// that holds one.
fn column_of(text: &str, needle: &str) -> usize {
    let line = text.lines().rfind(|line| line.contains(needle)).expect("needle");
    line[..line.find(needle).expect("needle")].chars().count() + 1
}

#[test]
fn a_domains_devices_and_interrupts_are_bounded_by_its_tables() {
    let uses: Vec<String> = (0..=CAP_SLOTS - KERNEL_CAPS).map(|i| format!("\"dev{i}\"")).collect();
    let text = with("a", &format!("uses = [{}]", uses.join(", ")));
    let err = refused(
        &text,
        &[&format!(
            "images/test.toml:6:{}: domain \"a\", key `uses`: 31 devices, but a domain's \
             capability table has 32 slots, 2 of them the kernel's; the devices from this one on \
             are not checked",
            column_of(&text, "\"dev30\"")
        )],
    );
    assert!(err.contains("(31 problems)"), "one per device checked, and the limit's: {err}");
    assert!(!err.contains("dev30\" on board"), "{err}");

    let interrupts: Vec<String> =
        (0..=EVENT_SLOTS).map(|i| format!("\"gpio.x{i}\" = {}", i % EVENT_SLOTS)).collect();
    let text =
        with("a", &format!("uses = [\"gpio\"]\ninterrupts = {{ {} }}", interrupts.join(", ")));
    let err = refused(
        &text,
        &[&format!(
            "images/test.toml:7:{}: domain \"a\", key `interrupts`: 33 interrupts, but a domain \
             has 32 event slots, one for each interrupt it takes; the interrupts from this one on \
             are not checked",
            column_of(&text, "\"gpio.x32\"")
        )],
    );
    assert!(err.contains("(33 problems)"), "one per interrupt checked, and the limit's: {err}");
    assert!(!err.contains("gpio.x32 and"), "the 33rd's slot is not checked: {err}");
}

#[test]
fn an_unknown_board_is_refused() {
    refused(
        &format!("[image]\nboard = \"rpi4\"\n{}", domain("a", "spin", "1s", "1ms")),
        &["images/test.toml:2:9: [image], key `board`: no board is called \"rpi4\"; the builder knows: rpi3"],
    );
}

#[test]
fn the_console_must_be_a_device_with_a_kernel_driver() {
    refused(
        &format!("[image]\nconsole = \"systimer\"\n{}", domain("a", "spin", "1s", "1ms")),
        &["[image], key `console`: systimer cannot be the console: the kernel has a console driver only for uart0, uart1"],
    );
    refused(
        &format!("[image]\nconsole = \"tty\"\n{}", domain("a", "spin", "1s", "1ms")),
        &["[image], key `console`: no device is called \"tty\" on board rpi3; the consoles are: uart0, uart1"],
    );
}

#[test]
fn an_unknown_device_is_refused_with_a_suggestion() {
    refused(
        &with("a", "uses = [\"gpoi\", \"uart9\"]"),
        &[
            r#"images/test.toml:6:9: domain "a", key `uses`: no device is called "gpoi" on board rpi3; its devices are: uart0, uart1, systimer, gpio, emmc, mailbox, gpu-memory; help: did you mean "gpio"?"#,
            r#"domain "a", key `uses`: no device is called "uart9""#,
        ],
    );
    refused(
        &with("a", "uses = [\"gpio\", \"gpio\"]"),
        &[r#"domain "a", key `uses`: gpio is listed twice"#],
    );
}

#[test]
fn the_kernels_devices_are_refused() {
    refused(
        &with("a", "uses = [\"intc\", \"local\"]"),
        &[
            r#"domain "a", key `uses`: intc (peripheral interrupt controller (basic, pending 1/2, enables)) belongs to the kernel: no domain may use it"#,
            r#"domain "a", key `uses`: local (ARM-local block"#,
        ],
    );
}

#[test]
fn a_device_sharing_a_page_with_the_kernels_registers_needs_a_trusted_domain() {
    // The mailbox (0x3F00_B880) and the interrupt controller (0x3F00_B200)
    // share the page 0x3F00_B000.
    let err = refused(
        &with("a", "uses = [\"gpio\", \"mailbox\"]\ninterrupts = { \"mailbox.irq\" = 0 }"),
        &[
            r#"images/test.toml:6:17: domain "a", key `uses`: mailbox shares a page with intc, which belongs to the kernel: a domain maps a device by whole 4KiB pages (0x3f00b000-0x3f00c000), so it would reach the kernel's registers (0x3f00b200-0x3f00b400)"#,
        ],
    );
    assert!(err.contains("(2 problems)"), "and the DMA rule: {err}");
    // A trusted domain could rewrite the kernel by the mailbox's DMA
    // anyway: the shared page gives it nothing more.
    let trusted = "trusted = true\nuses = [\"gpio\", \"mailbox\"]";
    assert!(parse(&with("a", trusted)).is_ok());
    let four = "trusted = true\nuses = [\"gpio\", \"systimer\", \"uart1\", \"emmc\"]";
    assert!(parse(&with("a", four)).is_ok());
}

#[test]
fn interrupts_keep_their_event_slot_and_channel_ends_take_the_lowest_free_ones() {
    let base = format!(
        "{}{}",
        with(
            "a",
            "uses = [\"systimer\"]\ninterrupts = { \"systimer.c1\" = 0, \"systimer.c3\" = 2 }"
        ),
        with("b", "")
    );
    let channel = |name: &str, ends: &str| format!("[[channel]]\nname = {name:?}\nends = {ends}\n");
    let manifest = parse(&format!(
        "{base}{}{}{}",
        channel("one", "{ a = \"send\", b = \"receive\" }"),
        channel("two", "{ b = \"send\", a = \"receive\" }"),
        channel("three", "{ a = \"send-receive\", b = \"send-receive\" }"),
    ))
    .unwrap();
    let events: Vec<Vec<(&str, u64)>> = manifest
        .channels
        .iter()
        .map(|c| c.ends.iter().map(|end| (end.domain.as_str(), end.event)).collect())
        .collect();
    // a: 0 and 2 are its interrupts'; b has none.
    assert_eq!(
        events,
        [vec![("a", 1), ("b", 0)], vec![("a", 3), ("b", 1)], vec![("a", 4), ("b", 2)]]
    );
    let a = &manifest.domains[0];
    let slots: Vec<u64> = a.interrupts.iter().map(|route| route.event).collect();
    assert_eq!(slots, [0, 2]);
}

#[test]
fn a_domain_needing_more_event_slots_than_its_dcb_has_is_refused() {
    // 2 interrupts and 31 channel ends: 33 slots. (It needs too many
    // capabilities too: every event slot is also a capability.)
    let mut text = format!(
        "{}{}{}",
        with(
            "a",
            "uses = [\"systimer\"]\ninterrupts = { \"systimer.c1\" = 5, \"systimer.c3\" = 7 }"
        ),
        with("b", ""),
        with("c", "")
    );
    for i in 0..31 {
        let other = if i % 2 == 0 { "b" } else { "c" };
        text.push_str(&format!(
            "[[channel]]\nname = \"c{i}\"\nends = {{ a = \"receive\", {other} = \"send\" }}\n"
        ));
    }
    let err = refused(
        &text,
        &[
            r#"images/test.toml:112:10: channel "c30", key `ends`: domain "a" has no event slot left for this end: its 2 interrupts and 31 channel ends need 33, but a DCB has 32 event slots"#,
            r#"images/test.toml:1:1: domain "a": needs 36 capabilities"#,
        ],
    );
    assert!(err.contains("(2 problems)"), "{err}");
}

#[test]
fn a_domain_needing_more_capabilities_than_its_table_holds_is_refused() {
    // 2 of the kernel's, 2 devices, 1 interrupt, 20 channel ends and 9
    // regions: 34.
    let mut text = format!(
        "{}{}",
        with("a", "uses = [\"systimer\", \"gpio\"]\ninterrupts = { \"gpio.bank0\" = 0 }"),
        with("b", "")
    );
    for i in 0..20 {
        text.push_str(&format!(
            "[[channel]]\nname = \"c{i}\"\nends = {{ a = \"send\", b = \"receive\" }}\n"
        ));
    }
    for i in 0..9 {
        text.push_str(&format!(
            "[[region]]\nname = \"r{i}\"\nsize = \"4KiB\"\ndomains = {{ a = \"rw\" }}\n"
        ));
    }
    let err = refused(
        &text,
        &[
            r#"images/test.toml:1:1: domain "a": needs 34 capabilities, but a domain's table has 32 slots: 2 the kernel adds (self, reservation), 2 for devices (`uses`), 1 for `interrupts`, 20 for channel ends, 9 for regions, 0 for the domains it supervises (a domain and a reservation each) and 0 for its group's members"#,
        ],
    );
    assert!(err.contains("(1 problem)"), "{err}");
    // Seven regions make 32: a full table.
    let full: String =
        text.lines().take(text.lines().count() - 8).map(|l| format!("{l}\n")).collect();
    let manifest = parse(&full).unwrap();
    assert_eq!(manifest.regions.len(), 7);
    assert_eq!(crate::caps::ImageCaps::of(&manifest).domains[0].len() + KERNEL_CAPS, CAP_SLOTS);
}

#[test]
fn a_dma_capable_device_needs_a_trusted_domain() {
    let untrusted = with("a", "uses = [\"gpio\", \"emmc\"]");
    let err = refused(
        &untrusted,
        &[
            r#"images/test.toml:6:17: domain "a", key `uses`: emmc can write anywhere in RAM by DMA, and the Pi has no IOMMU to stop it: a domain that uses it holds the whole machine and must be marked trusted; help: add `trusted = true` to the domain if you trust its program"#,
        ],
    );
    assert!(err.contains("(1 problem)"), "{err}");
    let trusted = parse(&with("a", "trusted = true\nuses = [\"emmc\"]")).unwrap();
    assert!(trusted.domains[0].trusted);
    let summary = crate::Summary::checked(&trusted).to_string();
    assert!(summary.contains("emmc 0x3f300000: a (DMA-capable: trusted)"), "{summary}");
}

#[test]
fn a_device_used_by_two_domains_needs_a_share() {
    let two =
        format!("{}{}", with("a", "uses = [\"gpio\"]"), with("b", "uses = [\"uart1\", \"gpio\"]"));
    let err = refused(
        &two,
        &[
            r#"images/test.toml:12:18: domain "b", key `uses`: device gpio is used by another domain too: a device has one owner unless a [[share]] with device = "gpio" lists every domain that uses it ("a", "b")"#,
        ],
    );
    assert!(err.contains("(1 problem)"), "{err}");
    let shared = format!("{two}[[share]]\ndevice = \"gpio\"\ndomains = [\"a\", \"b\"]\n");
    assert_eq!(parse(&shared).unwrap().shares.len(), 1);
    // A share that leaves a user out does not cover it.
    let three = format!("{two}{}", with("c", "uses = [\"gpio\"]"));
    refused(
        &format!("{three}[[share]]\ndevice = \"gpio\"\ndomains = [\"a\", \"b\"]\n"),
        &[r#"domain "c", key `uses`: device gpio is used by another domain too"#],
    );
}

#[test]
fn an_interrupt_taken_by_two_domains_needs_a_share() {
    let taker = |name| with(name, "uses = [\"gpio\"]\ninterrupts = { \"gpio.bank0\" = 3 }");
    let both = format!(
        "{}{}[[share]]\ndevice = \"gpio\"\ndomains = [\"a\", \"b\"]\n",
        taker("a"),
        taker("b")
    );
    refused(
        &both,
        &[
            r#"domain "b", key `interrupts`: interrupt gpio.bank0 is taken by another domain too: an interrupt has one owner unless a [[share]] with interrupt = "gpio.bank0" lists every domain that takes it ("a", "b")"#,
        ],
    );
    let shared = format!("{both}[[share]]\ninterrupt = \"gpio.bank0\"\ndomains = [\"a\", \"b\"]\n");
    assert_eq!(parse(&shared).unwrap().shares.len(), 2);
}

#[test]
fn the_console_device_is_the_kernels_unless_shared() {
    let user = with("a", "uses = [\"uart0\"]");
    refused(
        &user,
        &[
            r#"domain "a", key `uses`: uart0 is the kernel's console ([image] console): to use it beside the kernel, add a [[share]] with device = "uart0" and domains = ["a"]"#,
        ],
    );
    let shared = format!("{user}[[share]]\ndevice = \"uart0\"\ndomains = [\"a\"]\n");
    assert!(parse(&shared).is_ok());
}

#[test]
fn shares_are_checked() {
    let base = format!("{}{}", with("a", "uses = [\"gpio\"]"), with("b", ""));
    refused(
        &format!(
            "{base}[[share]]\ndevice = \"gpio\"\ndomains = [\"a\"]\n\
             [[share]]\ndevice = \"gpio\"\ninterrupt = \"gpio.bank0\"\ndomains = [\"a\", \"b\"]\n\
             [[share]]\ndevice = \"nope\"\ndomains = [\"a\", \"zz\"]\n\
             [[share]]\ndevice = \"intc\"\ndomains = [\"a\"]\n\
             [[share]]\ninterrupt = \"gpio.bank9\"\ndomains = [\"a\"]\n"
        ),
        &[
            "share #1, key `domains`: must list at least two domains: sharing takes two",
            "share #2, key `interrupt`: give `device` or `interrupt`, not both",
            r#"share #3, key `device`: no device is called "nope" on this board"#,
            r#"share #3, key `domains`: no domain is called "zz"; the domains are: a, b"#,
            "share #4, key `device`: intc belongs to the kernel: it cannot be shared",
            r#"share #5, key `interrupt`: no interrupt is called "gpio.bank9": interrupts are named DEVICE.NAME, and those of gpio are gpio.bank0, gpio.bank1, gpio.bank2, gpio.bank3"#,
        ],
    );
    refused(
        &format!("{base}[[share]]\ndevice = \"gpio\"\ndomains = [\"a\", \"b\"]\n"),
        &[
            r#"share #1, key `domains`: domain "b" does not use gpio (its `uses` does not list it), so it cannot share it"#,
        ],
    );
    let two = format!("{}{}", with("a", "uses = [\"gpio\"]"), with("b", "uses = [\"gpio\"]"));
    refused(
        &format!(
            "{two}[[share]]\ndevice = \"gpio\"\ndomains = [\"a\", \"b\"]\n\
             [[share]]\ndevice = \"gpio\"\ndomains = [\"a\", \"b\"]\n"
        ),
        &["share #2: device gpio is shared by share #1 already: list every domain there"],
    );
}

#[test]
fn interrupts_must_exist_on_a_used_device_with_a_free_bit() {
    refused(
        &with(
            "a",
            "uses = [\"gpio\"]\ninterrupts = { \"uart0.irq\" = 0, \"gpio\" = 1, \"gpio.bank0\" = 32, \
             \"gpio.bank1\" = 5, \"gpio.bank2\" = 5, \"nodev.x\" = 2, \"intc.x\" = 3 }",
        ),
        &[
            r#"domain "a", key `interrupts`: uart0.irq is an interrupt of uart0, which this domain does not list in `uses`"#,
            r#"domain "a", key `interrupts`: no interrupt is called "gpio": interrupts are named DEVICE.NAME, and those of gpio are gpio.bank0"#,
            r#"domain "a", key `interrupts`, interrupt gpio.bank0: the event slot 32 is out of range: it must be between 0 and 31"#,
            r#"domain "a", key `interrupts`: gpio.bank2 and gpio.bank1 both use event slot 5"#,
            r#"board rpi3 has no device "nodev""#,
            "intc has no interrupts a domain may take",
        ],
    );
}

#[test]
fn overlaps_are_checked_and_shown_even_beside_an_invalid_domain() {
    // Domain "a" has no program, but its slot is still its own.
    let text = "[[domain]]\nname = \"a\"\nperiod = \"10ms\"\nslice = \"1ms\"\n[[region]]\n\
                name = \"r\"\nsize = \"4KiB\"\naddress = 0x0200_1000\ndomains = { a = \"rw\" }\n";
    let report = report(text);
    let lines = report.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains(r#"domain "a", key `program`: missing"#), "{lines:?}");
    assert!(
        lines[1].ends_with(
            r#"region "r", key `address`: 0x2001000-0x2002000 overlaps the slot of domain "a" (0x2000000-0x2200000)"#
        ),
        "{lines:?}"
    );
    let overlap = report.problems().last().unwrap();
    assert_eq!(
        related(text, overlap),
        [(1, "the slot of domain \"a\": 0x2000000-0x2200000".into())]
    );
}

#[test]
fn overlapping_memory_is_refused() {
    let region = |name: &str, address: &str, size: &str| {
        format!("[[region]]\nname = {name:?}\nsize = {size:?}\naddress = {address}\ndomains = {{ a = \"rw\" }}\n")
    };
    refused(
        &format!(
            "{}{}{}{}{}{}",
            with("a", ""),
            with("b", ""),
            region("on-b", "0x0220_1000", "4KiB"),
            region("low", "0x1000", "4KiB"),
            region("one", "0x0500_0000", "2MiB"),
            region("two", "0x0510_0000", "2MiB"),
        ),
        &[
            r#"region "on-b", key `address`: 0x2201000-0x2202000 overlaps the slot of domain "b" (0x2200000-0x2400000)"#,
            r#"region "low", key `address`: 0x1000-0x2000 overlaps the kernel and firmware area (0x0-0x2000000)"#,
            r#"region "two", key `address`: 0x5100000-0x5300000 overlaps region "one" (0x5000000-0x5200000)"#,
        ],
    );
    refused(
        &format!("{}{}", with("a", ""), region("x", "0x0500_0800", "4KiB")),
        &[r#"region "x", key `address`: 0x5000800 is not page-aligned"#],
    );
}

#[test]
fn an_image_larger_than_ram_is_refused() {
    let err = refused(
        &format!(
            "{}[[region]]\nname = \"huge\"\nsize = \"1GiB\"\ndomains = {{ a = \"rw\" }}\n",
            with("a", "")
        ),
        &[
            r#"images/test.toml:9:8: region "huge", key `size`: the image is larger than RAM: no room for 1GiB from 0x4000000 up to the end of board rpi3's ARM RAM at 0x3c000000"#,
        ],
    );
    assert!(err.contains("(1 problem)"), "{err}");
    refused(
        &format!(
            "{}[[region]]\nname = \"past\"\nsize = \"4KiB\"\naddress = 0x3C00_0000\ndomains = {{ a = \"r\" }}\n",
            with("a", "")
        ),
        &[r#"region "past", key `address`: 0x3c000000-0x3c001000 (4KiB) is not inside board rpi3's ARM RAM"#],
    );
}

#[test]
fn stack_and_memory_must_fit_in_the_slot() {
    refused(
        &with("a", "stack = \"1MiB\"\nmemory = \"1MiB\""),
        &[
            r#"images/test.toml:7:10: domain "a", key `memory`: stack 1MiB and memory 1MiB (with a guard page: 2052 KiB) do not fit in a slot"#,
        ],
    );
    let fits = parse(&with("a", &format!("memory = \"{}KiB\"", (SLOT_ROOM - 0x1000) / 1024)));
    assert_eq!(fits.unwrap().domains[0].layout.program_room(), 0);
}

#[test]
fn regions_are_checked() {
    refused(
        &format!(
            "{}[[region]]\nname = \"r\"\nsize = \"0B\"\ndomains = {{ zz = \"rw\", a = \"rwx\" }}\n\
             [[region]]\nname = \"s\"\nsize = \"4KiB\"\ndomains = {{}}\n",
            with("a", "")
        ),
        &[
            r#"region "r", key `size`: must be greater than 0"#,
            r#"region "r", key `domains`: no domain is called "zz"; the domains are: a"#,
            r#"region "r", key `domains`, domain "a": rights must be "r" (read) or "rw" (read and write)"#,
            r#"region "s", key `domains`: must name at least one domain"#,
        ],
    );
}

#[test]
fn a_channel_end_naming_a_missing_domain_is_refused() {
    refused(
        &format!(
            "{}[[channel]]\nname = \"c\"\nends = {{ a = \"send\", ghost = \"receive\" }}\n",
            with("a", "")
        ),
        &[
            r#"images/test.toml:9:22: channel "c", key `ends`: the end "ghost": no domain is called "ghost"; the domains are: a"#,
        ],
    );
}

#[test]
fn channels_are_checked() {
    let base = format!("{}{}{}", with("a", ""), with("b", ""), with("c", ""));
    refused(
        &format!(
            "{base}[[channel]]\nname = \"one\"\nends = {{ a = \"send\" }}\n\
             [[channel]]\nname = \"three\"\nends = {{ a = \"send\", b = \"receive\", c = \"receive\" }}\n\
             [[channel]]\nname = \"deaf\"\nends = {{ a = \"send\", b = \"send\" }}\n\
             [[channel]]\nname = \"odd\"\nends = {{ a = \"shout\", b = \"receive\" }}\n"
        ),
        &[
            r#"channel "one", key `ends`: a channel has exactly two ends, each a domain and its rights (found 1)"#,
            r#"channel "three", key `ends`: a channel has exactly two ends"#,
            r#"channel "deaf", key `ends`: neither end may send to the other"#,
            r#"channel "odd", key `ends`, end "a": rights must be "send", "receive" or "send-receive""#,
        ],
    );
    let both = format!(
        "{base}[[channel]]\nname = \"x\"\nends = {{ a = \"send-receive\", b = \"send\" }}\n"
    );
    assert_eq!(parse(&both).unwrap().channels[0].ends[0].rights, ChannelRights::SendReceive);
}

#[test]
fn every_scheduler_is_accepted_and_others_are_refused() {
    for scheduler in Scheduler::ALL {
        let name = scheduler.name();
        let manifest = parse(&with("a", &format!("scheduler = {name:?}"))).unwrap();
        assert_eq!(manifest.domains[0].scheduler, scheduler);
    }
    refused(
        &with("a", "scheduler = \"cfs\""),
        &[
            r#"domain "a", key `scheduler`: no scheduler is called "cfs"; the schedulers are: fifo, edf, round-robin, lottery, stride"#,
        ],
    );
}

#[test]
fn threads_can_be_tables_of_their_own() {
    let text = format!(
        "{}scheduler = \"lottery\"\n[[domain.threads]]\nname = \"a\"\nwork = \"1ms\"\ntickets = 5\n\
         [[domain.threads]]\nname = \"b\"\nperiod = \"10ms\"\nwcet = \"2ms\"\n",
        domain("d", "spin", "10ms", "1ms")
    );
    let manifest = parse(&text).unwrap();
    let threads = &manifest.domains[0].threads;
    assert_eq!(
        (threads[0].name.as_str(), threads[0].tickets, threads[0].period_ns),
        ("a", 5, None)
    );
    assert_eq!((threads[1].wcet_ns, threads[1].deadline_ns), (2_000_000, Some(10_000_000)));
}

#[test]
fn threads_are_checked() {
    let thread = |fields: &str| format!("{{ {fields} }}");
    let threads = [
        thread("name = \"slow\", period = \"10ms\", wcet = \"11ms\""),
        thread("name = \"late\", period = \"10ms\", wcet = \"1ms\", deadline = \"20ms\""),
        thread("name = \"tight\", period = \"10ms\", wcet = \"5ms\", deadline = \"4ms\""),
        thread("name = \"free\", period = \"10ms\", wcet = \"1ms\", tickets = 0"),
        thread("name = \"a-very-long-thread\", period = \"10ms\", wcet = \"1ms\""),
        thread("name = \"lazy\""),
        thread("name = \"twice\", wcet = \"1ms\", work = \"1ms\""),
        thread("name = \"once\", work = \"2ms\", deadline = \"1ms\""),
    ];
    refused(
        &with("a", &format!("scheduler = \"lottery\"\nthreads = [{}]", threads.join(", "))),
        &[
            r#"domain "a", thread "slow", key `wcet`: 11ms is longer than the deadline (10ms): no job could ever finish in time"#,
            r#"domain "a", thread "late", key `deadline`: 20ms is longer than the period (10ms)"#,
            r#"domain "a", thread "tight", key `wcet`: 5ms is longer than the deadline (4ms)"#,
            r#"domain "a", thread "free", key `tickets`: 0 is out of range: it must be between 1 and 1000000"#,
            r#"thread "a-very-long-thread", key `name`: 18 bytes long, but thread names have at most 15"#,
            r#"domain "a", thread "lazy", key `wcet`: missing (it is required)"#,
            r#"domain "a", thread "twice", key `work`: `work` and `wcet` are the same key: give one"#,
            r#"domain "a", thread "once", key `work`: 2ms is longer than the deadline (1ms)"#,
        ],
    );
    let many: Vec<String> = (0..=MAX_THREADS)
        .map(|i| thread(&format!("name = \"t{i}\", period = \"10ms\", wcet = \"1ms\"")))
        .collect();
    let text = with("a", &format!("threads = [{}]", many.join(", ")));
    assert_eq!(
        error(&text),
        format!(
            "invalid manifest images/test.toml (1 problem):\n  images/test.toml:6:{}: domain \
             \"a\", key `threads`: 17 threads, but a domain has at most 16 (what its DCB holds); \
             the threads from this one on are not checked",
            column_of(&text, "{ name = \"t16\"")
        )
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = refused(
        r#"[image]
run-for = "0s"

[[domain]]
name = "a"
program = "spinn"
period = "10"
slice = "2ms"
uses = ["gpoi"]

[[domain]]
name = "a"
program = "spin"
period = "1ms"
slice = "2ms"

[[domain]]
name = "bad name"
period = "0ms"
slice = "1ms"
latency = "0ns"

[[domain]]
program = "hello"
period = "1ms"
slice = "1ms"

[[channel]]
name = "c"
ends = { a = "send", nobody = "receive" }
"#,
        &[
            "invalid manifest images/test.toml (12 problems):",
            "images/test.toml:2:11: [image], key `run-for`: must be greater than 0",
            r#"images/test.toml:6:11: domain "a", key `program`: no domain program is called "spinn""#,
            r#"images/test.toml:7:10: domain "a", key `period`: "10" is not a duration"#,
            r#"images/test.toml:9:9: domain "a", key `uses`: no device is called "gpoi""#,
            r#"images/test.toml:12:8: domain "a", key `name`: domain #1 has this name already"#,
            r#"images/test.toml:15:9: domain "a", key `slice`: 2ms is longer than the period (1ms)"#,
            r#"images/test.toml:17:1: domain "bad name", key `program`: missing (it is required)"#,
            r#"images/test.toml:18:8: domain "bad name", key `name`: ' ' is not allowed"#,
            r#"images/test.toml:19:10: domain "bad name", key `period`: must be greater than 0"#,
            r#"images/test.toml:21:11: domain "bad name", key `latency`: must be greater than 0"#,
            "images/test.toml:23:1: domain #4, key `name`: missing (it is required)",
            r#"images/test.toml:30:22: channel "c", key `ends`: the end "nobody": no domain is called "nobody""#,
        ],
    );
    // In file order; the valid reservations (domain #4's) fit the CPU.
    let first = err.find(":2:11:").unwrap();
    let last = err.find(":30:22:").unwrap();
    assert!(first < last, "{err}");
    assert!(!err.contains("utilisation"), "{err}");
}

#[test]
fn a_repeated_name_and_an_unshared_device_point_at_the_other_domain() {
    let text =
        [with("a", "uses = [\"gpio\"]"), with("a", ""), with("b", "uses = [\"gpio\"]")].concat();
    let report = report(&text);
    let repeated = report.problems().find(|p| p.reason.contains("has this name")).unwrap();
    assert_eq!(related(&text, repeated), [(2, "domain #1 is named here".into())]);
    let unshared = report.problems().find(|p| p.reason.contains("used by another")).unwrap();
    assert_eq!(related(&text, unshared), [(6, "domain \"a\" too".into())]);
}

/// `threads = [...]` of `entries`, for a domain.
fn threads(entries: &[&str]) -> String {
    let entries: Vec<String> = entries.iter().map(|entry| format!("{{ {entry} }}")).collect();
    format!("threads = [{}]", entries.join(", "))
}

#[test]
fn threads_needing_more_than_the_domains_share_are_a_warning() {
    let workload = |slice: &str, entries: &[&str]| {
        format!("{}{}\n", domain("w", "periodic", "10ms", slice), threads(entries))
    };
    let mix = "name = \"mix\", period = \"5ms\", wcet = \"1ms\"";
    let encode = "name = \"encode\", period = \"20ms\", wcet = \"2ms\"";
    let text = workload("2ms", &[mix, encode]);
    assert_eq!(
        warnings(&text),
        [
            r#"images/test.toml:6:11: domain "w", key `threads`: the threads need 0.30 of the CPU (mix 0.20, encode 0.10), more than the domain's share of 0.20: some jobs will miss their deadlines; help: a slice of 3ms would cover them (or give the threads less work or longer periods)"#
        ]
    );
    let warning = parse(&text).unwrap().warnings;
    let overloaded = warning.problems().next().unwrap();
    assert_eq!(related(&text, overloaded), [(5, "the share: 2ms every 10ms".into())]);
    assert_eq!(warning.severity(), Severity::Warning);
    assert!(warning.to_string().starts_with("manifest images/test.toml has 1 warning:\n  "));

    // Exactly the share, a thread without a period, thirds rounded: none.
    assert!(warnings(&workload("3ms", &[mix, encode])).is_empty());
    let once = "name = \"once\", work = \"50ms\"";
    assert!(warnings(&workload("2ms", &[mix, once])).is_empty());
    let third = |name: &str| format!("name = \"{name}\", period = \"3ms\", wcet = \"1ms\"");
    let thirds = [third("a"), third("b"), third("c")];
    let thirds: Vec<&str> = thirds.iter().map(String::as_str).collect();
    assert!(warnings(&workload("10ms", &thirds)).is_empty());
    // More than a whole CPU: no slice covers them.
    let hog = "name = \"hog\", period = \"2ms\", wcet = \"2ms\"";
    let found = warnings(&workload("5ms", &[hog, mix]));
    let [warning] = &found[..] else { panic!("one warning: {found:?}") };
    assert!(warning.contains("need 1.20 of the CPU"), "{warning}");
    assert!(warning.ends_with("help: they need more than the whole period: give the threads less work or longer periods"), "{warning}");
}

#[test]
fn threads_given_to_a_program_that_does_not_run_them_are_a_warning() {
    let entry = ["name = \"t\", period = \"10ms\", wcet = \"1ms\""];
    let text = format!("{}{}\n", domain("a", "spin", "10ms", "1ms"), threads(&entry));
    assert_eq!(
        warnings(&text),
        ["images/test.toml:6:11: domain \"a\", key `threads`: program spin does not run the \
          manifest's threads: they would never start (the programs that run them: periodic); \
          help: give the threads to a program that runs them (program = \"periodic\"), or leave \
          out `threads`"]
    );
    let warning = parse(&text).unwrap().warnings;
    assert_eq!(
        related(&text, warning.problems().next().unwrap()),
        [(3, "spin starts threads of its own, if any".into())]
    );
    let text = format!("{}{}\n", domain("a", "periodic", "10ms", "1ms"), threads(&entry));
    assert!(warnings(&text).is_empty());
    // An invalid manifest reports its errors only.
    let text = format!("{}{}\nslise = 1\n", domain("a", "spin", "10ms", "1ms"), threads(&entry));
    assert_eq!(report(&text).len(), 1);
}

#[test]
fn reports_render_the_source_line_and_the_help() {
    let text = domain("a", "spin", "10 ms", "1ms");
    let rendered = report(&text).render(false);
    assert_eq!(
        rendered,
        "error: domain \"a\", key `period`: \"10 ms\" is not a duration: nothing may come between \
         the number and its unit\n --> images/test.toml:4:10\n  |\n4 | period = \"10 ms\"\n  |          \
         ^^^^^^^\n  |\n  = help: write \"10ms\"\n\nerror: invalid manifest images/test.toml (1 \
         problem)\n"
    );
    let coloured = report(&text).render(true);
    assert!(coloured.contains("\x1b["), "{coloured}");
    // A problem of the whole file names the file.
    let rendered = report("").render(false);
    assert!(
        rendered.starts_with(
            "error: no domains: an image needs at least one [[domain]] table\n--> images/test.toml\n"
        ),
        "{rendered}"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Pieces a mutation inserts: the manifest's own vocabulary, so that
    /// mutated files stay close to valid ones.
    const PIECES: &[&str] = &[
        "[[domain]]\n",
        "[[region]]\n",
        "[[channel]]\n",
        "[[share]]\n",
        "[image]\n",
        "name = \"a\"\n",
        "program = \"spin\"\n",
        "period = \"10ms\"\n",
        "slice = \"11ms\"\n",
        "stack = \"2MiB\"\n",
        "memory = \"99999999999GiB\"\n",
        "address = 0xFFFF_FFFF_FFFF_F000\n",
        "size = \"18446744073709551615B\"\n",
        "uses = [\"gpio\", \"uart0\"]\n",
        "interrupts = { \"gpio.bank0\" = 99 }\n",
        "domains = { a = \"rw\" }\n",
        "ends = { a = \"send\" }\n",
        "threads = [{ name = \"t\" }]\n",
        "\"",
        "[",
        "]",
        "{",
        "}",
        "=",
        ",",
        "\n",
        "é",
        "0",
        "-1",
        "0x",
        "\u{0}",
        "#",
        "'''",
        "\"\"\"",
    ];

    /// Renders what checking found both ways (its problems, or the
    /// warnings of a valid manifest).
    fn render(result: Result<Manifest>) {
        let report = match result {
            Ok(manifest) => manifest.warnings,
            Err(error) => error.downcast::<Report>().expect("a manifest's error is its report"),
        };
        let _ = (report.render(true), report.render(false), report.to_string());
    }

    fn mutate(text: &str, edits: &[(usize, usize, usize)]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for &(at, cut, piece) in edits {
            let at = at % (bytes.len() + 1);
            let end = (at + cut % 16).min(bytes.len());
            let piece = PIECES[piece % PIECES.len()].as_bytes();
            bytes.splice(at..end, piece.iter().copied());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn on_arbitrary_text(text in any::<String>()) {
            render(parse(&text));
        }

        #[test]
        fn on_arbitrary_toml_like_text(text in "[\\[\\]{}=,.\"a-z0-9 \n#_-]{0,200}") {
            render(parse(&text));
        }

        #[test]
        fn on_mutated_valid_manifests(
            edits in proptest::collection::vec((any::<usize>(), any::<usize>(), any::<usize>()), 1..6),
            full in any::<bool>(),
        ) {
            let base = if full { FULL } else { include_str!("../../../demo.toml") };
            let text = mutate(base, &edits);
            let result = parse(&text);
            if let Ok(manifest) = &result {
                // A valid result also summarises without panicking.
                let _ = crate::Summary::checked(manifest).to_string();
            }
            render(result);
        }
    }
}

#[test]
fn a_service_in_one_line_connects_the_client_to_its_driver() {
    let text = format!(
        "{}{}{}",
        with("drv", "provides = \"console\""),
        with("shell", "services = [\"console\"]"),
        with("w1", "services = [\"console\"]")
    );
    let manifest = parse(&text).unwrap();
    let names: Vec<&str> = manifest.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["console-shell", "console-w1"]);
    let shell = &manifest.regions[0];
    assert_eq!(shell.range.len(), 4096);
    assert_eq!(
        shell.access,
        [
            ("drv".to_string(), RegionRights::ReadWrite),
            ("shell".to_string(), RegionRights::ReadWrite)
        ]
    );
    assert_eq!(manifest.regions[1].range.start, shell.range.end, "packed in one span");
    let channel = &manifest.channels[0];
    assert_eq!(channel.name, "console-shell");
    assert!(channel.ends.iter().all(|end| end.rights == ChannelRights::SendReceive));
    let ends: Vec<&str> = channel.ends.iter().map(|end| end.domain.as_str()).collect();
    assert_eq!(ends, ["drv", "shell"]);
}

#[test]
fn a_service_nobody_provides_or_two_provide_is_refused_where_it_is_named() {
    let text = format!(
        "{}{}{}{}",
        with("drv", "provides = \"console\""),
        with("other", "provides = \"console\""),
        with("shell", "services = [\"consle\", \"timer\"]"),
        with("self-user", "provides = \"timer\"\nservices = [\"timer\"]")
    );
    refused(
        &text,
        &[
            "images/test.toml:12:12: domain \"other\", key `provides`: service \"console\" is \
             provided by domain \"drv\" already: one driver per service",
            "domain \"shell\", key `services`: no domain of the image provides service \
             \"consle\" (`provides`); the services are: console, timer",
            "help: did you mean \"console\"?",
            "domain \"self-user\", key `services`: a domain cannot use its own service \"timer\"",
        ],
    );
}

#[test]
fn a_connection_name_must_fit_a_capability() {
    let text = format!(
        "{}{}",
        with("drv", "provides = \"console\""),
        with("a-long-client", "services = [\"console\"]")
    );
    refused(
        &text,
        &["its connection would be called \"console-a-long-client\", 21 bytes, but capability \
           names have at most 15"],
    );
}

#[test]
fn a_supervisor_gets_each_domain_it_names_or_all_the_others() {
    let text = format!(
        "{}{}{}{}",
        with("a", ""),
        with("shell", "supervises = [\"*\"]"),
        with("watcher", "supervises = [\"a\"]"),
        with("b", "")
    );
    let manifest = parse(&text).unwrap();
    let supervises =
        |name: &str| manifest.domains.iter().find(|d| d.name == name).unwrap().supervises.clone();
    assert_eq!(supervises("shell"), ["a", "watcher", "b"]);
    assert_eq!(supervises("watcher"), ["a"]);
    assert!(supervises("a").is_empty());
    let caps = crate::caps::ImageCaps::of(&manifest);
    let shell: Vec<(&str, Object)> = caps.domains[1].iter().map(|c| (c.name, c.object)).collect();
    assert_eq!(
        shell,
        [
            ("a", Object::Domain { domain: 0 }),
            ("a", Object::Reservation { domain: 0 }),
            ("watcher", Object::Domain { domain: 2 }),
            ("watcher", Object::Reservation { domain: 2 }),
            ("b", Object::Domain { domain: 3 }),
            ("b", Object::Reservation { domain: 3 }),
        ]
    );
}

#[test]
fn a_supervisor_gets_a_slot_for_the_stops_and_its_restart_policy() {
    let text = format!(
        "{}{}{}",
        with("a", ""),
        with(
            "sup",
            "supervises = [\"a\"]\nrestart-limit = 5\nrestart-window = \"2s\"\n\
             restart-backoff = \"3ms\""
        ),
        with("shell", "supervises = [\"*\"]")
    );
    let manifest = parse(&text).unwrap();
    let domain = |name: &str| manifest.domains.iter().find(|d| d.name == name).unwrap().clone();
    let sup = domain("sup");
    assert_eq!(sup.supervision_event, Some(0));
    assert_eq!(
        sup.restart,
        RestartPolicy { limit: 5, window_ns: 2_000_000_000, backoff_ns: 3_000_000 }
    );
    assert_eq!(domain("shell").restart, RestartPolicy::DEFAULT);
    assert_eq!(domain("a").supervision_event, None);
    let caps = crate::caps::ImageCaps::of(&manifest);
    // `a` tells both its supervisors; `sup` only the shell.
    let told = |index: usize| -> Vec<(usize, usize)> {
        caps.supervisors[index].iter().map(|t| (t.domain, t.event)).collect()
    };
    assert_eq!(told(0), [(1, 0), (2, 0)]);
    assert_eq!(told(1), [(2, 0)]);
    assert!(told(2).is_empty());
    assert!(caps.domains[1][0].rights.contains(vesper_abi::cap::Rights::RESTART));
}

#[test]
fn args_are_short_printable_ascii() {
    let manifest = parse(&with("a", "args = \"fault-after=3\"")).unwrap();
    assert_eq!(manifest.domains[0].args, "fault-after=3");
    let long = format!("args = \"{}\"", "x".repeat(32));
    refused(
        &format!("{}{}", with("a", &long), with("b", "args = \"tab\\there\"")),
        &[
            "domain \"a\", key `args`: must be at most 31 characters of printable ASCII",
            "domain \"b\", key `args`: must be at most 31 characters of printable ASCII",
        ],
    );
}

#[test]
fn a_restart_policy_needs_supervises_and_sane_values() {
    let text = format!(
        "{}{}",
        with("a", "restart-limit = 2"),
        with("sup", "supervises = [\"a\"]\nrestart-limit = 99\nrestart-window = \"0s\"")
    );
    refused(
        &text,
        &[
            "domain \"a\", key `restart-limit`: only a domain that supervises others \
             (`supervises`) has a restart policy",
            "domain \"sup\", key `restart-limit`: 99 is out of range: it must be between 0 and 31",
            "domain \"sup\", key `restart-window`: must be greater than 0",
        ],
    );
}

#[test]
fn a_supervisor_of_no_domain_or_of_itself_is_refused() {
    let text = format!("{}{}", with("a", ""), with("shell", "supervises = [\"aa\", \"shell\"]"));
    refused(
        &text,
        &[
            "domain \"shell\", key `supervises`: no domain is called \"aa\"; help: did you mean \"a\"?",
            "domain \"shell\", key `supervises`: a domain cannot supervise itself",
        ],
    );
}

/// A group's scheduler `name` (program `domain-scheduler`, 50% of the
/// CPU) with `members = [...]` of `entries`, then member domains `names`
/// with no reservation.
fn group(name: &str, entries: &[&str], names: &[&str]) -> String {
    let entries: Vec<String> = entries.iter().map(|entry| format!("{{ {entry} }}")).collect();
    let mut text = format!(
        "{}scheduler = \"edf\"\nmembers = [{}]\n",
        domain(name, "domain-scheduler", "10ms", "5ms"),
        entries.join(", ")
    );
    for member in names {
        text.push_str(&format!("[[domain]]\nname = {member:?}\nprogram = \"spin\"\n"));
    }
    text
}

fn parse_group(text: &str) -> Result<Manifest> {
    let mut programs = programs();
    programs.insert("domain-scheduler".into());
    Manifest::parse(text, Path::new("images/test.toml"), &programs)
}

#[test]
fn a_group_gives_its_members_to_its_scheduler_with_an_event_slot_and_capabilities() {
    let text = group(
        "g",
        &[
            "domain = \"a\", period = \"20ms\", wcet = \"3ms\"",
            "domain = \"b\", work = \"1ms\", tickets = 3",
        ],
        &["a", "b"],
    );
    let manifest = parse_group(&text).unwrap_or_else(|err| panic!("{err:#}"));
    let [g, a, b] = &manifest.domains[..] else { panic!("three domains") };
    assert_eq!(g.members.len(), 2);
    assert_eq!((g.members[1].name.as_str(), g.members[1].tickets), ("b", 3));
    assert_eq!(g.group_event, Some(0));
    for member in [a, b] {
        assert_eq!(member.scheduled_by.as_deref(), Some("g"));
        assert_eq!((member.period_ns, member.slice_ns, member.share_ppb()), (0, 0, 0));
    }
    assert_eq!(manifest.utilisation_ppb(), PPB_ONE / 2);
    let caps = crate::caps::ImageCaps::of(&manifest);
    let member_caps: Vec<(&str, Object)> =
        caps.domains[0].iter().map(|c| (c.name, c.object)).collect();
    assert_eq!(
        member_caps,
        [("a", Object::Domain { domain: 1 }), ("b", Object::Domain { domain: 2 })]
    );
    assert!(caps.domains[0].iter().all(|c| c.rights == crate::caps::MEMBER_RIGHTS));
}

#[test]
fn group_mistakes_are_refused_at_the_members_key() {
    let cases = [
        (
            group("g", &["domain = \"nobody\", work = \"1ms\""], &[]),
            "no domain is called \"nobody\"",
        ),
        (
            group("g", &["domain = \"g\", work = \"1ms\""], &[]),
            "cannot be a member of its own group",
        ),
        (
            format!(
                "{}{}",
                group("g", &["domain = \"a\", work = \"1ms\""], &["a"]),
                group("h", &["domain = \"a\", work = \"1ms\""], &[])
            ),
            "domain \"h\", key `members`: domain \"a\" is a member of group \"g\" already",
        ),
        (
            format!(
                "{}{}",
                group("g", &["domain = \"h\", work = \"1ms\""], &[]),
                group("h", &["domain = \"a\", work = \"1ms\""], &["a"])
            ),
            "domain \"g\", key `members`: domain \"h\" schedules a group of its own: groups do \
             not nest",
        ),
    ];
    for (text, reason) in cases {
        let err = format!("{:#}", parse_group(&text).unwrap_err());
        assert!(err.contains("key `members`"), "{err}");
        assert!(err.contains(reason), "missing {reason:?} in:\n{err}");
    }
}

#[test]
fn a_member_has_no_reservation_and_every_other_domain_needs_one() {
    let text =
        group("g", &["domain = \"a\", work = \"1ms\""], &[]) + &domain("a", "spin", "10ms", "1ms");
    let err = format!("{:#}", parse_group(&text).unwrap_err());
    assert!(
        err.contains("domain \"a\", key `period`: a member of group \"g\" runs on its scheduler's reservation"),
        "{err}"
    );
    let text = group("g", &["domain = \"a\", work = \"1ms\""], &["a"]) + "latency = \"1ms\"\n";
    let err = format!("{:#}", parse_group(&text).unwrap_err());
    assert!(err.contains("domain \"a\", key `latency`: a member of group"), "{err}");
    let lone = "[[domain]]\nname = \"lone\"\nprogram = \"spin\"\n";
    let err = format!("{:#}", parse_group(lone).unwrap_err());
    assert!(err.contains("images/test.toml:1:1: domain \"lone\", key `period`: missing"), "{err}");
    assert!(err.contains("domain \"lone\", key `slice`: missing"), "{err}");
}

#[test]
fn a_scheduler_runs_threads_or_members_and_its_members_must_fit_its_share() {
    let text = group("g", &["domain = \"a\", work = \"1ms\""], &["a"])
        .replace("members = ", "threads = [{ name = \"t\", work = \"1ms\" }]\nmembers = ");
    let err = format!("{:#}", parse_group(&text).unwrap_err());
    assert!(err.contains("a domain runs either threads or a group's members, not both"), "{err}");
    let over = group(
        "g",
        &[
            "domain = \"a\", period = \"10ms\", wcet = \"4ms\"",
            "domain = \"b\", period = \"20ms\", wcet = \"4ms\"",
        ],
        &["a", "b"],
    );
    let manifest = parse_group(&over).unwrap_or_else(|err| panic!("{err:#}"));
    let found = manifest.warnings.lines();
    let [warning] = &found[..] else { panic!("one warning: {found:?}") };
    assert!(
        warning.contains("domain \"g\", key `members`: the members need 0.60 of the CPU (a 0.40, b 0.20), more than the domain's share of 0.50"),
        "{warning}"
    );
    let spin = over.replace("domain-scheduler", "spin");
    let found = parse_group(&spin).unwrap().warnings.lines();
    assert!(
        found.iter().any(|w| w.contains("program spin does not run the manifest's members")),
        "{found:?}"
    );
}

#[test]
fn each_core_admits_its_own_domains() {
    let on = |core: u64| format!("core = {core}");
    let text = with("a", &on(0))
        + &domain("b", "spin", "10ms", "9ms")
        + &on(1)
        + "\n"
        + &domain("c", "spin", "10ms", "9ms")
        + &on(2)
        + "\n";
    let manifest = parse(&text).unwrap_or_else(|err| panic!("{err:#}"));
    let cores: Vec<usize> = manifest.domains.iter().map(|d| d.core).collect();
    assert_eq!(cores, [0, 1, 2]);
    assert_eq!(manifest.core_utilisation_ppb(1), 900_000_000);
    assert!(manifest.uses_other_cores());
    let over = text + &domain("d", "spin", "10ms", "2ms") + &on(1) + "\n";
    let err = error(&over);
    assert!(
        err.contains("admission control on core 1: utilisation 1.10 > 1: b 0.90, d 0.20"),
        "{err}"
    );
    assert!(!err.contains("on core 2"), "{err}");
    let err = error(&with("a", "core = 4"));
    assert!(err.contains("domain \"a\", key `core`"), "{err}");
}

#[test]
fn the_domains_taking_interrupts_share_a_core_and_members_run_on_their_scheduler_s() {
    let taker = |name: &str, core: u64, interrupt: &str| {
        format!(
            "{}uses = [\"gpio\"]\ninterrupts = {{ \"{interrupt}\" = 0 }}\ncore = {core}\n",
            domain(name, "spin", "10ms", "1ms")
        )
    };
    let share = "[[share]]\ndevice = \"gpio\"\ndomains = [\"a\", \"b\"]\n";
    let text = taker("a", 0, "gpio.bank0") + &taker("b", 1, "gpio.bank1") + share;
    let err = error(&text);
    assert!(
        err.contains("domain \"b\", key `core`: domain \"b\" takes interrupts on core 1, but domain \"a\" takes them on core 0"),
        "{err}"
    );
    let text = group("g", &["domain = \"m\", work = \"1ms\""], &["m"])
        .replace("scheduler = \"edf\"", "scheduler = \"edf\"\ncore = 2");
    let manifest = parse_group(&text).unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(manifest.domains.iter().map(|d| d.core).collect::<Vec<_>>(), [2, 2]);
    let err = format!("{:#}", parse_group(&(text + "core = 1\n")).unwrap_err());
    assert!(err.contains("domain \"m\", key `core`: a member of group \"g\""), "{err}");
}
