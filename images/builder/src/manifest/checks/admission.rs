//! Admission control: the domains' reservations must fit the CPU together.

use super::super::read::{DomainDraft, Reservation};
use super::super::reader::Problems;
use super::super::report::Problem;
use crate::units::{format_duration, format_share, PPB_ONE};

/// Checks, for each core, that the shares of the domains placed on it
/// whose period and slice are valid add up to at most the CPU. Domains
/// without a valid reservation only add to the total, so an overload of
/// the others is reported whatever their problems. While every domain is
/// on core 0 the messages do not name it.
pub(super) fn check(drafts: &[DomainDraft], problems: &mut Problems) {
    let cores: Vec<u64> = drafts.iter().map(|draft| super::cores::core_of(drafts, draft)).collect();
    let several = cores.iter().any(|&core| core != 0);
    for core in 0..vesper_abi::layout::CORES as u64 {
        let on_core: Vec<&DomainDraft> =
            drafts.iter().zip(&cores).filter(|(_, &c)| c == core).map(|(d, _)| d).collect();
        let label = if several { format!(" on core {core}") } else { String::new() };
        check_core(&on_core, &label, problems);
    }
}

/// Admission control over `drafts`, the domains of one core (`label`
/// names it in the message, or is empty).
fn check_core(drafts: &[&DomainDraft], label: &str, problems: &mut Problems) {
    // Each counted domain by its name, or its label if it has no valid
    // name of its own.
    let counted: Vec<(&str, &Reservation)> = drafts
        .iter()
        .filter_map(|draft| {
            Some((draft.name().unwrap_or(&draft.label), draft.reservation.as_ref()?))
        })
        .collect();
    let total: u64 = counted.iter().map(|(_, reservation)| reservation.share).sum();
    if total <= PPB_ONE {
        return;
    }
    let shares: Vec<String> = counted
        .iter()
        .map(|(name, reservation)| format!("{name} {}", format_share(reservation.share, 2)))
        .collect();
    let uncounted: Vec<&str> = drafts
        .iter()
        .filter(|draft| draft.reservation.is_none() && draft.scheduled_by.is_none())
        .map(|draft| draft.label.as_str())
        .collect();
    let without = match uncounted.as_slice() {
        [] => String::new(),
        labels => format!(", not counting {} (no valid period and slice)", labels.join(", ")),
    };
    let mut problem = Problem::global(format!(
        "admission control{label}: utilisation {} > 1{without}: {} (the slices/periods must add up \
         to at most 1)",
        format_share(total, 2),
        shares.join(", ")
    ))
    .help(format!(
        "take {} of the CPU from these domains: shorten slices or lengthen periods",
        format_share(total - PPB_ONE, 2)
    ));
    for (name, reservation) in counted {
        let label = format!(
            "{name}: {} ({} every {})",
            format_share(reservation.share, 2),
            format_duration(*reservation.slice.get_ref()),
            format_duration(reservation.period_ns)
        );
        problem = problem.also(&reservation.slice.span(), label);
    }
    problems.report(problem);
}
