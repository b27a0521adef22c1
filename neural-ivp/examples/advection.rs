//! Solves 2D advection briefly with Neural IVP and prints the error against a
//! finite-difference reference and the exact solution.
//!
//! `cargo run -p neural-ivp --release --example advection`

use neural_ivp::problems::{Advection2d, Ivp};
use neural_ivp::reference::{Fd2d, Fd2dKind, integrate, interior_grid, relative_l2};
use neural_ivp::{
    EmbeddingConfig, FitConfig, LinearSolveConfig, NetworkConfig, NeuralIvp, NeuralIvpConfig,
    PrintSteps, StepControl,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let problem = Advection2d { sigma: 0.15 };
    let t_end = 0.1;
    let cfg = NeuralIvpConfig {
        network: NetworkConfig {
            width: 64,
            depth: 3,
            embedding: Some(EmbeddingConfig {
                frequencies: 4,
                ..Default::default()
            }),
            ..Default::default()
        },
        points: 4_000,
        fit: FitConfig {
            iters: 2_000,
            batch: 1_000,
            ..Default::default()
        },
        solver: LinearSolveConfig {
            rank: 100,
            ..Default::default()
        },
        integrator: StepControl {
            rtol: 1e-4,
            atol: 1e-5,
            ..Default::default()
        },
        ..Default::default()
    };
    let solver = NeuralIvp::new(cfg)?;
    let sol = solver.solve_observed(&problem, t_end, &[0.0, t_end], &mut PrintSteps)?;
    let rec = &sol.record;
    println!(
        "p = {}, initial fit error {:.2e} (Adam {:.2e}), {} steps, {} solves, {} CG iterations, {} builds, {:.1} s",
        rec.params,
        rec.fit.rel_error,
        rec.fit.rel_error_adam,
        rec.steps.len(),
        rec.solves,
        rec.cg_iters,
        rec.builds,
        rec.wall_seconds
    );
    let n = 200;
    let grid = interior_grid(n, 2);
    let mut u0 = vec![0.0; n * n];
    for (x, u) in grid.chunks_exact(2).zip(u0.iter_mut()) {
        problem.initial(x, std::slice::from_mut(u));
    }
    let mut fd = Fd2d {
        n,
        kind: Fd2dKind::Advection { vx: 1.0, vy: 1.0 },
    };
    let reference = integrate(&mut fd, u0, &[t_end], 1e-7)?;
    let (t, theta) = sol.snapshots.last().expect("output at t_end");
    let mut u = vec![0.0; n * n];
    sol.network.eval(theta, &grid, &mut u)?;
    let mut exact = vec![0.0; n * n];
    for (x, e) in grid.chunks_exact(2).zip(exact.iter_mut()) {
        problem.exact(*t, x, std::slice::from_mut(e));
    }
    println!(
        "t = {t}: relative L2 error vs FD {:.3e}, vs exact {:.3e} (FD vs exact {:.3e})",
        relative_l2(&u, &reference[0]),
        relative_l2(&u, &exact),
        relative_l2(&reference[0], &exact)
    );
    Ok(())
}
