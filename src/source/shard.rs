//! Shard selection for fleets scanned by many independent workers (`scan --shard I/N`): each
//! input goes to one shard by a key every machine computes alike: its node (the host folder
//! of a fleet share, or the node a support zip records) when it has one, so a host's logs
//! stay together, else its path relative to the path the user gave (for an archive member,
//! the archive's: an archive is never split). The key is hashed with FNV-1a 64, a fixed
//! function whose value does not depend on the machine, the Rust version or the run. Whole
//! inputs are shared out, so a big file is never split across shards (within a shard it is
//! still cut into chunks scanned in parallel).
//!
//! `--shard auto` reads the index and count from the engine running the shard:
//! Kubernetes Indexed Jobs (`JOB_COMPLETION_INDEX`, with `--shards N` or `JOB_COMPLETIONS`
//! — Kubernetes does not set the count itself, the manifest passes it) and Slurm job arrays
//! (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN`, and `SLURM_ARRAY_TASK_COUNT`).

use super::Found;

/// One shard: index `index` (from 0) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// FNV-1a, 64 bits: a stable hash (the same on every machine and in every version).
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Shard {
    /// `I/N` with `0 <= I < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "--shard: `{text}` is not I/N (shard I of N, counted from 0: 0/4, 1/4, 2/4, 3/4) nor `auto`"
            )
        };
        let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Shard::new(index, count).map_err(|e| format!("--shard {text}: {e}"))
    }

    fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard index {index} is not below the number of shards {count} (indexes count from 0)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard the engine's environment names (`--shard auto`); `shards` is `--shards`.
    /// `env` looks a variable up (the process environment, or a test's).
    pub fn from_env(
        shards: Option<u64>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Shard, String> {
        let num = |name: &str| -> Result<Option<u64>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("--shard auto: {name}=`{v}` is not a number")),
            }
        };
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = match shards {
                Some(n) => n,
                None => num("JOB_COMPLETIONS")?.ok_or(
                    "--shard auto: JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but not the number of shards: pass --shards N (the Job's completions) or set JOB_COMPLETIONS",
                )?,
            };
            return Shard::new(index, count).map_err(|e| format!("--shard auto: {e}"));
        }
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id.checked_sub(min).ok_or_else(|| {
                format!(
                    "--shard auto: SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"
                )
            })?;
            let count = match shards {
                Some(n) => n,
                None => num("SLURM_ARRAY_TASK_COUNT")?
                    .ok_or("--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: pass --shards N")?,
            };
            return Shard::new(index, count).map_err(|e| format!("--shard auto: {e}"));
        }
        Err("--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set: pass --shard I/N".into())
    }

    /// The shard key of an input: its node, else `relative` (its path relative to what the
    /// user gave; the archive's for a member).
    pub fn key(found: &Found, relative: &str) -> String {
        match &found.input.node {
            Some(node) => format!("node:{node}"),
            None => format!("path:{relative}"),
        }
    }

    /// Does the input with this key belong to this shard?
    pub fn owns(&self, key: &str) -> bool {
        stable_hash(key.as_bytes()) % self.count == self.index
    }

    /// This shard's inputs, in their order; `relative` holds each input's relative path.
    pub fn select(&self, inputs: Vec<Found>, relative: &[String]) -> Vec<Found> {
        inputs
            .into_iter()
            .enumerate()
            .filter(|(i, f)| {
                let rel = relative
                    .get(*i)
                    .map_or(f.input.display.as_str(), String::as_str);
                self.owns(&Shard::key(f, rel))
            })
            .map(|(_, f)| f)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(Shard::parse("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert!(Shard::parse("4/4").unwrap_err().contains("not below"));
        assert!(Shard::parse("0/0").is_err());
        assert!(Shard::parse("x").is_err());
        assert_eq!(Shard { index: 2, count: 3 }.to_string(), "2/3");
    }

    #[test]
    fn hash_is_fixed() {
        // FNV-1a 64 test vectors.
        assert_eq!(stable_hash(b""), 0xcbf29ce484222325);
        assert_eq!(stable_hash(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(stable_hash(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn every_key_has_exactly_one_shard() {
        for n in 1..6 {
            for k in 0..50 {
                let key = format!("node:host{k}");
                let owners = (0..n)
                    .filter(|&i| Shard { index: i, count: n }.owns(&key))
                    .count();
                assert_eq!(owners, 1);
            }
        }
    }

    #[test]
    fn engines_environments() {
        let env = |vars: &[(&str, &str)]| {
            let m: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |k: &str| m.get(k).cloned()
        };
        let k8s = env(&[("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(
            Shard::from_env(Some(4), &k8s),
            Ok(Shard { index: 2, count: 4 })
        );
        assert!(
            Shard::from_env(None, &k8s)
                .unwrap_err()
                .contains("--shards")
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "3")]);
        assert_eq!(
            Shard::from_env(None, &k8s),
            Ok(Shard { index: 1, count: 3 })
        );
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ]);
        assert_eq!(
            Shard::from_env(None, &slurm),
            Ok(Shard { index: 4, count: 8 })
        );
        assert!(Shard::from_env(None, &env(&[])).is_err());
        assert!(
            Shard::from_env(None, &env(&[("SLURM_ARRAY_TASK_ID", "x")]))
                .unwrap_err()
                .contains("not a number")
        );
    }
}
