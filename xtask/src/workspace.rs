//! Where things are in the workspace: its root, and the release build of the `e2eb` CLI that
//! the tasks timing whole processes run.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// Where cargo puts what it builds for the workspace: `CARGO_TARGET_DIR` when it is set (a
/// relative one taken from the workspace root, where the tasks run their builds), else `target/`.
pub fn target_dir() -> PathBuf {
    let root = workspace_root();
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| root.join("target"), |dir| root.join(dir))
}

/// Builds the `e2eb` CLI in release mode (a no-op when it is fresh) and returns its path.
pub fn e2eb_binary() -> Result<PathBuf, String> {
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args(["build", "--release", "--quiet", "-p", "e2eb-cli"])
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err("building e2eb failed".into());
    }
    Ok(target_dir().join("release/e2eb"))
}
