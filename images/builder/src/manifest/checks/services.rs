//! Services: a client domain names each service it uses in one line
//! (`services = ["console"]`), and the driver domain that `provides` it is
//! connected to it by a region and a channel, both named
//! `SERVICE-CLIENT`, that this check adds to the manifest's tables as if
//! they had been written out: read-write for both, 4 KiB (64 KiB for the
//! block service, whose data travel there: `vesper_service::connection_size`),
//! and both ends send-receive (docs/drivers.md has the protocol over them).

use super::super::read::{ChannelDraft, DomainDraft, Grant, RegionDraft};
use super::super::reader::{did_you_mean, key_of, Problems};
use super::super::report::Problem;
use super::super::{ChannelRights, RegionRights, MAX_CAP_NAME_LEN};
use std::collections::BTreeMap;
use toml::Spanned;

/// Adds the region and channel of every service every domain uses; reports
/// a service nobody provides, one provided twice, a domain using its own,
/// and a connection whose name would not fit a capability's.
pub(super) fn connect(
    domains: &[DomainDraft],
    regions: &mut Vec<RegionDraft>,
    channels: &mut Vec<ChannelDraft>,
    problems: &mut Problems,
) {
    let providers = providers(domains, problems);
    for client in domains {
        let Some(client_name) = client.name.as_ref() else { continue };
        for service in &client.services {
            let what = key_of(&client.label, "services");
            let Some(provider) = providers.get(service.get_ref().as_str()) else {
                let known: Vec<&str> = providers.keys().copied().collect();
                let help = did_you_mean(service.get_ref(), &known, |close| format!("{close:?}"));
                let list = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                let reason = format!(
                    "no domain of the image provides service {:?} (`provides`); the services \
                     are: {list}",
                    service.get_ref()
                );
                problems.report(Problem::at(&service.span(), &what, reason).maybe_help(help));
                continue;
            };
            if provider.get_ref() == client_name.get_ref() {
                let reason = format!("a domain cannot use its own service {:?}", service.get_ref());
                problems.at(&service.span(), &what, reason);
                continue;
            }
            let name = format!("{}-{}", service.get_ref(), client_name.get_ref());
            if name.len() > MAX_CAP_NAME_LEN {
                let reason = format!(
                    "its connection would be called {name:?}, {} bytes, but capability names \
                     have at most {MAX_CAP_NAME_LEN}: shorten the domain's or the service's name",
                    name.len()
                );
                problems.at(&service.span(), &what, reason);
                continue;
            }
            let at = |text: &str| Spanned::new(service.span(), text.to_string());
            // In name order, as a written table's entries are read.
            let mut pair = [client_name, *provider];
            pair.sort_by(|a, b| a.get_ref().cmp(b.get_ref()));
            let label =
                format!("service {:?} of domain {:?}", service.get_ref(), client_name.get_ref());
            regions.push(RegionDraft {
                label: label.clone(),
                name: Some(at(&name)),
                size: Some(Spanned::new(
                    service.span(),
                    vesper_service::connection_size(service.get_ref()),
                )),
                address: None,
                grants: pair
                    .map(|domain| Grant {
                        domain: at(domain.get_ref()),
                        rights: Ok(RegionRights::ReadWrite),
                    })
                    .into(),
                access: Vec::new(),
            });
            channels.push(ChannelDraft {
                label,
                name: Some(at(&name)),
                grants: pair
                    .map(|domain| Grant {
                        domain: at(domain.get_ref()),
                        rights: Ok(ChannelRights::SendReceive),
                    })
                    .into(),
                ends_at: None,
                ends: Vec::new(),
            });
        }
    }
}

/// Each service some domain provides, and its provider's name; reports a
/// service provided twice.
fn providers<'d>(
    domains: &'d [DomainDraft],
    problems: &mut Problems,
) -> BTreeMap<&'d str, &'d Spanned<String>> {
    let mut providers: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
    for domain in domains {
        let (Some(service), Some(name)) = (&domain.provides, &domain.name) else { continue };
        if let Some(first) = providers.get(service.get_ref().as_str()) {
            let reason = format!(
                "service {:?} is provided by domain {:?} already: one driver per service",
                service.get_ref(),
                first.get_ref()
            );
            problems.at(&service.span(), &key_of(&domain.label, "provides"), reason);
            continue;
        }
        providers.insert(service.get_ref(), name);
    }
    providers
}

/// Resolves each domain's `supervises` (names, or `"*"` for every other
/// domain) into the domains it names, in manifest order; reports names of
/// no domain and a domain supervising itself.
pub(super) fn supervise(domains: &mut [DomainDraft], problems: &mut Problems) {
    let names: Vec<String> = domains.iter().filter_map(|d| d.name().map(str::to_string)).collect();
    for domain in domains.iter_mut() {
        let Some(own) = domain.name().map(str::to_string) else { continue };
        let what = key_of(&domain.label, "supervises");
        let mut wanted: Vec<&str> = Vec::new();
        for entry in &domain.supervises {
            let entry_name = entry.get_ref().as_str();
            if entry_name == "*" {
                wanted.extend(names.iter().map(String::as_str).filter(|name| *name != own));
            } else if entry_name == own {
                problems.at(&entry.span(), &what, "a domain cannot supervise itself".to_string());
            } else if names.iter().any(|name| name == entry_name) {
                wanted.push(entry_name);
            } else {
                let known: Vec<&str> = names.iter().map(String::as_str).collect();
                let help = did_you_mean(entry_name, &known, |close| format!("{close:?}"));
                let reason = format!("no domain is called {entry_name:?}");
                problems.report(Problem::at(&entry.span(), &what, reason).maybe_help(help));
            }
        }
        domain.supervised =
            names.iter().filter(|name| wanted.contains(&name.as_str())).cloned().collect();
    }
}
