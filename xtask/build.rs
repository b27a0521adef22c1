//! Embeds the commit this binary is built from, and whether tracked files differed from it, so
//! that a summary names the code that ran even when the binary outlives its work tree (a copy
//! running for hours while the tree moves on).

use std::process::Command;

fn main() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let commit = git(&["rev-parse", "HEAD"]).map_or_else(
        || "unknown".to_owned(),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
    );
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|o| !o.stdout.is_empty());
    println!("cargo:rustc-env=PRDP_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=PRDP_BUILD_DIRTY={dirty}");
    // Run again when the commit moves or a tracked source changes (a directory is scanned
    // whole).
    let root = std::path::Path::new("..");
    // (Only paths that exist: a missing one would rerun the script at every build.)
    for path in [
        ".git/HEAD",
        ".git/logs/HEAD",
        ".git/index",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        let path = root.join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    for entry in std::fs::read_dir(root)
        .expect("the workspace root")
        .flatten()
    {
        let path = entry.path();
        if path.join("Cargo.toml").is_file() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}
