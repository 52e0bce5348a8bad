//! Vesper's build tool as a library: finding the workspace, making sure the
//! host has QEMU, and booting images in QEMU. The `xtask` binary is its
//! command line; the integration tests in `tests/` use it too.

pub mod qemu;
pub mod setup;
pub mod test_summary;

use std::path::PathBuf;

/// The workspace's root folder (the one holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let xtask_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().expect("xtask/ sits in the workspace root").to_path_buf()
}
