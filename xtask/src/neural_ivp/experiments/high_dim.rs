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

/// Half-width of the interior cube of the Fokker–Planck residual.
const FP_INTERIOR: f64 = 0.8;

/// Residual-only problems: Neural IVP and EDNN, on points focused on the density (`focused`)
/// and uniform in the cube as in the paper (`uniform`), with residuals over time and at T
/// (and on the interior cube of half-width `interior`, if not 0).
fn residual_only(
    ctx: &Ctx,
    dir: &Path,
    (focused, uniform): (&dyn Ivp, &dyn Ivp),
    t_end: f64,
    frequencies: usize,
    interior: f64,
) -> Result<Summary> {
    let pr = &ctx.preset;
    let times = output_times(t_end, 2);
    let mut nivp_cfg = pr.nivp(frequencies, pr.method(false))?;
    nivp_cfg.eval_interior = interior;
    // both methods on one point set
    let pair = |problem: &dyn Ivp, points: &str| -> Result<(MethodSeries, MethodSeries)> {
        let method = format!("Neural IVP, {points}");
        let inputs = format!("{} {t_end} {nivp_cfg:?}", problem.name());
        let nivp = ctx.part(dir, &method, &inputs, || {
            let sol = run_nivp(ctx, problem, nivp_cfg.clone(), t_end, &times)?;
            let mut nivp = MethodSeries::from_nivp(&sol);
            nivp.method.clone_from(&method);
            Ok(nivp)
        })?;
        let method = format!("EDNN, {points}");
        let inputs = format!("{} {t_end} {interior}", problem.name());
        let edm = ctx.part(dir, &method, &inputs, || {
            let ed = run_ednn(ctx, problem, t_end, &times, interior)?;
            let mut edm = MethodSeries::from_ednn(&ed);
            edm.method.clone_from(&method);
            Ok(edm)
        })?;
        Ok((nivp, edm))
    };
    let methods = [
        pair(focused, "focused points")?,
        pair(uniform, "uniform points")?,
    ];
    let all: Vec<&MethodSeries> = methods.iter().flat_map(|(a, b)| [a, b]).collect();
    standard_figures(dir, &focused.name(), &all, Vec::new())?;
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    let mean = "mean relative PDE residual on fresh points";
    let at_t = format!("relative PDE residual at T = {t_end}");
    let inner = format!("relative PDE residual at T on [−{interior}, {interior}]^d");
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (nivp, edm) in &methods {
        for m in [nivp, edm] {
            rows.push(m.row(mean, m.mean_residual()));
            rows.push(m.row(&at_t, last(&m.residual)));
            if interior > 0.0 {
                rows.push(m.row(&inner, last(&m.residual_interior)));
            }
        }
        let points = nivp.method.trim_start_matches("Neural IVP, ");
        let mut ratio = format!(
            "{points}: EDNN / Neural IVP residual ratio {:.2} (mean over steps), {:.2} (at T)",
            edm.mean_residual() / nivp.mean_residual(),
            last(&edm.residual) / last(&nivp.residual),
        );
        if interior > 0.0 {
            ratio += &format!(
                ", {:.2} (at T, interior)",
                last(&edm.residual_interior) / last(&nivp.residual_interior)
            );
        }
        notes.push(ratio + " (paper: about 10)");
    }
    notes.push(
        "focused points: half the Monte Carlo and residual points from a Gaussian about the density, importance-weighted to the uniform measure; the paper samples uniformly"
            .into(),
    );
    let [(nivp, edm), (nivp_u, edm_u)] = &methods;
    Ok(Summary {
        experiment: focused.name(),
        rows,
        notes,
        details: serde_json::json!({
            "neural_ivp": nivp, "ednn": edm,
            "neural_ivp_uniform": nivp_u, "ednn_uniform": edm_u,
        }),
        provenance: None,
    })
}

/// The 6D Vlasov equation (residual only).
pub(super) fn vlasov(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let problem = Vlasov6d::default();
    let uniform = Vlasov6d {
        focus: 0.0,
        ..problem
    };
    let t_end = problem.t_end() * ctx.preset.horizon;
    residual_only(ctx, dir, (&problem, &uniform), t_end, 3, 0.0)
}

/// The Fokker–Planck equation in the default dimension (residual only), also on the interior
/// cube: the Dirichlet factor makes J θ̇ vanish at the walls while L\[u\] does not.
pub(super) fn fokker_planck(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let problem = FokkerPlanck::default();
    let uniform = FokkerPlanck {
        focus: 0.0,
        ..problem
    };
    let t_end = problem.t_end() * ctx.preset.horizon;
    residual_only(ctx, dir, (&problem, &uniform), t_end, 3, FP_INTERIOR)
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
        provenance: None,
    })
}
