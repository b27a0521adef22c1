//! The one time-stepping loop of Neural IVP and EDNN: the horizon, the output times and their
//! snapshots, and each method's work around a step.

use crate::error::{Result, check_state};
use crate::rk::{Integrator, OdeSystem, StepInfo};

/// How a method takes its snapshots at the output times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Landing {
    /// Steps run to the horizon; θ at an output time comes from the integrator's dense output
    /// (Neural IVP).
    Dense,
    /// Each step is shortened to land on the next output time (EDNN, fixed-step RK4).
    OnOutputs,
}

/// A method the loop drives: its ODE system for θ and its work around each step.
pub(crate) trait Evolution {
    /// How the method reaches the output times.
    const LANDING: Landing;

    /// The system θ̇ = f(t, θ) the integrator steps.
    fn system(&mut self) -> &mut dyn OdeSystem;

    /// Before step `index` (0 for the first) from `rk.t()`: redraw points and the like.
    ///
    /// # Errors
    /// Those of the method (sampling, factorisation).
    fn before_step(&mut self, index: usize, rk: &mut Integrator) -> Result<()>;

    /// After the accepted step `index` (`info`), its snapshots taken: measure, record and
    /// observe it, restart.
    ///
    /// # Errors
    /// Those of the method.
    fn after_step(&mut self, index: usize, info: &StepInfo, rk: &mut Integrator) -> Result<()>;
}

/// Steps `evo` with `rk` from its current time (0) to `t_end`; returns (t, θ(t)) at each of
/// `output_times` (checked to lie in [0, `t_end`] by the caller), in increasing order.
///
/// # Errors
/// Those of the method and the integrator; [`crate::IvpError::NonFinite`] if θ stops being
/// finite, naming the time and step.
pub(crate) fn drive<E: Evolution>(
    evo: &mut E,
    rk: &mut Integrator,
    t_end: f64,
    output_times: &[f64],
) -> Result<Vec<(f64, Vec<f64>)>> {
    let mut outputs = output_times.to_vec();
    outputs.sort_by(f64::total_cmp);
    let mut snapshots: Vec<(f64, Vec<f64>)> = outputs
        .iter()
        .take_while(|&&t| t <= 0.0)
        .map(|&t| (t, rk.y().to_vec()))
        .collect();
    let mut next = snapshots.len();
    let mut dense = vec![0.0; rk.y().len()];
    let mut index = 0;
    while rk.t() < t_end {
        let stop = match E::LANDING {
            Landing::Dense => t_end,
            Landing::OnOutputs => outputs.get(next).copied().unwrap_or(t_end).min(t_end),
        };
        evo.before_step(index, rk)?;
        let info = rk.step(evo.system(), stop)?;
        let t = rk.t();
        check_state("θ", rk.y(), t, index)?;
        match E::LANDING {
            Landing::Dense => {
                while next < outputs.len() && outputs[next] <= t {
                    rk.dense(outputs[next], &mut dense)?;
                    snapshots.push((outputs[next], dense.clone()));
                    next += 1;
                }
            }
            Landing::OnOutputs => {
                if next < outputs.len() && t >= outputs[next] {
                    snapshots.push((outputs[next], rk.y().to_vec()));
                    next += 1;
                }
            }
        }
        evo.after_step(index, &info, rk)?;
        index += 1;
    }
    Ok(snapshots)
}
