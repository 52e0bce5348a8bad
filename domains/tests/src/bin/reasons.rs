//! `reasons`: goes through every situation that produces an activation and
//! prints the reasons it was given, in order.
//!
//! Run it with `extra = true` beside a domain without extra: it first
//! computes past its slice (so it is preempted and later gets slack time),
//! then sleeps (woken by an Event activation), then yields the rest of its
//! slice (Reactivated at its next period).

#![no_std]
#![no_main]

use vesper_activations::{activation_history, now_ns, println, sleep_ns, yield_slice};

vesper_activations::main!(run);

fn spin_for(duration_ns: u64) {
    let end = now_ns() + duration_ns;
    while now_ns() < end {
        core::hint::spin_loop();
    }
}

fn run() {
    spin_for(25_000_000);
    println!("phase: slept");
    sleep_ns(30_000_000);
    println!("phase: yielded");
    yield_slice();
    println!("phase: done");
    let mut line: heapless_line::Line = heapless_line::Line::new();
    for reason in activation_history() {
        line.push(reason.name());
    }
    println!("reasons: {}", line.as_str());
}

/// A fixed-size line of words, without a heap.
mod heapless_line {
    /// Space-separated words, up to 1 KiB.
    pub struct Line {
        bytes: [u8; 1024],
        len: usize,
    }

    impl Line {
        /// An empty line.
        pub fn new() -> Self {
            Self { bytes: [0; 1024], len: 0 }
        }

        /// Appends a word (dropped if it does not fit).
        pub fn push(&mut self, word: &str) {
            let sep = usize::from(self.len > 0);
            if self.len + sep + word.len() > self.bytes.len() {
                return;
            }
            if sep == 1 {
                self.bytes[self.len] = b' ';
            }
            self.bytes[self.len + sep..self.len + sep + word.len()]
                .copy_from_slice(word.as_bytes());
            self.len += sep + word.len();
        }

        /// The words so far.
        pub fn as_str(&self) -> &str {
            core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
        }
    }
}
