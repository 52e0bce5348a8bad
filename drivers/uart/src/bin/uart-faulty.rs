//! `uart-faulty`: the console driver, faulting in the middle of a line in
//! every life, for supervision tests (see the library's documentation).

#![no_std]
#![no_main]

use vesper_driver_uart::{run, Faults, FAULTY_CHUNKS};

vesper_activations::main!(faulty);

fn faulty() {
    run(Faults::AtChunk(FAULTY_CHUNKS));
}
