//! BiCGStab.

use prdp_core::{Error, LinearOperator, Real, Result, kernels};

use crate::program::{validate, zero_rhs_report};
use crate::{Budget, SolveOptions, SolveReport, StopReason, Workspace};

/// Solves A x = b for general (nonsymmetric) A by the stabilised biconjugate gradient method.
/// One iteration costs two operator applications; the shadow residual is r₀.
///
/// # Errors
/// Shape and finiteness errors for bad input; [`Error::Breakdown`] if r̂ᵀr or r̂ᵀAp vanishes,
/// or the stabilisation step degenerates.
///
/// # Example
/// ```
/// use prdp_core::CsrMatrix;
/// use prdp_solvers::{Budget, SolveOptions, Workspace, bicgstab};
/// let a = CsrMatrix::from_triplets(3, 3, &[(0, 0, 4.0), (0, 1, 1.0), (1, 1, 3.0), (2, 0, -1.0), (2, 2, 2.0)])?;
/// let mut x = vec![0.0; 3];
/// let r = bicgstab(&a, &[1.0, 2.0, 3.0], &mut x, &Budget::new(50, 1e-12)?, &SolveOptions::default(), &mut Workspace::new())?;
/// assert!(r.converged());
/// # Ok::<(), prdp_core::Error>(())
/// ```
///
/// # Reference
/// van der Vorst, *Bi-CGSTAB*, SIAM J. Sci. Stat. Comput. 13 (1992).
pub fn bicgstab<T: Real, A: LinearOperator<T> + ?Sized>(
    a: &A,
    b: &[T],
    x: &mut [T],
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Workspace<T>,
) -> Result<SolveReport> {
    let (_, bnorm) = validate("BiCGStab", a, b, x, budget, opts)?;
    if bnorm == T::zero() {
        return Ok(zero_rhs_report(x, opts));
    }
    let ([r, r_hat, p, v, s, t], _) = ws.split::<6>(b.len(), 0);
    let mut matvecs = 0;
    if opts.warm_start {
        a.residual(x, b, r);
        matvecs += 1;
    } else {
        x.fill(T::zero());
        r.copy_from_slice(b);
    }
    r_hat.copy_from_slice(r);
    p.fill(T::zero());
    v.fill(T::zero());
    let (mut rho_old, mut alpha, mut omega) = (T::one(), T::one(), T::one());
    let mut res2 = kernels::dot(r, r);
    let mut history = opts
        .record_history
        .then(|| Vec::with_capacity(budget.max_iters + 1));
    let breakdown = |k: usize, reason: String| Error::Breakdown {
        solver: "BiCGStab",
        iteration: k,
        reason,
    };
    let mut k = 0;
    let stop = loop {
        let rel = res2.sqrt().as_f64() / bnorm.as_f64();
        if let Some(h) = history.as_mut() {
            h.push(rel);
        }
        if !rel.is_finite() {
            return Err(breakdown(k, format!("the residual norm became {rel}")));
        }
        if rel < budget.rtol || res2 == T::zero() {
            break StopReason::Converged;
        }
        if k == budget.max_iters {
            break StopReason::BudgetSpent;
        }
        let rho = kernels::dot(r_hat, r);
        if rho == T::zero() || !rho.is_finite() {
            return Err(breakdown(k, format!("r̂ᵀr = {rho}")));
        }
        if k == 0 {
            p.copy_from_slice(r);
        } else {
            let beta = (rho / rho_old) * (alpha / omega);
            for ((pi, &ri), &vi) in p.iter_mut().zip(r.iter()).zip(v.iter()) {
                *pi = ri + beta * (*pi - omega * vi);
            }
        }
        a.apply(p, v);
        let rv = kernels::dot(r_hat, v);
        if rv == T::zero() || !rv.is_finite() {
            return Err(breakdown(k, format!("r̂ᵀAp = {rv}")));
        }
        alpha = rho / rv;
        s.copy_from_slice(r);
        kernels::axpy(-alpha, v, s);
        let s2 = kernels::dot(s, s);
        if (s2.sqrt().as_f64() / bnorm.as_f64()) < budget.rtol || s2 == T::zero() {
            kernels::axpy(alpha, p, x);
            r.copy_from_slice(s);
            res2 = s2;
            matvecs += 1;
            k += 1;
            continue;
        }
        a.apply(s, t);
        let tt = kernels::dot(t, t);
        if tt == T::zero() || !tt.is_finite() {
            return Err(breakdown(k, format!("‖As‖² = {tt}")));
        }
        omega = kernels::dot(t, s) / tt;
        if omega == T::zero() {
            return Err(breakdown(
                k,
                "the stabilisation parameter ω is zero".to_owned(),
            ));
        }
        kernels::axpy(alpha, p, x);
        kernels::axpy(omega, s, x);
        r.copy_from_slice(s);
        kernels::axpy(-omega, t, r);
        res2 = kernels::dot(r, r);
        rho_old = rho;
        matvecs += 2;
        k += 1;
    };
    Ok(SolveReport {
        iterations: k,
        rel_residual: res2.sqrt().as_f64() / bnorm.as_f64(),
        stop,
        matvecs,
        history,
    })
}
