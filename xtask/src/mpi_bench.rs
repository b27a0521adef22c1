//! The README's MPI timing table, generated from the raw times in `results/mpi/bench.log`
//! (written by `results/mpi/bench.sh`), so that the table and its data cannot drift apart.
//!
//! Log lines are `<experiment> <variant> e<a> <seconds> e<b> <seconds>` (the wall time after a
//! and after b epochs; the per-epoch time is their difference over b − a) or
//! `fanout <what> <variant> <seconds>`; `#` lines open a sitting. A later line replaces an
//! earlier one with the same key, so the table shows the latest sitting of each figure.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// A figure and the sitting (0-based) it comes from.
type Figure = (f64, usize);

/// The parsed log: figures by `"<experiment> <variant>"`, and the number of sittings.
struct Log {
    figures: BTreeMap<String, Figure>,
    sittings: usize,
}

fn parse(text: &str) -> Result<Log> {
    let mut figures = BTreeMap::new();
    let mut sittings: usize = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            sittings += 1;
            continue;
        }
        let sitting = sittings.saturating_sub(1);
        let f: Vec<&str> = line.split_whitespace().collect();
        let num = |s: &str| -> Result<f64> {
            s.parse()
                .with_context(|| format!("bench.log line {}: `{s}` is not a number", i + 1))
        };
        let epochs = |s: &str| -> Result<f64> {
            num(s.strip_prefix('e').with_context(|| {
                format!("bench.log line {}: `{s}` is not an epoch count", i + 1)
            })?)
        };
        let value = match f.as_slice() {
            ["fanout", what, variant, t] => {
                figures.insert(format!("fanout {what} {variant}"), (num(t)?, sitting));
                continue;
            }
            [_, _, a, ta, b, tb] => (num(tb)? - num(ta)?) / (epochs(b)? - epochs(a)?),
            _ => bail!("bench.log line {}: unrecognised `{line}`", i + 1),
        };
        figures.insert(format!("{} {}", f[0], f[1]), (value, sitting));
    }
    Ok(Log { figures, sittings })
}

impl Log {
    fn get(&self, key: &str) -> Result<Figure> {
        self.figures
            .get(key)
            .copied()
            .with_context(|| format!("results/mpi/bench.log has no `{key}`"))
    }

    /// " (earlier sitting)" unless `sitting` is the latest.
    fn earlier(&self, sitting: usize) -> &'static str {
        if sitting + 1 < self.sittings {
            " (earlier sitting)"
        } else {
            ""
        }
    }
}

/// The table from the log text.
///
/// # Errors
/// A malformed line or a missing figure.
pub fn table_from(text: &str) -> Result<String> {
    let log = parse(text)?;
    let mut out = String::from(
        "| work | 1 process × 2 threads | `mpirun -np 2`, 1 thread per rank |\n|---|---|---|\n",
    );
    for (exp, label) in [
        ("heat2d", "heat 2D MLP (23.4 M parameters)"),
        ("heat3d", "heat 3D ResNet (0.33 M parameters)"),
    ] {
        let (one, s1) = log.get(&format!("{exp} single-b1"))?;
        let (two, s2) = log.get(&format!("{exp} single-b2"))?;
        let (ranks, s3) = log.get(&format!("{exp} np2-b2"))?;
        out += &format!(
            "| {label}, epoch, G = 1{} | {one:.2} s | — |\n",
            log.earlier(s1)
        );
        out += &format!(
            "| {label}, epoch, G = 2{} | {two:.2} s | {ranks:.2} s ({:.2}× the speed of the G = 1 process) |\n",
            log.earlier(s2.min(s3)),
            one / ranks
        );
    }
    let (single, s1) = log.get("fanout heat1d-quick-2seeds single")?;
    let (np2, s2) = log.get("fanout heat1d-quick-2seeds np2")?;
    out += &format!(
        "| fan-out: `reproduce heat1d --quick --seeds 2`{} | {single:.2} s | {np2:.2} s |\n",
        log.earlier(s1.min(s2))
    );
    Ok(out)
}

/// The table from `results/mpi/bench.log`.
///
/// # Errors
/// As [`table_from`], and a missing log.
pub fn table(results: &Path) -> Result<String> {
    let path = results.join("mpi").join("bench.log");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    table_from(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "# first\nheat2d single-b1 e1 5 e3 11\nheat2d single-b2 e1 6 e3 13\n\
heat2d np2-b2 e1 7 e3 15\nheat3d single-b1 e1 39 e2 79\nheat3d single-b2 e1 61 e2 115\n\
heat3d np2-b2 e1 34 e2 67\nfanout heat1d-quick-2seeds single 1.5\nfanout heat1d-quick-2seeds np2 1.6\n\
# second\nheat3d single-b1 e1 35 e2 73\nheat3d np2-b2 e1 36 e2 66\n";

    #[test]
    fn per_epoch_times_of_the_latest_sitting() {
        let t = table_from(LOG).unwrap();
        // heat 2D (first sitting only): (11 − 5) / 2 = 3 s per epoch, marked as earlier.
        assert!(
            t.contains("heat 2D MLP (23.4 M parameters), epoch, G = 1 (earlier sitting) | 3.00 s"),
            "{t}"
        );
        // heat 3D G = 1 from the second sitting: 73 − 35 = 38 s; on ranks 30 s; 38/30.
        assert!(
            t.contains("heat 3D ResNet (0.33 M parameters), epoch, G = 1 | 38.00 s"),
            "{t}"
        );
        assert!(
            t.contains("| 30.00 s (1.27× the speed of the G = 1 process)"),
            "{t}"
        );
        // single-b2 only in the first sitting: the G = 2 row is marked.
        assert!(
            t.contains("epoch, G = 2 (earlier sitting) | 54.00 s"),
            "{t}"
        );
        assert!(t.contains("(earlier sitting) | 1.50 s | 1.60 s |"), "{t}");
    }

    #[test]
    fn malformed_lines_and_missing_figures_are_errors() {
        let e = table_from("heat2d single-b1 e1 five e3 11\n").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        let e = table_from("heat2d single-b1 e1 5 e3 11\n").unwrap_err();
        assert!(e.to_string().contains("single-b2"), "{e}");
    }
}
