//! `cargo xtask reproduce heat1d --quick --seeds 1` end to end: it runs, writes its outputs,
//! and its summary shows PRDP savings.

use std::process::Command;

#[test]
fn heat1d_quick_reproduction_writes_a_summary_with_savings() {
    let out = std::env::temp_dir().join(format!("prdp-xtask-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "reproduce",
            "heat1d",
            "--quick",
            "--seeds",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .status()
        .expect("xtask runs");
    assert!(status.success());
    let dir = out.join("heat1d");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    for key in [
        "experiment",
        "seeds",
        "k_eps",
        "k_max",
        "cost_baseline",
        "cost_prdp",
        "savings_total",
        "savings_pr",
        "savings_ic",
        "val_baseline_mean",
        "val_baseline_std",
        "val_prdp_mean",
        "val_prdp_std",
        "wall_baseline_s",
        "wall_prdp_s",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["k_eps"], 25);
    let total = summary["savings_total"].as_f64().unwrap();
    assert!(total > 0.0 && total < 1.0, "savings_total = {total}");
    for f in [
        "table.md",
        "validation.png",
        "k_schedule.png",
        "cost.png",
        "runs/PRDP/seed1/record.json",
    ] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    std::fs::remove_dir_all(&out).unwrap();
}
