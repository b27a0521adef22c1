//! What the 3D wave's reference means: the paper's formula f(t − r)/r against the source-free
//! solution of the same initial value problem, and finite differences against both, on the
//! paper's 100³ grid up to its horizon T = 0.5 (a = 200), whatever the preset size.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use neural_ivp::problems::{Ivp, Wave3d};
use neural_ivp::reference::{Wave3dFd, integrate, interior_grid, relative_l2};

use super::fields::{exact_u, fd3d_initial, output_times};
use super::figures::{chart, series};
use crate::neural_ivp::Ctx;
use crate::neural_ivp::report::{Row, Summary};

/// Points per axis of the paper's grid.
const GRID: usize = 100;

/// The paper's formula, the source-free solution and FD 100³, compared pairwise over time.
pub(super) fn wave3d_reference(ctx: &Ctx, dir: &Path) -> Result<Summary> {
    let problem = Wave3d::default();
    let t_end = problem.t_end();
    let times = output_times(t_end, 6);
    let grid = interior_grid(GRID, 3);
    let n3 = GRID * GRID * GRID;
    let t = Instant::now();
    let fd_states = integrate(
        &mut Wave3dFd { n: GRID },
        fd3d_initial(&problem, &grid),
        &times,
        1e-6,
    )?;
    ctx.log.say(&format!(
        "  FD {GRID}³ (7-point, DP54 rtol 1e-6) to T = {t_end} in {:.1} s",
        t.elapsed().as_secs_f64()
    ));
    let mut u = [0.0; 2];
    let (mut formula_vs_free, mut free_vs_formula, mut fd_vs_free, mut fd_vs_formula) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (&ti, state) in times.iter().zip(&fd_states).skip(1) {
        let free = exact_u(&problem, ti, &grid);
        let formula: Vec<f64> = grid
            .chunks_exact(3)
            .map(|x| {
                problem.outgoing(ti, x, &mut u);
                u[0]
            })
            .collect();
        let fd = &state[..n3];
        formula_vs_free.push(relative_l2(&formula, &free));
        free_vs_formula.push(relative_l2(&free, &formula));
        fd_vs_free.push(relative_l2(fd, &free));
        fd_vs_formula.push(relative_l2(fd, &formula));
    }
    let ts = &times[1..];
    chart(
        &dir.join("reference_errors.png"),
        "wave3d (a = 200, 100³): the references against each other",
        "t",
        "relative L2 difference of u",
        true,
        vec![
            series("paper's formula vs source-free", ts, &formula_vs_free),
            series("source-free vs paper's formula", ts, &free_vs_formula),
            series("FD 100³ vs source-free", ts, &fd_vs_free),
            series("FD 100³ vs paper's formula", ts, &fd_vs_formula),
        ],
    )?;
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    let metric = format!("‖a − b‖/‖b‖ of u (a vs b) on {GRID}³ at T = {t_end}");
    let rows = vec![
        Row::new(
            "paper's formula vs source-free",
            0,
            &metric,
            last(&formula_vs_free),
        ),
        Row::new(
            "source-free vs paper's formula",
            0,
            &metric,
            last(&free_vs_formula),
        ),
        Row::new("FD 100³ vs source-free", 0, &metric, last(&fd_vs_free)),
        Row::new(
            "FD 100³ vs paper's formula",
            0,
            &metric,
            last(&fd_vs_formula),
        ),
    ];
    Ok(Summary {
        experiment: "wave3d_reference".into(),
        rows,
        notes: vec![
            "f(t − r)/r solves the wave equation only for r > 0: for t > 0 it adds a point source at the origin that emits the lobe r < t; the source-free initial value problem (what Neural IVP and FD solve) is f(t − r)/r for r > t and 0 inside".into(),
            format!(
                "over t = {ts:?}: ‖formula − source-free‖/‖source-free‖ = {}; /‖formula‖ = {} (the lobe r < t carries as much L2 norm as the outgoing wave once it has left the origin, so 1 and 1/√2)",
                fmt3(&formula_vs_free),
                fmt3(&free_vs_formula)
            ),
            "a method's error measured against the paper's formula is bounded below by the formula's distance to the source-free solution, up to that method's own error".into(),
        ],
        details: serde_json::json!({
            "times": ts,
            "formula_vs_source_free": formula_vs_free,
            "source_free_vs_formula": free_vs_formula,
            "fd_vs_source_free": fd_vs_free,
            "fd_vs_formula": fd_vs_formula,
            "grid": GRID,
            "alpha": problem.alpha,
        }),
        provenance: None,
    })
}

/// Values with three decimals.
fn fmt3(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}
