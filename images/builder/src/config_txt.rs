//! `config.txt`: what the Raspberry Pi firmware (`start.elf`) reads from
//! the boot partition before it loads the kernel.

use crate::manifest::Manifest;
use anyhow::{bail, Result};
use vesper_service::display::Mode;

/// The file's name on the boot partition.
pub const FILE_NAME: &str = "config.txt";

/// The `config.txt` of `manifest`'s image for a physical Pi 3: 64-bit
/// start, `kernel8.img`, and the UART settings the kernel console needs,
/// each with the reason for it.
pub fn config_txt(manifest: &Manifest) -> Result<String> {
    let (uart0_hz, core_mhz) = clocks(manifest)?;
    let uart = match manifest.console.as_str() {
        "uart0" => pl011_console(uart0_hz, core_mhz),
        "uart1" => mini_uart_console(core_mhz),
        other => bail!("config.txt knows the settings for consoles uart0 and uart1, not {other}"),
    };
    Ok(render(manifest, KERNEL_FILE, &format!("{uart}{}", display(manifest))))
}

/// The device of the VideoCore's memory, which a display driver uses.
const GPU_MEMORY: &str = "gpu-memory";

/// The HDMI settings for an image with a screen (a domain that uses the
/// VideoCore's memory: the `display` driver), the HDMI mode matching the
/// size its `args` ask for where the DMT list has one; nothing otherwise.
fn display(manifest: &Manifest) -> String {
    let Some(driver) = manifest.domains.iter().find(|d| d.uses.iter().any(|u| u == GPU_MEMORY))
    else {
        return String::new();
    };
    let mode = vesper_service::display::Mode::parse(&driver.args).unwrap_or(Mode::DEFAULT);
    // DMT modes at 60 Hz (the firmware's hdmi_group=2 table).
    let dmt = match (mode.width, mode.height) {
        (640, 480) => Some(4),
        (800, 600) => Some(9),
        _ => None,
    };
    let hdmi_mode = match dmt {
        Some(number) => format!(
            "# A {}x{} picture at 60 Hz (DMT mode {number}): the framebuffer's size, so that\n\
             # the GPU shows it pixel for pixel.\nhdmi_group=2\nhdmi_mode={number}\n",
            mode.width, mode.height
        ),
        None => "# No DMT mode has the framebuffer's size: the GPU scales it to the\n\
                 # monitor's preferred mode.\n"
            .to_string(),
    };
    format!(
        "
# The screen ({width}x{height}, {depth} bits: the display driver's `args`),
# over HDMI. The display driver asks the firmware for the framebuffer
# through the mailbox; the firmware puts it in the GPU's memory, which the
# board description places at 0x3C000000-0x3F000000: 64 MiB for the GPU.
gpu_mem=64
# Output HDMI even if the monitor was off or unplugged at boot.
hdmi_force_hotplug=1
# The framebuffer is the whole picture: no black border.
disable_overscan=1
{hdmi_mode}",
        width = mode.width,
        height = mode.height,
        depth = mode.depth,
    )
}

/// The `config.txt` of a card that boots the chainloader
/// ([`CHAINLOADER_FILE`]) instead of `manifest`'s kernel: the loader talks
/// on the PL011, and the kernels it loads find the clocks they assume.
pub fn chainloader_config_txt(manifest: &Manifest) -> Result<String> {
    let (uart0_hz, core_mhz) = clocks(manifest)?;
    Ok(render(manifest, CHAINLOADER_FILE, &chainloader_uarts(uart0_hz, core_mhz)))
}

/// The kernel's file on the boot partition.
pub const KERNEL_FILE: &str = "kernel8.img";
/// The chainloader's file on a card made to boot it.
pub const CHAINLOADER_FILE: &str = "chainloader.img";

/// The PL011's clock and the core clock (MHz) the board description gives.
fn clocks(manifest: &Manifest) -> Result<(u32, u32)> {
    let clock = |device: &str| {
        manifest.board.device(device).and_then(|d| d.clock_hz).ok_or_else(|| {
            anyhow::anyhow!("board {} gives {device} no clock-hz", manifest.board.name)
        })
    };
    Ok((clock("uart0")?, clock("uart1")? / 1_000_000))
}

/// The file: its header, the 64-bit start of `kernel`, then `uart`.
fn render(manifest: &Manifest, kernel: &str, uart: &str) -> String {
    format!(
        "\
# config.txt for the Vesper image \"{name}\" (board {board}), written by vesper-builder.
# The firmware (bootcode.bin, start.elf) reads it from the FAT boot partition.

# Start the Cortex-A53 cores in AArch64 state and load the 64-bit image at
# 0x80000. Core 0 enters it at EL2; cores 1-3 wait on the spin table.
arm_64bit=1
kernel={kernel}
{uart}",
        name = manifest.name,
        board = manifest.board.name,
    )
}

/// The UART settings for the chainloader, which talks on the PL011.
fn chainloader_uarts(uart0_hz: u32, core_mhz: u32) -> String {
    format!(
        "
# The chainloader waits for a kernel on the PL011 (uart0), GPIO14 (TXD,
# header pin 8) and GPIO15 (RXD, pin 10), 115200 8N1; it moves the pins
# itself (GPIO14/15 to ALT0, GPIO32/33, the Bluetooth module's, to inputs),
# so no dtoverlay is needed.
enable_uart=1
# The PL011's clock: the loader's divisors (IBRD 26, FBRD 3 for 115200 at
# 48 MHz) assume it.
init_uart_clock={uart0_hz}
# The mini UART's baud rate follows the core clock: pinned, for a kernel
# loaded next whose console is the mini UART (uart1).
core_freq={core_mhz}
"
    )
}

/// The UART settings for the PL011 (uart0) as the kernel console, with the
/// board's clocks.
fn pl011_console(uart0_hz: u32, core_mhz: u32) -> String {
    format!(
        "
# The kernel console is the PL011 (uart0) on GPIO14 (TXD, header pin 8) and
# GPIO15 (RXD, pin 10), 115200 8N1. The firmware gives the PL011 to the
# Bluetooth module (GPIO32/33); the kernel takes it back itself (GPIO14/15
# to ALT0, GPIO32/33 to inputs), so no dtoverlay is needed (and Debian's
# raspi-firmware ships none).
enable_uart=1
# The UART clock the board description gives uart0: the baud divisors
# (IBRD 26, FBRD 3 for 115200 at 48 MHz) assume it.
init_uart_clock={uart0_hz}
# The mini UART's baud rate follows the core clock; pin it so that it stays
# stable if a domain uses the mini UART (uart1).
core_freq={core_mhz}
"
    )
}

/// The UART settings for the mini UART (uart1) as the kernel console.
fn mini_uart_console(core_mhz: u32) -> String {
    format!(
        "
# The kernel console is the mini UART (uart1) on GPIO14 (TXD, header pin 8)
# and GPIO15 (RXD, pin 10), 115200 8N1: the Pi 3's default, with the PL011
# (uart0, for a driver domain) left on the Bluetooth module's pins. Only one
# of the two UARTs reaches the header.
enable_uart=1
# The mini UART's baud rate follows the core clock: the kernel's divisor
# (270 for 115200 at 250 MHz, the board description's uart1 clock) assumes it.
core_freq={core_mhz}
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn manifest() -> Manifest {
        let programs: BTreeSet<String> = ["spin".to_string()].into();
        let text =
            "[[domain]]\nname = \"a\"\nprogram = \"spin\"\nperiod = \"1ms\"\nslice = \"1ms\"\n";
        Manifest::parse(text, Path::new("images/pi.toml"), &programs).unwrap()
    }

    #[test]
    fn the_settings_a_physical_pi3_needs_are_all_there() {
        let text = config_txt(&manifest()).unwrap();
        let settings: Vec<&str> =
            text.lines().filter(|line| !line.starts_with('#') && !line.is_empty()).collect();
        assert_eq!(
            settings,
            [
                "arm_64bit=1",
                "kernel=kernel8.img",
                "enable_uart=1",
                "init_uart_clock=48000000",
                "core_freq=250",
            ]
        );
        assert!(text.starts_with("# config.txt for the Vesper image \"pi\" (board rpi3)"));
    }

    #[test]
    fn the_mini_uart_console_keeps_the_core_clock_and_leaves_bluetooth_alone() {
        let mut manifest = manifest();
        manifest.console = "uart1".into();
        let text = config_txt(&manifest).unwrap();
        let settings: Vec<&str> =
            text.lines().filter(|line| !line.starts_with('#') && !line.is_empty()).collect();
        assert_eq!(
            settings,
            ["arm_64bit=1", "kernel=kernel8.img", "enable_uart=1", "core_freq=250"]
        );
    }

    #[test]
    fn a_chainloader_card_boots_the_loader_with_the_pl011_clock() {
        let text = chainloader_config_txt(&manifest()).unwrap();
        let settings: Vec<&str> =
            text.lines().filter(|line| !line.starts_with('#') && !line.is_empty()).collect();
        assert_eq!(
            settings,
            [
                "arm_64bit=1",
                "kernel=chainloader.img",
                "enable_uart=1",
                "init_uart_clock=48000000",
                "core_freq=250",
            ]
        );
    }

    #[test]
    fn an_image_with_a_screen_gets_hdmi_settings_for_its_size() {
        let mut manifest = manifest();
        let settings = |manifest: &Manifest| -> Vec<String> {
            let text = config_txt(manifest).unwrap();
            text.lines()
                .filter(|line| !line.starts_with('#') && !line.is_empty())
                .skip(5)
                .map(str::to_string)
                .collect()
        };
        assert!(settings(&manifest).is_empty(), "no screen, no HDMI settings");
        manifest.domains[0].uses.push(GPU_MEMORY.into());
        assert_eq!(
            settings(&manifest),
            [
                "gpu_mem=64",
                "hdmi_force_hotplug=1",
                "disable_overscan=1",
                "hdmi_group=2",
                "hdmi_mode=4"
            ]
        );
        manifest.domains[0].args = "800x600 bgr".into();
        assert_eq!(settings(&manifest)[4], "hdmi_mode=9");
        manifest.domains[0].args = "320x240".into();
        assert_eq!(settings(&manifest).len(), 3, "scaled to the monitor's mode");
    }

    #[test]
    fn other_consoles_are_refused() {
        let mut manifest = manifest();
        manifest.console = "systimer".into();
        assert!(config_txt(&manifest).unwrap_err().to_string().contains("not systimer"));
    }
}
