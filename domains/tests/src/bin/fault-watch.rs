//! `fault-watch`: reads, through the domain capabilities the manifest gives
//! it (`supervises`), the fault reports of the domains it watches, after
//! they have had time to fault, for the QEMU test that compares them with
//! the kernel's own log.

#![no_std]
#![no_main]

use vesper_abi::cap::CapKind;
use vesper_abi::dcb::FAULT_NONE;
use vesper_activations::events::caps;
use vesper_activations::syscall::domain_info;
use vesper_activations::{println, sleep_ns};

vesper_activations::main!(run);

fn run() {
    sleep_ns(120_000_000);
    for cap in
        caps().filter(|cap| cap.kind() == CapKind::Domain && cap.name() != vesper_abi::cap::SELF)
    {
        match domain_info(cap.handle) {
            Ok(info) if info.fault.kind != FAULT_NONE => println!(
                "fault-watch: {} kind={} syndrome={:#x} pc={:#x} address={:#x}",
                info.name(),
                info.fault.kind,
                info.fault.syndrome,
                info.fault.pc,
                info.fault.address
            ),
            Ok(info) => println!("fault-watch: {} no fault", info.name()),
            Err(error) => println!("fault-watch: {}: {error:?}", cap.name()),
        }
    }
}
