//! Deterministic splits of a batch into lanes that run in parallel: the split depends only on
//! the problem's size (never on the number of threads) and lane results are reduced in lane
//! order, so the results are bit-identical for any thread count.

use core::ops::Range;

/// The most lanes a batch is split into.
pub const LANES: usize = 8;

/// The fewest rows a lane of a row-split batch gets.
const MIN_LANE_ROWS: usize = 32;

/// The number of lanes of a batch of `n` rows.
pub fn point_lanes(n: usize) -> usize {
    (n / MIN_LANE_ROWS).clamp(1, LANES)
}

/// Part `i` of `0..n` split into `parts` balanced contiguous ranges.
pub fn part(n: usize, parts: usize, i: usize) -> Range<usize> {
    n * i / parts..n * (i + 1) / parts
}

/// `s` (`items` items of `per` entries) cut into the `k` slices of [`part`]`(items, k, i)`.
///
/// # Panics
/// If `s` holds fewer than `items · per` entries.
pub fn split_parts(s: &mut [f64], items: usize, k: usize, per: usize) -> Vec<&mut [f64]> {
    let mut rest = s;
    (0..k)
        .map(|i| {
            let (mine, tail) =
                core::mem::take(&mut rest).split_at_mut(part(items, k, i).len() * per);
            rest = tail;
            mine
        })
        .collect()
}
