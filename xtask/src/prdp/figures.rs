//! The counterparts of the PRDP paper's figures 3, 4, 6, 7, 8 and 10.

use std::path::Path;

use anyhow::Result;
use prdp_train::RunRecord;

use super::stats::band;
use crate::plot::{Bar, LineChart, Series, bar_chart, line_chart};

/// Each interval's position in epochs, fractional where the controller decides between epoch
/// ends (a rescaled interval of update steps).
fn epochs(r: &RunRecord) -> Vec<f64> {
    let per_epoch = r
        .intervals
        .iter()
        .rev()
        .find(|i| i.epoch > 0)
        .map_or(1.0, |i| i.update_steps as f64 / i.epoch as f64);
    r.intervals
        .iter()
        .map(|i| i.update_steps as f64 / per_epoch)
        .collect()
}

/// Mean ± std over seeds of a per-interval quantity.
fn banded(
    label: &str,
    group: &[&RunRecord],
    f: impl Fn(&prdp_train::IntervalRecord) -> f64,
) -> Option<Series> {
    let first = group.first()?;
    let series: Vec<Vec<f64>> = group
        .iter()
        .map(|r| r.intervals.iter().map(&f).collect())
        .collect();
    let (mean, std) = band(&series);
    let lo = mean.iter().zip(&std).map(|(m, s)| m - s).collect();
    let hi = mean.iter().zip(&std).map(|(m, s)| m + s).collect();
    Some(Series {
        label: label.to_owned(),
        x: epochs(first)[..mean.len()].to_vec(),
        y: mean,
        band: (group.len() > 1).then_some((lo, hi)),
    })
}

/// validation.png (figures 4 and 6: baseline, sweep, PRDP), k_schedule.png (figure 6, lower
/// panel) and cost.png (figures 7, 8, 10: cumulative inner iterations, PRDP split into what it
/// spent and its PR and IC savings).
pub fn emulator(
    dir: &Path,
    name: &str,
    k_eps: usize,
    baseline: &[&RunRecord],
    prdp: &[&RunRecord],
    sweep: &[(usize, Vec<&RunRecord>)],
) -> Result<()> {
    let metric = |i: &prdp_train::IntervalRecord| i.validation.metric;
    let mut series = Vec::new();
    for (k, g) in sweep {
        if let Some(mut s) = banded(&format!("K = {k}"), g, metric) {
            s.band = None;
            series.push(s);
        }
    }
    series.extend(banded(
        &format!("converged (K = {k_eps})"),
        baseline,
        metric,
    ));
    series.extend(banded("PRDP", prdp, metric));
    line_chart(
        &dir.join("validation.png"),
        &LineChart {
            title: format!("{name}: validation error"),
            x_label: "epoch".into(),
            y_label: "validation nMSE (eq. 56)".into(),
            log_y: true,
            log_x: false,
            series,
        },
    )?;
    let mut ks = Vec::new();
    if let Some(first) = prdp.first() {
        let x = epochs(first);
        ks.push(Series {
            label: format!("K_ε = {k_eps}"),
            y: vec![k_eps as f64; x.len()],
            x,
            band: None,
        });
    }
    ks.extend(banded("PRDP K", prdp, |i| i.k as f64));
    line_chart(
        &dir.join("k_schedule.png"),
        &LineChart {
            title: format!("{name}: solver iterations chosen by PRDP"),
            x_label: "epoch".into(),
            y_label: "K".into(),
            log_y: false,
            log_x: false,
            series: ks,
        },
    )?;
    let mean = |g: &[&RunRecord], f: &dyn Fn(&RunRecord) -> f64| {
        g.iter().map(|r| f(r)).sum::<f64>() / g.len().max(1) as f64
    };
    let cost_b = mean(baseline, &|r| r.ledger.cost as f64);
    let cost_p = mean(prdp, &|r| r.ledger.cost as f64);
    let steps = mean(prdp, &|r| r.ledger.update_steps as f64);
    let k_final = mean(prdp, &|r| r.final_k() as f64);
    let ic = (cost_b - k_final * steps).max(0.0);
    let pr = (cost_b - cost_p - ic).max(0.0);
    bar_chart(
        &dir.join("cost.png"),
        &format!("{name}: cumulative inner iterations"),
        "inner iterations (Σ K)",
        &[
            Bar {
                label: "converged".into(),
                segments: vec![("spent".into(), cost_b)],
            },
            Bar {
                label: "PRDP".into(),
                segments: vec![
                    ("spent".into(), cost_p),
                    ("PR savings".into(), pr),
                    ("IC savings".into(), ic),
                ],
            },
        ],
    )
}

/// error.png for the inverse problem (figures 3 and 15): parameter error against cumulative
/// inner iterations.
pub fn inverse(path: &Path, title: &str, runs: &[(&str, &RunRecord)]) -> Result<()> {
    let series = runs
        .iter()
        .map(|(label, r)| Series {
            label: (*label).to_owned(),
            x: r.intervals.iter().map(|i| i.cost as f64).collect(),
            y: r.intervals.iter().map(|i| i.validation.metric).collect(),
            band: None,
        })
        .collect();
    line_chart(
        path,
        &LineChart {
            title: title.to_owned(),
            x_label: "cumulative inner iterations".into(),
            y_label: "relative parameter error".into(),
            log_y: true,
            log_x: false,
            series,
        },
    )
}
