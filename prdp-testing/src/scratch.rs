//! Scratch directories.

use std::path::PathBuf;

/// An empty directory `prdp-<name>-<process id>` under the system's temporary directory
/// (removed first if a previous run left it).
///
/// # Panics
/// If the directory cannot be removed or created.
pub fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("prdp-{name}-{}", std::process::id()));
    if d.exists() {
        std::fs::remove_dir_all(&d).expect("remove the previous scratch directory");
    }
    std::fs::create_dir_all(&d).expect("create the scratch directory");
    d
}
