//! The heat equation in 1D, 2D and 3D with the BTCS (implicit Euler) step
//! (PRDP paper, appendix D.2–D.4).

use prdp_core::{Boundary, Factorization, Real, Stencil};
use prdp_solvers::DiscardCotangent;
use serde::{Deserialize, Serialize};

use crate::error::positive;
use crate::grid::{shape_string, spacing};
use crate::{Assembly, Result, bad_param};

/// Settings of a heat stepper on the unit interval, square or cube: grid `dims` (1 to 3 axes
/// of unknowns), boundary kind, diffusivity ν and time step Δt. Only νΔt enters the step.
///
/// The paper's appendix D describes periodic boundaries; its experiments (F.2) and the reference
/// code use homogeneous Dirichlet boundaries with 30 interior points per axis in 1D and 2D
/// (Δx = 1/31) and 20 in 3D (Δx = 1/21), ν = 0.001, Δt = 1: see [`HeatConfig::paper`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeatConfig {
    /// Unknowns per axis (1 to 3 axes, each ≥ 1; ≥ 3 for periodic boundaries).
    pub dims: Vec<usize>,
    /// Boundary kind (Dirichlet: interior unknowns, Δx = length/(n+1); periodic: Δx = length/n).
    pub boundary: Boundary,
    /// Diffusivity ν (> 0).
    pub nu: f64,
    /// Time step Δt (> 0).
    pub dt: f64,
    /// Domain length per axis (> 0).
    pub length: f64,
}

impl Default for HeatConfig {
    fn default() -> Self {
        Self::paper(1)
    }
}

impl HeatConfig {
    /// The paper's heat setup in `dim` dimensions (F.2): Dirichlet, ν = 0.001, Δt = 1, 30 interior
    /// points per axis in 1D and 2D, 20 in 3D.
    ///
    /// # Panics
    /// If `dim` is not 1, 2 or 3.
    pub fn paper(dim: usize) -> Self {
        let n = match dim {
            1 | 2 => 30,
            3 => 20,
            _ => panic!("the paper's heat setups are 1D, 2D and 3D, not {dim}D"),
        };
        Self {
            dims: vec![n; dim],
            boundary: Boundary::Dirichlet,
            nu: 1e-3,
            dt: 1.0,
            length: 1.0,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] naming `dims`, `nu`, `dt` or `length`.
    pub fn validate(&self) -> Result<()> {
        if self.dims.is_empty() || self.dims.len() > 3 {
            return Err(bad_param("dims", format!("{:?}", self.dims), "1 to 3 axes"));
        }
        let min = if self.boundary == Boundary::Periodic {
            3
        } else {
            1
        };
        if self.dims.iter().any(|&n| n < min) {
            return Err(bad_param(
                "dims",
                format!("{:?}", self.dims),
                &format!("every extent >= {min} for {:?} boundaries", self.boundary),
            ));
        }
        positive("nu", self.nu)?;
        positive("dt", self.dt)?;
        positive("length", self.length)
    }
}

/// The BTCS heat step (I − νΔt·L_d) uᵗ⁺¹ = uᵗ: a constant symmetric positive definite matrix
/// (a [`Stencil`]) and the identity right-hand side. Input and state: the grid values,
/// row-major with the last axis contiguous.
///
/// # Example
/// ```
/// use prdp_pde::{Assembly, Heat, HeatConfig};
/// let heat = Heat::<f32>::new(HeatConfig::paper(2))?;
/// assert_eq!(heat.state_len(), 900);
/// // Diagonal 1 + 4r with r = νΔt/Δx² = 0.001·31².
/// assert!((heat.stencil().diagonal_value() - (1.0 + 4.0 * 0.961)).abs() < 1e-6);
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
///
/// # Reference
/// PRDP paper, appendix D.2–D.4 (eq. 24–36) and F.2.
#[derive(Debug, Clone)]
pub struct Heat<T> {
    config: HeatConfig,
    stencil: Stencil<T>,
}

impl<T: Real> Heat<T> {
    /// A heat stepper.
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] for invalid settings.
    pub fn new(config: HeatConfig) -> Result<Self> {
        config.validate()?;
        let h: Vec<f64> = config
            .dims
            .iter()
            .map(|&n| spacing(n, config.length, config.boundary))
            .collect();
        let stencil = Stencil::laplacian(&config.dims, &h, config.boundary)?
            .affine(T::one(), T::of(-config.nu * config.dt));
        Ok(Self { config, stencil })
    }

    /// The settings.
    pub fn config(&self) -> &HeatConfig {
        &self.config
    }

    /// The system matrix I − νΔt·L as a stencil.
    pub fn stencil(&self) -> &Stencil<T> {
        &self.stencil
    }
}

impl<T: Real> Assembly<T> for Heat<T> {
    type Operator<'a> = &'a Stencil<T>;
    type Sink<'a> = DiscardCotangent;

    fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "heat {}D on a {} grid ({:?}, nu*dt = {})",
            c.dims.len(),
            shape_string(&c.dims),
            c.boundary,
            c.nu * c.dt
        )
    }
    fn state_len(&self) -> usize {
        self.config.dims.iter().product()
    }
    fn state_shape(&self) -> Vec<usize> {
        self.config.dims.clone()
    }
    fn is_constant(&self) -> bool {
        true
    }
    fn operator<'a>(&'a self, _g: &'a [T], _scratch: &'a mut [T]) -> Self::Operator<'a> {
        &self.stencil
    }
    fn operator_vjp<'a>(
        &'a self,
        _g: &'a [T],
        _g_bar: &'a mut [T],
        _scratch: &'a mut [T],
    ) -> Self::Sink<'a> {
        DiscardCotangent
    }
    fn factorize(&self, _g: &[T]) -> Result<Factorization> {
        Ok(Factorization::sparse_cholesky(&self.stencil)?)
    }
}
