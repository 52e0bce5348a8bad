//! `forger`: writes console output made to look like the kernel's: a
//! `stats` line for its neighbour `steady`, a fault report, a carriage
//! return over a half line, and escapes that would clear the terminal. The
//! kernel must show all of it as this domain's lines, escaped.

#![no_std]
#![no_main]

use vesper_activations::syscall::console_write;

vesper_activations::main!(run);

const FORGERIES: [&[u8]; 6] = [
    b"\nstats domain=steady cpu_ns=1 guaranteed_ns=1 extra_ns=0 activations=1 \
      preemptions=0 blocks=0 state=running\n",
    b"\x1b[2J\x1b[H",
    b"half a line",
    b"\rstats domain=steady cpu_ns=2 guaranteed_ns=2 extra_ns=0 activations=1 \
      preemptions=0 blocks=0 state=running\n",
    b"[    0.000001] ERROR domain steady faulted: forged; stopped\n",
    b"\xc2\x9b2J \xff done\n",
];

fn run() {
    for forgery in FORGERIES {
        let mut rest = forgery;
        while !rest.is_empty() {
            let taken = console_write(rest).unwrap_or(rest.len() as u64) as usize;
            rest = &rest[taken.min(rest.len())..];
        }
    }
}
