//! Reusable scratch memory for solves.

use prdp_core::Real;

/// Scratch vectors for one solve at a time. Create one per thread (or per sample in a batch) and
/// pass it to every solve: it grows to the largest size asked for and is then reused, so solves
/// after the first allocate nothing.
#[derive(Debug, Clone, Default)]
pub struct Workspace<T> {
    vectors: Vec<T>,
    small: Vec<T>,
    diagonal: Vec<T>,
}

impl<T: Real> Workspace<T> {
    /// An empty workspace.
    pub fn new() -> Self {
        Self {
            vectors: Vec::new(),
            small: Vec::new(),
            diagonal: Vec::new(),
        }
    }

    /// Takes the diagonal buffer (2n entries: the diagonal and its inverse) out of the
    /// workspace, so that a program can borrow it while the rest of the workspace is in use.
    pub(crate) fn take_diagonal(&mut self, n: usize) -> Vec<T> {
        let mut d = core::mem::take(&mut self.diagonal);
        grow(&mut d, 2 * n);
        d
    }

    /// Returns the buffer taken by [`Workspace::take_diagonal`].
    pub(crate) fn put_diagonal(&mut self, d: Vec<T>) {
        self.diagonal = d;
    }

    /// `count` vectors of length `n` (the first `count` of the `N` returned; the rest are
    /// empty) plus a buffer of length `small`, with arbitrary contents (callers initialise what
    /// they read).
    pub(crate) fn split<const N: usize>(
        &mut self,
        count: usize,
        n: usize,
        small: usize,
    ) -> ([&mut [T]; N], &mut [T]) {
        debug_assert!(count <= N, "{count} scratch vectors asked of {N}");
        grow(&mut self.vectors, count * n);
        grow(&mut self.small, small);
        let data = &mut self.vectors[..count * n];
        let sm = &mut self.small[..small];
        let mut chunks = data.chunks_exact_mut(n.max(1));
        let vs = core::array::from_fn(|_| match chunks.next() {
            Some(v) => v,
            None => &mut [][..],
        });
        (vs, sm)
    }
}

fn grow<T: Real>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::zero());
    }
}
