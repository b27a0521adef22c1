//! Every experiment `reproduce` knows, of both papers, in one list: an experiment's key is its
//! directory under `--out` (`heat2d` for PRDP's heat 2D, `neural-ivp/heat2d` for Neural IVP's),
//! which is also how `--only` names it.

use anyhow::{Result, bail};
use prdp_train::presets;

use crate::neural_ivp;

/// Which paper an experiment reproduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    /// The PRDP paper (`prdp_train::presets`).
    Prdp,
    /// The Neural IVP paper (`neural_ivp::presets`).
    NeuralIvp,
}

/// The prefix of the Neural IVP experiments' keys and the name of their target.
pub const NEURAL_IVP: &str = "neural-ivp";

/// One experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its paper.
    pub suite: Suite,
    /// Its name within the paper's experiments.
    pub name: &'static str,
}

impl Entry {
    /// Its key: the directory it writes under `--out`.
    pub fn key(&self) -> String {
        match self.suite {
            Suite::Prdp => self.name.to_owned(),
            Suite::NeuralIvp => format!("{NEURAL_IVP}/{}", self.name),
        }
    }
}

/// Every experiment: the PRDP paper's, then Neural IVP's, each in its preset order.
pub fn all() -> Vec<Entry> {
    let prdp = presets::NAMES.into_iter().map(|name| Entry {
        suite: Suite::Prdp,
        name,
    });
    let nivp = neural_ivp::experiment_names().map(|name| Entry {
        suite: Suite::NeuralIvp,
        name,
    });
    prdp.chain(nivp).collect()
}

/// The experiments `target` runs (`all`, `neural-ivp` or one experiment's key), narrowed to
/// those of `only` if it is not empty, in registry order. Within `neural-ivp`, `only` may name
/// the experiments without the `neural-ivp/` prefix.
///
/// # Errors
/// An unknown target, `only` with a single experiment, or a name in `only` that `target` does
/// not run (the message lists the names it does).
pub fn select(target: &str, only: &[String]) -> Result<Vec<Entry>> {
    let every = all();
    let in_target: Vec<Entry> = match target {
        "all" => every,
        NEURAL_IVP => every
            .into_iter()
            .filter(|e| e.suite == Suite::NeuralIvp)
            .collect(),
        key => match every.into_iter().find(|e| e.key() == key) {
            Some(e) if only.is_empty() => vec![e],
            Some(_) => bail!("--only picks experiments of all or {NEURAL_IVP}, not of {key}"),
            None => bail!("no experiment {key:?}"),
        },
    };
    let named = |e: &Entry, o: &str| {
        e.key() == o || (target == NEURAL_IVP && e.name == o && e.suite == Suite::NeuralIvp)
    };
    if let Some(bad) = only.iter().find(|o| !in_target.iter().any(|e| named(e, o))) {
        let keys: Vec<String> = in_target.iter().map(Entry::key).collect();
        bail!(
            "--only: {target} has no experiment {bad:?}; expected one of {}",
            keys.join(", ")
        );
    }
    Ok(in_target
        .into_iter()
        .filter(|e| only.is_empty() || only.iter().any(|o| named(e, o)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(target: &str, only: &[&str]) -> Result<Vec<String>> {
        let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
        Ok(select(target, &only)?.iter().map(Entry::key).collect())
    }

    #[test]
    fn one_list_of_both_papers_keyed_by_directory() {
        let every = all();
        assert_eq!(every.len(), 6 + neural_ivp::experiment_names().count());
        let mut unique: Vec<String> = every.iter().map(Entry::key).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), every.len(), "keys are unique");
        assert_eq!(keys("all", &[]).unwrap().len(), every.len());
        assert_eq!(keys("heat2d", &[]).unwrap(), ["heat2d"]);
        assert_eq!(
            keys("neural-ivp", &[]).unwrap().len(),
            neural_ivp::experiment_names().count()
        );
    }

    #[test]
    fn only_keeps_registry_order_and_names_what_exists() {
        assert_eq!(
            keys("all", &["neural-ivp/heat2d", "burgers", "heat1d"]).unwrap(),
            ["heat1d", "burgers", "neural-ivp/heat2d"]
        );
        assert_eq!(
            keys("neural-ivp", &["fokker_planck", "neural-ivp/vlasov6d"]).unwrap(),
            ["neural-ivp/vlasov6d", "neural-ivp/fokker_planck"]
        );
        let e = keys("all", &["heat4d"]).unwrap_err().to_string();
        assert!(e.contains("heat4d") && e.contains("navier-stokes"), "{e}");
        let e = keys("neural-ivp", &["heat1d"]).unwrap_err().to_string();
        assert!(
            e.contains("heat1d") && e.contains("neural-ivp/vlasov6d"),
            "{e}"
        );
        assert!(keys("heat2d", &["heat2d"]).is_err());
        assert!(keys("heat5d", &[]).is_err());
    }
}
