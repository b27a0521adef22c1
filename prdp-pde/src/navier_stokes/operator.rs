//! The coupled Oseen saddle-point operator of one Navier–Stokes step (paper eq. 55).

use prdp_core::{LinearOperator, Real};

use super::stagger::{Dir, add_diff_x, add_diff_y};
use crate::var_stencil::VarStencil;

/// The system matrix of one Navier–Stokes step on an n×n bi-periodic MAC grid,
///
/// ```text
/// [ M_u(w)   0      G_x ] [u]
/// [ 0      M_v(w)   G_y ] [v]
/// [ D_x    D_y      0   ] [p]
/// ```
///
/// with momentum blocks M(w) = I/Δt + Γ₂(w) − νL₂ (rows scaled by 1/Δt as in the reference
/// code), one-sided pressure gradients G and divergences D (G = −Dᵀ). The pressure block is
/// zero, so the diagonal has zeros (Jacobi cannot run) and the matrix is singular along
/// constant pressure.
#[derive(Debug, Clone, Copy)]
pub struct NsOperator<'a, T> {
    pub(crate) n: usize,
    pub(crate) inv_h: T,
    pub(crate) grad: Dir,
    pub(crate) mom_u: VarStencil<'a, T>,
    pub(crate) mom_v: VarStencil<'a, T>,
}

impl<T: Real> NsOperator<'_, T> {
    fn div(&self) -> Dir {
        self.grad.opposite()
    }
}

impl<T: Real> LinearOperator<T> for NsOperator<'_, T> {
    fn nrows(&self) -> usize {
        3 * self.n * self.n
    }
    fn ncols(&self) -> usize {
        self.nrows()
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        let (n, m) = (self.n, self.n * self.n);
        assert!(
            x.len() == 3 * m && y.len() == 3 * m,
            "Navier-Stokes operator: wrong lengths"
        );
        let (xu, rest) = x.split_at(m);
        let (xv, xp) = rest.split_at(m);
        let (yu, rest) = y.split_at_mut(m);
        let (yv, yp) = rest.split_at_mut(m);
        self.mom_u.apply(xu, yu);
        add_diff_x(n, self.grad, self.inv_h, xp, yu);
        self.mom_v.apply(xv, yv);
        add_diff_y(n, self.grad, self.inv_h, xp, yv);
        yp.fill(T::zero());
        add_diff_x(n, self.div(), self.inv_h, xu, yp);
        add_diff_y(n, self.div(), self.inv_h, xv, yp);
    }
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        let (n, m) = (self.n, self.n * self.n);
        assert!(
            x.len() == 3 * m && y.len() == 3 * m,
            "Navier-Stokes operator: wrong lengths"
        );
        let (xu, rest) = x.split_at(m);
        let (xv, xp) = rest.split_at(m);
        let (yu, rest) = y.split_at_mut(m);
        let (yv, yp) = rest.split_at_mut(m);
        // A forward difference's transpose is minus the backward one, and vice versa.
        let minus = -self.inv_h;
        self.mom_u.apply_transpose(xu, yu);
        add_diff_x(n, self.grad, minus, xp, yu);
        self.mom_v.apply_transpose(xv, yv);
        add_diff_y(n, self.grad, minus, xp, yv);
        yp.fill(T::zero());
        add_diff_x(n, self.div(), minus, xu, yp);
        add_diff_y(n, self.div(), minus, xv, yp);
    }
    fn diagonal(&self, out: &mut [T]) -> prdp_core::Result<()> {
        let m = self.n * self.n;
        prdp_core::check_len("diagonal output", 3 * m, out.len())?;
        out[..m].copy_from_slice(self.mom_u.c);
        out[m..2 * m].copy_from_slice(self.mom_v.c);
        out[2 * m..].fill(T::zero());
        Ok(())
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        let (n, m) = (self.n, self.n * self.n);
        self.mom_u.for_each_entry(0, f);
        self.mom_v.for_each_entry(m, f);
        let h = self.inv_h;
        // One-sided difference along an axis: (k, k) and (k, neighbour) with signs.
        let pair = |dir: Dir, k: usize, nb_fwd: usize, nb_bwd: usize| match dir {
            Dir::Forward => [(k, -h), (nb_fwd, h)],
            Dir::Backward => [(k, h), (nb_bwd, -h)],
        };
        for i in 0..n {
            for j in 0..n {
                let k = i * n + j;
                let (xp, xm) = (i * n + (j + 1) % n, i * n + (j + n - 1) % n);
                let (yp, ym) = (((i + 1) % n) * n + j, ((i + n - 1) % n) * n + j);
                for (c, v) in pair(self.grad, k, xp, xm) {
                    f(k, 2 * m + c, v);
                }
                for (c, v) in pair(self.grad, k, yp, ym) {
                    f(m + k, 2 * m + c, v);
                }
                for (c, v) in pair(self.div(), k, xp, xm) {
                    f(2 * m + k, c, v);
                }
                for (c, v) in pair(self.div(), k, yp, ym) {
                    f(2 * m + k, m + c, v);
                }
            }
        }
    }
    fn describe(&self) -> String {
        format!("Navier-Stokes Oseen operator on a {0}x{0} MAC grid", self.n)
    }
}

/// A square operator whose row `row` is replaced by the unit row eᵀ_row: fixes the gauge of a
/// system that is singular along one direction (constant pressure) and whose equations are
/// linearly dependent (the divergences sum to zero), so that it can be factorised. Used only
/// for materialisation.
pub(crate) struct Pinned<A> {
    pub inner: A,
    pub row: usize,
}

impl<T: Real, A: LinearOperator<T>> LinearOperator<T> for Pinned<A> {
    fn nrows(&self) -> usize {
        self.inner.nrows()
    }
    fn ncols(&self) -> usize {
        self.inner.ncols()
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        self.inner.apply(x, y);
        y[self.row] = x[self.row];
    }
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        let mut z = x.to_vec();
        z[self.row] = T::zero();
        self.inner.apply_transpose(&z, y);
        y[self.row] += x[self.row];
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        let row = self.row;
        self.inner.for_each_entry(&mut |i, j, v| {
            if i != row {
                f(i, j, v);
            }
        });
        f(row, row, T::one());
    }
    fn describe(&self) -> String {
        format!("{} with row {} pinned", self.inner.describe(), self.row)
    }
}
