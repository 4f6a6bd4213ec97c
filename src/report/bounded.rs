//! A map that keeps at most a fixed number of keys, so that what the report remembers about
//! values seen in events (hosts, URLs, oauth_problem values, clock differences) stays bounded
//! whatever the logs hold. It keeps the smallest keys: the kept set of a merge is then the
//! same whatever order parts are merged in, and every kept key's value is exact (a key among
//! the smallest of the whole is among the smallest of every part that saw it).

use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedMap<K, V> {
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
        if !self.map.contains_key(&key) {
            if self.map.len() >= self.cap {
                let largest = self.map.keys().next_back().cloned()?;
                if key > largest {
                    self.dropped += 1;
                    return None;
                }
                self.map.remove(&largest);
                self.dropped += 1;
            }
            self.map.insert(key.clone(), V::default());
        }
        self.map.get_mut(&key)
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

impl<K: Serialize, V: Serialize> Serialize for BoundedMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(s)
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
