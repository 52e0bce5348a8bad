//! Capability system calls, and what follows a change to a table: the
//! domain's DCB mirror and its mapped regions are brought up to date. All
//! of them change what the cores share, or read another core's domains:
//! they run in a borrow of the whole.

use super::syscall::Outcome;
use super::{core_of, AllCores};
use crate::arch::{time, user};
use crate::domain::config::{self, RegionKind, DOMAINS, IMAGE, REGIONS};
use crate::domain::setup::{with_tables, MAX_REGIONS};
use crate::domain::DomainState;
use vesper_abi::cap::{CapInfo, CapKind, Handle, Rights, CAP_SLOTS, KERNEL_CAP_NAMES};
use vesper_abi::dcb::{DomainInfo, DOMAIN_EXITED, DOMAIN_FAULTED, DOMAIN_RUNNING, DOMAIN_STOPPED};
use vesper_abi::syscall::Error;
use vesper_kernel_core::atropos::{AdmitError, Reservation};
use vesper_kernel_core::cap::{Capability, Object};
use vesper_kernel_core::memory::{Mapped, RegionSet};
use vesper_kernel_core::mmu::descriptor::MemoryKind;
use vesper_kernel_core::mmu::user::{map_range, unmap_range, UserRegion, UserRights};

impl AllCores {
    /// Gives loaded domain `index` the capabilities it starts with, into
    /// an empty table: control of itself ([`SELF`]) and of its reservation
    /// ([`RESERVATION`]), then those its manifest lists (but none to a
    /// domain that did not start); maps its regions and fills its DCB
    /// mirror. At boot (once every domain is loaded), and again when it is
    /// restarted.
    pub(super) fn grant_caps(&mut self, index: usize) {
        let config = &DOMAINS[index];
        let own = [
            (Object::Domain { domain: index }, Rights::READ | Rights::CONTROL | Rights::GRANT),
            (Object::Reservation { domain: index }, Rights::READ | Rights::WRITE | Rights::GRANT),
        ];
        let listed = config.caps.iter().map(|c| ((c.object, c.rights), c.name));
        for ((object, rights), name) in own.into_iter().zip(KERNEL_CAP_NAMES).chain(listed) {
            // A supervisor's capability to a domain that did not start:
            // no capability ever names a domain that is not loaded.
            let gone = matches!(object, Object::Domain { domain } | Object::Reservation { domain }
                if !self.shared.started.contains(domain));
            let cap = Capability::original(object, rights);
            let why = if gone {
                "its domain did not start"
            } else if self.shared.caps.insert(index, cap).is_err() {
                "its table is full"
            } else {
                continue;
            };
            log::error!("domain {}: capability {name} left out: {why}", config.name);
        }
        self.sync_regions(index);
        self.mirror(index);
    }

    /// Rewrites domain `index`'s DCB mirror of its capability table.
    pub(super) fn mirror(&mut self, index: usize) {
        for slot in 0..CAP_SLOTS {
            let (handle, cap) = self.shared.caps.at(index, slot);
            let info = cap.map_or_else(CapInfo::default, |cap| {
                IMAGE.cap_info(index, handle.0, cap.object, cap.rights)
            });
            self.ro(index).caps[slot] = info;
        }
    }

    /// Maps in domain `index` exactly the regions it holds capabilities
    /// for, with the union of their rights (write only with read).
    pub(super) fn sync_regions(&mut self, index: usize) {
        // Regions past MAX_REGIONS never get a capability (the builder and
        // the boot check refuse them), and a RegionSet cannot hold them.
        let held = self.shared.caps.region_rights::<MAX_REGIONS>(index);
        let held_with = |rights: Rights| -> RegionSet {
            let held = held.iter().enumerate().take(REGIONS.len());
            held.filter(|(_, held)| held.contains(rights)).map(|(region, _)| region).collect()
        };
        let (mut read, mut write) =
            (held_with(Rights::READ), held_with(Rights::READ | Rights::WRITE));
        let domain = self.domain(index);
        let changed = read
            .symmetric_difference(domain.mapped.read)
            .union(write.symmetric_difference(domain.mapped.write));
        if changed.is_empty() {
            return;
        }
        let name = domain.config.name;
        with_tables(index, |tables, phys| {
            for i in changed.iter() {
                let config = &REGIONS[i];
                let rights =
                    if write.contains(i) { UserRights::ReadWrite } else { UserRights::ReadOnly };
                let range = UserRegion { start: config.start, end: config.end, rights };
                let kind = match config.kind {
                    RegionKind::Normal => MemoryKind::Normal,
                    RegionKind::Device => MemoryKind::Device,
                };
                let result = if read.contains(i) {
                    map_range(tables, phys, range, kind)
                } else {
                    unmap_range(tables, phys, range)
                };
                if let Err(error) = result {
                    log::error!("domain {name}: region {} not mapped: {error:?}", config.name);
                    read.remove(i);
                    write.remove(i);
                }
            }
        });
        let domain = self.domain(index);
        domain.mapped = Mapped { read, write };
        user::flush_address_space(domain.asid);
    }

    /// After capabilities changed hands in `domains`: their mirrors, and
    /// their mappings if `regions` (a region's capability was among them).
    pub(super) fn refresh(&mut self, regions: bool, domains: impl IntoIterator<Item = usize>) {
        for index in domains {
            if regions {
                self.sync_regions(index);
            }
            self.mirror(index);
        }
    }

    pub(super) fn cap_mint(
        &mut self,
        index: usize,
        [handle, rights]: [u64; 2],
    ) -> Result<u64, Error> {
        let rights = Rights::from_bits(rights).ok_or(Error::BadArgument)?;
        let minted = self.shared.caps.mint(index, Handle(handle), rights)?;
        self.mirror(index);
        Ok(minted.0)
    }

    pub(super) fn cap_delete(&mut self, index: usize, handle: u64) -> Result<u64, Error> {
        let cap = self.shared.caps.delete(index, Handle(handle))?;
        self.refresh(matches!(cap.object, Object::Region { .. }), [index]);
        Ok(0)
    }

    pub(super) fn cap_revoke(&mut self, index: usize, handle: u64) -> Result<u64, Error> {
        let mut regions = false;
        let (count, changed) = self.shared.caps.revoke(index, Handle(handle), |_, cap| {
            regions |= matches!(cap.object, Object::Region { .. });
        })?;
        self.refresh(regions, changed.iter());
        Ok(count)
    }

    pub(super) fn domain_stop(&mut self, index: usize, handle: u64) -> Result<Outcome, Error> {
        let target = self.shared.domain_cap(index, handle, Rights::CONTROL)?;
        if self.domain(target).state != DomainState::Live {
            return Ok(Outcome::Return(Ok(0)));
        }
        let now = time::now_ns();
        log::info!("domain {} stopped by domain {}", DOMAINS[target].name, DOMAINS[index].name);
        self.of(target).stop(target, DomainState::Stopped, now);
        if target != index {
            return Ok(self.here().returned(index, Ok(0)));
        }
        Ok(Outcome::Reschedule(now))
    }

    /// `domain_info`: the state and accounting of the domain `handle`
    /// names, written into the caller's memory at `ptr`.
    pub(super) fn domain_info(
        &mut self,
        index: usize,
        [handle, ptr, _]: [u64; 3],
    ) -> Result<u64, Error> {
        let info = self.info_of(self.shared.domain_cap(index, handle, Rights::READ)?);
        if !ptr.is_multiple_of(8) || !self.domain(index).user_write(ptr, &info) {
            return Err(Error::BadPointer);
        }
        Ok(0)
    }

    /// `trace_flush`: with a capability to observe another domain (`READ`
    /// on a Domain capability not the caller's own), writes out the trace
    /// records not out yet.
    pub(super) fn trace_flush(&mut self, index: usize, handle: u64) -> Result<u64, Error> {
        if self.shared.domain_cap(index, handle, Rights::READ)? == index {
            return Err(Error::BadArgument);
        }
        Ok(self.flush_trace(Some(index)))
    }

    /// Domain `target` as `domain_info` shows it.
    fn info_of(&mut self, target: usize) -> DomainInfo {
        let domain = *self.domain(target);
        let accounting = self.cores[core_of(target)].accounting(target);
        let (state, exit_code) = match domain.state {
            DomainState::Live => (DOMAIN_RUNNING, 0),
            DomainState::Exited(code) => (DOMAIN_EXITED, code),
            DomainState::Faulted => (DOMAIN_FAULTED, 0),
            DomainState::Stopped => (DOMAIN_STOPPED, 0),
        };
        let ro = self.ro(target);
        DomainInfo {
            name: ro.name,
            scheduler: ro.scheduler,
            state,
            exit_code,
            reservation: ro.reservation,
            accounting,
            fault: domain.fault,
            restarts: domain.restarts,
        }
    }

    pub(super) fn reservation_set(
        &mut self,
        index: usize,
        [handle, period_ns, slice_ns]: [u64; 3],
    ) -> Result<u64, Error> {
        let Object::Reservation { domain } =
            self.shared.caps.lookup(index, Handle(handle), CapKind::Reservation, Rights::WRITE)?
        else {
            return Err(Error::WrongType);
        };
        if !config::IMAGE.meets_minimum(period_ns, slice_ns) {
            return Err(Error::BelowMinimum);
        }
        // A group member holds no reservation to change.
        let atropos = &mut self.cores[core_of(domain)].atropos;
        let old = atropos.reservation(domain).filter(|old| old.period_ns != 0);
        let old = old.ok_or(Error::BadArgument)?;
        let latency_ns = if old.latency_ns == old.period_ns { period_ns } else { old.latency_ns };
        let new = Reservation { period_ns, slice_ns, latency_ns, extra: old.extra };
        atropos.set_reservation(domain, new).map_err(|error| match error {
            AdmitError::OverUtilised { .. } => Error::Overloaded,
            _ => Error::BadArgument,
        })?;
        let ro = self.ro(domain);
        ro.reservation =
            vesper_abi::dcb::Reservation { period_ns, slice_ns, latency_ns, ..ro.reservation };
        Ok(0)
    }
}
