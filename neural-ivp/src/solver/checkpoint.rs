//! Mid-run checkpoints of a Neural IVP run: everything the time-stepping loop carries from one
//! step to the next (θ and the integrator's stages and step size, the Monte Carlo points, the
//! preconditioners and warm starts, the restart policy, the records and snapshots so far), so
//! that a killed run resumes bit-identically. One safetensors file: the arrays as `F64`
//! tensors, the rest as TOML in the metadata (TOML keeps every `f64` exactly, NaN included).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use safetensors::{Dtype, SafeTensors, View};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::drive::Progress;
use crate::error::{IvpError, Result};
use crate::rk::{Integrator, IntegratorState};

/// The metadata key of the scalar state.
const STATE_KEY: &str = "neural_ivp_state";

/// Where a run keeps its checkpoint and how often it writes it.
///
/// # Example
/// ```no_run
/// use neural_ivp::{Checkpointing, NeuralIvp, NeuralIvpConfig, Silent, problems::Heat2d};
/// let solver = NeuralIvp::new(NeuralIvpConfig::default())?;
/// let ckpt = Checkpointing::new("run.ckpt", 60.0);
/// // Killed and run again with the same arguments, it resumes where the checkpoint left off.
/// let sol = solver.solve_checkpointed(&Heat2d::default(), 1.0, &[1.0], &mut Silent, &ckpt)?;
/// # Ok::<(), neural_ivp::IvpError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpointing {
    /// The checkpoint file (written through a temporary file renamed into place; removed when
    /// the run ends).
    pub path: PathBuf,
    /// Least seconds between two checkpoints (0: after every accepted step).
    pub every_seconds: f64,
    /// Stop with [`IvpError::Stopped`] after this many accepted steps, the checkpoint written
    /// (to interrupt a run on purpose, e.g. in tests).
    pub stop_after: Option<usize>,
}

impl Checkpointing {
    /// A checkpoint at `path` written at most every `every_seconds`.
    pub fn new(path: impl Into<PathBuf>, every_seconds: f64) -> Self {
        Self {
            path: path.into(),
            every_seconds,
            stop_after: None,
        }
    }
}

/// A checkpoint: what every method's run has (its key, the loop's progress, the integrator,
/// the wall time so far) and the method's own state `S`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "S: Serialize", deserialize = "S: DeserializeOwned"))]
pub(crate) struct Saved<S> {
    /// The run's configuration, problem, horizon and output times.
    key: String,
    steps_taken: usize,
    next_output: usize,
    snapshot_times: Vec<f64>,
    integrator: IntegratorState,
    wall_seconds: f64,
    /// The method's state.
    pub method: S,
}

/// When a run writes its checkpoint, and the run's key.
#[derive(Debug)]
pub(crate) struct Schedule<'a> {
    ckpt: &'a Checkpointing,
    key: String,
    last: Instant,
}

impl<'a> Schedule<'a> {
    /// The schedule of `ckpt` for the run `key` (its configuration, problem, horizon and
    /// output times, formatted).
    pub fn new(ckpt: &'a Checkpointing, key: String) -> Self {
        Self {
            ckpt,
            key,
            last: Instant::now(),
        }
    }

    /// The checkpoint on disk, if any, checked to belong to this run and to hold θ of `p`
    /// entries (`arrays.peek("rk.y")`, for building the integrator).
    ///
    /// # Errors
    /// [`IvpError::Checkpoint`] if it cannot be read or belongs to another run.
    pub fn load<S: DeserializeOwned>(&self, p: usize) -> Result<Option<(Saved<S>, Arrays)>> {
        if !self.ckpt.path.exists() {
            return Ok(None);
        }
        let (saved, arrays): (Saved<S>, Arrays) = read(&self.ckpt.path)?;
        if saved.key != self.key {
            return Err(IvpError::Checkpoint {
                path: self.ckpt.path.display().to_string(),
                detail: "it belongs to another run (configuration, problem, horizon or output \
                         times differ); remove it or choose another path"
                    .into(),
            });
        }
        let theta = arrays.peek("rk.y").len();
        if theta != p {
            return Err(IvpError::Checkpoint {
                path: self.ckpt.path.display().to_string(),
                detail: format!("θ has {theta} entries, the network {p}"),
            });
        }
        Ok(Some((saved, arrays)))
    }

    /// Restores a run from `saved`: the integrator (built with θ of the checkpoint), then the
    /// method's state by `method` (given the state, the remaining arrays and when the run would
    /// have started, for its wall-clock times); returns the loop's progress.
    ///
    /// # Errors
    /// [`IvpError::Checkpoint`] for missing or inconsistent arrays; those of `method`.
    pub fn resume<S>(
        &self,
        saved: Saved<S>,
        mut arrays: Arrays,
        rk: &mut Integrator,
        outputs: usize,
        method: impl FnOnce(S, &mut Arrays, Instant) -> Result<()>,
    ) -> Result<Progress> {
        let p = rk.y().len();
        let mut inner = || -> Result<Progress> {
            rk.restore(&saved.integrator, &mut arrays)?;
            if saved.snapshot_times.len() > outputs || saved.next_output > outputs {
                return Err(corrupt("more snapshots than output times".into()));
            }
            let snapshots = saved
                .snapshot_times
                .iter()
                .enumerate()
                .map(|(i, &t)| Ok((t, arrays.take(&format!("snapshot.{i}"), p)?)))
                .collect::<Result<Vec<_>>>()?;
            Ok(Progress {
                steps: saved.steps_taken,
                next: saved.next_output,
                snapshots,
            })
        };
        let progress = restoring(&self.ckpt.path, inner())?;
        let start = Instant::now()
            .checked_sub(Duration::from_secs_f64(saved.wall_seconds.max(0.0)))
            .unwrap_or_else(Instant::now);
        restoring(&self.ckpt.path, method(saved.method, &mut arrays, start))?;
        Ok(progress)
    }

    /// After a step: writes the checkpoint (the method's state from `method`, which also puts
    /// its arrays) if one is due, and stops the run with [`IvpError::Stopped`] if asked to
    /// stop here.
    ///
    /// # Errors
    /// Writing the checkpoint; the requested stop.
    pub fn after_step<S: Serialize>(
        &mut self,
        progress: &Progress,
        rk: &Integrator,
        start: Instant,
        method: impl FnOnce(&mut Arrays) -> S,
    ) -> Result<()> {
        let stop = self.ckpt.stop_after == Some(progress.steps);
        if stop || self.last.elapsed().as_secs_f64() >= self.ckpt.every_seconds {
            let mut arrays = Arrays::default();
            for (i, (_, theta)) in progress.snapshots.iter().enumerate() {
                arrays.put(format!("snapshot.{i}"), theta);
            }
            let saved = Saved {
                key: self.key.clone(),
                steps_taken: progress.steps,
                next_output: progress.next,
                snapshot_times: progress.snapshots.iter().map(|s| s.0).collect(),
                integrator: rk.save(&mut arrays),
                wall_seconds: start.elapsed().as_secs_f64(),
                method: method(&mut arrays),
            };
            write(&self.ckpt.path, &saved, &arrays)?;
            self.last = Instant::now();
        }
        if stop {
            return Err(IvpError::Stopped {
                step: progress.steps,
            });
        }
        Ok(())
    }

    /// Removes the checkpoint of a finished run (its result goes to the caller).
    pub fn finish(&self) {
        let _ = std::fs::remove_file(&self.ckpt.path);
    }
}

/// The arrays of a checkpoint, by name (in name order, so that equal states give equal files).
#[derive(Debug, Default)]
pub(crate) struct Arrays {
    items: BTreeMap<String, Vec<f64>>,
}

impl Arrays {
    /// Keeps `data` as `name`.
    pub fn put(&mut self, name: impl Into<String>, data: &[f64]) {
        self.items.insert(name.into(), data.to_vec());
    }

    /// Takes the array `name`, which must hold `len` entries.
    ///
    /// # Errors
    /// [`IvpError::Checkpoint`] if it is missing or of another length.
    pub fn take(&mut self, name: &str, len: usize) -> Result<Vec<f64>> {
        let v = self
            .items
            .remove(name)
            .ok_or_else(|| corrupt(format!("array `{name}` is missing")))?;
        if v.len() != len {
            return Err(corrupt(format!(
                "array `{name}` has {} entries, expected {len}",
                v.len()
            )));
        }
        Ok(v)
    }

    /// The array `name` (empty if missing: the restore that takes it reports that).
    pub fn peek(&self, name: &str) -> &[f64] {
        self.items.get(name).map_or(&[], Vec::as_slice)
    }

    /// Takes the array `name` whatever its length.
    ///
    /// # Errors
    /// [`IvpError::Checkpoint`] if it is missing.
    pub fn take_any(&mut self, name: &str) -> Result<Vec<f64>> {
        self.items
            .remove(name)
            .ok_or_else(|| corrupt(format!("array `{name}` is missing")))
    }
}

/// An error about a checkpoint's content (the path is filled in by [`read`]).
fn corrupt(detail: String) -> IvpError {
    IvpError::Checkpoint {
        path: String::new(),
        detail,
    }
}

fn at(path: &Path, e: IvpError) -> IvpError {
    match e {
        IvpError::Checkpoint { detail, .. } => IvpError::Checkpoint {
            path: path.display().to_string(),
            detail,
        },
        other => other,
    }
}

/// One array to write.
struct Tensor<'a>(&'a [f64], [usize; 1]);

impl View for Tensor<'_> {
    fn dtype(&self) -> Dtype {
        Dtype::F64
    }

    fn shape(&self) -> &[usize] {
        &self.1
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.0.iter().flat_map(|x| x.to_le_bytes()).collect())
    }

    fn data_len(&self) -> usize {
        8 * self.0.len()
    }
}

/// Writes `state` and `arrays` to `path` through a temporary file renamed into place.
///
/// # Errors
/// [`IvpError::Checkpoint`] if the state cannot be encoded or the file written.
pub(crate) fn write<S: Serialize>(path: &Path, state: &S, arrays: &Arrays) -> Result<()> {
    let fail = |detail: String| IvpError::Checkpoint {
        path: path.display().to_string(),
        detail,
    };
    let toml = toml::to_string(state).map_err(|e| fail(e.to_string()))?;
    let tensors = arrays
        .items
        .iter()
        .map(|(name, data)| (name.as_str(), Tensor(data, [data.len()])));
    let meta = HashMap::from([(STATE_KEY.to_owned(), toml)]);
    let bytes = safetensors::serialize(tensors, Some(meta)).map_err(|e| fail(e.to_string()))?;
    let tmp = path.with_extension("tmp");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    std::fs::write(&tmp, bytes).map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()))
}

/// Reads a checkpoint written by [`write`].
///
/// # Errors
/// [`IvpError::Checkpoint`] if the file cannot be read or decoded.
pub(crate) fn read<S: DeserializeOwned>(path: &Path) -> Result<(S, Arrays)> {
    let fail = |detail: String| IvpError::Checkpoint {
        path: path.display().to_string(),
        detail,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| fail(e.to_string()))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| fail(e.to_string()))?;
    let text = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(STATE_KEY))
        .ok_or_else(|| fail(format!("metadata `{STATE_KEY}` is missing")))?;
    let state = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
    let mut arrays = Arrays::default();
    for (name, view) in file.tensors() {
        if view.dtype() != Dtype::F64 {
            return Err(fail(format!("tensor `{name}` is not F64")));
        }
        let data = view
            .data()
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        arrays.items.insert(name, data);
    }
    Ok((state, arrays))
}

/// Attaches the path to a content error of a checkpoint being restored.
fn restoring<T>(path: &Path, r: Result<T>) -> Result<T> {
    r.map_err(|e| at(path, e))
}
