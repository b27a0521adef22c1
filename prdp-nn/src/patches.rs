//! Patch extraction (im2col) for stride-1 "same" convolutions on 1–3D grids, for samples stored
//! channels-first (`[channels, grid…]`) or channels-last (`[grid…, channels]`).

use prdp_core::Real;

use crate::config::Padding;

/// The sliding window of a convolution: grid shape and kernel size padded to three axes with
/// leading ones, and the offset `lo` of tap 0 (tap `t` on an axis reads the input at offset
/// `t − lo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Window {
    pub dims: [usize; 3],
    pub k: [usize; 3],
    pub lo: [usize; 3],
    pub padding: Padding,
}

impl Window {
    /// Grid points.
    pub fn points(&self) -> usize {
        self.dims.iter().product()
    }

    /// Kernel taps.
    pub fn taps(&self) -> usize {
        self.k.iter().product()
    }

    /// The window of the adjoint convolution: every tap offset changes sign, so `lo` becomes
    /// `k − 1 − lo` (and the taps are visited in reverse).
    pub fn adjoint(&self) -> Self {
        Self {
            lo: [0, 1, 2].map(|a| self.k[a] - 1 - self.lo[a]),
            ..*self
        }
    }

    /// The output index ranges along `axis` whose inputs through tap `t` are contiguous:
    /// `(start, end, first input index or None for zero padding)`, at most three (wrapped low,
    /// interior, wrapped high), empty ranges having `start == end`. Needs `k ≤ dims`.
    fn segments(&self, axis: usize, t: usize) -> [(usize, usize, Option<usize>); 3] {
        let (n, lo) = (self.dims[axis], self.lo[axis]);
        let circular = self.padding == Padding::Circular;
        // Input index of output i is i + t − lo; it falls below 0 for i < lo − t and reaches n
        // from i = n + lo − t on.
        let low_end = lo.saturating_sub(t).min(n);
        let high_start = (n + lo).saturating_sub(t).min(n).max(low_end);
        [
            (0, low_end, (circular && low_end > 0).then(|| n + t - lo)),
            (low_end, high_start, Some(low_end + t - lo)),
            (
                high_start,
                n,
                (circular && high_start < n).then(|| high_start + t - lo - n),
            ),
        ]
    }

    /// Channels-first patches: cols[(ci, tap), point] ← x[ci, point + offset(tap)] for one
    /// sample `x[cin, points]`, copied in blocks of contiguous grid lines.
    pub fn im2col_first<T: Real>(&self, x: &[T], cols: &mut [T]) {
        let [_, h, w] = self.dims;
        let (n, plane) = (self.points(), h * w);
        let [k0, k1, k2] = self.k;
        let circular = self.padding == Padding::Circular;
        let mut rows = cols.chunks_exact_mut(n);
        for xc in x.chunks_exact(n) {
            for a in 0..k0 {
                let z_segments = self.segments(0, a);
                for b in 0..k1 {
                    let y_segments = self.segments(1, b);
                    for c in 0..k2 {
                        let shift = c as isize - self.lo[2] as isize;
                        let row = rows.next().expect("cols holds cin·taps rows");
                        for &(z0, z1, zs) in &z_segments {
                            for z in z0..z1 {
                                let dst = &mut row[z * plane..(z + 1) * plane];
                                let Some(zs) = zs else {
                                    dst.fill(T::zero());
                                    continue;
                                };
                                let src = &xc[(zs + z - z0) * plane..(zs + z - z0 + 1) * plane];
                                for &(y0, y1, ys) in y_segments.iter().filter(|s| s.0 < s.1) {
                                    let dst = &mut dst[y0 * w..y1 * w];
                                    match ys {
                                        Some(ys) => shift_lines(
                                            &src[ys * w..(ys + y1 - y0) * w],
                                            shift,
                                            dst,
                                            w,
                                            circular,
                                        ),
                                        None => dst.fill(T::zero()),
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Index along `axis` read by output index `i` through tap `t`, or `None` outside a
    /// zero-padded grid.
    #[inline]
    fn source(&self, axis: usize, i: usize, t: usize) -> Option<usize> {
        let (n, lo) = (self.dims[axis], self.lo[axis]);
        let j = i + t;
        if j < lo {
            (self.padding == Padding::Circular).then(|| j + n - lo)
        } else if j - lo >= n {
            (self.padding == Padding::Circular).then(|| j - lo - n)
        } else {
            Some(j - lo)
        }
    }

    /// Channels-last patches of the `len` grid points from `first` on:
    /// cols[p, (tap, ci)] ← x[first + p + offset(tap), ci] for one sample `x[points, cin]`.
    /// The taps along the last axis of one point read consecutive points, so away from the grid
    /// edge they are one copy of `k · cin` values.
    pub fn im2col_last<T: Real>(
        &self,
        x: &[T],
        cin: usize,
        first: usize,
        len: usize,
        cols: &mut [T],
    ) {
        let [_, h, w] = self.dims;
        let [k0, k1, k2] = self.k;
        let patch = cin * self.taps();
        let run = k2 * cin;
        let lo2 = self.lo[2];
        let end = first + len;
        let mut line_start = first - first % w;
        while line_start < end {
            let (z, y) = (line_start / w / h, line_start / w % h);
            let xs = first.max(line_start) - line_start..end.min(line_start + w) - line_start;
            for a in 0..k0 {
                let zs = self.source(0, z, a);
                for b in 0..k1 {
                    let src_line = zs
                        .zip(self.source(1, y, b))
                        .map(|(zs, ys)| (zs * h + ys) * w);
                    let tap0 = (a * k1 + b) * k2;
                    for xo in xs.clone() {
                        let at = (line_start + xo - first) * patch + tap0 * cin;
                        let dst = &mut cols[at..at + run];
                        let Some(s) = src_line else {
                            dst.fill(T::zero());
                            continue;
                        };
                        if xo >= lo2 && xo + k2 <= w + lo2 {
                            let from = (s + xo - lo2) * cin;
                            dst.copy_from_slice(&x[from..from + run]);
                        } else {
                            for (c, d) in dst.chunks_exact_mut(cin).enumerate() {
                                match self.source(2, xo, c) {
                                    Some(xs) => {
                                        d.copy_from_slice(&x[(s + xs) * cin..(s + xs + 1) * cin])
                                    }
                                    None => d.fill(T::zero()),
                                }
                            }
                        }
                    }
                }
            }
            line_start += w;
        }
    }
}

/// For consecutive grid lines of length `w`: dst[line, x] ← src[line, x + shift], wrapping
/// around within the line (circular) or reading zero outside it. One shifted copy of the whole
/// block, then a fix-up of the `|shift|` entries per line that crossed a line end.
#[inline]
fn shift_lines<T: Real>(src: &[T], shift: isize, dst: &mut [T], w: usize, circular: bool) {
    let len = dst.len();
    let s = shift.unsigned_abs();
    if s == 0 {
        dst.copy_from_slice(src);
        return;
    }
    if shift > 0 {
        dst[..len - s].copy_from_slice(&src[s..]);
    } else {
        dst[s..].copy_from_slice(&src[..len - s]);
    }
    for (dl, sl) in dst.chunks_exact_mut(w).zip(src.chunks_exact(w)) {
        let (edge, wrapped) = if shift > 0 {
            (w - s..w, 0..s)
        } else {
            (0..s, w - s..w)
        };
        if circular {
            dl[edge].copy_from_slice(&sl[wrapped]);
        } else {
            dl[edge].fill(T::zero());
        }
    }
}
