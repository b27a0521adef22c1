//! Summaries and the Markdown table.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

/// The result of one experiment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub experiment: String,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
    pub details: serde_json::Value,
}

/// One line of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Row {
    pub method: String,
    pub params: usize,
    pub metric: String,
    pub value: f64,
    pub mean_residual: f64,
    pub cg_iters_per_solve: Option<f64>,
    pub restarts: usize,
    pub wall_seconds: f64,
}

impl Row {
    pub fn new(method: &str, params: usize, metric: &str, value: f64) -> Self {
        Self {
            method: method.into(),
            params,
            metric: metric.into(),
            value,
            mean_residual: f64::NAN,
            cg_iters_per_solve: None,
            restarts: 0,
            wall_seconds: f64::NAN,
        }
    }
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3e}")
    } else {
        "–".into()
    }
}

/// Writes `table.md`.
pub(crate) fn write_table(dir: &Path, summaries: &[Summary], quick: bool) -> Result<()> {
    let mut s = String::new();
    writeln!(
        s,
        "# Neural IVP reproduction ({})\n",
        if quick { "quick" } else { "full" }
    )?;
    writeln!(
        s,
        "| experiment | method | p | metric | value | mean residual | CG its/solve | restarts | wall s |"
    )?;
    writeln!(s, "|---|---|---|---|---|---|---|---|---|")?;
    for sum in summaries {
        for r in &sum.rows {
            writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                sum.experiment,
                r.method,
                r.params,
                r.metric,
                num(r.value),
                num(r.mean_residual),
                r.cg_iters_per_solve
                    .map(|v| format!("{v:.1}"))
                    .unwrap_or_else(|| "–".into()),
                r.restarts,
                if r.wall_seconds.is_finite() {
                    format!("{:.1}", r.wall_seconds)
                } else {
                    "–".into()
                },
            )?;
        }
    }
    writeln!(s, "\n## Notes\n")?;
    for sum in summaries {
        for n in &sum.notes {
            writeln!(s, "- {}: {n}", sum.experiment)?;
        }
    }
    std::fs::write(dir.join("table.md"), s)?;
    Ok(())
}
