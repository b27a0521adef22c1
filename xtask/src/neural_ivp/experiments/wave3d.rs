//! The 3D wave equation, including the restart ablation.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use neural_ivp::problems::{Ivp, Wave3d};
use neural_ivp::reference::{Wave3dFd, integrate, interior_grid, relative_l2};
use neural_ivp::{NeuralIvpConfig, RestartConfig, Trunks};

use super::fields::{exact_u, fd3d_initial, output_times, snapshot_errors};
use super::figures::{chart, series, standard_figures};
use super::method_series::MethodSeries;
use super::runs::{run_ednn, run_nivp};
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::{Row, Summary};

/// 3D wave equation: Neural IVP (points focused on the wave's shell) with and without
/// restarts, with one trunk shared by u and u_t (control), Neural IVP on uniform points as in
/// the paper, and EDNN (unless `--no-ednn`) against the exact solution and a finite-difference
/// reference; CG iterations and λ̂max with and without restarts.
pub(super) fn wave3d(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let pr = &ctx.preset;
    let problem = Wave3d {
        alpha: pr.wave_alpha,
        ..Wave3d::default()
    };
    let t_end = problem.t_end() * pr.wave3d_horizon;
    let times = output_times(t_end, pr.outputs);
    let n = pr.grid3d;
    let grid = interior_grid(n, 3);
    let n3 = n * n * n;
    let t = Instant::now();
    let fd_states = integrate(
        &mut Wave3dFd { n },
        fd3d_initial(&problem, &grid),
        &times,
        1e-4,
    )?;
    let fd: Vec<Vec<f64>> = fd_states.iter().map(|s| s[..n3].to_vec()).collect();
    let exact: Vec<Vec<f64>> = times.iter().map(|&t| exact_u(&problem, t, &grid)).collect();
    let fd_vs_exact: Vec<f64> = fd
        .iter()
        .zip(&exact)
        .map(|(a, b)| relative_l2(a, b))
        .collect();
    ctx.log.say(&format!(
        "  FD {n}³ (7-point, DP54 rtol 1e-4) in {:.1} s",
        t.elapsed().as_secs_f64()
    ));
    // a Neural IVP run on `problem` with `cfg`, measured against the exact solution (and its
    // errors against FD), kept on disk once finished
    let variant = |problem: &Wave3d,
                   cfg: NeuralIvpConfig,
                   method: &str|
     -> Result<(MethodSeries, Vec<f64>)> {
        ctx.part(dir, method, &format!("{problem:?} {cfg:?}"), || {
            let sol = run_nivp(ctx, problem, cfg.clone(), t_end, &times)?;
            let mut m = MethodSeries::from_nivp(&sol);
            m.method = method.into();
            (m.error_t, m.error) = snapshot_errors(&sol.network, &sol.snapshots, &grid, &exact)?;
            m.error_reference = "exact".into();
            let (_, vs_fd) = snapshot_errors(&sol.network, &sol.snapshots, &grid, &fd)?;
            Ok((m, vs_fd))
        })
    };
    let (nivp, nivp_fd) = variant(&problem, pr.nivp(5, pr.method(false))?, "Neural IVP")?;
    let mut no_restart_cfg = pr.nivp(5, pr.method(false))?;
    no_restart_cfg.restart = RestartConfig {
        enabled: false,
        ..RestartConfig::default()
    };
    let (plain_m, _) = variant(&problem, no_restart_cfg, "Neural IVP, no restarts")?;
    let mut shared_cfg = pr.nivp(5, pr.method(false))?;
    shared_cfg.network.trunks = Trunks::Shared;
    let (shared_m, _) = variant(&problem, shared_cfg, "Neural IVP, shared trunk")?;
    let uniform_problem = Wave3d {
        focus: 0.0,
        ..problem
    };
    let (uniform_m, _) = variant(
        &uniform_problem,
        pr.nivp(5, pr.method(false))?,
        "Neural IVP, uniform points",
    )?;
    let edm = if ctx.ednn {
        let inputs = format!("{problem:?} {:?}", pr.ednn(t_end));
        Some(ctx.part(dir, "EDNN", &inputs, || {
            let ed = run_ednn(ctx, &problem, t_end, &times, 0.0)?;
            let mut edm = MethodSeries::from_ednn(&ed);
            (edm.error_t, edm.error) = snapshot_errors(&ed.network, &ed.snapshots, &grid, &exact)?;
            edm.error_reference = "exact".into();
            Ok(edm)
        })?)
    } else {
        None
    };
    let mut methods = vec![&nivp, &plain_m, &shared_m, &uniform_m];
    methods.extend(edm.as_ref());
    standard_figures(
        dir,
        "wave3d",
        &methods,
        // from the first output after t = 0, where FD starts from the exact data
        vec![series(
            &format!("FD {n}³ vs exact"),
            &times[1..],
            &fd_vs_exact[1..],
        )],
    )?;
    chart(
        &dir.join("restarts_cg_iters.png"),
        "wave3d: CG iterations with and without restarts",
        "t",
        "CG iterations per solve",
        false,
        vec![
            series("with restarts", &nivp.step_t, &nivp.cg_iters),
            series("without restarts", &plain_m.step_t, &plain_m.cg_iters),
        ],
    )?;
    chart(
        &dir.join("restarts_lambda_max.png"),
        "wave3d: largest eigenvalue estimate of M̂",
        "t",
        "λ̂max",
        true,
        vec![
            series("with restarts", &nivp.step_t, &nivp.lambda_max),
            series("without restarts", &plain_m.step_t, &plain_m.lambda_max),
        ],
    )?;
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    let metric = format!("rel. L2 error of u vs exact on {n}³ at T = {t_end}");
    let mut fd_row = Row::new(&format!("FD {n}³"), 0, &metric, last(&fd_vs_exact));
    fd_row.wall_seconds = f64::NAN;
    let rows = methods
        .iter()
        .map(|m| m.row(&metric, last(&m.error)))
        .chain([fd_row])
        .collect();
    Ok(Summary {
        experiment: "wave3d".into(),
        rows,
        notes: vec![
            format!("profile f(s) = 2s²exp(−{} s²) (paper: 200)", problem.alpha),
            format!("Neural IVP and EDNN draw {:.0}% of their points in the shell |‖x‖ − t| ≤ {:.3} (importance-weighted); the paper samples uniformly", 100.0 * problem.focus, problem.shell_half_width()),
            "exact = source-free solution f(t − r)/r for r > t, 0 inside (the paper's formula adds a point source at the origin for t > 0)".into(),
            format!("Neural IVP vs FD {n}³ at T: {:.3e}", last(&nivp_fd)),
            format!(
                "restarts {} the run: error at T {:.3e} with, {:.3e} without ({} accepted, {} rejected)",
                if last(&nivp.error) <= last(&plain_m.error) { "did not worsen" } else { "WORSENED" },
                last(&nivp.error),
                last(&plain_m.error),
                nivp.restarts_t.len(),
                nivp.restarts_rejected_t.len()
            ),
        ],
        details: serde_json::json!({ "times": times, "neural_ivp": nivp, "neural_ivp_no_restarts": plain_m, "neural_ivp_shared_trunk": shared_m, "neural_ivp_uniform": uniform_m, "ednn": edm, "fd_vs_exact": fd_vs_exact, "neural_ivp_vs_fd": nivp_fd }),
        provenance: None,
    })
}
