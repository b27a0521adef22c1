//! The xtask binary under `mpirun` (feature `mpi`; needs Open MPI's `mpirun`): data-parallel
//! training ends with the bits of a single-process run, on any number of ranks and across a
//! killed and resumed job; a reproduction fanned out over ranks writes the single-process
//! summary; a configuration error is reported once.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use prdp_nn::{LrSchedule, Optimizer};
use prdp_pde::DataSpec;
use prdp_testing::scratch_dir;
use prdp_train::{EmulatorConfig, Experiment, KSchedule, ScenarioConfig, presets};
use serde_json::Value;

/// `xtask args…` on `ranks` MPI ranks (0: without mpirun), one thread per rank.
fn xtask(ranks: usize, args: &[&str]) -> Command {
    let bin = env!("CARGO_BIN_EXE_xtask");
    let mut c = if ranks == 0 {
        Command::new(bin)
    } else {
        let mut c = Command::new("mpirun");
        c.args(["--allow-run-as-root", "--oversubscribe", "-np"])
            .arg(ranks.to_string())
            .arg(bin);
        c
    };
    c.args(args).env("RAYON_NUM_THREADS", "1");
    c
}

fn run(mut c: Command) -> Output {
    let out = c.output().expect("the command starts");
    assert!(
        out.status.success(),
        "{c:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A small emulator experiment with 4 gradient blocks, written as TOML into `dir`.
fn config(dir: &Path, mut c: EmulatorConfig, name: &str, epochs: usize) -> PathBuf {
    c.data = DataSpec {
        train: 40,
        validation: 8,
        ..c.data
    };
    c.batch_size = 10;
    c.epochs = epochs;
    c.optimizer = Optimizer::adam(LrSchedule::Constant { value: 3e-3 });
    c.gradient_blocks = 4;
    let exp: Experiment = presets::experiment(
        name,
        ScenarioConfig::Emulator(c),
        KSchedule::Prdp(presets::heat_prdp(1)),
        3,
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, toml::to_string(&exp).unwrap()).unwrap();
    path
}

/// The final parameters of the run in `dir` and its record without wall times.
fn result(dir: &Path) -> (Vec<u8>, Value) {
    let mut rec: Value =
        serde_json::from_slice(&std::fs::read(dir.join("record.json")).unwrap()).unwrap();
    let last = rec["intervals"].as_array().unwrap().len() - 1;
    for i in rec["intervals"].as_array_mut().unwrap() {
        i["wall_train_s"] = Value::Null;
        i["wall_total_s"] = Value::Null;
    }
    rec["ledger"]["wall"] = Value::Null;
    let params = std::fs::read(dir.join(format!("params-{last}.bin"))).unwrap();
    (params, rec)
}

fn train(ranks: usize, config: &Path, out: &Path) -> Output {
    let (config, out) = (config.to_str().unwrap(), out.to_str().unwrap());
    run(xtask(ranks, &["train", config, "--quiet", "--out", out]))
}

/// Heat 1D and Burgers trained on 2 and 3 ranks end with the parameters and record of the
/// single-process run.
#[test]
fn training_on_ranks_gives_the_single_process_bits() {
    let dir = scratch_dir("mpi-train");
    for (name, c) in [
        ("heat1d", presets::heat_emulator(1)),
        ("burgers", presets::burgers_emulator()),
    ] {
        let cfg = config(&dir, c, name, 3);
        let single = dir.join(format!("{name}-single"));
        train(0, &cfg, &single);
        let expected = result(&single);
        for p in [2, 3] {
            let out = dir.join(format!("{name}-np{p}"));
            train(p, &cfg, &out);
            let got = result(&out);
            assert!(
                got.0 == expected.0,
                "{name}: parameters on {p} ranks differ"
            );
            assert_eq!(got.1, expected.1, "{name}: record on {p} ranks differs");
        }
    }
}

/// One rank killed mid-run ends the job; rerun on another number of ranks, the run resumes
/// from the last checkpoint and ends with the uninterrupted run's parameters.
#[test]
fn a_job_with_a_killed_rank_resumes_on_another_number_of_ranks() {
    let dir = scratch_dir("mpi-kill");
    let cfg = config(&dir, presets::heat_emulator(1), "heat1d-long", 400);
    let single = dir.join("single");
    train(0, &cfg, &single);
    let out = dir.join("killed");
    // A checkpoint at every interval, so that the kill lands after some.
    let args = [
        "train",
        cfg.to_str().unwrap(),
        "--quiet",
        "--checkpoint-every",
        "0",
        "--out",
    ];
    let mut job = xtask(2, &args).arg(&out).spawn().unwrap();
    let t = Instant::now();
    while !out.join("intervals.jsonl").exists()
        || std::fs::read_to_string(out.join("intervals.jsonl"))
            .unwrap()
            .lines()
            .count()
            < 3
    {
        assert!(t.elapsed() < Duration::from_secs(120), "no checkpoint");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The newest process holding the run directory in its arguments is a rank, not mpirun.
    let killed = Command::new("pkill")
        .args(["-9", "-n", "-f"])
        .arg(format!("train .*--out {}", out.display()))
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(
        !job.wait().unwrap().success(),
        "the job ends when a rank dies"
    );
    let record: Option<Value> = std::fs::read(out.join("record.json"))
        .ok()
        .map(|b| serde_json::from_slice(&b).unwrap());
    assert!(record.is_none(), "the run was killed before it ended");
    // The launcher may end before its other rank has died and released the directory.
    let holder = std::fs::read_to_string(out.join("lock")).unwrap_or_default();
    let t = Instant::now();
    while Path::new("/proc").join(holder.trim()).exists() && !holder.trim().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "rank 0 outlives the job"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    train(3, &cfg, &out);
    assert!(result(&out) == result(&single), "the resumed run differs");
}

/// `reproduce heat1d --quick` fanned out over 2 ranks writes the single-process summary, but
/// for wall-clock figures and provenance.
#[test]
fn a_reproduction_on_ranks_writes_the_single_process_summary() {
    let dir = scratch_dir("mpi-reproduce");
    let summary = |ranks: usize| -> Value {
        let out = dir.join(format!("np{ranks}"));
        let args = [
            "reproduce",
            "heat1d",
            "--quick",
            "--seeds",
            "1",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ];
        run(xtask(ranks, &args));
        let mut s: Value =
            serde_json::from_slice(&std::fs::read(out.join("heat1d/summary.json")).unwrap())
                .unwrap();
        let map = s.as_object_mut().unwrap();
        // Wall-clock figures (and the physics share of wall time) and provenance differ.
        map.retain(|k, _| {
            !k.starts_with("wall_")
                && !k.starts_with("physics_share")
                && k != "savings_wall"
                && k != "provenance"
        });
        s
    };
    assert_eq!(summary(2), summary(0));
}

/// A configuration error is printed once, by rank 0, and fails the job.
#[test]
fn a_config_error_is_reported_once() {
    let dir = scratch_dir("mpi-bad");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = 'bad'\nsede = 3\n").unwrap();
    let out = xtask(2, &["train", bad.to_str().unwrap(), "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("unknown field `sede`").count(),
        1,
        "{stderr}"
    );
}
