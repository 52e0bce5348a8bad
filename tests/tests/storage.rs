//! The SD card from user level: the `emmc` driver serving the block
//! service to `block-check` (1,000 seeded blocks written and read back,
//! every rule of the service broken once) and to `ring-vandal` (its rings
//! corrupt), on an SDSC card, an SDHC card and none.

use std::path::{Path, PathBuf};
use std::time::Duration;
use vesper_tests::{boot_with, manifest_image, Run};

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
