//! Files on the SD card, for any domain the manifest connects to the block
//! service (`services = ["block"]`): the card's first FAT partition,
//! mounted with `embedded-sdmmc` over the domain's connection to the
//! `emmc` driver. The driver moves blocks; everything about FAT (the
//! partition table, clusters, directories, long names' short forms) is the
//! crate's, in the client, so that a fault in it hurts only the client.
//!
//! ```ignore
//! let files = vesper_files::mount()?;
//! let volume = files.open_volume(VolumeIdx(0))?;
//! let root = volume.open_root_dir()?;
//! root.iterate_dir(|entry| println!("{}", entry.name))?;
//! ```
//!
//! FAT keeps dates, and the Pi has no clock that survives a reset: files
//! are stamped with [`EPOCH_YEAR`]-01-01 plus the time since boot.

#![no_std]
// Board-only: it uses the activations library's board-side API.
#![cfg(target_os = "none")]

use core::cell::RefCell;
use core::fmt;
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx, TimeSource, Timestamp};
use vesper_activations::services::{BlockClient, ServiceError};

/// The year files are stamped in (see the crate's documentation).
pub const EPOCH_YEAR: u16 = 2026;

/// The domain's files: a volume manager over its block service
/// connection (at most 4 open directories, 4 open files, 1 volume).
pub type Files = embedded_sdmmc::VolumeManager<Disk, UptimeClock, 4, 4, 1>;

/// Mounts the card through the domain's own connection (`block-DOMAIN`);
/// `None` if the manifest gives it none.
pub fn mount() -> Option<Files> {
    let disk = Disk { client: RefCell::new(BlockClient::own()?) };
    Some(Files::new_with_limits(disk, UptimeClock, 0))
}

/// The card as `embedded-sdmmc` sees it: the block service.
pub struct Disk {
    client: RefCell<BlockClient>,
}

/// A block service request that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskError(pub ServiceError);

impl fmt::Display for DiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ServiceError::Corrupt => write!(f, "the connection to the block service broke"),
            ServiceError::Refused(status) => {
                write!(f, "the block service refused (status {status})")
            }
            ServiceError::PeerStopped => write!(f, "the block driver is stopped"),
            ServiceError::PeerRestarted => {
                write!(f, "the block driver was restarted; try again")
            }
        }
    }
}

impl core::error::Error for DiskError {}

impl BlockDevice for Disk {
    type Error = DiskError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), DiskError> {
        let mut client = self.client.borrow_mut();
        for (index, block) in blocks.iter_mut().enumerate() {
            client
                .read(u64::from(start.0) + index as u64, &mut block.contents)
                .map_err(DiskError)?;
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), DiskError> {
        let mut client = self.client.borrow_mut();
        for (index, block) in blocks.iter().enumerate() {
            client.write(u64::from(start.0) + index as u64, &block.contents).map_err(DiskError)?;
        }
        Ok(())
    }

    fn num_blocks(&self) -> Result<BlockCount, DiskError> {
        let blocks = self.client.borrow_mut().blocks().map_err(DiskError)?;
        Ok(BlockCount(u32::try_from(blocks).unwrap_or(u32::MAX)))
    }
}

/// FAT timestamps: [`EPOCH_YEAR`]-01-01 00:00:00 plus the time since boot
/// (the first 24 days; a run longer than that keeps the last day).
pub struct UptimeClock;

impl TimeSource for UptimeClock {
    fn get_timestamp(&self) -> Timestamp {
        let seconds = vesper_activations::now_ns() / 1_000_000_000;
        let days = (seconds / 86_400).min(23) as u8;
        Timestamp {
            year_since_1970: (EPOCH_YEAR - 1970) as u8,
            zero_indexed_month: 0,
            zero_indexed_day: days,
            hours: (seconds / 3600 % 24) as u8,
            minutes: (seconds / 60 % 60) as u8,
            seconds: (seconds % 60) as u8,
        }
    }
}
