//! Batch-major Jacobi equals the per-sample solves bit for bit: solutions, reports, errors.

use prdp_core::{Boundary, LinearOperator, Real, Stencil, Transposed};
use prdp_solvers::{
    Batch, Budget, LaneWorkspace, SolveOptions, SolveReport, Workspace, jacobi, jacobi_batch_major,
};
use proptest::prelude::*;

/// A diagonally dominant, non-symmetric stencil on `dims` (so that the transpose differs).
fn stencil<T: Real>(dims: &[usize], boundary: Boundary, seed: u32) -> Stencil<T> {
    let d = dims.len();
    let mut offsets = Vec::new();
    let mut weights = Vec::new();
    for a in 0..d {
        for (k, s) in [-1isize, 1].into_iter().enumerate() {
            let mut o = vec![0isize; d];
            o[a] = s;
            offsets.push(o);
            let w = -0.2 - 0.1 * ((seed as f64 + (2 * a + k) as f64) * 1.3).sin().abs();
            weights.push(T::of(w));
        }
    }
    let taps: Vec<(&[isize], T)> = offsets.iter().map(Vec::as_slice).zip(weights).collect();
    Stencil::new(dims, boundary, T::of(1.5 * d as f64), &taps).unwrap()
}

fn rhs<T: Real>(len: usize, seed: u32, zero_sample: Option<usize>, n: usize) -> Vec<T> {
    let mut b: Vec<T> = (0..len)
        .map(|i| T::of(((i as f64 + seed as f64) * 0.619).sin()))
        .collect();
    if let Some(s) = zero_sample {
        b[s * n..(s + 1) * n].fill(T::zero());
    }
    b
}

/// Solves the batch both ways and compares every bit.
fn compare<T: Real, A: LinearOperator<T>>(
    a: &A,
    b: &[T],
    x0: &[T],
    count: usize,
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut LaneWorkspace<T>,
) -> Result<(), TestCaseError> {
    let n = a.ncols();
    let mut x = x0.to_vec();
    let mut reports = vec![SolveReport::default(); count];
    let batched = jacobi_batch_major(
        a,
        Batch {
            b,
            x: &mut x,
            count,
        },
        budget,
        opts,
        ws,
        &mut reports,
    );
    let mut first_error = None;
    for s in 0..count {
        let mut xs = x0[s * n..(s + 1) * n].to_vec();
        let r = jacobi(
            a,
            &b[s * n..(s + 1) * n],
            &mut xs,
            budget,
            opts,
            &mut Workspace::new(),
        );
        match r {
            Ok(r) => {
                if batched.is_ok() {
                    prop_assert_eq!(&reports[s], &r, "report of sample {}", s);
                    let bits = |v: &[T]| v.iter().map(|x| x.as_f64().to_bits()).collect::<Vec<_>>();
                    prop_assert_eq!(
                        bits(&x[s * n..(s + 1) * n]),
                        bits(&xs),
                        "solution of sample {}",
                        s
                    );
                }
            }
            Err(e) => {
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    prop_assert_eq!(batched.err().map(|e| e.to_string()), first_error);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn batch_major_jacobi_equals_per_sample_jacobi(
        dims in prop::collection::vec(1usize..7, 1..=3),
        periodic in any::<bool>(),
        count in 1usize..10,
        max_iters in 0usize..30,
        rtol in prop::sample::select(vec![0.0, 1e-2, 1e-4, 1e-6]),
        warm in any::<bool>(),
        history in any::<bool>(),
        transposed in any::<bool>(),
        zero in prop::option::of(0usize..10),
        seed in 0u32..1000,
    ) {
        let boundary = if periodic { Boundary::Periodic } else { Boundary::Dirichlet };
        let budget = Budget::new(max_iters, rtol).unwrap();
        let opts = SolveOptions { warm_start: warm, record_history: history };
        let zero = zero.filter(|z| *z < count);
        let a64 = stencil::<f64>(&dims, boundary, seed);
        let a32 = stencil::<f32>(&dims, boundary, seed);
        let n = a64.len();
        let (b64, x64) = (rhs::<f64>(count * n, seed, zero, n), rhs::<f64>(count * n, seed + 7, None, n));
        let (b32, x32) = (rhs::<f32>(count * n, seed, zero, n), rhs::<f32>(count * n, seed + 7, None, n));
        // One workspace through both precisions' shapes: reuse must not leak state.
        let (mut ws64, mut ws32) = (LaneWorkspace::new(), LaneWorkspace::new());
        if transposed {
            compare(&Transposed(&a64), &b64, &x64, count, &budget, &opts, &mut ws64)?;
            compare(&Transposed(&a32), &b32, &x32, count, &budget, &opts, &mut ws32)?;
        } else {
            compare(&a64, &b64, &x64, count, &budget, &opts, &mut ws64)?;
            compare(&a32, &b32, &x32, count, &budget, &opts, &mut ws32)?;
        }
        compare(&a32, &b32, &x32, count, &Budget::new(max_iters / 2, rtol).unwrap(), &opts, &mut ws32)?;
    }
}

#[test]
fn a_diverging_sample_fails_as_it_fails_alone() {
    // Not diagonally dominant: Jacobi diverges, overflowing f32 within the budget.
    let a =
        Stencil::<f32>::new(&[8], Boundary::Periodic, 0.1, &[(&[-1], 1.0), (&[1], 1.0)]).unwrap();
    let count = 3;
    let b: Vec<f32> = (0..count * 8).map(|i| (i as f32 * 0.9).sin()).collect();
    let budget = Budget::new(400, 1e-6).unwrap();
    let mut x = vec![0.0; count * 8];
    let mut reports = vec![SolveReport::default(); count];
    let opts = SolveOptions::default();
    let e = jacobi_batch_major(
        &a,
        Batch {
            b: &b,
            x: &mut x,
            count,
        },
        &budget,
        &opts,
        &mut LaneWorkspace::new(),
        &mut reports,
    )
    .unwrap_err();
    let alone = jacobi(
        &a,
        &b[..8],
        &mut [0.0; 8],
        &budget,
        &opts,
        &mut Workspace::new(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), alone.to_string());
    assert!(e.to_string().contains("Jacobi"), "{e}");
}

#[test]
fn operators_without_a_batch_major_form_are_refused() {
    let a = prdp_core::CsrMatrix::from_triplets(2, 2, &[(0, 0, 2.0), (1, 1, 2.0)]).unwrap();
    let mut reports = vec![SolveReport::default(); 2];
    let e = jacobi_batch_major(
        &a,
        Batch {
            b: &[1.0; 4],
            x: &mut [0.0; 4],
            count: 2,
        },
        &Budget::fixed(3),
        &SolveOptions::default(),
        &mut LaneWorkspace::new(),
        &mut reports,
    )
    .unwrap_err();
    assert!(e.to_string().contains("batch-major"), "{e}");
    let s = Stencil::<f64>::laplacian(&[4], &[1.0], Boundary::Dirichlet).unwrap();
    let e = jacobi_batch_major(
        &s,
        Batch {
            b: &[1.0; 7],
            x: &mut [0.0; 8],
            count: 2,
        },
        &Budget::fixed(3),
        &SolveOptions::default(),
        &mut LaneWorkspace::new(),
        &mut reports,
    )
    .unwrap_err();
    assert!(e.to_string().contains("right-hand sides"), "{e}");
}

#[test]
fn groups_over_threads_give_the_same_bits() {
    // 100 samples of 200 unknowns: large enough to be cut into one group per thread.
    let a = stencil::<f32>(&[200], Boundary::Dirichlet, 3);
    let (n, count) = (200, 100);
    assert!(prdp_solvers::batch_major_groups(n, count) >= 1);
    let b = rhs::<f32>(count * n, 11, Some(4), n);
    let x0 = rhs::<f32>(count * n, 12, None, n);
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            assert_eq!(prdp_solvers::batch_major_groups(n, count), threads.min(2));
            for (k, rtol, warm) in [(40, 1e-3, false), (15, 0.0, true)] {
                let opts = SolveOptions {
                    warm_start: warm,
                    record_history: false,
                };
                compare(
                    &a,
                    &b,
                    &x0,
                    count,
                    &Budget::new(k, rtol).unwrap(),
                    &opts,
                    &mut LaneWorkspace::new(),
                )
                .unwrap();
            }
        });
    }
}
