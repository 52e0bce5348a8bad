//! Decoding the board revision code the firmware reports (the mailbox's
//! [`crate::mailbox::TAG_BOARD_REVISION`]): the kernel names the board in
//! its banner with it.
//!
//! New-style codes (bit 23 set) pack fields: bits 0-3 the board revision,
//! 4-11 the board type, 12-15 the SoC, 16-19 the manufacturer, 20-22 the
//! memory size.

use core::fmt;

/// A printable board name from an optional revision code.
pub struct BoardName(pub Option<u32>);

fn model(board_type: u32) -> &'static str {
    match board_type {
        0x08 => "Raspberry Pi 3 Model B",
        0x0d => "Raspberry Pi 3 Model B+",
        0x0e => "Raspberry Pi 3 Model A+",
        0x0a => "Compute Module 3",
        0x10 => "Compute Module 3+",
        _ => "unknown Raspberry Pi",
    }
}

fn soc(code: u32) -> &'static str {
    match code {
        0 => "BCM2835",
        1 => "BCM2836",
        2 => "BCM2837",
        3 => "BCM2711",
        _ => "unknown SoC",
    }
}

impl fmt::Display for BoardName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(code) = self.0 else {
            return f.write_str("rpi3 (board revision unknown: no mailbox answer)");
        };
        if code & (1 << 23) == 0 {
            return write!(f, "old-style board revision {code:#x}");
        }
        let board_type = (code >> 4) & 0xff;
        let board_rev = code & 0xf;
        let memory_mib = 256u32 << ((code >> 20) & 0x7);
        write!(
            f,
            "{} rev 1.{board_rev}, {}, {memory_mib} MiB (revision {code:#x})",
            model(board_type),
            soc((code >> 12) & 0xf)
        )
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::ToString;

    #[test]
    fn qemu_raspi3b_revision() {
        assert_eq!(
            BoardName(Some(0xa02082)).to_string(),
            "Raspberry Pi 3 Model B rev 1.2, BCM2837, 1024 MiB (revision 0xa02082)"
        );
    }

    #[test]
    fn pi3_b_plus_revision() {
        assert!(BoardName(Some(0xa020d3))
            .to_string()
            .starts_with("Raspberry Pi 3 Model B+ rev 1.3"));
    }

    #[test]
    fn missing_and_old_style_revisions() {
        assert!(BoardName(None).to_string().contains("unknown"));
        assert_eq!(BoardName(Some(0x0010)).to_string(), "old-style board revision 0x10");
    }
}
