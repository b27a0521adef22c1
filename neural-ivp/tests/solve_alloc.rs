//! Nothing allocates inside the CG solve of M̂ θ̇ = F̂ once its workspaces exist, on any thread:
//! the Gauss–Newton products (after the first, which computes the output sensitivities of the
//! linearisation) and the Nyström preconditioner. A test binary of its own: the counter is
//! global (rayon's job-queue blocks and one-time thread-local initialisations are not counted).

use neural_ivp::{Forward, GaussNewton, Network, NetworkConfig, NystromPreconditioner};
use prdp_core::LinearOperator;
use prdp_solvers::{Budget, SolveOptions, Workspace, cg};
use prdp_testing::{CountingAllocator, allocations_on_all_threads, vector};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// One CG solve of (M̂ + μI) x = b with the Nyström preconditioner, for two widths: one whose
/// single-tangent products split the rows into lanes and one wide enough for every GEMM to run
/// over all rows.
#[test]
fn cg_solves_do_not_allocate() {
    for (width, n) in [(24, 500), (260, 1000)] {
        let net = Network::new(
            &NetworkConfig {
                width,
                ..NetworkConfig::default()
            },
            3,
            1,
        )
        .unwrap();
        let theta = net.init(0);
        let p = net.num_params();
        let pts: Vec<f64> = vector(1, n * 3).iter().map(|x| 0.9 * x).collect();
        let mut fwd = Forward::new();
        net.forward(&theta, &pts, &mut fwd).unwrap();
        let mut op = GaussNewton::new(&net, &theta, &fwd).unwrap();
        let pre = NystromPreconditioner::build(&op, 10, 1, 1e-8, 1e-6).unwrap();
        op.set_mu(1e-6 * pre.lambda_max());
        let b = vector(2, p);
        let (mut x, mut y) = (vec![0.0; p], vec![0.0; p]);
        let budget = Budget::new(20, 1e-12).unwrap();
        let opts = SolveOptions::default();
        let mut ws = Workspace::new();
        let mut solve = |x: &mut [f64]| {
            x.fill(0.0);
            cg(&op, &pre, &b, x, &budget, &opts, &mut ws).unwrap()
        };
        solve(&mut x);
        let mut report = None;
        let count = allocations_on_all_threads(|| {
            report = Some(solve(&mut x));
            op.apply(&x, &mut y);
        });
        assert_eq!(count, 0, "width {width}: {count} allocations in a CG solve");
        assert!(report.unwrap().iterations > 0);
    }
}
