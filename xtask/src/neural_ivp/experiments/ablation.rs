//! The solver ablation: preconditioner reuse and warm starts of CG.

use std::path::Path;

use anyhow::Result;
use neural_ivp::problems::{Advection2d, Ivp};

use super::method_series::MethodSeries;
use super::runs::run_nivp;
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::Summary;
use crate::plot::{Bar, bar_chart};

/// Preconditioner reuse and warm starts: the four combinations on advection.
pub(super) fn ablation(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let pr = &ctx.preset;
    let problem = Advection2d { sigma: 0.1 };
    let t_end = problem.t_end() * pr.ablation_horizon;
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    let mut details = Vec::new();
    for (reuse, warm, label) in [
        (false, false, "reference (rebuild, cold)"),
        (true, false, "reuse preconditioner"),
        (false, true, "warm start"),
        (true, true, "both (default)"),
    ] {
        let mut cfg = pr.nivp(4, pr.method(false))?;
        cfg.solver.reuse_preconditioner = reuse;
        cfg.solver.warm_start = warm;
        cfg.restart.enabled = false;
        let sol = run_nivp(ctx, &problem, cfg, t_end, &[t_end])?;
        let r = &sol.record;
        let sketch = r.matvecs - r.cg_iters;
        bars.push(Bar {
            label: label.into(),
            segments: vec![
                ("CG products".into(), r.cg_iters as f64),
                ("Nyström sketch products".into(), sketch as f64),
            ],
        });
        let series = MethodSeries::from_nivp(&sol);
        let per_step = r.matvecs as f64 / r.steps.len().max(1) as f64;
        for (metric, value) in [
            ("M̂ products (CG + sketch)", r.matvecs as f64),
            ("M̂ products per accepted step", per_step),
        ] {
            let mut row = series.row(metric, value);
            row.method = label.into();
            rows.push(row);
        }
        details.push(serde_json::json!({
            "variant": label, "solves": r.solves, "cg_iters": r.cg_iters, "matvecs": r.matvecs,
            "builds": r.builds, "steps": r.steps.len(), "wall_seconds": r.wall_seconds, "fit_seconds": r.fit_seconds,
        }));
    }
    bar_chart(
        &dir.join("ablation_matvecs.png"),
        "advection: M̂ products by solver variant",
        "products",
        &bars,
    )?;
    Ok(Summary {
        experiment: "solver_ablation".into(),
        rows,
        notes: vec![format!(
            "2D advection (s = 0.1) to T = {t_end}, same seed; the reference code rebuilds the preconditioner at every stage and starts CG from zero"
        )],
        details: serde_json::json!(details),
        provenance: None,
    })
}
