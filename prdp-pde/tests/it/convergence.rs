//! Converged iterative steps equal direct steps; K_ε at the paper's sizes.

use crate::common::*;
use prdp_core::Boundary;
use prdp_pde::{
    Assembly, DataSpec, FourierSeries, HeatConfig, NsScheme, Physics, ReferenceStepper,
    heat_dataset, k_epsilon,
};
use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

fn agree<A: Assembly<f64> + Clone>(a: &A, method: Method, seed: u64) {
    let g = vector(seed, a.input_len());
    let mut direct = vec![0.0; a.state_len()];
    ReferenceStepper::new(a.clone())
        .unwrap()
        .step(&g, &mut direct)
        .unwrap();
    let solver = DiffSolver::new(
        method,
        Budget::new(20_000, 1e-12).unwrap(),
        DiffMode::default(),
    )
    .unwrap();
    let mut p = Physics::new(a.clone(), solver).unwrap();
    let mut u = vec![0.0; a.state_len()];
    p.forward_batch(&g, &mut u, 1).unwrap();
    let err = max_abs_diff(&u, &direct);
    assert!(
        err < 1e-8 * (1.0 + norm(&direct)),
        "{}: |iterative - direct| = {err:e}",
        a.describe()
    );
}

#[test]
fn converged_iterative_steps_equal_direct_steps() {
    agree(&poisson(30, 3), Method::Jacobi, 1);
    for b in [Boundary::Dirichlet, Boundary::Periodic] {
        agree(&heat(&[30], b), Method::Jacobi, 2);
        agree(
            &heat(&[12, 10], b),
            Method::Cg {
                preconditioner: Default::default(),
            },
            3,
        );
        agree(&heat(&[6, 5, 7], b), Method::Jacobi, 4);
    }
    agree(&burgers1d(64), Method::Gmres { restart: 2 }, 5);
    agree(&burgers2d(10), Method::BiCgStab, 6);
    for scheme in [NsScheme::Paper, NsScheme::Reference] {
        agree(&ns(10, scheme), Method::Gmres { restart: 30 }, 7);
    }
}

/// K_ε = first K whose mean relative Jacobi residual over the 200 training states u¹ falls
/// below 1e-5 in f32: the paper's 25 (heat 1D) and 43 (heat 2D, with the reference code's
/// initial conditions; the paper's formula gives 44, its residual at 43 being 1.03e-5).
#[test]
fn heat_k_epsilon_matches_the_paper() {
    for (dim, reference_2d, paper) in [(1, false, 25), (2, true, 43), (2, false, 44)] {
        let config = HeatConfig::paper(dim);
        let ic = FourierSeries {
            reference_2d,
            ..FourierSeries::default()
        };
        let data = heat_dataset::<f32>(&config, &DataSpec::default(), &ic).unwrap();
        let inputs = data.train.states_at(1).unwrap();
        let heat = prdp_pde::Heat::<f32>::new(config).unwrap();
        let ke = k_epsilon(
            &heat,
            Method::Jacobi,
            &inputs,
            data.train.samples(),
            80,
            1e-5,
        )
        .unwrap();
        assert_eq!(
            ke.k,
            Some(paper),
            "heat {dim}D: mean residuals {:?}",
            &ke.mean_rel_residual[20..50]
        );
    }
}
