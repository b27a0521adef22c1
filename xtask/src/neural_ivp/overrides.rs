//! `--set KEY=VALUE`: changes applied to every Neural IVP configuration of a reproduction, for
//! control runs that change one setting and keep everything else.

use anyhow::{Context, Result, bail};
use neural_ivp::NeuralIvpConfig;
use serde_json::Value;

/// Dotted keys of [`NeuralIvpConfig`] with their new values.
#[derive(Clone, Debug, Default)]
pub(crate) struct Overrides(Vec<(String, Value)>);

impl Overrides {
    /// Parses `KEY=VALUE` arguments; the value is read as JSON, or else taken as a string.
    ///
    /// # Errors
    /// An argument without `=` or with an empty key.
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut out = Vec::new();
        for arg in args {
            let Some((key, value)) = arg.split_once('=') else {
                bail!("--set {arg}: expected KEY=VALUE, e.g. restart.init=warm");
            };
            if key.is_empty() || key.split('.').any(str::is_empty) {
                bail!("--set {arg}: empty key segment");
            }
            let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
            out.push((key.to_string(), value));
        }
        Ok(Self(out))
    }

    /// Whether there are no overrides.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `cfg` with every override applied, validated.
    ///
    /// # Errors
    /// A key that is not in the configuration, a value of the wrong type, or a configuration
    /// that fails validation, each naming the key.
    pub fn apply(&self, cfg: NeuralIvpConfig) -> Result<NeuralIvpConfig> {
        if self.0.is_empty() {
            return Ok(cfg);
        }
        let mut tree = serde_json::to_value(&cfg)?;
        for (key, value) in &self.0 {
            let mut node = &mut tree;
            for seg in key.split('.') {
                node = node
                    .as_object_mut()
                    .and_then(|o| o.get_mut(seg))
                    .with_context(|| {
                        format!("--set {key}: no key `{seg}` in the Neural IVP configuration")
                    })?;
            }
            *node = value.clone();
        }
        let out: NeuralIvpConfig = serde_json::from_value(tree)
            .with_context(|| format!("--set {}: a value does not fit its key", self.describe()))?;
        out.validate()
            .with_context(|| format!("--set {}", self.describe()))?;
        Ok(out)
    }

    /// The overrides as `key=value, …`.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neural_ivp::{RefitInit, Trunks};

    #[test]
    fn overrides_change_one_key_and_reject_unknown_ones() {
        let set = Overrides::parse(&[
            "restart.init=warm".into(),
            "network.trunks=shared".into(),
            "solver.mu=1e-8".into(),
        ])
        .unwrap();
        let cfg = set.apply(NeuralIvpConfig::default()).unwrap();
        assert_eq!(cfg.restart.init, RefitInit::Warm);
        assert_eq!(cfg.network.trunks, Trunks::Shared);
        assert_eq!(cfg.solver.mu, 1e-8);
        assert_eq!(cfg.points, NeuralIvpConfig::default().points);
        let typo = Overrides::parse(&["solver.muu=1".into()]).unwrap();
        let err = format!("{:#}", typo.apply(NeuralIvpConfig::default()).unwrap_err());
        assert!(err.contains("muu"), "{err}");
        let bad = Overrides::parse(&["restart.init=sideways".into()]).unwrap();
        assert!(bad.apply(NeuralIvpConfig::default()).is_err());
        assert!(Overrides::parse(&["points".into()]).is_err());
    }
}
