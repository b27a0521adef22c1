//! Incompressible Navier–Stokes in 2D on a bi-periodic staggered grid, one Oseen step per time
//! step, solved as the coupled saddle-point system (PRDP paper, appendix D.7 and F.4).

mod operator;
mod sink;
pub(crate) mod stagger;

use prdp_core::{Factorization, Real};
use serde::{Deserialize, Serialize};

use crate::error::{non_negative, positive};
use crate::upwind::{Upwind, WindAveraging};
use crate::var_stencil::VarStencil;
use crate::{Assembly, Result, bad_param};
pub use operator::NsOperator;
pub(crate) use operator::Pinned;
pub use sink::NsSink;
use stagger::{Dir, U_TO_V, V_TO_U, add_diff_x, add_diff_y};

/// Which discretisation variant of the Navier–Stokes step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NsScheme {
    /// The paper's appendix D.7, made consistent: u on the left and v on the bottom face of
    /// each pressure cell, divergence by forward and pressure gradient by backward differences
    /// (D = F, G = B), cross winds interpolated by four-point averages at the velocity points,
    /// and the upwind operator Γ₂ of eq. 45 with face-averaged winds.
    #[default]
    Paper,
    /// The reference code (`navier_stokes.py`): gradient by forward and divergence by backward
    /// differences (u on the right face), the same four-point averages (which then land one
    /// cell off diagonally) and point-wise upwind winds. Offered to reproduce its numbers.
    Reference,
}

/// Settings of a Navier–Stokes stepper on the bi-periodic unit square: n×n cells, viscosity ν,
/// time step Δt. Defaults: the paper's coarse ("source") solver of F.4, n = 48, ν = 1e-4,
/// Δt = 0.1; [`NavierStokesConfig::paper_fine`] is the 97×97 reference solver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NavierStokesConfig {
    /// Cells per axis (≥ 3).
    pub n: usize,
    /// Viscosity ν (≥ 0).
    pub nu: f64,
    /// Time step Δt (> 0).
    pub dt: f64,
    /// Domain length per axis (> 0).
    pub length: f64,
    /// Discretisation variant.
    pub scheme: NsScheme,
}

impl Default for NavierStokesConfig {
    fn default() -> Self {
        Self::paper_coarse()
    }
}

impl NavierStokesConfig {
    /// The paper's coarse (source) solver: 48×48, ν = 1e-4, Δt = 0.1.
    pub fn paper_coarse() -> Self {
        Self {
            n: 48,
            nu: 1e-4,
            dt: 0.1,
            length: 1.0,
            scheme: NsScheme::Paper,
        }
    }

    /// The paper's fine (reference) solver: 97×97, ν = 1e-4, Δt = 0.1.
    pub fn paper_fine() -> Self {
        Self {
            n: 97,
            ..Self::paper_coarse()
        }
    }

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
}

/// One implicit Navier–Stokes step on an n×n bi-periodic MAC grid, linearised at the previous
/// velocity (one Oseen/Picard step): the coupled system of eq. 55,
/// [M_u(wⁿ) 0 G_x; 0 M_v(wⁿ) G_y; D_x D_y 0] [u v p]ⁿ⁺¹ = [uⁿ/Δt, vⁿ/Δt, 0], with momentum rows
/// M = I/Δt + Γ₂(M_c(wⁿ)) − νL₂ scaled by 1/Δt as in the reference code.
///
/// State and input layout: three channels [u, v, p], each n×n row-major (row i is y, x is
/// contiguous), i.e. one sample of a `[batch, 3, n, n]` tensor. The input's pressure channel
/// does not enter the step. The matrix is singular along constant pressure; iterative solves
/// from a zero start and direct solves ([`Assembly::finish_direct`]) return zero-mean pressure.
///
/// # Example
/// ```
/// use prdp_pde::{Assembly, NavierStokes, NavierStokesConfig};
/// let ns = NavierStokes::<f32>::new(NavierStokesConfig::paper_coarse())?;
/// assert_eq!(ns.state_shape(), vec![3, 48, 48]);
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
///
/// # Reference
/// PRDP paper, appendix D.7 (eq. 50–55) and F.4; Harlow and Welch (1965) for the staggered
/// grid.
#[derive(Debug, Clone)]
pub struct NavierStokes<T> {
    config: NavierStokesConfig,
    upwind: Upwind<T>,
    inv_h: T,
    grad: Dir,
}

impl<T: Real> NavierStokes<T> {
    /// A Navier–Stokes stepper.
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] for invalid settings.
    pub fn new(config: NavierStokesConfig) -> Result<Self> {
        config.validate()?;
        let h = config.length / config.n as f64;
        let (grad, averaging) = match config.scheme {
            NsScheme::Paper => (Dir::Backward, WindAveraging::Faces),
            NsScheme::Reference => (Dir::Forward, WindAveraging::Points),
        };
        let upwind = Upwind {
            rows: config.n,
            cols: config.n,
            two_d: true,
            center: T::of(1.0 / config.dt),
            adv: T::of(1.0 / h),
            diff: T::of(config.nu / (h * h)),
            averaging,
        };
        Ok(Self {
            config,
            upwind,
            inv_h: T::of(1.0 / h),
            grad,
        })
    }

    /// The settings.
    pub fn config(&self) -> &NavierStokesConfig {
        &self.config
    }

    fn cells(&self) -> usize {
        self.config.n * self.config.n
    }

    /// The discrete divergence D_x u + D_y v of a state (n² values).
    ///
    /// # Panics
    /// If `state` does not hold 3n² values or `div` n².
    pub fn divergence(&self, state: &[T], div: &mut [T]) {
        let (n, m) = (self.config.n, self.cells());
        div.fill(T::zero());
        add_diff_x(n, self.grad.opposite(), self.inv_h, &state[..m], div);
        add_diff_y(n, self.grad.opposite(), self.inv_h, &state[m..2 * m], div);
    }

    /// u ← u − G_x p, v ← v − G_y p for a pressure-like field `p` (n² values).
    pub(crate) fn subtract_gradient(&self, p: &[T], state: &mut [T]) {
        let (n, m) = (self.config.n, self.cells());
        let (u, rest) = state.split_at_mut(m);
        add_diff_x(n, self.grad, -self.inv_h, p, u);
        add_diff_y(n, self.grad, -self.inv_h, p, &mut rest[..m]);
    }

    /// Kinetic energy ½ Σ (u² + v²) Δx² of a state.
    pub fn kinetic_energy(&self, state: &[T]) -> f64 {
        let h = self.config.length / self.config.n as f64;
        0.5 * h
            * h
            * state[..2 * self.cells()]
                .iter()
                .map(|v| v.as_f64().powi(2))
                .sum::<f64>()
    }

    /// Writes the interpolated cross wind of the u-equation (v on the u-points) or of the
    /// v-equation (u on the v-points) into `out`.
    fn cross_wind(&self, g: &[T], for_u: bool, out: &mut [T]) {
        let (n, m) = (self.config.n, self.cells());
        if for_u {
            V_TO_U.apply(n, &g[m..2 * m], out);
        } else {
            U_TO_V.apply(n, &g[..m], out);
        }
    }
}

impl<T: Real> Assembly<T> for NavierStokes<T> {
    type Operator<'a> = NsOperator<'a, T>;
    type Sink<'a> = NsSink<'a, T>;

    fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "Navier-Stokes 2D on a {0}x{0} MAC grid ({1:?} scheme, nu = {2}, dt = {3})",
            c.n, c.scheme, c.nu, c.dt
        )
    }
    fn state_len(&self) -> usize {
        3 * self.cells()
    }
    fn state_shape(&self) -> Vec<usize> {
        vec![3, self.config.n, self.config.n]
    }
    fn is_constant(&self) -> bool {
        false
    }
    fn operator_scratch_len(&self) -> usize {
        2 * self.upwind.buffer_len() + self.cells()
    }
    fn vjp_scratch_len(&self) -> usize {
        2 * self.cells()
    }
    fn operator<'a>(&'a self, g: &'a [T], scratch: &'a mut [T]) -> Self::Operator<'a> {
        let (m, len) = (self.cells(), self.upwind.buffer_len());
        let (cu, rest) = scratch.split_at_mut(len);
        let (cv, wind) = rest.split_at_mut(len);
        let wind = &mut wind[..m];
        self.cross_wind(g, true, wind);
        self.upwind.build(&g[..m], wind, cu);
        self.cross_wind(g, false, wind);
        self.upwind.build(wind, &g[m..2 * m], cv);
        let n = self.config.n;
        NsOperator {
            n,
            inv_h: self.inv_h,
            grad: self.grad,
            mom_u: VarStencil::from_buffer(n, n, true, cu),
            mom_v: VarStencil::from_buffer(n, n, true, cv),
        }
    }
    fn rhs(&self, g: &[T], b: &mut [T]) {
        let m = self.cells();
        let s = T::of(1.0 / self.config.dt);
        prdp_core::kernels::copy_scaled(s, &g[..2 * m], &mut b[..2 * m]);
        b[2 * m..].fill(T::zero());
    }
    fn rhs_vjp(&self, _g: &[T], b_bar: &[T], g_bar: &mut [T]) {
        let m = self.cells();
        let s = T::of(1.0 / self.config.dt);
        prdp_core::kernels::axpy(s, &b_bar[..2 * m], &mut g_bar[..2 * m]);
    }
    fn operator_vjp<'a>(
        &'a self,
        g: &'a [T],
        g_bar: &'a mut [T],
        scratch: &'a mut [T],
    ) -> Self::Sink<'a> {
        NsSink {
            ns: self,
            g,
            g_bar,
            scratch,
        }
    }
    fn project_cotangent(&self, u_bar: &mut [T]) {
        remove_mean(&mut u_bar[2 * self.cells()..]);
    }
    fn factorize(&self, g: &[T]) -> Result<Factorization> {
        let mut scratch = vec![T::zero(); self.operator_scratch_len()];
        let op = self.operator(g, &mut scratch);
        let pinned = Pinned {
            inner: op,
            row: 2 * self.cells(),
        };
        Ok(Factorization::sparse_lu(&pinned)?)
    }
    fn finish_direct(&self, u: &mut [T]) {
        remove_mean(&mut u[2 * self.cells()..]);
    }
}

/// x ← x − mean(x).
pub(crate) fn remove_mean<T: Real>(x: &mut [T]) {
    let mean = prdp_core::kernels::sum(x) / T::of_usize(x.len());
    for v in x.iter_mut() {
        *v -= mean;
    }
}
