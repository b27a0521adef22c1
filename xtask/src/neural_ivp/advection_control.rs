//! The 2D advection control of the README: the reference code's solver configuration with our
//! initial fit (R), then R with one setting put back to ours at a time, and R with the code's
//! fit, each a control run kept under `results/neural-ivp/controls/advection-<change>-<preset>/`;
//! beside them the preset's own run (every setting ours).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::Summary;
use crate::Size;

/// The `--set` overrides of R: the reference code's embedding, CG and step control.
pub(crate) const REFERENCE_SETTINGS: &str = "--set network.embedding.frequencies=3 \
    --set network.embedding.scale=3.82 --set solver.mu=1e-8 --set solver.warm_start=false \
    --set solver.cg_max_iters=100 --set solver.reuse_preconditioner=false \
    --set integrator.method=bs23 --set integrator.norm=initial_scaled --set integrator.rtol=1e-3";

/// The rows: the folder's change label, what it changes against R, and the `--set` that adds
/// it to R (`None` for R itself).
const CHANGES: [(&str, &str, Option<&str>); 9] = [
    ("code", "R: the code's solver settings, our fit", None),
    (
        "ours-frequencies",
        "L = 5 frequencies (code: 3)",
        Some("--set network.embedding.frequencies=5"),
    ),
    (
        "ours-amplitude",
        "embedding amplitude 1.5·2^−k, the paper's (code: ≈ 3.82·2^−k)",
        Some("--set network.embedding.scale=1.5"),
    ),
    (
        "ours-mu",
        "μ = 1e-6 (code: 1e-8)",
        Some("--set solver.mu=1e-6"),
    ),
    (
        "ours-warm-cg",
        "CG warm-started from the previous θ̇ (code: from zero)",
        Some("--set solver.warm_start=true"),
    ),
    (
        "ours-cg-cap",
        "CG capped at 1000 iterations (code: 100)",
        Some("--set solver.cg_max_iters=1000"),
    ),
    (
        "ours-reuse",
        "Nyström preconditioner kept across stages (code: rebuilt at every stage)",
        Some("--set solver.reuse_preconditioner=true"),
    ),
    (
        "ours-integrator",
        "the preset's RK scheme, the mixed error norm atol = rtol = 1e-4 (the presets' until 2026-12-06; code: BS23, ‖e‖ ≤ 1e-3·‖θ₀‖)",
        Some(
            "--set integrator.method=<preset's> --set integrator.norm=mixed --set integrator.rtol=1e-4",
        ),
    ),
    (
        "code-fit",
        "the code's fit: constant rate 3e-4, no head tuning (ours: cosine decay from the preset's rate, head tuning), same number of Adam steps",
        Some("--set fit.lr=3e-4 --set fit.final_lr_fraction=1 --set fit.head_points=0"),
    ),
];

/// The sizes a control may be kept at, in column order.
const SIZES: [Size; 3] = [Size::Quick, Size::Medium, Size::Full];

/// The Neural IVP run's row scored against the exact solution in `summary`.
fn exact_row(summary: &Summary) -> Option<&super::report::Row> {
    summary
        .rows
        .iter()
        .find(|r| r.method == "Neural IVP" && r.metric.contains("vs exact"))
}

/// Error against the exact solution, mean residual and CG iterations per solve of the Neural
/// IVP run in `summary`.
fn figures(summary: &Summary) -> Option<(f64, f64, Option<f64>)> {
    exact_row(summary).map(|r| (r.value, r.mean_residual, r.cg_iters_per_solve))
}

/// The advection2d summary kept in `dir`, if any.
fn summary(dir: &Path) -> Result<Option<Summary>> {
    let path = dir.join("advection2d").join("summary.json");
    if !path.exists() {
        return Ok(None);
    }
    crate::results::read(&path).map(Some)
}

/// The README's advection control table from `results/neural-ivp/`, one column group per size
/// at which R was run; empty if it never was.
///
/// # Errors
/// A summary that does not parse.
pub(crate) fn table(nivp: &Path) -> Result<String> {
    let mut columns = Vec::new();
    for size in SIZES {
        let control = |label: &str| {
            summary(
                &nivp
                    .join("controls")
                    .join(format!("advection-{label}-{}", size.name())),
            )
        };
        let Some(reference) = control("code")? else {
            continue;
        };
        let mut cells = Vec::new();
        for (label, _, _) in CHANGES {
            cells.push(control(label)?.as_ref().and_then(figures));
        }
        cells.push(summary(&nivp.join(size.name()))?.as_ref().and_then(figures));
        let scored = exact_row(&reference)
            .map(|r| format!("{}: {}, p = {} for R", size.name(), r.metric, r.params))
            .unwrap_or_default();
        columns.push((size, scored, cells));
    }
    if columns.is_empty() {
        return Ok(String::new());
    }
    let mut s = String::from("| change against R |");
    let mut rule = String::from("|---|");
    for (size, _, _) in &columns {
        write!(
            s,
            " {0}: error vs exact | {0}: mean residual | {0}: CG its/solve |",
            size.name()
        )?;
        rule += "---|---|---|";
    }
    writeln!(s, "\n{rule}")?;
    let rows = CHANGES
        .iter()
        .map(|(_, what, _)| *what)
        .chain(["the preset's run: R with warm-started CG capped at 1000 iterations (its settings since 2026-12-06)"]);
    for (i, what) in rows.enumerate() {
        write!(s, "| {what} |")?;
        for (_, _, cells) in &columns {
            match cells[i] {
                Some((err, res, cg)) => write!(
                    s,
                    " {err:.3e} | {res:.3e} | {} |",
                    cg.map_or_else(|| "–".into(), |v| format!("{v:.1}"))
                )?,
                None => s += " not run | | |",
            }
        }
        s.push('\n');
    }
    let scored: Vec<&str> = columns.iter().map(|(_, m, _)| m.as_str()).collect();
    writeln!(s, "\nScored as {}.", scored.join("; "))?;
    writeln!(
        s,
        "\nR: `cargo xtask reproduce neural-ivp --<size> --only advection2d --no-ednn --out DIR/advection-code-<size> {REFERENCE_SETTINGS}`; each other row adds its `--set` to R (`--<size>` is `--quick` or `--medium`, and nothing for full):"
    )?;
    for (label, _, set) in CHANGES.iter().skip(1) {
        writeln!(
            s,
            "- `advection-{label}-<size>`: `{}`",
            set.unwrap_or_default()
        )?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_ivp::report::Row;

    fn write(dir: &Path, error: f64) {
        let dir = dir.join("advection2d");
        std::fs::create_dir_all(&dir).unwrap();
        let mut row = Row::new(
            "Neural IVP",
            100,
            "rel. L2 error vs exact on 8² at T = 1",
            error,
        );
        row.mean_residual = 0.25;
        row.cg_iters_per_solve = Some(12.0);
        let summary = Summary {
            experiment: "advection2d".into(),
            rows: vec![row],
            notes: Vec::new(),
            details: serde_json::Value::Null,
            provenance: None,
        };
        std::fs::write(
            dir.join("summary.json"),
            serde_json::to_vec(&summary).unwrap(),
        )
        .unwrap();
    }

    /// A size appears once R ran at it; each row reads its own control, and a change not run
    /// says so.
    #[test]
    fn rows_come_from_their_controls() {
        let nivp = std::env::temp_dir().join(format!("advection-control-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&nivp);
        assert_eq!(table(&nivp).unwrap(), "");
        write(&nivp.join("controls/advection-code-quick"), 0.015);
        write(&nivp.join("controls/advection-ours-mu-quick"), 0.0166);
        write(&nivp.join("quick"), 0.0155);
        let t = table(&nivp).unwrap();
        std::fs::remove_dir_all(&nivp).unwrap();
        assert!(t.contains("| quick: error vs exact |"), "{t}");
        assert!(!t.contains("medium:"), "{t}");
        let line = |start: &str| t.lines().find(|l| l.starts_with(start)).unwrap().to_owned();
        assert_eq!(
            line("| R:"),
            "| R: the code's solver settings, our fit | 1.500e-2 | 2.500e-1 | 12.0 |"
        );
        assert!(line("| μ = 1e-6").contains("| 1.660e-2 |"), "{t}");
        assert!(line("| L = 5").contains("not run"), "{t}");
        assert!(line("| the preset's run").contains("| 1.550e-2 |"), "{t}");
    }
}
