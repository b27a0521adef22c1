//! Exclusive use of a run directory: two processes training in one directory would overwrite
//! each other's checkpoints.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::TrainError;

const LOCK_FILE: &str = "lock";

/// Exclusive use of a run directory while a run uses it: a `lock` file holding the process
/// id, created with `create_new` and removed on drop (so also on error returns).
#[derive(Debug)]
pub(crate) struct RunLock {
    path: PathBuf,
}

impl RunLock {
    /// Locks `dir`, taking over a lock whose process no longer exists (a run killed with
    /// SIGKILL leaves its lock behind).
    ///
    /// # Errors
    /// [`TrainError::Locked`] if a live process holds the lock, [`TrainError::Format`] if the
    /// lock file holds no process id, [`TrainError::Io`].
    pub(crate) fn acquire(dir: &Path) -> Result<Self, TrainError> {
        let path = dir.join(LOCK_FILE);
        if create_lock(&path)? {
            return Ok(Self { path });
        }
        let pid = lock_holder(&path)?;
        if process_alive(pid) {
            return Err(TrainError::Locked {
                dir: dir.display().to_string(),
                pid,
            });
        }
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(TrainError::io(&path, e));
            }
            _ => {}
        }
        if create_lock(&path)? {
            return Ok(Self { path });
        }
        Err(TrainError::Locked {
            dir: dir.display().to_string(),
            pid: lock_holder(&path)?,
        })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Nothing to report to: at worst the next run finds a lock of a dead process and
        // takes it over.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Creates the lock file at `path` holding this process's id; `false` if it exists.
fn create_lock(path: &Path) -> Result<bool, TrainError> {
    let file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(path);
    match file {
        Ok(mut f) => {
            write!(f, "{}", std::process::id()).map_err(|e| TrainError::io(path, e))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(TrainError::io(path, e)),
    }
}

/// The process id in the lock file at `path`.
fn lock_holder(path: &Path) -> Result<u32, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    text.trim().parse().map_err(|_| {
        TrainError::format(
            path,
            format!("`{text}` is not a process id; delete the file if no run uses the directory"),
        )
    })
}

/// Whether process `pid` exists (on Linux; elsewhere every process counts as alive, so a
/// stale lock must be deleted by hand).
#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    // A zombie (ended, not yet reaped: its parent, e.g. an MPI launcher, is gone or busy)
    // holds nothing.
    std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).is_ok_and(
        |stat| {
            stat.rsplit_once(')')
                .is_none_or(|(_, rest)| !rest.trim_start().starts_with('Z'))
        },
    )
}

/// Whether process `pid` exists (on Linux; elsewhere every process counts as alive, so a
/// stale lock must be deleted by hand).
#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
}
