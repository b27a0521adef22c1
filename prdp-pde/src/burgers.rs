//! Burgers' equation in 1D and 2D on periodic grids, one Oseen (Picard) step per time step
//! (PRDP paper, appendix D.5–D.6).

use prdp_core::{LinearOperator, Real};
use prdp_solvers::CotangentSink;
use serde::{Deserialize, Serialize};

use crate::error::{non_negative, positive};
use crate::upwind::{Upwind, WindAveraging};
use crate::var_stencil::VarStencil;
use crate::{Assembly, Result, bad_param};

/// Settings of a Burgers stepper on the periodic unit interval (or square): `n` points per
/// axis (Δx = length/n), viscosity ν and time step Δt. The default is the paper's 1D setup
/// (F.3): n = 256, ν = 0.001, Δt = 0.01.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BurgersConfig {
    /// Grid points per axis (≥ 3).
    pub n: usize,
    /// Viscosity ν (≥ 0).
    pub nu: f64,
    /// Time step Δt (> 0).
    pub dt: f64,
    /// Domain length per axis (> 0).
    pub length: f64,
    /// Where the upwind switch reads the wind.
    pub averaging: WindAveraging,
}

impl Default for BurgersConfig {
    fn default() -> Self {
        Self {
            n: 256,
            nu: 1e-3,
            dt: 1e-2,
            length: 1.0,
            averaging: WindAveraging::Faces,
        }
    }
}

impl BurgersConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] naming `n`, `nu`, `dt` or `length`.
    pub fn validate(&self) -> Result<()> {
        if self.n < 3 {
            return Err(bad_param("n", self.n, ">= 3"));
        }
        non_negative("nu", self.nu)?;
        positive("dt", self.dt)?;
        positive("length", self.length)
    }

    fn upwind<T: Real>(&self, two_d: bool) -> Upwind<T> {
        let h = self.length / self.n as f64;
        Upwind {
            rows: if two_d { self.n } else { 1 },
            cols: self.n,
            two_d,
            center: T::one(),
            adv: T::of(self.dt / h),
            diff: T::of(self.dt * self.nu / (h * h)),
            averaging: self.averaging,
        }
    }
}

/// Burgers 1D, ∂ₜu + u∂ₓu = ν∂ₓ²u, periodic: one step solves
/// A(uᵗ) uᵗ⁺¹ = uᵗ with A(w) = I + Δt·Γ₁(w) − Δtν·L₁ (eq. 42), where Γ₁ is first-order upwinding
/// with face-averaged winds (eq. 39). Input and state: the n grid values. A is nonsymmetric
/// and depends on the input; its VJP includes the wind dependence.
///
/// # Example
/// ```
/// use prdp_pde::{Assembly, Burgers1d, BurgersConfig};
/// let b = Burgers1d::<f64>::new(BurgersConfig::default())?;
/// assert_eq!((b.input_len(), b.state_len()), (256, 256));
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
///
/// # Reference
/// PRDP paper, appendix D.5 (eq. 37–42) and F.3.
#[derive(Debug, Clone)]
pub struct Burgers1d<T> {
    config: BurgersConfig,
    upwind: Upwind<T>,
}

/// Burgers 2D, two velocity components on a bi-periodic n×n grid: both components are
/// advected by Γ₂(uᵗ) = Γ₂,₁ + Γ₂,₂ with the same linearised winds, giving the block-diagonal
/// system of eq. 49. Input and state: [u₁, u₂], each n×n row-major (x contiguous; u₁ is the
/// x-velocity).
///
/// # Reference
/// PRDP paper, appendix D.6 (eq. 43–49).
#[derive(Debug, Clone)]
pub struct Burgers2d<T> {
    config: BurgersConfig,
    upwind: Upwind<T>,
}

impl<T: Real> Burgers1d<T> {
    /// A Burgers 1D stepper.
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] for invalid settings.
    pub fn new(config: BurgersConfig) -> Result<Self> {
        config.validate()?;
        let upwind = config.upwind(false);
        Ok(Self { config, upwind })
    }

    /// The settings.
    pub fn config(&self) -> &BurgersConfig {
        &self.config
    }
}

impl<T: Real> Burgers2d<T> {
    /// A Burgers 2D stepper.
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] for invalid settings.
    pub fn new(config: BurgersConfig) -> Result<Self> {
        config.validate()?;
        let upwind = config.upwind(true);
        Ok(Self { config, upwind })
    }

    /// The settings.
    pub fn config(&self) -> &BurgersConfig {
        &self.config
    }
}

/// The Burgers system matrix: `blocks` copies of one upwind block (1 in 1D, 2 in 2D).
#[derive(Debug, Clone, Copy)]
pub struct BurgersOperator<'a, T> {
    block: VarStencil<'a, T>,
    blocks: usize,
}

impl<T: Real> LinearOperator<T> for BurgersOperator<'_, T> {
    fn nrows(&self) -> usize {
        self.blocks * self.block.len()
    }
    fn ncols(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        let m = self.block.len();
        assert!(
            x.len() == self.blocks * m && y.len() == x.len(),
            "Burgers operator: wrong lengths"
        );
        for (xb, yb) in x.chunks_exact(m).zip(y.chunks_exact_mut(m)) {
            self.block.apply(xb, yb);
        }
    }
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        let m = self.block.len();
        assert!(
            x.len() == self.blocks * m && y.len() == x.len(),
            "Burgers operator: wrong lengths"
        );
        for (xb, yb) in x.chunks_exact(m).zip(y.chunks_exact_mut(m)) {
            self.block.apply_transpose(xb, yb);
        }
    }
    fn diagonal(&self, out: &mut [T]) -> prdp_core::Result<()> {
        prdp_core::check_len("diagonal output", self.nrows(), out.len())?;
        for ob in out.chunks_exact_mut(self.block.len()) {
            ob.copy_from_slice(self.block.c);
        }
        Ok(())
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        for b in 0..self.blocks {
            self.block.for_each_entry(b * self.block.len(), f);
        }
    }
    fn describe(&self) -> String {
        format!(
            "Burgers upwind operator ({} block(s) of {})",
            self.blocks,
            self.block.len()
        )
    }
}

/// Contracts the Burgers matrix cotangent into the cotangent of the winds (= the input).
pub struct BurgersSink<'a, T> {
    upwind: &'a Upwind<T>,
    g: &'a [T],
    g_bar: &'a mut [T],
}

impl<T: Real> BurgersSink<'_, T> {
    fn winds(&mut self) -> (&[T], &[T], &mut [T], &mut [T]) {
        let m = self.upwind.rows * self.upwind.cols;
        let (gx, gy) = self.g.split_at(m);
        let (bx, by) = self.g_bar.split_at_mut(m);
        (gx, gy, bx, by)
    }
}

impl<T: Real> CotangentSink<T> for BurgersSink<'_, T> {
    fn rank_one(&mut self, lambda: &[T], u: &[T]) {
        let up = *self.upwind;
        let m = up.rows * up.cols;
        let (wx, wy, bx, by) = self.winds();
        for (lb, ub) in lambda.chunks_exact(m).zip(u.chunks_exact(m)) {
            up.scatter(wx, wy, |k, nb| up.rank_one_bar(lb, ub, k, nb), bx, by);
        }
    }

    fn diagonal(&mut self, d: &[T]) {
        let up = *self.upwind;
        let m = up.rows * up.cols;
        let (wx, wy, bx, by) = self.winds();
        for db in d.chunks_exact(m) {
            up.scatter(wx, wy, |k, _| up.diagonal_bar(db, k), bx, by);
        }
    }
}

macro_rules! burgers_assembly {
    ($ty:ident, $blocks:expr, $name:expr, $shape:expr, $grid:expr) => {
        impl<T: Real> Assembly<T> for $ty<T> {
            type Operator<'a> = BurgersOperator<'a, T>;
            type Sink<'a> = BurgersSink<'a, T>;

            fn describe(&self) -> String {
                let c = &self.config;
                format!(
                    "{} on a {} grid (periodic, nu = {}, dt = {})",
                    $name,
                    crate::grid::shape_string(&$grid(c.n)),
                    c.nu,
                    c.dt
                )
            }
            fn state_len(&self) -> usize {
                $shape(self.config.n).iter().product()
            }
            fn state_shape(&self) -> Vec<usize> {
                $shape(self.config.n)
            }
            fn is_constant(&self) -> bool {
                false
            }
            fn operator_scratch_len(&self) -> usize {
                self.upwind.buffer_len()
            }
            fn operator<'a>(&'a self, g: &'a [T], scratch: &'a mut [T]) -> Self::Operator<'a> {
                let (wx, wy) = g.split_at(self.upwind.rows * self.upwind.cols);
                self.upwind.build(wx, wy, scratch);
                BurgersOperator {
                    block: VarStencil::from_buffer(
                        self.upwind.rows,
                        self.upwind.cols,
                        self.upwind.two_d,
                        scratch,
                    ),
                    blocks: $blocks,
                }
            }
            fn operator_vjp<'a>(
                &'a self,
                g: &'a [T],
                g_bar: &'a mut [T],
                _scratch: &'a mut [T],
            ) -> Self::Sink<'a> {
                BurgersSink {
                    upwind: &self.upwind,
                    g,
                    g_bar,
                }
            }
        }
    };
}

burgers_assembly!(Burgers1d, 1, "Burgers 1D", |n| vec![n], |n| vec![n]);
burgers_assembly!(Burgers2d, 2, "Burgers 2D", |n| vec![2, n, n], |n| vec![
    n, n
]);
