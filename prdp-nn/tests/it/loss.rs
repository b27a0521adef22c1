//! Losses: values and gradients.

use prdp_nn::{Loss, NnError, mse, nmse};

use crate::common::{check_directional, vector};

#[test]
fn mse_and_nmse_values() {
    let pred = [1.0, 2.0, 3.0, 4.0];
    let target = [1.0, 0.0, 3.0, 0.0];
    assert_eq!(mse(&pred, &target, None).unwrap(), (4.0 + 16.0) / 4.0);
    // Sample 0: ‖(0, 2)‖² / ‖(1, 0)‖² = 4; sample 1: 16 / 9.
    let l: f64 = nmse(&pred, &target, 2, None).unwrap();
    assert!((l - (4.0 + 16.0 / 9.0) / 2.0).abs() < 1e-15);
    assert_eq!(Loss::Mse.eval(&pred, &target, 2, None).unwrap(), 5.0);
    assert_eq!(Loss::default(), Loss::Nmse);
}

#[test]
fn loss_gradients_match_central_differences() {
    let target = vector(1, 12);
    let pred = vector(2, 12);
    for loss in [Loss::Mse, Loss::Nmse] {
        let mut g = vec![0.0; 12];
        loss.eval(&pred, &target, 3, Some(&mut g)).unwrap();
        check_directional("loss gradient", &pred, &g, 5, 3, |p| {
            let l = loss.eval(p, &target, 3, None).unwrap();
            (l, l.abs())
        });
    }
}

#[test]
fn losses_reject_bad_input() {
    assert!(matches!(
        mse(&[1.0], &[1.0, 2.0], None),
        Err(NnError::Length { .. })
    ));
    assert!(mse::<f64>(&[], &[], None).is_err());
    let err = nmse(&[1.0, 1.0, 1.0, 1.0], &[1.0, 0.0, 0.0, 0.0], 2, None).unwrap_err();
    assert!(err.to_string().contains("sample 1"), "{err}");
    assert!(matches!(
        nmse(&[1.0; 5], &[1.0; 5], 2, None),
        Err(NnError::Length { .. })
    ));
    assert!(nmse(&[1.0; 4], &[1.0; 4], 2, Some(&mut [0.0; 3])).is_err());
}
