//! A map that keeps at most a fixed number of keys, so that what the report remembers about
//! values seen in events (hosts, URLs, oauth_problem values, clock differences) stays bounded
//! whatever the logs hold. It keeps the smallest keys: the kept set of a merge is then the
//! same whatever order parts are merged in, and every kept key's value is exact (a key among
//! the smallest of the whole is among the smallest of every part that saw it).
//!
//! A partial report (`scan --out`) carries these maps whole — cap, kept entries and the
//! count left out — so a merge of partial reports is the same merge as inside one scan.
//! [`entries`] is the serde form of maps whose keys are not strings (JSON object keys must
//! be): a list of `[key, value]` pairs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize, V: Serialize",
    deserialize = "K: Ord + Deserialize<'de>, V: Deserialize<'de>"
))]
pub struct BoundedMap<K, V> {
    #[serde(with = "entries")]
    map: BTreeMap<K, V>,
    cap: usize,
    /// Keys (with their values) left out because the map was full.
    dropped: u64,
}

impl<K: Ord + Clone, V: Default> BoundedMap<K, V> {
    pub fn new(cap: usize) -> Self {
        BoundedMap {
            map: BTreeMap::new(),
            cap: cap.max(1),
            dropped: 0,
        }
    }

    /// The value of `key`, inserted as default when there is room (or when `key` is smaller
    /// than the largest kept key, which is then dropped). `None`: the key is left out.
    pub fn entry(&mut self, key: K) -> Option<&mut V> {
        if self.map.len() >= self.cap && !self.map.contains_key(&key) {
            if self
                .map
                .last_key_value()
                .is_some_and(|(largest, _)| key > *largest)
            {
                self.dropped += 1;
                return None;
            }
            self.map.pop_last();
            self.dropped += 1;
        }
        Some(self.map.entry(key).or_default())
    }

    /// Adds `other` into `self`, combining the values of keys both hold with `combine`.
    pub fn merge(&mut self, other: BoundedMap<K, V>, mut combine: impl FnMut(&mut V, V)) {
        self.dropped += other.dropped;
        for (k, v) in other.map {
            if let Some(mine) = self.entry(k) {
                combine(mine, v);
            }
        }
    }

    pub fn map(&self) -> &BTreeMap<K, V> {
        &self.map
    }

    pub fn into_map(self) -> BTreeMap<K, V> {
        self.map
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// How many keys were left out.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl<K: Ord, V> BoundedMap<K, V> {
    /// Is this map within its cap (as a deserialised one must be)?
    pub fn is_within_cap(&self) -> bool {
        self.cap >= 1 && self.map.len() <= self.cap
    }

    /// The most keys the map keeps.
    pub fn cap(&self) -> usize {
        self.cap
    }
}

/// Serde form of a `BTreeMap` as a list of `[key, value]` pairs, for keys that are not
/// strings (tuples, numbers, enums).
pub mod entries {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Ord + Deserialize<'de>,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let pairs: Vec<(K, V)> = Vec::deserialize(d)?;
        Ok(pairs.into_iter().collect())
    }
}

/// Counts per key, bounded.
pub type BoundedCounts<K> = BoundedMap<K, u64>;

/// Adds one to `key`'s count, when it is kept.
pub fn count<K: Ord + Clone>(counts: &mut BoundedCounts<K>, key: K, n: u64) {
    if let Some(c) = counts.entry(key) {
        *c += n;
    }
}

/// Merges counts.
pub fn merge_counts<K: Ord + Clone>(into: &mut BoundedCounts<K>, other: BoundedCounts<K>) {
    into.merge(other, |a, b| *a += b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_smallest_keys_whatever_the_order() {
        let keys = [5u32, 1, 9, 3, 7, 2, 8];
        let mut forward: BoundedCounts<u32> = BoundedMap::new(3);
        for k in keys {
            count(&mut forward, k, 1);
        }
        let mut parts = Vec::new();
        for chunk in keys.chunks(2).rev() {
            let mut p: BoundedCounts<u32> = BoundedMap::new(3);
            for &k in chunk {
                count(&mut p, k, 1);
            }
            parts.push(p);
        }
        let mut merged: BoundedCounts<u32> = BoundedMap::new(3);
        for p in parts {
            merge_counts(&mut merged, p);
        }
        assert_eq!(forward.map(), merged.map());
        assert_eq!(forward.map().keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(forward.dropped(), 4);
        assert!(merged.dropped() > 0, "a merge that left keys out says so");
    }

    #[test]
    fn round_trips_through_json() {
        let mut a: BoundedCounts<(u8, String)> = BoundedMap::new(2);
        for k in [3u8, 1, 2] {
            count(&mut a, (k, "x".into()), u64::from(k));
        }
        let text = serde_json::to_string(&a).unwrap();
        let back: BoundedCounts<(u8, String)> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, a);
        assert!(back.is_within_cap());
        assert_eq!(back.dropped(), 1);
    }

    #[test]
    fn kept_counts_are_exact() {
        let mut a: BoundedCounts<&str> = BoundedMap::new(2);
        count(&mut a, "a", 3);
        count(&mut a, "z", 1);
        let mut b: BoundedCounts<&str> = BoundedMap::new(2);
        count(&mut b, "a", 2);
        count(&mut b, "b", 4);
        merge_counts(&mut a, b);
        assert_eq!(a.map().get("a"), Some(&5));
        assert_eq!(a.map().get("b"), Some(&4));
        assert!(!a.map().contains_key("z"));
    }
}
