//! Default paths, resolved from the workspace root whatever the current directory is.

use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// `--state-dir` as given (relative to the current directory), else `runs/` at the workspace root.
pub fn state_dir(flag: Option<&Path>) -> PathBuf {
    match flag {
        Some(p) => std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
        None => workspace_root().join("runs"),
    }
}

/// A scenario name resolves under the workspace's fixtures/; anything with a slash is a path.
pub fn scenario_dir(name: &str) -> PathBuf {
    let as_path = Path::new(name);
    if name.contains('/') || as_path.is_absolute() {
        std::path::absolute(as_path).unwrap_or_else(|_| as_path.to_path_buf())
    } else {
        workspace_root().join("fixtures").join(name)
    }
}
