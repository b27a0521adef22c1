//! The linear-operator trait every solver works with, and two adapters: closures
//! ([`FnOperator`]) and the transpose view ([`Transposed`]).

use crate::{Error, Lanes, Real, Result, kernels};

/// A linear map A: ℝⁿ → ℝᵐ that can be applied, and applied transposed, in place.
///
/// The in-place methods are the required core; they are kernels called by solvers that have
/// already validated their inputs, so they `assert!` on slice lengths instead of returning
/// errors. Sparse ([`crate::CsrMatrix`]), dense ([`crate::DenseMatrix`]) and matrix-free
/// ([`crate::Stencil`], [`FnOperator`], the PDE operators of `prdp-pde`) operators all implement
/// it, and any of them can be materialised with [`crate::to_csr`] or [`crate::to_faer_sparse`].
///
/// # Example
/// ```
/// use prdp_core::{CsrMatrix, LinearOperator};
/// let a = CsrMatrix::from_triplets(2, 2, &[(0, 0, 2.0), (0, 1, 1.0), (1, 1, 3.0)]).unwrap();
/// let mut y = [0.0; 2];
/// a.apply(&[1.0, 1.0], &mut y);
/// assert_eq!(y, [3.0, 3.0]);
/// a.apply_transpose(&[1.0, 1.0], &mut y);
/// assert_eq!(y, [2.0, 4.0]);
/// ```
pub trait LinearOperator<T: Real>: Send + Sync {
    /// Number of rows m (length of A x).
    fn nrows(&self) -> usize;

    /// Number of columns n (length of x).
    fn ncols(&self) -> usize;

    /// y ← A x.
    ///
    /// # Panics
    /// If `x.len() != ncols()` or `y.len() != nrows()`.
    fn apply(&self, x: &[T], y: &mut [T]);

    /// y ← Aᵀ x.
    ///
    /// # Panics
    /// If `x.len() != nrows()` or `y.len() != ncols()`.
    fn apply_transpose(&self, x: &[T], y: &mut [T]);

    /// Writes the diagonal of A into `out` (length min(m, n)).
    ///
    /// # Errors
    /// [`Error::NoDiagonal`] if the operator cannot provide it (the default).
    fn diagonal(&self, out: &mut [T]) -> Result<()> {
        let _ = out;
        Err(Error::NoDiagonal {
            operator: self.describe(),
            needed_by: "diagonal()",
        })
    }

    /// The value of every diagonal entry, if they are all equal and known without a scan
    /// (stencils); `None` (the default) otherwise. Jacobi then applies D⁻¹ as one scalar.
    fn constant_diagonal(&self) -> Option<T> {
        None
    }

    /// r ← b − A x, without its norm.
    ///
    /// Solvers call this once per iteration when no stopping test needs the norm (a fixed
    /// iteration budget); stencil operators override it with a fused single-pass kernel.
    ///
    /// # Panics
    /// If the lengths do not match the shape.
    fn residual_vector(&self, x: &[T], b: &[T], r: &mut [T]) {
        self.apply(x, r);
        for (ri, &bi) in r.iter_mut().zip(b) {
            *ri = bi - *ri;
        }
    }

    /// r ← b − Aᵀ x, without its norm (the residual of the adjoint system, which implicit
    /// differentiation solves through [`Transposed`]).
    ///
    /// # Panics
    /// If the lengths do not match the transposed shape.
    fn transpose_residual_vector(&self, x: &[T], b: &[T], r: &mut [T]) {
        self.apply_transpose(x, r);
        for (ri, &bi) in r.iter_mut().zip(b) {
            *ri = bi - *ri;
        }
    }

    /// r ← b − A x; returns ‖r‖₂². The default is [`LinearOperator::residual_vector`] followed
    /// by the norm.
    ///
    /// # Panics
    /// If the lengths do not match the shape.
    fn residual(&self, x: &[T], b: &[T], r: &mut [T]) -> T {
        self.residual_vector(x, b, r);
        kernels::dot(r, r)
    }

    /// Calls `f(row, col, value)` for every structurally nonzero entry (duplicates are allowed
    /// and mean a sum). The default probes A with unit vectors, which costs n matrix–vector
    /// products; sparse and stencil operators override it.
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        let (m, n) = (self.nrows(), self.ncols());
        let mut e = vec![T::zero(); n];
        let mut col = vec![T::zero(); m];
        for j in 0..n {
            e[j] = T::one();
            self.apply(&e, &mut col);
            e[j] = T::zero();
            for (i, &v) in col.iter().enumerate() {
                if v != T::zero() {
                    f(i, j, v);
                }
            }
        }
    }

    /// A short description for error messages, e.g. `"CSR 900x900 (4380 nonzeros)"`.
    fn describe(&self) -> String {
        format!("operator {}x{}", self.nrows(), self.ncols())
    }

    /// The batch-major form of the operator (one residual sweep over many interleaved
    /// systems), if it has one: stencils do; `None` (the default) otherwise.
    fn lanes(&self) -> Option<Lanes<'_, T>> {
        None
    }
}

impl<T: Real, A: LinearOperator<T> + ?Sized> LinearOperator<T> for &A {
    fn nrows(&self) -> usize {
        (**self).nrows()
    }
    fn ncols(&self) -> usize {
        (**self).ncols()
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        (**self).apply(x, y)
    }
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        (**self).apply_transpose(x, y)
    }
    fn diagonal(&self, out: &mut [T]) -> Result<()> {
        (**self).diagonal(out)
    }
    fn constant_diagonal(&self) -> Option<T> {
        (**self).constant_diagonal()
    }
    fn residual_vector(&self, x: &[T], b: &[T], r: &mut [T]) {
        (**self).residual_vector(x, b, r)
    }
    fn transpose_residual_vector(&self, x: &[T], b: &[T], r: &mut [T]) {
        (**self).transpose_residual_vector(x, b, r)
    }
    fn residual(&self, x: &[T], b: &[T], r: &mut [T]) -> T {
        (**self).residual(x, b, r)
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        (**self).for_each_entry(f)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn lanes(&self) -> Option<Lanes<'_, T>> {
        (**self).lanes()
    }
}

/// Checks that `op` is square and returns its size.
///
/// # Errors
/// [`Error::NotSquare`] naming `what` and the shape.
pub fn square_size<T: Real, A: LinearOperator<T> + ?Sized>(what: &str, op: &A) -> Result<usize> {
    let (m, n) = (op.nrows(), op.ncols());
    if m == n {
        Ok(n)
    } else {
        Err(Error::NotSquare {
            what: what.to_owned(),
            rows: m,
            cols: n,
        })
    }
}

/// The transpose Aᵀ of an operator, as an operator (no copy).
///
/// Implicit differentiation solves Aᵀλ = ū with the primal's solver; this view is what it
/// hands to the solver.
#[derive(Debug, Clone, Copy)]
pub struct Transposed<A>(pub A);

impl<T: Real, A: LinearOperator<T>> LinearOperator<T> for Transposed<A> {
    fn nrows(&self) -> usize {
        self.0.ncols()
    }
    fn ncols(&self) -> usize {
        self.0.nrows()
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        self.0.apply_transpose(x, y)
    }
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        self.0.apply(x, y)
    }
    fn diagonal(&self, out: &mut [T]) -> Result<()> {
        self.0.diagonal(out)
    }
    fn constant_diagonal(&self) -> Option<T> {
        self.0.constant_diagonal()
    }
    fn residual_vector(&self, x: &[T], b: &[T], r: &mut [T]) {
        self.0.transpose_residual_vector(x, b, r)
    }
    fn transpose_residual_vector(&self, x: &[T], b: &[T], r: &mut [T]) {
        self.0.residual_vector(x, b, r)
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        self.0.for_each_entry(&mut |i, j, v| f(j, i, v))
    }
    fn describe(&self) -> String {
        format!("transpose of {}", self.0.describe())
    }
    fn lanes(&self) -> Option<Lanes<'_, T>> {
        self.0.lanes().map(Lanes::transpose)
    }
}

/// A matrix-free operator from two closures (A x and Aᵀ x) and an optional diagonal.
///
/// # Example
/// ```
/// use prdp_core::{FnOperator, LinearOperator};
/// // A = [[2, 1], [0, 3]]
/// let a = FnOperator::new(
///     2,
///     2,
///     |x: &[f64], y: &mut [f64]| { y[0] = 2.0 * x[0] + x[1]; y[1] = 3.0 * x[1]; },
///     |x: &[f64], y: &mut [f64]| { y[0] = 2.0 * x[0]; y[1] = x[0] + 3.0 * x[1]; },
/// )
/// .with_diagonal(vec![2.0, 3.0])
/// .unwrap();
/// let mut d = [0.0; 2];
/// a.diagonal(&mut d).unwrap();
/// assert_eq!(d, [2.0, 3.0]);
/// ```
pub struct FnOperator<T, F, G> {
    nrows: usize,
    ncols: usize,
    apply: F,
    apply_transpose: G,
    diagonal: Option<Vec<T>>,
}

impl<T: Real, F, G> FnOperator<T, F, G>
where
    F: Fn(&[T], &mut [T]) + Send + Sync,
    G: Fn(&[T], &mut [T]) + Send + Sync,
{
    /// An m×n operator whose product is `apply` and whose transposed product is
    /// `apply_transpose`. The closures receive slices of the right lengths.
    pub fn new(nrows: usize, ncols: usize, apply: F, apply_transpose: G) -> Self {
        Self {
            nrows,
            ncols,
            apply,
            apply_transpose,
            diagonal: None,
        }
    }

    /// Attaches the operator's diagonal (needed by Jacobi and the diagonal preconditioner).
    ///
    /// # Errors
    /// [`Error::Length`] if `diagonal` does not have min(m, n) entries.
    pub fn with_diagonal(mut self, diagonal: Vec<T>) -> Result<Self> {
        crate::check_len(
            "operator diagonal",
            self.nrows.min(self.ncols),
            diagonal.len(),
        )?;
        self.diagonal = Some(diagonal);
        Ok(self)
    }
}

impl<T: Real, F, G> LinearOperator<T> for FnOperator<T, F, G>
where
    F: Fn(&[T], &mut [T]) + Send + Sync,
    G: Fn(&[T], &mut [T]) + Send + Sync,
{
    fn nrows(&self) -> usize {
        self.nrows
    }
    fn ncols(&self) -> usize {
        self.ncols
    }
    #[track_caller]
    fn apply(&self, x: &[T], y: &mut [T]) {
        assert_shape(
            "FnOperator::apply",
            self.ncols,
            self.nrows,
            x.len(),
            y.len(),
        );
        (self.apply)(x, y)
    }
    #[track_caller]
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        assert_shape(
            "FnOperator::apply_transpose",
            self.nrows,
            self.ncols,
            x.len(),
            y.len(),
        );
        (self.apply_transpose)(x, y)
    }
    fn diagonal(&self, out: &mut [T]) -> Result<()> {
        match &self.diagonal {
            Some(d) => {
                crate::check_len("diagonal output", d.len(), out.len())?;
                out.copy_from_slice(d);
                Ok(())
            }
            None => Err(Error::NoDiagonal {
                operator: self.describe(),
                needed_by: "diagonal()",
            }),
        }
    }
    fn describe(&self) -> String {
        format!("matrix-free operator {}x{}", self.nrows, self.ncols)
    }
}

/// Asserts the lengths of an operator application's input and output (internal contract).
#[inline(always)]
#[track_caller]
pub(crate) fn assert_shape(what: &str, n_in: usize, n_out: usize, x_len: usize, y_len: usize) {
    assert!(
        x_len == n_in && y_len == n_out,
        "{what}: input has {x_len} entries (expected {n_in}), output has {y_len} (expected {n_out})"
    );
}
