//! Summaries and the Markdown table.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::Size;
use crate::provenance::Provenance;

/// The result of one experiment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Summary {
    /// Experiment (or problem) name.
    pub experiment: String,
    /// Its lines in the table.
    pub rows: Vec<Row>,
    /// Notes listed under the table.
    pub notes: Vec<String>,
    /// Everything else (time series, counters), as written to `summary.json`.
    pub details: serde_json::Value,
    /// The code and command that produced it (absent in summaries of older versions).
    #[serde(default)]
    pub provenance: Option<Provenance>,
}

/// One line of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Row {
    /// Method (or variant) name.
    pub method: String,
    /// Parameter count p (0 for grid methods).
    pub params: usize,
    /// What `value` measures.
    pub metric: String,
    /// The measured value.
    #[serde(deserialize_with = "nan_from_null")]
    pub value: f64,
    /// Mean relative PDE residual on fresh points (NaN where not measured).
    #[serde(deserialize_with = "nan_from_null")]
    pub mean_residual: f64,
    /// The mean residual of each equation alone (empty for one equation or where not measured).
    #[serde(default)]
    pub mean_residual_outputs: Vec<f64>,
    /// Mean CG iterations per linear solve (Neural IVP only).
    pub cg_iters_per_solve: Option<f64>,
    /// Accepted restarts during the run.
    pub restarts: usize,
    /// Refits rejected as worse than the state they would replace.
    #[serde(default)]
    pub restarts_rejected: usize,
    /// Wall time of the run (NaN where not measured).
    #[serde(deserialize_with = "nan_from_null")]
    pub wall_seconds: f64,
}

/// Reads back an `f64` that JSON stored as `null` (serde_json writes NaN so) as NaN, so that a
/// resumed run can read the summaries it skips.
fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl Row {
    /// A row with only the method, parameter count, metric and value set.
    pub fn new(method: &str, params: usize, metric: &str, value: f64) -> Self {
        Self {
            method: method.into(),
            params,
            metric: metric.into(),
            value,
            mean_residual: f64::NAN,
            mean_residual_outputs: Vec::new(),
            cg_iters_per_solve: None,
            restarts: 0,
            restarts_rejected: 0,
            wall_seconds: f64::NAN,
        }
    }
}

/// `v` in scientific notation, or a dash if not finite.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3e}")
    } else {
        "–".into()
    }
}

/// Writes `table.md`.
pub(crate) fn write_table(dir: &Path, summaries: &[Summary], size: Size) -> Result<()> {
    let mut s = format!("# Neural IVP reproduction ({})\n\n", size.name());
    s += &table(summaries)?;
    std::fs::write(dir.join("table.md"), s)?;
    Ok(())
}

/// The table of all rows, then the notes, as Markdown.
pub(crate) fn table(summaries: &[Summary]) -> Result<String> {
    let mut s = String::new();
    writeln!(
        s,
        "| experiment | method | p | metric | value | mean residual | per equation | CG its/solve | restarts | wall s |"
    )?;
    writeln!(s, "|---|---|---|---|---|---|---|---|---|---|")?;
    for sum in summaries {
        for r in &sum.rows {
            writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                sum.experiment,
                r.method,
                r.params,
                r.metric,
                num(r.value),
                num(r.mean_residual),
                if r.mean_residual_outputs.is_empty() {
                    "–".to_string()
                } else {
                    r.mean_residual_outputs
                        .iter()
                        .map(|&v| num(v))
                        .collect::<Vec<_>>()
                        .join(" / ")
                },
                r.cg_iters_per_solve
                    .map(|v| format!("{v:.1}"))
                    .unwrap_or_else(|| "–".into()),
                if r.restarts_rejected > 0 {
                    format!("{} (+{} rejected)", r.restarts, r.restarts_rejected)
                } else {
                    r.restarts.to_string()
                },
                if r.wall_seconds.is_finite() {
                    format!("{:.1}", r.wall_seconds)
                } else {
                    "–".into()
                },
            )?;
        }
    }
    writeln!(s, "\nNotes:\n")?;
    for sum in summaries {
        for n in &sum.notes {
            writeln!(s, "- {}: {n}", sum.experiment)?;
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with unmeasured (NaN) fields survives the trip through summary.json, as resuming
    /// a run needs.
    #[test]
    fn rows_with_nan_read_back() {
        let row = Row::new("FD 64³", 0, "rel. L2 error", 0.02);
        let text = serde_json::to_string(&row).unwrap();
        assert!(text.contains("\"mean_residual\":null"), "{text}");
        let back: Row = serde_json::from_str(&text).unwrap();
        assert_eq!(back.value, 0.02);
        assert!(back.mean_residual.is_nan() && back.wall_seconds.is_nan());
    }
}
