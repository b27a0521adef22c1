//! Vector kernels (BLAS level 1) on contiguous slices.
//!
//! Reductions keep 32 independent partial sums so that the compiler maps them onto SIMD
//! registers and overlaps the fused multiply–add latencies; the element-wise kernels are plain
//! zipped loops, which the compiler vectorises as they stand. All kernels are internal-contract
//! functions: they `assert!` that slice lengths agree (naming both) and never allocate.

use crate::Real;

const WIDE: usize = 32;
const NARROW: usize = 8;
/// Lanes whose partial sums [`lane_norms2`] keeps in registers at once.
const LANE_BLOCK: usize = 8;

#[inline(always)]
#[track_caller]
fn same_len(name: &str, a: usize, b: usize) {
    assert!(a == b, "{name}: slices differ in length ({a} vs {b})");
}

/// Returns xᵀy.
///
/// # Panics
/// If `x` and `y` differ in length.
#[inline]
#[track_caller]
pub fn dot<T: Real>(x: &[T], y: &[T]) -> T {
    same_len("dot", x.len(), y.len());
    let (xw, xr) = x.as_chunks::<WIDE>();
    let (yw, yr) = y.as_chunks::<WIDE>();
    let mut acc = dot_blocks(xw, yw);
    let (xn, xs) = xr.as_chunks::<NARROW>();
    let (yn, ys) = yr.as_chunks::<NARROW>();
    for (a, b) in xn.iter().zip(yn) {
        for l in 0..NARROW {
            acc[l] = a[l].mul_add(b[l], acc[l]);
        }
    }
    // The last few products go to a scalar: indexing `acc` by a loop variable here would force
    // the accumulators out of registers for the whole function.
    let rest = xs
        .iter()
        .zip(ys)
        .fold(T::zero(), |r, (&a, &b)| a.mul_add(b, r));
    reduce(&acc) + rest
}

/// The WIDE lane-wise partial sums of xᵀy over whole blocks.
///
/// Kept out of line on purpose: inlined into a caller with more code around it (the stencil
/// residual, the tails below), LLVM's SLP vectoriser packs the accumulators two lanes at a time
/// instead of into full SIMD registers, which made the dot product three times slower.
#[inline(never)]
fn dot_blocks<T: Real>(x: &[[T; WIDE]], y: &[[T; WIDE]]) -> [T; WIDE] {
    let mut acc = [T::zero(); WIDE];
    for (a, b) in x.iter().zip(y) {
        for l in 0..WIDE {
            acc[l] = a[l].mul_add(b[l], acc[l]);
        }
    }
    acc
}

/// The squared norms ‖xₛ‖² of `lanes` vectors stored lane-interleaved (entry i of vector s at
/// `x[i·lanes + s]`), into `out[s]`: each summed in exactly the order of [`dot`]`(xₛ, xₛ)`, so
/// that a batch-major solve stops where the per-sample solves stop, bit for bit.
///
/// # Panics
/// If `x.len()` is not a multiple of `lanes` or `out` is not `lanes` long.
#[track_caller]
pub fn lane_norms2<T: Real>(x: &[T], lanes: usize, out: &mut [T]) {
    same_len("lane_norms2 (out, lanes)", out.len(), lanes);
    if lanes == 0 {
        return;
    }
    assert!(
        x.len().is_multiple_of(lanes),
        "lane_norms2: {} entries are not a multiple of {lanes} lanes",
        x.len()
    );
    let n = x.len() / lanes;
    let blocks = lanes / LANE_BLOCK * LANE_BLOCK;
    for s0 in (0..blocks).step_by(LANE_BLOCK) {
        let sums = lane_block_norms2::<T, LANE_BLOCK>(x, lanes, s0, n);
        out[s0..s0 + LANE_BLOCK].copy_from_slice(&sums);
    }
    if blocks == lanes {
        return;
    }
    if blocks > 0 {
        // The last lanes as one more whole block that overlaps the previous one: each lane's
        // sum is the same whichever block computes it.
        let s0 = lanes - LANE_BLOCK;
        let sums = lane_block_norms2::<T, LANE_BLOCK>(x, lanes, s0, n);
        out[blocks..].copy_from_slice(&sums[blocks - s0..]);
    } else {
        for (s, o) in out.iter_mut().enumerate() {
            *o = lane_block_norms2::<T, 1>(x, lanes, s, n)[0];
        }
    }
}

/// The squared norms of the `B` lanes from `s0`, with `dot`'s partial sums (whole WIDE blocks
/// lane-wise, then NARROW blocks into the first partial sums, then a scalar rest) and its
/// pairwise reduction. Vectors shorter than one WIDE block keep only the NARROW partial sums
/// they touch: `dot`'s others stay +0, and adding +0 to a sum of squares changes no bit.
#[inline(always)]
fn lane_block_norms2<T: Real, const B: usize>(
    x: &[T],
    lanes: usize,
    s0: usize,
    n: usize,
) -> [T; B] {
    let wide = n / WIDE * WIDE;
    let narrow = wide + (n - wide) / NARROW * NARROW;
    let row = |i: usize| -> &[T] { &x[i * lanes + s0..i * lanes + s0 + B] };
    let fma = |a: &mut [T; B], v: &[T]| {
        for l in 0..B {
            a[l] = v[l].mul_add(v[l], a[l]);
        }
    };
    if wide == 0 {
        // Eight partial sums per lane stay in registers; clearing and reducing the 24 unused
        // ones cost more than the sums themselves.
        let mut acc = [[T::zero(); B]; NARROW];
        let mut rest = [T::zero(); B];
        for i0 in (0..narrow).step_by(NARROW) {
            for (l, a) in acc.iter_mut().enumerate() {
                fma(a, row(i0 + l));
            }
        }
        for i in narrow..n {
            fma(&mut rest, row(i));
        }
        let sums = reduce_lanes(&mut acc);
        return core::array::from_fn(|j| sums[j] + rest[j]);
    }
    let mut acc = [[T::zero(); B]; WIDE];
    let mut rest = [T::zero(); B];
    for i in 0..wide {
        fma(&mut acc[i % WIDE], row(i));
    }
    for i in wide..narrow {
        fma(&mut acc[(i - wide) % NARROW], row(i));
    }
    for i in narrow..n {
        fma(&mut rest, row(i));
    }
    let sums = reduce_lanes(&mut acc);
    core::array::from_fn(|j| sums[j] + rest[j])
}

/// The pairwise sum of `P` partial sums per lane, as [`reduce`] sums `dot`'s.
#[inline(always)]
fn reduce_lanes<T: Real, const B: usize, const P: usize>(acc: &mut [[T; B]; P]) -> [T; B] {
    let mut half = P;
    while half > 1 {
        half /= 2;
        for l in 0..half {
            let upper = acc[l + half];
            for (a, b) in acc[l].iter_mut().zip(upper) {
                *a += b;
            }
        }
    }
    acc[0]
}

/// Pairwise sum of the partial sums.
#[inline(always)]
fn reduce<T: Real>(acc: &[T; WIDE]) -> T {
    let mut half = [T::zero(); WIDE];
    half.copy_from_slice(acc);
    let mut n = WIDE;
    while n > 1 {
        n /= 2;
        for l in 0..n {
            half[l] += half[l + n];
        }
    }
    half[0]
}

/// Returns ‖x‖₂ (as √(xᵀx); inputs are assumed far from overflow, as in every solver here).
#[inline]
pub fn nrm2<T: Real>(x: &[T]) -> T {
    dot(x, x).sqrt()
}

/// Returns the sum of the entries of `x`.
#[inline]
pub fn sum<T: Real>(x: &[T]) -> T {
    let mut acc = [T::zero(); WIDE];
    let xw = x.chunks_exact(WIDE);
    let xr = xw.remainder();
    for a in xw {
        for l in 0..WIDE {
            acc[l] += a[l];
        }
    }
    reduce(&acc) + xr.iter().fold(T::zero(), |r, &a| r + a)
}

/// y ← y + a·x.
///
/// # Panics
/// If `x` and `y` differ in length.
#[inline]
#[track_caller]
pub fn axpy<T: Real>(a: T, x: &[T], y: &mut [T]) {
    same_len("axpy", x.len(), y.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = a.mul_add(xi, *yi);
    }
}

/// y ← a·x + b·y.
///
/// # Panics
/// If `x` and `y` differ in length.
#[inline]
#[track_caller]
pub fn axpby<T: Real>(a: T, x: &[T], b: T, y: &mut [T]) {
    same_len("axpby", x.len(), y.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = a.mul_add(xi, b * *yi);
    }
}

/// y ← x + b·y (the CG direction update p ← r + βp).
///
/// # Panics
/// If `x` and `y` differ in length.
#[inline]
#[track_caller]
pub fn xpby<T: Real>(x: &[T], b: T, y: &mut [T]) {
    same_len("xpby", x.len(), y.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = b.mul_add(*yi, xi);
    }
}

/// x ← a·x.
#[inline]
pub fn scale<T: Real>(a: T, x: &mut [T]) {
    for xi in x.iter_mut() {
        *xi *= a;
    }
}

/// y ← a·x (a scaled copy).
///
/// # Panics
/// If `x` and `y` differ in length.
#[inline]
#[track_caller]
pub fn copy_scaled<T: Real>(a: T, x: &[T], y: &mut [T]) {
    same_len("copy_scaled", x.len(), y.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = a * xi;
    }
}

/// z ← x − y.
///
/// # Panics
/// If the three slices differ in length.
#[inline]
#[track_caller]
pub fn sub<T: Real>(x: &[T], y: &[T], z: &mut [T]) {
    same_len("sub (x, y)", x.len(), y.len());
    same_len("sub (x, z)", x.len(), z.len());
    for ((zi, &xi), &yi) in z.iter_mut().zip(x).zip(y) {
        *zi = xi - yi;
    }
}

/// z ← x ⊙ y (element-wise product).
///
/// # Panics
/// If the three slices differ in length.
#[inline]
#[track_caller]
pub fn mul<T: Real>(x: &[T], y: &[T], z: &mut [T]) {
    same_len("mul (x, y)", x.len(), y.len());
    same_len("mul (x, z)", x.len(), z.len());
    for ((zi, &xi), &yi) in z.iter_mut().zip(x).zip(y) {
        *zi = xi * yi;
    }
}

/// Converts between scalar types entry by entry (`f32` ↔ `f64`).
///
/// # Panics
/// If `x` and `y` differ in length.
#[inline]
#[track_caller]
pub fn convert<S: Real, T: Real>(x: &[S], y: &mut [T]) {
    same_len("convert", x.len(), y.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = T::of(xi.as_f64());
    }
}
