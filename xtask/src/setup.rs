//! Making sure the host has what building and running Vesper needs: the
//! pinned toolchain's targets and components, QEMU, gdb.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Debian package that provides `qemu-system-aarch64`.
pub const QEMU_PACKAGE: &str = "qemu-system-arm";
/// The Debian package that provides `gdb-multiarch`.
pub const GDB_PACKAGE: &str = "gdb-multiarch";

/// Whether `program` can be found on the PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Makes sure `program` is installed: if it is missing and we run as root on
/// a machine with apt-get, installs Debian's `package` (saying so);
/// otherwise stops with the command to run.
pub fn ensure_program(program: &str, package: &str) -> Result<()> {
    if on_path(program) {
        return Ok(());
    }
    let command = format!("apt-get update && apt-get install -y {package}");
    if !(is_root() && on_path("apt-get")) {
        bail!("`{program}` is missing. Install it with:\n    sudo sh -c '{command}'");
    }
    eprintln!("xtask: `{program}` is missing; installing Debian's {package} ...");
    let status = Command::new("sh")
        .args(["-c", &command])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("could not run apt-get")?;
    if !status.success() || !on_path(program) {
        bail!("installing {package} failed ({status}); try:\n    {command}");
    }
    Ok(())
}

/// Makes sure QEMU for AArch64 is installed.
pub fn ensure_qemu() -> Result<()> {
    ensure_program("qemu-system-aarch64", QEMU_PACKAGE)
}

/// The file that pins the toolchain, in the workspace root.
pub const TOOLCHAIN_FILE: &str = "rust-toolchain.toml";

/// The toolchain [`TOOLCHAIN_FILE`] pins: what every build needs. (Keys
/// this check has no use for are left to rustup.)
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct PinnedToolchain {
    /// Its channel, e.g. `1.95.0`.
    pub channel: String,
    /// The targets it must have besides the host's (the board's).
    #[serde(default)]
    pub targets: Vec<String>,
    /// The components it must have, as rustup names them (`clippy`).
    #[serde(default)]
    pub components: Vec<String>,
    /// The rustup profile it is installed with (`minimal`).
    pub profile: Option<String>,
}

impl PinnedToolchain {
    /// Parses the text of a [`TOOLCHAIN_FILE`].
    pub fn parse(text: &str) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct File {
            toolchain: PinnedToolchain,
        }
        Ok(toml::from_str::<File>(text)?.toolchain)
    }

    /// Reads the [`TOOLCHAIN_FILE`] of the workspace at `root`.
    pub fn read(root: &Path) -> Result<Self> {
        let path = root.join(TOOLCHAIN_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("reading {}", path.display()))
    }
}

/// What an installed toolchain lacks of a [`PinnedToolchain`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Missing {
    /// The toolchain is not installed at all.
    pub toolchain: bool,
    /// Targets it lacks.
    pub targets: Vec<String>,
    /// Components it lacks.
    pub components: Vec<String>,
}

impl Missing {
    /// Whether nothing is missing.
    pub fn is_empty(&self) -> bool {
        !self.toolchain && self.targets.is_empty() && self.components.is_empty()
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.toolchain {
            return f.write_str("the whole toolchain");
        }
        let parts: Vec<String> = [("target", &self.targets), ("component", &self.components)]
            .into_iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(kind, names)| listed(kind, names))
            .collect();
        f.write_str(&parts.join(" and "))
    }
}

/// `target a` or `targets a, b`.
fn listed(kind: &str, names: &[String]) -> String {
    let plural = if names.len() > 1 { "s" } else { "" };
    format!("{kind}{plural} {}", names.join(", "))
}

/// What the toolchain in `dir` (a folder of `$RUSTUP_HOME/toolchains`, or
/// `None` if there is none) lacks of `pinned`.
///
/// Reads rustup's own record of what it installed there,
/// `lib/rustlib/multirust-config.toml` (a few hundred bytes): no rustup
/// process, no network, so a build that lacks nothing pays nothing. A
/// folder without that record is a toolchain rustup did not install
/// (`rustup toolchain link`), which rustup cannot add to either: it is
/// taken as complete.
pub fn missing(pinned: &PinnedToolchain, dir: Option<&Path>) -> Result<Missing> {
    let Some(dir) = dir.filter(|dir| dir.is_dir()) else {
        return Ok(Missing {
            toolchain: true,
            targets: pinned.targets.clone(),
            components: pinned.components.clone(),
        });
    };
    let record = dir.join("lib/rustlib/multirust-config.toml");
    let text = match std::fs::read_to_string(&record) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Missing::default()),
        Err(err) => return Err(err).with_context(|| format!("reading {}", record.display())),
    };
    #[derive(serde::Deserialize)]
    struct Record {
        #[serde(default)]
        components: Vec<Installed>,
    }
    #[derive(serde::Deserialize)]
    struct Installed {
        pkg: String,
        target: Option<String>,
    }
    let record: Record =
        toml::from_str(&text).with_context(|| format!("reading {}", record.display()))?;
    // A target is its standard library; a component is recorded under its
    // package name, which for some is the name with `-preview` (`clippy`
    // installs `clippy-preview`).
    let has_target = |target: &str| {
        record.components.iter().any(|c| c.pkg == "rust-std" && c.target.as_deref() == Some(target))
    };
    let has_component = |name: &str| {
        record
            .components
            .iter()
            .any(|c| c.pkg == name || c.pkg.strip_suffix("-preview").is_some_and(|pkg| pkg == name))
    };
    Ok(Missing {
        toolchain: false,
        targets: pinned.targets.iter().filter(|t| !has_target(t)).cloned().collect(),
        components: pinned.components.iter().filter(|c| !has_component(c)).cloned().collect(),
    })
}

/// One rustup command that installs part of what a toolchain lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Install {
    /// What it is for, said before it runs (`the toolchain 1.95.0 lacks
    /// target aarch64-unknown-none; installing it`).
    pub announcement: String,
    /// Its arguments, after `rustup`.
    pub args: Vec<String>,
}

impl Install {
    /// The command as one would type it.
    pub fn command_line(&self) -> String {
        format!("rustup {}", self.args.join(" "))
    }
}

/// The rustup commands that install what the toolchain `name` lacks of
/// `pinned`: the whole toolchain with its targets and components, or the
/// targets and the components it lacks.
pub fn installs(pinned: &PinnedToolchain, name: &str, missing: &Missing) -> Vec<Install> {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    if missing.toolchain {
        let mut args = strings(&["toolchain", "install", name]);
        if let Some(profile) = &pinned.profile {
            args.extend(strings(&["--profile", profile]));
        }
        if !pinned.targets.is_empty() {
            args.extend(["--target".to_string(), pinned.targets.join(",")]);
        }
        if !pinned.components.is_empty() {
            args.extend(["--component".to_string(), pinned.components.join(",")]);
        }
        let announcement =
            format!("the toolchain {name} of {TOOLCHAIN_FILE} is not installed; installing it");
        return vec![Install { announcement, args }];
    }
    [("target", &missing.targets), ("component", &missing.components)]
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(kind, names)| {
            let them = if names.len() > 1 { "them" } else { "it" };
            let lacks = listed(kind, names);
            let mut args = strings(&[kind, "add", "--toolchain", name]);
            args.extend(names.iter().cloned());
            Install {
                announcement: format!("the toolchain {name} lacks {lacks}; installing {them}"),
                args,
            }
        })
        .collect()
}

/// Where rustup keeps its toolchains, and which one runs this command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rustup {
    /// The `rustup` program that installs what is missing.
    pub program: PathBuf,
    /// `$RUSTUP_HOME` (default `~/.rustup`), holding `toolchains/`.
    pub home: PathBuf,
    /// The toolchain rustup's proxy chose for this command
    /// (`$RUSTUP_TOOLCHAIN`, which it sets to a full name such as
    /// `1.95.0-x86_64-unknown-linux-gnu`, or a path); `None` when this
    /// command was not started through the proxy.
    pub active: Option<String>,
}

impl Rustup {
    /// rustup as this command's environment shows it, or `None` if this
    /// machine's Rust does not come from rustup (nothing to check then).
    pub fn from_env() -> Option<Self> {
        let home = std::env::var_os("RUSTUP_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".rustup")))?;
        let active = std::env::var("RUSTUP_TOOLCHAIN").ok().filter(|name| !name.is_empty());
        let rustup = Self { program: "rustup".into(), home, active };
        (rustup.active.is_some() || rustup.home.join("toolchains").is_dir()).then_some(rustup)
    }

    /// The toolchain builds use, as `(name, folder)`: the one the proxy
    /// chose (cargo's children inherit `RUSTUP_TOOLCHAIN`, so they build
    /// with it too), else the installed one of `channel`, if any. The name
    /// is `channel` when it is that toolchain, as rustup takes it.
    pub fn toolchain(&self, channel: &str) -> (String, Option<PathBuf>) {
        let of_channel = |name: &str| name == channel || name.starts_with(&format!("{channel}-"));
        let toolchains = self.home.join("toolchains");
        match &self.active {
            Some(path) if Path::new(path).is_absolute() => (path.clone(), Some(path.into())),
            Some(name) if toolchains.join(name).is_dir() => {
                let shown = if of_channel(name) { channel } else { name };
                (shown.to_string(), Some(toolchains.join(name)))
            }
            _ => {
                let mut installed: Vec<PathBuf> = std::fs::read_dir(&toolchains)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter(|entry| of_channel(&entry.file_name().to_string_lossy()))
                    .map(|entry| entry.path())
                    .collect();
                installed.sort();
                (channel.to_string(), installed.into_iter().next())
            }
        }
    }

    /// Makes sure the toolchain builds use has everything `pinned` lists:
    /// installs what it lacks with rustup, saying so, and checks again.
    pub fn ensure(&self, pinned: &PinnedToolchain) -> Result<()> {
        let (name, dir) = self.toolchain(&pinned.channel);
        let lacking = missing(pinned, dir.as_deref())?;
        if lacking.is_empty() {
            return Ok(());
        }
        for install in installs(pinned, &name, &lacking) {
            let line = install.command_line();
            eprintln!("xtask: {}: {line}", install.announcement);
            let status = Command::new(&self.program)
                .args(&install.args)
                .status()
                .with_context(|| format!("could not run `{line}` (is rustup installed?)"))?;
            if !status.success() {
                bail!("`{line}` failed ({status}); run it by hand, then try again");
            }
        }
        let (_, dir) = self.toolchain(&pinned.channel);
        let lacking = missing(pinned, dir.as_deref())?;
        if !lacking.is_empty() {
            bail!("rustup did not install everything: the toolchain {name} still lacks {lacking}");
        }
        Ok(())
    }
}

/// Makes sure the toolchain pinned in the workspace at `root` has its
/// targets and components before anything is built: rustup's proxy adds
/// them only when it installs the toolchain itself, and not at all with
/// `RUSTUP_AUTO_INSTALL=0`, and a build without the board's target stops
/// at "can't find crate for `core`".
pub fn ensure_toolchain(root: &Path) -> Result<()> {
    let pinned = PinnedToolchain::read(root)?;
    match Rustup::from_env() {
        Some(rustup) => rustup.ensure(&pinned),
        None => Ok(()),
    }
}
