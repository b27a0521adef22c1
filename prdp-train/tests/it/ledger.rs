//! The cost ledger and the savings split on hand-made numbers.

use prdp_train::{Ledger, savings};

/// The K of every update step of a hand-made PRDP run: 8 steps refined up to K = 16.
const PRDP_KS: [usize; 8] = [1, 1, 2, 4, 8, 16, 16, 16];

fn ledger_of(ks: &[usize]) -> Ledger {
    let mut ledger = Ledger::default();
    for &k in ks {
        ledger.add_step(k);
    }
    ledger
}

#[test]
fn the_cost_is_the_sum_of_k_over_update_steps() {
    let fixed = ledger_of(&[32; 8]);
    assert_eq!((fixed.update_steps, fixed.cost), (8, 256));
    let prdp = ledger_of(&PRDP_KS);
    assert_eq!((prdp.update_steps, prdp.cost), (8, 64));
    assert_eq!(ledger_of(&[]), Ledger::default());
}

#[test]
fn savings_split_into_incomplete_convergence_and_progressive_refinement() {
    // Against K_ε = 32 for the same 8 steps: total 1 − 64/256 = 3/4; running at the final
    // K = 16 from the start would have saved IC = 1 − 16/32 = 1/2; refining up to it saved the
    // rest, PR = 1/4. (All dyadic: exact in floating point.)
    let (prdp, fixed) = (ledger_of(&PRDP_KS), ledger_of(&[32; 8]));
    let s = savings(prdp.cost, fixed.cost, PRDP_KS[7], 32);
    assert_eq!((s.total, s.ic, s.pr), (0.75, 0.5, 0.25));
    // Ending at K_ε leaves no IC savings: everything is progressive refinement.
    let s = savings(48, 64, 8, 8);
    assert_eq!((s.total, s.ic, s.pr), (0.25, 0.0, 0.25));
    // A schedule costlier than the baseline has negative savings.
    let s = savings(80, 64, 4, 8);
    assert_eq!((s.total, s.ic, s.pr), (-0.25, 0.5, -0.75));
}
