//! The second step of checking a manifest: the checks across its tables,
//! over the drafts that [`super::read`] made of them, and the manifest they
//! make if nothing was wrong. The checks run over the tables that were
//! read even when others have problems, each as far as what it needs was
//! read: the problems of one run are all that can be found.

mod admission;
mod cores;
mod groups;
mod names;
mod owners;
mod placement;
mod references;
mod services;
mod slots;
mod warnings;

use super::read::Tables;
use super::reader::Problems;
use super::report::{Report, Severity};
use super::{Domain, Manifest, Share};
use references::DomainNames;
use std::path::Path;
use toml::Spanned;

/// Checks the `tables` of the manifest read from `path` against each other
/// and against the board, and returns the manifest if every table is
/// complete (the caller checks `problems`).
pub(super) fn across(tables: Tables, path: &Path, problems: &mut Problems) -> Option<Manifest> {
    let Tables { image, mut domains, unread_domains, mut shares, mut regions, mut channels } =
        tables;
    services::connect(&domains, &mut regions, &mut channels, problems);
    services::supervise(&mut domains, problems);
    names::check(&mut domains, &mut regions, &mut channels, problems);
    groups::form(&mut domains, problems);
    let known = DomainNames::new(&domains, &unread_domains);
    references::check_shares(&mut shares, &known, &image.console, problems);
    references::check_regions(&mut regions, &known, problems);
    references::check_channels(&mut channels, &known, problems);
    let board = image.board.as_ref();
    if let Some(board) = board {
        owners::check(board, &image.console, &domains, &shares, problems);
    }
    slots::check_capabilities(&domains, &channels, &regions, problems);
    let channels = slots::assign_events(&mut domains, &channels, problems);
    admission::check(&domains, problems);
    cores::check(&domains, problems);
    let cores: Vec<usize> =
        domains.iter().map(|draft| cores::core_of(&domains, draft) as usize).collect();
    let regions = board.and_then(|board| placement::place(board, &domains, &regions, problems));
    warnings::check(&domains, problems);

    Some(Manifest {
        name: image.name?,
        path: path.to_path_buf(),
        board: image.board?,
        console: image.console,
        run_for_ns: image.run_for_ns,
        sd_card: image.sd_card,
        trace_records: image.trace_records,
        domains: domains
            .into_iter()
            .zip(cores)
            .map(|(draft, core)| draft.into_domain().map(|domain| Domain { core, ..domain }))
            .collect::<Option<_>>()?,
        shares: shares
            .into_iter()
            .map(|share| {
                Some(Share {
                    target: share.target?.into_inner(),
                    domains: share.domains.into_iter().map(Spanned::into_inner).collect(),
                })
            })
            .collect::<Option<_>>()?,
        regions: regions?,
        channels: channels.into_iter().collect::<Option<_>>()?,
        // The caller sets them once every problem is known.
        warnings: Report::new(Severity::Warning, "", "", Vec::new()),
    })
}
