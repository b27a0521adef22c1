//! The high-dimensional problems without a reference solution (Vlasov, Fokker–Planck), judged
//! by their PDE residual, and the Fokker–Planck dimension sweep.

use std::path::Path;

use anyhow::Result;
use neural_ivp::problems::{FokkerPlanck, Ivp, Vlasov6d};

use super::fields::output_times;
use super::figures::{chart, series, standard_figures};
use super::method_series::MethodSeries;
use super::runs::{run_ednn, run_nivp};
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::Summary;

/// Residual-only problems: Neural IVP and EDNN.
fn residual_only(
    ctx: &Ctx,
    dir: &Path,
    problem: &dyn Ivp,
    t_end: f64,
    frequencies: usize,
) -> Result<Summary> {
    let pr = &ctx.preset;
    let times = output_times(t_end, 2);
    let sol = run_nivp(
        ctx,
        problem,
        pr.nivp(frequencies, pr.method(false))?,
        t_end,
        &times,
    )?;
    let nivp = MethodSeries::from_nivp(&sol);
    let ed = run_ednn(ctx, problem, t_end, &times)?;
    let edm = MethodSeries::from_ednn(&ed);
    standard_figures(dir, &problem.name(), &[&nivp, &edm], Vec::new())?;
    let metric = "mean relative PDE residual on fresh points";
    let ratio = edm.mean_residual() / nivp.mean_residual();
    Ok(Summary {
        experiment: problem.name(),
        rows: vec![
            nivp.row(metric, nivp.mean_residual()),
            edm.row(metric, edm.mean_residual()),
        ],
        notes: vec![format!(
            "EDNN / Neural IVP mean residual ratio: {ratio:.2} (paper: about 10)"
        )],
        details: serde_json::json!({ "neural_ivp": nivp, "ednn": edm }),
    })
}

/// The 6D Vlasov equation (residual only).
pub(super) fn vlasov(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let problem = Vlasov6d::default();
    residual_only(ctx, dir, &problem, problem.t_end() * ctx.preset.horizon, 3)
}

/// The Fokker–Planck equation in the default dimension (residual only).
pub(super) fn fokker_planck(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let problem = FokkerPlanck::default();
    residual_only(ctx, dir, &problem, problem.t_end() * ctx.preset.horizon, 3)
}

/// Fokker–Planck dimension sweep: Neural IVP's mean residual and CG iterations per solve
/// for every dimension of the preset.
pub(super) fn fp_dimension(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let pr = &ctx.preset;
    let mut rows = Vec::new();
    let (mut ds, mut res, mut iters) = (Vec::new(), Vec::new(), Vec::new());
    for &d in &pr.fp_dims {
        let problem = FokkerPlanck {
            d,
            ..FokkerPlanck::default()
        };
        let t_end = problem.t_end() * pr.fp_horizon;
        let mut cfg = pr.nivp(3, pr.method(false))?;
        cfg.restart.enabled = false;
        // the bump initial condition is exactly the Dirichlet factor: head tuning fits it
        cfg.fit.iters = pr.fp_fit_iters;
        let sol = run_nivp(ctx, &problem, cfg, t_end, &[t_end])?;
        let m = MethodSeries::from_nivp(&sol);
        ds.push(d as f64);
        res.push(m.mean_residual());
        iters.push(m.cg_iters_total as f64 / m.solves.max(1) as f64);
        let mut row = m.row(
            &format!("mean residual, d = {d}, T = {t_end}"),
            m.mean_residual(),
        );
        row.method = format!("Neural IVP (d = {d})");
        rows.push(row);
    }
    chart(
        &dir.join("residual_vs_dimension.png"),
        "Fokker–Planck: residual vs dimension",
        "d",
        "mean PDE residual",
        true,
        vec![series("Neural IVP", &ds, &res)],
    )?;
    chart(
        &dir.join("cg_iters_vs_dimension.png"),
        "Fokker–Planck: CG iterations vs dimension",
        "d",
        "CG iterations per solve",
        false,
        vec![series("Neural IVP", &ds, &iters)],
    )?;
    Ok(Summary {
        experiment: "fokker_planck_dimension".into(),
        rows,
        notes: vec!["paper: solutions up to d = 20 (figure 5)".into()],
        details: serde_json::json!({ "d": ds, "residual": res, "cg_iters_per_solve": iters }),
    })
}
