//! Constant-coefficient stencil operators on 1D, 2D and 3D Cartesian grids.

use serde::{Deserialize, Serialize};

use crate::operator::assert_shape;
use crate::{LinearOperator, Real, Result, invalid};

/// How a stencil treats neighbours outside the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    /// The grid wraps around (a torus): index −1 is index n−1.
    Periodic,
    /// Homogeneous Dirichlet: values outside the grid are zero, i.e. off-grid taps are dropped.
    Dirichlet,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Tap<T> {
    offset: [isize; 3],
    weight: T,
}

/// A matrix-free operator (A u)[p] = c·u[p] + Σₜ wₜ·u[p + oₜ] on a row-major grid of up to three
/// dimensions (the last axis is contiguous), with periodic or homogeneous Dirichlet boundaries.
///
/// This covers the Poisson and BTCS heat operators of the PRDP paper (appendix D.1–D.4). The
/// transpose is the stencil with negated offsets (exact for both boundary kinds); the diagonal is
/// constant. Products and the fused residual sweep process one grid row at a time with
/// contiguous shifted-slice updates that the compiler vectorises.
///
/// # Example
/// ```
/// use prdp_core::{Boundary, LinearOperator, Stencil};
/// // BTCS heat operator I − νΔt·L on a 4-point periodic grid with spacing 1.
/// let lap = Stencil::<f64>::laplacian(&[4], &[1.0], Boundary::Periodic).unwrap();
/// let heat = lap.affine(1.0, -0.5);
/// let mut y = [0.0; 4];
/// heat.apply(&[1.0, 0.0, 0.0, 0.0], &mut y);
/// assert_eq!(y, [2.0, -0.5, 0.0, -0.5]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Stencil<T> {
    dims: Vec<usize>,
    shape: [usize; 3],
    boundary: Boundary,
    center: T,
    taps: Vec<Tap<T>>,
    taps_t: Vec<Tap<T>>,
    diag: T,
    zeros: Vec<T>,
}

impl<T: Real> Stencil<T> {
    /// A stencil on a grid of shape `dims` (1 to 3 axes, each ≥ 1) with centre weight `center`
    /// and off-centre taps `(offset per axis, weight)`. A tap with all-zero offset adds to the
    /// centre.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] for an empty or over-3D shape, a zero extent, an offset
    /// with the wrong number of axes, or a non-finite weight.
    pub fn new(
        dims: &[usize],
        boundary: Boundary,
        center: T,
        taps: &[(&[isize], T)],
    ) -> Result<Self> {
        if dims.is_empty() || dims.len() > 3 {
            return Err(invalid("stencil dims", format!("{dims:?}"), "1 to 3 axes"));
        }
        if dims.contains(&0) {
            return Err(invalid(
                "stencil dims",
                format!("{dims:?}"),
                "every extent >= 1",
            ));
        }
        if !center.is_finite() {
            return Err(invalid("stencil centre weight", center, "a finite number"));
        }
        let pad = 3 - dims.len();
        let mut shape = [1usize; 3];
        shape[pad..].copy_from_slice(dims);
        let mut c = center;
        let mut list = Vec::with_capacity(taps.len());
        for (k, (off, w)) in taps.iter().enumerate() {
            if off.len() != dims.len() {
                return Err(invalid(
                    "stencil tap offset",
                    format!("{off:?} (tap {k})"),
                    &format!("{} axes, like the grid", dims.len()),
                ));
            }
            if !w.is_finite() {
                return Err(invalid(
                    "stencil tap weight",
                    format!("{w} (tap {k})"),
                    "a finite number",
                ));
            }
            let mut offset = [0isize; 3];
            offset[pad..].copy_from_slice(off);
            if offset == [0; 3] {
                c += *w;
            } else {
                list.push(Tap { offset, weight: *w });
            }
        }
        let taps_t: Vec<Tap<T>> = list
            .iter()
            .map(|t| Tap {
                offset: [-t.offset[0], -t.offset[1], -t.offset[2]],
                weight: t.weight,
            })
            .collect();
        let mut diag = c;
        if boundary == Boundary::Periodic {
            for t in &list {
                let wraps_to_self = (0..3).all(|a| t.offset[a].rem_euclid(shape[a] as isize) == 0);
                if wraps_to_self {
                    diag += t.weight;
                }
            }
        }
        Ok(Self {
            dims: dims.to_vec(),
            shape,
            boundary,
            center: c,
            taps: list,
            taps_t,
            diag,
            zeros: vec![T::zero(); shape[2]],
        })
    }

    /// The standard (2d+1)-point Laplacian Σₐ (u[p+eₐ] − 2u[p] + u[p−eₐ]) / hₐ² with grid
    /// spacing `spacing[a]` along axis a.
    ///
    /// # Errors
    /// As [`Stencil::new`], plus a spacing list of the wrong length or a non-positive spacing.
    pub fn laplacian(dims: &[usize], spacing: &[f64], boundary: Boundary) -> Result<Self> {
        if spacing.len() != dims.len() {
            return Err(invalid(
                "laplacian spacing",
                format!("{spacing:?}"),
                &format!("one spacing per axis ({} axes)", dims.len()),
            ));
        }
        if let Some(h) = spacing.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
            return Err(invalid("laplacian spacing", h, "a positive finite number"));
        }
        let d = dims.len();
        let mut offsets = Vec::with_capacity(2 * d);
        let mut weights = Vec::with_capacity(2 * d);
        let mut center = 0.0;
        for (a, h) in spacing.iter().enumerate() {
            let w = 1.0 / (h * h);
            center -= 2.0 * w;
            for s in [-1isize, 1] {
                let mut o = vec![0isize; d];
                o[a] = s;
                offsets.push(o);
                weights.push(T::of(w));
            }
        }
        let taps: Vec<(&[isize], T)> = offsets.iter().map(Vec::as_slice).zip(weights).collect();
        Self::new(dims, boundary, T::of(center), &taps)
    }

    /// The stencil α·I + β·A (e.g. the BTCS operator I − νΔt·L is `lap.affine(1, -ν·Δt)`).
    pub fn affine(&self, alpha: T, beta: T) -> Self {
        let scale = |taps: &[Tap<T>]| {
            taps.iter()
                .map(|t| Tap {
                    offset: t.offset,
                    weight: beta * t.weight,
                })
                .collect::<Vec<_>>()
        };
        Self {
            dims: self.dims.clone(),
            shape: self.shape,
            boundary: self.boundary,
            center: alpha + beta * self.center,
            taps: scale(&self.taps),
            taps_t: scale(&self.taps_t),
            diag: alpha + beta * self.diag,
            zeros: self.zeros.clone(),
        }
    }

    /// The grid shape.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The boundary kind.
    pub fn boundary(&self) -> Boundary {
        self.boundary
    }

    /// Number of unknowns (product of the extents).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the grid is empty (never: extents are ≥ 1); present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The constant diagonal entry.
    pub fn diagonal_value(&self) -> T {
        self.diag
    }

    /// Source row of a tap for destination row (i0, i1), or `None` if it falls off a Dirichlet
    /// boundary.
    #[inline(always)]
    fn source_row(&self, i0: usize, i1: usize, off: [isize; 3]) -> Option<usize> {
        let [n0, n1, _] = self.shape;
        let s0 = self.wrap(i0 as isize + off[0], n0)?;
        let s1 = self.wrap(i1 as isize + off[1], n1)?;
        Some(s0 * n1 + s1)
    }

    /// Index `i` on an axis of extent `n`: wrapped (periodic) or `None` off the grid
    /// (Dirichlet). Avoids integer division in the common case |i − n/2| < 3n/2.
    #[inline(always)]
    fn wrap(&self, i: isize, n: usize) -> Option<usize> {
        let n = n as isize;
        match self.boundary {
            Boundary::Periodic => Some(if i < 0 {
                if i >= -n { i + n } else { i.rem_euclid(n) }
            } else if i >= n {
                if i < 2 * n { i - n } else { i.rem_euclid(n) }
            } else {
                i
            } as usize),
            Boundary::Dirichlet => (0..n).contains(&i).then_some(i as usize),
        }
    }

    /// y ← A x (or Aᵀ x with the transposed taps); with `b`, y ← b − A x and returns ‖b − A x‖².
    ///
    /// The grid is swept as one flat array: every point whose neighbours are all on the grid is
    /// a fixed flat offset away from them, so one long fused loop covers them all; the points
    /// near the boundary are then recomputed exactly, row by row.
    #[inline(always)]
    fn sweep(&self, taps: &[Tap<T>], x: &[T], y: &mut [T], b: Option<&[T]>) -> T {
        let [n0, n1, n2] = self.shape;
        let mut margin = [0usize; 3];
        for t in taps {
            for (m, o) in margin.iter_mut().zip(t.offset) {
                *m = (*m).max(o.unsigned_abs());
            }
        }
        let flat = match taps.len() {
            2 => self.flat::<2>(taps, x, y, b),
            4 => self.flat::<4>(taps, x, y, b),
            6 => self.flat::<6>(taps, x, y, b),
            _ => None,
        };
        let near = |i: usize, n: usize, m: usize| i < m || i + m >= n;
        let sign = if b.is_some() { -T::one() } else { T::one() };
        // Where a tap leaves the row, the flat pass read the neighbour in the adjacent row;
        // these fixes swap it for the right one (wrapped, or zero under Dirichlet).
        let mut fixes = [EdgeFix::<T>::default(); MAX_FAST_TAPS];
        let mut n_fixes = 0;
        let fixable = flat.is_some() && taps.iter().all(|t| t.offset[2].unsigned_abs() < n2);
        if fixable {
            for t in taps.iter().filter(|t| t.offset[2] != 0) {
                let [o0, o1, o2] = t.offset;
                fixes[n_fixes] = EdgeFix {
                    flat: (o0 * n1 as isize + o1) * n2 as isize + o2,
                    weight: sign * t.weight,
                    wrap: (self.boundary == Boundary::Periodic).then_some(if o2 > 0 {
                        -(n2 as isize)
                    } else {
                        n2 as isize
                    }),
                    cols: if o2 > 0 {
                        (n2 - o2 as usize, n2)
                    } else {
                        (0, o2.unsigned_abs())
                    },
                };
                n_fixes += 1;
            }
        }
        let (lo, hi) = flat.unwrap_or((0, 0));
        for i0 in 0..n0 {
            for i1 in 0..n1 {
                let row = i0 * n1 + i1;
                let start = row * n2;
                if fixable
                    && !near(i0, n0, margin[0])
                    && !near(i1, n1, margin[1])
                    && start >= lo
                    && start + n2 <= hi
                {
                    for fix in &fixes[..n_fixes] {
                        let first = start + fix.cols.0;
                        for (p, yp) in (first..).zip(&mut y[first..start + fix.cols.1]) {
                            let src = p.wrapping_add_signed(fix.flat);
                            let right = fix
                                .wrap
                                .map_or(T::zero(), |w| x[src.wrapping_add_signed(w)]);
                            *yp = fix.weight.mul_add(right - x[src], *yp);
                        }
                    }
                    continue;
                }
                let yr = &mut y[start..start + n2];
                let br = b.map(|b| &b[start..start + n2]);
                match taps.len() {
                    2 => self.row::<2>(taps, i0, i1, x, yr),
                    4 => self.row::<4>(taps, i0, i1, x, yr),
                    6 => self.row::<6>(taps, i0, i1, x, yr),
                    _ => self.row_any(taps, i0, i1, x, yr),
                }
                if let Some(br) = br {
                    for (yj, &bj) in yr.iter_mut().zip(br) {
                        *yj = bj - *yj;
                    }
                }
            }
        }
        b.map_or(T::zero(), |_| crate::kernels::dot(y, y))
    }

    /// The flat pass over all points p whose flat neighbours p + fₜ exist; returns the range
    /// of p it covered (none for grids too small to have such points).
    #[inline(always)]
    fn flat<const N: usize>(
        &self,
        taps: &[Tap<T>],
        x: &[T],
        y: &mut [T],
        b: Option<&[T]>,
    ) -> Option<(usize, usize)> {
        let [_, n1, n2] = self.shape;
        let total = x.len() as isize;
        let f: [isize; N] = core::array::from_fn(|t| {
            let o = taps[t].offset;
            (o[0] * n1 as isize + o[1]) * n2 as isize + o[2]
        });
        let lo = f.iter().map(|&ft| (-ft).max(0)).max().unwrap_or(0);
        let hi = total - f.iter().map(|&ft| ft.max(0)).max().unwrap_or(0);
        if lo >= hi {
            return None;
        }
        let (lo, hi) = (lo as usize, hi as usize);
        let len = hi - lo;
        let w: [T; N] = core::array::from_fn(|t| taps[t].weight);
        let xs: [&[T]; N] = core::array::from_fn(|t| &x[lo.wrapping_add_signed(f[t])..][..len]);
        let xc = &x[lo..hi];
        let yc = &mut y[lo..hi];
        let c = self.center;
        match b {
            Some(b) => {
                let bc = &b[lo..hi];
                for j in 0..len {
                    let mut acc = c * xc[j];
                    for t in 0..N {
                        acc = w[t].mul_add(xs[t][j], acc);
                    }
                    yc[j] = bc[j] - acc;
                }
            }
            None => {
                for j in 0..len {
                    let mut acc = c * xc[j];
                    for t in 0..N {
                        acc = w[t].mul_add(xs[t][j], acc);
                    }
                    yc[j] = acc;
                }
            }
        }
        Some((lo, hi))
    }

    /// One output row for exactly `N` taps: the interior, where every tap stays on the row, in
    /// a single fused vectorised pass; the few edge points one by one.
    #[inline(always)]
    fn row<const N: usize>(&self, taps: &[Tap<T>], i0: usize, i1: usize, x: &[T], yr: &mut [T]) {
        let n2 = yr.len();
        let row = i0 * self.shape[1] + i1;
        let xr = &x[row * n2..(row + 1) * n2];
        let mut src: [&[T]; N] = [&self.zeros[..]; N];
        let mut w = [T::zero(); N];
        let mut o = [0isize; N];
        let (mut lo, mut hi) = (0usize, n2);
        for t in 0..N {
            let tap = &taps[t];
            w[t] = tap.weight;
            o[t] = tap.offset[2];
            if let Some(s) = self.source_row(i0, i1, tap.offset) {
                src[t] = &x[s * n2..(s + 1) * n2];
            }
            lo = lo.max(o[t].min(0).unsigned_abs());
            hi = hi.min(n2.saturating_sub(o[t].max(0) as usize));
        }
        lo = lo.min(n2);
        if lo < hi {
            let len = hi - lo;
            let xs: [&[T]; N] =
                core::array::from_fn(|t| &src[t][lo.wrapping_add_signed(o[t])..][..len]);
            let xc = &xr[lo..hi];
            let yc = &mut yr[lo..hi];
            for j in 0..len {
                let mut acc = self.center * xc[j];
                for t in 0..N {
                    acc = w[t].mul_add(xs[t][j], acc);
                }
                yc[j] = acc;
            }
        } else {
            hi = lo;
        }
        for j in (0..lo).chain(hi..n2) {
            let mut acc = self.center * xr[j];
            for t in 0..N {
                if let Some(k) = self.wrap(j as isize + o[t], n2) {
                    acc = w[t].mul_add(src[t][k], acc);
                }
            }
            yr[j] = acc;
        }
    }

    /// One output row for any number of taps, tap by tap.
    fn row_any(&self, taps: &[Tap<T>], i0: usize, i1: usize, x: &[T], yr: &mut [T]) {
        let n2 = yr.len();
        let row = i0 * self.shape[1] + i1;
        for (yj, &xj) in yr.iter_mut().zip(&x[row * n2..(row + 1) * n2]) {
            *yj = self.center * xj;
        }
        for t in taps {
            if let Some(src) = self.source_row(i0, i1, t.offset) {
                self.shifted_axpy(t.weight, t.offset[2], &x[src * n2..(src + 1) * n2], yr);
            }
        }
    }

    /// y[j] += w·x[j + o] along one row, wrapping (periodic) or dropping (Dirichlet) off-row
    /// indices.
    #[inline(always)]
    fn shifted_axpy(&self, w: T, o: isize, x: &[T], y: &mut [T]) {
        let n = y.len();
        match self.boundary {
            Boundary::Periodic => {
                let s = o.rem_euclid(n as isize) as usize;
                let (head, tail) = y.split_at_mut(n - s);
                axpy_row(w, &x[s..], head);
                axpy_row(w, &x[..s], tail);
            }
            Boundary::Dirichlet => {
                if o.unsigned_abs() >= n {
                    return;
                }
                if o >= 0 {
                    let o = o as usize;
                    axpy_row(w, &x[o..], &mut y[..n - o]);
                } else {
                    let o = o.unsigned_abs();
                    axpy_row(w, &x[..n - o], &mut y[o..]);
                }
            }
        }
    }

    fn entries(&self, taps: &[Tap<T>], f: &mut dyn FnMut(usize, usize, T)) {
        let [n0, n1, n2] = self.shape;
        for i0 in 0..n0 {
            for i1 in 0..n1 {
                for i2 in 0..n2 {
                    let p = (i0 * n1 + i1) * n2 + i2;
                    f(p, p, self.center);
                    for t in taps {
                        let Some(src) = self.source_row(i0, i1, t.offset) else {
                            continue;
                        };
                        let Some(j) = self.wrap(i2 as isize + t.offset[2], n2) else {
                            continue;
                        };
                        f(p, src * n2 + j, t.weight);
                    }
                }
            }
        }
    }
}

/// Taps with a fast flat pass: up to 3D 7-point stencils.
const MAX_FAST_TAPS: usize = 6;

/// The edge fix of one tap that leaves the row (see `Stencil::sweep`).
#[derive(Clone, Copy)]
struct EdgeFix<T> {
    flat: isize,
    weight: T,
    wrap: Option<isize>,
    cols: (usize, usize),
}

impl<T: Real> Default for EdgeFix<T> {
    fn default() -> Self {
        Self {
            flat: 0,
            weight: T::zero(),
            wrap: None,
            cols: (0, 0),
        }
    }
}

#[inline(always)]
fn axpy_row<T: Real>(w: T, x: &[T], y: &mut [T]) {
    for (yj, &xj) in y.iter_mut().zip(x) {
        *yj = w.mul_add(xj, *yj);
    }
}

impl<T: Real> LinearOperator<T> for Stencil<T> {
    fn nrows(&self) -> usize {
        self.len()
    }
    fn ncols(&self) -> usize {
        self.len()
    }
    #[track_caller]
    fn apply(&self, x: &[T], y: &mut [T]) {
        assert_shape("Stencil::apply", self.len(), self.len(), x.len(), y.len());
        self.sweep(&self.taps, x, y, None);
    }
    #[track_caller]
    fn apply_transpose(&self, x: &[T], y: &mut [T]) {
        assert_shape(
            "Stencil::apply_transpose",
            self.len(),
            self.len(),
            x.len(),
            y.len(),
        );
        self.sweep(&self.taps_t, x, y, None);
    }
    fn diagonal(&self, out: &mut [T]) -> Result<()> {
        crate::check_len("diagonal output", self.len(), out.len())?;
        out.fill(self.diag);
        Ok(())
    }
    #[track_caller]
    fn residual(&self, x: &[T], b: &[T], r: &mut [T]) -> T {
        assert_shape(
            "Stencil::residual",
            self.len(),
            self.len(),
            x.len(),
            r.len(),
        );
        assert_shape(
            "Stencil::residual (b)",
            self.len(),
            self.len(),
            x.len(),
            b.len(),
        );
        self.sweep(&self.taps, x, r, Some(b))
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        self.entries(&self.taps, f)
    }
    fn describe(&self) -> String {
        format!("{:?} stencil on a {:?} grid", self.boundary, self.dims)
    }
}
