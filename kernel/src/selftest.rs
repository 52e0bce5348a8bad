//! Deliberate failures, compiled into test images only, so that the QEMU
//! tests can check what the kernel reports when things go wrong.
//!
//! Each is a cargo feature of this crate: `selftest-data-abort` reads an
//! address the kernel map leaves unmapped; `selftest-panic` panics.

/// Runs the self-tests this image was built with (none in a normal image).
pub fn run() {
    #[cfg(feature = "selftest-data-abort")]
    data_abort();
    #[cfg(feature = "selftest-panic")]
    panic!("selftest: deliberate kernel panic");
}

/// Reads from the first unmapped gigabyte of the kernel's upper half.
#[cfg(feature = "selftest-data-abort")]
fn data_abort() {
    let unmapped = crate::memory::phys_to_virt(0x8000_0000) as *const u64;
    log::info!("selftest: reading unmapped address {unmapped:p}");
    // SAFETY: not safe at all: the read must fault. The kernel's exception
    // handler reports it and stops, so the value is never used.
    let value = unsafe { core::ptr::read_volatile(unmapped) };
    log::error!("selftest: read of an unmapped address returned {value:#x}");
}
