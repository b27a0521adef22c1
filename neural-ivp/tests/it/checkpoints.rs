//! Mid-run checkpoints: a run interrupted (twice) and resumed ends with the bits of an
//! uninterrupted run; a checkpoint of another run or an unreadable one is refused.

use neural_ivp::problems::Wave3d;
use neural_ivp::{
    Checkpointing, EmbeddingConfig, FitConfig, IvpError, LinearSolveConfig, NetworkConfig,
    NeuralIvp, NeuralIvpConfig, RestartConfig, RunRecord, Silent, Solution,
};
use prdp_testing::scratch_dir;

/// Two trunks (the 3D wave has two outputs), a focused measure, points kept for two steps,
/// preconditioners reused across steps and restarts that fire: every piece of state a step
/// hands to the next.
fn config() -> NeuralIvpConfig {
    NeuralIvpConfig {
        network: NetworkConfig {
            width: 12,
            depth: 2,
            embedding: Some(EmbeddingConfig {
                frequencies: 2,
                ..Default::default()
            }),
            ..Default::default()
        },
        points: 400,
        fit: FitConfig {
            iters: 200,
            batch: 200,
            lr: 1e-2,
            head_points: 1000,
            eval_points: 500,
            ..Default::default()
        },
        solver: LinearSolveConfig {
            rank: 15,
            ..Default::default()
        },
        eval_points: 300,
        resample_every: 2,
        restart: RestartConfig {
            cg_iters: 1,
            min_steps: 3,
            max_fit_error: Some(10.0),
            ..Default::default()
        },
        ..Default::default()
    }
}

const PROBLEM: Wave3d = Wave3d {
    alpha: 20.0,
    focus: 0.5,
};
const T_END: f64 = 0.08;
const OUTPUTS: [f64; 3] = [0.0, 0.03, T_END];

/// The record without its wall-clock times.
fn timeless(mut r: RunRecord) -> RunRecord {
    r.wall_seconds = 0.0;
    r.fit_seconds = 0.0;
    r.fit.seconds = 0.0;
    r.steps.iter_mut().for_each(|s| s.wall = 0.0);
    r.restarts.iter_mut().for_each(|e| e.fit.seconds = 0.0);
    r
}

fn checkpointed(path: &std::path::Path, stop_after: Option<usize>) -> Result<Solution, IvpError> {
    let solver = NeuralIvp::new(config()).unwrap();
    let ckpt = Checkpointing {
        path: path.to_path_buf(),
        every_seconds: 1e9,
        stop_after,
    };
    solver.solve_checkpointed(&PROBLEM, T_END, &OUTPUTS, &mut Silent, &ckpt)
}

#[test]
fn an_interrupted_run_resumes_bit_identically() {
    let plain = NeuralIvp::new(config())
        .unwrap()
        .solve(&PROBLEM, T_END, &OUTPUTS)
        .unwrap();
    let steps = plain.record.steps.len();
    assert!(steps >= 8, "{steps} steps");
    // restarts fire (each refit resets the preconditioners and warm starts, accepted or not)
    assert!(
        plain.record.restarts.len() >= 2,
        "{:?}",
        plain.record.restarts
    );
    let dir = scratch_dir("nivp-checkpoint");
    let path = dir.join("run.ckpt");
    // stopped after step 2 (before the first snapshot past 0) and after step 5, then to the end
    for stop in [2, 5] {
        match checkpointed(&path, Some(stop)) {
            Err(IvpError::Stopped { step }) => assert_eq!(step, stop),
            other => panic!("expected a stop after {stop}: {other:?}"),
        }
        assert!(path.exists());
    }
    let resumed = checkpointed(&path, None).unwrap();
    assert!(
        !path.exists(),
        "the checkpoint is removed when the run ends"
    );
    assert_eq!(resumed.snapshots, plain.snapshots);
    assert_eq!(timeless(resumed.record), timeless(plain.record));
}

#[test]
fn a_checkpoint_of_another_run_or_a_broken_one_is_refused() {
    let dir = scratch_dir("nivp-checkpoint-refused");
    let path = dir.join("run.ckpt");
    assert!(matches!(
        checkpointed(&path, Some(1)),
        Err(IvpError::Stopped { step: 1 })
    ));
    let other = NeuralIvp::new(config()).unwrap().solve_checkpointed(
        &PROBLEM,
        0.5 * T_END,
        &[0.5 * T_END],
        &mut Silent,
        &Checkpointing::new(&path, 0.0),
    );
    match other {
        Err(IvpError::Checkpoint { detail, .. }) => {
            assert!(detail.contains("another run"), "{detail}")
        }
        other => panic!("expected a refusal: {other:?}"),
    }
    std::fs::write(&path, b"not a checkpoint").unwrap();
    assert!(matches!(
        checkpointed(&path, None),
        Err(IvpError::Checkpoint { .. })
    ));
}

/// EDNN: fixed points under a uniform measure, points redrawn every step under a focused one;
/// interrupted twice, it ends with the uninterrupted run's bits.
#[test]
fn an_interrupted_ednn_run_resumes_bit_identically() {
    use neural_ivp::ednn::{self, EdnnConfig, EdnnRecord};
    use neural_ivp::problems::Advection2d;
    let cfg = EdnnConfig {
        network: NetworkConfig {
            width: 10,
            depth: 2,
            ..NetworkConfig::ednn()
        },
        points: 300,
        dt: 0.01,
        fit: FitConfig {
            iters: 200,
            batch: 200,
            head_points: 0,
            ..Default::default()
        },
        eval_points: 200,
        ..EdnnConfig::default()
    };
    let timeless = |mut r: EdnnRecord| {
        r.wall_seconds = 0.0;
        r.solve_seconds = 0.0;
        r.fit.seconds = 0.0;
        r.steps.iter_mut().for_each(|s| s.wall = 0.0);
        r
    };
    let dir = scratch_dir("ednn-checkpoint");
    let path = dir.join("ednn.ckpt");
    let advection = Advection2d { sigma: 0.3 };
    let problems: [&dyn neural_ivp::problems::Ivp; 2] = [&advection, &PROBLEM];
    for problem in problems {
        let (t_end, outputs) = (0.06, [0.02, 0.06]);
        let plain = ednn::solve(problem, &cfg, t_end, &outputs).unwrap();
        assert_eq!(plain.record.steps.len(), 6);
        let mut ckpt = Checkpointing::new(&path, 1e9);
        for stop in [1, 4] {
            ckpt.stop_after = Some(stop);
            let r = ednn::solve_checkpointed(problem, &cfg, t_end, &outputs, &mut Silent, &ckpt);
            assert!(matches!(r, Err(IvpError::Stopped { step }) if step == stop));
        }
        ckpt.stop_after = None;
        let resumed =
            ednn::solve_checkpointed(problem, &cfg, t_end, &outputs, &mut Silent, &ckpt).unwrap();
        assert!(!path.exists());
        assert_eq!(resumed.snapshots, plain.snapshots, "{}", problem.name());
        assert_eq!(timeless(resumed.record), timeless(plain.record));
    }
}
