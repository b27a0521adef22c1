//! The training loop shared by every scenario: minibatches, the refiner, validation, the
//! ledger, checkpoints and resumption.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::record::{IntervalLog, RecordHeader, read_records, write_atomic};
use crate::run_lock::RunLock;
use crate::{
    Decision, Interval, IntervalRecord, KSchedule, Ledger, MetricSource, Observer, Phase, Ranks,
    Refiner, RunRecord, RunStatus, Silent, TrainError, Validation,
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
    /// Directory for the checkpoint (`state.json` and the `params-*.bin` it names), the
    /// intervals as JSON lines (`intervals.jsonl`) and the whole record (`record.json`, written
    /// when the run completes or stops); a run finding a checkpoint of the same configuration
    /// there resumes from it. A run locks the directory while it uses it
    /// ([`TrainError::Locked`]). `None` keeps nothing on disk.
    pub dir: Option<PathBuf>,
    /// Stop (resumably) after this many intervals in this call (as if the process were killed
    /// at an interval boundary).
    pub stop_after: Option<usize>,
    /// The ranks the run is spread over (data-parallel training; one process by default).
    /// Every rank runs the same loop on its blocks of each minibatch; rank 0 alone locks the
    /// directory, writes checkpoints and records and reports to the observer; the others
    /// resume from rank 0's checkpoint.
    pub ranks: Ranks,
    /// The least wall time between two checkpoints (zero, the default: at every interval).
    /// Intervals of short runs take milliseconds, and a checkpoint per interval then costs
    /// more than the training (new files are slow to create); with a few seconds here, a
    /// killed run loses at most that much work and still resumes bit-identically (the
    /// interval log is cut back to the checkpoint). The first interval, the last one and a
    /// stop are always checkpointed.
    pub checkpoint_every: Duration,
}

/// What identifies a run.
pub(crate) struct RunMeta<'a> {
    pub name: &'a str,
    pub config: serde_json::Value,
    pub seed: u64,
    pub epochs: usize,
    pub schedule: &'a KSchedule,
}

const STATE_FILE: &str = "state.json";
const RECORD_FILE: &str = "record.json";
const INTERVALS_FILE: &str = "intervals.jsonl";

/// The loop's own state, written to `state.json` at every interval boundary; the intervals
/// themselves are appended to `intervals.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoopState {
    epoch: usize,
    batch: usize,
    refiner: Refiner,
    ledger: Ledger,
    params_file: String,
    loss_sum: f64,
    loss_count: usize,
    /// Intervals recorded: the first this many lines of `intervals.jsonl` belong to the run.
    intervals: usize,
    header: RecordHeader,
}

/// A run in progress: its state, its intervals so far and, on rank 0 with a run directory,
/// their log.
struct Run {
    st: LoopState,
    intervals: Vec<IntervalRecord>,
    log: Option<IntervalLog>,
    ranks: Ranks,
    /// When rank 0 last wrote a checkpoint.
    saved_at: Instant,
}

impl Run {
    /// Adds an interval to the record and appends it to the log.
    fn push(&mut self, rec: IntervalRecord) -> Result<(), TrainError> {
        let appended = match &mut self.log {
            Some(log) => log.append(&rec),
            None => Ok(()),
        };
        self.ranks.agree(appended)?;
        self.intervals.push(rec);
        Ok(())
    }
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

/// Runs (or resumes) the training of `sc`, holding the run directory's lock meanwhile.
pub(crate) fn train<S: Scenario + ?Sized>(
    sc: &mut S,
    meta: RunMeta<'_>,
    opts: &RunOptions,
    obs: &mut dyn Observer,
) -> Result<RunRecord, TrainError> {
    let batch = sc.batch_size();
    let n_train = sc.train_len();
    opts.ranks.agree(if batch == 0 || batch > n_train {
        Err(TrainError::config(
            "batch_size",
            batch,
            &format!("between 1 and the {n_train} training samples"),
        ))
    } else {
        Ok(())
    })?;
    let steps_per_epoch = n_train / batch;
    let (interval, source) = match meta.schedule {
        KSchedule::Prdp(c) => (c.interval, c.metric),
        _ => (Interval::Epochs(1), MetricSource::Validation),
    };
    let total_intervals = match interval {
        Interval::Epochs(n) => meta.epochs / n,
        Interval::Steps(n) => meta.epochs * steps_per_epoch / n,
    };
    let dir = opts.dir.as_deref();
    let ranks = &opts.ranks;
    let mut silent = Silent;
    let obs: &mut dyn Observer = if ranks.is_root() { obs } else { &mut silent };
    let _lock = ranks.agree(match dir {
        Some(dir) if ranks.is_root() => std::fs::create_dir_all(dir)
            .map_err(|e| TrainError::io(dir, e))
            .and_then(|()| RunLock::acquire(dir))
            .map(Some),
        _ => Ok(None),
    })?;
    let mut run = match ranks.agree(resume(sc, &meta, dir, ranks))? {
        Some(run) => run,
        None => start(sc, &meta, dir, ranks)?,
    };
    obs.start(meta.name, total_intervals, run.intervals.len() - 1);
    let mut done_here = 0;
    let stop = |done: usize| opts.stop_after.is_some_and(|s| done >= s);
    while run.st.epoch < meta.epochs {
        let perm = permutation(meta.seed, run.st.epoch, n_train);
        while run.st.batch < steps_per_epoch {
            let st = &mut run.st;
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
                end_interval(sc, &mut run, k, source, obs)?;
                done_here += 1;
                let last = run.st.epoch >= meta.epochs;
                checkpoint_if_due(sc, &mut run, dir, opts, last || stop(done_here))?;
                if stop(done_here) {
                    return finish(run, RunStatus::Stopped, dir, obs);
                }
                if run.st.batch == 0 {
                    break;
                }
            }
        }
        if run.st.batch == steps_per_epoch {
            run.st.epoch += 1;
            run.st.batch = 0;
            if let Interval::Epochs(n) = interval
                && run.st.epoch.is_multiple_of(n)
            {
                let k = run.st.refiner.k();
                end_interval(sc, &mut run, k, source, obs)?;
                done_here += 1;
                let last = run.st.epoch >= meta.epochs;
                checkpoint_if_due(sc, &mut run, dir, opts, last || stop(done_here))?;
                if stop(done_here) && run.st.epoch < meta.epochs {
                    return finish(run, RunStatus::Stopped, dir, obs);
                }
            }
        }
    }
    finish(run, RunStatus::Completed, dir, obs)
}

/// Ends the run with `status`: writes the whole record to `record.json` and returns it.
fn finish(
    run: Run,
    status: RunStatus,
    dir: Option<&Path>,
    obs: &mut dyn Observer,
) -> Result<RunRecord, TrainError> {
    let record = run.st.header.record(run.intervals, run.st.ledger, status);
    run.ranks.agree(match dir {
        Some(dir) if run.ranks.is_root() => record.save(&dir.join(RECORD_FILE)),
        _ => Ok(()),
    })?;
    obs.finish();
    Ok(record)
}

/// A fresh run: validates the untrained model (interval 0) and checkpoints.
fn start<S: Scenario + ?Sized>(
    sc: &mut S,
    meta: &RunMeta<'_>,
    dir: Option<&Path>,
    ranks: &Ranks,
) -> Result<Run, TrainError> {
    let mut refiner = Refiner::new(meta.schedule.clone())?;
    let mut ledger = Ledger::default();
    let t = Instant::now();
    let validation = sc.validate()?;
    ledger.add_time(Phase::Validation, t.elapsed());
    let k = refiner.k();
    let decision = match meta.schedule {
        KSchedule::Prdp(c) if c.metric == MetricSource::TrainingLoss => Decision::Warmup,
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
    let header = RecordHeader {
        name: meta.name.to_owned(),
        config: meta.config.clone(),
        seed: meta.seed,
        crate_version: env!("CARGO_PKG_VERSION").to_owned(),
        num_params: sc.num_params(),
    };
    let mut run = Run {
        st: LoopState {
            epoch: 0,
            batch: 0,
            refiner,
            ledger,
            params_file: String::new(),
            loss_sum: 0.0,
            loss_count: 0,
            intervals: 0,
            header,
        },
        intervals: Vec::new(),
        log: ranks.agree(
            dir.filter(|_| ranks.is_root())
                .map(|d| IntervalLog::create(&d.join(INTERVALS_FILE)))
                .transpose(),
        )?,
        ranks: ranks.clone(),
        saved_at: Instant::now(),
    };
    run.push(first)?;
    checkpoint(sc, &mut run, dir)?;
    Ok(run)
}

/// Loads the checkpoint in `dir` if there is one for this configuration, with the intervals
/// it records (rank 0 reopens the log; the other ranks only read it).
fn resume<S: Scenario + ?Sized>(
    sc: &mut S,
    meta: &RunMeta<'_>,
    dir: Option<&Path>,
    ranks: &Ranks,
) -> Result<Option<Run>, TrainError> {
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join(STATE_FILE);
    let exists = path.exists();
    let mut on_root = vec![u8::from(exists)];
    ranks.broadcast_bytes(&mut on_root);
    ranks.agree(if on_root[0] == u8::from(exists) {
        Ok(())
    } else {
        Err(TrainError::format(
            &path,
            "rank 0 and this rank disagree on whether it exists; the run directory must be on a file system every rank shares",
        ))
    })?;
    if !exists {
        return Ok(None);
    }
    let loaded = (|| {
        let bytes = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
        let st: LoopState =
            serde_json::from_slice(&bytes).map_err(|e| TrainError::format(&path, e))?;
        if st.header.config != meta.config || st.header.seed != meta.seed {
            return Err(TrainError::format(
                &path,
                "the checkpoint belongs to another configuration or seed; use another directory or delete it",
            ));
        }
        if st.intervals == 0 {
            return Err(TrainError::format(
                &path,
                "the checkpoint records no interval",
            ));
        }
        let log_path = dir.join(INTERVALS_FILE);
        let (log, intervals) = if ranks.is_root() {
            let (log, intervals) = IntervalLog::resume(&log_path, st.intervals)?;
            (Some(log), intervals)
        } else {
            (None, read_records(&log_path, st.intervals)?)
        };
        sc.load(&dir.join(&st.params_file))?;
        Ok((st, log, intervals))
    })();
    // Every rank has read the checkpoint before rank 0 removes anything.
    let (st, log, intervals) = ranks.agree(loaded)?;
    if ranks.is_root() {
        remove_stale_params(dir, &st.params_file)?;
    }
    Ok(Some(Run {
        st,
        intervals,
        log,
        ranks: ranks.clone(),
        saved_at: Instant::now(),
    }))
}

/// Validates, lets the refiner decide and records the interval.
fn end_interval<S: Scenario + ?Sized>(
    sc: &mut S,
    run: &mut Run,
    k: usize,
    source: MetricSource,
    obs: &mut dyn Observer,
) -> Result<(), TrainError> {
    let st = &mut run.st;
    let t = Instant::now();
    let validation = sc.validate()?;
    st.ledger.add_time(Phase::Validation, t.elapsed());
    let train_loss = st.loss_sum / st.loss_count.max(1) as f64;
    let decision = st.refiner.observe(match source {
        MetricSource::Validation => validation.metric,
        MetricSource::TrainingLoss => train_loss,
    })?;
    let rec = IntervalRecord {
        index: run.intervals.len(),
        epoch: st.epoch,
        update_steps: st.ledger.update_steps,
        k,
        train_loss: Some(train_loss),
        validation,
        decision,
        cost: st.ledger.cost,
        primal_iters: st.ledger.solver.primal_iters,
        adjoint_iters: st.ledger.solver.adjoint_iters,
        wall_train_s: st.ledger.wall.training(),
        wall_total_s: st.ledger.wall.training() + st.ledger.wall.validation,
    };
    st.loss_sum = 0.0;
    st.loss_count = 0;
    obs.interval(&rec);
    run.push(rec)
}

/// Checkpoints if `force`d or if `opts.checkpoint_every` has passed since the last
/// checkpoint; rank 0's clock decides for every rank.
fn checkpoint_if_due<S: Scenario + ?Sized>(
    sc: &S,
    run: &mut Run,
    dir: Option<&Path>,
    opts: &RunOptions,
    force: bool,
) -> Result<(), TrainError> {
    if dir.is_none() {
        return Ok(());
    }
    let mut due = vec![u8::from(
        force || run.saved_at.elapsed() >= opts.checkpoint_every,
    )];
    if run.ranks.size() > 1 {
        run.ranks.broadcast_bytes(&mut due);
    }
    if due[0] == 0 {
        return Ok(());
    }
    checkpoint(sc, run, dir)?;
    run.saved_at = Instant::now();
    Ok(())
}

/// Writes the scenario state under a new name, then the loop state naming it (atomically),
/// then removes every other parameter file: a crash at any point leaves a consistent
/// checkpoint.
fn checkpoint<S: Scenario + ?Sized>(
    sc: &S,
    run: &mut Run,
    dir: Option<&Path>,
) -> Result<(), TrainError> {
    let Some(dir) = dir else { return Ok(()) };
    let st = &mut run.st;
    st.intervals = run.intervals.len();
    st.params_file = format!("params-{}.bin", st.intervals - 1);
    if !run.ranks.is_root() {
        return run.ranks.agree(Ok(()));
    }
    let saved = sc.save(&dir.join(&st.params_file)).and_then(|()| {
        let path = dir.join(STATE_FILE);
        let json = serde_json::to_vec(&*st).map_err(|e| TrainError::format(&path, e))?;
        write_atomic(&path, &json)?;
        remove_stale_params(dir, &st.params_file)
    });
    run.ranks.agree(saved)
}

/// Removes every parameter file in `dir` but `keep`, the one the state on disk names: those of
/// earlier intervals (a run killed between saving new parameters and removing the old ones
/// leaves them behind) and the temporary files of interrupted saves.
fn remove_stale_params(dir: &Path, keep: &str) -> Result<(), TrainError> {
    let io = |e| TrainError::io(dir, e);
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name != keep
            && name.starts_with("params-")
            && (name.ends_with(".bin") || name.ends_with(".tmp"))
        {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| TrainError::io(&path, e))?;
        }
    }
    Ok(())
}
