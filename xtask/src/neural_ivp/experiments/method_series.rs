//! The time series and counters of one method's run, as serialised into `summary.json`, and
//! its table row.

use neural_ivp::Solution;
use neural_ivp::ednn::EdnnSolution;
use serde::{Deserialize, Serialize};

use crate::neural_ivp::report::Row;

/// Time series of one method on one problem.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct MethodSeries {
    /// Method name shown in rows and legends.
    pub method: String,
    /// Number of network parameters p.
    pub params: usize,
    /// Wall time of the whole run (seconds).
    pub wall_seconds: f64,
    /// Relative error of the initial fit.
    pub fit_error: f64,
    /// Each output's relative error after the initial fit.
    #[serde(default)]
    pub fit_error_outputs: Vec<f64>,
    /// End time of every accepted step.
    pub step_t: Vec<f64>,
    /// Relative PDE residual on fresh points at the end of every step (NaN where not measured).
    pub residual: Vec<f64>,
    /// The residual of each equation alone at the end of every step (`[step][output]`; empty
    /// rows where not measured).
    #[serde(default)]
    pub residual_outputs: Vec<Vec<f64>>,
    /// The residual on the interior cube at the end of every step (NaN where not measured).
    #[serde(default)]
    pub residual_interior: Vec<f64>,
    /// Mean CG iterations per solve of every step (empty for EDNN).
    pub cg_iters: Vec<f64>,
    /// Largest eigenvalue estimate λ̂max of M̂ at the end of every step (empty for EDNN).
    pub lambda_max: Vec<f64>,
    /// Times of the accepted restarts.
    pub restarts_t: Vec<f64>,
    /// Times of the refits rejected as worse than the state they would replace.
    #[serde(default)]
    pub restarts_rejected_t: Vec<f64>,
    /// Linear solves.
    pub solves: usize,
    /// CG iterations over all solves.
    pub cg_iters_total: usize,
    /// Products with M̂ (CG and Nyström sketch).
    pub matvecs: usize,
    /// Preconditioner builds.
    pub builds: usize,
    /// Output times at which `error` is measured.
    pub error_t: Vec<f64>,
    /// Relative L2 error of u at the output times, against `error_reference`.
    pub error: Vec<f64>,
    /// What `error` is measured against.
    pub error_reference: String,
}

/// The values, NaN where not measured.
fn nan_for_none(values: impl Iterator<Item = Option<f64>>) -> Vec<f64> {
    values.map(|v| v.unwrap_or(f64::NAN)).collect()
}

impl MethodSeries {
    /// The series of a Neural IVP run (errors left empty).
    pub(super) fn from_nivp(sol: &Solution) -> Self {
        let r = &sol.record;
        Self {
            method: "Neural IVP".into(),
            params: r.params,
            wall_seconds: r.wall_seconds,
            fit_error: r.fit.rel_error,
            fit_error_outputs: r.fit.rel_error_outputs.clone(),
            step_t: r.steps.iter().map(|s| s.t).collect(),
            residual: nan_for_none(r.steps.iter().map(|s| s.residual)),
            residual_outputs: r.steps.iter().map(|s| s.residuals.clone()).collect(),
            residual_interior: nan_for_none(r.steps.iter().map(|s| s.residual_interior)),
            cg_iters: r
                .steps
                .iter()
                .map(|s| s.cg_iters.iter().sum::<usize>() as f64 / s.cg_iters.len().max(1) as f64)
                .collect(),
            lambda_max: r.steps.iter().map(|s| s.lambda_max).collect(),
            restarts_t: r
                .restarts
                .iter()
                .filter(|e| e.accepted)
                .map(|e| e.t)
                .collect(),
            restarts_rejected_t: r
                .restarts
                .iter()
                .filter(|e| !e.accepted)
                .map(|e| e.t)
                .collect(),
            solves: r.solves,
            cg_iters_total: r.cg_iters,
            matvecs: r.matvecs,
            builds: r.builds,
            ..Self::default()
        }
    }

    /// The series of an EDNN run (errors left empty; no CG or restart data).
    pub(super) fn from_ednn(sol: &EdnnSolution) -> Self {
        let r = &sol.record;
        Self {
            method: "EDNN".into(),
            params: r.params,
            wall_seconds: r.wall_seconds,
            fit_error: r.fit.rel_error,
            fit_error_outputs: r.fit.rel_error_outputs.clone(),
            step_t: r.steps.iter().map(|s| s.t).collect(),
            residual: nan_for_none(r.steps.iter().map(|s| s.residual)),
            residual_outputs: r.steps.iter().map(|s| s.residuals.clone()).collect(),
            residual_interior: nan_for_none(r.steps.iter().map(|s| s.residual_interior)),
            solves: r.solves,
            ..Self::default()
        }
    }

    /// Mean of the finite step residuals.
    pub(super) fn mean_residual(&self) -> f64 {
        let v: Vec<f64> = self
            .residual
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    }

    /// Mean over the steps of each equation's residual (empty if never measured or if the
    /// problem has one equation, where it equals [`MethodSeries::mean_residual`]).
    pub(super) fn mean_residual_outputs(&self) -> Vec<f64> {
        let m = self
            .residual_outputs
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        if m < 2 {
            return Vec::new();
        }
        (0..m)
            .map(|o| {
                let v: Vec<f64> = self
                    .residual_outputs
                    .iter()
                    .filter_map(|r| r.get(o).copied())
                    .filter(|x| x.is_finite())
                    .collect();
                v.iter().sum::<f64>() / v.len().max(1) as f64
            })
            .collect()
    }

    /// A table row of this method with the given metric and value.
    pub(super) fn row(&self, metric: &str, value: f64) -> Row {
        Row {
            method: self.method.clone(),
            params: self.params,
            metric: metric.into(),
            value,
            mean_residual: self.mean_residual(),
            mean_residual_outputs: self.mean_residual_outputs(),
            cg_iters_per_solve: (self.solves > 0 && self.cg_iters_total > 0)
                .then(|| self.cg_iters_total as f64 / self.solves as f64),
            restarts: self.restarts_t.len(),
            restarts_rejected: self.restarts_rejected_t.len(),
            wall_seconds: self.wall_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MethodSeries;

    /// A series survives the TOML of a kept run (`parts/`) bit for bit, NaN included, alone and
    /// in a tuple with further errors.
    #[test]
    fn a_series_round_trips_through_toml() {
        let m = MethodSeries {
            method: "Neural IVP".into(),
            params: 8200,
            wall_seconds: 12.5,
            fit_error: 1.0 / 3.0,
            step_t: vec![0.01, 0.02],
            residual: vec![f64::NAN, 0.25],
            residual_outputs: vec![vec![0.1, 0.2], vec![]],
            residual_interior: vec![f64::NAN, f64::NAN],
            restarts_t: Vec::new(),
            error: vec![1e-310, 0.5],
            ..MethodSeries::default()
        };
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Wrapped {
            value: (MethodSeries, Vec<f64>),
        }
        let text = toml::to_string(&Wrapped {
            value: (m.clone(), vec![f64::NAN, 2.0]),
        })
        .unwrap();
        let back: Wrapped = toml::from_str(&text).unwrap();
        let bits = |m: &MethodSeries| {
            format!(
                "{:?}",
                (
                    m.residual
                        .iter()
                        .chain(&m.residual_interior)
                        .chain(&m.error)
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>(),
                    &m.residual_outputs,
                    &m.method,
                    m.params,
                    m.fit_error.to_bits()
                )
            )
        };
        assert_eq!(bits(&back.value.0), bits(&m));
        assert!(back.value.1[0].is_nan() && back.value.1[1] == 2.0);
    }
}
