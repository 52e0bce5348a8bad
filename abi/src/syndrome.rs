//! Decoding the Exception Syndrome Register (ESR_EL1) into words a person
//! can read: the exception class by name and, for aborts, the fault status.
//! The kernel decodes its traps with it and logs a domain's fault so; the
//! same value reaches a supervisor in `FaultReport::syndrome`
//! ([`crate::dcb::FaultReport`]), which decodes it the same way (the
//! shell's `ps`).

use aarch64_cpu::registers::ESR_EL1;
use core::fmt;
use tock_registers::LocalRegisterCopy;

/// A saved ESR_EL1 value.
#[derive(Clone, Copy)]
pub struct Syndrome(LocalRegisterCopy<u64, ESR_EL1::Register>);

impl Syndrome {
    /// Wraps a raw ESR_EL1 value.
    pub fn new(raw: u64) -> Self {
        Self(LocalRegisterCopy::new(raw))
    }

    /// The raw register value.
    pub fn raw(self) -> u64 {
        self.0.get()
    }

    /// The exception class field (EC, bits 31:26).
    pub fn class_code(self) -> u8 {
        self.0.read(ESR_EL1::EC) as u8
    }

    /// The instruction-specific syndrome (ISS, bits 24:0).
    pub fn iss(self) -> u32 {
        self.0.read(ESR_EL1::ISS) as u32
    }

    /// The exception class by name.
    pub fn class_name(self) -> &'static str {
        class_name(self.class_code())
    }

    /// Whether this is a system call (`svc` from AArch64).
    pub fn is_svc(self) -> bool {
        self.class_code() == 0x15
    }

    /// Whether an FP/SIMD instruction trapped because `CPACR_EL1.FPEN`
    /// denied access (the lazy FP/SIMD switch).
    pub fn is_fp_access(self) -> bool {
        self.class_code() == 0x07
    }

    /// Whether this is an instruction or data abort, whose ISS carries a
    /// fault status code and FAR_EL1 holds the faulting address.
    pub fn is_abort(self) -> bool {
        matches!(self.class_code(), 0x20 | 0x21 | 0x24 | 0x25)
    }

    /// For an abort: the fault status code (xFSC, ISS bits 5:0).
    pub fn fault_status(self) -> Option<FaultStatus> {
        self.is_abort().then(|| FaultStatus((self.iss() & 0x3f) as u8))
    }

    /// For a data abort: whether the access was a write (ISS.WnR).
    pub fn is_write(self) -> Option<bool> {
        matches!(self.class_code(), 0x24 | 0x25).then(|| self.iss() & (1 << 6) != 0)
    }
}

/// The name of exception class `ec` (ESR_EL1.EC), as the Arm ARM gives it.
pub fn class_name(ec: u8) -> &'static str {
    match ec {
        0x00 => "unknown reason (e.g. undefined instruction)",
        0x01 => "trapped WFI or WFE",
        0x07 => "trapped FP/SIMD access",
        0x0e => "illegal execution state",
        0x15 => "SVC from AArch64",
        0x18 => "trapped MSR, MRS or system instruction",
        0x20 => "instruction abort from a lower exception level",
        0x21 => "instruction abort from the same exception level",
        0x22 => "PC alignment fault",
        0x24 => "data abort from a lower exception level",
        0x25 => "data abort from the same exception level",
        0x26 => "SP alignment fault",
        0x2c => "trapped floating-point exception",
        0x2f => "SError interrupt",
        0x30 => "breakpoint from a lower exception level",
        0x31 => "breakpoint from the same exception level",
        0x32 => "software step from a lower exception level",
        0x33 => "software step from the same exception level",
        0x34 => "watchpoint from a lower exception level",
        0x35 => "watchpoint from the same exception level",
        0x3c => "BRK instruction",
        _ => "reserved or unexpected exception class",
    }
}

/// An abort's fault status code (DFSC or IFSC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultStatus(pub u8);

impl fmt::Display for FaultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = self.0 & 0b11;
        let kind = match self.0 >> 2 {
            0b0000 => Some("address size fault"),
            0b0001 => Some("translation fault"),
            0b0010 => Some("access flag fault"),
            0b0011 => Some("permission fault"),
            _ => None,
        };
        match kind {
            Some(kind) => write!(f, "{kind}, level {level}"),
            None => f.write_str(match self.0 {
                0b01_0000 => "synchronous external abort",
                0b01_1000 => "synchronous parity or ECC error",
                0b10_0001 => "alignment fault",
                0b11_0000 => "TLB conflict abort",
                _ => "other fault",
            }),
        }
    }
}

impl fmt::Display for Syndrome {
    /// One line: the class by name with its code and, for aborts, the fault.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (EC {:#04x})", self.class_name(), self.class_code())?;
        if let Some(status) = self.fault_status() {
            write!(f, ": {status}")?;
        }
        match self.is_write() {
            Some(true) => f.write_str(", on a write"),
            Some(false) => f.write_str(", on a read"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::ToString;

    #[test]
    fn data_abort_from_el1_translation_fault() {
        // EC 0x25, IL, DFSC 0b000101 (translation fault, level 1), read.
        let esr = Syndrome::new(0x9600_0005);
        assert_eq!(esr.class_code(), 0x25);
        assert_eq!(esr.fault_status(), Some(FaultStatus(0b000101)));
        assert_eq!(esr.is_write(), Some(false));
        assert_eq!(
            esr.to_string(),
            "data abort from the same exception level (EC 0x25): translation fault, level 1, on a read"
        );
    }

    #[test]
    fn permission_fault_on_a_write_from_el0() {
        // EC 0x24, IL, WnR, DFSC 0b001111 (permission fault, level 3).
        let esr = Syndrome::new(0x9200_004f);
        assert_eq!(
            esr.to_string(),
            "data abort from a lower exception level (EC 0x24): permission fault, level 3, on a write"
        );
    }

    #[test]
    fn instruction_abort_has_no_direction() {
        let esr = Syndrome::new(0x8600_000e);
        assert_eq!(esr.class_code(), 0x21);
        assert_eq!(esr.is_write(), None);
        assert!(esr.to_string().ends_with("permission fault, level 2"));
    }

    #[test]
    fn svc_is_not_an_abort() {
        let esr = Syndrome::new(0x5600_002a);
        assert_eq!(esr.class_name(), "SVC from AArch64");
        assert_eq!(esr.iss(), 42);
        assert!(esr.is_svc());
        assert_eq!(esr.fault_status(), None);
    }

    #[test]
    fn other_fault_codes_are_named() {
        assert_eq!(FaultStatus(0b100001).to_string(), "alignment fault");
        assert_eq!(FaultStatus(0b010000).to_string(), "synchronous external abort");
        assert_eq!(FaultStatus(0b111111).to_string(), "other fault");
    }

    #[test]
    fn every_class_code_has_a_name() {
        for ec in 0..64u8 {
            assert!(!class_name(ec).is_empty());
        }
        assert_eq!(Syndrome::new(0x0200_0000).class_name(), class_name(0));
    }
}
