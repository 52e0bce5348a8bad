//! Capabilities: every domain's table of what it may name, and the
//! operations on it (look up, mint, delete, move, revoke).
//!
//! Pure bookkeeping, tested on the host; the dispatcher acts on what it
//! returns (mapping regions, updating the DCB mirrors). The tables are
//! fixed-size, so nothing is allocated after boot.
//!
//! Each capability remembers the one it was minted from (its parent) by
//! table address and generation. Revoking a capability deletes everything
//! whose chain of parents leads to it; deleting one leaves its children in
//! place (orphans, revocable no more), as the slot's new generation no
//! longer matches their parent link.

pub use vesper_abi::cap::Object;
use vesper_abi::cap::{CapKind, Handle, Rights, CAP_SLOTS};
use vesper_abi::layout::MAX_DOMAINS;
use vesper_abi::syscall::Error;

/// Where a capability lives: a domain's table and a slot, at a generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapAddr {
    /// The domain whose table holds it.
    pub domain: usize,
    /// The slot in that table.
    pub slot: usize,
    /// The slot's generation when the capability was put there.
    pub generation: u32,
}

/// A capability: an object and the rights to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability {
    /// What it names.
    pub object: Object,
    /// What it allows.
    pub rights: Rights,
    /// The capability it was minted from, if any.
    parent: Option<CapAddr>,
}

impl Capability {
    /// An original capability (derived from nothing), as the manifest or
    /// the kernel hands it out.
    pub const fn original(object: Object, rights: Rights) -> Self {
        Self { object, rights, parent: None }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    cap: Option<Capability>,
    /// Bumped whenever the slot is emptied; never 0.
    generation: u32,
}

const EMPTY: Entry = Entry { cap: None, generation: 1 };

/// Every slot of every table.
const ALL_SLOTS: usize = MAX_DOMAINS * CAP_SLOTS;
const _: () = assert!(ALL_SLOTS <= u16::MAX as usize, "slot numbers fit a u16");

/// Whether a slot holds a descendant of the capability being revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Descends {
    /// Not decided yet.
    Unknown,
    No,
    Yes,
}

/// Domains whose tables an operation changed.
pub type Changed = crate::bitset::IndexSet<MAX_DOMAINS>;

/// The capability tables of every domain.
pub struct CapSpace {
    tables: [[Entry; CAP_SLOTS]; MAX_DOMAINS],
}

impl Default for CapSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl CapSpace {
    /// Empty tables (usable in a `static`).
    pub const fn new() -> Self {
        Self { tables: [[EMPTY; CAP_SLOTS]; MAX_DOMAINS] }
    }

    fn entry(&self, addr: CapAddr) -> Option<&Capability> {
        let entry = self.tables.get(addr.domain)?.get(addr.slot)?;
        entry.cap.as_ref().filter(|_| entry.generation == addr.generation)
    }

    /// Puts `cap` in the first free slot of `domain`'s table.
    pub fn insert(&mut self, domain: usize, cap: Capability) -> Result<Handle, Error> {
        let table = self.tables.get_mut(domain).ok_or(Error::BadArgument)?;
        let (slot, entry) =
            table.iter_mut().enumerate().find(|(_, e)| e.cap.is_none()).ok_or(Error::Exhausted)?;
        entry.cap = Some(cap);
        Ok(Handle::new(slot, entry.generation))
    }

    /// Where `handle` points in `domain`'s table, and what is there, if it
    /// names a capability.
    fn resolve(&self, domain: usize, handle: Handle) -> Result<(CapAddr, Capability), Error> {
        let table = self.tables.get(domain).ok_or(Error::BadCapability)?;
        let entry = table.get(handle.slot()).ok_or(Error::BadCapability)?;
        let generation = u32::try_from(handle.generation()).map_err(|_| Error::BadCapability)?;
        match entry.cap {
            Some(cap) if generation == entry.generation => {
                Ok((CapAddr { domain, slot: handle.slot(), generation }, cap))
            }
            // Issued for this slot before: what it named has gone.
            Some(_) if generation != 0 && generation < entry.generation => {
                Err(Error::StaleCapability)
            }
            _ => Err(Error::BadCapability),
        }
    }

    /// The capability `handle` names in `domain`'s table.
    pub fn get(&self, domain: usize, handle: Handle) -> Result<Capability, Error> {
        Ok(self.resolve(domain, handle)?.1)
    }

    /// The object `handle` names, checked to be of `kind` and to hold
    /// `rights`: the check every capability-taking system call makes.
    pub fn lookup(
        &self,
        domain: usize,
        handle: Handle,
        kind: CapKind,
        rights: Rights,
    ) -> Result<Object, Error> {
        let cap = self.get(domain, handle)?;
        if cap.object.kind() != kind {
            return Err(Error::WrongType);
        }
        if !cap.rights.contains(rights) {
            return Err(Error::MissingRight);
        }
        Ok(cap.object)
    }

    /// Copies the capability into a free slot of the same table with
    /// `rights`, which must be a subset of its own; the copy is its child.
    pub fn mint(&mut self, domain: usize, handle: Handle, rights: Rights) -> Result<Handle, Error> {
        let (parent, cap) = self.resolve(domain, handle)?;
        if !cap.rights.contains(rights) {
            return Err(Error::MissingRight);
        }
        self.insert(domain, Capability { object: cap.object, rights, parent: Some(parent) })
    }

    /// Empties slot `slot` of `domain`'s table (a new generation) and
    /// returns what it held.
    fn free(&mut self, domain: usize, slot: usize) -> Option<Capability> {
        let entry = &mut self.tables[domain][slot];
        let cap = entry.cap.take();
        entry.generation = entry.generation.checked_add(1).unwrap_or(1);
        cap
    }

    /// Empties the slot `handle` names and returns what it held.
    pub fn delete(&mut self, domain: usize, handle: Handle) -> Result<Capability, Error> {
        let (addr, cap) = self.resolve(domain, handle)?;
        self.free(addr.domain, addr.slot);
        Ok(cap)
    }

    /// Moves the capability to `to`'s table (it needs `GRANT` and no bound
    /// right) and returns its handle there. It keeps its parent, and its
    /// children follow it, so revocation still reaches everything.
    pub fn transfer(&mut self, from: usize, handle: Handle, to: usize) -> Result<Handle, Error> {
        let (old, cap) = self.resolve(from, handle)?;
        if !cap.rights.contains(Rights::GRANT) {
            return Err(Error::MissingRight);
        }
        if cap.rights.intersects(Rights::BOUND) {
            return Err(Error::Bound);
        }
        let new = self.insert(to, cap)?;
        let new_addr =
            CapAddr { domain: to, slot: new.slot(), generation: new.generation() as u32 };
        self.free(old.domain, old.slot);
        for entry in self.tables.iter_mut().flatten() {
            if let Some(child) = entry.cap.as_mut().filter(|c| c.parent == Some(old)) {
                child.parent = Some(new_addr);
            }
        }
        Ok(new)
    }

    /// Deletes every capability derived from the one `handle` names (its
    /// children, their children, ...), in every table, keeping the
    /// capability itself. Calls `deleted` for each, with its domain, and
    /// returns how many went and whose tables changed.
    pub fn revoke(
        &mut self,
        domain: usize,
        handle: Handle,
        mut deleted: impl FnMut(usize, Capability),
    ) -> Result<(u64, Changed), Error> {
        let (root, _) = self.resolve(domain, handle)?;
        let doomed = self.descendants(root);
        let mut count = 0;
        let mut changed = Changed::EMPTY;
        for (index, _) in doomed.iter().enumerate().filter(|(_, &answer)| answer == Descends::Yes) {
            let (d, s) = (index / CAP_SLOTS, index % CAP_SLOTS);
            if let Some(cap) = self.free(d, s) {
                deleted(d, cap);
                count += 1;
                changed.insert(d);
            }
        }
        Ok((count, changed))
    }

    /// Empties `domain`'s table for a fresh start: revokes everything
    /// derived from each of its capabilities, wherever it went, then
    /// deletes the capability. Calls `deleted` for each capability that
    /// goes, with its domain, and returns whose tables changed (`domain`'s
    /// included if it held anything).
    pub fn clear(&mut self, domain: usize, mut deleted: impl FnMut(usize, Capability)) -> Changed {
        let mut changed = Changed::EMPTY;
        if domain >= MAX_DOMAINS {
            return changed;
        }
        for slot in 0..CAP_SLOTS {
            let (handle, Some(cap)) = self.at(domain, slot) else { continue };
            if let Ok((_, more)) = self.revoke(domain, handle, &mut deleted) {
                changed = changed.union(more);
            }
            self.free(domain, slot);
            deleted(domain, cap);
            changed.insert(domain);
        }
        changed
    }

    /// Which slots (numbered `domain * CAP_SLOTS + slot`) hold a descendant
    /// of `root`. Each slot's answer is found by walking up its parent links
    /// until the walk meets `root`, a slot already decided, or a link to
    /// nothing; every slot on the way then gets the same answer. So every
    /// slot is walked through at most once, and the decision costs
    /// O(slots) however deep the chains are (a pass per generation of
    /// descendants, as before, cost O(slots x depth): 135 us for one
    /// 31-deep chain).
    fn descendants(&self, root: CapAddr) -> [Descends; ALL_SLOTS] {
        let mut answers = [Descends::Unknown; ALL_SLOTS];
        let mut path = [0u16; ALL_SLOTS];
        for start in 0..ALL_SLOTS {
            if answers[start] != Descends::Unknown {
                continue;
            }
            let (mut at, mut len) = (start, 0);
            let answer = loop {
                let Some(Capability { parent: Some(parent), .. }) =
                    self.tables[at / CAP_SLOTS][at % CAP_SLOTS].cap
                else {
                    break Descends::No;
                };
                if self.entry(parent).is_none() {
                    break Descends::No;
                }
                path[len] = at as u16;
                len += 1;
                if parent == root {
                    break Descends::Yes;
                }
                at = parent.domain * CAP_SLOTS + parent.slot;
                // A chain is never longer than the slots; a longer walk can
                // only be a loop of stale links after a generation wrapped.
                if answers[at] != Descends::Unknown || len == ALL_SLOTS {
                    break if len == ALL_SLOTS { Descends::No } else { answers[at] };
                }
            };
            answers[start] = answer;
            for &index in &path[..len] {
                answers[usize::from(index)] = answer;
            }
        }
        answers
    }

    /// Slot `slot` of `domain`'s table: its handle and content.
    pub fn at(&self, domain: usize, slot: usize) -> (Handle, Option<Capability>) {
        let entry = &self.tables[domain][slot];
        (Handle::new(slot, entry.generation), entry.cap)
    }

    /// The rights `domain` holds over each region (by index, up to `N`),
    /// over all its capabilities: one pass over its table.
    pub fn region_rights<const N: usize>(&self, domain: usize) -> [Rights; N] {
        let mut rights = [Rights::empty(); N];
        for cap in self.tables[domain].iter().filter_map(|entry| entry.cap) {
            if let Object::Region { region } = cap.object {
                if let Some(held) = rights.get_mut(region) {
                    *held |= cap.rights;
                }
            }
        }
        rights
    }
}

#[cfg(test)]
mod tests;
