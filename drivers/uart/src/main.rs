//! `uart`: the console driver (see the library's documentation).

#![no_std]
#![no_main]

vesper_activations::main!(run);

fn run() {
    vesper_driver_uart::run(vesper_driver_uart::Faults::Never);
}
