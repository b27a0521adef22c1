//! Dense matrix products through faer on row-major slices, split across threads by output
//! blocks: the one GEMM helper of the workspace (the layers of this crate, and Neural IVP's
//! trunks, tangents, jets and EDNN's normal equations).
//!
//! # Example
//! ```
//! use faer::Accum;
//! use prdp_nn::gemm::{gemm, rm, rm_mut};
//! let (a, b) = ([1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 0.0, 1.0]);
//! let mut c = [0.0; 4];
//! gemm(rm_mut(&mut c, 2, 2), Accum::Replace, rm(&a, 2, 2), rm(&b, 2, 2), 2);
//! assert_eq!(c, a);
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use prdp_core::Real;

/// Products below this many multiply–adds run on one thread.
const PAR_MIN_MACS: usize = 1 << 20;

/// Output blocks are split at multiples of this many rows or columns (a multiple of the
/// micro-kernel tile sizes).
const SPLIT_ALIGN: usize = 16;

/// dst ← lhs·rhs (`Accum::Replace`) or dst ← dst + lhs·rhs (`Accum::Add`).
///
/// With `threads > 1` and enough work, the output is split in two along its longer side and the
/// halves run on separate rayon tasks, recursively; every output entry is computed by the same
/// sequential faer kernel over the full inner dimension, so the result does not depend on
/// `threads`. (faer's own `Par::rayon` is much slower than this for the skinny batch-by-width
/// products of a dense layer on these machines.)
pub fn gemm<T: Real>(
    dst: MatMut<'_, T>,
    beta: Accum,
    lhs: MatRef<'_, T>,
    rhs: MatRef<'_, T>,
    threads: usize,
) {
    let (m, n, k) = (dst.nrows(), dst.ncols(), lhs.ncols());
    let wide = n >= m;
    let long = if wide { n } else { m };
    if threads < 2 || m * n * k < PAR_MIN_MACS || long < 2 * SPLIT_ALIGN {
        matmul(dst, beta, lhs, rhs, T::one(), Par::Seq);
        return;
    }
    let at = (long / 2).next_multiple_of(SPLIT_ALIGN).min(long);
    let first = threads / 2;
    let second = threads - first;
    if wide {
        let (d0, d1) = dst.split_at_col_mut(at);
        let (r0, r1) = rhs.split_at_col(at);
        rayon::join(
            || gemm(d0, beta, lhs, r0, first),
            || gemm(d1, beta, lhs, r1, second),
        );
    } else {
        let (d0, d1) = dst.split_at_row_mut(at);
        let (l0, l1) = lhs.split_at_row(at);
        rayon::join(
            || gemm(d0, beta, l0, rhs, first),
            || gemm(d1, beta, l1, rhs, second),
        );
    }
}

/// A row-major `rows × cols` view of the first `rows·cols` entries of `s`.
///
/// # Panics
/// If `s` is shorter than `rows·cols`.
#[inline]
#[track_caller]
pub fn rm<T>(s: &[T], rows: usize, cols: usize) -> MatRef<'_, T> {
    assert!(
        s.len() >= rows * cols,
        "matrix view: slice of {} for {rows}x{cols}",
        s.len()
    );
    MatRef::from_row_major_slice(&s[..rows * cols], rows, cols)
}

/// A mutable row-major `rows × cols` view of the first `rows·cols` entries of `s`.
///
/// # Panics
/// If `s` is shorter than `rows·cols`.
#[inline]
#[track_caller]
pub fn rm_mut<T>(s: &mut [T], rows: usize, cols: usize) -> MatMut<'_, T> {
    assert!(
        s.len() >= rows * cols,
        "matrix view: slice of {} for {rows}x{cols}",
        s.len()
    );
    MatMut::from_row_major_slice_mut(&mut s[..rows * cols], rows, cols)
}
