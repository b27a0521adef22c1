use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use std::time::Instant;
fn main() {
    // (m, n, k): Yt[m, n] = colsT[m, k] * W^T  (Arm Bcm Crm); reps to equalise total work
    let shapes = [(2304usize, 64usize, 576usize), (144, 64, 576), (96, 64, 576), (192, 64, 576), (8000, 32, 864), (96, 32, 864), (144, 32, 864), (48, 32, 864)];
    let a = vec![0.5f32; 8000 * 864];
    let w = vec![0.25f32; 64 * 864];
    let mut c = vec![0.0f32; 8000 * 64];
    let mut best = vec![f64::MAX; shapes.len()];
    for _ in 0..10 {
        for (i, &(m, n, k)) in shapes.iter().enumerate() {
            let total = if k == 576 { 2304 } else { 8000 };
            let blocks = total / m;
            let s = Instant::now();
            for b in 0..blocks {
                let am = MatRef::from_row_major_slice(&a[b * m * k..(b + 1) * m * k], m, k);
                let bm = MatRef::from_row_major_slice(&w[..n * k], n, k).transpose();
                let cm = MatMut::from_row_major_slice_mut(&mut c[b * m * n..(b + 1) * m * n], m, n);
                matmul(cm, Accum::Replace, am, bm, 1.0f32, Par::Seq);
            }
            best[i] = best[i].min(s.elapsed().as_secs_f64() / (blocks * m) as f64 * total as f64);
        }
    }
    for (i, &(m, n, k)) in shapes.iter().enumerate() {
        let total = if k == 576 { 2304 } else { 8000 };
        println!("{m}x{n}x{k} blocks over {total} points: {:.1} us  {:.1} GFLOP/s", best[i] * 1e6, 2.0 * (total * n * k) as f64 / best[i] / 1e9);
    }
}
