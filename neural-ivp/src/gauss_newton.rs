//! The Monte Carlo Gauss–Newton system of the parameter ODE: M̂(θ) θ̇ = F̂(θ) with
//! M̂ = (1/n) Σᵢ Jᵢᵀ Jᵢ and F̂ = (1/n) Σᵢ Jᵢᵀ L[u](xᵢ), matrix-free.

use std::sync::Mutex;

use prdp_core::LinearOperator;

use crate::composite::Forward;
use crate::composite::TangentWorkspace;
use crate::error::{Result, check_len};
use crate::network::Network;

/// A symmetric positive semi-definite operator that can be applied to a block of vectors at
/// once (column s of a block at `[s·dim..(s+1)·dim]`). The Nyström sketch uses it.
pub trait BlockOperator: Sync {
    /// Size of the (square) operator.
    fn dim(&self) -> usize;

    /// Y ← A X for `r` columns.
    ///
    /// # Errors
    /// Implementation-defined (shape errors).
    fn apply_block(&self, x: &[f64], r: usize, y: &mut [f64]) -> Result<()>;
}

impl BlockOperator for prdp_core::DenseMatrix<f64> {
    fn dim(&self) -> usize {
        self.nrows()
    }

    fn apply_block(&self, x: &[f64], r: usize, y: &mut [f64]) -> Result<()> {
        let n = self.nrows();
        check_len("block operand", n * r, x.len())?;
        check_len("block result", n * r, y.len())?;
        for (xc, yc) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)) {
            self.apply(xc, yc);
        }
        Ok(())
    }
}

/// M̂(θ) + μI at fixed parameters and Monte Carlo points, as a [`LinearOperator`] (for CG) and,
/// without the shift, as a [`BlockOperator`] (for the Nyström sketch): the whole matrix, or
/// the diagonal block of one trunk ([`GaussNewton::block`]; M̂ is block-diagonal over the
/// trunks, see [`Network`]).
///
/// Each product contracts the cached forward evaluation with the output sensitivities of its
/// linearisation (computed by the first product and kept in the operator's workspace): two
/// GEMMs per layer, ≈ 2·n·p multiply–adds, J is never formed ([`prdp_nn::Mlp::gauss_newton_block`]).
///
/// # Reference
/// Finzi et al. (ICLR 2023), eq. 6 and Algorithm 1 (`Dynamics`); the regularisation μ is
/// relative to the largest eigenvalue estimate as in the public code.
pub struct GaussNewton<'a> {
    net: &'a Network,
    theta: &'a [f64],
    fwd: &'a Forward,
    /// The trunk whose diagonal block this is, or `None` for the whole matrix.
    trunk: Option<usize>,
    mu: f64,
    ws: Mutex<TangentWorkspace>,
}

impl<'a> GaussNewton<'a> {
    /// The operator at θ for the points cached in `fwd` (see [`Network::forward`]).
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] if θ does not fit the network or the cache is empty or not
    /// the network's.
    pub fn new(net: &'a Network, theta: &'a [f64], fwd: &'a Forward) -> Result<Self> {
        net.check_linearization(theta, fwd)?;
        if fwd.is_empty() {
            return Err(crate::IvpError::Length {
                what: "Gauss–Newton points (the forward cache is empty)".into(),
                expected: 1,
                got: 0,
            });
        }
        Ok(Self {
            net,
            theta,
            fwd,
            trunk: None,
            mu: 0.0,
            ws: Mutex::new(TangentWorkspace::new()),
        })
    }

    /// The diagonal block of trunk `k`: the operator on the parameters
    /// [`Network::trunk_params`]`(k)`, with its right-hand side built from that trunk's outputs.
    ///
    /// # Errors
    /// As [`GaussNewton::new`]; [`crate::IvpError::Length`] if `k` is not a trunk.
    pub fn block(net: &'a Network, k: usize, theta: &'a [f64], fwd: &'a Forward) -> Result<Self> {
        if k >= net.trunks() {
            return Err(crate::IvpError::Length {
                what: "trunk index (below the number of trunks)".into(),
                expected: net.trunks(),
                got: k,
            });
        }
        Ok(Self {
            trunk: Some(k),
            ..Self::new(net, theta, fwd)?
        })
    }

    /// The operator with `ws` as its scratch memory (so that a caller building an operator per
    /// right-hand side reuses one workspace; see [`GaussNewton::into_workspace`]).
    pub fn with_workspace(self, ws: TangentWorkspace) -> Self {
        Self {
            ws: Mutex::new(ws),
            ..self
        }
    }

    /// The scratch memory, for the next operator.
    pub fn into_workspace(self) -> TangentWorkspace {
        self.ws.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the shift μ of the [`LinearOperator`] M̂ + μI.
    pub fn set_mu(&mut self, mu: f64) {
        self.mu = mu;
    }

    /// The shift μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The parameters the operator acts on (all, or the block's).
    fn params(&self) -> core::ops::Range<usize> {
        self.trunk
            .map_or(0..self.net.num_params(), |k| self.net.trunk_params(k))
    }

    /// F̂ = (1/n) Σᵢ Jᵢᵀ fᵢ for the PDE right-hand side `f` (n × m row-major, all outputs) into
    /// `out` (the operator's size).
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub fn rhs(&self, f: &[f64], out: &mut [f64]) -> Result<()> {
        let mut ws = self.ws.lock().unwrap_or_else(|e| e.into_inner());
        match self.trunk {
            None => self.net.vjp(self.theta, self.fwd, f, out, &mut ws)?,
            Some(k) => {
                check_len(
                    "PDE right-hand side",
                    self.fwd.len() * self.net.outputs(),
                    f.len(),
                )?;
                check_len("F̂ block", self.params().len(), out.len())?;
                self.net
                    .vjp_of_trunk(k, self.theta, self.fwd, (1, f), out, &mut ws)?;
            }
        }
        let inv_n = 1.0 / self.fwd.len() as f64;
        out.iter_mut().for_each(|v| *v *= inv_n);
        Ok(())
    }

    /// J v at the points (n × m row-major; for a block, v holds the block's parameters and
    /// the result its trunk's outputs, n × m_k), e.g. to measure the PDE residual ‖J θ̇ − f‖.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub fn jvp(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let mut ws = self.ws.lock().unwrap_or_else(|e| e.into_inner());
        match self.trunk {
            None => self.net.jvp(self.theta, self.fwd, v, out, &mut ws),
            Some(k) => Ok(self.net.trunk(k).mlp.jvp_block(
                &self.theta[self.params()],
                &self.fwd.parts[k],
                v,
                1,
                out,
                &mut ws.mlp,
            )?),
        }
    }
}

impl BlockOperator for GaussNewton<'_> {
    fn dim(&self) -> usize {
        self.params().len()
    }

    fn apply_block(&self, x: &[f64], r: usize, y: &mut [f64]) -> Result<()> {
        let mut ws = self.ws.lock().unwrap_or_else(|e| e.into_inner());
        match self.trunk {
            None => self
                .net
                .gauss_newton_block(self.theta, self.fwd, x, r, y, &mut ws)?,
            Some(k) => self.net.trunk(k).mlp.gauss_newton_block(
                &self.theta[self.params()],
                &self.fwd.parts[k],
                x,
                r,
                y,
                &mut ws.mlp,
            )?,
        }
        let inv_n = 1.0 / self.fwd.len() as f64;
        y.iter_mut().for_each(|v| *v *= inv_n);
        Ok(())
    }
}

impl LinearOperator<f64> for GaussNewton<'_> {
    fn nrows(&self) -> usize {
        self.dim()
    }

    fn ncols(&self) -> usize {
        self.dim()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        self.apply_block(x, 1, y)
            .expect("CG passes vectors of the operator's size");
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi += self.mu * xi;
        }
    }

    fn apply_transpose(&self, x: &[f64], y: &mut [f64]) {
        self.apply(x, y);
    }

    fn describe(&self) -> String {
        let p = self.dim();
        let block = self
            .trunk
            .map_or(String::new(), |k| format!(", block of trunk {k}"));
        format!(
            "Gauss–Newton operator M̂ + μI ({p}x{p}{block}, {} points, μ = {:e})",
            self.fwd.len(),
            self.mu
        )
    }
}
