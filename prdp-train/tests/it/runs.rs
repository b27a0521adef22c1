//! Whole training runs: learning, resumption, divergence and configuration errors.

use std::io::Write;
use std::path::{Path, PathBuf};

use prdp_nn::{LrSchedule, Optimizer};
use prdp_pde::DataSpec;
use prdp_solvers::{DiffMode, Method};
use prdp_testing::scratch_dir;
use prdp_train::{
    Experiment, IntervalRecord, KSchedule, Observer, PrdpConfig, RunOptions, RunRecord, RunStatus,
    ScenarioConfig, Silent, TrainError, presets,
};

/// Heat 1D with a small data set: 40 training samples, batches of 10, `epochs` epochs.
fn small_heat(epochs: usize, schedule: KSchedule) -> Experiment {
    let mut c = presets::heat_emulator(1);
    c.data = DataSpec {
        train: 40,
        validation: 5,
        ..DataSpec::default()
    };
    c.batch_size = 10;
    c.epochs = epochs;
    c.optimizer = Optimizer::adam(LrSchedule::Constant { value: 3e-3 });
    presets::experiment("heat1d-small", ScenarioConfig::Emulator(c), schedule, 7)
}

/// Runs `exp` in `dir`, stopping after `stop_after` intervals if given.
fn run_in(
    exp: &Experiment,
    dir: &Path,
    stop_after: Option<usize>,
) -> Result<RunRecord, TrainError> {
    let opts = RunOptions {
        dir: Some(dir.to_path_buf()),
        stop_after,
        ..RunOptions::default()
    };
    exp.run(&opts, None, &mut Silent)
}

/// The record with every wall time zeroed: what two runs of one configuration share.
fn without_wall_times(mut r: RunRecord) -> RunRecord {
    for i in &mut r.intervals {
        i.wall_train_s = 0.0;
        i.wall_total_s = 0.0;
    }
    r.ledger.wall = Default::default();
    r
}

/// The names of the parameter files in `dir`, sorted.
fn params_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("params-"))
        .collect();
    names.sort();
    names
}

/// The parameter file the checkpoint in `dir` names.
fn named_params(dir: &Path) -> String {
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("state.json")).unwrap()).unwrap();
    state["params_file"].as_str().unwrap().to_owned()
}

fn prdp() -> KSchedule {
    KSchedule::Prdp(PrdpConfig {
        delta: 2,
        tau_step: 0.98,
        ema_window: Some(2),
        ..PrdpConfig::default()
    })
}

#[test]
fn heat1d_training_loss_and_validation_decrease() {
    let rec = small_heat(12, KSchedule::Fixed { k: 25 })
        .run(&RunOptions::default(), None, &mut Silent)
        .unwrap();
    assert_eq!(rec.status, RunStatus::Completed);
    assert_eq!(rec.intervals.len(), 13);
    let first = rec.intervals[1].train_loss.unwrap();
    let last = rec.intervals.last().unwrap();
    assert!(
        last.train_loss.unwrap() < 0.3 * first,
        "loss {first} -> {:?}",
        last.train_loss
    );
    assert!(rec.final_metric() < 0.5 * rec.intervals[0].validation.metric);
    assert_eq!(rec.ledger.update_steps, 48);
    assert_eq!(rec.ledger.cost, 48 * 25);
    // Each step solves 10 samples forward (and 10 adjoint systems) of at most 25 iterations,
    // fewer once a solve reaches ε = 1e-5.
    let p = rec.ledger.solver.primal_iters;
    assert!(
        p <= 48 * 10 * 25 && p > 48 * 10 * 20,
        "{p} primal iterations"
    );
    assert_eq!(last.validation.nmse_per_step.len(), 2);
    assert!(rec.ledger.wall.network > 0.0 && rec.ledger.wall.physics_forward > 0.0);
}

#[test]
fn a_resumed_run_ends_with_the_same_parameters_and_record() {
    let exp = small_heat(4, prdp());
    let full_dir = scratch_dir("train-full");
    let resumed_dir = scratch_dir("train-resumed");
    let full = exp
        .run(
            &RunOptions {
                dir: Some(full_dir.clone()),
                stop_after: None,
                ..RunOptions::default()
            },
            None,
            &mut Silent,
        )
        .unwrap();
    // Killed after one interval, then again after another, then run to the end.
    for _ in 0..2 {
        let part = exp
            .run(
                &RunOptions {
                    dir: Some(resumed_dir.clone()),
                    stop_after: Some(1),
                    ..RunOptions::default()
                },
                None,
                &mut Silent,
            )
            .unwrap();
        assert_eq!(part.status, RunStatus::Stopped);
    }
    let resumed = exp
        .run(
            &RunOptions {
                dir: Some(resumed_dir.clone()),
                stop_after: None,
                ..RunOptions::default()
            },
            None,
            &mut Silent,
        )
        .unwrap();
    assert_eq!(resumed.status, RunStatus::Completed);
    let metrics = |r: &prdp_train::RunRecord| {
        r.intervals
            .iter()
            .map(|i| {
                (
                    i.k,
                    i.train_loss.map(f64::to_bits),
                    i.validation.metric.to_bits(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(metrics(&full), metrics(&resumed));
    assert_eq!(full.ledger.cost, resumed.ledger.cost);
    let last = format!("params-{}.bin", full.intervals.len() - 1);
    let load = |d: &PathBuf| prdp_nn::Checkpoint::<f32>::load(d.join(&last)).unwrap();
    let (a, b) = (load(&full_dir), load(&resumed_dir));
    assert_eq!(a.params, b.params);
    assert_eq!(a.optimizer, b.optimizer);
    // A checkpoint of another configuration is not silently reused.
    let other = small_heat(5, prdp());
    let e = other
        .run(
            &RunOptions {
                dir: Some(resumed_dir.clone()),
                stop_after: None,
                ..RunOptions::default()
            },
            None,
            &mut Silent,
        )
        .unwrap_err();
    assert!(e.to_string().contains("another configuration"), "{e}");
    std::fs::remove_dir_all(full_dir).unwrap();
    std::fs::remove_dir_all(resumed_dir).unwrap();
}

#[test]
fn a_run_killed_between_appending_and_checkpointing_resumes_to_the_same_record() {
    let exp = small_heat(5, prdp());
    let full_dir = scratch_dir("train-full-log");
    let dir = scratch_dir("train-torn-log");
    let full = without_wall_times(run_in(&exp, &full_dir, None).unwrap());
    let part = run_in(&exp, &dir, Some(2)).unwrap();
    assert_eq!(part.status, RunStatus::Stopped);
    assert_eq!(part.intervals.len(), 3);
    assert_eq!(RunRecord::load(&dir.join("record.json")).unwrap(), part);
    // As if killed after appending interval 3 but before checkpointing it, and again while
    // appending interval 4: a complete line and a torn one beyond what the state counts.
    let log = dir.join("intervals.jsonl");
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines.lines().count(), 3);
    let mut extra = part.intervals[2].clone();
    extra.index = 3;
    extra.validation.metric = 1e9;
    let mut file = std::fs::File::options().append(true).open(&log).unwrap();
    writeln!(file, "{}", serde_json::to_string(&extra).unwrap()).unwrap();
    write!(file, "{{\"index\":4,\"epo").unwrap();
    drop(file);
    let resumed = run_in(&exp, &dir, None).unwrap();
    assert_eq!(resumed.status, RunStatus::Completed);
    assert_eq!(resumed.intervals.len(), 6);
    assert_eq!(without_wall_times(resumed.clone()), full);
    // The log holds exactly the record's intervals, and record.json the whole record.
    let logged: Vec<IntervalRecord> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(logged, resumed.intervals);
    assert_eq!(RunRecord::load(&dir.join("record.json")).unwrap(), resumed);
    std::fs::remove_dir_all(full_dir).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

/// Kills the run (a panic) when interval `at` ends, after noting how many intervals the
/// checkpoint on disk holds then.
struct KillAt {
    dir: PathBuf,
    at: usize,
    on_disk: Option<u64>,
}

impl Observer for KillAt {
    fn interval(&mut self, record: &IntervalRecord) {
        if record.index == self.at {
            let state: serde_json::Value =
                serde_json::from_slice(&std::fs::read(self.dir.join("state.json")).unwrap())
                    .unwrap();
            self.on_disk = state["intervals"].as_u64();
            panic!("killed at interval {}", self.at);
        }
    }
}

#[test]
fn throttled_checkpoints_lose_only_recomputable_work() {
    let exp = small_heat(5, prdp());
    let full_dir = scratch_dir("train-full-throttle");
    let dir = scratch_dir("train-throttled");
    let full = without_wall_times(run_in(&exp, &full_dir, None).unwrap());
    let opts = RunOptions {
        dir: Some(dir.clone()),
        checkpoint_every: std::time::Duration::from_secs(3600),
        ..RunOptions::default()
    };
    let mut kill = KillAt {
        dir: dir.clone(),
        at: 3,
        on_disk: None,
    };
    let killed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        exp.run(&opts, None, &mut kill)
    }));
    assert!(killed.is_err());
    // Only the first interval was checkpointed; with the default, interval 2 would be.
    assert_eq!(kill.on_disk, Some(1));
    let resumed = exp.run(&opts, None, &mut Silent).unwrap();
    assert_eq!(without_wall_times(resumed.clone()), full);
    // The last interval is always checkpointed: a finished run stays finished.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("state.json")).unwrap()).unwrap();
    assert_eq!(
        state["intervals"].as_u64(),
        Some(full.intervals.len() as u64)
    );
    std::fs::remove_dir_all(full_dir).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_log_shorter_than_its_checkpoint_is_an_error_naming_it() {
    let exp = small_heat(3, prdp());
    let dir = scratch_dir("train-short-log");
    run_in(&exp, &dir, Some(1)).unwrap();
    let log = dir.join("intervals.jsonl");
    let first = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(&log, format!("{first}\n")).unwrap();
    let e = run_in(&exp, &dir, None).unwrap_err();
    assert!(matches!(e, TrainError::Format { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("intervals.jsonl") && msg.contains("1 complete interval records"),
        "{msg}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn stale_parameter_files_are_removed_once_the_state_is_on_disk() {
    let exp = small_heat(3, prdp());
    let dir = scratch_dir("train-stale");
    run_in(&exp, &dir, Some(1)).unwrap();
    assert_eq!(params_files(&dir), ["params-1.bin"]);
    // A run killed between saving new parameters and removing the old ones, and one killed
    // while saving.
    std::fs::copy(dir.join("params-1.bin"), dir.join("params-0.bin")).unwrap();
    std::fs::write(dir.join("params-2.bin.tmp"), b"torn").unwrap();
    std::fs::write(dir.join("params-notes.txt"), b"not a parameter file").unwrap();
    run_in(&exp, &dir, Some(1)).unwrap();
    assert_eq!(named_params(&dir), "params-2.bin");
    assert_eq!(params_files(&dir), ["params-2.bin", "params-notes.txt"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Checks at every interval that the run directory's lock holds this process's id.
struct SeesLock(PathBuf);

impl Observer for SeesLock {
    fn interval(&mut self, _: &IntervalRecord) {
        let pid = std::fs::read_to_string(self.0.join("lock")).unwrap();
        assert_eq!(pid, std::process::id().to_string());
    }
}

#[test]
fn a_run_directory_locked_by_a_live_process_is_refused() {
    let exp = small_heat(2, prdp());
    let dir = scratch_dir("train-locked");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join("lock");
    // Held by a live process (this one).
    let me = std::process::id();
    std::fs::write(&lock, me.to_string()).unwrap();
    let e = run_in(&exp, &dir, None).unwrap_err();
    match &e {
        TrainError::Locked { dir: d, pid } => {
            assert_eq!((d.as_str(), *pid), (dir.to_str().unwrap(), me));
        }
        other => panic!("expected a lock error, got {other}"),
    }
    assert!(e.to_string().contains(&format!("process {me}")), "{e}");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), me.to_string());
    assert!(
        !dir.join("state.json").exists(),
        "the refused run did nothing"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Whether a process exists is read from `/proc`: elsewhere a lock is never taken over.
#[cfg(target_os = "linux")]
#[test]
fn the_lock_of_a_dead_process_is_taken_over() {
    let exp = small_heat(2, prdp());
    let dir = scratch_dir("train-stale-lock");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join("lock");
    // Held by a process that no longer exists (killed with its lock in place).
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    std::fs::write(&lock, dead.to_string()).unwrap();
    let opts = RunOptions {
        dir: Some(dir.clone()),
        stop_after: None,
        ..RunOptions::default()
    };
    let rec = exp.run(&opts, None, &mut SeesLock(dir.clone())).unwrap();
    assert_eq!(rec.status, RunStatus::Completed);
    assert!(!lock.exists(), "the lock is released when the run ends");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_diverging_run_names_the_step_and_k_and_keeps_its_checkpoint() {
    let mut exp = small_heat(3, KSchedule::Fixed { k: 1 });
    if let ScenarioConfig::Emulator(c) = &mut exp.scenario {
        c.optimizer = Optimizer::sgd(LrSchedule::Constant { value: 1e12 }, 0.0);
    }
    let dir = scratch_dir("train-diverge");
    let e = exp
        .run(
            &RunOptions {
                dir: Some(dir.clone()),
                stop_after: None,
                ..RunOptions::default()
            },
            None,
            &mut Silent,
        )
        .unwrap_err();
    match e {
        TrainError::Diverged { k, step, .. } => assert!(k == 1 && step >= 1),
        TrainError::NonFiniteMetric { k, .. } => assert_eq!(k, 1),
        other => panic!("expected divergence, got {other}"),
    }
    assert!(dir.join("state.json").exists() && dir.join("params-0.bin").exists());
    assert!(!dir.join("lock").exists(), "the lock is released on errors");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn poisson_inverse_problem_with_prdp_refines_and_converges() {
    let mut c = presets::poisson_inverse(
        1,
        Method::Jacobi,
        DiffMode::Implicit {
            adjoint_budget: None,
        },
    );
    c.steps = 120;
    let exp = presets::experiment(
        "poisson",
        ScenarioConfig::InverseProblem(c),
        KSchedule::Prdp(presets::poisson_prdp(1, 600)),
        0,
    );
    let rec = exp.run(&RunOptions::default(), None, &mut Silent).unwrap();
    let ks: Vec<usize> = rec.intervals.iter().map(|i| i.k).collect();
    assert_eq!(ks[0], 25);
    assert!(ks.windows(2).all(|w| w[1] >= w[0]), "K never decreases");
    assert!(*ks.last().unwrap() > 200, "K was refined: {ks:?}");
    assert!(
        rec.final_metric() < 1e-2,
        "parameter error {}",
        rec.final_metric()
    );
    assert_eq!(
        rec.ledger.cost,
        ks[1..].iter().map(|&k| k as u64).sum::<u64>()
    );
}

/// The message of the error a run of `exp` must end with.
fn run_error(exp: &Experiment) -> String {
    exp.run(&RunOptions::default(), None, &mut Silent)
        .unwrap_err()
        .to_string()
}

#[test]
fn configs_reject_unknown_keys_and_bad_values() {
    let toml = r#"
name = "bad"
[schedule]
kind = "prdp"
tau_step = 0.9
[scenario.emulator]
epochs = 1
batch_sise = 25
"#;
    let e = toml::from_str::<Experiment>(toml).unwrap_err();
    assert!(e.to_string().contains("batch_sise"), "{e}");
    let e = toml::from_str::<Experiment>(
        "name = 'x'\n[schedule]\nkind = 'fixed'\nk = 3\n[scenario.nonsense]\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("nonsense"), "{e}");
    let mut exp = small_heat(1, KSchedule::Fixed { k: 3 });
    if let ScenarioConfig::Emulator(c) = &mut exp.scenario {
        c.batch_size = 0;
    }
    let e = run_error(&exp);
    assert!(e.contains("batch_size"), "{e}");
    let mut exp = small_heat(1, KSchedule::Fixed { k: 3 });
    if let ScenarioConfig::Emulator(c) = &mut exp.scenario {
        c.validation_step = 3;
    }
    let e = run_error(&exp);
    assert!(e.contains("at least 4 states"), "{e}");
    let e = run_error(&small_heat(1, KSchedule::Fixed { k: 0 }));
    assert!(e.contains("schedule.k"), "{e}");
    let e = run_error(&small_heat(0, KSchedule::Fixed { k: 3 }));
    assert!(e.contains("`epochs`"), "{e}");
    // A preset round-trips through TOML.
    let exp = small_heat(2, prdp());
    let text = toml::to_string(&exp).unwrap();
    assert_eq!(toml::from_str::<Experiment>(&text).unwrap(), exp);
}
