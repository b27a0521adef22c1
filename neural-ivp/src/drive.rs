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

/// Where the loop stands after a step: accepted steps taken, the next output time's index and
/// the snapshots taken so far. A loop started from a saved `Progress` (and the integrator and
/// method state saved with it) continues as the saved run would have.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Progress {
    /// Accepted steps taken.
    pub steps: usize,
    /// Index of the next output time (in increasing order) to snapshot.
    pub next: usize,
    /// (t, θ(t)) at the output times reached.
    pub snapshots: Vec<(f64, Vec<f64>)>,
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

    /// At the end of each step, with the loop's progress: save a checkpoint (none by default).
    ///
    /// # Errors
    /// Those of writing the checkpoint, or a requested stop.
    fn checkpoint(&mut self, _progress: &Progress, _rk: &Integrator) -> Result<()> {
        Ok(())
    }
}

/// Steps `evo` with `rk` from its current time (0, or that of the saved `resume`) to `t_end`;
/// returns (t, θ(t)) at each of `output_times` (checked to lie in [0, `t_end`] by the caller),
/// in increasing order.
///
/// # Errors
/// Those of the method and the integrator; [`crate::IvpError::NonFinite`] if θ stops being
/// finite, naming the time and step.
pub(crate) fn drive<E: Evolution>(
    evo: &mut E,
    rk: &mut Integrator,
    t_end: f64,
    output_times: &[f64],
    resume: Option<Progress>,
) -> Result<Vec<(f64, Vec<f64>)>> {
    let mut outputs = output_times.to_vec();
    outputs.sort_by(f64::total_cmp);
    let mut progress = resume.unwrap_or_else(|| {
        let snapshots: Vec<(f64, Vec<f64>)> = outputs
            .iter()
            .take_while(|&&t| t <= 0.0)
            .map(|&t| (t, rk.y().to_vec()))
            .collect();
        Progress {
            steps: 0,
            next: snapshots.len(),
            snapshots,
        }
    });
    let mut dense = vec![0.0; rk.y().len()];
    while rk.t() < t_end {
        let index = progress.steps;
        let next = &mut progress.next;
        let stop = match E::LANDING {
            Landing::Dense => t_end,
            Landing::OnOutputs => outputs.get(*next).copied().unwrap_or(t_end).min(t_end),
        };
        evo.before_step(index, rk)?;
        let info = rk.step(evo.system(), stop)?;
        let t = rk.t();
        check_state("θ", rk.y(), t, index)?;
        match E::LANDING {
            Landing::Dense => {
                while *next < outputs.len() && outputs[*next] <= t {
                    rk.dense(outputs[*next], &mut dense)?;
                    progress.snapshots.push((outputs[*next], dense.clone()));
                    *next += 1;
                }
            }
            Landing::OnOutputs => {
                if *next < outputs.len() && t >= outputs[*next] {
                    progress.snapshots.push((outputs[*next], rk.y().to_vec()));
                    *next += 1;
                }
            }
        }
        evo.after_step(index, &info, rk)?;
        progress.steps += 1;
        evo.checkpoint(&progress, rk)?;
    }
    Ok(progress.snapshots)
}

#[cfg(test)]
mod tests {
    use super::{Evolution, Landing, drive};
    use crate::error::Result;
    use crate::rk::{Integrator, OdeSystem, RkScheme, StepControl, StepInfo};

    /// y′ = −y, with a record of the hooks' calls.
    struct Decay<const DENSE: bool> {
        sys: fn(f64, &[f64], &mut [f64]),
        before: Vec<(usize, f64)>,
        after: Vec<(usize, f64)>,
    }

    impl<const DENSE: bool> Decay<DENSE> {
        fn new() -> Self {
            Self {
                sys: |_, y, dy| dy[0] = -y[0],
                before: Vec::new(),
                after: Vec::new(),
            }
        }
    }

    impl<const DENSE: bool> Evolution for Decay<DENSE> {
        const LANDING: Landing = if DENSE {
            Landing::Dense
        } else {
            Landing::OnOutputs
        };

        fn system(&mut self) -> &mut dyn OdeSystem {
            &mut self.sys
        }

        fn before_step(&mut self, index: usize, rk: &mut Integrator) -> Result<()> {
            self.before.push((index, rk.t()));
            Ok(())
        }

        fn after_step(
            &mut self,
            index: usize,
            _info: &StepInfo,
            rk: &mut Integrator,
        ) -> Result<()> {
            self.after.push((index, rk.t()));
            Ok(())
        }
    }

    fn integrator(method: RkScheme, h0: Option<f64>) -> Integrator {
        let control = StepControl {
            method,
            rtol: 1e-10,
            atol: 1e-10,
            h0,
            ..StepControl::default()
        };
        Integrator::new(control, 0.0, vec![1.0], 1.0).unwrap()
    }

    /// Dense output: snapshots at the requested times (sorted, t = 0 included) equal e^{−t}
    /// to the integrator's accuracy; the hooks see consecutive steps, each after the previous.
    #[test]
    fn dense_snapshots_and_hooks_in_order() {
        let mut evo = Decay::<true>::new();
        let mut rk = integrator(RkScheme::Dp54, None);
        let snaps = drive(&mut evo, &mut rk, 1.0, &[0.7, 0.0, 0.25, 1.0], None).unwrap();
        let times: Vec<f64> = snaps.iter().map(|s| s.0).collect();
        assert_eq!(times, [0.0, 0.25, 0.7, 1.0]);
        for (t, y) in &snaps {
            assert!((y[0] - (-t).exp()).abs() < 1e-8, "y({t}) = {}", y[0]);
        }
        assert_eq!(evo.before.len(), evo.after.len());
        for (i, (&(b, tb), &(a, ta))) in evo.before.iter().zip(&evo.after).enumerate() {
            assert_eq!((b, a), (i, i));
            assert!(ta > tb);
        }
        assert_eq!(evo.after.last().unwrap().1, 1.0);
    }

    /// Landing on outputs: fixed RK4 steps are shortened to end exactly at each output time.
    #[test]
    fn steps_land_on_output_times() {
        let mut evo = Decay::<false>::new();
        let mut rk = integrator(RkScheme::Rk4, Some(0.3));
        let snaps = drive(&mut evo, &mut rk, 1.0, &[0.45, 1.0], None).unwrap();
        let ends: Vec<f64> = evo.after.iter().map(|a| a.1).collect();
        assert!(ends.contains(&0.45), "{ends:?}");
        assert_eq!(snaps.len(), 2);
        assert_eq!(snaps[0].0, 0.45);
        assert!((snaps[0].1[0] - (-0.45f64).exp()).abs() < 1e-4);
        assert_eq!(*ends.last().unwrap(), 1.0);
    }
}
