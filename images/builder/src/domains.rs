//! Domain programs: the binaries of the crates under `domains/` and
//! `drivers/`, found with `cargo metadata` and built for the board,
//! position-independent at 0.

use crate::cargo::cargo_command;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The target domain programs are built for: soft-float, so that the
/// compiler never uses FP/SIMD on its own and a domain pays for its FP/SIMD
/// state (switched lazily by the kernel) only where it asks for it.
pub const DOMAIN_TARGET: &str = "aarch64-unknown-none-softfloat";

/// The workspace folders whose crates provide domain programs.
pub const PROGRAM_DIRS: [&str; 2] = ["domains", "drivers"];

/// A crate under one of [`PROGRAM_DIRS`] and the programs (binaries) it
/// provides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainPackage {
    /// The package name, for `cargo -p`.
    pub name: String,
    /// Its binary targets: the programs a manifest may name.
    pub programs: Vec<String>,
}

/// Finds the workspace packages whose manifest lies under one of
/// [`PROGRAM_DIRS`].
pub fn domain_packages(root: &Path) -> Result<Vec<DomainPackage>> {
    let output = cargo_command(root)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .context("could not run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_metadata(&output.stdout)
}

/// The output of `cargo metadata`, as far as it is read here.
#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

/// The domain packages in `cargo metadata --format-version 1` output,
/// sorted by name.
fn parse_metadata(json: &[u8]) -> Result<Vec<DomainPackage>> {
    let metadata: Metadata =
        serde_json::from_slice(json).context("cannot read the output of cargo metadata")?;
    let dirs = PROGRAM_DIRS.map(|dir| metadata.workspace_root.join(dir));
    let mut packages: Vec<DomainPackage> = metadata
        .packages
        .into_iter()
        .filter(|package| dirs.iter().any(|dir| package.manifest_path.starts_with(dir)))
        .map(|package| {
            let mut programs: Vec<String> = package
                .targets
                .into_iter()
                .filter(|target| target.kind.iter().any(|kind| kind == "bin"))
                .map(|target| target.name)
                .collect();
            programs.sort();
            DomainPackage { name: package.name, programs }
        })
        .filter(|package| !package.programs.is_empty())
        .collect();
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(packages)
}

/// Every program the packages provide. Two packages providing the same
/// program is an error: their binaries would overwrite each other.
pub fn known_programs(packages: &[DomainPackage]) -> Result<BTreeSet<String>> {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for package in packages {
        for program in &package.programs {
            if let Some(first) = owner.insert(program, &package.name) {
                bail!(
                    "program {program} is a binary of both {first} and {}: rename one \
                     (domain programs share one output folder)",
                    package.name
                );
            }
        }
    }
    Ok(owner.into_keys().map(String::from).collect())
}

/// The cargo target directory of the domain programs.
pub fn programs_target_dir(root: &Path) -> PathBuf {
    root.join("target").join("domains")
}

/// Where the built programs land.
pub fn programs_dir(root: &Path) -> PathBuf {
    programs_target_dir(root).join(DOMAIN_TARGET).join("release")
}

/// `CARGO_ENCODED_RUSTFLAGS` for the programs: position-independent code,
/// linked as a PIE at 0 with `activations/link.ld` (flags separated by
/// 0x1f).
pub fn program_rustflags(root: &Path) -> String {
    let script = root.join("activations").join("link.ld");
    [
        "-Crelocation-model=pie".to_string(),
        "-Clink-arg=-pie".into(),
        format!("-Clink-arg=-T{}", script.display()),
    ]
    .join("\x1f")
}

/// Builds every program of `packages` for the board in one cargo run and
/// returns the folder holding the binaries (see [`programs_dir`]).
pub fn build_programs(root: &Path, packages: &[DomainPackage]) -> Result<PathBuf> {
    if packages.is_empty() {
        bail!(
            "there are no domain programs: no package under {} has a binary",
            root.join("domains").display()
        );
    }
    let mut cargo = cargo_command(root);
    cargo
        .args(["build", "--release", "--bins", "--target", DOMAIN_TARGET])
        .arg("--target-dir")
        .arg(programs_target_dir(root))
        .env("CARGO_ENCODED_RUSTFLAGS", program_rustflags(root));
    for package in packages {
        cargo.args(["--package", &package.name]);
    }
    let status = cargo.status().context("could not run cargo to build the domain programs")?;
    if !status.success() {
        bail!("building the domain programs failed: {status}");
    }
    Ok(programs_dir(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"{
        "packages": [
            {"name": "vesper-kernel", "manifest_path": "/ws/kernel/Cargo.toml",
             "targets": [{"name": "vesper-kernel", "kind": ["bin"]}]},
            {"name": "vesper-domains-stock", "manifest_path": "/ws/domains/stock/Cargo.toml",
             "targets": [{"name": "spin", "kind": ["bin"]}, {"name": "hello", "kind": ["bin"]}]},
            {"name": "vesper-domains-drivers", "manifest_path": "/ws/domains/drivers/Cargo.toml",
             "targets": [{"name": "support", "kind": ["lib"]}, {"name": "uart", "kind": ["bin"]}]},
            {"name": "vesper-activations", "manifest_path": "/ws/activations/Cargo.toml",
             "targets": [{"name": "vesper_activations", "kind": ["lib"]}]},
            {"name": "vesper-driver-systimer", "manifest_path": "/ws/drivers/systimer/Cargo.toml",
             "targets": [{"name": "systimer", "kind": ["bin"]}]},
            {"name": "vesper-service", "manifest_path": "/ws/drivers/service/Cargo.toml",
             "targets": [{"name": "vesper_service", "kind": ["lib"]}]},
            {"name": "elsewhere", "manifest_path": "/ws/domainsx/Cargo.toml",
             "targets": [{"name": "nope", "kind": ["bin"]}]}
        ],
        "workspace_root": "/ws",
        "version": 1
    }"#;

    #[test]
    fn packages_under_domains_and_drivers_and_their_binaries_are_found() {
        let packages = parse_metadata(METADATA.as_bytes()).unwrap();
        assert_eq!(
            packages,
            vec![
                DomainPackage {
                    name: "vesper-domains-drivers".into(),
                    programs: vec!["uart".into()]
                },
                DomainPackage {
                    name: "vesper-domains-stock".into(),
                    programs: vec!["hello".into(), "spin".into()]
                },
                DomainPackage {
                    name: "vesper-driver-systimer".into(),
                    programs: vec!["systimer".into()]
                },
            ]
        );
        let programs: Vec<String> = known_programs(&packages).unwrap().into_iter().collect();
        assert_eq!(programs, ["hello", "spin", "systimer", "uart"]);
    }

    #[test]
    fn a_program_in_two_packages_is_refused() {
        let packages = vec![
            DomainPackage { name: "a".into(), programs: vec!["x".into()] },
            DomainPackage { name: "b".into(), programs: vec!["x".into()] },
        ];
        let err = known_programs(&packages).unwrap_err().to_string();
        assert!(err.contains("program x is a binary of both a and b"), "{err}");
    }

    #[test]
    fn bad_metadata_is_an_error() {
        assert!(parse_metadata(b"{}").is_err());
        assert!(parse_metadata(b"not json").is_err());
    }

    #[test]
    fn programs_link_position_independent_with_the_activation_script() {
        let flags = program_rustflags(Path::new("/ws"));
        assert_eq!(
            flags.split('\x1f').collect::<Vec<_>>(),
            ["-Crelocation-model=pie", "-Clink-arg=-pie", "-Clink-arg=-T/ws/activations/link.ld"]
        );
        assert_eq!(
            programs_dir(Path::new("/ws")),
            Path::new("/ws/target/domains/aarch64-unknown-none-softfloat/release")
        );
    }
}
