//! Constant-coefficient stencil operators on 1D, 2D and 3D Cartesian grids.

use serde::{Deserialize, Serialize};

use crate::operator::assert_shape;
use crate::{LaneOperator, Lanes, LinearOperator, Real, Result, invalid};

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

/// A matrix-free operator (A u)\[p\] = c·u\[p\] + Σₜ wₜ·u\[p + oₜ\] on a row-major grid of up to three
/// dimensions (the last axis is contiguous), with periodic or homogeneous Dirichlet boundaries.
///
/// This covers the Poisson and BTCS heat operators of the PRDP paper (appendix D.1–D.4). The
/// transpose is the stencil with negated offsets (exact for both boundary kinds); the diagonal is
/// constant. Products and the fused residual sweep run over the grid as one flat array in a
/// few fused loops the compiler vectorises, then correct the thin boundary layer from a list of
/// fixes precomputed at construction.
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
    fixes: Vec<Fix>,
    fixes_t: Vec<Fix>,
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
        if dims
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .is_none_or(|len| len >= OFF_GRID as usize)
        {
            return Err(invalid(
                "stencil dims",
                format!("{dims:?}"),
                "fewer than 2^32 - 1 points",
            ));
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
        let fixes = edge_fixes(shape, boundary, &list);
        let fixes_t = edge_fixes(shape, boundary, &taps_t);
        Ok(Self {
            dims: dims.to_vec(),
            shape,
            boundary,
            center: c,
            taps: list,
            taps_t,
            diag,
            fixes,
            fixes_t,
        })
    }

    /// The standard (2d+1)-point Laplacian Σₐ (u\[p+eₐ\] − 2u\[p\] + u\[p−eₐ\]) / hₐ² with grid
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
            fixes: self.fixes.clone(),
            fixes_t: self.fixes_t.clone(),
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

    /// y ← A x (or Aᵀ x with the transposed taps and their fixes); with `b`, y ← b − A x.
    ///
    /// The grid is swept as one flat array in which every tap t reads x[(p + fₜ) mod len], with
    /// fₜ the tap's flat offset: a few long fused loops, vectorised across the grid. That read is
    /// the true neighbour everywhere except at a thin layer of points near the boundary (a tap
    /// leaving a row lands in the adjacent row; under Dirichlet a tap leaving the grid must read
    /// zero); the precomputed `fixes` then swap each wrong read for the right one.
    ///
    /// With `lanes` > 1 the arrays hold that many grids interleaved (point p of grid s at
    /// `p·lanes + s`): every flat offset scales by `lanes`, so each grid's point reads exactly
    /// the value (and gets exactly the fix) it reads alone, and the result is bit-identical to
    /// `lanes` separate sweeps.
    #[inline(always)]
    fn sweep(
        &self,
        taps: &[Tap<T>],
        fixes: &[Fix],
        x: &[T],
        y: &mut [T],
        b: Option<&[T]>,
        lanes: usize,
    ) {
        match taps.len() {
            0 => self.flat::<0>(taps, x, y, b, lanes),
            1 => self.flat::<1>(taps, x, y, b, lanes),
            2 => self.flat::<2>(taps, x, y, b, lanes),
            3 => self.flat::<3>(taps, x, y, b, lanes),
            4 => self.flat::<4>(taps, x, y, b, lanes),
            5 => self.flat::<5>(taps, x, y, b, lanes),
            6 => self.flat::<6>(taps, x, y, b, lanes),
            _ => self.flat_any(taps, x, y, b, lanes),
        }
        let sign = if b.is_some() { -T::one() } else { T::one() };
        let at = |q: u32| q as usize * lanes..(q as usize + 1) * lanes;
        for fix in fixes {
            let w = sign * taps[fix.tap as usize].weight;
            let yp = &mut y[at(fix.p)];
            let wrong = &x[at(fix.wrong)];
            match fix.right {
                OFF_GRID => {
                    for (yp, &xw) in yp.iter_mut().zip(wrong) {
                        *yp = w.mul_add(T::zero() - xw, *yp);
                    }
                }
                r => {
                    for ((yp, &xw), &xr) in yp.iter_mut().zip(wrong).zip(&x[at(r)]) {
                        *yp = w.mul_add(xr - xw, *yp);
                    }
                }
            }
        }
    }

    /// The flat pass for exactly `N` taps, split where a tap's read wraps past the end of the
    /// array, so that each piece is one fused loop over contiguous slices.
    #[inline(always)]
    fn flat<const N: usize>(
        &self,
        taps: &[Tap<T>],
        x: &[T],
        y: &mut [T],
        b: Option<&[T]>,
        lanes: usize,
    ) {
        let len = x.len();
        let f: [usize; N] =
            core::array::from_fn(|t| self.flat_read(taps[t].offset, self.len()) * lanes);
        let w: [T; N] = core::array::from_fn(|t| taps[t].weight);
        let mut cuts = [len; MAX_FAST_TAPS + 1];
        for t in 0..N {
            if f[t] > 0 {
                cuts[t] = len - f[t];
            }
        }
        cuts[..=N].sort_unstable();
        let c = self.center;
        let mut lo = 0;
        for &hi in &cuts[..=N] {
            if hi == lo {
                continue;
            }
            let xs: [&[T]; N] = core::array::from_fn(|t| {
                let s = (lo + f[t]) % len;
                &x[s..s + hi - lo]
            });
            let xc = &x[lo..hi];
            let yc = &mut y[lo..hi];
            match b {
                Some(b) => {
                    let bc = &b[lo..hi];
                    for j in 0..hi - lo {
                        let mut acc = c * xc[j];
                        for t in 0..N {
                            acc = w[t].mul_add(xs[t][j], acc);
                        }
                        yc[j] = bc[j] - acc;
                    }
                }
                None => {
                    for j in 0..hi - lo {
                        let mut acc = c * xc[j];
                        for t in 0..N {
                            acc = w[t].mul_add(xs[t][j], acc);
                        }
                        yc[j] = acc;
                    }
                }
            }
            lo = hi;
        }
    }

    /// The flat pass for any number of taps, one tap at a time.
    fn flat_any(&self, taps: &[Tap<T>], x: &[T], y: &mut [T], b: Option<&[T]>, lanes: usize) {
        let len = x.len();
        for (yj, &xj) in y.iter_mut().zip(x) {
            *yj = self.center * xj;
        }
        for t in taps {
            let f = self.flat_read(t.offset, self.len()) * lanes;
            let (head, tail) = y.split_at_mut(len - f);
            for (yj, &xj) in head.iter_mut().zip(&x[f..]).chain(tail.iter_mut().zip(x)) {
                *yj = t.weight.mul_add(xj, *yj);
            }
        }
        if let Some(b) = b {
            for (yj, &bj) in y.iter_mut().zip(b) {
                *yj = bj - *yj;
            }
        }
    }

    /// r ← b − A x (or b − Aᵀ x), after asserting that all three have the grid's length.
    #[track_caller]
    #[inline(always)]
    fn residual_sweep(&self, what: &str, transposed: bool, x: &[T], b: &[T], r: &mut [T]) {
        assert_shape(what, self.len(), self.len(), x.len(), r.len());
        assert!(
            b.len() == self.len(),
            "{what}: b has {} entries (expected {})",
            b.len(),
            self.len()
        );
        if transposed {
            self.sweep(&self.taps_t, &self.fixes_t, x, r, Some(b), 1)
        } else {
            self.sweep(&self.taps, &self.fixes, x, r, Some(b), 1)
        }
    }

    /// The flat read offset of a tap, reduced into `0..len`.
    fn flat_read(&self, offset: [isize; 3], len: usize) -> usize {
        flat_offset(self.shape, offset).rem_euclid(len as isize) as usize
    }

    fn entries(&self, taps: &[Tap<T>], f: &mut dyn FnMut(usize, usize, T)) {
        for p in 0..self.len() {
            f(p, p, self.center);
            for t in taps {
                if let Some(s) = true_source(self.shape, self.boundary, p, t.offset) {
                    f(p, s, t.weight);
                }
            }
        }
    }
}

/// Taps with a fused flat pass: up to 3D 7-point stencils.
const MAX_FAST_TAPS: usize = 6;

/// `Fix::right` of a tap that falls off a Dirichlet boundary (reads zero).
const OFF_GRID: u32 = u32::MAX;

/// A point where the flat pass of `Stencil::sweep` read the wrong neighbour for one tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fix {
    /// The output point.
    p: u32,
    /// The tap.
    tap: u32,
    /// The point the flat pass read.
    wrong: u32,
    /// The true neighbour, or [`OFF_GRID`].
    right: u32,
}

/// The flat offset of a grid offset on a row-major grid of `shape`.
fn flat_offset(shape: [usize; 3], offset: [isize; 3]) -> isize {
    (offset[0] * shape[1] as isize + offset[1]) * shape[2] as isize + offset[2]
}

/// The grid index (i₀, i₁, i₂) of flat point `p` on a row-major grid of `shape`.
fn grid_index(shape: [usize; 3], p: usize) -> [usize; 3] {
    [
        p / (shape[1] * shape[2]),
        p / shape[2] % shape[1],
        p % shape[2],
    ]
}

/// The true neighbour of flat point `p` at grid offset `offset`: wrapped on every axis
/// (periodic), or `None` off the grid (Dirichlet).
fn true_source(
    shape: [usize; 3],
    boundary: Boundary,
    p: usize,
    offset: [isize; 3],
) -> Option<usize> {
    let idx = grid_index(shape, p);
    let mut s = 0;
    for a in 0..3 {
        let n = shape[a] as isize;
        let i = idx[a] as isize + offset[a];
        let i = match boundary {
            Boundary::Periodic => i.rem_euclid(n),
            Boundary::Dirichlet => (0..n).contains(&i).then_some(i)?,
        };
        s = s * shape[a] + i as usize;
    }
    Some(s)
}

/// The fixes of the flat pass for `taps`: every (point, tap) whose flat read differs from the
/// true neighbour. Only points within a tap's reach of the boundary can differ, so the list
/// is the size of the boundary layer.
fn edge_fixes<T: Real>(shape: [usize; 3], boundary: Boundary, taps: &[Tap<T>]) -> Vec<Fix> {
    let len: usize = shape.iter().product();
    let mut reach = [0usize; 3];
    for t in taps {
        for (m, o) in reach.iter_mut().zip(t.offset) {
            *m = (*m).max(o.unsigned_abs());
        }
    }
    let near = |i: [usize; 3]| (0..3).any(|a| i[a] < reach[a] || i[a] + reach[a] >= shape[a]);
    let mut fixes = Vec::new();
    for p in 0..len {
        if !near(grid_index(shape, p)) {
            continue;
        }
        for (k, t) in taps.iter().enumerate() {
            let read =
                (p as isize + flat_offset(shape, t.offset)).rem_euclid(len as isize) as usize;
            let right = true_source(shape, boundary, p, t.offset);
            if right != Some(read) {
                fixes.push(Fix {
                    p: p as u32,
                    tap: k as u32,
                    wrong: read as u32,
                    right: right.map_or(OFF_GRID, |r| r as u32),
                });
            }
        }
    }
    fixes
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
        self.sweep(&self.taps, &self.fixes, x, y, None, 1);
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
        self.sweep(&self.taps_t, &self.fixes_t, x, y, None, 1);
    }
    fn diagonal(&self, out: &mut [T]) -> Result<()> {
        crate::check_len("diagonal output", self.len(), out.len())?;
        out.fill(self.diag);
        Ok(())
    }
    fn constant_diagonal(&self) -> Option<T> {
        Some(self.diag)
    }
    #[track_caller]
    fn residual_vector(&self, x: &[T], b: &[T], r: &mut [T]) {
        self.residual_sweep("Stencil::residual_vector", false, x, b, r)
    }
    #[track_caller]
    fn transpose_residual_vector(&self, x: &[T], b: &[T], r: &mut [T]) {
        self.residual_sweep("Stencil::transpose_residual_vector", true, x, b, r)
    }
    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, T)) {
        self.entries(&self.taps, f)
    }
    fn describe(&self) -> String {
        format!("{:?} stencil on a {:?} grid", self.boundary, self.dims)
    }
    fn lanes(&self) -> Option<Lanes<'_, T>> {
        Some(Lanes::new(self))
    }
}

impl<T: Real> LaneOperator<T> for Stencil<T> {
    fn lane_len(&self) -> usize {
        self.len()
    }
    #[track_caller]
    fn lane_residual(&self, transposed: bool, x: &[T], b: &[T], r: &mut [T], lanes: usize) {
        let len = self.len() * lanes;
        assert!(
            lanes > 0 && x.len() == len && b.len() == len && r.len() == len,
            "Stencil::lane_residual: x, b, r have {}, {}, {} entries (expected {lanes} lanes of {})",
            x.len(),
            b.len(),
            r.len(),
            self.len()
        );
        if transposed {
            self.sweep(&self.taps_t, &self.fixes_t, x, r, Some(b), lanes)
        } else {
            self.sweep(&self.taps, &self.fixes, x, r, Some(b), lanes)
        }
    }
}
