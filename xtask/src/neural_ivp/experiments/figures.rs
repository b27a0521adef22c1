//! Line series and charts, and the standard figures of the PDE experiments.

use std::path::Path;

use anyhow::Result;

use super::method_series::MethodSeries;
use crate::plot::{LineChart, Series, line_chart};

/// A line series without a band.
pub(super) fn series(label: &str, x: &[f64], y: &[f64]) -> Series {
    Series {
        label: label.into(),
        x: x.to_vec(),
        y: y.to_vec(),
        band: None,
    }
}

/// Writes a line chart with a linear x axis.
pub(super) fn chart(
    path: &Path,
    title: &str,
    x: &str,
    y: &str,
    log_y: bool,
    s: Vec<Series>,
) -> Result<()> {
    line_chart(
        path,
        &LineChart {
            title: title.into(),
            x_label: x.into(),
            y_label: y.into(),
            log_y,
            log_x: false,
            series: s,
        },
    )
}

/// The figures every PDE experiment writes: error and residual vs time, CG iterations vs time.
pub(super) fn standard_figures(
    dir: &Path,
    name: &str,
    methods: &[&MethodSeries],
    extra_error: Vec<Series>,
) -> Result<()> {
    let mut err: Vec<Series> = methods
        .iter()
        .filter(|m| !m.error.is_empty())
        .map(|m| {
            series(
                &format!("{} (vs {})", m.method, m.error_reference),
                &m.error_t,
                &m.error,
            )
        })
        .collect();
    err.extend(extra_error);
    if !err.is_empty() {
        chart(
            &dir.join("error_vs_time.png"),
            &format!("{name}: relative L2 error"),
            "t",
            "relative error",
            true,
            err,
        )?;
    }
    let mut res: Vec<Series> = Vec::new();
    for m in methods {
        res.push(series(&m.method, &m.step_t, &m.residual));
        let outputs = m.residual_outputs.iter().map(Vec::len).max().unwrap_or(0);
        for o in (0..outputs).filter(|_| outputs > 1) {
            let r: Vec<f64> = m
                .residual_outputs
                .iter()
                .map(|r| r.get(o).copied().unwrap_or(f64::NAN))
                .collect();
            res.push(series(
                &format!("{}, equation {}", m.method, o + 1),
                &m.step_t,
                &r,
            ));
        }
    }
    chart(
        &dir.join("residual_vs_time.png"),
        &format!("{name}: PDE residual on fresh points"),
        "t",
        "‖Jθ̇ − f‖/‖f‖",
        true,
        res,
    )?;
    let cg: Vec<Series> = methods
        .iter()
        .filter(|m| !m.cg_iters.is_empty())
        .map(|m| series(&m.method, &m.step_t, &m.cg_iters))
        .collect();
    if !cg.is_empty() {
        chart(
            &dir.join("cg_iters_vs_time.png"),
            &format!("{name}: CG iterations per solve"),
            "t",
            "iterations",
            false,
            cg,
        )?;
    }
    Ok(())
}
