//! Dense products through faer on row-major slices.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// Products below this many multiply–adds run on one thread in [`gemm_par`].
const PAR_MIN_MACS: usize = 1 << 20;

/// A row-major `rows × cols` view of the first `rows·cols` entries of `s`.
#[inline]
#[track_caller]
pub(crate) fn rm(s: &[f64], rows: usize, cols: usize) -> MatRef<'_, f64> {
    MatRef::from_row_major_slice(&s[..rows * cols], rows, cols)
}

/// A mutable row-major `rows × cols` view of the first `rows·cols` entries of `s`.
#[inline]
#[track_caller]
pub(crate) fn rm_mut(s: &mut [f64], rows: usize, cols: usize) -> MatMut<'_, f64> {
    MatMut::from_row_major_slice_mut(&mut s[..rows * cols], rows, cols)
}

/// dst ← lhs·rhs (`Accum::Replace`) or dst += lhs·rhs (`Accum::Add`), on one thread.
#[inline]
pub(crate) fn gemm(dst: MatMut<'_, f64>, accum: Accum, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>) {
    matmul(dst, accum, lhs, rhs, 1.0, Par::Seq);
}

/// As [`gemm`], with the rows of `dst` split into two halves computed on two rayon tasks when
/// the product is large. Every entry is computed by the same sequential kernel, so the result
/// does not depend on the number of threads.
pub(crate) fn gemm_par(
    dst: MatMut<'_, f64>,
    accum: Accum,
    lhs: MatRef<'_, f64>,
    rhs: MatRef<'_, f64>,
) {
    let (m, n, k) = (dst.nrows(), dst.ncols(), lhs.ncols());
    if m < 64 || m * n * k < PAR_MIN_MACS {
        gemm(dst, accum, lhs, rhs);
        return;
    }
    let at = (m / 2).next_multiple_of(16).min(m);
    let (d0, d1) = dst.split_at_row_mut(at);
    let (l0, l1) = lhs.split_at_row(at);
    rayon::join(
        || gemm_par(d0, accum, l0, rhs),
        || gemm_par(d1, accum, l1, rhs),
    );
}
