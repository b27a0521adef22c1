//! Run records: what a training run did, interval by interval, as JSON.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Decision, Ledger, TrainError};

/// The validation of one interval.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Validation {
    /// The metric the controller watches: the PRDP paper's eq. 56, the mean over the validation
    /// set of ‖u⁽ᵗ⁾ − u⁽ᵗ⁾ʳᵉᶠ‖² / ‖u⁽ᵗ⁾ʳᵉᶠ‖² at the scenario's rollout step t (the parameter
    /// error ‖θ − θ_ref‖/‖θ_ref‖ for the inverse problem).
    pub metric: f64,
    /// nMSE (squared, as eq. 56) after each rollout step 1, 2, ….
    pub nmse_per_step: Vec<f64>,
    /// nRMSE ‖u − u_ref‖/‖u_ref‖ averaged over samples after each rollout step (the APEBench
    /// convention).
    pub nrmse_per_step: Vec<f64>,
}

/// One interval of a run (an epoch, or a number of update steps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalRecord {
    /// Interval index (0 is the untrained model).
    pub index: usize,
    /// Epochs completed.
    pub epoch: usize,
    /// Update steps completed.
    pub update_steps: u64,
    /// K in force during the interval.
    pub k: usize,
    /// Mean training loss over the interval's update steps (none for interval 0).
    pub train_loss: Option<f64>,
    /// Validation after the interval.
    pub validation: Validation,
    /// The controller's decision after the interval (K for the next interval follows from it).
    pub decision: Decision,
    /// Cumulative cost Σ K so far.
    pub cost: u64,
    /// Cumulative primal solver iterations (all samples and solver calls).
    pub primal_iters: u64,
    /// Cumulative adjoint solver iterations.
    pub adjoint_iters: u64,
    /// Cumulative wall time of training (validation excluded), seconds.
    pub wall_train_s: f64,
    /// Cumulative wall time including validation, seconds.
    pub wall_total_s: f64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running. This version writes a record only when its run completes or stops;
    /// records of earlier versions' interrupted runs say this.
    Running,
    /// All epochs done.
    Completed,
    /// Stopped early on request (a budget of intervals).
    Stopped,
}

/// Everything a training run did, written as JSON next to its checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Experiment name.
    pub name: String,
    /// The run's configuration, as given.
    pub config: serde_json::Value,
    /// The run seed (network initialisation and minibatch order).
    pub seed: u64,
    /// Version of prdp-train that produced the record.
    pub crate_version: String,
    /// Number of trainable parameters.
    pub num_params: usize,
    /// One entry per interval, starting with the untrained model.
    pub intervals: Vec<IntervalRecord>,
    /// Final totals.
    pub ledger: Ledger,
    /// How the run ended.
    pub status: RunStatus,
}

impl RunRecord {
    /// The last validation metric.
    pub fn final_metric(&self) -> f64 {
        self.intervals
            .last()
            .map_or(f64::NAN, |i| i.validation.metric)
    }

    /// K_max in the PRDP paper's terms: the K the run ended training with, that of its last
    /// interval. A refinement decided after the last interval raises no K that trained, so it
    /// does not count.
    pub fn final_k(&self) -> usize {
        self.intervals.last().map_or(0, |i| i.k)
    }

    /// Writes the record as pretty JSON (atomically: to a temporary file, then renamed).
    ///
    /// # Errors
    /// [`TrainError::Io`] if the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| TrainError::format(path, e))?;
        write_atomic(path, &json)
    }

    /// Reads a record.
    ///
    /// # Errors
    /// [`TrainError::Io`] or [`TrainError::Format`] naming the file.
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| TrainError::format(path, e))
    }
}

/// The fields of a [`RunRecord`] fixed when its run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RecordHeader {
    /// Experiment name.
    pub name: String,
    /// The run's configuration, as given.
    pub config: serde_json::Value,
    /// The run seed.
    pub seed: u64,
    /// Version of prdp-train that started the run.
    pub crate_version: String,
    /// Number of trainable parameters.
    pub num_params: usize,
}

impl RecordHeader {
    /// The record of a run with this header.
    pub fn record(
        &self,
        intervals: Vec<IntervalRecord>,
        ledger: Ledger,
        status: RunStatus,
    ) -> RunRecord {
        RunRecord {
            name: self.name.clone(),
            config: self.config.clone(),
            seed: self.seed,
            crate_version: self.crate_version.clone(),
            num_params: self.num_params,
            intervals,
            ledger,
            status,
        }
    }
}

/// A run's intervals as JSON lines, one [`IntervalRecord`] per line, appended as the run goes
/// (rewriting every interval at every interval made long runs spend most of their time on
/// JSON).
#[derive(Debug)]
pub(crate) struct IntervalLog {
    path: PathBuf,
    file: File,
}

impl IntervalLog {
    /// A new, empty log at `path` (replacing any file there).
    pub fn create(path: &Path) -> Result<Self, TrainError> {
        let file = File::create(path).map_err(|e| TrainError::io(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    /// Opens the log at `path` and reads its first `n` records, cutting off whatever follows
    /// them: the checkpoint of a run records `n` intervals, and a run killed after appending
    /// an interval but before checkpointing it leaves one more line, possibly torn.
    ///
    /// # Errors
    /// [`TrainError::Format`] if the log holds fewer than `n` complete records, or a record
    /// out of place.
    pub fn resume(path: &Path, n: usize) -> Result<(Self, Vec<IntervalRecord>), TrainError> {
        let io = |e| TrainError::io(path, e);
        let mut file = File::options()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let (records, end) = parse_records(path, &bytes, n)?;
        file.set_len(end as u64).map_err(io)?;
        Ok((
            Self {
                path: path.to_owned(),
                file,
            },
            records,
        ))
    }

    /// Appends `rec` as one line.
    pub fn append(&mut self, rec: &IntervalRecord) -> Result<(), TrainError> {
        let mut line = serde_json::to_vec(rec).map_err(|e| TrainError::format(&self.path, e))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .map_err(|e| TrainError::io(&self.path, e))
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a crash never
/// leaves a half-written file behind.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| TrainError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| TrainError::io(path, e))
}

/// The first `n` interval records of the log at `path`, read without changing the file (the
/// other ranks of a data-parallel run, while rank 0 owns the log).
///
/// # Errors
/// As [`IntervalLog::resume`].
pub(crate) fn read_records(path: &Path, n: usize) -> Result<Vec<IntervalRecord>, TrainError> {
    let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
    Ok(parse_records(path, &bytes, n)?.0)
}

/// The first `n` complete records in `bytes` and the length of the lines holding them.
fn parse_records(
    path: &Path,
    bytes: &[u8],
    n: usize,
) -> Result<(Vec<IntervalRecord>, usize), TrainError> {
    let mut records = Vec::with_capacity(n);
    let mut end = 0;
    for (index, line) in bytes.split_inclusive(|&b| b == b'\n').take(n).enumerate() {
        let Some(json) = line.strip_suffix(b"\n") else {
            break;
        };
        let rec: IntervalRecord = serde_json::from_slice(json)
            .map_err(|e| TrainError::format(path, format!("line {}: {e}", index + 1)))?;
        if rec.index != index {
            return Err(TrainError::format(
                path,
                format!("line {} records interval {}", index + 1, rec.index),
            ));
        }
        records.push(rec);
        end += line.len();
    }
    if records.len() < n {
        return Err(TrainError::format(
            path,
            format!(
                "{} complete interval records, but the checkpoint (state.json) counts {n}",
                records.len()
            ),
        ));
    }
    Ok((records, end))
}
