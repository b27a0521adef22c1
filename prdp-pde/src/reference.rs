//! The converged physics P: direct (faer) solves of each step.

use std::marker::PhantomData;

use prdp_core::{Factorization, Real};
use rayon::prelude::*;

use crate::error::check_len;
use crate::{Assembly, Result, bad_param};

/// The converged physics operator P(g) = Λ(g)⁻¹β(g) by direct solves (sparse LU or Cholesky
/// in f64, see [`Factorization`]): the reference that generates training data and that
/// iterative steps converge to. For a constant matrix (Poisson, heat) the factorisation is
/// computed once, in [`ReferenceStepper::new`]; state-dependent matrices (Burgers,
/// Navier–Stokes) are factorised at every step.
///
/// # Example
/// ```
/// use prdp_pde::{Heat, HeatConfig, ReferenceStepper};
/// let p = ReferenceStepper::new(Heat::<f64>::new(HeatConfig::paper(1))?)?;
/// let u0 = vec![1.0; 30];
/// let mut traj = vec![0.0; 3 * 30];
/// p.rollout(&u0, 2, 1, &mut traj)?;
/// assert!(traj[60..].iter().all(|v| *v > 0.0 && *v < 1.0));
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
///
/// # Reference
/// PRDP paper, appendix D (eq. 18–19: the exact solver P) and F.2–F.4 (data generation).
pub struct ReferenceStepper<T, A> {
    assembly: A,
    constant: Option<Factorization>,
    _scalar: PhantomData<fn() -> T>,
}

impl<T: Real, A: Assembly<T>> ReferenceStepper<T, A> {
    /// The direct stepper of `assembly`, factorising a constant matrix once.
    ///
    /// # Errors
    /// A failed factorisation.
    pub fn new(assembly: A) -> Result<Self> {
        let constant = if assembly.is_constant() {
            Some(assembly.factorize(&vec![T::zero(); assembly.input_len()])?)
        } else {
            None
        };
        Ok(Self {
            assembly,
            constant,
            _scalar: PhantomData,
        })
    }

    /// The assembly.
    pub fn assembly(&self) -> &A {
        &self.assembly
    }

    /// u ← P(g).
    ///
    /// # Errors
    /// Wrong lengths, a non-finite input, a failed factorisation.
    pub fn step(&self, g: &[T], u: &mut [T]) -> Result<()> {
        self.assembly.check_input("input g", g)?;
        check_len("state u", self.assembly.state_len(), u.len(), || {
            self.assembly.describe()
        })?;
        let mut b = vec![T::zero(); u.len()];
        self.assembly.rhs(g, &mut b);
        match &self.constant {
            Some(f) => f.solve(&b, u)?,
            None => self.assembly.factorize(g)?.solve(&b, u)?,
        }
        self.assembly.finish_direct(u);
        Ok(())
    }

    /// u ← P(g) for `count` samples (sample-major), in parallel.
    ///
    /// # Errors
    /// As [`ReferenceStepper::step`]; the first failing sample's error.
    pub fn step_batch(&self, g: &[T], u: &mut [T], count: usize) -> Result<()> {
        let (ni, n) = (self.assembly.input_len(), self.assembly.state_len());
        check_len("input g", count * ni, g.len(), || {
            format!("{count} sample(s)")
        })?;
        check_len("state u", count * n, u.len(), || {
            format!("{count} sample(s)")
        })?;
        let results: Vec<Result<()>> = g
            .par_chunks(ni.max(1))
            .zip(u.par_chunks_mut(n.max(1)))
            .map(|(gs, us)| self.step(gs, us))
            .collect();
        results.into_iter().collect()
    }

    /// Rolls out `steps` direct steps from `count` initial states (a time stepper: input =
    /// previous state), writing `[count, steps + 1, n]` trajectories (initial state first).
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] if the assembly is not a time stepper; as
    /// [`ReferenceStepper::step`].
    pub fn rollout(&self, g0: &[T], steps: usize, count: usize, out: &mut [T]) -> Result<()> {
        let n = self.assembly.state_len();
        if self.assembly.input_len() != n {
            return Err(bad_param(
                "assembly",
                self.assembly.describe(),
                "a time stepper (input = previous state) to roll out",
            ));
        }
        check_len("initial states g0", count * n, g0.len(), || {
            format!("{count} sample(s)")
        })?;
        check_len(
            "trajectory buffer",
            count * (steps + 1) * n,
            out.len(),
            || format!("{count} sample(s) of {} states", steps + 1),
        )?;
        let results: Vec<Result<()>> = g0
            .par_chunks(n)
            .zip(out.par_chunks_mut((steps + 1) * n))
            .map(|(g, traj)| self.rollout_one(g, steps, traj))
            .collect();
        results.into_iter().collect()
    }

    /// One trajectory: `traj[0] = g0`, `traj[t+1] = P(traj[t])`.
    pub(crate) fn rollout_one(&self, g0: &[T], steps: usize, traj: &mut [T]) -> Result<()> {
        let n = g0.len();
        traj[..n].copy_from_slice(g0);
        for t in 0..steps {
            let (done, next) = traj.split_at_mut((t + 1) * n);
            self.step(&done[t * n..], &mut next[..n])?;
        }
        Ok(())
    }
}
