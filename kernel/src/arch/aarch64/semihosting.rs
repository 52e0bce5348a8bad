//! Semihosting (Arm's interface for a debugger or emulator to serve a
//! program's I/O), for QEMU images only: files on the host, written
//! without costing the guest any virtual time (QEMU serves the call
//! within the one `hlt` instruction).

/// SYS_OPEN.
const OPEN: u64 = 0x01;
/// SYS_CLOSE.
const CLOSE: u64 = 0x02;
/// SYS_WRITE.
const WRITE: u64 = 0x05;
/// SYS_OPEN's mode "wb": create or empty, binary.
const MODE_WRITE_BINARY: u64 = 5;

/// Makes semihosting call `operation` with the parameter block `block`;
/// returns the call's result.
fn call(operation: u64, block: &[u64]) -> u64 {
    let result;
    // SAFETY: `hlt #0xf000` is the AArch64 semihosting trap, which QEMU
    // (run with `-semihosting`) serves: it reads `block`, which lives for
    // the call, and the memory it points to, and writes only x0. Kernels
    // built with the `semihosting` feature run under QEMU only.
    unsafe {
        core::arch::asm!(
            "hlt #0xf000",
            inout("x0") operation => result,
            in("x1") block.as_ptr(),
            options(nostack, readonly)
        );
    }
    result
}

/// Opens `path` on the host for writing, emptying it; its handle, if it
/// could be opened.
pub fn open_for_writing(path: &str) -> Option<u64> {
    let handle = call(OPEN, &[path.as_ptr() as u64, MODE_WRITE_BINARY, path.len() as u64]);
    (handle as i64 >= 0).then_some(handle)
}

/// Writes `bytes` to the host file `handle`.
pub fn write(handle: u64, bytes: &[u8]) {
    let _ = call(WRITE, &[handle, bytes.as_ptr() as u64, bytes.len() as u64]);
}

/// Closes the host file `handle`.
pub fn close(handle: u64) {
    let _ = call(CLOSE, &[handle]);
}
