//! `uart-faulty`: the console driver, faulting in the middle of a line in
//! its first life, for supervision tests (see the library's
//! documentation). The manifest says when: `args = "fault-after=K"`
//! faults as it takes its `K + 1`th chunk of client text (without it, the
//! fifth).

#![no_std]
#![no_main]

use vesper_driver_uart::{run, Faults, FAULTY_CHUNKS};

vesper_activations::main!(faulty);

fn faulty() {
    let after = vesper_activations::args()
        .split_whitespace()
        .find_map(|arg| arg.strip_prefix("fault-after="))
        .and_then(|k| k.parse::<u64>().ok());
    let chunk = after.map_or(FAULTY_CHUNKS, |k| k.saturating_add(1));
    run(Faults::AtChunk(chunk));
}
