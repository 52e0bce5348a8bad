//! The summary of a built image, with programs placed by hand. The golden
//! summaries of whole manifests are in `images/builder/tests/golden.rs`.

use super::*;
use crate::program::SegmentRights;
use std::collections::BTreeSet;
use std::path::Path;

fn manifest() -> Manifest {
    let text = "[image]\nrun-for = \"1s\"\n\
                [[domain]]\nname = \"a\"\nprogram = \"spin\"\nperiod = \"10ms\"\nslice = \"2ms\"\n\
                [[domain]]\nname = \"b\"\nprogram = \"spin\"\nperiod = \"10ms\"\nslice = \"1ms\"\n\
                memory = \"1MiB\"\nscheduler = \"stride\"\n";
    let programs: BTreeSet<String> = ["spin".to_string()].into();
    Manifest::parse(text, Path::new("images/two.toml"), &programs).unwrap()
}

fn placed(manifest: &Manifest) -> Vec<PlacedDomain> {
    let segments =
        [(0, 0x2000, SegmentRights::ReadExecute), (0x2000, 0x3000, SegmentRights::ReadWrite)];
    manifest
        .domains
        .iter()
        .map(|domain| PlacedDomain::stand_in(domain, vec![0; 0x2008], &segments, 0x10, 0x3000))
        .collect()
}

#[test]
fn a_built_image_shows_its_programs_and_kernel() {
    let manifest = manifest();
    let summary = Summary::built(&manifest, &placed(&manifest), 0xA_3000);
    let expected = "\
image two: board rpi3, console uart0, 2 domains, runs for 1s
domain  program  period  slice  extra  latency  share  scheduler
a       spin       10ms    2ms  no        10ms  0.200  fifo
b       spin       10ms    1ms  no        10ms  0.100  stride
total utilisation 0.300 (admission control: at most 1)
memory (virtual = physical):
  0x00000000-0x02000000  32MiB  kernel and firmware (kernel 0x00080000-0x000a3000, 140KiB)
  0x02000000-0x02200000   2MiB  domain a: DCB 0x02000000, program 0x02004000-0x02007000 (12KiB of 2032KiB), entry 0x02004010
  0x02200000-0x02400000   2MiB  domain b: DCB 0x02200000, program 0x02204000-0x02207000 (12KiB of 1004KiB), entry 0x02204010, memory 0x02300000-0x02400000 (1MiB)
  RAM 0x00000000-0x3c000000 (960MiB): 36MiB used, 924MiB free
";
    assert_eq!(summary.to_string(), expected);
}

#[test]
fn a_checked_manifest_shows_the_room_for_each_program() {
    let text = Summary::checked(&manifest()).to_string();
    assert!(
        text.contains("domain a: DCB 0x02000000, program from 0x02004000 (room 2032KiB)\n"),
        "{text}"
    );
    assert!(!text.contains("given to the domains"), "nothing given to the domains:\n{text}");
}

#[test]
fn sizes_in_mib_round_to_a_decimal() {
    assert_eq!(mib(38 << 20), "38MiB");
    assert_eq!(mib((39 << 20) + (64 << 10)), "39.1MiB");
}

#[test]
fn tables_align_their_columns() {
    let rows =
        vec![vec!["name".to_string(), "n".to_string()], vec!["a".to_string(), "100".to_string()]];
    assert_eq!(table(&rows, &[1]), ["name    n", "a     100"]);
}
