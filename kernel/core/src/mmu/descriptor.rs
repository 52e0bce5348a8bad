//! Stage 1 translation descriptors for the 4 KiB granule (VMSAv8-64).

use tock_registers::fields::FieldValue;

// The macro generates the register's field constants and value enums,
// which take their documentation from the comments on each field below.
#[allow(missing_docs)]
mod fields {
    use tock_registers::register_bitfields;

    register_bitfields! {u64,
        /// A block, page or table descriptor (the fields this kernel uses).
        pub DESCRIPTOR [
            /// Unprivileged (EL0) execute-never.
            UXN OFFSET(54) NUMBITS(1) [],
            /// Privileged (EL1) execute-never.
            PXN OFFSET(53) NUMBITS(1) [],
            /// Output address bits 47:12 (blocks and tables are aligned further).
            OUTPUT_ADDR OFFSET(12) NUMBITS(36) [],
            /// Not global: the mapping belongs to the current ASID only.
            NG OFFSET(11) NUMBITS(1) [],
            /// Access flag; set, so that first use does not fault.
            AF OFFSET(10) NUMBITS(1) [],
            /// Shareability.
            SH OFFSET(8) NUMBITS(2) [
                NonShareable = 0b00,
                OuterShareable = 0b10,
                InnerShareable = 0b11
            ],
            /// Data access permissions.
            AP OFFSET(6) NUMBITS(2) [
                KernelReadWrite = 0b00,
                AllReadWrite = 0b01,
                KernelReadOnly = 0b10,
                AllReadOnly = 0b11
            ],
            /// Index into MAIR_EL1 (see [`MemoryKind`](super::MemoryKind)).
            ATTR_INDEX OFFSET(2) NUMBITS(3) [],
            /// Block (levels 1-2) or table/page (table at levels 0-2, page at 3).
            TYPE OFFSET(1) NUMBITS(1) [
                Block = 0,
                TableOrPage = 1
            ],
            /// Valid.
            VALID OFFSET(0) NUMBITS(1) []
        ]
    }
}
pub use fields::DESCRIPTOR;

/// What kind of memory a mapping is; the value is the MAIR_EL1 index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MemoryKind {
    /// RAM: normal, write-back cacheable, inner shareable.
    Normal = 0,
    /// MMIO: Device-nGnRnE, never executable.
    Device = 1,
}

/// MAIR_EL1 value matching [`MemoryKind`]: attr0 = 0xFF (normal WB RW-alloc),
/// attr1 = 0x00 (Device-nGnRnE).
pub const MAIR_VALUE: u64 = 0xFF;

/// Who may access a mapping, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// EL1 read/write, no EL0 access.
    KernelReadWrite,
    /// EL1 and EL0 read/write.
    UserReadWrite,
    /// EL1 and EL0 read-only.
    UserReadOnly,
}

/// Who may execute from a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Execute {
    /// Nobody.
    Never,
    /// EL1 only.
    Kernel,
    /// EL0 only (EL1 never runs domain code).
    User,
}

/// The attributes of one mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// Memory type.
    pub kind: MemoryKind,
    /// Data access.
    pub access: Access,
    /// Instruction fetch.
    pub execute: Execute,
    /// Global (all address spaces, as for the kernel) or per-ASID.
    pub global: bool,
}

impl Attributes {
    fn fields(self) -> FieldValue<u64, DESCRIPTOR::Register> {
        let kind = DESCRIPTOR::ATTR_INDEX.val(self.kind as u64);
        let share = match self.kind {
            MemoryKind::Device => DESCRIPTOR::SH::OuterShareable,
            MemoryKind::Normal => DESCRIPTOR::SH::InnerShareable,
        };
        let access = match self.access {
            Access::KernelReadWrite => DESCRIPTOR::AP::KernelReadWrite,
            Access::UserReadWrite => DESCRIPTOR::AP::AllReadWrite,
            Access::UserReadOnly => DESCRIPTOR::AP::AllReadOnly,
        };
        // Device memory is never executable, whatever was asked.
        let execute = match (self.kind, self.execute) {
            (MemoryKind::Normal, Execute::Kernel) => DESCRIPTOR::UXN::SET + DESCRIPTOR::PXN::CLEAR,
            (MemoryKind::Normal, Execute::User) => DESCRIPTOR::UXN::CLEAR + DESCRIPTOR::PXN::SET,
            _ => DESCRIPTOR::UXN::SET + DESCRIPTOR::PXN::SET,
        };
        let global = if self.global { DESCRIPTOR::NG::CLEAR } else { DESCRIPTOR::NG::SET };
        kind + share + access + execute + global + DESCRIPTOR::AF::SET + DESCRIPTOR::VALID::SET
    }
}

fn output_address(pa: u64) -> FieldValue<u64, DESCRIPTOR::Register> {
    DESCRIPTOR::OUTPUT_ADDR.val(pa >> 12)
}

/// A level 1 or level 2 block descriptor mapping `pa` (aligned to the block).
pub fn block(pa: u64, attributes: Attributes) -> u64 {
    (output_address(pa) + attributes.fields() + DESCRIPTOR::TYPE::Block).value
}

/// A level 3 page descriptor mapping the 4 KiB page at `pa`.
pub fn page(pa: u64, attributes: Attributes) -> u64 {
    (output_address(pa) + attributes.fields() + DESCRIPTOR::TYPE::TableOrPage).value
}

/// A table descriptor pointing at the next-level table at physical `pa`.
pub fn table(pa: u64) -> u64 {
    (output_address(pa) + DESCRIPTOR::TYPE::TableOrPage + DESCRIPTOR::VALID::SET).value
}

/// The tests, and a helper that the other table modules' tests use.
#[cfg(test)]
pub mod tests {
    use super::*;

    /// The output (physical) address of a valid descriptor.
    pub fn output_address_of(descriptor: u64) -> u64 {
        tock_registers::LocalRegisterCopy::<u64, DESCRIPTOR::Register>::new(descriptor)
            .read(DESCRIPTOR::OUTPUT_ADDR)
            << 12
    }

    const KERNEL_RAM: Attributes = Attributes {
        kind: MemoryKind::Normal,
        access: Access::KernelReadWrite,
        execute: Execute::Kernel,
        global: true,
    };

    #[test]
    fn kernel_ram_block_matches_the_architecture_manual() {
        // 2 MiB block at 0x20_0000: AF, inner shareable, attr 0, UXN.
        assert_eq!(block(0x20_0000, KERNEL_RAM), 0x0040_0000_0020_0701);
    }

    #[test]
    fn device_is_never_executable() {
        let attrs = Attributes { kind: MemoryKind::Device, execute: Execute::Kernel, ..KERNEL_RAM };
        let d = block(0x3F00_0000, attrs);
        assert_eq!(d & (1 << 53), 1 << 53, "PXN");
        assert_eq!(d & (1 << 54), 1 << 54, "UXN");
        assert_eq!((d >> 2) & 7, MemoryKind::Device as u64);
        assert_eq!((d >> 8) & 3, 0b10, "outer shareable");
    }

    #[test]
    fn non_global_mappings_set_ng() {
        let d =
            block(0x120_0000, Attributes { global: false, execute: Execute::Never, ..KERNEL_RAM });
        assert_eq!(d & (1 << 11), 1 << 11, "nG");
        assert_eq!(d & (3 << 53), 3 << 53, "UXN and PXN");
        assert_eq!(output_address_of(d), 0x120_0000);
    }

    #[test]
    fn user_pages_are_not_global_and_user_accessible() {
        let attrs = Attributes {
            kind: MemoryKind::Normal,
            access: Access::UserReadOnly,
            execute: Execute::User,
            global: false,
        };
        let d = page(0x12_3000, attrs);
        assert_eq!(d & 0b11, 0b11, "valid page");
        assert_eq!((d >> 6) & 3, 0b11, "AP = EL0/EL1 read-only");
        assert_eq!(d & (1 << 11), 1 << 11, "nG");
        assert_eq!(d & (1 << 54), 0, "EL0 may execute");
        assert_eq!(d & (1 << 53), 1 << 53, "EL1 may not");
        assert_eq!(output_address_of(d), 0x12_3000);
    }

    #[test]
    fn table_descriptor_points_at_the_table() {
        assert_eq!(table(0x9_1000), 0x9_1003);
        assert_eq!(output_address_of(table(0x9_1000)), 0x9_1000);
    }

    #[test]
    fn mair_matches_memory_kinds() {
        let attr = |kind: MemoryKind| (MAIR_VALUE >> (8 * kind as u64)) & 0xff;
        assert_eq!(attr(MemoryKind::Normal), 0xff);
        assert_eq!(attr(MemoryKind::Device), 0x00);
    }
}
