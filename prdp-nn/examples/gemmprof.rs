use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use std::time::Instant;
fn t(label: &str, m: usize, n: usize, k: usize, f: &mut dyn FnMut()) {
    let reps = if m * n * k > 1000000 { 1 } else { 200 };
    let mut best = f64::MAX;
    for _ in 0..15 {
        let s = Instant::now();
        for _ in 0..reps {
            f();
        }
        best = best.min(s.elapsed().as_secs_f64() / reps as f64);
    }
    println!(
        "{label:40} {m}x{n}x{k}: {:.2} us  {:.1} GFLOP/s (min)",
        best * 1e6,
        2.0 * (m * n * k) as f64 / best / 1e9
    );
}
fn main() {
    let (m, n, k) = (25usize, 64usize, 64usize);
    let shapes: Vec<(usize, usize, usize)> = if std::env::args().count() > 1 {
        vec![
            (64, 2304, 576),
            (2304, 64, 576),
            (64, 576, 2304),
            (576, 64, 2304),
            (32, 8000, 864),
            (8000, 32, 864),
        ]
    } else {
        vec![
            (m, n, k),
            (25, 64, 30),
            (25, 30, 64),
            (64, 64, 25),
            (30, 64, 25),
            (64, 30, 25),
            (13, 64, 64),
        ]
    };
    for &(m, n, k) in &shapes {
        let a = vec![0.5f32; m * k];
        let b = vec![0.25f32; k * n];
        let mut c = vec![0.0f32; m * n];
        // all combos of A row/col-major, B row/col-major, C row/col-major
        for (an, arm) in [("Arm", true), ("Acm", false)] {
            for (bn, brm) in [("Brm", true), ("Bcm", false)] {
                for (cn, crm) in [("Crm", true), ("Ccm", false)] {
                    let label = format!("{an} {bn} {cn}");
                    t(&label, m, n, k, &mut || {
                        let a = if arm {
                            MatRef::from_row_major_slice(&a, m, k)
                        } else {
                            MatRef::from_column_major_slice(&a, m, k)
                        };
                        let b = if brm {
                            MatRef::from_row_major_slice(&b, k, n)
                        } else {
                            MatRef::from_column_major_slice(&b, k, n)
                        };
                        let c = if crm {
                            MatMut::from_row_major_slice_mut(&mut c, m, n)
                        } else {
                            MatMut::from_column_major_slice_mut(&mut c, m, n)
                        };
                        matmul(c, Accum::Add, a, b, 1.0f32, Par::Seq);
                    });
                }
            }
        }
    }
}
