//! Board descriptions: the physical memory map and each peripheral's
//! registers and interrupts, read from data files under `images/boards/`
//! (embedded at compile time) rather than scattered through the code.
//!
//! Manifests name devices (`uses`), interrupts (`interrupts`, as
//! `DEVICE.NAME`) and the console by the names given here, and the memory
//! layout is checked against the board's RAM.

use anyhow::{anyhow, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use vesper_abi::cap::MAX_CAP_NAME_LEN;
use vesper_abi::layout::PAGE_SIZE;

/// The boards the builder knows: name and description file.
const BOARDS: &[(&str, &str)] = &[("rpi3", include_str!("../../boards/rpi3.toml"))];

/// The board an image is for when its manifest names none.
pub const DEFAULT_BOARD: &str = "rpi3";

/// A half-open physical address range `[start, end)`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AddressRange {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
}

impl AddressRange {
    /// Bytes in the range.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range holds no address.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether `other` lies entirely inside this range.
    pub fn contains(&self, other: &AddressRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Whether the two ranges share an address.
    pub fn overlaps(&self, other: &AddressRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// What lies where in the ARM physical address space.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MemoryMap {
    /// RAM the ARM cores own: the kernel, the domains and the shared
    /// regions must fit in it.
    pub ram: AddressRange,
    /// RAM the GPU firmware keeps.
    pub gpu: AddressRange,
    /// The peripherals (device memory).
    pub peripherals: AddressRange,
    /// The ARM-local block.
    pub local: AddressRange,
}

/// A console driver of the kernel's.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ConsoleDriver {
    /// The PL011.
    Pl011,
    /// The mini UART.
    MiniUart,
}

impl From<ConsoleDriver> for vesper_abi::image::ConsoleUart {
    fn from(driver: ConsoleDriver) -> Self {
        match driver {
            ConsoleDriver::Pl011 => Self::Pl011,
            ConsoleDriver::MiniUart => Self::MiniUart,
        }
    }
}

/// One peripheral.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// The name manifests use (`uses = ["uart0"]`).
    pub name: String,
    /// What it is.
    pub description: String,
    /// Physical address of its registers.
    pub base: u64,
    /// Bytes of registers.
    pub size: u64,
    /// The kernel's console driver for it, if it has one (`"pl011"`,
    /// `"mini-uart"`): the device may then be the `[image] console`.
    #[serde(default)]
    pub console: Option<ConsoleDriver>,
    /// The kernel drives it: no domain may use it.
    #[serde(default)]
    pub kernel: bool,
    /// The clock its baud rate derives from (a UART's), in Hz: config.txt
    /// sets it and the drivers' divisors assume it.
    #[serde(default, rename = "clock-hz")]
    pub clock_hz: Option<u32>,
    /// It can make the hardware write anywhere in RAM by DMA, and the Pi
    /// has no IOMMU to stop it: a domain that uses it holds the whole
    /// machine, so its manifest must say it is `trusted`.
    #[serde(default)]
    pub dma: bool,
    /// It is memory, not registers (the VideoCore's, where the firmware
    /// puts the framebuffer): it lies in the memory map's `gpu` range and a
    /// domain that uses it maps it as normal memory, not device memory.
    #[serde(default)]
    pub memory: bool,
    /// Its interrupts: name (as in `DEVICE.NAME`) to interrupt number.
    #[serde(default)]
    pub interrupts: BTreeMap<String, u32>,
}

impl Device {
    /// Its register range.
    pub fn registers(&self) -> AddressRange {
        AddressRange { start: self.base, end: self.base.saturating_add(self.size) }
    }

    /// Its register range rounded out to whole pages: what a domain that
    /// uses it maps.
    pub fn pages(&self) -> AddressRange {
        let registers = self.registers();
        AddressRange {
            start: registers.start - registers.start % PAGE_SIZE,
            end: registers.end.saturating_add(PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE,
        }
    }
}

/// A board description.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// The name manifests use (`[image] board = "rpi3"`).
    pub name: String,
    /// What board it is.
    pub description: String,
    /// The physical memory map.
    pub memory: MemoryMap,
    /// The scheduling limits of the board.
    pub timing: Timing,
    /// The peripherals, in file order.
    #[serde(rename = "device")]
    pub devices: Vec<Device>,
}

/// What a switch between domains costs on a board, and the reservation
/// limits that follow from it (see docs/activations-and-atropos.md,
/// "Minimum period and slice"). Durations as in manifests (`"500us"`).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Timing {
    /// What a preemption costs the preempted domain (the switch back in and
    /// its re-activation), charged to the preemptor.
    #[serde(deserialize_with = "duration")]
    pub switch_cost: u64,
    /// The shortest period a reservation may have.
    #[serde(deserialize_with = "duration")]
    pub min_period: u64,
    /// The shortest slice a reservation may have.
    #[serde(deserialize_with = "duration")]
    pub min_slice: u64,
}

/// Reads a duration string (`"2600ns"`) as nanoseconds.
fn duration<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let text = String::deserialize(deserializer)?;
    crate::units::parse_duration(&text).map_err(serde::de::Error::custom)
}

/// An interrupt of a board, found by its `DEVICE.NAME`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupt<'a> {
    /// The device it belongs to.
    pub device: &'a Device,
    /// Its name within the device.
    pub name: &'a str,
    /// Its number in the interrupt table.
    pub number: u32,
}

/// The highest interrupt number (ARM basic interrupt 7).
pub const MAX_INTERRUPT: u32 = 71;

impl Board {
    /// The names of the boards the builder knows.
    pub fn names() -> Vec<&'static str> {
        BOARDS.iter().map(|(name, _)| *name).collect()
    }

    /// The board called `name`, or `None` if the builder knows no such
    /// board. Fails only if its embedded description is broken (which the
    /// builder's tests rule out).
    pub fn named(name: &str) -> Result<Option<Self>> {
        let Some((_, text)) = BOARDS.iter().find(|(known, _)| *known == name) else {
            return Ok(None);
        };
        let board: Board = toml::from_str(text)
            .map_err(|err| anyhow!("the description of board {name} is broken: {err}"))?;
        board.check().map_err(|problems| {
            anyhow!("the description of board {name} is inconsistent: {}", problems.join("; "))
        })?;
        Ok(Some(board))
    }

    /// The device called `name`.
    pub fn device(&self, name: &str) -> Option<&Device> {
        self.devices.iter().find(|device| device.name == name)
    }

    /// A device of the kernel whose registers lie in one of `device`'s
    /// pages, if any: a domain mapping `device` would reach them.
    pub fn kernel_device_near(&self, device: &Device) -> Option<&Device> {
        let pages = device.pages();
        self.devices.iter().find(|other| {
            other.kernel && other.name != device.name && other.registers().overlaps(&pages)
        })
    }

    /// The interrupt called `DEVICE.NAME`.
    pub fn interrupt(&self, full_name: &str) -> Option<Interrupt<'_>> {
        let (device, name) = full_name.split_once('.')?;
        let device = self.device(device)?;
        let (name, number) = device.interrupts.get_key_value(name)?;
        Some(Interrupt { device, name, number: *number })
    }

    /// Checks that the description is self-consistent: the memory map's
    /// ranges are non-empty and disjoint, device names are unique, every
    /// device lies in the peripherals or the local block (a `memory` one in
    /// the `gpu` range) without overlapping another, interrupt numbers are in range and unique, and
    /// device and interrupt names (`DEVICE.NAME`) fit a capability's name
    /// ([`MAX_CAP_NAME_LEN`] bytes). Returns every problem found.
    pub fn check(&self) -> std::result::Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let map = &self.memory;
        let areas = [
            ("ram", map.ram),
            ("gpu", map.gpu),
            ("peripherals", map.peripherals),
            ("local", map.local),
        ];
        for (i, (name, range)) in areas.iter().enumerate() {
            if range.is_empty() {
                problems.push(format!("memory.{name} is empty"));
            }
            for (other, other_range) in &areas[i + 1..] {
                if range.overlaps(other_range) {
                    problems.push(format!("memory.{name} overlaps memory.{other}"));
                }
            }
        }
        let timing = &self.timing;
        if timing.min_slice == 0 || timing.min_slice > timing.min_period {
            problems.push("timing.min-slice must be positive and at most timing.min-period".into());
        }
        let mut numbers: BTreeMap<u32, String> = BTreeMap::new();
        for (i, device) in self.devices.iter().enumerate() {
            let registers = device.registers();
            if device.name.len() > MAX_CAP_NAME_LEN {
                problems.push(format!(
                    "device {}: the name is longer than {MAX_CAP_NAME_LEN} bytes (capabilities \
                     are named after devices)",
                    device.name
                ));
            }
            if device.size == 0 || device.base.checked_add(device.size).is_none() {
                problems.push(format!("device {}: bad register range", device.name));
            }
            if device.memory && !map.gpu.contains(&registers) {
                problems.push(format!(
                    "device {}: memory {:#x}-{:#x} is outside memory.gpu",
                    device.name, registers.start, registers.end
                ));
            }
            let in_peripherals =
                map.peripherals.contains(&registers) || map.local.contains(&registers);
            if !device.memory && !in_peripherals {
                problems.push(format!(
                    "device {}: registers {:#x}-{:#x} are outside the peripherals and the local block",
                    device.name, registers.start, registers.end
                ));
            }
            for other in &self.devices[i + 1..] {
                if other.name == device.name {
                    problems.push(format!("device {} is described twice", device.name));
                }
                if registers.overlaps(&other.registers()) {
                    problems.push(format!(
                        "devices {} and {} have overlapping registers",
                        device.name, other.name
                    ));
                }
            }
            for (name, number) in &device.interrupts {
                let full = format!("{}.{name}", device.name);
                if full.len() > MAX_CAP_NAME_LEN {
                    problems.push(format!(
                        "interrupt {full}: the name is longer than {MAX_CAP_NAME_LEN} bytes \
                         (capabilities are named after interrupts)"
                    ));
                }
                if *number > MAX_INTERRUPT {
                    problems.push(format!("interrupt {full}: {number} is above {MAX_INTERRUPT}"));
                }
                if let Some(first) = numbers.insert(*number, full.clone()) {
                    problems.push(format!("interrupts {first} and {full} are both {number}"));
                }
            }
            if device.kernel && device.console.is_some() {
                problems
                    .push(format!("device {}: kernel and console exclude each other", device.name));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vesper_abi::layout::{slot_base, DOMAIN_REGION_BASE, MAX_DOMAINS};

    fn rpi3() -> Board {
        Board::named("rpi3").unwrap().unwrap()
    }

    #[test]
    fn every_embedded_board_parses_and_is_consistent() {
        for name in Board::names() {
            let board = Board::named(name).unwrap().unwrap();
            assert_eq!(board.name, name);
            assert_eq!(board.check(), Ok(()));
        }
        assert!(Board::names().contains(&DEFAULT_BOARD));
        assert_eq!(Board::named("rpi4").unwrap(), None);
    }

    #[test]
    fn the_pi3_numbers_match_the_notes_and_the_kernel() {
        let board = rpi3();
        // ../shared/notes/raspi3b-on-qemu.md: ARM memory base 0, size 0x3C000000.
        assert_eq!(board.memory.ram, AddressRange { start: 0, end: 0x3C00_0000 });
        assert_eq!(board.memory.peripherals.start, 0x3F00_0000);
        assert_eq!(board.memory.local.start, 0x4000_0000);
        let base = |name: &str| board.device(name).unwrap().base;
        assert_eq!(base("uart0"), 0x3F20_1000);
        assert_eq!(base("uart1"), 0x3F21_5000);
        assert_eq!(base("systimer"), 0x3F00_3000);
        assert_eq!(base("gpio"), 0x3F20_0000);
        assert_eq!(base("emmc"), 0x3F30_0000);
        assert_eq!(base("mailbox"), 0x3F00_B880);
        assert_eq!(base("intc"), 0x3F00_B200);
        assert_eq!(base("local"), 0x4000_0000);
        let irq = |name: &str| board.interrupt(name).unwrap().number;
        assert_eq!(irq("uart0.irq"), 57);
        assert_eq!(irq("uart1.irq"), 29);
        assert_eq!(irq("systimer.c1"), 1);
        assert_eq!(irq("systimer.c3"), 3);
        assert_eq!((irq("gpio.bank0"), irq("gpio.bank3")), (49, 52));
        assert_eq!(irq("emmc.irq"), 62);
        assert_eq!(irq("mailbox.irq"), 65);
        // Every domain slot lies in the board's RAM, above the kernel.
        assert!(board.memory.ram.start < DOMAIN_REGION_BASE);
        assert!(slot_base(MAX_DOMAINS) <= board.memory.ram.end);
    }

    #[test]
    fn the_uart_clocks_are_the_ones_the_drivers_divisors_assume() {
        let board = Board::named("rpi3").unwrap().unwrap();
        let clock = |name: &str| board.device(name).and_then(|d| d.clock_hz);
        assert_eq!(clock("uart0"), Some(vesper_service::registers::PL011_CLOCK_HZ));
        assert_eq!(clock("uart1"), Some(vesper_service::registers::MINI_UART_CLOCK_HZ));
        assert_eq!(clock("emmc"), Some(vesper_service::registers::EMMC_CLOCK_HZ));
        let base = |name: &str| board.device(name).map(|d| d.base as usize);
        assert_eq!(base("gpio"), Some(vesper_service::registers::PHYS_GPIO_BASE));
        assert_eq!(base("uart0"), Some(vesper_service::registers::PHYS_PL011_BASE));
    }

    #[test]
    fn both_uarts_are_consoles_and_the_interrupt_blocks_are_the_kernels() {
        let board = rpi3();
        let consoles: Vec<&str> =
            board.devices.iter().filter(|d| d.console.is_some()).map(|d| d.name.as_str()).collect();
        assert_eq!(consoles, ["uart0", "uart1"]);
        let kernel: Vec<&str> =
            board.devices.iter().filter(|d| d.kernel).map(|d| d.name.as_str()).collect();
        assert_eq!(kernel, ["intc", "local"]);
    }

    #[test]
    fn every_device_and_interrupt_name_fits_a_capability_name() {
        for name in Board::names() {
            let board = Board::named(name).unwrap().unwrap();
            for device in &board.devices {
                assert!(device.name.len() <= MAX_CAP_NAME_LEN, "{name}: {}", device.name);
                for irq in device.interrupts.keys() {
                    let full = format!("{}.{irq}", device.name);
                    assert!(full.len() <= MAX_CAP_NAME_LEN, "{name}: {full}");
                }
            }
        }
    }

    #[test]
    fn devices_are_mapped_by_whole_pages_and_the_mailbox_shares_the_kernels() {
        let board = rpi3();
        let pages = |name: &str| board.device(name).unwrap().pages();
        assert_eq!(pages("gpio"), AddressRange { start: 0x3F20_0000, end: 0x3F20_1000 });
        assert_eq!(pages("systimer"), AddressRange { start: 0x3F00_3000, end: 0x3F00_4000 });
        assert_eq!(pages("mailbox"), AddressRange { start: 0x3F00_B000, end: 0x3F00_C000 });
        let near = |name: &str| {
            board.kernel_device_near(board.device(name).unwrap()).map(|d| d.name.as_str())
        };
        assert_eq!(near("mailbox"), Some("intc"));
        for device in board.devices.iter().filter(|d| !d.kernel && d.name != "mailbox") {
            assert_eq!(near(&device.name), None, "{}", device.name);
        }
    }

    #[test]
    fn interrupts_are_found_by_device_and_name() {
        let board = rpi3();
        let c3 = board.interrupt("systimer.c3").unwrap();
        assert_eq!((c3.device.name.as_str(), c3.name, c3.number), ("systimer", "c3", 3));
        assert!(board.interrupt("systimer.c0").is_none(), "C0 belongs to the GPU");
        assert!(board.interrupt("systimer").is_none());
        assert!(board.interrupt("nosuch.irq").is_none());
    }

    #[test]
    fn inconsistencies_are_all_reported() {
        let mut board = rpi3();
        board.memory.gpu.start = board.memory.ram.end - 1;
        board.devices[1].base = board.devices[0].base;
        board.devices[2].interrupts.insert("dup".into(), 57);
        board.devices[3].base = 0x1000;
        board.devices[4].interrupts.insert("big".into(), 200);
        board.devices.push(board.devices[0].clone());
        board.devices[5].name = "mailbox-of-the-gpu".into();
        board.devices[1].interrupts.insert("longer-name".into(), 70);
        let problems = board.check().unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "memory.ram overlaps memory.gpu",
            "devices uart0 and uart1 have overlapping registers",
            "interrupts systimer.dup and uart0.irq are both 57",
            "device gpio: registers 0x1000-0x10b4 are outside",
            "interrupt emmc.big: 200 is above 71",
            "device uart0 is described twice",
            "device mailbox-of-the-gpu: the name is longer than 15 bytes",
            "interrupt uart1.longer-name: the name is longer than 15 bytes",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
        }
    }

    #[test]
    fn ranges_compare() {
        let a = AddressRange { start: 0x1000, end: 0x3000 };
        let b = AddressRange { start: 0x2000, end: 0x4000 };
        let c = AddressRange { start: 0x3000, end: 0x4000 };
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
        assert!(b.contains(&c) && !a.contains(&b));
        assert_eq!((a.len(), a.is_empty()), (0x2000, false));
    }
}
