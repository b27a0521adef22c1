//! The initial-fit study of the paper's figure 2: how well each network design fits the wave
//! packet, by frequency and by parameter count.

use std::path::Path;

use anyhow::Result;
use neural_ivp::problems::wave_packet;
use neural_ivp::{Activation, EmbeddingConfig, FitConfig, Measure, Network, NetworkConfig, fit};

use super::figures::{chart, series};
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::{Row, Summary};
use crate::plot::{LineChart, line_chart};

/// Figure 2: initial-fit error vs frequency for the interventions, and vs parameter count.
pub(super) fn initial_fit(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let pr = &ctx.preset;
    let fit_cfg = |head: bool| FitConfig {
        head_points: if head { pr.fit().head_points } else { 0 },
        ..pr.fit()
    };
    let emb = Some(EmbeddingConfig::default());
    let variants: Vec<(&str, NetworkConfig, bool)> = vec![
        (
            "EDNN net (tanh 4×30)",
            NetworkConfig {
                dirichlet: false,
                ..NetworkConfig::ednn()
            },
            false,
        ),
        (
            "+ sinusoidal embedding",
            NetworkConfig {
                embedding: emb,
                activation: Activation::Swish,
                dirichlet: false,
                ..NetworkConfig::ednn()
            },
            false,
        ),
        (
            "+ head tuning",
            NetworkConfig {
                embedding: emb,
                activation: Activation::Swish,
                dirichlet: false,
                ..NetworkConfig::ednn()
            },
            true,
        ),
        (
            "+ scale",
            NetworkConfig {
                width: pr.width * 2,
                depth: 3,
                embedding: emb,
                dirichlet: false,
                ..NetworkConfig::default()
            },
            true,
        ),
    ];
    let mut rows = Vec::new();
    let mut freq_series = Vec::new();
    let mut details = Vec::new();
    for (label, net_cfg, head) in &variants {
        let mut errs = Vec::new();
        let mut params = 0;
        for &f in &pr.fig2_freqs {
            let net = Network::new(net_cfg, 3, 1)?;
            params = net.num_params();
            let mut theta = net.init(0);
            let target = move |pts: &[f64], out: &mut [f64]| {
                for (x, o) in pts.chunks_exact(3).zip(out.iter_mut()) {
                    *o = wave_packet(f, x);
                }
            };
            let rep = fit(
                &net,
                &mut theta,
                &target,
                &Measure::Uniform,
                &fit_cfg(*head),
                1,
            )?;
            errs.push(rep.rel_error);
            ctx.log.say(&format!(
                "  fit {label}, f = {f}: p = {params}, error {:.3e} ({:.1} s)",
                rep.rel_error, rep.seconds
            ));
        }
        freq_series.push(series(
            &format!("{label} (p = {params})"),
            &pr.fig2_freqs,
            &errs,
        ));
        details.push(serde_json::json!({ "variant": label, "params": params, "freqs": pr.fig2_freqs, "rel_error": errs }));
        rows.push(Row::new(
            label,
            params,
            "fit error at f = 1",
            errs[pr.fig2_freqs.iter().position(|&f| f == 1.0).unwrap_or(0)],
        ));
    }
    chart(
        &dir.join("fit_error_vs_frequency.png"),
        "Initial fit of the wave packet vs frequency",
        "f",
        "relative L2 error",
        true,
        freq_series,
    )?;
    let (mut ps, mut es) = (Vec::new(), Vec::new());
    for &w in &pr.fig2_widths {
        let net = Network::new(
            &NetworkConfig {
                width: w,
                depth: 3,
                embedding: emb,
                dirichlet: false,
                ..NetworkConfig::default()
            },
            3,
            1,
        )?;
        let mut theta = net.init(0);
        let target = |pts: &[f64], out: &mut [f64]| {
            for (x, o) in pts.chunks_exact(3).zip(out.iter_mut()) {
                *o = wave_packet(1.0, x);
            }
        };
        let rep = fit(
            &net,
            &mut theta,
            &target,
            &Measure::Uniform,
            &fit_cfg(true),
            1,
        )?;
        ctx.log.say(&format!(
            "  fit width {w}: p = {}, error {:.3e}",
            net.num_params(),
            rep.rel_error
        ));
        ps.push(net.num_params() as f64);
        es.push(rep.rel_error);
    }
    line_chart(
        &dir.join("fit_error_vs_params.png"),
        &LineChart {
            title: "Initial fit (f = 1) vs parameter count".into(),
            x_label: "parameters".into(),
            y_label: "relative L2 error".into(),
            log_y: true,
            log_x: true,
            series: vec![series("embedding + head tuning", &ps, &es)],
        },
    )?;
    details.push(serde_json::json!({ "params": ps, "rel_error": es }));
    Ok(Summary {
        experiment: "initial_fit".into(),
        rows,
        notes: vec![format!(
            "{} Adam iterations per fit; s₁ = 0.3, s₂ = 0.2 (not given in the paper)",
            pr.fit_iters
        )],
        details: serde_json::json!(details),
        provenance: None,
    })
}
