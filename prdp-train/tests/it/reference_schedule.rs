//! PRDP on the 1-parameter Poisson inverse problem against the reference notebook's own run
//! (`poisson_1_param.ipynb`, re-run with JAX in f32; shared/notes/prdp-reference.md, 5.1).

use prdp_solvers::{DiffMode, Method};
use prdp_train::{
    BaselineCharge, KSchedule, Precision, RunOptions, ScenarioConfig, Silent, charge_fixed, presets,
};

/// K at outer steps 0, 10, …, 180 of the notebook's PRDP run (Jacobi, implicit).
const REFERENCE_K: [usize; 19] = [
    25, 35, 45, 65, 105, 155, 205, 235, 275, 315, 355, 395, 435, 475, 515, 555, 595, 600, 600,
];

fn run(schedule: KSchedule, steps: usize, precision: Precision) -> prdp_train::RunRecord {
    let mode = DiffMode::Implicit {
        adjoint_budget: None,
    };
    let mut inverse = presets::poisson_inverse(1, Method::Jacobi, mode);
    inverse.steps = steps;
    inverse.precision = precision;
    presets::experiment(
        "poisson-1p",
        ScenarioConfig::InverseProblem(inverse),
        schedule,
        0,
    )
    .run(&RunOptions::default(), None, &mut Silent)
    .unwrap()
}

#[test]
fn prdp_follows_the_reference_notebooks_k_schedule_within_one_refinement() {
    let rec = run(
        KSchedule::Prdp(presets::poisson_prdp(1, 600)),
        181,
        Precision::F32,
    );
    // Interval s + 1 holds the K used in update step s (0-based), as the notebook indexes it.
    let ours: Vec<usize> = (0..=180)
        .step_by(10)
        .map(|s| rec.intervals[s + 1].k)
        .collect();
    // Both runs refine on the same plateaus of the same error curve; f32 rounding in two
    // implementations moves a few refinements by a step, so K may differ by one ΔK = 10.
    for (s, (&a, &b)) in ours.iter().zip(&REFERENCE_K).enumerate() {
        assert!(
            a.abs_diff(b) <= 10,
            "step {}: K = {a}, notebook {b}",
            10 * s
        );
    }
    let same = ours
        .iter()
        .zip(&REFERENCE_K)
        .filter(|(a, b)| a == b)
        .count();
    assert!(same >= 15, "{same} of 19 samples equal: {ours:?}");
}

#[test]
fn prdp_saves_a_third_of_the_converged_runs_iterations_as_the_paper_charges_them() {
    let metrics = |r: &prdp_train::RunRecord| -> Vec<f64> {
        r.intervals.iter().map(|i| i.validation.metric).collect()
    };
    for precision in [Precision::F32, Precision::F64] {
        // Converged: K_ε = 600 until the parameter error first falls below 1e-5. The notebook
        // reports step 125; K = 600 Jacobi leaves a relative error of 4.1e-6 in u (the sin 2πx
        // mode contracts by cos(2π/31)^600), which puts the parameter error's floor at 4e-6, and
        // our runs (and an independent f64 replay in numpy) cross 1e-5 at step 130.
        let baseline = run(KSchedule::Fixed { k: 600 }, 170, precision);
        let charged = charge_fixed(
            &metrics(&baseline),
            600,
            BaselineCharge::UntilMetricBelow(presets::POISSON_TARGET),
        );
        assert_eq!(charged.reached, Some(130), "{precision:?}");
        assert_eq!(charged.cost, 78_000);
        // PRDP: Σ K over its 170 steps (the notebook: 50,405, i.e. 32.8% of 75,000).
        let prdp = run(
            KSchedule::Prdp(presets::poisson_prdp(1, 600)),
            170,
            precision,
        );
        let saving = 1.0 - prdp.ledger.cost as f64 / charged.cost as f64;
        assert!((0.30..=0.36).contains(&saving), "{precision:?}: {saving}");
        // PRDP ends near, not below, the target (the notebook: 1.47e-5 at step 170).
        let end = prdp.final_metric();
        assert!(end > 1e-5 && end < 2e-5, "{precision:?}: {end}");
    }
}
