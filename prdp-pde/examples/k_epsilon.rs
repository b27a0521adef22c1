//! K_ε of every problem at the paper's size: the first K whose mean relative residual over
//! the training states that enter P_K falls below 1e-5 in f32 (zero initial guess).
//!
//! `cargo run -p prdp-pde --release --example k_epsilon [ns_samples]` (Navier–Stokes data on
//! the 97² grid is the expensive part; the default uses 20 samples instead of 200).

use std::time::Instant;

use prdp_pde::{
    Assembly, Burgers1d, BurgersConfig, DataSpec, FourierSeries, Heat, HeatConfig, NavierStokes,
    NavierStokesConfig, Poisson, PoissonConfig, Result, burgers_dataset, heat_dataset, k_epsilon,
    navier_stokes_dataset,
};
use prdp_solvers::Method;

fn report<A: Assembly<f32>>(
    name: &str,
    a: &A,
    method: Method,
    inputs: &[f32],
    count: usize,
    max_k: usize,
    paper: &str,
) -> Result<()> {
    let ke = k_epsilon(a, method, inputs, count, max_k, 1e-5)?;
    let k = ke.k.map_or(format!("> {max_k}"), |k| k.to_string());
    let at = ke.k.map_or(f64::NAN, |k| ke.mean_rel_residual[k]);
    println!(
        "{name:<34} {:<11} K_eps = {k:>5} (residual {at:.2e})   paper: {paper}",
        method.name()
    );
    Ok(())
}

fn main() -> Result<()> {
    let ns_samples: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let t0 = Instant::now();
    for (modes, paper) in [(1, "600 (hard-coded)"), (3, "450 (Jacobi)")] {
        let p = Poisson::<f32>::new(PoissonConfig { n: 30, modes })?;
        let (theta_ref, theta_init) =
            Poisson::<f32>::paper_parameters(modes).expect("paper setups");
        let inputs: Vec<f32> = theta_ref
            .iter()
            .chain(&theta_init)
            .map(|v| *v as f32)
            .collect();
        report(
            &format!("Poisson {modes}P (theta_ref, theta_0)"),
            &p,
            Method::Jacobi,
            &inputs,
            2,
            2000,
            paper,
        )?;
        if modes == 3 {
            report(
                "Poisson 3P (theta_ref, theta_0)",
                &p,
                Method::SteepestDescent,
                &inputs,
                2,
                2000,
                "240 (SD)",
            )?;
        }
    }
    for (dim, reference_2d, paper) in [
        (1, false, "25"),
        (2, false, "43"),
        (2, true, "43"),
        (3, false, "-"),
    ] {
        let config = HeatConfig::paper(dim);
        let ic = FourierSeries {
            reference_2d,
            ..FourierSeries::default()
        };
        let data = heat_dataset::<f32>(&config, &DataSpec::default(), &ic)?;
        let name = format!(
            "heat {dim}D{}",
            if reference_2d { " (reference ICs)" } else { "" }
        );
        report(
            &name,
            &Heat::<f32>::new(config)?,
            Method::Jacobi,
            &data.train.states_at(1)?,
            200,
            200,
            paper,
        )?;
    }
    let bc = BurgersConfig::default();
    let data = burgers_dataset::<f32>(&bc, &DataSpec::paper_burgers(), 20)?;
    report(
        "Burgers 1D",
        &Burgers1d::<f32>::new(bc)?,
        Method::Gmres { restart: 2 },
        &data.train.states_at(1)?,
        200,
        200,
        "23",
    )?;
    println!(
        "({:.1} s so far; generating {ns_samples} Navier-Stokes trajectories on 97x97)",
        t0.elapsed().as_secs_f64()
    );
    let spec = DataSpec {
        train: ns_samples,
        validation: 1,
        train_steps: 1,
        validation_steps: 1,
        ..DataSpec::paper_navier_stokes()
    };
    let ns = navier_stokes_dataset::<f32>(&NavierStokesConfig::paper_fine(), &spec, 3e-3)?;
    let coarse = NavierStokes::<f32>::new(NavierStokesConfig::paper_coarse())?;
    for t in [0, 1] {
        report(
            &format!("Navier-Stokes 48x48 (t = {t} states)"),
            &coarse,
            Method::Gmres { restart: 8 },
            &ns.coarse.train.states_at(t)?,
            ns_samples,
            400,
            "120 in code",
        )?;
    }
    println!("({:.1} s)", t0.elapsed().as_secs_f64());
    Ok(())
}
