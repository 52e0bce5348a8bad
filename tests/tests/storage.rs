//! The SD card from user level: the `emmc` driver serving the block
//! service to `block-check` (1,000 seeded blocks written and read back,
//! every rule of the service broken once) and to `ring-vandal` (its rings
//! corrupt), on an SDSC card, an SDHC card and none; and the shell's
//! files on a card made by the builder.

use std::path::{Path, PathBuf};
use std::time::Duration;
use vesper_builder::sdcard::DEFAULT_SIZE;
use vesper_builder::{write_card, Machine};
use vesper_tests::{boot_manifest_with, boot_with, built_image, manifest_image, read_card, Run};

const MANIFEST: &str = "tests/manifests/block.toml";

/// A sparse card image of `bytes` (QEMU wants a power of two), in a
/// folder of this test's own.
fn blank_card(name: &str, bytes: u64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vesper-storage-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let card = dir.join("card.img");
    std::fs::File::create(&card).unwrap().set_len(bytes).unwrap();
    card
}

/// Boots the block image with `card` attached (or none).
fn boot_block(card: Option<&Path>) -> Run {
    let kernel = manifest_image(Path::new(MANIFEST));
    let drive = card.map(|card| format!("file={},if=sd,format=raw", card.display()));
    let args: Vec<&str> = drive.iter().flat_map(|drive| ["-drive", drive.as_str()]).collect();
    let run = boot_with(&kernel.flat, &args, Duration::from_secs(120));
    run.assert_exit(0).assert_lacks("PANIC").assert_lacks("EXCEPTION");
    run
}

/// What `block-check` writes into block `lba` (its `pattern`).
fn pattern(lba: u64) -> Vec<u8> {
    let mut state = lba.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..64)
        .flat_map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()
        })
        .collect()
}

fn the_card_takes_1000_random_blocks(name: &str, bytes: u64, kind: &str) {
    let card = blank_card(name, bytes);
    let run = boot_block(Some(&card));
    let blocks = bytes / 512;
    run.assert_contains(&format!("[emmc] emmc: {kind} card, {blocks} blocks"))
        .assert_contains(&format!("[checker] block-check: the device has {blocks} blocks"))
        .assert_contains(
            "[checker] block-check: wrote 1000 blocks in 229 requests, read them back in 600: 0 \
             differ",
        )
        .assert_contains(
            "[checker] block-check: 8 broken rules refused as they should be, still served: true",
        )
        .assert_contains("[emmc] emmc: vandal: its request ring is corrupt; dropped")
        .assert_lacks("FAILED");
    // The first run the checker writes starts at block 2048: the card
    // holds it, as the host reads it.
    let image = std::fs::read(&card).unwrap();
    run.check(image[2048 * 512..2049 * 512] == pattern(2048)[..], "block 2048 on the card");
    std::fs::remove_dir_all(card.parent().unwrap()).unwrap();
}

#[test]
fn an_sdsc_card_takes_1000_random_blocks_and_the_driver_refuses_every_broken_rule() {
    the_card_takes_1000_random_blocks("sdsc", 64 << 20, "SDSC");
}

#[test]
fn an_sdhc_card_takes_1000_random_blocks_and_the_driver_refuses_every_broken_rule() {
    the_card_takes_1000_random_blocks("sdhc", 4 << 30, "SDHC");
}

#[test]
fn without_a_card_every_request_is_answered_no_medium() {
    let run = boot_block(None);
    run.assert_contains("[emmc] emmc: no card (nothing answered in the slot)")
        .assert_contains("[checker] block-check: no medium: every request answered as such")
        .assert_contains("[emmc] emmc: vandal: its request ring is corrupt; dropped");
    run.check(run.stats("emmc").state == "running", "the driver is still up");
}

#[test]
fn the_shell_lists_reads_and_writes_files_on_a_card_the_builder_made() {
    const FILES: &str = "images/files.toml";
    let image = built_image(Path::new(FILES), Machine::Qemu);
    let card = blank_card("files", DEFAULT_SIZE);
    write_card(&image, &card, DEFAULT_SIZE, None).unwrap();
    let drive = format!("file={},if=sd,format=raw", card.display());
    let input =
        b"ls\ncat config.txt\nwrite notes.txt written by vesper\ncat notes.txt\ncat nothere.txt\n";
    let run = boot_manifest_with(Path::new(FILES), Some(input), &["-drive", &drive]);
    run.assert_exit(0).assert_lacks("PANIC").assert_lacks("EXCEPTION");
    let said: Vec<&str> = run
        .device_serial()
        .lines()
        .filter_map(|line| line.split_once("[shell] ").map(|(_, rest)| rest))
        .collect();
    let on_card = read_card(&card);
    let file = |wanted: &str| {
        on_card.iter().find(|(name, _)| name == wanted).map(|(_, bytes)| bytes.clone())
    };
    // `ls`: every file the builder wrote, with its size.
    let kernel = file("kernel8.img").expect("the kernel is on the card");
    let listed = format!("{:<12} {}", "KERNEL8.IMG", kernel.len());
    run.check(said.contains(&listed.as_str()), &format!("ls shows {listed:?}: {said:?}"));
    // `cat config.txt`: its lines, in order, as the builder wrote them.
    let config = String::from_utf8(file("config.txt").unwrap()).unwrap();
    let at = said.iter().position(|line| *line == config.lines().next().unwrap());
    let shown = at.map(|at| &said[at..at + config.lines().count()]);
    run.check(
        shown.is_some_and(|shown| shown.iter().copied().eq(config.lines())),
        &format!("cat config.txt shows the file:\n{config}"),
    );
    // `write`, then `cat`, and the host reads the file off the card.
    run.check(said.contains(&"write: notes.txt: 18 bytes"), "write");
    run.check(said.contains(&"written by vesper"), "cat of the new file");
    run.check(said.iter().any(|l| l.starts_with("cat: nothere.txt: ")), "a missing file");
    run.check(
        file("NOTES.TXT").as_deref() == Some(&b"written by vesper\n"[..]),
        "the host reads it",
    );
    std::fs::remove_dir_all(card.parent().unwrap()).unwrap();
}

#[test]
fn a_hammering_client_delays_another_by_at_most_one_request() {
    let card = blank_card("fair", 64 << 20);
    let kernel = manifest_image(Path::new("tests/manifests/block-fair.toml"));
    let drive = format!("file={},if=sd,format=raw", card.display());
    let run = boot_with(&kernel.flat, &["-drive", &drive], Duration::from_secs(120));
    run.assert_exit(0).assert_lacks("PANIC").assert_lacks("FAILED");
    // The rule, as the driver measures it: with two clients, at most one
    // request of the other (32 blocks) goes before each of a client's.
    let waited: Vec<u64> = run
        .printed_by("emmc")
        .filter_map(|line| line.strip_prefix("emmc: latency waited behind at most "))
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .collect();
    run.check(waited.last() == Some(&32), &format!("latency waited behind {waited:?} blocks"));
    // In time: that request and its own, plus what the driver and the
    // client may wait for the CPU once their slices are spent (period
    // minus slice: 1 ms and 3.5 ms in the manifest).
    let number = |domain: &str, prefix: &str| -> u64 {
        let line = run.domain_line(domain, prefix);
        line.split(|c: char| !c.is_ascii_digit()).find_map(|n| n.parse().ok()).unwrap_or(u64::MAX)
    };
    let per_request = number("hammer", "block-hammer: 400 requests of 32 blocks, ");
    let longest = number("latency", "block-latency: 50 one-block reads, the longest took ");
    let bound = 2 * per_request + 1_000_000 + 3_500_000;
    run.check(
        longest <= bound,
        &format!("the longest one-block read took {longest} ns (bound {bound})"),
    );
    std::fs::remove_dir_all(card.parent().unwrap()).unwrap();
}
