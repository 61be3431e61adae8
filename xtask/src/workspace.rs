//! The checkout the workshop works in: `cargo xtask` always runs from one.

use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A scenario name resolves under the workspace's fixtures/; anything with a slash is a path.
pub fn scenario_dir(name: &str) -> PathBuf {
    let as_path = Path::new(name);
    if name.contains('/') || as_path.is_absolute() {
        std::path::absolute(as_path).unwrap_or_else(|_| as_path.to_path_buf())
    } else {
        root().join("fixtures").join(name)
    }
}
