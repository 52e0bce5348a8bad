//! What the kernel hands the domains of an image, worked out from its
//! validated manifest: the image's memory regions (the `[[region]]`s, then
//! the registers of every device a domain uses), channels and interrupts,
//! and each domain's capabilities to them, in table order, as the kernel's
//! own types (`vesper_abi::image`). The generated configuration
//! ([`crate::codegen`]) and the summary show the same tables.
//!
//! A domain's table starts with the two capabilities the kernel adds
//! ([`KERNEL_CAP_NAMES`]: `self` and `reservation`), then the manifest's:
//! its devices in `uses` order, its interrupts (by event slot), its channel
//! ends (in channel order), the regions it maps (in manifest order), and
//! for each domain it supervises (in manifest order) that domain and its
//! reservation, both named after it, and for each member of its group (in
//! `members` order) that domain, named after it.
//! Validation has checked that every table fits [`CAP_SLOTS`].

use crate::image::{leak, leak_str};
use crate::manifest::{ChannelRights, Manifest, RegionRights};
use vesper_abi::cap::Rights;
pub use vesper_abi::cap::{Object, KERNEL_CAP_NAMES};
use vesper_abi::image::{
    CapConfig, ChannelConfig, EventTarget, IrqConfig, RegionConfig, RegionKind,
};

pub use crate::manifest::{CAP_SLOTS, KERNEL_CAPS};

// The manifest's checks count the kernel's capabilities as the ABI does.

/// An image's regions, channels and interrupts, and its domains'
/// capabilities: the tables of [`vesper_abi::image::ImageConfig`] that the
/// manifest alone decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageCaps {
    /// The `[[region]]`s in manifest order, then each device some domain
    /// uses, in board order.
    pub regions: Vec<RegionConfig>,
    /// The channels, in manifest order.
    pub channels: Vec<ChannelConfig>,
    /// Each interrupt some domain takes, in board order (by device, then
    /// by name).
    pub irqs: Vec<IrqConfig>,
    /// Each domain's capabilities after the kernel's two, in domain order.
    pub domains: Vec<Vec<CapConfig>>,
    /// Each domain's supervisors, with the event slot counting its stops
    /// in each, in domain order.
    pub supervisors: Vec<Vec<EventTarget>>,
}

/// The rights to a device's registers.
pub const DEVICE_RIGHTS: Rights = Rights::READ.union(Rights::WRITE).union(Rights::GRANT);

/// The rights to a domain one supervises: read its state and accounting,
/// stop it, restart it.
pub const SUPERVISED_DOMAIN_RIGHTS: Rights =
    Rights::READ.union(Rights::CONTROL).union(Rights::RESTART);

/// The rights to the reservation of a domain one supervises: read and
/// change it (under admission control).
pub const SUPERVISED_RESERVATION_RIGHTS: Rights = Rights::READ.union(Rights::WRITE);

/// The rights of a group's scheduler to a member: read its state and
/// accounting, donate the CPU to it.
pub const MEMBER_RIGHTS: Rights = Rights::READ.union(Rights::SCHEDULE);

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

impl ImageCaps {
    /// The tables of `manifest`.
    pub fn of(manifest: &Manifest) -> Self {
        let domain_index =
            |name: &str| manifest.domain_index(name).expect("validation checked every domain name");
        let slot = |event: u64| usize::try_from(event).expect("validation checked event slots");
        let mut regions: Vec<RegionConfig> = manifest
            .regions
            .iter()
            .map(|region| RegionConfig {
                name: leak_str(&region.name),
                start: region.range.start,
                end: region.range.end,
                kind: RegionKind::Normal,
            })
            .collect();
        let mut device_regions = Vec::new();
        for device in &manifest.board.devices {
            if manifest.domains.iter().any(|domain| domain.uses.contains(&device.name)) {
                device_regions.push((device.name.as_str(), regions.len()));
                let pages = device.pages();
                regions.push(RegionConfig {
                    name: leak_str(&device.name),
                    start: pages.start,
                    end: pages.end,
                    kind: if device.memory { RegionKind::Normal } else { RegionKind::Device },
                });
            }
        }

        let channels: Vec<ChannelConfig> = manifest
            .channels
            .iter()
            .map(|channel| ChannelConfig {
                name: leak_str(&channel.name),
                ends: channel.ends.each_ref().map(|end| EventTarget {
                    domain: domain_index(&end.domain),
                    event: slot(end.event),
                }),
            })
            .collect();

        let mut irqs: Vec<IrqConfig> = Vec::new();
        for device in &manifest.board.devices {
            for (irq, &line) in &device.interrupts {
                let name = format!("{}.{irq}", device.name);
                let owners: Vec<EventTarget> = manifest
                    .domains
                    .iter()
                    .enumerate()
                    .filter_map(|(index, domain)| {
                        let route = domain.interrupts.iter().find(|r| r.interrupt == name)?;
                        Some(EventTarget { domain: index, event: slot(route.event) })
                    })
                    .collect();
                if !owners.is_empty() {
                    irqs.push(IrqConfig { name: leak_str(&name), line, owners: leak(owners) });
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
                    caps.push(CapConfig {
                        name: regions[*region].name,
                        object: Object::Region { region: *region },
                        rights: DEVICE_RIGHTS,
                    });
                }
                for route in &domain.interrupts {
                    let irq = irqs
                        .iter()
                        .position(|irq| irq.name == route.interrupt)
                        .expect("every taken interrupt has an entry");
                    caps.push(CapConfig {
                        name: irqs[irq].name,
                        object: Object::Irq { irq },
                        rights: IRQ_RIGHTS,
                    });
                }
                for (channel_index, channel) in manifest.channels.iter().enumerate() {
                    for (end_index, end) in channel.ends.iter().enumerate() {
                        if end.domain == domain.name {
                            caps.push(CapConfig {
                                name: channels[channel_index].name,
                                object: Object::Channel { channel: channel_index, end: end_index },
                                rights: channel_rights(end.rights),
                            });
                        }
                    }
                }
                for (region_index, region) in manifest.regions.iter().enumerate() {
                    if let Some((_, rights)) = region.access.iter().find(|(d, _)| *d == domain.name)
                    {
                        caps.push(CapConfig {
                            name: regions[region_index].name,
                            object: Object::Region { region: region_index },
                            rights: region_rights(*rights),
                        });
                    }
                }
                for supervised in &domain.supervises {
                    let target = domain_index(supervised);
                    let name = leak_str(supervised);
                    caps.push(CapConfig {
                        name,
                        object: Object::Domain { domain: target },
                        rights: SUPERVISED_DOMAIN_RIGHTS,
                    });
                    caps.push(CapConfig {
                        name,
                        object: Object::Reservation { domain: target },
                        rights: SUPERVISED_RESERVATION_RIGHTS,
                    });
                }
                for member in &domain.members {
                    caps.push(CapConfig {
                        name: leak_str(&member.name),
                        object: Object::Domain { domain: domain_index(&member.name) },
                        rights: MEMBER_RIGHTS,
                    });
                }
                caps
            })
            .collect();

        let supervisors = manifest
            .domains
            .iter()
            .map(|supervised| {
                let watching = manifest.domains.iter().enumerate().filter_map(|(index, domain)| {
                    let event = domain.supervision_event?;
                    domain
                        .supervises
                        .contains(&supervised.name)
                        .then(|| EventTarget { domain: index, event: slot(event) })
                });
                watching.collect()
            })
            .collect();
        Self { regions, channels, irqs, domains, supervisors }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// `rights` as their names joined by ` | ` (`SEND | GRANT`; `none` if
    /// empty).
    fn rights_names(rights: Rights) -> String {
        let names: Vec<&str> = rights.iter_names().map(|(name, _)| name).collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(" | ")
        }
    }

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
        let regions: Vec<(&str, u64, u64, RegionKind)> =
            caps.regions.iter().map(|r| (r.name, r.start, r.end, r.kind)).collect();
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
            [ChannelConfig {
                name: "readings",
                ends: [EventTarget { domain: 0, event: 2 }, EventTarget { domain: 2, event: 0 }],
            }]
        );
        let irqs: Vec<(&str, u32, &[EventTarget])> =
            caps.irqs.iter().map(|i| (i.name, i.line, i.owners)).collect();
        let sensor = |event| EventTarget { domain: 0, event };
        let leds = |event| EventTarget { domain: 1, event };
        assert_eq!(
            irqs,
            [("systimer.c1", 1, &[sensor(0)][..]), ("gpio.bank0", 49, &[sensor(1), leds(0)][..]),]
        );
    }

    #[test]
    fn each_domain_gets_devices_interrupts_channel_ends_and_regions_in_order() {
        let caps = ImageCaps::of(&full());
        let table = |domain: usize| -> Vec<(String, Object, String)> {
            caps.domains[domain]
                .iter()
                .map(|cap| (cap.name.to_string(), cap.object, rights_names(cap.rights)))
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
