//! Observers watch a Neural IVP or EDNN run without the solver knowing what they do: a log, a
//! progress line.

use crate::ednn::EdnnStep;
use crate::solver::{RestartEvent, StepRecord};

/// Receives the events of a run. Every method has a default that ignores the event.
///
/// # Example
/// ```
/// use neural_ivp::{Observer, StepRecord};
/// /// Counts the accepted steps.
/// struct Count(usize);
/// impl Observer for Count {
///     fn step(&mut self, _record: &StepRecord) {
///         self.0 += 1;
///     }
/// }
/// ```
pub trait Observer {
    /// A Neural IVP step was accepted.
    fn step(&mut self, record: &StepRecord) {
        let _ = record;
    }

    /// A Neural IVP restart was tried (accepted or rejected).
    fn restart(&mut self, event: &RestartEvent) {
        let _ = event;
    }

    /// An EDNN step was taken.
    fn ednn_step(&mut self, record: &EdnnStep) {
        let _ = record;
    }
}

/// Ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {}

/// Prints one line per step to stdout: time, step size, CG iterations, λ̂_max and residual.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrintSteps;

impl Observer for PrintSteps {
    fn step(&mut self, s: &StepRecord) {
        println!(
            "t = {:.4}  h = {:.2e}  CG iterations {:?}{}  λ̂max = {:.3e}  residual {:.2e}",
            s.t,
            s.h,
            s.cg_iters,
            if s.cg_converged {
                ""
            } else {
                " (not converged)"
            },
            s.lambda_max,
            s.residual.unwrap_or(f64::NAN),
        );
    }

    fn restart(&mut self, e: &RestartEvent) {
        println!(
            "restart at t = {:.4} ({:?}): fit error {:.2e}, {}",
            e.t,
            e.reason,
            e.fit.rel_error,
            if e.accepted { "accepted" } else { "rejected" }
        );
    }

    fn ednn_step(&mut self, s: &EdnnStep) {
        println!(
            "t = {:.4}  rank {}  residual {:.2e}",
            s.t,
            s.rank,
            s.residual.unwrap_or(f64::NAN)
        );
    }
}
