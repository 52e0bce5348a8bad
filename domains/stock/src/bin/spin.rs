//! `spin`: computes forever and never blocks, using all the CPU it is given.

#![no_std]
#![no_main]

vesper_activations::main!(run);

fn run() {
    let mut counter: u64 = 0;
    loop {
        counter = core::hint::black_box(counter.wrapping_add(1));
    }
}
