//! Placing a domain program in its slot: the loader's work, done at build
//! time.
//!
//! Programs are linked position-independent at address 0 (an `ET_DYN` ELF,
//! see `activations/link.ld`). Placing one at `base` means laying its
//! loadable segments out flat, applying its dynamic relocations (all
//! `R_AARCH64_RELATIVE`: write `base + addend`), and describing its pages
//! and their rights for the kernel.

use anyhow::{bail, ensure, Context, Result};
use object::elf::{
    ProgramFlags, RelocationType, EM_AARCH64, ET_DYN, PF_W, PF_X, PT_LOAD, SHF_ALLOC, SHT_REL,
    SHT_RELA, SHT_RELR,
};
use object::read::elf::{ElfFile64, FileHeader, ProgramHeader, Rela, SectionHeader};
use object::{elf, Endianness, Object, ObjectSymbol};
pub use vesper_abi::image::{Segment, SegmentRights};
use vesper_abi::layout::{IMAGE_OFFSET, PAGE_SIZE, SLOT_SIZE};

/// The symbol `activations/link.ld` puts at the top of the activation
/// stack; its absence means the program does not link vesper-activations.
pub const ACTIVATION_STACK_SYMBOL: &str = "__activation_stack_top";

/// The rights a `PT_LOAD` segment with `flags` gets: executable segments
/// are read-execute (never writable), writable ones read-write, the rest
/// read-only.
pub fn segment_rights(flags: ProgramFlags) -> SegmentRights {
    if flags.0 & PF_X.0 != 0 {
        SegmentRights::ReadExecute
    } else if flags.0 & PF_W.0 != 0 {
        SegmentRights::ReadWrite
    } else {
        SegmentRights::ReadOnly
    }
}

/// A program relocated to run at `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedProgram {
    /// Where its address 0 lies: `slot_base + IMAGE_OFFSET`.
    pub base: u64,
    /// The activation entry point (`base + e_entry`).
    pub entry: u64,
    /// The top of the activation stack (`base + __activation_stack_top`).
    pub activation_sp: u64,
    /// The relocated file-backed bytes, to be copied to `base`; memory past
    /// them (bss) starts zeroed.
    pub image: Vec<u8>,
    /// Its pages and their rights, in address order, adjacent ranges with
    /// equal rights merged.
    pub segments: Vec<Segment>,
}

/// One `PT_LOAD` segment of the ELF.
struct Load<'data> {
    vaddr: u64,
    memsz: u64,
    flags: ProgramFlags,
    data: &'data [u8],
}

/// Places `program` (the ELF bytes `elf`) in the slot at `slot_base`: at
/// `slot_base + IMAGE_OFFSET`, relocated, with its segments' rights.
pub fn place(program: &str, elf: &[u8], slot_base: u64) -> Result<PlacedProgram> {
    let file = ElfFile64::<Endianness>::parse(elf)
        .with_context(|| format!("program {program} is not a 64-bit ELF file"))?;
    let endian = file.endian();
    let header = file.elf_header();
    let machine = header.e_machine(endian);
    ensure!(
        machine == EM_AARCH64,
        "program {program} is not for AArch64 (ELF machine {})",
        machine.0
    );
    let kind = header.e_type(endian);
    ensure!(
        kind == ET_DYN,
        "program {program} is not position-independent (ELF type {}, expected ET_DYN): \
         link it with -pie and activations/link.ld, as the image builder does",
        kind.0
    );
    let base = slot_base + IMAGE_OFFSET;

    let mut loads = Vec::new();
    for ph in file.elf_program_headers() {
        if ph.p_type(endian) != PT_LOAD {
            continue;
        }
        let data = ph.data(endian, elf).ok().with_context(|| {
            format!("program {program}: a segment's data lies outside the file")
        })?;
        let (vaddr, memsz) = (ph.p_vaddr(endian), ph.p_memsz(endian));
        ensure!(
            data.len() as u64 <= memsz,
            "program {program}: the segment at {vaddr:#x} has more file bytes than memory"
        );
        loads.push(Load { vaddr, memsz, flags: ph.p_flags(endian), data });
    }
    ensure!(loads.iter().any(|load| load.memsz > 0), "program {program} has no loadable segments");

    let segments = segments(program, &loads, base)?;
    let end = segments.last().map_or(base, |segment| segment.end);
    if end > slot_base + SLOT_SIZE {
        bail!(
            "program {program} needs {} KiB but a slot holds {} KiB \
             (a {} KiB slot less {} KiB for the DCB and guard pages)",
            (end - base) / 1024,
            (SLOT_SIZE - IMAGE_OFFSET) / 1024,
            SLOT_SIZE / 1024,
            IMAGE_OFFSET / 1024
        );
    }

    let mut image = lay_out(program, &loads)?;
    relocate(program, &file, elf, &mut image, base)?;

    // Wrapping: an absurd address fails the checks below instead of panicking.
    let entry = base.wrapping_add(header.e_entry(endian));
    ensure!(
        segments
            .iter()
            .any(|s| s.rights == SegmentRights::ReadExecute && (s.start..s.end).contains(&entry)),
        "program {program}: its entry point {entry:#x} is not in an executable segment"
    );
    let top = file
        .symbols()
        .chain(file.dynamic_symbols())
        .find(|symbol| symbol.name() == Ok(ACTIVATION_STACK_SYMBOL) && !symbol.is_undefined())
        .with_context(|| {
            format!(
                "program {program} does not link vesper-activations (no {ACTIVATION_STACK_SYMBOL})"
            )
        })?;
    let activation_sp = base.wrapping_add(top.address());
    let stack_ok = |s: &Segment| {
        s.rights == SegmentRights::ReadWrite && s.start < activation_sp && activation_sp <= s.end
    };
    ensure!(
        activation_sp.is_multiple_of(16) && segments.iter().any(stack_ok),
        "program {program}: {ACTIVATION_STACK_SYMBOL} ({activation_sp:#x}) is not \
         the 16-byte aligned top of a writable segment"
    );
    Ok(PlacedProgram { base, entry, activation_sp, image, segments })
}

/// The pages of each loadable segment at `base`, merged where adjacent
/// ranges have equal rights.
fn segments(program: &str, loads: &[Load], base: u64) -> Result<Vec<Segment>> {
    let mut ranges = Vec::new();
    for load in loads.iter().filter(|load| load.memsz > 0) {
        let range = load
            .vaddr
            .checked_add(load.memsz)
            .and_then(|end| end.checked_next_multiple_of(PAGE_SIZE))
            .and_then(|end| base.checked_add(end))
            .map(|end| Segment {
                start: base + load.vaddr / PAGE_SIZE * PAGE_SIZE,
                end,
                rights: segment_rights(load.flags),
            });
        ranges.push(range.with_context(|| {
            format!(
                "program {program}: the segment at {:#x} lies outside the address space",
                load.vaddr
            )
        })?);
    }
    ranges.sort_by_key(|segment| segment.start);
    let mut merged: Vec<Segment> = Vec::new();
    for range in ranges {
        if let Some(last) = merged.last_mut() {
            if range.start < last.end && range.rights != last.rights {
                bail!(
                    "program {program}: a {:?} segment and a {:?} segment share the page at {:#x}; \
                     page-align them (activations/link.ld does)",
                    last.rights,
                    range.rights,
                    range.start
                );
            }
            if range.start <= last.end && range.rights == last.rights {
                last.end = last.end.max(range.end);
                continue;
            }
        }
        merged.push(range);
    }
    Ok(merged)
}

/// The file-backed bytes of the loadable segments at their addresses, from
/// 0 to the last file-backed byte, gaps zero-filled.
fn lay_out(program: &str, loads: &[Load]) -> Result<Vec<u8>> {
    let mut backed: Vec<&Load> = loads.iter().filter(|load| !load.data.is_empty()).collect();
    backed.sort_by_key(|load| load.vaddr);
    let mut image = Vec::new();
    for load in backed {
        // `place` checked that everything ends inside the slot.
        let start = usize::try_from(load.vaddr)?;
        ensure!(
            start >= image.len(),
            "program {program}: loadable segments overlap at {:#x}",
            load.vaddr
        );
        image.resize(start, 0);
        image.extend_from_slice(load.data);
    }
    Ok(image)
}

/// Applies every dynamic relocation of `file` to `image`, for a program
/// placed at `base`.
fn relocate(
    program: &str,
    file: &ElfFile64<Endianness>,
    elf: &[u8],
    image: &mut [u8],
    base: u64,
) -> Result<()> {
    let endian = file.endian();
    let backed = image.len();
    let sections = file.elf_section_table();
    for section in sections.iter() {
        let kind = section.sh_type(endian);
        if section.sh_flags(endian).0 & SHF_ALLOC.0 == 0 {
            continue; // Not loaded: not a dynamic relocation section.
        }
        let name =
            sections.section_name(endian, section).map(String::from_utf8_lossy).unwrap_or_default();
        if kind == SHT_REL || kind == SHT_RELR {
            let what = if kind == SHT_REL { "SHT_REL" } else { "SHT_RELR" };
            bail!(
                "program {program}: section {name} holds {what} relocations; \
                 only RELA ones can be applied"
            );
        }
        if kind != SHT_RELA {
            continue;
        }
        let relocations: &[elf::Rela64<Endianness>] = section
            .data_as_array(endian, elf)
            .with_context(|| format!("program {program}: reading section {name}"))?;
        for rela in relocations {
            let offset = rela.r_offset(endian);
            let kind = rela.r_type(endian, false);
            if kind != elf::R_AARCH64_RELATIVE {
                bail!(
                    "program {program}: the relocation at {offset:#x} has type {}; only \
                     R_AARCH64_RELATIVE (1027) can be applied (is it built with \
                     -Crelocation-model=pie and without external symbols?)",
                    relocation_name(kind)
                );
            }
            let value = base.wrapping_add_signed(rela.r_addend(endian));
            let target = usize::try_from(offset)
                .ok()
                .and_then(|start| image.get_mut(start..start.checked_add(8)?))
                .with_context(|| {
                    format!(
                        "program {program}: the relocation at {offset:#x} lies outside \
                         the file-backed bytes (0..{backed:#x})"
                    )
                })?;
            target.copy_from_slice(&value.to_le_bytes());
        }
    }
    Ok(())
}

/// A relocation type's name, for the dynamic types a linker may emit.
fn relocation_name(kind: RelocationType) -> String {
    let name = match kind {
        elf::R_AARCH64_ABS64 => "R_AARCH64_ABS64",
        elf::R_AARCH64_COPY => "R_AARCH64_COPY",
        elf::R_AARCH64_GLOB_DAT => "R_AARCH64_GLOB_DAT",
        elf::R_AARCH64_JUMP_SLOT => "R_AARCH64_JUMP_SLOT",
        elf::R_AARCH64_TLS_DTPMOD => "R_AARCH64_TLS_DTPMOD",
        elf::R_AARCH64_TLS_DTPREL => "R_AARCH64_TLS_DTPREL",
        elf::R_AARCH64_TLS_TPREL => "R_AARCH64_TLS_TPREL",
        elf::R_AARCH64_TLSDESC => "R_AARCH64_TLSDESC",
        elf::R_AARCH64_IRELATIVE => "R_AARCH64_IRELATIVE",
        _ => return kind.0.to_string(),
    };
    format!("{name} ({})", kind.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::elf::{SectionType, PF_R, SHN_ABS, STB_GLOBAL, STT_NOTYPE};
    use object::write::elf::{
        FileHeader as WriteFileHeader, ProgramHeader as WriteProgramHeader, Rel,
        SectionHeader as WriteSectionHeader, Sym, Writer,
    };
    use vesper_abi::layout::slot_base;

    const RX: ProgramFlags = ProgramFlags(PF_R.0 | PF_X.0);
    const R: ProgramFlags = PF_R;
    const RW: ProgramFlags = ProgramFlags(PF_R.0 | PF_W.0);

    /// A loadable segment of a test ELF.
    struct TestLoad {
        vaddr: u64,
        data: Vec<u8>,
        memsz: u64,
        flags: ProgramFlags,
    }

    /// A small ELF shaped like a linked domain program.
    struct TestElf {
        e_type: elf::FileType,
        machine: elf::Machine,
        entry: u64,
        loads: Vec<TestLoad>,
        relocation_section: SectionType,
        /// `(offset, type, addend)`.
        relocations: Vec<(u64, RelocationType, i64)>,
        stack_top: Option<u64>,
    }

    impl TestElf {
        /// Text at 0 (a page), rodata at 0x1000, data at 0x2000 and bss
        /// after it, the stack top at 0x3000; two relative relocations in
        /// the data.
        fn typical() -> Self {
            Self {
                e_type: ET_DYN,
                machine: EM_AARCH64,
                entry: 0x10,
                loads: vec![
                    TestLoad { vaddr: 0, data: vec![0xAA; 0x20], memsz: 0x20, flags: RX },
                    TestLoad { vaddr: 0x1000, data: b"rodata".to_vec(), memsz: 6, flags: R },
                    TestLoad { vaddr: 0x2000, data: vec![0x11; 0x18], memsz: 0x18, flags: RW },
                    TestLoad { vaddr: 0x2018, data: Vec::new(), memsz: 0xFE8, flags: RW },
                ],
                relocation_section: SHT_RELA,
                relocations: vec![
                    (0x2000, elf::R_AARCH64_RELATIVE, 0x1000),
                    (0x2010, elf::R_AARCH64_RELATIVE, 0x8),
                ],
                stack_top: Some(0x3000),
            }
        }

        fn write(&self) -> Vec<u8> {
            let mut out = Vec::new();
            let mut writer = Writer::new(Endianness::Little, true, &mut out);
            let is_rela = self.relocation_section == SHT_RELA;
            writer.reserve_file_header();
            writer.reserve_program_headers(self.loads.len() as u32);
            let offsets: Vec<u64> =
                self.loads.iter().map(|load| writer.reserve(load.data.len() as u64, 16)).collect();
            writer.reserve_null_section_index();
            let relocations_name = writer.add_section_name(b".rela.dyn");
            writer.reserve_section_index();
            let relocations_offset = writer.reserve_relocations(self.relocations.len(), is_rela);
            writer.reserve_null_symbol_index();
            let symbol_name = writer.add_string(ACTIVATION_STACK_SYMBOL.as_bytes());
            if self.stack_top.is_some() {
                writer.reserve_symbol_index(None);
            }
            writer.reserve_symtab_section_index();
            writer.reserve_symtab();
            writer.reserve_strtab_section_index();
            writer.reserve_strtab().unwrap();
            writer.reserve_shstrtab_section_index();
            writer.reserve_shstrtab().unwrap();
            writer.reserve_section_headers();

            writer
                .write_file_header(&WriteFileHeader {
                    os_abi: elf::OsAbi(0),
                    abi_version: 0,
                    e_type: self.e_type,
                    e_machine: self.machine,
                    e_entry: self.entry,
                    e_flags: elf::FileFlags(0),
                })
                .unwrap();
            writer.write_align_program_headers();
            for (load, offset) in self.loads.iter().zip(&offsets) {
                writer.write_program_header(&WriteProgramHeader {
                    p_type: PT_LOAD,
                    p_flags: load.flags,
                    p_offset: *offset,
                    p_vaddr: load.vaddr,
                    p_paddr: load.vaddr,
                    p_filesz: load.data.len() as u64,
                    p_memsz: load.memsz,
                    p_align: 0x1000,
                });
            }
            for (load, offset) in self.loads.iter().zip(&offsets) {
                writer.pad_until(*offset);
                writer.write(&load.data);
            }
            writer.write_align_relocation();
            for &(offset, kind, addend) in &self.relocations {
                writer.write_relocation(
                    is_rela,
                    &Rel { r_offset: offset, r_sym: 0, r_type: kind, r_addend: addend },
                );
            }
            writer.write_null_symbol();
            if let Some(top) = self.stack_top {
                writer.write_symbol(&Sym {
                    section: None,
                    st_name: writer.string_offset(Some(symbol_name)),
                    st_info: elf::SymbolInfo::new(STB_GLOBAL, STT_NOTYPE),
                    st_other: elf::SymbolOther(0),
                    st_shndx: SHN_ABS,
                    st_value: top,
                    st_size: 0,
                });
            }
            writer.write_strtab();
            writer.write_shstrtab();
            writer.write_null_section_header();
            let entry_size = if is_rela { 24 } else { 16 };
            writer.write_section_header(&WriteSectionHeader {
                sh_name: writer.section_name_offset(Some(relocations_name)),
                sh_type: self.relocation_section,
                sh_flags: SHF_ALLOC,
                sh_addr: 0,
                sh_offset: relocations_offset,
                sh_size: self.relocations.len() as u64 * entry_size,
                sh_link: 0,
                sh_info: 0,
                sh_addralign: 8,
                sh_entsize: entry_size,
            });
            writer.write_symtab_section_header(1);
            writer.write_strtab_section_header();
            writer.write_shstrtab_section_header();
            out
        }

        fn place_in(&self, slot: usize) -> Result<PlacedProgram> {
            place("test", &self.write(), slot_base(slot))
        }
    }

    fn error(elf: &TestElf) -> String {
        format!("{:#}", elf.place_in(0).unwrap_err())
    }

    #[test]
    fn a_typical_program_is_laid_out_relocated_and_described() {
        let placed = TestElf::typical().place_in(1).unwrap();
        let base = slot_base(1) + IMAGE_OFFSET;
        assert_eq!(placed.base, base);
        assert_eq!(placed.entry, base + 0x10);
        assert_eq!(placed.activation_sp, base + 0x3000);
        assert_eq!(placed.image.len(), 0x2018);
        assert_eq!(&placed.image[..0x20], &[0xAA; 0x20]);
        assert!(placed.image[0x20..0x1000].iter().all(|&b| b == 0));
        assert_eq!(&placed.image[0x1000..0x1006], b"rodata");
        assert_eq!(&placed.image[0x2000..0x2008], &(base + 0x1000).to_le_bytes());
        assert_eq!(&placed.image[0x2008..0x2010], &[0x11; 8], "untouched");
        assert_eq!(&placed.image[0x2010..0x2018], &(base + 8).to_le_bytes());
        assert_eq!(
            placed.segments,
            vec![
                Segment { start: base, end: base + 0x1000, rights: SegmentRights::ReadExecute },
                Segment {
                    start: base + 0x1000,
                    end: base + 0x2000,
                    rights: SegmentRights::ReadOnly
                },
                Segment {
                    start: base + 0x2000,
                    end: base + 0x3000,
                    rights: SegmentRights::ReadWrite
                },
            ]
        );
        assert_eq!(placed.segments.last().unwrap().end, base + 0x3000);
    }

    #[test]
    fn rights_follow_the_flags() {
        assert_eq!(segment_rights(RX), SegmentRights::ReadExecute);
        assert_eq!(segment_rights(ProgramFlags(PF_X.0 | PF_W.0)), SegmentRights::ReadExecute);
        assert_eq!(segment_rights(RW), SegmentRights::ReadWrite);
        assert_eq!(segment_rights(R), SegmentRights::ReadOnly);
    }

    #[test]
    fn adjacent_segments_with_equal_rights_merge() {
        let mut elf = TestElf::typical();
        // A second read-write segment right after the bss, on a new page.
        elf.loads.push(TestLoad { vaddr: 0x3000, data: vec![1; 8], memsz: 0x1800, flags: RW });
        let placed = elf.place_in(0).unwrap();
        let base = slot_base(0) + IMAGE_OFFSET;
        assert_eq!(placed.segments.len(), 3);
        assert_eq!(
            placed.segments[2],
            Segment { start: base + 0x2000, end: base + 0x5000, rights: SegmentRights::ReadWrite }
        );
        assert_eq!(placed.image.len(), 0x3008);
    }

    #[test]
    fn different_rights_on_one_page_are_refused() {
        let mut elf = TestElf::typical();
        elf.loads[1].vaddr = 0x800;
        let err = error(&elf);
        assert!(
            err.contains(
                "a ReadExecute segment and a ReadOnly segment share the page at 0x2004000"
            ),
            "{err}"
        );
    }

    #[test]
    fn other_relocation_types_are_refused_by_name() {
        let mut elf = TestElf::typical();
        elf.relocations.push((0x2008, elf::R_AARCH64_ABS64, 0));
        let err = error(&elf);
        assert!(err.contains("at 0x2008 has type R_AARCH64_ABS64 (257)"), "{err}");
        elf.relocations[2].1 = RelocationType(999);
        assert!(error(&elf).contains("has type 999;"));
    }

    #[test]
    fn rel_sections_are_refused() {
        let mut elf = TestElf::typical();
        elf.relocation_section = SHT_REL;
        assert!(error(&elf).contains("section .rela.dyn holds SHT_REL relocations"));
    }

    #[test]
    fn relocations_must_hit_file_backed_bytes() {
        let mut elf = TestElf::typical();
        elf.relocations.push((0x2014, elf::R_AARCH64_RELATIVE, 0));
        let err = error(&elf);
        assert!(
            err.contains("the relocation at 0x2014 lies outside the file-backed bytes (0..0x2018)"),
            "{err}"
        );
        elf.relocations[2].0 = u64::MAX - 2;
        assert!(error(&elf).contains("outside the file-backed bytes"));
    }

    #[test]
    fn a_program_too_big_for_its_slot_is_refused() {
        let mut elf = TestElf::typical();
        elf.loads[3].memsz = SLOT_SIZE;
        let err = error(&elf);
        assert!(err.contains("program test needs 2060 KiB but a slot holds 2032 KiB"), "{err}");
        elf.loads[3].memsz = u64::MAX - 0x1000;
        assert!(error(&elf).contains("outside the address space"));
    }

    #[test]
    fn a_program_that_just_fits_is_accepted() {
        let mut elf = TestElf::typical();
        elf.loads[3].memsz = SLOT_SIZE - IMAGE_OFFSET - 0x2018;
        elf.stack_top = Some(SLOT_SIZE - IMAGE_OFFSET);
        let placed = elf.place_in(MAX_SLOT).unwrap();
        assert_eq!(placed.segments.last().unwrap().end, slot_base(MAX_SLOT) + SLOT_SIZE);
    }

    const MAX_SLOT: usize = vesper_abi::layout::MAX_DOMAINS - 1;

    #[test]
    fn the_activation_stack_symbol_is_required() {
        let mut elf = TestElf::typical();
        elf.stack_top = None;
        assert!(error(&elf).contains("program test does not link vesper-activations"));
        elf.stack_top = Some(0x1000);
        assert!(error(&elf).contains("is not the 16-byte aligned top of a writable segment"));
        elf.stack_top = Some(0x2ff8);
        assert!(error(&elf).contains("16-byte aligned"));
        elf.stack_top = Some(u64::MAX - 0xF);
        assert!(error(&elf).contains("16-byte aligned"));
    }

    #[test]
    fn the_entry_must_be_code() {
        let mut elf = TestElf::typical();
        elf.entry = 0x1000;
        assert!(error(&elf).contains("entry point 0x2005000 is not in an executable segment"));
        elf.entry = u64::MAX;
        assert!(error(&elf).contains("is not in an executable segment"));
    }

    #[test]
    fn only_position_independent_aarch64_programs_are_placed() {
        let mut elf = TestElf::typical();
        elf.e_type = elf::ET_EXEC;
        assert!(error(&elf).contains("is not position-independent (ELF type 2, expected ET_DYN)"));
        let mut elf = TestElf::typical();
        elf.machine = elf::EM_X86_64;
        assert!(error(&elf).contains("not for AArch64"));
        assert!(place("junk", b"\x7fELF nonsense", slot_base(0)).is_err());
    }

    #[test]
    fn overlapping_file_contents_are_refused() {
        let mut elf = TestElf::typical();
        elf.loads[2].flags = R;
        elf.loads[2].vaddr = 0x1004;
        elf.loads[3].flags = R;
        elf.loads[3].vaddr = 0x101c;
        assert!(error(&elf).contains("loadable segments overlap at 0x1004"));
    }
}
