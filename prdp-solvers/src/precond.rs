//! Preconditioners for the Krylov solvers.

use prdp_core::{Error, LinearOperator, Real, Result, check_len, kernels};

/// A preconditioner: z ← M⁻¹ r for an approximation M ≈ A (symmetric positive definite for CG).
///
/// `prdp-solvers` provides [`IdentityPreconditioner`] and [`DiagonalPreconditioner`]; Neural IVP
/// adds a randomised Nyström preconditioner.
pub trait Preconditioner<T: Real>: Send + Sync {
    /// z ← M⁻¹ r.
    ///
    /// # Panics
    /// If `r` and `z` do not have the preconditioner's size.
    fn apply(&self, r: &[T], z: &mut [T]);

    /// The inverse diagonal, if M is diagonal (lets unrolled CG differentiate through it).
    fn inverse_diagonal(&self) -> Option<&[T]> {
        None
    }
}

/// M = I.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityPreconditioner;

impl<T: Real> Preconditioner<T> for IdentityPreconditioner {
    fn apply(&self, r: &[T], z: &mut [T]) {
        z.copy_from_slice(r);
    }
}

/// M = diag(A) (Jacobi preconditioning).
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalPreconditioner<T> {
    inv_diag: Vec<T>,
}

impl<T: Real> DiagonalPreconditioner<T> {
    /// Builds M⁻¹ = diag(A)⁻¹ from the operator's diagonal.
    ///
    /// # Errors
    /// [`Error::NoDiagonal`] if the operator has none; [`Error::Singular`] if a diagonal entry
    /// is zero or not finite.
    pub fn from_operator<A: LinearOperator<T> + ?Sized>(a: &A) -> Result<Self> {
        let mut d = vec![T::zero(); a.nrows().min(a.ncols())];
        a.diagonal(&mut d)?;
        Self::from_diagonal(&d, &a.describe())
    }

    /// Builds M⁻¹ from an explicit diagonal `d` of the operator named `what`.
    ///
    /// # Errors
    /// [`Error::Singular`] naming the first zero or non-finite entry.
    pub fn from_diagonal(d: &[T], what: &str) -> Result<Self> {
        let mut inv = vec![T::zero(); d.len()];
        invert_diagonal(d, &mut inv, || what.to_owned())?;
        Ok(Self { inv_diag: inv })
    }
}

impl<T: Real> Preconditioner<T> for DiagonalPreconditioner<T> {
    #[track_caller]
    fn apply(&self, r: &[T], z: &mut [T]) {
        prdp_core::kernels::mul(&self.inv_diag, r, z);
    }

    fn inverse_diagonal(&self) -> Option<&[T]> {
        Some(&self.inv_diag)
    }
}

/// inv ← 1 / d, rejecting zero or non-finite entries. Two vectorised passes; the entries are
/// scanned one by one only when a norm says something may be wrong.
/// `what` names the operator; it is only called to build an error.
pub(crate) fn invert_diagonal<T: Real>(
    d: &[T],
    inv: &mut [T],
    what: impl FnOnce() -> String,
) -> Result<()> {
    check_len("inverse diagonal buffer", d.len(), inv.len())?;
    for (out, &di) in inv.iter_mut().zip(d) {
        *out = T::one() / di;
    }
    if kernels::dot(inv, inv).is_finite() && kernels::dot(d, d).is_finite() {
        return Ok(());
    }
    match d.iter().position(|di| *di == T::zero() || !di.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::Singular {
            what: what(),
            detail: format!(
                "diagonal entry {i} is {}, so Jacobi scaling is undefined",
                d[i]
            ),
        }),
    }
}
