//! The training loop shared by every scenario: minibatches, the refiner, validation, the
//! ledger, checkpoints and resumption.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::record::write_atomic;
use crate::{
    Decision, Interval, IntervalRecord, Ledger, MetricSource, Observer, Phase, Refiner, RunRecord,
    RunStatus, Schedule, TrainError, Validation,
};

/// A training problem the loop can drive: one update step on a minibatch with K solver
/// iterations, a validation, and saving/loading the trainable state.
pub(crate) trait Scenario {
    /// Number of trainable parameters.
    fn num_params(&self) -> usize;
    /// Number of training samples.
    fn train_len(&self) -> usize;
    /// Minibatch size.
    fn batch_size(&self) -> usize;
    /// One update step on the samples `batch` with `k` solver iterations; returns the loss.
    fn step(&mut self, batch: &[usize], k: usize, ledger: &mut Ledger) -> Result<f64, TrainError>;
    /// Validates the current model.
    fn validate(&mut self) -> Result<Validation, TrainError>;
    /// Saves parameters and optimiser state.
    fn save(&self, path: &Path) -> Result<(), TrainError>;
    /// Restores what [`Scenario::save`] wrote.
    fn load(&mut self, path: &Path) -> Result<(), TrainError>;
}

/// Where and how long a run goes.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Directory for checkpoints and the run record; a run finding a checkpoint of the same
    /// configuration there resumes from it. `None` keeps nothing on disk.
    pub dir: Option<PathBuf>,
    /// Stop (resumably) after this many intervals in this call (as if the process were killed
    /// at an interval boundary).
    pub stop_after: Option<usize>,
}

/// What identifies a run.
pub(crate) struct RunMeta<'a> {
    pub name: &'a str,
    pub config: serde_json::Value,
    pub seed: u64,
    pub epochs: usize,
    pub schedule: &'a Schedule,
}

const STATE_FILE: &str = "state.json";
const RECORD_FILE: &str = "record.json";

/// The loop's own state, checkpointed at every interval boundary.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoopState {
    epoch: usize,
    batch: usize,
    refiner: Refiner,
    ledger: Ledger,
    record: RunRecord,
    params_file: String,
    loss_sum: f64,
    loss_count: usize,
}

/// The order of the training samples in `epoch`: a shuffle from the run seed and the epoch
/// alone, so that a resumed run sees the same minibatches.
fn permutation(seed: u64, epoch: usize, len: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch as u64 + 1);
    let mut p: Vec<usize> = (0..len).collect();
    p.shuffle(&mut rng);
    p
}

/// Runs (or resumes) the training of `sc`.
pub(crate) fn train<S: Scenario>(
    sc: &mut S,
    meta: RunMeta<'_>,
    opts: &RunOptions,
    obs: &mut dyn Observer,
) -> Result<RunRecord, TrainError> {
    let batch = sc.batch_size();
    let n_train = sc.train_len();
    if batch == 0 || batch > n_train {
        return Err(TrainError::config(
            "batch_size",
            batch,
            &format!("between 1 and the {n_train} training samples"),
        ));
    }
    let steps_per_epoch = n_train / batch;
    let (interval, source) = match meta.schedule {
        Schedule::Prdp(c) => (c.interval, c.metric),
        _ => (Interval::Epochs(1), MetricSource::Validation),
    };
    let total_intervals = match interval {
        Interval::Epochs(n) => meta.epochs / n,
        Interval::Steps(n) => meta.epochs * steps_per_epoch / n,
    };
    if let Some(dir) = &opts.dir {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
    }
    let mut st = match resume(sc, &meta, opts.dir.as_deref())? {
        Some(st) => st,
        None => start(sc, &meta, opts.dir.as_deref())?,
    };
    obs.start(meta.name, total_intervals, st.record.intervals.len() - 1);
    let mut done_here = 0;
    let stop = |done: usize| opts.stop_after.is_some_and(|s| done >= s);
    while st.epoch < meta.epochs {
        let perm = permutation(meta.seed, st.epoch, n_train);
        while st.batch < steps_per_epoch {
            let idx = &perm[st.batch * batch..(st.batch + 1) * batch];
            let k = st.refiner.k();
            let step = st.ledger.update_steps + 1;
            let loss = match sc.step(idx, k, &mut st.ledger) {
                Ok(loss) if loss.is_finite() => loss,
                Ok(loss) => {
                    return Err(TrainError::Diverged {
                        step,
                        k,
                        detail: format!("the loss is {loss}"),
                    });
                }
                Err(e) if e.is_divergence() => {
                    return Err(TrainError::Diverged {
                        step,
                        k,
                        detail: e.to_string(),
                    });
                }
                Err(e) => return Err(e),
            };
            st.ledger.add_step(k);
            st.refiner.on_update_step();
            st.loss_sum += loss;
            st.loss_count += 1;
            st.batch += 1;
            if let Interval::Steps(n) = interval
                && st.ledger.update_steps.is_multiple_of(n as u64)
            {
                if st.batch == steps_per_epoch {
                    st.epoch += 1;
                    st.batch = 0;
                }
                end_interval(sc, &mut st, k, source, opts.dir.as_deref(), obs)?;
                done_here += 1;
                if stop(done_here) {
                    return Ok(stopped(st, obs));
                }
                if st.batch == 0 {
                    break;
                }
            }
        }
        if st.batch == steps_per_epoch {
            st.epoch += 1;
            st.batch = 0;
            if let Interval::Epochs(n) = interval
                && st.epoch.is_multiple_of(n)
            {
                let k = st.refiner.k();
                end_interval(sc, &mut st, k, source, opts.dir.as_deref(), obs)?;
                done_here += 1;
                if stop(done_here) && st.epoch < meta.epochs {
                    return Ok(stopped(st, obs));
                }
            }
        }
    }
    st.record.status = RunStatus::Completed;
    st.record.ledger = st.ledger;
    if let Some(dir) = &opts.dir {
        st.record.save(&dir.join(RECORD_FILE))?;
    }
    obs.finish();
    Ok(st.record)
}

fn stopped(mut st: LoopState, obs: &mut dyn Observer) -> RunRecord {
    obs.finish();
    st.record.status = RunStatus::Stopped;
    st.record.ledger = st.ledger;
    st.record
}

/// A fresh run: validates the untrained model (interval 0) and checkpoints.
fn start<S: Scenario>(
    sc: &mut S,
    meta: &RunMeta<'_>,
    dir: Option<&Path>,
) -> Result<LoopState, TrainError> {
    let mut refiner = Refiner::new(meta.schedule.clone())?;
    let mut ledger = Ledger::default();
    let t = Instant::now();
    let validation = sc.validate()?;
    ledger.add_time(Phase::Validation, t.elapsed());
    let k = refiner.k();
    let decision = match meta.schedule {
        Schedule::Prdp(c) if c.metric == MetricSource::TrainingLoss => Decision::Warmup,
        _ => refiner.observe(validation.metric)?,
    };
    let first = IntervalRecord {
        index: 0,
        epoch: 0,
        update_steps: 0,
        k,
        train_loss: None,
        validation,
        decision,
        cost: 0,
        primal_iters: 0,
        adjoint_iters: 0,
        wall_train_s: 0.0,
        wall_total_s: ledger.wall.training() + ledger.wall.validation,
    };
    let record = RunRecord {
        name: meta.name.to_owned(),
        config: meta.config.clone(),
        seed: meta.seed,
        crate_version: env!("CARGO_PKG_VERSION").to_owned(),
        num_params: sc.num_params(),
        intervals: vec![first],
        ledger,
        status: RunStatus::Running,
    };
    let mut st = LoopState {
        epoch: 0,
        batch: 0,
        refiner,
        ledger,
        record,
        params_file: String::new(),
        loss_sum: 0.0,
        loss_count: 0,
    };
    checkpoint(sc, &mut st, dir)?;
    Ok(st)
}

/// Loads the checkpoint in `dir` if there is one for this configuration.
fn resume<S: Scenario>(
    sc: &mut S,
    meta: &RunMeta<'_>,
    dir: Option<&Path>,
) -> Result<Option<LoopState>, TrainError> {
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join(STATE_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
    let st: LoopState = serde_json::from_slice(&bytes).map_err(|e| TrainError::format(&path, e))?;
    if st.record.config != meta.config || st.record.seed != meta.seed {
        return Err(TrainError::format(
            &path,
            "the checkpoint belongs to another configuration or seed; use another directory or delete it",
        ));
    }
    sc.load(&dir.join(&st.params_file))?;
    Ok(Some(st))
}

/// Validates, lets the refiner decide, records the interval and checkpoints.
fn end_interval<S: Scenario>(
    sc: &mut S,
    st: &mut LoopState,
    k: usize,
    source: MetricSource,
    dir: Option<&Path>,
    obs: &mut dyn Observer,
) -> Result<(), TrainError> {
    let t = Instant::now();
    let validation = sc.validate()?;
    st.ledger.add_time(Phase::Validation, t.elapsed());
    let train_loss = st.loss_sum / st.loss_count.max(1) as f64;
    let decision = st.refiner.observe(match source {
        MetricSource::Validation => validation.metric,
        MetricSource::TrainingLoss => train_loss,
    })?;
    let train_loss = Some(train_loss);
    let rec = IntervalRecord {
        index: st.record.intervals.len(),
        epoch: st.epoch,
        update_steps: st.ledger.update_steps,
        k,
        train_loss,
        validation,
        decision,
        cost: st.ledger.cost,
        primal_iters: st.ledger.solver.primal_iters,
        adjoint_iters: st.ledger.solver.adjoint_iters,
        wall_train_s: st.ledger.wall.training(),
        wall_total_s: st.ledger.wall.training() + st.ledger.wall.validation,
    };
    obs.interval(&rec);
    st.record.intervals.push(rec);
    st.loss_sum = 0.0;
    st.loss_count = 0;
    checkpoint(sc, st, dir)
}

/// Writes the scenario state under a new name, then the loop state naming it (atomically), then
/// removes the previous scenario file: a crash at any point leaves a consistent checkpoint.
fn checkpoint<S: Scenario>(
    sc: &S,
    st: &mut LoopState,
    dir: Option<&Path>,
) -> Result<(), TrainError> {
    let Some(dir) = dir else { return Ok(()) };
    let previous = std::mem::take(&mut st.params_file);
    st.params_file = format!("params-{}.bin", st.record.intervals.len() - 1);
    sc.save(&dir.join(&st.params_file))?;
    st.record.ledger = st.ledger;
    let json =
        serde_json::to_vec(&*st).map_err(|e| TrainError::format(&dir.join(STATE_FILE), e))?;
    write_atomic(&dir.join(STATE_FILE), &json)?;
    st.record.save(&dir.join(RECORD_FILE))?;
    if !previous.is_empty() && previous != st.params_file {
        let old = dir.join(previous);
        std::fs::remove_file(&old).map_err(|e| TrainError::io(&old, e))?;
    }
    Ok(())
}
