//! Finished runs of an experiment kept on disk: a killed reproduction resumes after its last
//! finished run instead of at the start of the experiment (a medium experiment holds several
//! runs of up to half an hour each). Parts are TOML, which keeps NaN (a series' "not measured")
//! and every f64 exactly; JSON would turn NaN into null.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Ctx;

/// A finished part on disk, with what identifies its inputs.
#[derive(Serialize, serde::Deserialize)]
struct Part<V> {
    key: String,
    value: V,
}

impl Ctx {
    /// The result of the part `name` of the experiment in `dir`: read back from
    /// `dir/parts/<name>.toml` if an earlier run finished it with the same inputs (the preset,
    /// with its overrides, and `inputs`, e.g. the run's configuration), else computed and
    /// saved.
    ///
    /// # Errors
    /// `compute`'s error; writing the part.
    pub fn part<V: Serialize + DeserializeOwned>(
        &self,
        dir: &Path,
        name: &str,
        inputs: &str,
        compute: impl FnOnce() -> Result<V>,
    ) -> Result<V> {
        let key = format!("{:?} | {inputs}", self.preset);
        let file: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = dir.join("parts").join(format!("{file}.toml"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            match toml::from_str::<Part<V>>(&text) {
                Ok(part) if part.key == key => {
                    self.log
                        .say(&format!("  {name}: finished earlier, read back"));
                    return Ok(part.value);
                }
                Ok(_) => self.log.say(&format!(
                    "  {name}: the finished run on disk had other inputs; running again"
                )),
                Err(e) => self.log.say(&format!(
                    "  {name}: {} unreadable ({e}); running again",
                    path.display()
                )),
            }
        }
        let value = compute()?;
        let part = Part { key, value };
        if let Err(e) = save(&path, &part) {
            self.log.say(&format!(
                "  {name}: could not keep the finished run ({e:#}); a rerun will repeat it"
            ));
        }
        let value = part.value;
        Ok(value)
    }
}

/// Writes `part` to `path` through a temporary file.
fn save<V: Serialize>(path: &Path, part: &Part<V>) -> Result<()> {
    let parent = path.parent().expect("parts/ is a directory");
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, toml::to_string(part)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::Size;
    use crate::neural_ivp::presets::Preset;

    /// A part is computed once per inputs and read back afterwards; other inputs recompute it,
    /// and the same inputs again are read back.
    #[test]
    fn a_part_is_computed_once_per_inputs() {
        let dir = std::env::temp_dir().join(format!("prdp-parts-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ctx = Ctx::for_tests(&dir, Preset::new(Size::Medium));
        let calls = Cell::new(0);
        let compute = || -> Result<Vec<f64>> {
            calls.set(calls.get() + 1);
            Ok(vec![0.1, 1.0 / 3.0])
        };
        for _ in 0..2 {
            let v = ctx
                .part(&dir, "Neural IVP, shared trunk", "cfg A", compute)
                .unwrap();
            assert_eq!(v, vec![0.1, 1.0 / 3.0]);
        }
        assert_eq!(calls.get(), 1);
        ctx.part(&dir, "Neural IVP, shared trunk", "cfg B", compute)
            .unwrap();
        assert_eq!(calls.get(), 2);
        ctx.part(&dir, "Neural IVP, shared trunk", "cfg B", compute)
            .unwrap();
        assert_eq!(calls.get(), 2);
    }
}
