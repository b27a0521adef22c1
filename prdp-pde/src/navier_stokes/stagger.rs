//! Differences and interpolations on a bi-periodic n×n staggered (MAC) grid (row-major,
//! rows along y, x contiguous).

use prdp_core::Real;

/// A one-sided difference direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// (f[k+e] − f[k]).
    Forward,
    /// (f[k] − f[k−e]).
    Backward,
}

impl Dir {
    pub fn opposite(self) -> Self {
        match self {
            Self::Forward => Self::Backward,
            Self::Backward => Self::Forward,
        }
    }
}

/// dst += scale · (one-sided difference of src along x).
pub(crate) fn add_diff_x<T: Real>(n: usize, dir: Dir, scale: T, src: &[T], dst: &mut [T]) {
    for (s, d) in src.chunks_exact(n).zip(dst.chunks_exact_mut(n)) {
        match dir {
            Dir::Forward => {
                for ((dj, &a), &b) in d[..n - 1].iter_mut().zip(&s[..n - 1]).zip(&s[1..]) {
                    *dj += scale * (b - a);
                }
                d[n - 1] += scale * (s[0] - s[n - 1]);
            }
            Dir::Backward => {
                for ((dj, &a), &b) in d[1..].iter_mut().zip(&s[..n - 1]).zip(&s[1..]) {
                    *dj += scale * (b - a);
                }
                d[0] += scale * (s[0] - s[n - 1]);
            }
        }
    }
}

/// dst += scale · (one-sided difference of src along y).
pub(crate) fn add_diff_y<T: Real>(n: usize, dir: Dir, scale: T, src: &[T], dst: &mut [T]) {
    for i in 0..n {
        let other = match dir {
            Dir::Forward => (i + 1) % n,
            Dir::Backward => (i + n - 1) % n,
        };
        let (here, there) = (&src[i * n..(i + 1) * n], &src[other * n..(other + 1) * n]);
        let d = &mut dst[i * n..(i + 1) * n];
        let sign = if dir == Dir::Forward { scale } else { -scale };
        for ((dj, &a), &b) in d.iter_mut().zip(here).zip(there) {
            *dj += sign * (b - a);
        }
    }
}

/// A four-point average: dst(i, j) = ¼ Σ src(i + di, j + dj) over the four offsets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Average4(pub [(isize, isize); 4]);

impl Average4 {
    #[inline(always)]
    fn at(n: usize, i: usize, j: usize, (di, dj): (isize, isize)) -> usize {
        let n_i = n as isize;
        let r = (i as isize + di).rem_euclid(n_i) as usize;
        let c = (j as isize + dj).rem_euclid(n_i) as usize;
        r * n + c
    }

    /// dst ← M src.
    pub fn apply<T: Real>(&self, n: usize, src: &[T], dst: &mut [T]) {
        let q = T::of(0.25);
        for i in 0..n {
            for j in 0..n {
                let s: T = self.0.iter().map(|&o| src[Self::at(n, i, j, o)]).sum();
                dst[i * n + j] = q * s;
            }
        }
    }

    /// dst += Mᵀ src.
    pub fn add_transpose<T: Real>(&self, n: usize, src: &[T], dst: &mut [T]) {
        let q = T::of(0.25);
        for i in 0..n {
            for j in 0..n {
                let v = q * src[i * n + j];
                for &o in &self.0 {
                    dst[Self::at(n, i, j, o)] += v;
                }
            }
        }
    }
}

/// v-values interpolated to the u-points (i, j − ½) of the paper's staggering (u on the left
/// face, v on the bottom face of cell (i, j)): v at (i ± ½, j − 1) and (i ± ½, j).
pub(crate) const V_TO_U: Average4 = Average4([(0, -1), (0, 0), (1, -1), (1, 0)]);

/// u-values interpolated to the v-points (i − ½, j): u at (i − 1, j ± ½) and (i, j ± ½).
pub(crate) const U_TO_V: Average4 = Average4([(-1, 0), (-1, 1), (0, 0), (0, 1)]);
