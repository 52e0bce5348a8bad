//! What the kernel hands the domains of an image, worked out from its
//! validated manifest: the image's memory regions (the `[[region]]`s, then
//! the registers of every device a domain uses), channels and interrupts,
//! and each domain's capabilities to them, in table order. The generated
//! configuration ([`crate::codegen`]) and the summary show the same tables.
//!
//! A domain's table starts with the two capabilities the kernel adds
//! (`self` and `reservation`, [`KERNEL_CAPS`]), then the manifest's: its
//! devices in `uses` order, its interrupts (by event slot), its channel
//! ends (in channel order) and the regions it maps (in manifest order).
//! Validation has checked that every table fits [`CAP_SLOTS`].

use crate::board::AddressRange;
use crate::manifest::{ChannelRights, Manifest, RegionRights};
pub use vesper_abi::cap::Object;
use vesper_abi::cap::Rights;

pub use crate::manifest::{CAP_SLOTS, KERNEL_CAPS};

/// The names of the capabilities the kernel adds first to every domain's
/// table ([`KERNEL_CAPS`] of them).
pub const KERNEL_CAP_NAMES: [&str; KERNEL_CAPS] = ["self", "reservation"];

/// What kind of memory a region is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// RAM shared between domains (a `[[region]]`).
    Normal,
    /// A device's registers.
    Device,
}

/// A memory region domains may map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// The region's or the device's name.
    pub name: String,
    /// Where it lies (whole pages).
    pub range: AddressRange,
    /// RAM or device registers.
    pub kind: RegionKind,
}

/// Where an event is counted: a domain and an event slot of its DCB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventTarget {
    /// The domain's index.
    pub domain: usize,
    /// The event slot.
    pub event: u64,
}

/// A channel between two domains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelEntry {
    /// Its name.
    pub name: String,
    /// Where each end counts its events, in the manifest model's end order.
    pub ends: [EventTarget; 2],
}

/// An interrupt delivered to domains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrqEntry {
    /// Its name, `DEVICE.NAME`.
    pub name: String,
    /// Its number in the board's interrupt table.
    pub line: u32,
    /// The domains taking it (several with a `[[share]]`), in domain order.
    pub owners: Vec<EventTarget>,
}

/// A capability the manifest gives a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cap {
    /// Its name: the device, interrupt, channel or region.
    pub name: String,
    /// What it names.
    pub object: Object,
    /// What it allows.
    pub rights: Rights,
}

/// An image's regions, channels and interrupts, and its domains'
/// capabilities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageCaps {
    /// The `[[region]]`s in manifest order, then each device some domain
    /// uses, in board order.
    pub regions: Vec<MemoryRegion>,
    /// The channels, in manifest order.
    pub channels: Vec<ChannelEntry>,
    /// Each interrupt some domain takes, in board order (by device, then
    /// by name).
    pub irqs: Vec<IrqEntry>,
    /// Each domain's capabilities after the kernel's two, in domain order.
    pub domains: Vec<Vec<Cap>>,
}

/// The rights to a device's registers.
pub const DEVICE_RIGHTS: Rights = Rights::READ.union(Rights::WRITE).union(Rights::GRANT);

/// The rights to an interrupt.
pub const IRQ_RIGHTS: Rights = Rights::ACK;

/// The rights to a channel end with `rights`.
pub fn channel_rights(rights: ChannelRights) -> Rights {
    let ends = match rights {
        ChannelRights::Send => Rights::SEND,
        ChannelRights::Receive => Rights::RECEIVE,
        ChannelRights::SendReceive => Rights::SEND.union(Rights::RECEIVE),
    };
    ends | Rights::GRANT
}

/// The rights to a region mapped with `rights`.
pub fn region_rights(rights: RegionRights) -> Rights {
    let map = match rights {
        RegionRights::Read => Rights::READ,
        RegionRights::ReadWrite => Rights::READ.union(Rights::WRITE),
    };
    map | Rights::GRANT
}

/// `rights` as their names joined by ` | ` (`SEND | GRANT`; `none` if
/// empty).
pub fn rights_names(rights: Rights) -> String {
    let names: Vec<&str> = rights.iter_names().map(|(name, _)| name).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(" | ")
    }
}

impl ImageCaps {
    /// The tables of `manifest`.
    pub fn of(manifest: &Manifest) -> Self {
        let domain_index =
            |name: &str| manifest.domain_index(name).expect("validation checked every domain name");
        let mut regions: Vec<MemoryRegion> = manifest
            .regions
            .iter()
            .map(|region| MemoryRegion {
                name: region.name.clone(),
                range: region.range,
                kind: RegionKind::Normal,
            })
            .collect();
        let mut device_regions = Vec::new();
        for device in &manifest.board.devices {
            if manifest.domains.iter().any(|domain| domain.uses.contains(&device.name)) {
                device_regions.push((device.name.as_str(), regions.len()));
                regions.push(MemoryRegion {
                    name: device.name.clone(),
                    range: device.pages(),
                    kind: RegionKind::Device,
                });
            }
        }

        let channels = manifest
            .channels
            .iter()
            .map(|channel| ChannelEntry {
                name: channel.name.clone(),
                ends: channel
                    .ends
                    .each_ref()
                    .map(|end| EventTarget { domain: domain_index(&end.domain), event: end.event }),
            })
            .collect();

        let mut irqs: Vec<IrqEntry> = Vec::new();
        for device in &manifest.board.devices {
            for (irq, &line) in &device.interrupts {
                let name = format!("{}.{irq}", device.name);
                let owners: Vec<EventTarget> = manifest
                    .domains
                    .iter()
                    .enumerate()
                    .filter_map(|(index, domain)| {
                        let route = domain.interrupts.iter().find(|r| r.interrupt == name)?;
                        Some(EventTarget { domain: index, event: route.event })
                    })
                    .collect();
                if !owners.is_empty() {
                    irqs.push(IrqEntry { name, line, owners });
                }
            }
        }

        let domains = manifest
            .domains
            .iter()
            .map(|domain| {
                let mut caps = Vec::new();
                for device in &domain.uses {
                    let (_, region) = device_regions
                        .iter()
                        .find(|(name, _)| name == device)
                        .expect("every used device has a region");
                    caps.push(Cap {
                        name: device.clone(),
                        object: Object::Region { region: *region },
                        rights: DEVICE_RIGHTS,
                    });
                }
                for route in &domain.interrupts {
                    let irq = irqs
                        .iter()
                        .position(|irq| irq.name == route.interrupt)
                        .expect("every taken interrupt has an entry");
                    caps.push(Cap {
                        name: route.interrupt.clone(),
                        object: Object::Irq { irq },
                        rights: IRQ_RIGHTS,
                    });
                }
                for (channel_index, channel) in manifest.channels.iter().enumerate() {
                    for (end_index, end) in channel.ends.iter().enumerate() {
                        if end.domain == domain.name {
                            caps.push(Cap {
                                name: channel.name.clone(),
                                object: Object::Channel { channel: channel_index, end: end_index },
                                rights: channel_rights(end.rights),
                            });
                        }
                    }
                }
                for (region_index, region) in manifest.regions.iter().enumerate() {
                    if let Some((_, rights)) = region.access.iter().find(|(d, _)| *d == domain.name)
                    {
                        caps.push(Cap {
                            name: region.name.clone(),
                            object: Object::Region { region: region_index },
                            rights: region_rights(*rights),
                        });
                    }
                }
                caps
            })
            .collect();

        Self { regions, channels, irqs, domains }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn full() -> Manifest {
        Manifest::parse_any_program(
            include_str!("../tests/full.toml"),
            Path::new("images/builder/tests/full.toml"),
        )
        .unwrap()
    }

    #[test]
    fn the_full_example_has_its_regions_then_its_devices() {
        let caps = ImageCaps::of(&full());
        let regions: Vec<(&str, u64, u64, RegionKind)> = caps
            .regions
            .iter()
            .map(|r| (r.name.as_str(), r.range.start, r.range.end, r.kind))
            .collect();
        assert_eq!(
            regions,
            [
                ("samples", 0x400_0000, 0x401_0000, RegionKind::Normal),
                ("dma", 0x800_0000, 0x810_0000, RegionKind::Normal),
                ("systimer", 0x3F00_3000, 0x3F00_4000, RegionKind::Device),
                ("gpio", 0x3F20_0000, 0x3F20_1000, RegionKind::Device),
            ]
        );
        // sensor takes slots 0 and 1 for its interrupts, so its end gets 2.
        assert_eq!(
            caps.channels,
            [ChannelEntry {
                name: "readings".into(),
                ends: [EventTarget { domain: 0, event: 2 }, EventTarget { domain: 2, event: 0 }],
            }]
        );
        let irqs: Vec<(&str, u32)> = caps.irqs.iter().map(|i| (i.name.as_str(), i.line)).collect();
        assert_eq!(irqs, [("systimer.c1", 1), ("gpio.bank0", 49)]);
    }

    #[test]
    fn each_domain_gets_devices_interrupts_channel_ends_and_regions_in_order() {
        let caps = ImageCaps::of(&full());
        let table = |domain: usize| -> Vec<(String, Object, String)> {
            caps.domains[domain]
                .iter()
                .map(|cap| (cap.name.clone(), cap.object, rights_names(cap.rights)))
                .collect()
        };
        let entry = |name: &str, object, rights: &str| (name.to_string(), object, rights.into());
        assert_eq!(
            table(0),
            [
                entry("systimer", Object::Region { region: 2 }, "READ | WRITE | GRANT"),
                entry("gpio", Object::Region { region: 3 }, "READ | WRITE | GRANT"),
                entry("systimer.c1", Object::Irq { irq: 0 }, "ACK"),
                entry("gpio.bank0", Object::Irq { irq: 1 }, "ACK"),
                entry("readings", Object::Channel { channel: 0, end: 0 }, "SEND | GRANT"),
                entry("samples", Object::Region { region: 0 }, "READ | WRITE | GRANT"),
            ]
        );
        assert_eq!(
            table(1),
            [
                entry("gpio", Object::Region { region: 3 }, "READ | WRITE | GRANT"),
                entry("gpio.bank0", Object::Irq { irq: 1 }, "ACK"),
            ]
        );
        assert_eq!(
            table(2),
            [
                entry("readings", Object::Channel { channel: 0, end: 1 }, "RECEIVE | GRANT"),
                entry("samples", Object::Region { region: 0 }, "READ | GRANT"),
                entry("dma", Object::Region { region: 1 }, "READ | WRITE | GRANT"),
            ]
        );
    }

    #[test]
    fn rights_match_the_abi() {
        assert_eq!(DEVICE_RIGHTS.bits(), 0x43);
        assert_eq!(IRQ_RIGHTS.bits(), 0x10);
        assert_eq!(channel_rights(ChannelRights::Send).bits(), 0x44);
        assert_eq!(channel_rights(ChannelRights::Receive).bits(), 0x48);
        assert_eq!(channel_rights(ChannelRights::SendReceive).bits(), 0x4C);
        assert_eq!(region_rights(RegionRights::Read).bits(), 0x41);
        assert_eq!(region_rights(RegionRights::ReadWrite).bits(), 0x43);
        assert_eq!(rights_names(Rights::SEND | Rights::GRANT), "SEND | GRANT");
        assert_eq!(rights_names(Rights::empty()), "none");
    }
}
