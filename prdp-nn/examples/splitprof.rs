use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use std::time::Instant;
fn t(label: &str, f: &mut dyn FnMut()) {
    for _ in 0..3 {
        f();
    }
    let iters = 20;
    let s = Instant::now();
    for _ in 0..iters {
        f();
    }
    let dt = s.elapsed().as_secs_f64() / iters as f64;
    println!(
        "{label:40} {:.2} ms  {:.1} GFLOP/s",
        dt * 1e3,
        2.0 * 25.0 * 9e6 / dt / 1e9
    );
}
fn main() {
    let (m, n, k) = (25usize, 3000usize, 3000usize);
    let a = vec![0.5f32; m * k];
    let w = vec![0.25f32; n * k];
    let mut c = vec![0.0f32; m * n];
    for &(name, fwd) in &[("fwd X*W^T", true), ("dX dY*W", false)] {
        fn rhsf(w: &[f32], fwd: bool, n: usize, k: usize) -> MatRef<'_, f32> {
            if fwd {
                MatRef::from_row_major_slice(w, n, k).transpose()
            } else {
                MatRef::from_row_major_slice(w, k, n)
            }
        }
        let rhs = |w| rhsf(w, fwd, n, k);
        t(&format!("{name} faer seq"), &mut || {
            matmul(
                MatMut::from_row_major_slice_mut(&mut c, m, n),
                Accum::Replace,
                MatRef::from_row_major_slice(&a, m, k),
                rhs(&w),
                1.0f32,
                Par::Seq,
            )
        });
        t(&format!("{name} faer rayon2"), &mut || {
            matmul(
                MatMut::from_row_major_slice_mut(&mut c, m, n),
                Accum::Replace,
                MatRef::from_row_major_slice(&a, m, k),
                rhs(&w),
                1.0f32,
                Par::rayon(2),
            )
        });
        t(&format!("{name} split2 seq halves"), &mut || {
            let cm = MatMut::from_row_major_slice_mut(&mut c, m, n);
            let (c0, c1) = cm.split_at_col_mut(1504);
            let (r0, r1) = rhs(&w).split_at_col(1504);
            let am = MatRef::from_row_major_slice(&a, m, k);
            rayon::join(
                || matmul(c0, Accum::Replace, am, r0, 1.0f32, Par::Seq),
                || matmul(c1, Accum::Replace, am, r1, 1.0f32, Par::Seq),
            );
        });
        t(&format!("{name} split2 ccm"), &mut || {
            let cm = MatMut::from_column_major_slice_mut(&mut c, m, n);
            let (c0, c1) = cm.split_at_col_mut(1504);
            let (r0, r1) = rhs(&w).split_at_col(1504);
            let am = MatRef::from_row_major_slice(&a, m, k);
            rayon::join(
                || matmul(c0, Accum::Replace, am, r0, 1.0f32, Par::Seq),
                || matmul(c1, Accum::Replace, am, r1, 1.0f32, Par::Seq),
            );
        });
    }
}
