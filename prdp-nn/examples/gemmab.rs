use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use std::time::Instant;
// variants: (name, m, n, k, a_rowmajor, b_rowmajor, c_rowmajor)
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (cout, npts, r): (usize, usize, usize) = (
        args[1].parse().unwrap(),
        args[2].parse().unwrap(),
        args[3].parse().unwrap(),
    );
    let variants: Vec<(&str, usize, usize, usize, bool, bool, bool)> = vec![
        (
            "fwd NCHW: W[co,R] cols[R,N] -> Y[co,N] (Arm Brm Crm)",
            cout,
            npts,
            r,
            true,
            true,
            true,
        ),
        (
            "fwd NHWC: colsT[N,R] Wt[R,co] -> Yt[N,co] (Arm Brm Crm)",
            npts,
            cout,
            r,
            true,
            true,
            true,
        ),
        (
            "fwd NHWC: colsT[N,R] W^T -> Yt (Arm Bcm Crm)",
            npts,
            cout,
            r,
            true,
            false,
            true,
        ),
        (
            "dW NCHW: dY[co,N] cols^T -> dW[co,R] (Arm Bcm Crm)",
            cout,
            r,
            npts,
            true,
            false,
            true,
        ),
        (
            "dW NHWC: dYt^T colsT -> dW[co,R] (Acm Brm Crm)",
            cout,
            r,
            npts,
            false,
            true,
            true,
        ),
        (
            "dW NHWC: dYt^T colsT -> dW col-major (Acm Brm Ccm)",
            cout,
            r,
            npts,
            false,
            true,
            false,
        ),
        (
            "dW NHWC: colsT^T dYt -> dWt[R,co] (Acm Brm Crm)",
            r,
            cout,
            npts,
            false,
            true,
            true,
        ),
    ];
    let mut best = vec![f64::MAX; variants.len()];
    let big = vec![0.5f32; (cout.max(r)) * npts.max(r)];
    let big2 = vec![0.25f32; (cout.max(r)) * npts.max(r)];
    let mut c = vec![0.0f32; (cout.max(r)) * npts.max(r)];
    for _round in 0..20 {
        for (i, &(_, m, n, k, arm, brm, crm)) in variants.iter().enumerate() {
            let s = Instant::now();
            let a = if arm {
                MatRef::from_row_major_slice(&big[..m * k], m, k)
            } else {
                MatRef::from_column_major_slice(&big[..m * k], m, k)
            };
            let b = if brm {
                MatRef::from_row_major_slice(&big2[..k * n], k, n)
            } else {
                MatRef::from_column_major_slice(&big2[..k * n], k, n)
            };
            let cm = if crm {
                MatMut::from_row_major_slice_mut(&mut c[..m * n], m, n)
            } else {
                MatMut::from_column_major_slice_mut(&mut c[..m * n], m, n)
            };
            matmul(cm, Accum::Add, a, b, 1.0f32, Par::Seq);
            best[i] = best[i].min(s.elapsed().as_secs_f64());
        }
    }
    for (i, v) in variants.iter().enumerate() {
        println!(
            "{:60} {:8.1} us {:6.1} GFLOP/s",
            v.0,
            best[i] * 1e6,
            2.0 * (v.1 * v.2 * v.3) as f64 / best[i] / 1e9
        );
    }
}
