//! SD card images: an MBR partition table with one FAT32 boot partition
//! holding what the Raspberry Pi firmware boots from (`bootcode.bin`,
//! `start.elf`, `fixup.dat`, `config.txt`, `kernel8.img`).
//!
//! The table is written with `mbrman` and the file system with `fatfs`
//! (through an `fscommon::StreamSlice` over the partition's bytes), whose
//! boot sector then gets the partition's start as its hidden sectors. The
//! output is deterministic: fixed disk signature and volume id, and every
//! file dated 1980-01-01 00:00, the first date FAT can hold.

use anyhow::{bail, ensure, Context, Result};
use fatfs::{FatType, FileSystem, FormatVolumeOptions, FsOptions};
use fscommon::{BufStream, StreamSlice};
use mbrman::{MBRPartitionEntry, BOOT_ACTIVE, CHS, MBR};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes per sector.
pub const SECTOR: u64 = 512;
/// Where the boot partition starts: 4 MiB, as Raspberry Pi OS images do
/// (erase-block aligned on any card).
pub const PARTITION_START: u64 = 4 << 20;
/// The image size when none is given.
pub const DEFAULT_SIZE: u64 = 64 << 20;
/// The smallest image: FAT32 needs at least 65,525 clusters (about 33 MiB
/// with 512-byte clusters) after the 4 MiB gap.
pub const MIN_SIZE: u64 = 64 << 20;
/// The largest image: an MBR counts sectors in 32 bits.
pub const MAX_SIZE: u64 = 1 << 40;
/// MBR partition type: FAT32 with LBA addressing.
pub const FAT32_LBA: u8 = 0x0C;
/// The firmware files a Pi 3 needs on its boot partition.
pub const FIRMWARE_FILES: [&str; 3] = ["bootcode.bin", "start.elf", "fixup.dat"];
/// Where Debian's `raspi-firmware` package installs them.
pub const DEBIAN_FIRMWARE_DIR: &str = "/usr/lib/raspi-firmware";

/// The MBR disk signature ("VESP").
const DISK_SIGNATURE: [u8; 4] = *b"VESP";
/// The FAT volume id and label.
const VOLUME_ID: u32 = 0x5645_5350;
const VOLUME_LABEL: [u8; 11] = *b"VESPER-BOOT";

/// Where a FAT boot sector keeps its hidden sectors (u32): how many
/// sectors of the disk come before the volume.
const BPB_HIDDEN_SECTORS: u64 = 0x1C;
/// Where a FAT32 boot sector says which sector holds its backup (u16).
const BPB_BACKUP_BOOT_SECTOR: u64 = 0x32;

/// Dates every file 1980-01-01 00:00:00, so that the same files give the
/// same image.
#[derive(Debug)]
struct FixedTime;

impl fatfs::TimeProvider for FixedTime {
    fn get_current_date(&self) -> fatfs::Date {
        fatfs::Date { year: 1980, month: 1, day: 1 }
    }

    fn get_current_date_time(&self) -> fatfs::DateTime {
        let time = fatfs::Time { hour: 0, min: 0, sec: 0, millis: 0 };
        fatfs::DateTime { date: self.get_current_date(), time }
    }
}

static FIXED_TIME: FixedTime = FixedTime;

/// A file for the boot partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootFile {
    /// Its name in the partition's root folder (8.3 or long).
    pub name: String,
    /// Its contents.
    pub bytes: Vec<u8>,
}

impl BootFile {
    /// Reads `path` into a boot file called `name`.
    pub fn read(name: &str, path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Self { name: name.to_string(), bytes })
    }
}

/// Checks an image size: a power of two (QEMU refuses other SD card
/// sizes), from [`MIN_SIZE`] to [`MAX_SIZE`].
pub fn check_size(size: u64) -> Result<()> {
    ensure!(
        size.is_power_of_two() && (MIN_SIZE..=MAX_SIZE).contains(&size),
        "an SD card image must be a power of two from 64MiB to 1TiB (QEMU refuses other sizes), \
         not {}",
        crate::units::format_size(size)
    );
    Ok(())
}

/// The folder the firmware files come from: `dir` if given (it must hold
/// all of [`FIRMWARE_FILES`]), else [`DEBIAN_FIRMWARE_DIR`] if it holds
/// them, else none.
pub fn find_firmware(dir: Option<&Path>) -> Result<Option<PathBuf>> {
    let missing = |dir: &Path| -> Vec<&str> {
        FIRMWARE_FILES.iter().copied().filter(|file| !dir.join(file).is_file()).collect()
    };
    match dir {
        Some(dir) => {
            let missing = missing(dir);
            ensure!(
                missing.is_empty(),
                "the firmware folder {} lacks {}",
                dir.display(),
                missing.join(", ")
            );
            Ok(Some(dir.to_path_buf()))
        }
        None => {
            let debian = Path::new(DEBIAN_FIRMWARE_DIR);
            Ok(missing(debian).is_empty().then(|| debian.to_path_buf()))
        }
    }
}

/// The firmware files of `dir`, as boot files.
pub fn firmware_files(dir: &Path) -> Result<Vec<BootFile>> {
    FIRMWARE_FILES.iter().map(|name| BootFile::read(name, &dir.join(name))).collect()
}

/// Writes an SD card image of `size` bytes (see [`check_size`]) to `path`:
/// an MBR with one active FAT32 partition from [`PARTITION_START`] to the
/// end, holding `files` in its root folder. The image is written beside
/// `path` and renamed into place, so a reader never sees half of one.
pub fn write_sdcard(path: &Path, size: u64, files: &[BootFile]) -> Result<()> {
    check_size(size)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    write_to(&tmp, size, files)
        .and_then(|()| {
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
        })
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

fn write_to(path: &Path, size: u64, files: &[BootFile]) -> Result<()> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.set_len(size).with_context(|| format!("sizing {}", path.display()))?;

    let sectors = |bytes: u64| u32::try_from(bytes / SECTOR).context("the image is too large");
    let mut mbr = MBR::new_from(&mut file, SECTOR as u32, DISK_SIGNATURE)
        .context("creating the partition table")?;
    mbr[1] = MBRPartitionEntry {
        boot: BOOT_ACTIVE,
        first_chs: CHS::empty(),
        sys: FAT32_LBA,
        last_chs: CHS::empty(),
        starting_lba: sectors(PARTITION_START)?,
        sectors: sectors(size - PARTITION_START)?,
    };
    mbr.write_into(&mut file).context("writing the partition table")?;

    let mut disk = BufStream::new(&mut file);
    let mut partition = StreamSlice::new(&mut disk, PARTITION_START, size)?;
    let options = FormatVolumeOptions::new()
        .fat_type(FatType::Fat32)
        .bytes_per_cluster(SECTOR as u32)
        .volume_id(VOLUME_ID)
        .volume_label(VOLUME_LABEL);
    fatfs::format_volume(&mut partition, options).context("formatting the boot partition")?;
    set_hidden_sectors(&mut partition, sectors(PARTITION_START)?)
        .context("writing the boot partition's hidden sectors")?;
    let fs = FileSystem::new(&mut partition, FsOptions::new().time_provider(&FIXED_TIME))
        .context("opening the new boot partition")?;
    {
        let root = fs.root_dir();
        for boot_file in files {
            let mut out = root
                .create_file(&boot_file.name)
                .with_context(|| format!("creating {} on the card", boot_file.name))?;
            out.truncate()?;
            out.write_all(&boot_file.bytes)
                .with_context(|| format!("writing {} on the card", boot_file.name))?;
        }
    }
    // fatfs leaves the FSInfo sector's free cluster count unset after
    // formatting (fsck.fat reports it); counting them now makes unmount
    // write it.
    fs.stats().context("counting the boot partition's free clusters")?;
    fs.unmount().context("closing the boot partition")?;
    disk.flush()?;
    drop(disk);
    file.sync_all().with_context(|| format!("writing {}", path.display()))
}

/// Sets the hidden sectors of the FAT32 volume `volume`, in its boot sector
/// and in that sector's backup, to `start`, the partition's first sector.
/// fatfs writes 0, as for a volume that fills its disk (`fsck.fat -v`
/// shows "0 hidden sectors"), but boot code and some systems read the
/// field to find the volume on the disk. Both copies get it, as fsck.fat
/// compares them. Leaves `volume` at its start, where fatfs wants it.
fn set_hidden_sectors<T: Read + Write + Seek>(volume: &mut T, start: u32) -> Result<()> {
    let mut backup = [0u8; 2];
    volume.seek(SeekFrom::Start(BPB_BACKUP_BOOT_SECTOR))?;
    volume.read_exact(&mut backup)?;
    let backup = u64::from(u16::from_le_bytes(backup));
    ensure!(backup != 0, "a FAT32 boot sector has a backup");
    for sector in [0, backup] {
        volume.seek(SeekFrom::Start(sector * SECTOR + BPB_HIDDEN_SECTORS))?;
        volume.write_all(&start.to_le_bytes())?;
    }
    volume.seek(SeekFrom::Start(0))?;
    Ok(())
}

/// What an SD card image holds, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardContents {
    /// The first partition's type.
    pub partition_type: u8,
    /// Its first byte.
    pub partition_start: u64,
    /// Its length in bytes.
    pub partition_bytes: u64,
    /// Whether the partition is FAT32.
    pub fat32: bool,
    /// The hidden sectors its boot sector gives: where it starts on the
    /// card, in sectors (the partition table's start, if they agree).
    pub hidden_sectors: u32,
    /// The same in the backup of the boot sector (FAT32 only).
    pub backup_hidden_sectors: Option<u32>,
    /// The files of its root folder, by name.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Reads the partition table and the first partition's root folder of the
/// SD card image at `path`.
pub fn read_sdcard(path: &Path) -> Result<CardContents> {
    let mut file = File::options()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mbr = MBR::read_from(&mut file, SECTOR as u32)
        .with_context(|| format!("reading the partition table of {}", path.display()))?;
    let entry = &mbr[1];
    if entry.is_unused() {
        bail!("{} has no first partition", path.display());
    }
    let start = u64::from(entry.starting_lba) * SECTOR;
    let bytes = u64::from(entry.sectors) * SECTOR;
    let partition = StreamSlice::new(&mut file, start, start + bytes)?;
    let fs = FileSystem::new(partition, FsOptions::new())
        .with_context(|| format!("reading the FAT file system of {}", path.display()))?;
    let mut files = BTreeMap::new();
    for entry in fs.root_dir().iter() {
        let entry = entry?;
        if entry.is_file() {
            let mut contents = Vec::new();
            entry.to_file().read_to_end(&mut contents)?;
            files.insert(entry.file_name(), contents);
        }
    }
    let fat32 = fs.fat_type() == FatType::Fat32;
    drop(fs);
    let mut partition = StreamSlice::new(&mut file, start, start + bytes)?;
    let (hidden_sectors, backup_hidden_sectors) = read_hidden_sectors(&mut partition, fat32)
        .with_context(|| format!("reading the boot sector of {}", path.display()))?;
    Ok(CardContents {
        partition_type: mbr[1].sys,
        partition_start: start,
        partition_bytes: bytes,
        fat32,
        hidden_sectors,
        backup_hidden_sectors,
        files,
    })
}

/// The hidden sectors of a FAT volume's boot sector, and of its backup if
/// it is `fat32` (only FAT32 has one).
fn read_hidden_sectors<T: Read + Seek>(volume: &mut T, fat32: bool) -> Result<(u32, Option<u32>)> {
    let mut read = |at: u64, bytes: &mut [u8]| -> Result<()> {
        volume.seek(SeekFrom::Start(at))?;
        Ok(volume.read_exact(bytes)?)
    };
    let mut hidden = [0u8; 4];
    read(BPB_HIDDEN_SECTORS, &mut hidden)?;
    if !fat32 {
        return Ok((u32::from_le_bytes(hidden), None));
    }
    let mut backup = [0u8; 2];
    read(BPB_BACKUP_BOOT_SECTOR, &mut backup)?;
    let mut backup_hidden = [0u8; 4];
    read(u64::from(u16::from_le_bytes(backup)) * SECTOR + BPB_HIDDEN_SECTORS, &mut backup_hidden)?;
    Ok((u32::from_le_bytes(hidden), Some(u32::from_le_bytes(backup_hidden))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("vesper-sdcard-{}-{name}", std::process::id()))
    }

    fn files() -> Vec<BootFile> {
        vec![
            BootFile { name: "config.txt".into(), bytes: b"arm_64bit=1\n".to_vec() },
            BootFile {
                name: "kernel8.img".into(),
                bytes: (0..100_000u32).map(|i| i as u8).collect(),
            },
        ]
    }

    #[test]
    fn a_card_reads_back_with_its_files() {
        let path = temp("card.img");
        write_sdcard(&path, DEFAULT_SIZE, &files()).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), DEFAULT_SIZE);
        let card = read_sdcard(&path).unwrap();
        assert_eq!(card.partition_type, FAT32_LBA);
        assert_eq!(card.partition_start, PARTITION_START);
        assert_eq!(card.partition_bytes, DEFAULT_SIZE - PARTITION_START);
        assert!(card.fat32);
        // The volume knows where it starts on the disk, in both boot
        // sectors: what the partition table says.
        let start = u32::try_from(card.partition_start / SECTOR).unwrap();
        assert_eq!(card.hidden_sectors, start);
        assert_eq!(card.backup_hidden_sectors, Some(start));
        // Its FSInfo sector (the partition's second) counts the free
        // clusters: 0xffffffff would be "unknown".
        let bytes = std::fs::read(&path).unwrap();
        let free_count = (PARTITION_START + SECTOR) as usize + 0x1E8;
        let free = u32::from_le_bytes(bytes[free_count..free_count + 4].try_into().unwrap());
        assert!(free > 100_000 && free != u32::MAX, "{free:#x} free clusters");
        let expected: BTreeMap<String, Vec<u8>> =
            files().into_iter().map(|file| (file.name, file.bytes)).collect();
        assert_eq!(card.files, expected);
        // The same input gives the same bytes.
        let again = temp("again.img");
        write_sdcard(&again, DEFAULT_SIZE, &files()).unwrap();
        assert!(std::fs::read(&path).unwrap() == std::fs::read(&again).unwrap());
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_file(&again).unwrap();
    }

    #[test]
    fn sizes_must_be_powers_of_two_qemu_accepts() {
        assert!(check_size(64 << 20).is_ok());
        assert!(check_size(1 << 30).is_ok());
        let err = check_size(100 << 20).unwrap_err().to_string();
        assert!(err.contains("power of two") && err.contains("not 100MiB"), "{err}");
        assert!(check_size(32 << 20).is_err());
        assert!(check_size(MAX_SIZE * 2).is_err());
        assert!(write_sdcard(&temp("bad.img"), 3 << 20, &[]).is_err());
    }

    #[test]
    fn firmware_comes_from_the_folder_given_and_must_be_complete() {
        let dir = temp("firmware");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bootcode.bin"), b"boot").unwrap();
        let err = find_firmware(Some(&dir)).unwrap_err().to_string();
        assert!(err.contains("lacks start.elf, fixup.dat"), "{err}");
        std::fs::write(dir.join("start.elf"), b"start").unwrap();
        std::fs::write(dir.join("fixup.dat"), b"fixup").unwrap();
        assert_eq!(find_firmware(Some(&dir)).unwrap(), Some(dir.clone()));
        let names: Vec<String> =
            firmware_files(&dir).unwrap().into_iter().map(|file| file.name).collect();
        assert_eq!(names, FIRMWARE_FILES);
        std::fs::remove_dir_all(&dir).unwrap();
        // Without a folder: Debian's, if the package is installed.
        let debian = Path::new(DEBIAN_FIRMWARE_DIR).join("start.elf").is_file();
        assert_eq!(find_firmware(None).unwrap().is_some(), debian);
    }

    #[test]
    fn garbage_is_not_a_card() {
        let path = temp("garbage.img");
        std::fs::write(&path, vec![0u8; 4096]).unwrap();
        assert!(read_sdcard(&path).is_err());
        std::fs::remove_file(&path).unwrap();
    }
}
