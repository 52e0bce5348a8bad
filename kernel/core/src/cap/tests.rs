use super::*;
use proptest::prelude::*;

const CHANNEL: Object = Object::Channel { channel: 0, end: 0 };
const REGION: Object = Object::Region { region: 2 };

fn space_with(domain: usize, object: Object, rights: Rights) -> (CapSpace, Handle) {
    let mut space = CapSpace::new();
    let handle = space.insert(domain, Capability::original(object, rights)).unwrap();
    (space, handle)
}

#[test]
fn lookup_checks_type_and_rights() {
    let (space, handle) = space_with(0, CHANNEL, Rights::SEND | Rights::GRANT);
    assert_eq!(space.lookup(0, handle, CapKind::Channel, Rights::SEND), Ok(CHANNEL));
    assert_eq!(space.lookup(0, handle, CapKind::Irq, Rights::empty()), Err(Error::WrongType));
    assert_eq!(
        space.lookup(0, handle, CapKind::Channel, Rights::RECEIVE),
        Err(Error::MissingRight)
    );
    assert_eq!(
        space.lookup(1, handle, CapKind::Channel, Rights::SEND),
        Err(Error::BadCapability),
        "another domain's handle names nothing in this table"
    );
}

#[test]
fn forged_deleted_and_stale_handles_are_refused() {
    let (mut space, handle) = space_with(0, CHANNEL, Rights::SEND);
    let forged = [
        Handle(0),
        Handle::new(5, 1),
        Handle(handle.0 + (7 << 8)),
        Handle(handle.0 | (1 << 60)),
        Handle(u64::MAX),
    ];
    for bad in forged {
        assert_eq!(space.get(0, bad), Err(Error::BadCapability), "{bad:?}");
    }
    space.delete(0, handle).unwrap();
    assert_eq!(space.get(0, handle), Err(Error::BadCapability), "deleted");
    assert_eq!(space.delete(0, handle), Err(Error::BadCapability), "deleted twice");
    let reused = space.insert(0, Capability::original(REGION, Rights::READ)).unwrap();
    assert_eq!(reused.slot(), handle.slot());
    assert_eq!(space.get(0, handle), Err(Error::StaleCapability), "slot reused");
    assert_eq!(space.get(0, reused).unwrap().object, REGION);
}

#[test]
fn mint_only_drops_rights() {
    let (mut space, handle) = space_with(0, REGION, Rights::READ | Rights::GRANT);
    let copy = space.mint(0, handle, Rights::READ).unwrap();
    assert_ne!(copy, handle);
    assert_eq!(space.get(0, copy).unwrap().rights, Rights::READ);
    assert_eq!(space.mint(0, handle, Rights::READ | Rights::WRITE), Err(Error::MissingRight));
    assert_eq!(space.mint(0, copy, Rights::GRANT), Err(Error::MissingRight));
}

#[test]
fn a_full_table_is_reported() {
    let (mut space, handle) = space_with(0, REGION, Rights::READ);
    for _ in 1..CAP_SLOTS {
        space.mint(0, handle, Rights::READ).unwrap();
    }
    assert_eq!(space.mint(0, handle, Rights::READ), Err(Error::Exhausted));
    assert_eq!(
        space.insert(MAX_DOMAINS, Capability::original(REGION, Rights::READ)),
        Err(Error::BadArgument)
    );
}

#[test]
fn transfer_moves_and_needs_grant_without_bound_rights() {
    let (mut space, receive) =
        space_with(0, CHANNEL, Rights::SEND | Rights::RECEIVE | Rights::GRANT);
    assert_eq!(space.transfer(0, receive, 1), Err(Error::Bound));
    let plain = space.mint(0, receive, Rights::SEND).unwrap();
    assert_eq!(space.transfer(0, plain, 1), Err(Error::MissingRight));
    let send = space.mint(0, receive, Rights::SEND | Rights::GRANT).unwrap();
    let moved = space.transfer(0, send, 1).unwrap();
    assert_eq!(space.get(0, send), Err(Error::BadCapability), "gone from the sender");
    assert_eq!(space.lookup(1, moved, CapKind::Channel, Rights::SEND), Ok(CHANNEL));
}

#[test]
fn revoke_reaches_descendants_wherever_they_moved() {
    let (mut space, root) = space_with(0, REGION, Rights::READ | Rights::WRITE | Rights::GRANT);
    let child = space.mint(0, root, Rights::READ | Rights::GRANT).unwrap();
    let grandchild = space.mint(0, child, Rights::READ | Rights::GRANT).unwrap();
    let grandchild_in_2 = space.transfer(0, grandchild, 2).unwrap();
    let great = space.mint(2, grandchild_in_2, Rights::READ | Rights::GRANT).unwrap();
    // The child moves after its own child was minted: the link follows it.
    let child_in_1 = space.transfer(0, child, 1).unwrap();
    let unrelated = space.insert(1, Capability::original(REGION, Rights::READ)).unwrap();
    let mut seen = Vec::new();
    let (count, changed) = space.revoke(0, root, |d, cap| seen.push((d, cap.object))).unwrap();
    assert_eq!(count, 3);
    assert_eq!(changed.iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(seen.len(), 3);
    for (domain, handle) in [(1, child_in_1), (2, grandchild_in_2), (2, great)] {
        assert_eq!(space.get(domain, handle), Err(Error::BadCapability));
    }
    assert!(space.get(0, root).is_ok(), "the revoked capability itself stays");
    assert!(space.get(1, unrelated).is_ok(), "an unrelated copy of the object stays");
}

#[test]
fn a_chain_through_every_slot_is_revoked_whole() {
    let rights = Rights::READ | Rights::GRANT;
    let (mut space, root) = space_with(0, REGION, rights);
    // Each step mints from the newest link and moves the copy one table on,
    // so the chain winds through every slot of every table.
    let (mut domain, mut newest) = (0, root);
    let mut links = 0;
    while let Ok(child) = space.mint(domain, newest, rights) {
        let next = (domain + 1) % MAX_DOMAINS;
        match space.transfer(domain, child, next) {
            Ok(moved) => (domain, newest) = (next, moved),
            Err(_) => newest = child,
        }
        links += 1;
    }
    assert!(links > MAX_DOMAINS * CAP_SLOTS * 9 / 10, "most slots hold a link: {links}");
    let (count, changed) = space.revoke(0, root, |_, _| {}).unwrap();
    assert_eq!(count, links as u64);
    assert_eq!(changed.iter().count(), MAX_DOMAINS);
    assert!(space.get(0, root).is_ok());
}

#[test]
fn a_loop_of_stale_links_ends() {
    let (mut space, root) = space_with(0, REGION, Rights::READ);
    let a = space.mint(0, root, Rights::READ).unwrap();
    let b = space.mint(0, a, Rights::READ).unwrap();
    // As after a generation wrapped: `a`'s parent link names `b`.
    let b_addr = space.resolve(0, b).unwrap().0;
    let a_addr = space.resolve(0, a).unwrap().0;
    space.tables[0][a_addr.slot].cap.as_mut().unwrap().parent = Some(b_addr);
    let (count, _) = space.revoke(0, root, |_, _| {}).unwrap();
    assert_eq!(count, 0, "neither descends from root any more");
}

#[test]
fn clearing_a_table_revokes_what_came_from_it_and_keeps_the_rest() {
    let mut space = CapSpace::new();
    let lent = space.insert(0, Capability::original(REGION, Rights::READ | Rights::GRANT)).unwrap();
    let channel = space.insert(0, Capability::original(CHANNEL, Rights::SEND)).unwrap();
    // A copy lent to domain 1, which lends it on to 2.
    let copy = space.mint(0, lent, Rights::READ | Rights::GRANT).unwrap();
    let there = space.transfer(0, copy, 1).unwrap();
    let copy = space.mint(1, there, Rights::READ | Rights::GRANT).unwrap();
    let further = space.transfer(1, copy, 2).unwrap();
    // Domain 1's own, unrelated.
    let own = space.insert(1, Capability::original(CHANNEL, Rights::SEND)).unwrap();
    let mut gone = Vec::new();
    let changed = space.clear(0, |domain, cap| gone.push((domain, cap.object)));
    assert_eq!(changed.iter().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(gone.len(), 4, "{gone:?}");
    for handle in [lent, channel] {
        assert!(space.get(0, handle).is_err());
    }
    assert!(space.get(1, there).is_err() && space.get(2, further).is_err());
    assert_eq!(space.get(1, own).map(|cap| cap.object), Ok(CHANNEL));
    assert!((0..CAP_SLOTS).all(|slot| space.at(0, slot).1.is_none()));
    assert!(space.clear(MAX_DOMAINS, |_, _| ()).is_empty());
}

#[test]
fn deleting_a_parent_orphans_its_children() {
    let (mut space, root) = space_with(0, REGION, Rights::READ);
    let child = space.mint(0, root, Rights::READ).unwrap();
    let grandchild = space.mint(0, child, Rights::READ).unwrap();
    space.delete(0, child).unwrap();
    // The slot of `child` is reused; the orphan must not count as its child.
    let newcomer = space.mint(0, root, Rights::READ).unwrap();
    assert_eq!(newcomer.slot(), child.slot());
    let (count, _) = space.revoke(0, newcomer, |_, _| {}).unwrap();
    assert_eq!(count, 0);
    assert!(space.get(0, grandchild).is_ok());
    let (count, _) = space.revoke(0, root, |_, _| {}).unwrap();
    assert_eq!(count, 1, "the newcomer, not the orphan");
    assert!(space.get(0, grandchild).is_ok());
}

#[test]
fn rights_over_a_region_are_the_union() {
    let (mut space, handle) = space_with(3, REGION, Rights::READ | Rights::WRITE);
    space.mint(3, handle, Rights::READ).unwrap();
    space.insert(3, Capability::original(Object::Region { region: 40 }, Rights::READ)).unwrap();
    space.insert(3, Capability::original(CHANNEL, Rights::SEND)).unwrap();
    let rights = space.region_rights::<32>(3);
    assert_eq!(rights[2], Rights::READ | Rights::WRITE);
    assert!(rights.iter().enumerate().all(|(i, r)| i == 2 || r.is_empty()), "40 is past 32");
    space.delete(3, handle).unwrap();
    assert_eq!(space.region_rights::<32>(3)[2], Rights::READ);
    assert_eq!(space.region_rights::<32>(2)[2], Rights::empty());
}

/// One random operation on the tables.
#[derive(Clone, Debug)]
enum Op {
    Mint { domain: usize, slot: usize, rights: u64 },
    Delete { domain: usize, slot: usize },
    Transfer { domain: usize, slot: usize, to: usize },
    Revoke { domain: usize, slot: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let d = 0..4usize;
    let s = 0..8usize;
    prop_oneof![
        (d.clone(), s.clone(), 0..128u64).prop_map(|(domain, slot, rights)| Op::Mint {
            domain,
            slot,
            rights
        }),
        (d.clone(), s.clone()).prop_map(|(domain, slot)| Op::Delete { domain, slot }),
        (d.clone(), s.clone(), 0..4usize).prop_map(|(domain, slot, to)| Op::Transfer {
            domain,
            slot,
            to
        }),
        (d, s).prop_map(|(domain, slot)| Op::Revoke { domain, slot }),
    ]
}

fn current(space: &CapSpace, domain: usize, slot: usize) -> Handle {
    space.at(domain, slot).0
}

proptest! {
    /// Whatever is done, rights never grow along a derivation, and after a
    /// revoke nothing derived from the capability is left.
    #[test]
    fn rights_never_grow_and_revoke_is_complete(ops in proptest::collection::vec(op(), 1..60)) {
        let all = Rights::all();
        let mut space = CapSpace::new();
        for domain in 0..4 {
            space.insert(domain, Capability::original(REGION, all)).unwrap();
        }
        for op in ops {
            match op {
                Op::Mint { domain, slot, rights } => {
                    let _ = space.mint(domain, current(&space, domain, slot), Rights::from_bits_truncate(rights));
                }
                Op::Delete { domain, slot } => {
                    let _ = space.delete(domain, current(&space, domain, slot));
                }
                Op::Transfer { domain, slot, to } => {
                    let _ = space.transfer(domain, current(&space, domain, slot), to);
                }
                Op::Revoke { domain, slot } => {
                    let handle = current(&space, domain, slot);
                    if space.revoke(domain, handle, |_, _| {}).is_ok() {
                        let root = space.resolve(domain, handle).unwrap().0;
                        for entry in space.tables.iter().flatten() {
                            prop_assert!(entry.cap.is_none_or(|c| c.parent != Some(root)));
                        }
                    }
                }
            }
            for entry in space.tables.iter().flatten() {
                if let Some(parent) = entry.cap.and_then(|c| c.parent).and_then(|p| space.entry(p)) {
                    prop_assert!(parent.rights.contains(entry.cap.unwrap().rights));
                }
            }
        }
    }
}
