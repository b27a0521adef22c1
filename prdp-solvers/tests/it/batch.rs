//! Batched solves equal one-by-one solves, whatever the thread count.

use crate::common::dominant;
use prdp_core::CsrMatrix;
use prdp_solvers::{
    Batch, BatchWorkspace, Budget, Method, SolveOptions, Workspace, solve_batch, solve_batch_with,
};
use prdp_testing::vector;

#[test]
fn batch_equals_sequential_and_is_thread_count_independent() {
    let n = 60;
    let count = 9;
    let ops: Vec<CsrMatrix<f64>> = (0..count).map(|s| dominant(100 + s as u64, n)).collect();
    let b = vector(1, n * count);
    let budget = Budget::new(30, 1e-9).unwrap();
    let opts = SolveOptions::default();
    for m in [Method::Jacobi, Method::Gmres { restart: 4 }] {
        let mut seq = vec![0.0; n * count];
        for s in 0..count {
            m.solve(
                &ops[s],
                &b[s * n..(s + 1) * n],
                &mut seq[s * n..(s + 1) * n],
                &budget,
                &opts,
                &mut Workspace::new(),
            )
            .unwrap();
        }
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut par = vec![0.0; n * count];
            let reports = pool
                .install(|| {
                    solve_batch_with(
                        &m,
                        |s| &ops[s],
                        Batch {
                            b: &b,
                            x: &mut par,
                            count,
                        },
                        &budget,
                        &opts,
                        &mut BatchWorkspace::new(),
                    )
                })
                .unwrap();
            assert_eq!(reports.len(), count);
            assert_eq!(par, seq, "{} with {threads} threads", m.name());
        }
    }
    let mut x = vec![0.0; n * count];
    let e = solve_batch(
        &Method::Jacobi,
        &ops[0],
        Batch {
            b: &b[..n * count - 1],
            x: &mut x,
            count,
        },
        &budget,
        &opts,
        &mut BatchWorkspace::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("count * n"), "{e}");
}
