//! Cost scaling in the parameter count p: Neural IVP's matrix-free products against EDNN's
//! dense least-squares solves.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use neural_ivp::ednn;
use neural_ivp::reference::interior_grid;
use neural_ivp::{
    BlockOperator, Derivatives, Forward, GaussNewton, JetWorkspace, Jets, Network, NetworkConfig,
};

use super::figures::series;
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::{Row, Summary};
use crate::plot::{LineChart, line_chart};

/// Timed M̂ products per network (their median is used).
const PRODUCT_REPS: usize = 9;

/// Cost per step vs parameter count: Neural IVP's matrix-free products (linear in p) and
/// EDNN's dense solve (cubic).
pub(super) fn scaling(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let pr = &ctx.preset;
    let n = 1000;
    let pts = interior_grid(10, 3);
    let mut rows = Vec::new();
    let (mut ps, mut t_mvm, mut t_step) = (Vec::new(), Vec::new(), Vec::new());
    for &w in &pr.scaling_widths {
        let net = Network::new(
            &NetworkConfig {
                width: w,
                depth: 3,
                ..NetworkConfig::default()
            },
            3,
            1,
        )?;
        let theta = net.init(0);
        let p = net.num_params();
        let t = Instant::now();
        let mut fwd = Forward::new();
        net.forward(&theta, &pts[..n * 3], &mut fwd)?;
        let mut jets = Jets::new();
        net.jets(
            &theta,
            &pts[..n * 3],
            Derivatives::Laplacian,
            &mut jets,
            &mut JetWorkspace::new(),
        )?;
        let op = GaussNewton::new(&net, &theta, &fwd)?;
        let mut g = vec![0.0; p];
        op.rhs(&vec![1.0; n], &mut g)?;
        // The first product after a forward pass also computes the output sensitivities the
        // later ones reuse: it belongs to the linearisation, once per solve.
        let v = vec![1e-3; p];
        let mut y = vec![0.0; p];
        op.apply_block(&v, 1, &mut y)?;
        let setup = t.elapsed().as_secs_f64();
        // The median of several products: single products on a shared 2-core machine vary by
        // tens of percent.
        let mut times = Vec::with_capacity(PRODUCT_REPS);
        for _ in 0..PRODUCT_REPS {
            let t = Instant::now();
            op.apply_block(&v, 1, &mut y)?;
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let mvm = times[PRODUCT_REPS / 2];
        let step = 3.0 * (setup + 49.0 * mvm);
        ctx.log.say(&format!(
            "  Neural IVP p = {p}: M̂ product {:.2} ms, setup {:.2} ms, step ≈ {step:.2} s",
            mvm * 1e3,
            setup * 1e3
        ));
        ps.push(p as f64);
        t_mvm.push(mvm);
        t_step.push(step);
        rows.push(Row::new(
            "Neural IVP",
            p,
            "seconds per step (3 solves × 50 CG its, n = 1000)",
            step,
        ));
    }
    let (mut eps, mut e_step) = (Vec::new(), Vec::new());
    for &w in &pr.scaling_ednn_widths {
        let net = Network::new(
            &NetworkConfig {
                width: w,
                ..NetworkConfig::ednn()
            },
            3,
            1,
        )?;
        let theta = net.init(0);
        let p = net.num_params();
        let rows_n = n.max(p + 1);
        let big = interior_grid(((rows_n as f64).cbrt().ceil()) as usize, 3);
        let t = Instant::now();
        let mut fwd = Forward::new();
        net.forward(&theta, &big[..rows_n * 3], &mut fwd)?;
        let mut jac = vec![0.0; rows_n * p];
        ednn::dense_jacobian(&net, &theta, &fwd, &mut jac)?;
        let mut out = vec![0.0; p];
        ednn::truncated_lstsq(&jac, rows_n, p, &vec![1.0; rows_n], 1e-3, &mut out)?;
        let stage = t.elapsed().as_secs_f64();
        ctx.log.say(&format!(
            "  EDNN p = {p}: dense stage {stage:.2} s ({rows_n} points)"
        ));
        eps.push(p as f64);
        e_step.push(4.0 * stage);
        rows.push(Row::new(
            "EDNN",
            p,
            "seconds per RK4 step (4 dense solves, n = max(1000, p+1))",
            4.0 * stage,
        ));
    }
    let slope = |x: &[f64], y: &[f64]| {
        let k = x.len();
        if k < 2 {
            f64::NAN
        } else {
            (y[k - 1] / y[0]).ln() / (x[k - 1] / x[0]).ln()
        }
    };
    line_chart(
        &dir.join("time_per_step_vs_params.png"),
        &LineChart {
            title: "Cost per step vs parameter count".into(),
            x_label: "parameters p".into(),
            y_label: "seconds".into(),
            log_y: true,
            log_x: true,
            series: vec![
                series(
                    "Neural IVP step (estimate from measured products)",
                    &ps,
                    &t_step,
                ),
                series("Neural IVP M̂ product", &ps, &t_mvm),
                series("EDNN RK4 step (measured)", &eps, &e_step),
            ],
        },
    )?;
    Ok(Summary {
        experiment: "scaling".into(),
        rows,
        notes: vec![
            format!(
                "log-log slope of the Neural IVP M̂ product time in p: {:.2} (linear = 1)",
                slope(&ps, &t_mvm)
            ),
            format!(
                "log-log slope of the EDNN step time in p: {:.2} (cubic = 3)",
                slope(&eps, &e_step)
            ),
        ],
        details: serde_json::json!({ "nivp_params": ps, "nivp_mvm_seconds": t_mvm, "nivp_step_seconds": t_step, "ednn_params": eps, "ednn_step_seconds": e_step }),
        provenance: None,
    })
}
