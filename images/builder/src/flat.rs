//! ELF to flat binary, the job `objcopy -O binary` does, without needing one.

use anyhow::{bail, Context, Result};
use object::elf::PT_LOAD;
use object::read::elf::{ElfFile64, ProgramHeader};
use object::Endianness;

/// Where the firmware loads `kernel8.img` (64-bit kernels, `kernel_address`
/// default), and where the kernel's first loadable byte must be.
pub const LOAD_ADDRESS: u64 = 0x8_0000;

/// Lays out the loadable segments of `elf` at their physical addresses,
/// starting from [`LOAD_ADDRESS`]. Gaps are zero-filled; segments with no
/// file contents (.bss, stacks) are left out, since the kernel zeroes them.
pub fn flat_image(elf: &[u8]) -> Result<Vec<u8>> {
    let file = ElfFile64::<Endianness>::parse(elf).context("not a 64-bit ELF file")?;
    let endian = file.endian();
    let mut segments = Vec::new();
    for header in file.elf_program_headers() {
        if header.p_type(endian) != PT_LOAD || header.p_filesz(endian) == 0 {
            continue;
        }
        let data = header.data(endian, elf).ok().context("segment data lies outside the file")?;
        segments.push((header.p_paddr(endian), data));
    }
    segments.sort_by_key(|(paddr, _)| *paddr);

    let Some(&(first, _)) = segments.first() else {
        bail!("the ELF file has no loadable contents");
    };
    if first != LOAD_ADDRESS {
        bail!("the first loadable segment is at physical {first:#x}, not {LOAD_ADDRESS:#x}");
    }
    let mut image = Vec::new();
    for (paddr, data) in segments {
        let offset = usize::try_from(paddr - LOAD_ADDRESS)?;
        if offset < image.len() {
            bail!("loadable segments overlap at physical {paddr:#x}");
        }
        image.resize(offset, 0);
        image.extend_from_slice(data);
    }
    Ok(image)
}

/// One past the last physical byte the kernel in `elf` occupies once
/// loaded: its loadable segments, bss and stacks included.
pub fn memory_end(elf: &[u8]) -> Result<u64> {
    let file = ElfFile64::<Endianness>::parse(elf).context("not a 64-bit ELF file")?;
    let endian = file.endian();
    file.elf_program_headers()
        .iter()
        .filter(|header| header.p_type(endian) == PT_LOAD)
        .map(|header| header.p_paddr(endian).checked_add(header.p_memsz(endian)))
        .try_fold(None::<u64>, |end, segment_end| -> Result<Option<u64>> {
            let segment_end = segment_end.context("a segment wraps around the address space")?;
            Ok(Some(end.map_or(segment_end, |end| end.max(segment_end))))
        })?
        .context("the ELF file has no loadable segments")
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::write::elf::{FileHeader, ProgramHeader as WriteProgramHeader, Writer};

    /// Writes a minimal ELF with one PT_LOAD segment per `(paddr, bytes)`.
    fn elf_with_segments(segments: &[(u64, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = Writer::new(Endianness::Little, true, &mut out);
        writer.reserve_file_header();
        writer.reserve_program_headers(segments.len() as u32);
        let offsets: Vec<u64> =
            segments.iter().map(|(_, bytes)| writer.reserve(bytes.len() as u64, 16)).collect();
        writer
            .write_file_header(&FileHeader {
                os_abi: object::elf::OsAbi(0),
                abi_version: 0,
                e_type: object::elf::ET_EXEC,
                e_machine: object::elf::EM_AARCH64,
                e_entry: LOAD_ADDRESS,
                e_flags: object::elf::FileFlags(0),
            })
            .unwrap();
        writer.write_align_program_headers();
        for ((paddr, bytes), offset) in segments.iter().zip(&offsets) {
            writer.write_program_header(&WriteProgramHeader {
                p_type: PT_LOAD,
                p_flags: object::elf::PF_R,
                p_offset: *offset,
                p_vaddr: 0xFFFF_FF80_0000_0000 + paddr,
                p_paddr: *paddr,
                p_filesz: bytes.len() as u64,
                p_memsz: bytes.len() as u64,
                p_align: 16,
            });
        }
        for ((_, bytes), offset) in segments.iter().zip(&offsets) {
            writer.pad_until(*offset);
            writer.write(bytes);
        }
        out
    }

    #[test]
    fn segments_land_at_their_physical_offsets() {
        let elf = elf_with_segments(&[(0x8_1000, b"data"), (0x8_0000, b"code")]);
        let image = flat_image(&elf).unwrap();
        assert_eq!(image.len(), 0x1004);
        assert_eq!(&image[..4], b"code");
        assert!(image[4..0x1000].iter().all(|&b| b == 0));
        assert_eq!(&image[0x1000..], b"data");
    }

    #[test]
    fn wrong_load_address_is_refused() {
        let elf = elf_with_segments(&[(0x9_0000, b"code")]);
        let err = flat_image(&elf).unwrap_err().to_string();
        assert!(err.contains("0x90000"), "{err}");
    }

    #[test]
    fn overlapping_segments_are_refused() {
        let elf = elf_with_segments(&[(0x8_0000, b"code"), (0x8_0002, b"data")]);
        assert!(flat_image(&elf).unwrap_err().to_string().contains("overlap"));
    }

    #[test]
    fn the_memory_end_counts_every_loadable_byte() {
        let elf = elf_with_segments(&[(0x8_1000, b"data"), (0x8_0000, b"code")]);
        assert_eq!(memory_end(&elf).unwrap(), 0x8_1004);
        assert!(memory_end(&elf_with_segments(&[])).is_err());
        assert!(memory_end(b"junk").is_err());
    }

    #[test]
    fn garbage_is_not_an_elf() {
        assert!(flat_image(b"not an elf at all").is_err());
        assert!(flat_image(&elf_with_segments(&[])).is_err());
    }
}
