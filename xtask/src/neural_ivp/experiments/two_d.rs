//! The 2D problems, advection and heat: Neural IVP and EDNN against a fine-grid
//! finite-difference reference and the exact solution.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use neural_ivp::problems::{Advection2d, Heat2d, Ivp, initial_values};
use neural_ivp::reference::{Fd2d, Fd2dKind, integrate, interior_grid, relative_l2};
use neural_ivp::{ErrorNorm, NeuralIvpConfig, RkScheme};

use super::fields::{exact_u, output_times, snapshot_errors};
use super::figures::{series, standard_figures};
use super::method_series::MethodSeries;
use super::runs::{run_ednn, run_nivp};
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::Summary;

/// 2D advection or heat: Neural IVP (configured by `cfg`) and EDNN against FD on a fine grid
/// (and the exact solution).
fn two_d(
    ctx: &Ctx,
    dir: &Path,
    problem: &dyn Ivp,
    kind: Fd2dKind,
    t_end: f64,
    cfg: NeuralIvpConfig,
) -> Result<Summary> {
    let pr = &ctx.preset;
    let times = output_times(t_end, pr.outputs);
    let n = pr.grid2d;
    let grid = interior_grid(n, 2);
    let mut u0 = vec![0.0; n * n];
    initial_values(problem, &grid, &mut u0);
    let t = Instant::now();
    let fd = integrate(&mut Fd2d { n, kind }, u0, &times, 1e-7)?;
    let fd_seconds = t.elapsed().as_secs_f64();
    let exact: Vec<Vec<f64>> = times.iter().map(|&t| exact_u(problem, t, &grid)).collect();
    let fd_vs_exact: Vec<f64> = fd
        .iter()
        .zip(&exact)
        .map(|(a, b)| relative_l2(a, b))
        .collect();
    ctx.log.say(&format!(
        "  FD reference {n}² in {fd_seconds:.1} s, vs exact at T: {:.2e}",
        fd_vs_exact[fd_vs_exact.len() - 1]
    ));
    let inputs = format!("{} {t_end} {cfg:?}", problem.name());
    let (nivp, nivp_exact) = ctx.part(dir, "Neural IVP", &inputs, || {
        let sol = run_nivp(ctx, problem, cfg.clone(), t_end, &times)?;
        let mut nivp = MethodSeries::from_nivp(&sol);
        (nivp.error_t, nivp.error) = snapshot_errors(&sol.network, &sol.snapshots, &grid, &fd)?;
        nivp.error_reference = format!("FD {n}²");
        let (_, nivp_exact) = snapshot_errors(&sol.network, &sol.snapshots, &grid, &exact)?;
        Ok((nivp, nivp_exact))
    })?;
    let mut methods = vec![&nivp];
    let ednn = if ctx.ednn {
        let inputs = format!("{} {t_end} {:?}", problem.name(), pr.ednn(t_end));
        Some(ctx.part(dir, "EDNN", &inputs, || {
            let ed = run_ednn(ctx, problem, t_end, &times, 0.0)?;
            let mut edm = MethodSeries::from_ednn(&ed);
            (edm.error_t, edm.error) = snapshot_errors(&ed.network, &ed.snapshots, &grid, &fd)?;
            edm.error_reference = format!("FD {n}²");
            let (_, exact_errors) = snapshot_errors(&ed.network, &ed.snapshots, &grid, &exact)?;
            Ok((edm, exact_errors))
        })?)
    } else {
        None
    };
    if let Some((edm, _)) = &ednn {
        methods.push(edm);
    }
    standard_figures(
        dir,
        &problem.name(),
        &methods,
        vec![
            // from the first output after t = 0, where FD starts from the exact data
            series("FD vs exact", &times[1..], &fd_vs_exact[1..]),
            series("Neural IVP vs exact", &times, &nivp_exact),
        ],
    )?;
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    let vs_fd = format!("rel. L2 error vs FD {n}² at T = {t_end}");
    let vs_exact = format!("rel. L2 error vs exact on {n}² at T = {t_end}");
    let mut rows = vec![
        nivp.row(&vs_fd, last(&nivp.error)),
        nivp.row(&vs_exact, last(&nivp_exact)),
    ];
    if let Some((edm, exact_errors)) = &ednn {
        rows.push(edm.row(&vs_fd, last(&edm.error)));
        rows.push(edm.row(&vs_exact, last(exact_errors)));
    }
    let (edm, ednn_exact) = ednn.unzip();
    Ok(Summary {
        experiment: problem.name(),
        rows,
        notes: vec![format!(
            "FD (central differences, DP54 rtol 1e-7) vs exact at T: {:.3e}",
            last(&fd_vs_exact)
        )],
        details: serde_json::json!({ "times": times, "neural_ivp": nivp, "ednn": edm, "fd_vs_exact": fd_vs_exact, "neural_ivp_vs_exact": nivp_exact, "ednn_vs_exact": ednn_exact }),
        provenance: None,
    })
}

/// 2D advection with velocity (1, 1) and the preset's pulse width.
pub(super) fn advection(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let problem = Advection2d {
        sigma: ctx.preset.sigma2d,
    };
    let t_end = problem.t_end() * ctx.preset.horizon;
    // the reference code's advection run: its embedding amplitude, and its driver's L = 3,
    // μ = 1e-8, preconditioner rebuilt for every solve and BS23 accepting ‖e‖ ≤ 1e-3·‖θ₀‖ (the
    // amplitude, μ and the step control are each worth about 2x in error against our general
    // settings, and a kept preconditioner costs more CG iterations than it saves here: the
    // README's advection control); our warm-started CG and its cap of 1000 iterations stay
    let cfg = ctx.preset.nivp_tuned(3, RkScheme::Bs23, |c| {
        if let Some(e) = c.network.embedding.as_mut() {
            e.scale = 12.0 / std::f64::consts::PI;
        }
        c.solver.mu = 1e-8;
        c.solver.reuse_preconditioner = false;
        c.integrator.norm = ErrorNorm::InitialScaled;
        c.integrator.rtol = 1e-3;
    })?;
    two_d(
        ctx,
        dir,
        &problem,
        Fd2dKind::Advection { vx: 1.0, vy: 1.0 },
        t_end,
        cfg,
    )
}

/// 2D heat equation with ν = 0.05 and the preset's initial bump width.
pub(super) fn heat(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let problem = Heat2d {
        nu: 0.05,
        sigma: ctx.preset.sigma2d,
    };
    let t_end = problem.t_end() * ctx.preset.horizon;
    let pr = &ctx.preset;
    let cfg = pr.nivp(pr.frequencies, pr.method(false))?;
    two_d(ctx, dir, &problem, Fd2dKind::Heat { nu: 0.05 }, t_end, cfg)
}
