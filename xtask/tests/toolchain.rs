//! The toolchain check every building command starts with, on a fake
//! `RUSTUP_HOME` in a temporary folder: what is reported missing, the
//! rustup commands that install it, and the whole check run against a
//! stand-in `rustup` (no network).

use std::path::{Path, PathBuf};
use xtask::setup::{installs, missing, Missing, PinnedToolchain, Rustup};

const HOST: &str = "x86_64-unknown-linux-gnu";

fn pinned() -> PinnedToolchain {
    PinnedToolchain::parse(
        r#"
[toolchain]
channel = "1.95.0"
targets = ["aarch64-unknown-none", "aarch64-unknown-none-softfloat"]
components = ["clippy", "rustfmt"]
profile = "minimal"
"#,
    )
    .unwrap()
}

/// An empty `RUSTUP_HOME`, new for each test.
fn rustup_home(name: &str) -> PathBuf {
    let home =
        std::env::temp_dir().join(format!("vesper-xtask-toolchain-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(home.join("toolchains")).unwrap();
    home
}

/// rustup's record of what a toolchain holds, as `(package, target)`.
fn record(packages: &[(&str, &str)]) -> String {
    packages
        .iter()
        .map(|(pkg, target)| {
            format!(
                "[[components]]\npkg = \"{pkg}\"\ntarget = \"{target}\"\nis_extension = false\n"
            )
        })
        .fold("config_version = \"1\"\n".to_string(), |text, entry| text + "\n" + &entry)
}

/// Installs a fake toolchain `name` in `home` holding `packages`; returns
/// its folder.
fn install(home: &Path, name: &str, packages: &[(&str, &str)]) -> PathBuf {
    let dir = home.join("toolchains").join(name);
    std::fs::create_dir_all(dir.join("lib/rustlib")).unwrap();
    std::fs::write(dir.join("lib/rustlib/multirust-config.toml"), record(packages)).unwrap();
    dir
}

/// What `rustup toolchain install 1.95.0 --profile minimal` alone gives.
const MINIMAL: [(&str, &str); 3] = [("rustc", HOST), ("cargo", HOST), ("rust-std", HOST)];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_workspace_pins_the_board_targets_and_clippy() {
    let pinned = PinnedToolchain::read(&xtask::workspace_root()).unwrap();
    assert!(pinned.channel.starts_with("1."), "a pinned release: {}", pinned.channel);
    for target in ["aarch64-unknown-none", "aarch64-unknown-none-softfloat"] {
        assert!(pinned.targets.iter().any(|t| t == target), "{target} missing: {pinned:?}");
    }
    assert!(pinned.components.iter().any(|c| c == "clippy"), "{pinned:?}");
    assert_eq!(pinned, PinnedToolchain { channel: pinned.channel.clone(), ..self::pinned() });
}

#[test]
fn a_toolchain_installed_without_targets_lacks_them_and_its_components() {
    let home = rustup_home("bare");
    let dir = install(&home, &format!("1.95.0-{HOST}"), &MINIMAL);
    let lacking = missing(&pinned(), Some(&dir)).unwrap();
    assert_eq!(
        lacking,
        Missing {
            toolchain: false,
            targets: strings(&["aarch64-unknown-none", "aarch64-unknown-none-softfloat"]),
            components: strings(&["clippy", "rustfmt"]),
        }
    );
    assert_eq!(
        lacking.to_string(),
        "targets aarch64-unknown-none, aarch64-unknown-none-softfloat and components clippy, \
         rustfmt"
    );
    let plan = installs(&pinned(), "1.95.0", &lacking);
    let lines: Vec<(String, String)> =
        plan.iter().map(|i| (i.announcement.clone(), i.command_line())).collect();
    assert_eq!(
        lines,
        [
            (
                "the toolchain 1.95.0 lacks targets aarch64-unknown-none, \
                 aarch64-unknown-none-softfloat; installing them"
                    .to_string(),
                "rustup target add --toolchain 1.95.0 aarch64-unknown-none \
                 aarch64-unknown-none-softfloat"
                    .to_string()
            ),
            (
                "the toolchain 1.95.0 lacks components clippy, rustfmt; installing them"
                    .to_string(),
                "rustup component add --toolchain 1.95.0 clippy rustfmt".to_string()
            ),
        ]
    );
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn only_what_is_absent_is_installed_and_a_complete_toolchain_needs_nothing() {
    let home = rustup_home("partial");
    let mut packages = MINIMAL.to_vec();
    packages.extend([
        ("rust-std", "aarch64-unknown-none-softfloat"),
        // rustup records clippy and rustfmt under their package names.
        ("clippy-preview", HOST),
        ("rustfmt-preview", HOST),
    ]);
    let dir = install(&home, &format!("1.95.0-{HOST}"), &packages);
    let lacking = missing(&pinned(), Some(&dir)).unwrap();
    assert_eq!(lacking.targets, ["aarch64-unknown-none"]);
    assert!(lacking.components.is_empty() && !lacking.toolchain);
    let plan = installs(&pinned(), "1.95.0", &lacking);
    assert_eq!(plan.len(), 1);
    assert_eq!(
        format!("xtask: {}: {}", plan[0].announcement, plan[0].command_line()),
        "xtask: the toolchain 1.95.0 lacks target aarch64-unknown-none; installing it: rustup \
         target add --toolchain 1.95.0 aarch64-unknown-none"
    );

    packages.push(("rust-std", "aarch64-unknown-none"));
    let dir = install(&home, &format!("1.95.0-{HOST}"), &packages);
    let lacking = missing(&pinned(), Some(&dir)).unwrap();
    assert!(lacking.is_empty(), "{lacking:?}");
    assert!(installs(&pinned(), "1.95.0", &lacking).is_empty());
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_toolchain_not_installed_is_installed_whole() {
    let home = rustup_home("none");
    let rustup = Rustup { program: "rustup".into(), home: home.clone(), active: None };
    let (name, dir) = rustup.toolchain("1.95.0");
    assert_eq!((name.as_str(), dir.as_deref()), ("1.95.0", None));
    let lacking = missing(&pinned(), None).unwrap();
    assert!(lacking.toolchain);
    assert_eq!(lacking.to_string(), "the whole toolchain");
    let plan = installs(&pinned(), "1.95.0", &lacking);
    assert_eq!(plan.len(), 1);
    assert_eq!(
        plan[0].announcement,
        "the toolchain 1.95.0 of rust-toolchain.toml is not installed; installing it"
    );
    assert_eq!(
        plan[0].command_line(),
        "rustup toolchain install 1.95.0 --profile minimal --target \
         aarch64-unknown-none,aarch64-unknown-none-softfloat --component clippy,rustfmt"
    );
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn the_toolchain_checked_is_the_one_builds_use() {
    let home = rustup_home("which");
    let pinned_dir = install(&home, &format!("1.95.0-{HOST}"), &MINIMAL);
    let stable_dir = install(&home, &format!("stable-{HOST}"), &MINIMAL);
    let with_active = |active: Option<String>| {
        Rustup { program: "rustup".into(), home: home.clone(), active }.toolchain("1.95.0")
    };
    // Started through rustup's proxy, from the toolchain file: named as
    // the file names it.
    assert_eq!(
        with_active(Some(format!("1.95.0-{HOST}"))),
        ("1.95.0".into(), Some(pinned_dir.clone()))
    );
    // `cargo +stable xtask`: cargo's children build with stable too.
    assert_eq!(
        with_active(Some(format!("stable-{HOST}"))),
        (format!("stable-{HOST}"), Some(stable_dir))
    );
    // Not through the proxy: the installed toolchain of the channel.
    assert_eq!(with_active(None), ("1.95.0".into(), Some(pinned_dir.clone())));
    // A toolchain rustup did not install (linked): nothing to check.
    std::fs::remove_file(pinned_dir.join("lib/rustlib/multirust-config.toml")).unwrap();
    assert!(missing(&pinned(), Some(&pinned_dir)).unwrap().is_empty());
    std::fs::remove_dir_all(&home).unwrap();
}

/// A stand-in `rustup` that logs its arguments to `calls` and, for
/// `target add` and `component add`, records the packages in the
/// toolchain at `dir` as rustup would; or that fails if `fail`.
#[cfg(unix)]
fn fake_rustup(home: &Path, dir: &Path, fail: bool) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = home.join("rustup");
    let record = dir.join("lib/rustlib/multirust-config.toml");
    let text = format!(
        r#"#!/bin/sh
echo "$*" >> "{calls}"
{fail}
kind="$1"; shift 4
for name in "$@"; do
    case "$kind" in
        target) printf '\n[[components]]\npkg = "rust-std"\ntarget = "%s"\n' "$name" ;;
        component) printf '\n[[components]]\npkg = "%s-preview"\ntarget = "{HOST}"\n' "$name" ;;
    esac >> "{record}"
done
"#,
        calls = home.join("calls").display(),
        fail = if fail { "exit 1" } else { "" },
        record = record.display(),
    );
    std::fs::write(&script, text).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[cfg(unix)]
#[test]
fn the_check_installs_what_is_missing_once_then_finds_nothing_to_do() {
    let home = rustup_home("ensure");
    let name = format!("1.95.0-{HOST}");
    let dir = install(&home, &name, &MINIMAL);
    let rustup =
        Rustup { program: fake_rustup(&home, &dir, false), home: home.clone(), active: Some(name) };
    rustup.ensure(&pinned()).unwrap();
    let calls = std::fs::read_to_string(home.join("calls")).unwrap();
    assert_eq!(
        calls,
        "target add --toolchain 1.95.0 aarch64-unknown-none aarch64-unknown-none-softfloat\n\
         component add --toolchain 1.95.0 clippy rustfmt\n"
    );
    assert!(missing(&pinned(), Some(&dir)).unwrap().is_empty());
    // Everything is there now: rustup is not run again.
    rustup.ensure(&pinned()).unwrap();
    assert_eq!(std::fs::read_to_string(home.join("calls")).unwrap(), calls);
    std::fs::remove_dir_all(&home).unwrap();
}

#[cfg(unix)]
#[test]
fn a_failing_install_stops_the_command_with_the_command_to_run() {
    let home = rustup_home("fail");
    let name = format!("1.95.0-{HOST}");
    let mut packages = MINIMAL.to_vec();
    packages.extend([("clippy-preview", HOST), ("rustfmt-preview", HOST)]);
    packages.push(("rust-std", "aarch64-unknown-none-softfloat"));
    let dir = install(&home, &name, &packages);
    let rustup =
        Rustup { program: fake_rustup(&home, &dir, true), home: home.clone(), active: Some(name) };
    let err = rustup.ensure(&pinned()).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "`rustup target add --toolchain 1.95.0 aarch64-unknown-none` failed (exit status: 1)"
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&home).unwrap();
}
