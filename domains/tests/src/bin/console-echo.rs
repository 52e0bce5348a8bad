//! `console-echo`: reads what is typed on its console (the `uart` driver's
//! console service, `embedded_io::Read`) and answers each line, so that the
//! QEMU tests can feed input through the PL011 and see where it went.

#![no_std]
#![no_main]

use embedded_io::Read;
use heapless::Vec;
use vesper_activations::console::with_own_console;
use vesper_activations::println;

vesper_activations::main!(run);

fn run() {
    if with_own_console(|_| ()).is_none() {
        println!("console-echo: the manifest gives this domain no console");
        return;
    }
    println!("console-echo: ready");
    let mut line: Vec<u8, 80> = Vec::new();
    let (mut received, mut long) = (0u64, 0u64);
    let mut buf = [0u8; 64];
    loop {
        let Some(Ok(n)) = with_own_console(|console| console.read(&mut buf)) else {
            println!("console-echo: the connection broke");
            return;
        };
        for &byte in &buf[..n] {
            received += 1;
            match byte {
                b'\n' | b'\r' if line.is_empty() && long == 0 => {}
                b'\n' | b'\r' => {
                    match core::str::from_utf8(&line) {
                        Ok(text) if long == 0 => println!("echo: {text}"),
                        _ => println!("echo: a line of {} bytes", line.len() as u64 + long),
                    }
                    println!("console-echo: {received} bytes received so far");
                    line.clear();
                    long = 0;
                }
                _ => {
                    if line.push(byte).is_err() {
                        long += 1;
                    }
                }
            }
        }
    }
}
