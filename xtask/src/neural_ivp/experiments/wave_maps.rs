//! The wave maps problem: Neural IVP against a 3D finite-difference reference.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use neural_ivp::Trunks;
use neural_ivp::problems::{Ivp, WaveMaps};
use neural_ivp::reference::{WaveMapsFd, integrate, interior_grid};

use super::fields::{fd3d_initial, output_times, snapshot_errors};
use super::figures::standard_figures;
use super::method_series::MethodSeries;
use super::runs::run_nivp;
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::Summary;

/// Wave maps: Neural IVP (one trunk per output, and one shared trunk as a control) against a
/// finite-difference reference.
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
    let variant = |trunks: Trunks, method: &str| -> Result<MethodSeries> {
        let mut cfg = pr.nivp(pr.frequencies, pr.method(true))?;
        cfg.network.trunks = trunks;
        ctx.part(dir, method, &format!("{problem:?} {cfg:?}"), || {
            let sol = run_nivp(ctx, &problem, cfg.clone(), t_end, &times)?;
            let mut m = MethodSeries::from_nivp(&sol);
            m.method = method.into();
            (m.error_t, m.error) = snapshot_errors(&sol.network, &sol.snapshots, &grid, &fd)?;
            m.error_reference = format!("FD {n}³");
            Ok(m)
        })
    };
    let nivp = variant(Trunks::PerOutput, "Neural IVP")?;
    let shared = variant(Trunks::Shared, "Neural IVP, shared trunk")?;
    standard_figures(dir, "wave_maps", &[&nivp, &shared], Vec::new())?;
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    let metric = format!("rel. L2 error vs FD {n}³ at T = {t_end}");
    Ok(Summary {
        experiment: "wave_maps".into(),
        rows: vec![
            nivp.row(&metric, last(&nivp.error)),
            shared.row(&metric, last(&shared.error)),
        ],
        notes: vec![
            "EDNN is not run on wave maps (the paper's figure 4 comparison uses its residual only)"
                .into(),
        ],
        details: serde_json::json!({ "times": times, "neural_ivp": nivp, "neural_ivp_shared_trunk": shared }),
        provenance: None,
    })
}
