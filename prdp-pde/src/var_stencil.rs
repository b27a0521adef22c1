//! Periodic variable-coefficient 3-point (1D) and 5-point (2D) operators: the momentum blocks
//! of Burgers and Navier–Stokes.

use prdp_core::Real;

/// (A x)ₖ = cₖxₖ + wₖx₍ₖ₋ₓ₎ + eₖx₍ₖ₊ₓ₎ + sₖx₍ₖ₋ᵧ₎ + nₖx₍ₖ₊ᵧ₎ on a periodic `rows`×`cols` grid
/// (row-major, x along a row); 1D when `s` and `n` are empty (then `rows` is 1). Every grid
/// extent is at least 3, so the neighbours of a point are distinct from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VarStencil<'a, T> {
    pub rows: usize,
    pub cols: usize,
    pub c: &'a [T],
    pub w: &'a [T],
    pub e: &'a [T],
    pub s: &'a [T],
    pub n: &'a [T],
}

impl<'a, T: Real> VarStencil<'a, T> {
    /// Splits a coefficient buffer [c, w, e, s, n] (each `rows·cols` long; s and n only in 2D).
    pub fn from_buffer(rows: usize, cols: usize, two_d: bool, buf: &'a [T]) -> Self {
        let m = rows * cols;
        let (c, rest) = buf.split_at(m);
        let (w, rest) = rest.split_at(m);
        let (e, rest) = rest.split_at(m);
        let (s, n) = if two_d {
            let (s, rest) = rest.split_at(m);
            (s, &rest[..m])
        } else {
            (&rest[..0], &rest[..0])
        };
        Self {
            rows,
            cols,
            c,
            w,
            e,
            s,
            n,
        }
    }

    /// Number of coefficient values [`VarStencil::from_buffer`] reads.
    pub fn buffer_len(rows: usize, cols: usize, two_d: bool) -> usize {
        rows * cols * if two_d { 5 } else { 3 }
    }

    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    fn two_d(&self) -> bool {
        !self.s.is_empty()
    }

    /// y ← A x.
    pub fn apply(&self, x: &[T], y: &mut [T]) {
        let (r, m) = (self.rows, self.cols);
        for i in 0..r {
            let row = i * m..(i + 1) * m;
            let yr = &mut y[row.clone()];
            row_apply(
                &self.c[row.clone()],
                &self.w[row.clone()],
                &self.e[row.clone()],
                &x[row.clone()],
                yr,
            );
            if self.two_d() {
                let (im, ip) = ((i + r - 1) % r, (i + 1) % r);
                add_products(
                    &self.s[row.clone()],
                    &x[im * m..(im + 1) * m],
                    &self.n[row.clone()],
                    &x[ip * m..(ip + 1) * m],
                    yr,
                );
            }
        }
    }

    /// y ← Aᵀ x.
    pub fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        let (r, m) = (self.rows, self.cols);
        for i in 0..r {
            let row = i * m..(i + 1) * m;
            let yr = &mut y[row.clone()];
            row_apply_transpose(
                &self.c[row.clone()],
                &self.w[row.clone()],
                &self.e[row.clone()],
                &x[row.clone()],
                yr,
            );
            if self.two_d() {
                let (im, ip) = ((i + r - 1) % r, (i + 1) % r);
                let (down, up) = (im * m..(im + 1) * m, ip * m..(ip + 1) * m);
                add_products(
                    &self.s[up.clone()],
                    &x[up],
                    &self.n[down.clone()],
                    &x[down],
                    yr,
                );
            }
        }
    }

    /// Calls `f(row, col, value)` for every entry, with rows and columns offset by `at`.
    pub fn for_each_entry(&self, at: usize, f: &mut dyn FnMut(usize, usize, T)) {
        let (r, m) = (self.rows, self.cols);
        for i in 0..r {
            for j in 0..m {
                let k = i * m + j;
                f(at + k, at + k, self.c[k]);
                f(at + k, at + i * m + (j + m - 1) % m, self.w[k]);
                f(at + k, at + i * m + (j + 1) % m, self.e[k]);
                if self.two_d() {
                    f(at + k, at + ((i + r - 1) % r) * m + j, self.s[k]);
                    f(at + k, at + ((i + 1) % r) * m + j, self.n[k]);
                }
            }
        }
    }
}

/// One grid row of y ← c⊙x + w⊙x(j−1) + e⊙x(j+1), periodic along the row.
#[inline(always)]
fn row_apply<T: Real>(c: &[T], w: &[T], e: &[T], x: &[T], y: &mut [T]) {
    let m = x.len();
    let inner = y[1..m - 1]
        .iter_mut()
        .zip(c[1..m - 1].iter().zip(&w[1..m - 1]).zip(&e[1..m - 1]))
        .zip(x[..m - 2].iter().zip(&x[1..m - 1]).zip(&x[2..]));
    for ((yj, ((&cj, &wj), &ej)), ((&xm, &x0), &xp)) in inner {
        *yj = cj * x0 + wj * xm + ej * xp;
    }
    y[0] = c[0] * x[0] + w[0] * x[m - 1] + e[0] * x[1];
    y[m - 1] = c[m - 1] * x[m - 1] + w[m - 1] * x[m - 2] + e[m - 1] * x[0];
}

/// One grid row of the transpose: y(j) ← c(j)x(j) + w(j+1)x(j+1) + e(j−1)x(j−1).
#[inline(always)]
fn row_apply_transpose<T: Real>(c: &[T], w: &[T], e: &[T], x: &[T], y: &mut [T]) {
    let m = x.len();
    let inner = y[1..m - 1]
        .iter_mut()
        .zip(c[1..m - 1].iter().zip(&w[2..]).zip(&e[..m - 2]))
        .zip(x[..m - 2].iter().zip(&x[1..m - 1]).zip(&x[2..]));
    for ((yj, ((&cj, &wp), &em)), ((&xm, &x0), &xp)) in inner {
        *yj = cj * x0 + wp * xp + em * xm;
    }
    y[0] = c[0] * x[0] + w[1] * x[1] + e[m - 1] * x[m - 1];
    y[m - 1] = c[m - 1] * x[m - 1] + w[0] * x[0] + e[m - 2] * x[m - 2];
}

/// y += a⊙u + b⊙v.
#[inline(always)]
fn add_products<T: Real>(a: &[T], u: &[T], b: &[T], v: &[T], y: &mut [T]) {
    for ((yj, (&aj, &uj)), (&bj, &vj)) in y.iter_mut().zip(a.iter().zip(u)).zip(b.iter().zip(v)) {
        *yj += aj * uj + bj * vj;
    }
}
