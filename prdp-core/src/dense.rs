//! Dense matrices (faer storage, faer GEMV).

use faer::{Accum, ColMut, ColRef, Mat, Par};

use crate::operator::assert_shape;
use crate::{LinearOperator, Real, Result};

/// A dense matrix stored column-major in a [`faer::Mat`]; products go through faer's kernels.
///
/// # Example
/// ```
/// use prdp_core::{DenseMatrix, LinearOperator};
/// let a = DenseMatrix::from_row_major(2, 2, &[1.0, 2.0, 3.0, 4.0]).unwrap();
/// let mut y = [0.0; 2];
/// a.apply(&[1.0, 1.0], &mut y);
/// assert_eq!(y, [3.0, 7.0]);
/// ```
#[derive(Debug, Clone)]
pub struct DenseMatrix<T: Real> {
    mat: Mat<T>,
}

impl<T: Real> DenseMatrix<T> {
    /// Wraps a faer matrix.
    pub fn new(mat: Mat<T>) -> Self {
        Self { mat }
    }

    /// Builds an m×n matrix from `m·n` values in row-major order.
    ///
    /// # Errors
    /// [`crate::Error::Length`] if `values.len() != m·n`, [`crate::Error::NonFinite`]
    /// for a NaN or infinity.
    pub fn from_row_major(nrows: usize, ncols: usize, values: &[T]) -> Result<Self> {
        crate::check_len(
            "dense matrix values (row-major)",
            nrows * ncols,
            values.len(),
        )?;
        crate::check_finite("dense matrix values", values)?;
        Ok(Self {
            mat: Mat::from_fn(nrows, ncols, |i, j| values[i * ncols + j]),
        })
    }

    /// The m×m identity.
    pub fn identity(n: usize) -> Self {
        Self {
            mat: Mat::identity(n, n),
        }
    }

    /// The underlying faer matrix.
    pub fn as_faer(&self) -> &Mat<T> {
        &self.mat
    }

    /// Entry (i, j).
    ///
    /// # Panics
    /// If the index is out of range.
    pub fn get(&self, i: usize, j: usize) -> T {
        self.mat[(i, j)]
    }
}

impl<T: Real> LinearOperator<T> for DenseMatrix<T> {
    fn nrows(&self) -> usize {
        self.mat.nrows()
    }
    fn ncols(&self) -> usize {
        self.mat.ncols()
    }
    #[track_caller]
    fn apply(&self, x: &[T], y: &mut [T]) {
        assert_shape(
            "DenseMatrix::apply",
            self.ncols(),
            self.nrows(),
            x.len(),
            y.len(),
        );
        faer::linalg::matmul::matmul(
            ColMut::from_slice_mut(y).as_mat_mut(),
            Accum::Replace,
            self.mat.as_ref(),
            ColRef::from_slice(x).as_mat(),
            T::one(),
            Par::Seq,
        );
    }
    #[track_caller]
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        assert_shape(
            "DenseMatrix::apply_transpose",
            self.nrows(),
            self.ncols(),
            x.len(),
            y.len(),
        );
        faer::linalg::matmul::matmul(
            ColMut::from_slice_mut(y).as_mat_mut(),
            Accum::Replace,
            self.mat.transpose(),
            ColRef::from_slice(x).as_mat(),
            T::one(),
            Par::Seq,
        );
    }
    fn diagonal(&self, out: &mut [T]) -> Result<()> {
        crate::check_len("diagonal output", self.nrows().min(self.ncols()), out.len())?;
        for (i, d) in out.iter_mut().enumerate() {
            *d = self.mat[(i, i)];
        }
        Ok(())
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        for j in 0..self.ncols() {
            for i in 0..self.nrows() {
                let v = self.mat[(i, j)];
                if v != T::zero() {
                    f(i, j, v);
                }
            }
        }
    }
    fn describe(&self) -> String {
        format!("dense {}x{}", self.nrows(), self.ncols())
    }
}
