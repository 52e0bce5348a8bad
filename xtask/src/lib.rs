//! Vesper's build tool as a library: finding the workspace, making sure the
//! host has the pinned toolchain's targets and QEMU, and booting images in
//! QEMU. The `xtask` binary is its command line; the integration tests in
//! `tests/` use it too.

pub mod bench;
pub mod breakdown;
pub mod chainboot;
pub mod compare;
pub mod figures;
pub mod gdb;
pub mod qemu;
pub mod screenshot;
pub mod setup;
pub mod test_summary;
pub mod trace;

use std::path::{Path, PathBuf};

/// The manifest that `build`, `run` and `gdb` use when given none, relative
/// to the workspace root.
pub const DEFAULT_MANIFEST: &str = "images/demo.toml";

/// The workspace's root folder (the one holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let xtask_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().expect("xtask/ sits in the workspace root").to_path_buf()
}

/// The manifest a command line names: [`DEFAULT_MANIFEST`] in `root` when
/// none; a relative path as seen from `cwd` if a file is there, otherwise
/// from `root` (so `images/demo.toml` works from any folder of the
/// workspace).
pub fn manifest_path(arg: Option<&Path>, cwd: &Path, root: &Path) -> PathBuf {
    match arg {
        None => root.join(DEFAULT_MANIFEST),
        Some(path) if path.is_absolute() => path.to_path_buf(),
        Some(path) if cwd.join(path).is_file() => cwd.join(path),
        Some(path) => root.join(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_resolve_from_the_current_folder_then_the_root() {
        let root = workspace_root();
        let elsewhere = root.join("xtask");
        assert_eq!(manifest_path(None, &elsewhere, &root), root.join("images/demo.toml"));
        assert_eq!(
            manifest_path(Some(Path::new("/abs/x.toml")), &elsewhere, &root),
            Path::new("/abs/x.toml")
        );
        // xtask/Cargo.toml exists as seen from xtask/, not from the root.
        assert_eq!(
            manifest_path(Some(Path::new("Cargo.toml")), &elsewhere, &root),
            elsewhere.join("Cargo.toml")
        );
        assert_eq!(
            manifest_path(Some(Path::new("images/demo.toml")), &elsewhere, &root),
            root.join("images/demo.toml")
        );
    }
}
