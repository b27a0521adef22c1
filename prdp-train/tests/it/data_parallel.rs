//! Data-parallel training on ranks that are threads: the same bits on every number of ranks,
//! resumption with another number of ranks, and errors that every rank reports.

use std::path::Path;

use prdp_nn::{Architecture, LrSchedule, Optimizer, Padding, ResNetConfig};
use prdp_pde::DataSpec;
use prdp_testing::scratch_dir;
use prdp_train::{
    EmulatorConfig, Experiment, KSchedule, PrdpConfig, Ranks, RunOptions, RunRecord,
    ScenarioConfig, Silent, ThreadedRanks, TrainError, presets,
};

/// A small emulator run with `blocks` gradient blocks: 40 training samples in batches of 10,
/// 8 validation samples, 3 epochs under PRDP.
fn small(mut c: EmulatorConfig, name: &str, blocks: usize) -> Experiment {
    c.data = DataSpec {
        train: 40,
        validation: 8,
        ..c.data
    };
    c.batch_size = 10;
    c.epochs = 3;
    c.optimizer = Optimizer::adam(LrSchedule::Constant { value: 3e-3 });
    c.gradient_blocks = blocks;
    let prdp = PrdpConfig {
        k0: 2,
        ..presets::heat_prdp(1)
    };
    presets::experiment(name, ScenarioConfig::Emulator(c), KSchedule::Prdp(prdp), 5)
}

fn run(
    exp: &Experiment,
    dir: &Path,
    ranks: Ranks,
    stop_after: Option<usize>,
) -> Result<RunRecord, TrainError> {
    let opts = RunOptions {
        dir: Some(dir.to_path_buf()),
        stop_after,
        ranks,
        ..RunOptions::default()
    };
    exp.run(&opts, None, &mut Silent)
}

/// The record without wall times, and the bytes of the final parameter file.
fn outcome(rec: RunRecord, dir: &Path) -> (RunRecord, Vec<u8>) {
    let mut rec = rec;
    for i in &mut rec.intervals {
        i.wall_train_s = 0.0;
        i.wall_total_s = 0.0;
    }
    rec.ledger.wall = Default::default();
    let params = dir.join(format!("params-{}.bin", rec.intervals.len() - 1));
    (rec, std::fs::read(&params).unwrap())
}

/// `exp` on `p` threaded ranks: rank 0's outcome, after checking every rank's record equal.
fn on_ranks(exp: &Experiment, dir: &Path, p: usize) -> (RunRecord, Vec<u8>) {
    let records = ThreadedRanks::run(p, |ranks| run(exp, dir, ranks, None).unwrap());
    let mut records = records.into_iter().map(|r| outcome(r, dir).0);
    let first = records.next().unwrap();
    assert!(records.all(|r| r == first), "ranks disagree on the record");
    outcome(first, dir)
}

/// With 4 blocks, one process and 1, 2 and 4 ranks end with the same parameters and the same
/// record (every field but wall times), for heat 1D (MLP, implicit Jacobi) and Burgers
/// (ResNet, GMRES with a state-dependent operator).
#[test]
fn every_number_of_ranks_gives_the_same_bits() {
    for (name, config) in [
        ("heat1d", presets::heat_emulator(1)),
        ("burgers", presets::burgers_emulator()),
    ] {
        let exp = small(config, name, 4);
        let single_dir = scratch_dir(&format!("dp-{name}-single"));
        let single = outcome(
            run(&exp, &single_dir, Ranks::default(), None).unwrap(),
            &single_dir,
        );
        assert!(single.0.ledger.solver.primal_iters > 0);
        for p in [1, 2, 4] {
            let dir = scratch_dir(&format!("dp-{name}-p{p}"));
            let got = on_ranks(&exp, &dir, p);
            assert!(got.0 == single.0, "{name}: record on {p} ranks differs");
            assert!(got.1 == single.1, "{name}: parameters on {p} ranks differ");
        }
    }
}

/// The Navier–Stokes hybrid corrector (two solver calls and two network passes per sample,
/// GMRES, a rollout validation with converged physics) on a 12² coarse grid gives the same
/// bits on 1, 2 and 4 ranks as in one process.
#[test]
fn the_hybrid_corrector_gives_the_same_bits_on_every_number_of_ranks() {
    let mut c = presets::navier_stokes_hybrid();
    c.coarse.n = 12;
    c.fine.n = 25;
    c.data = DataSpec {
        train: 8,
        validation: 4,
        ..c.data
    };
    c.model = Architecture::ResNet(ResNetConfig {
        grid: vec![12, 12],
        in_channels: 3,
        out_channels: 3,
        hidden_channels: 4,
        blocks: 1,
        padding: Padding::Circular,
        ..ResNetConfig::default()
    });
    c.converged_k = 10;
    c.batch_size = 4;
    c.epochs = 2;
    c.gradient_blocks = 4;
    let exp = presets::experiment(
        "ns-small",
        ScenarioConfig::Hybrid(c),
        KSchedule::Fixed { k: 3 },
        2,
    );
    let single_dir = scratch_dir("dp-ns-single");
    let single = outcome(
        run(&exp, &single_dir, Ranks::default(), None).unwrap(),
        &single_dir,
    );
    for p in [1, 2, 4] {
        let dir = scratch_dir(&format!("dp-ns-p{p}"));
        let got = on_ranks(&exp, &dir, p);
        assert!(got.0 == single.0, "record on {p} ranks differs");
        assert!(got.1 == single.1, "parameters on {p} ranks differ");
    }
}

/// Blocks change only rounding: one block and four end close together, not bit for bit.
#[test]
fn blocks_change_rounding_only() {
    let one = small(presets::heat_emulator(1), "heat1d", 1);
    let four = small(presets::heat_emulator(1), "heat1d", 4);
    let (d1, d4) = (scratch_dir("dp-blocks-1"), scratch_dir("dp-blocks-4"));
    let r1 = run(&one, &d1, Ranks::default(), None).unwrap();
    let r4 = run(&four, &d4, Ranks::default(), None).unwrap();
    let (m1, m4) = (r1.final_metric(), r4.final_metric());
    assert!((m1 - m4).abs() <= 1e-3 * m1, "{m1} vs {m4}");
}

/// A run stopped on 2 ranks and resumed on 4, and one stopped on 4 and resumed in one
/// process, end as the uninterrupted run does.
#[test]
fn a_run_resumes_on_another_number_of_ranks() {
    let exp = small(presets::heat_emulator(1), "heat1d", 4);
    let full_dir = scratch_dir("dp-resume-full");
    let full = outcome(
        run(&exp, &full_dir, Ranks::default(), None).unwrap(),
        &full_dir,
    );
    for (first, second) in [(2, 4), (4, 1)] {
        let dir = scratch_dir(&format!("dp-resume-{first}-{second}"));
        ThreadedRanks::run(first, |ranks| run(&exp, &dir, ranks, Some(1)).unwrap());
        let resumed = on_ranks(&exp, &dir, second);
        assert!(
            resumed.0 == full.0,
            "{first} -> {second} ranks: record differs"
        );
        assert!(
            resumed.1 == full.1,
            "{first} -> {second} ranks: parameters differ"
        );
    }
}

/// More ranks than blocks is a configuration error, named on every rank.
#[test]
fn more_ranks_than_blocks_is_refused_on_every_rank() {
    let exp = small(presets::heat_emulator(1), "heat1d", 2);
    let dir = scratch_dir("dp-too-many");
    let errors = ThreadedRanks::run(3, |ranks| run(&exp, &dir, ranks, None).unwrap_err());
    for e in errors {
        assert!(e.to_string().contains("gradient_blocks"), "{e}");
    }
}
