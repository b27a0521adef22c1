//! Turning any operator into an explicit matrix.

use faer::Mat;
use faer::sparse::{SparseColMat, Triplet};

use crate::{CsrMatrix, Error, LinearOperator, Real, Result};

/// Materialises `op` as a [`CsrMatrix`] (entries from [`LinearOperator::for_each_entry`],
/// duplicates summed).
///
/// # Errors
/// [`Error::NonFinite`] if the operator produces a non-finite entry.
pub fn to_csr<T: Real, A: LinearOperator<T> + ?Sized>(op: &A) -> Result<CsrMatrix<T>> {
    let mut triplets = Vec::new();
    op.for_each_entry(&mut |i, j, v| triplets.push((i, j, v)));
    CsrMatrix::from_triplets(op.nrows(), op.ncols(), &triplets)
}

/// Materialises `op` as a faer sparse matrix in `f64` (the precision of every direct reference
/// solve).
///
/// # Errors
/// [`Error::NonFinite`] for a non-finite entry, [`Error::Factorization`] if faer rejects the
/// structure.
pub fn to_faer_sparse<T: Real, A: LinearOperator<T> + ?Sized>(
    op: &A,
) -> Result<SparseColMat<usize, f64>> {
    let mut triplets = Vec::new();
    let mut bad = None;
    op.for_each_entry(&mut |i, j, v| {
        if !v.is_finite() && bad.is_none() {
            bad = Some((i, j, v.as_f64()));
        }
        triplets.push(Triplet::new(i, j, v.as_f64()));
    });
    if let Some((i, j, value)) = bad {
        return Err(Error::NonFinite {
            what: format!("{} entry ({i}, {j})", op.describe()),
            index: i * op.ncols() + j,
            value,
        });
    }
    SparseColMat::try_new_from_triplets(op.nrows(), op.ncols(), &triplets).map_err(|e| {
        Error::Factorization {
            what: op.describe(),
            detail: format!("{e:?}"),
        }
    })
}

/// Materialises `op` as a dense faer matrix in `f64`.
pub fn to_faer_dense<T: Real, A: LinearOperator<T> + ?Sized>(op: &A) -> Mat<f64> {
    let mut m = Mat::<f64>::zeros(op.nrows(), op.ncols());
    op.for_each_entry(&mut |i, j, v| m[(i, j)] += v.as_f64());
    m
}
