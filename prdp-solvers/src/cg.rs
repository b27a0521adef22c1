//! Preconditioned conjugate gradients.

use prdp_core::{LinearOperator, Real, kernels};

use crate::error::{Result, SolverError};
use crate::precond::Preconditioner;
use crate::program::{Adjoint, Params, Program, Reversible, Step, initial_residual, run};
use crate::{Budget, SolveOptions, SolveReport, Workspace};

/// Solves A x = b for symmetric definite A by conjugate gradients, preconditioned by M
/// (`precond` applies M⁻¹; M must be symmetric definite with the same sign as A).
///
/// One iteration is one operator application and one preconditioner application. The
/// residual is updated by recurrence.
///
/// # Errors
/// Shape and finiteness errors for bad input; [`SolverError::Breakdown`](crate::SolverError::Breakdown) if pᵀAp or rᵀM⁻¹r vanishes
/// or overflows.
///
/// # Example
/// ```
/// use prdp_core::{Boundary, Stencil};
/// use prdp_solvers::{Budget, IdentityPreconditioner, SolveOptions, Workspace, cg};
/// let a = Stencil::<f64>::laplacian(&[16, 16], &[1.0, 1.0], Boundary::Dirichlet)?.affine(0.0, -1.0);
/// let b = vec![1.0; 256];
/// let mut x = vec![0.0; 256];
/// let r = cg(&a, &IdentityPreconditioner, &b, &mut x, &Budget::new(200, 1e-10)?, &SolveOptions::default(), &mut Workspace::new())?;
/// assert!(r.converged() && r.iterations < 60);
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
///
/// # Reference
/// Hestenes and Stiefel (1952); Saad, *Iterative Methods for Sparse Linear Systems*, Alg. 9.1.
pub fn cg<T: Real, A: LinearOperator<T> + ?Sized>(
    a: &A,
    precond: &dyn Preconditioner<T>,
    b: &[T],
    x: &mut [T],
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Workspace<T>,
) -> Result<SolveReport> {
    let m = match precond.inverse_diagonal() {
        Some(d) => {
            prdp_core::check_len("CG diagonal preconditioner", b.len(), d.len())?;
            CgPreconditioner::Diagonal(d)
        }
        None => CgPreconditioner::Custom(precond),
    };
    run(&CgProgram { m }, a, b, x, Params { budget, opts }, ws, None)
}

/// The preconditioner of a CG program.
#[derive(Clone, Copy)]
pub(crate) enum CgPreconditioner<'a, T> {
    /// M = I.
    Identity,
    /// M⁻¹ = diag(m) with m = 1 / diag(A) when differentiated.
    Diagonal(&'a [T]),
    /// Any preconditioner (plain solves and implicit differentiation only).
    Custom(&'a dyn Preconditioner<T>),
}

impl<T: Real> CgPreconditioner<'_, T> {
    fn apply(&self, r: &[T], z: &mut [T]) {
        match self {
            Self::Identity => z.copy_from_slice(r),
            Self::Diagonal(m) => kernels::mul(m, r, z),
            Self::Custom(p) => p.apply(r, z),
        }
    }
}

/// CG as a step program. State: [u, r, p, ρ = rᵀM⁻¹r]; extras: [q = A p, α, β, σ = pᵀq].
pub(crate) struct CgProgram<'a, T> {
    pub(crate) m: CgPreconditioner<'a, T>,
}

impl<T: Real> Program<T> for CgProgram<'_, T> {
    const NAME: &'static str = "CG";
    const SCRATCH: usize = 2;

    fn state_len(&self, n: usize) -> usize {
        3 * n + 1
    }

    fn extra_len(&self, n: usize) -> usize {
        n + 3
    }

    fn start<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        u0: Option<&[T]>,
        state: &mut [T],
    ) -> (T, usize) {
        let n = b.len();
        let (u, rest) = state.split_at_mut(n);
        let (r, rest) = rest.split_at_mut(n);
        let (p, rho) = rest.split_at_mut(n);
        let (_, matvecs) = initial_residual(a, b, u0, u, r);
        self.m.apply(r, p);
        rho[0] = kernels::dot(r, p);
        (kernels::dot(r, r), matvecs)
    }

    fn step<A: LinearOperator<T> + ?Sized>(
        &self,
        step: &Step<'_, T, A>,
        state: &mut [T],
        extra: &mut [T],
        scratch: &mut [&mut [T]],
    ) -> Result<(Option<T>, usize)> {
        let Step { a, b, k, .. } = *step;
        let n = b.len();
        let (u, rest) = state.split_at_mut(n);
        let (r, rest) = rest.split_at_mut(n);
        let (p, rho) = rest.split_at_mut(n);
        let (q, scalars) = extra.split_at_mut(n);
        let z = &mut *scratch[0];
        a.apply(p, q);
        let sigma = kernels::dot(p, q);
        let breakdown = |what: &str, v: T| SolverError::Breakdown {
            solver: "CG",
            iteration: k,
            reason: format!("{what} = {v} (the operator or preconditioner is not definite)"),
        };
        if sigma == T::zero() || !sigma.is_finite() {
            return Err(breakdown("pᵀAp", sigma));
        }
        if rho[0] == T::zero() || !rho[0].is_finite() {
            return Err(breakdown("rᵀM⁻¹r", rho[0]));
        }
        let alpha = rho[0] / sigma;
        kernels::axpy(alpha, p, u);
        kernels::axpy(-alpha, q, r);
        self.m.apply(r, z);
        let rho_next = kernels::dot(r, z);
        let beta = rho_next / rho[0];
        kernels::xpby(z, beta, p);
        scalars[0] = alpha;
        scalars[1] = beta;
        scalars[2] = sigma;
        rho[0] = rho_next;
        let res2 = match self.m {
            CgPreconditioner::Identity => rho_next,
            _ => kernels::dot(r, r),
        };
        Ok((Some(res2), 1))
    }
}

impl<T: Real> Reversible<T> for CgProgram<'_, T> {
    fn uses_diagonal(&self) -> bool {
        matches!(self.m, CgPreconditioner::Diagonal(_))
    }

    fn reverse_step<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        state: &[T],
        extra: &[T],
        next: &[T],
        adj: &mut Adjoint<'_, T>,
        scratch: &mut [&mut [T]],
    ) -> usize {
        let Adjoint {
            state: adj,
            diag_bar,
            sink,
            ..
        } = adj;
        let n = (state.len() - 1) / 3;
        let p = &state[2 * n..3 * n];
        let rho = state[3 * n];
        let r_next = &next[n..2 * n];
        let (q, scalars) = extra.split_at(n);
        let (alpha, beta, sigma) = (scalars[0], scalars[1], scalars[2]);
        let (ub, rest) = adj.split_at_mut(n);
        let (rb, rest) = rest.split_at_mut(n);
        let (pb, rho_b) = rest.split_at_mut(n);
        let [z, qb] = scratch else {
            unreachable!("CG uses two scratch vectors")
        };
        // p' = z' + β p: β̄ = p̄'ᵀp, and z̄' = p̄' (before p̄ is scaled by β below)
        let beta_b = kernels::dot(pb, p);
        // β = ρ' / ρ
        let rho_next_b = rho_b[0] + beta_b / rho;
        let mut rho_bar = -beta_b * beta / rho;
        // ρ' = r'ᵀ M⁻¹ r' and z' = M⁻¹ r'
        self.chain_preconditioner(r_next, pb, rho_next_b, rb, diag_bar.as_deref_mut());
        // r' = r − α q and u' = u + α p
        let alpha_b = kernels::dot(ub, p) - kernels::dot(rb, q);
        // α = ρ / σ
        rho_bar += alpha_b / sigma;
        let sigma_b = -alpha_b * alpha / sigma;
        // One pass over the vector updates of those four steps: q̄ = −α r̄; p̄ = β p̄ + α ū;
        // then σ = pᵀq: p̄ += σ̄ q, q̄ += σ̄ p.
        for ((((pbi, qbi), &rbi), &ubi), (&qi, &pi)) in pb
            .iter_mut()
            .zip(qb.iter_mut())
            .zip(rb.iter())
            .zip(ub.iter())
            .zip(q.iter().zip(p))
        {
            let pb_scaled = alpha.mul_add(ubi, *pbi * beta);
            *pbi = sigma_b.mul_add(qi, pb_scaled);
            *qbi = sigma_b.mul_add(pi, -alpha * rbi);
        }
        // q = A p: p̄ += Aᵀq̄, Ā += q̄ pᵀ (the rank-one term with λ = −q̄).
        a.apply_transpose(qb, z);
        if sink.wants_matrix() {
            for ((pbi, qbi), &zi) in pb.iter_mut().zip(qb.iter_mut()).zip(z.iter()) {
                *pbi += zi;
                *qbi = -*qbi;
            }
            sink.rank_one(qb, p);
        } else {
            kernels::axpy(T::one(), z, pb);
        }
        rho_b[0] = rho_bar;
        1
    }

    fn reverse_start(
        &self,
        u0: Option<&[T]>,
        state: &[T],
        adj: &mut Adjoint<'_, T>,
        _scratch: &mut [&mut [T]],
    ) {
        let Adjoint {
            state: adj,
            bbar,
            diag_bar,
            sink,
        } = adj;
        let n = bbar.len();
        let r0 = &state[n..2 * n];
        let (rb, rest) = adj[n..].split_at_mut(n);
        let (pb, rho_b) = rest.split_at_mut(n);
        // p₀ = z₀ = M⁻¹ r₀: z̄₀ = p̄₀.
        self.chain_preconditioner(r0, pb, rho_b[0], rb, diag_bar.as_deref_mut());
        kernels::axpy(T::one(), rb, bbar);
        if let Some(u0) = u0 {
            sink.rank_one(rb, u0);
        }
    }
}

impl<T: Real> CgProgram<'_, T> {
    /// Reverse of z = M⁻¹r and ρ = rᵀz given z̄ and ρ̄: r̄ += M⁻¹z̄ + 2ρ̄z, and for
    /// M⁻¹ = diag(m), m = 1/diag(A): diag(A)‾ −= (z̄ ⊙ r + ρ̄ r ⊙ r) ⊙ m². z is recomputed from
    /// r on the fly (the same products the forward pass formed).
    fn chain_preconditioner(
        &self,
        r: &[T],
        zb: &[T],
        rho_b: T,
        rb: &mut [T],
        diag_bar: Option<&mut [T]>,
    ) {
        let two_rho_b = T::of(2.0) * rho_b;
        match self.m {
            CgPreconditioner::Identity => {
                for ((rbi, &zbi), &ri) in rb.iter_mut().zip(zb).zip(r) {
                    *rbi += zbi + two_rho_b * ri;
                }
            }
            CgPreconditioner::Diagonal(m) => match diag_bar {
                Some(diag_bar) => {
                    for i in 0..rb.len() {
                        let z = m[i] * r[i];
                        rb[i] += m[i] * zb[i] + two_rho_b * z;
                        let m_bar = zb[i] * r[i] + rho_b * r[i] * r[i];
                        diag_bar[i] -= m_bar * m[i] * m[i];
                    }
                }
                None => {
                    for i in 0..rb.len() {
                        let z = m[i] * r[i];
                        rb[i] += m[i] * zb[i] + two_rho_b * z;
                    }
                }
            },
            CgPreconditioner::Custom(_) => {
                unreachable!(
                    "unrolled CG with a custom preconditioner is rejected before the forward pass"
                )
            }
        }
    }
}
