//! Compressed sparse row matrices.

use crate::operator::assert_shape;
use crate::{Error, LinearOperator, Real, Result};

/// A sparse matrix in compressed sparse row form with sorted, unique column indices per row.
///
/// # Example
/// ```
/// use prdp_core::{CsrMatrix, LinearOperator};
/// // Duplicates are summed: entry (0, 0) is 1 + 2.
/// let a = CsrMatrix::from_triplets(2, 3, &[(0, 0, 1.0f32), (0, 0, 2.0), (1, 2, -1.0)]).unwrap();
/// assert_eq!(a.nnz(), 2);
/// let mut y = [0.0f32; 2];
/// a.apply(&[1.0, 0.0, 4.0], &mut y);
/// assert_eq!(y, [3.0, -4.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix<T> {
    nrows: usize,
    ncols: usize,
    row_ptr: Vec<usize>,
    col_idx: Vec<usize>,
    values: Vec<T>,
}

impl<T: Real> CsrMatrix<T> {
    /// Builds an `nrows`×`ncols` matrix from `(row, col, value)` triplets; duplicates are summed.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an index out of range, [`Error::NonFinite`] for a
    /// non-finite value.
    pub fn from_triplets(
        nrows: usize,
        ncols: usize,
        triplets: &[(usize, usize, T)],
    ) -> Result<Self> {
        let mut counts = vec![0usize; nrows + 1];
        for (k, &(i, j, v)) in triplets.iter().enumerate() {
            if i >= nrows || j >= ncols {
                return Err(crate::invalid(
                    "triplet index",
                    format!("({i}, {j}) at position {k}"),
                    &format!("row < {nrows} and column < {ncols}"),
                ));
            }
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    what: format!("triplet value at ({i}, {j})"),
                    index: k,
                    value: v.as_f64(),
                });
            }
            counts[i + 1] += 1;
        }
        for i in 0..nrows {
            counts[i + 1] += counts[i];
        }
        // Bucket by row, then sort each row by column and merge duplicates.
        let mut next = counts.clone();
        let mut cols = vec![0usize; triplets.len()];
        let mut vals = vec![T::zero(); triplets.len()];
        for &(i, j, v) in triplets {
            cols[next[i]] = j;
            vals[next[i]] = v;
            next[i] += 1;
        }
        let mut row_ptr = Vec::with_capacity(nrows + 1);
        let mut col_idx = Vec::with_capacity(triplets.len());
        let mut values = Vec::with_capacity(triplets.len());
        let mut order: Vec<usize> = Vec::new();
        row_ptr.push(0);
        for i in 0..nrows {
            let (s, e) = (counts[i], counts[i + 1]);
            order.clear();
            order.extend(s..e);
            order.sort_by_key(|&k| cols[k]);
            for &k in &order {
                if col_idx.len() > *row_ptr.last().unwrap_or(&0) && col_idx.last() == Some(&cols[k])
                {
                    *values.last_mut().expect("a previous entry exists") += vals[k];
                } else {
                    col_idx.push(cols[k]);
                    values.push(vals[k]);
                }
            }
            row_ptr.push(col_idx.len());
        }
        Ok(Self {
            nrows,
            ncols,
            row_ptr,
            col_idx,
            values,
        })
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Row pointers (length `nrows + 1`).
    pub fn row_ptr(&self) -> &[usize] {
        &self.row_ptr
    }

    /// Column indices, row by row.
    pub fn col_idx(&self) -> &[usize] {
        &self.col_idx
    }

    /// Stored values, row by row.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// Mutable stored values (the sparsity pattern stays fixed), for reassembling a
    /// state-dependent matrix in place.
    pub fn values_mut(&mut self) -> &mut [T] {
        &mut self.values
    }

    /// The stored entry at `(i, j)`, or zero.
    pub fn get(&self, i: usize, j: usize) -> T {
        if i >= self.nrows {
            return T::zero();
        }
        let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
        match self.col_idx[s..e].binary_search(&j) {
            Ok(k) => self.values[s + k],
            Err(_) => T::zero(),
        }
    }
}

impl<T: Real> LinearOperator<T> for CsrMatrix<T> {
    fn nrows(&self) -> usize {
        self.nrows
    }
    fn ncols(&self) -> usize {
        self.ncols
    }
    #[track_caller]
    fn apply(&self, x: &[T], y: &mut [T]) {
        assert_shape("CsrMatrix::apply", self.ncols, self.nrows, x.len(), y.len());
        for (i, yi) in y.iter_mut().enumerate() {
            let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
            let mut acc = T::zero();
            for (&j, &v) in self.col_idx[s..e].iter().zip(&self.values[s..e]) {
                acc = v.mul_add(x[j], acc);
            }
            *yi = acc;
        }
    }
    #[track_caller]
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        assert_shape(
            "CsrMatrix::apply_transpose",
            self.nrows,
            self.ncols,
            x.len(),
            y.len(),
        );
        y.fill(T::zero());
        for (i, &xi) in x.iter().enumerate() {
            let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
            for (&j, &v) in self.col_idx[s..e].iter().zip(&self.values[s..e]) {
                y[j] = v.mul_add(xi, y[j]);
            }
        }
    }
    fn diagonal(&self, out: &mut [T]) -> Result<()> {
        crate::check_len("diagonal output", self.nrows.min(self.ncols), out.len())?;
        for (i, d) in out.iter_mut().enumerate() {
            *d = self.get(i, i);
        }
        Ok(())
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        for i in 0..self.nrows {
            for k in self.row_ptr[i]..self.row_ptr[i + 1] {
                f(i, self.col_idx[k], self.values[k]);
            }
        }
    }
    fn describe(&self) -> String {
        format!(
            "CSR {}x{} ({} nonzeros)",
            self.nrows,
            self.ncols,
            self.nnz()
        )
    }
}
