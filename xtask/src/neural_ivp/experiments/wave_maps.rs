//! The wave maps problem: Neural IVP against a 3D finite-difference reference.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use neural_ivp::problems::{Ivp, WaveMaps};
use neural_ivp::reference::{WaveMapsFd, integrate, interior_grid};

use super::fields::{fd3d_initial, output_times, snapshot_errors};
use super::figures::standard_figures;
use super::method_series::MethodSeries;
use super::runs::run_nivp;
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::Summary;

/// Wave maps: Neural IVP against a finite-difference reference.
pub(super) fn wave_maps(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let pr = &ctx.preset;
    let problem = WaveMaps::default();
    let t_end = problem.t_end() * pr.wave_maps_horizon;
    let times = output_times(t_end, pr.outputs);
    let n = pr.grid3d;
    let grid = interior_grid(n, 3);
    let n3 = n * n * n;
    let t = Instant::now();
    let fd_states = integrate(
        &mut WaveMapsFd { n, problem },
        fd3d_initial(&problem, &grid),
        &times,
        1e-5,
    )?;
    let fd: Vec<Vec<f64>> = fd_states.iter().map(|s| s[..n3].to_vec()).collect();
    ctx.log
        .say(&format!("  FD {n}³ in {:.1} s", t.elapsed().as_secs_f64()));
    let sol = run_nivp(
        ctx,
        &problem,
        pr.nivp(pr.frequencies, pr.method(true)),
        t_end,
        &times,
    )?;
    let mut nivp = MethodSeries::from_nivp(&sol);
    (nivp.error_t, nivp.error) = snapshot_errors(&sol.network, &sol.snapshots, &grid, &fd)?;
    nivp.error_reference = format!("FD {n}³");
    standard_figures(dir, "wave_maps", &[&nivp], Vec::new())?;
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    Ok(Summary {
        experiment: "wave_maps".into(),
        rows: vec![nivp.row(
            &format!("rel. L2 error vs FD {n}³ at T = {t_end}"),
            last(&nivp.error),
        )],
        notes: vec![
            "EDNN is not run on wave maps (the paper's figure 4 comparison uses its residual only)"
                .into(),
        ],
        details: serde_json::json!({ "times": times, "neural_ivp": nivp }),
    })
}
