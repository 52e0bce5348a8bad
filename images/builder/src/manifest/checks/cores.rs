//! Cores: each domain's reservation is on one core (`core`, 0 unless
//! given; a group member runs on its scheduler's), and every domain that
//! takes a peripheral interrupt is on the same core: the Pi routes all
//! peripheral interrupts to one core (the local interrupt block's GPU
//! routing register), so their domains must share it.

use super::super::read::DomainDraft;
use super::super::reader::{key_of, Problems};

/// The core `draft` runs on: its `core`, or its group scheduler's.
pub(super) fn core_of(drafts: &[DomainDraft], draft: &DomainDraft) -> u64 {
    let own = |draft: &DomainDraft| draft.core.as_ref().map_or(0, |core| *core.get_ref());
    let scheduler = draft
        .scheduled_by
        .as_deref()
        .and_then(|group| drafts.iter().find(|other| other.name() == Some(group)));
    scheduler.map_or_else(|| own(draft), own)
}

/// Checks that the domains taking interrupts are on one core.
pub(super) fn check(drafts: &[DomainDraft], problems: &mut Problems) {
    let mut first: Option<(&str, u64)> = None;
    for draft in drafts.iter().filter(|draft| !draft.routes.is_empty()) {
        let core = core_of(drafts, draft);
        let name = draft.name().unwrap_or(&draft.label);
        match first {
            None => first = Some((name, core)),
            Some((other, other_core)) if other_core != core => {
                let span = draft.core.as_ref().map_or(draft.span.clone(), |core| core.span());
                problems.at(
                    &span,
                    &key_of(&draft.label, "core"),
                    format!(
                        "domain {name:?} takes interrupts on core {core}, but domain {other:?} \
                         takes them on core {other_core}: the Pi routes every peripheral \
                         interrupt to one core, so the domains that take interrupts share it"
                    ),
                );
            }
            Some(_) => {}
        }
    }
}
