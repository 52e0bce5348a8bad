//! `uart-crashing`: the console driver, faulting as soon as it starts, in
//! every life, for supervision tests (see the library's documentation).

#![no_std]
#![no_main]

vesper_activations::main!(crashing);

fn crashing() {
    vesper_driver_uart::run(vesper_driver_uart::Faults::AtStart);
}
