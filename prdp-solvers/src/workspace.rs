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

    /// `count` vectors of length `n` as one flat buffer, plus a buffer of length `small`, with
    /// arbitrary contents.
    pub(crate) fn split_flat(
        &mut self,
        count: usize,
        n: usize,
        small: usize,
    ) -> (&mut [T], &mut [T]) {
        grow(&mut self.vectors, count * n);
        grow(&mut self.small, small);
        (&mut self.vectors[..count * n], &mut self.small[..small])
    }

    /// `N` vectors of length `n` plus a buffer of length `small`, with arbitrary contents
    /// (callers initialise what they read).
    pub(crate) fn split<const N: usize>(
        &mut self,
        n: usize,
        small: usize,
    ) -> ([&mut [T]; N], &mut [T]) {
        grow(&mut self.vectors, N * n);
        grow(&mut self.small, small);
        let data = &mut self.vectors[..N * n];
        let sm = &mut self.small[..small];
        if n == 0 {
            return (core::array::from_fn(|_| &mut [][..]), sm);
        }
        let mut chunks = data.chunks_exact_mut(n);
        let vs = core::array::from_fn(|_| chunks.next().expect("buffer holds N vectors"));
        (vs, sm)
    }
}

fn grow<T: Real>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::zero());
    }
}
