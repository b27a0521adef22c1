//! The 1D Poisson equation with a parameterised sine load (PRDP paper, appendix D.1 and F.1).

use prdp_core::{Boundary, Real, Stencil};
use prdp_solvers::DiscardCotangent;
use serde::{Deserialize, Serialize};

use crate::grid::{coordinates, spacing};
use crate::{Assembly, Result, bad_param};

/// Settings of the Poisson inverse problem: `n` interior points of the unit interval
/// (Δx = 1/(n+1)) and the number P of sine modes in the load. Default: the paper's n = 30,
/// P = 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoissonConfig {
    /// Interior grid points (≥ 1).
    pub n: usize,
    /// Number of parameters P (≥ 1): the load is Σᵢ θᵢ sin(2iπx), i = 1..P.
    pub modes: usize,
}

impl Default for PoissonConfig {
    fn default() -> Self {
        Self { n: 30, modes: 1 }
    }
}

/// u'' = −p(x, θ) on (0, 1), u(0) = u(1) = 0, with the load p(x, θ) = Σᵢ θᵢ sin(2iπx):
/// A = (1/Δx²) tridiag(1, −2, 1) (negative definite, constant) and b = β(θ) = −p(x, θ) at the
/// interior points, as in the paper's eq. 21–23 and the reference code. The input g is θ
/// (P values), the state u the n interior values; the continuous solution is
/// u(x) = Σᵢ θᵢ sin(2iπx)/(2iπ)².
///
/// The paper's reference parameters are θ_r = 2 (P = 1, starting from 5) and
/// θ_r = [0.62, 1.86, 5.1] (P = 3, starting from [3, 3, 3]): see
/// [`Poisson::paper_parameters`].
///
/// # Example
/// ```
/// use prdp_pde::{Assembly, Poisson, PoissonConfig};
/// let p = Poisson::<f64>::new(PoissonConfig { n: 30, modes: 3 })?;
/// let mut b = vec![0.0; 30];
/// p.rhs(&[1.0, 0.0, 0.0], &mut b);
/// assert!((b[0] + (2.0 * std::f64::consts::PI / 31.0).sin()).abs() < 1e-12);
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
///
/// # Reference
/// PRDP paper, appendix D.1 (eq. 20–23) and F.1.
#[derive(Debug, Clone)]
pub struct Poisson<T> {
    config: PoissonConfig,
    stencil: Stencil<T>,
    /// Mode i's values sin(2(i+1)πxⱼ), mode-major.
    basis: Vec<T>,
}

impl<T: Real> Poisson<T> {
    /// A Poisson problem.
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] naming `n` or `modes` if zero.
    pub fn new(config: PoissonConfig) -> Result<Self> {
        if config.n == 0 {
            return Err(bad_param("n", 0, ">= 1"));
        }
        if config.modes == 0 {
            return Err(bad_param("modes", 0, ">= 1"));
        }
        let h = spacing(config.n, 1.0, Boundary::Dirichlet);
        let stencil = Stencil::laplacian(&[config.n], &[h], Boundary::Dirichlet)?;
        let x = coordinates(config.n, 1.0, Boundary::Dirichlet);
        let basis = (1..=config.modes)
            .flat_map(|i| {
                x.iter()
                    .map(move |&xj| T::of((2.0 * i as f64 * core::f64::consts::PI * xj).sin()))
            })
            .collect();
        Ok(Self {
            config,
            stencil,
            basis,
        })
    }

    /// The settings.
    pub fn config(&self) -> &PoissonConfig {
        &self.config
    }

    /// The system matrix (1/Δx²) tridiag(1, −2, 1).
    pub fn stencil(&self) -> &Stencil<T> {
        &self.stencil
    }

    /// The paper's (reference, initial) parameters for P = 1 (θ_r = 2, θ₀ = 5) and P = 3
    /// (θ_r = [0.62, 1.86, 5.1], θ₀ = [3, 3, 3]); `None` for other P.
    pub fn paper_parameters(modes: usize) -> Option<(Vec<f64>, Vec<f64>)> {
        match modes {
            1 => Some((vec![2.0], vec![5.0])),
            3 => Some((vec![0.62, 1.86, 5.1], vec![3.0; 3])),
            _ => None,
        }
    }

    /// The continuous solution u(x) = Σᵢ θᵢ sin(2iπx)/(2iπ)² at the interior points.
    pub fn analytic_solution(&self, theta: &[f64]) -> Vec<f64> {
        coordinates(self.config.n, 1.0, Boundary::Dirichlet)
            .iter()
            .map(|&x| {
                theta
                    .iter()
                    .enumerate()
                    .map(|(i, th)| {
                        let k = 2.0 * (i + 1) as f64 * core::f64::consts::PI;
                        th * (k * x).sin() / (k * k)
                    })
                    .sum()
            })
            .collect()
    }
}

impl<T: Real> Assembly<T> for Poisson<T> {
    type Operator<'a> = &'a Stencil<T>;
    type Sink<'a> = DiscardCotangent;

    fn describe(&self) -> String {
        format!(
            "Poisson 1D on {} interior points with {} sine parameter(s)",
            self.config.n, self.config.modes
        )
    }
    fn input_len(&self) -> usize {
        self.config.modes
    }
    fn state_len(&self) -> usize {
        self.config.n
    }
    fn state_shape(&self) -> Vec<usize> {
        vec![self.config.n]
    }
    fn is_constant(&self) -> bool {
        true
    }
    fn operator<'a>(&'a self, _g: &'a [T], _scratch: &'a mut [T]) -> Self::Operator<'a> {
        &self.stencil
    }
    fn rhs(&self, g: &[T], b: &mut [T]) {
        b.fill(T::zero());
        for (th, mode) in g.iter().zip(self.basis.chunks_exact(self.config.n)) {
            prdp_core::kernels::axpy(-*th, mode, b);
        }
    }
    fn rhs_vjp(&self, _g: &[T], b_bar: &[T], g_bar: &mut [T]) {
        for (gb, mode) in g_bar.iter_mut().zip(self.basis.chunks_exact(self.config.n)) {
            *gb -= prdp_core::kernels::dot(mode, b_bar);
        }
    }
    fn operator_vjp<'a>(
        &'a self,
        _g: &'a [T],
        _g_bar: &'a mut [T],
        _scratch: &'a mut [T],
    ) -> Self::Sink<'a> {
        DiscardCotangent
    }
}
