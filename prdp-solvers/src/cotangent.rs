//! The cotangent of the system matrix in factored form.

use prdp_core::Real;

/// Receives the cotangent Ā of the system matrix, term by term, without Ā ever being formed:
/// Ā = −Σᵢ λᵢ uᵢᵀ + diag(d).
///
/// Implicit differentiation produces one rank-one term (λ solves Aᵀλ = ū, u is the solution);
/// unrolled differentiation produces one or two per iteration, plus a diagonal term for Jacobi
/// and Jacobi-preconditioned CG. The owner of A (a PDE assembly) implements this trait to
/// contract each term into the gradient of its own parameters as it arrives:
/// ḡ −= (∂(A(g) u)/∂g)ᵀ λ for a rank-one term and ḡ += (∂ diag A(g)/∂g)ᵀ d for the diagonal.
/// Problems whose matrix does not depend on anything differentiable use [`DiscardCotangent`].
pub trait CotangentSink<T> {
    /// Ā += −λ uᵀ.
    fn rank_one(&mut self, lambda: &[T], u: &[T]);

    /// Ā += diag(d).
    fn diagonal(&mut self, d: &[T]);

    /// Whether the terms are used at all. A sink that ignores them returns `false`, and the
    /// reverse pass then skips the work that only produces them (Jacobi's diagonal term and
    /// its reads of the recorded residuals, CG's negated rank-one factors).
    fn wants_matrix(&self) -> bool {
        true
    }
}

/// Ignores the matrix cotangent (constant matrices: Poisson, heat).
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardCotangent;

impl<T> CotangentSink<T> for DiscardCotangent {
    fn rank_one(&mut self, _lambda: &[T], _u: &[T]) {}
    fn diagonal(&mut self, _d: &[T]) {}
    fn wants_matrix(&self) -> bool {
        false
    }
}

/// Stores the factored cotangent Ā = −Σᵢ λᵢ uᵢᵀ + diag(d) (for inspection and tests; assemblies
/// normally contract terms as they arrive instead).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FactoredCotangent<T> {
    /// The pairs (λᵢ, uᵢ) of the rank-one terms −λᵢuᵢᵀ.
    pub rank_one: Vec<(Vec<T>, Vec<T>)>,
    /// The diagonal term d, if any.
    pub diagonal: Option<Vec<T>>,
}

impl<T: Real> FactoredCotangent<T> {
    /// Entry (i, j) of Ā.
    pub fn entry(&self, i: usize, j: usize) -> T {
        let mut v = T::zero();
        for (l, u) in &self.rank_one {
            v -= l[i] * u[j];
        }
        if let (Some(d), true) = (&self.diagonal, i == j) {
            v += d[i];
        }
        v
    }

    /// The contraction ⟨Ā, E⟩ = Σᵢⱼ Āᵢⱼ Eᵢⱼ with a matrix E given entry-wise: the derivative of
    /// the loss along the matrix direction E.
    pub fn contract(&self, e: impl Fn(usize, usize) -> T, n: usize) -> T {
        let mut v = T::zero();
        for i in 0..n {
            for j in 0..n {
                v += self.entry(i, j) * e(i, j);
            }
        }
        v
    }
}

impl<T: Real> CotangentSink<T> for FactoredCotangent<T> {
    fn rank_one(&mut self, lambda: &[T], u: &[T]) {
        self.rank_one.push((lambda.to_vec(), u.to_vec()));
    }

    fn diagonal(&mut self, d: &[T]) {
        match &mut self.diagonal {
            Some(acc) => {
                for (a, &x) in acc.iter_mut().zip(d) {
                    *a += x;
                }
            }
            None => self.diagonal = Some(d.to_vec()),
        }
    }
}
