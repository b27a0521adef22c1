//! Rolls out Burgers 1D and Navier–Stokes 2D from random initial states with the paper's
//! iterative solvers, prints the energy per step and saves the trajectories as `.npy`.
//!
//! `cargo run -p prdp-pde --release --example rollout [steps] [output directory]`

use std::path::PathBuf;

use prdp_core::Boundary;
use prdp_pde::{
    Burgers1d, BurgersConfig, FourierSeries, NavierStokes, NavierStokesConfig, NsInitialConditions,
    Physics, Result, sample_rng, write_npy,
};
use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

fn main() -> Result<()> {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = std::env::args()
        .nth(2)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    std::fs::create_dir_all(&dir).map_err(|source| prdp_pde::PdeError::Io {
        path: dir.clone(),
        source,
    })?;

    // Burgers 1D (F.3): n = 256, ν = 0.001, Δt = 0.01, GMRES(2) to ε = 1e-5.
    let config = BurgersConfig::default();
    let n = config.n;
    let u0: Vec<f32> = FourierSeries {
        modes: 20,
        ..FourierSeries::default()
    }
    .sample(&mut sample_rng(0, 0), &[n], Boundary::Periodic);
    let solver = DiffSolver::new(
        Method::Gmres { restart: 2 },
        Budget::new(200, 1e-5)?,
        DiffMode::default(),
    )?;
    let mut burgers = Physics::new(Burgers1d::<f32>::new(config.clone())?, solver)?;
    let mut traj = vec![0.0f32; (steps + 1) * n];
    let c = burgers.rollout(&u0, steps, 1, &mut traj)?;
    println!(
        "Burgers 1D (n = {n}): {} GMRES(2) cycles over {steps} steps",
        c.primal_iters
    );
    for (t, s) in traj.chunks_exact(n).enumerate() {
        let e: f64 = 0.5 * s.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / n as f64;
        println!("  step {t:>3}: energy {e:.6}");
    }
    let path = dir.join("burgers1d_rollout.npy");
    write_npy(&path, &[steps + 1, n], &traj)?;
    println!("saved {}", path.display());

    // Navier–Stokes 2D (F.4) on the coarse 48×48 grid: ν = 1e-4, Δt = 0.1, GMRES(8) to ε = 1e-5.
    let config = NavierStokesConfig::paper_coarse();
    let m = 3 * config.n * config.n;
    let ics = NsInitialConditions::new(&config, 3e-3)?;
    let s0: Vec<f32> = ics.sample(&mut sample_rng(0, 0))?;
    let ns = NavierStokes::<f32>::new(config.clone())?;
    let solver = DiffSolver::new(
        Method::Gmres { restart: 8 },
        Budget::new(200, 1e-5)?,
        DiffMode::default(),
    )?;
    let mut physics = Physics::new(ns.clone(), solver.with_warm_start(true))?;
    let mut traj = vec![0.0f32; (steps + 1) * m];
    let c = physics.rollout(&s0, steps, 1, &mut traj)?;
    println!(
        "Navier-Stokes 2D ({0}x{0}): {1} GMRES(8) cycles over {steps} steps (warm-started)",
        config.n, c.primal_iters
    );
    let mut div = vec![0.0f32; config.n * config.n];
    for (t, s) in traj.chunks_exact(m).enumerate() {
        ns.divergence(s, &mut div);
        let dmax = div.iter().fold(0.0f32, |a, v| a.max(v.abs()));
        println!(
            "  step {t:>3}: kinetic energy {:.6}, max |div u| {dmax:.2e}",
            ns.kinetic_energy(s)
        );
    }
    let path = dir.join("navier_stokes_rollout.npy");
    write_npy(&path, &[steps + 1, 3, config.n, config.n], &traj)?;
    println!("saved {}", path.display());
    Ok(())
}
