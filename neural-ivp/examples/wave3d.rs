//! Solves the 3D wave equation of the paper's appendix B.1 (profile 2s²e^(−a s²)) with Neural
//! IVP and prints the error against the exact outgoing wave over time.
//!
//! `cargo run -p neural-ivp --release --example wave3d -- [a] [focus] [width] [points] [fit_iters] [t_end] [tol]`
//! (defaults 200, 0.5, 64, 3000, 3000, 0.5, 1e-4; `tol` is the RK rtol and atol). `focus` is the share of Monte Carlo points drawn
//! in the shell that carries the wave (0: uniform, as in the paper).

use neural_ivp::problems::{Ivp, Wave3d};
use neural_ivp::reference::{interior_grid, relative_l2};
use neural_ivp::{
    EmbeddingConfig, FitConfig, LinearSolveConfig, NetworkConfig, NeuralIvp, NeuralIvpConfig,
    PrintSteps, RkScheme, StepControl,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let arg = |i: usize, default: f64| args.get(i).copied().unwrap_or(default);
    let problem = Wave3d {
        alpha: arg(0, 200.0),
        focus: arg(1, 0.5),
    };
    let t_end = arg(5, 0.5);
    let cfg = NeuralIvpConfig {
        network: NetworkConfig {
            width: arg(2, 64.0) as usize,
            depth: 3,
            embedding: Some(EmbeddingConfig {
                frequencies: 5,
                ..Default::default()
            }),
            ..Default::default()
        },
        points: arg(3, 3000.0) as usize,
        fit: FitConfig {
            iters: arg(4, 3000.0) as usize,
            batch: 1_000,
            lr: 2e-3,
            head_points: 30_000,
            ..Default::default()
        },
        solver: LinearSolveConfig {
            rank: 100,
            ..Default::default()
        },
        integrator: StepControl {
            method: RkScheme::Dp54,
            rtol: arg(6, 1e-4),
            atol: arg(6, 1e-4),
            ..Default::default()
        },
        eval_points: 2_000,
        ..Default::default()
    };
    let times: Vec<f64> = (0..=5).map(|k| t_end * k as f64 / 5.0).collect();
    let solver = NeuralIvp::new(cfg)?;
    let sol = solver.solve_observed(&problem, t_end, &times, &mut PrintSteps)?;
    let rec = &sol.record;
    println!(
        "a = {}, focus = {}: p = {}, initial fit error {:.3e} (Adam {:.3e}), {} steps, {} CG iterations, {} restarts, {:.1} s",
        problem.alpha,
        problem.focus,
        rec.params,
        rec.fit.rel_error,
        rec.fit.rel_error_adam,
        rec.steps.len(),
        rec.cg_iters,
        rec.restarts.len(),
        rec.wall_seconds
    );
    let n = 64;
    let grid = interior_grid(n, 3);
    let mut out = vec![0.0; 2 * n * n * n];
    let mut exact = vec![0.0; n * n * n];
    let mut state = [0.0; 2];
    for (t, theta) in &sol.snapshots {
        sol.network.eval(theta, &grid, &mut out)?;
        let u: Vec<f64> = out.chunks_exact(2).map(|o| o[0]).collect();
        for (x, e) in grid.chunks_exact(3).zip(exact.iter_mut()) {
            problem.exact(*t, x, &mut state);
            *e = state[0];
        }
        println!(
            "t = {t:.2}: relative L2 error of u vs exact on {n}³ {:.3e}",
            relative_l2(&u, &exact)
        );
    }
    Ok(())
}
