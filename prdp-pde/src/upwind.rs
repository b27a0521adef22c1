//! First-order upwind convection with linearised winds (the Γ operators of the PRDP paper,
//! eq. 39 and 45), assembled into the coefficients of a [`VarStencil`], and the vector–Jacobian
//! product of those coefficients with respect to the winds.

use prdp_core::Real;
use serde::{Deserialize, Serialize};

use crate::var_stencil::VarStencil;

/// Where the upwind switch reads the wind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WindAveraging {
    /// At the faces of the one-sided differences: the backward difference at i uses
    /// max((wᵢ₋₁ + wᵢ)/2, 0), the forward difference min((wᵢ + wᵢ₊₁)/2, 0) (paper eq. 39/45;
    /// the reference code's Burgers).
    #[default]
    Faces,
    /// At the grid point itself: max(wᵢ, 0) and min(wᵢ, 0) (the reference code's
    /// Navier–Stokes).
    Points,
}

/// One momentum block c₀·I + s·Γ(w) − d·L on a periodic grid (`rows` = 1 in 1D), as
/// coefficients of a [`VarStencil`]:
/// `adv` = s/Δx scales the upwind differences, `diff` = d/Δx² the Laplacian's neighbours.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Upwind<T> {
    pub rows: usize,
    pub cols: usize,
    pub two_d: bool,
    pub center: T,
    pub adv: T,
    pub diff: T,
    pub averaging: WindAveraging,
}

/// Indices of the four periodic neighbours (x−, x+, y−, y+) of k.
#[inline(always)]
fn neighbours(rows: usize, cols: usize, k: usize) -> [usize; 4] {
    let (i, j) = (k / cols, k % cols);
    [
        i * cols + (j + cols - 1) % cols,
        i * cols + (j + 1) % cols,
        ((i + rows - 1) % rows) * cols + j,
        ((i + 1) % rows) * cols + j,
    ]
}

impl<T: Real> Upwind<T> {
    fn half() -> T {
        T::of(0.5)
    }

    /// The wind values the backward (positive) and forward (negative) differences at k see,
    /// before taking positive and negative parts.
    #[inline(always)]
    fn face_winds(&self, w: &[T], k: usize, km: usize, kp: usize) -> (T, T) {
        match self.averaging {
            WindAveraging::Faces => ((w[km] + w[k]) * Self::half(), (w[k] + w[kp]) * Self::half()),
            WindAveraging::Points => (w[k], w[k]),
        }
    }

    /// Number of coefficient values.
    pub fn buffer_len(&self) -> usize {
        VarStencil::<T>::buffer_len(self.rows, self.cols, self.two_d)
    }

    /// Writes the coefficients [c, w, e, (s, n)] for winds `wx` (and `wy` in 2D) into `buf`.
    pub fn build(&self, wx: &[T], wy: &[T], buf: &mut [T]) {
        let m = self.rows * self.cols;
        let (c, rest) = buf.split_at_mut(m);
        let (w, rest) = rest.split_at_mut(m);
        let (e, rest) = rest.split_at_mut(m);
        let (s, n) = if self.two_d {
            let (s, rest) = rest.split_at_mut(m);
            (s, &mut rest[..m])
        } else {
            (&mut rest[..0], &mut [][..])
        };
        let axes = if self.two_d { 2 } else { 1 };
        let c0 = self.center + T::of(2.0 * axes as f64) * self.diff;
        let (zero, adv, diff) = (T::zero(), self.adv, self.diff);
        for k in 0..m {
            let [xm, xp, ym, yp] = neighbours(self.rows, self.cols, k);
            let (bx, fx) = self.face_winds(wx, k, xm, xp);
            let (px, qx) = (bx.max(zero), fx.min(zero));
            w[k] = -adv * px - diff;
            e[k] = adv * qx - diff;
            let mut ck = c0 + adv * (px - qx);
            if self.two_d {
                let (by, fy) = self.face_winds(wy, k, ym, yp);
                let (py, qy) = (by.max(zero), fy.min(zero));
                s[k] = -adv * py - diff;
                n[k] = adv * qy - diff;
                ck += adv * (py - qy);
            }
            c[k] = ck;
        }
    }

    /// Routes the cotangents of the upwind coefficients back to the winds: `bar(k)` returns
    /// (p̄ₓ, q̄ₓ, p̄ᵧ, q̄ᵧ), the cotangents of s·max(wind, 0) and s·min(wind, 0) at point k
    /// (already multiplied by `adv`); they are accumulated into `wx_bar` and `wy_bar`. At a
    /// switch point (wind exactly 0) the derivative is taken as 0.
    pub fn scatter(
        &self,
        wx: &[T],
        wy: &[T],
        bar: impl Fn(usize, [usize; 4]) -> [T; 4],
        wx_bar: &mut [T],
        wy_bar: &mut [T],
    ) {
        let m = self.rows * self.cols;
        let zero = T::zero();
        for k in 0..m {
            let nb = neighbours(self.rows, self.cols, k);
            let [pxb, qxb, pyb, qyb] = bar(k, nb);
            let [xm, xp, ym, yp] = nb;
            let (bx, fx) = self.face_winds(wx, k, xm, xp);
            self.route(
                wx_bar,
                k,
                xm,
                xp,
                if bx > zero { pxb } else { zero },
                if fx < zero { qxb } else { zero },
            );
            if self.two_d {
                let (by, fy) = self.face_winds(wy, k, ym, yp);
                self.route(
                    wy_bar,
                    k,
                    ym,
                    yp,
                    if by > zero { pyb } else { zero },
                    if fy < zero { qyb } else { zero },
                );
            }
        }
    }

    /// Adds the cotangents of the backward-face wind (`pb`) and forward-face wind (`qb`) at k to
    /// the winds they average.
    #[inline(always)]
    fn route(&self, bar: &mut [T], k: usize, km: usize, kp: usize, pb: T, qb: T) {
        match self.averaging {
            WindAveraging::Faces => {
                let (p, q) = (pb * Self::half(), qb * Self::half());
                bar[km] += p;
                bar[k] += p + q;
                bar[kp] += q;
            }
            WindAveraging::Points => bar[k] += pb + qb,
        }
    }

    /// Cotangent contributions of a rank-one term Ā = −λxᵀ for one block: per point,
    /// (p̄ₓ, q̄ₓ, p̄ᵧ, q̄ᵧ) = −adv·λₖ·(backward and forward differences of x).
    #[inline(always)]
    pub fn rank_one_bar(&self, lambda: &[T], x: &[T], k: usize, nb: [usize; 4]) -> [T; 4] {
        let l = -self.adv * lambda[k];
        let [xm, xp, ym, yp] = nb;
        let mut out = [l * (x[k] - x[xm]), l * (x[xp] - x[k]), T::zero(), T::zero()];
        if self.two_d {
            out[2] = l * (x[k] - x[ym]);
            out[3] = l * (x[yp] - x[k]);
        }
        out
    }

    /// Cotangent contributions of a diagonal term Ā = diag(d): the diagonal holds
    /// adv·(pₓ − qₓ + pᵧ − qᵧ).
    #[inline(always)]
    pub fn diagonal_bar(&self, d: &[T], k: usize) -> [T; 4] {
        let a = self.adv * d[k];
        [a, -a, a, -a]
    }
}
