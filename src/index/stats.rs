//! index/stats.rs: how do corpus statistics grow and merge?
//!
//! Two forms of the same counts. Sorted `(key, count)` tables ([`crate::chrome::LineStats`], the
//! shingle document frequencies) are what a batch scan produces and a segment stores; [`merge`]
//! adds two of them, so the statistics of two shards whose story groups do not straddle them
//! merge into the statistics of their union (a property test checks it). [`LiveCounts`] is the
//! form that changes with every add and removal: for every key, the number of distinct story
//! groups holding it, kept exact under adds and removals by counting each `(key, group)` pair's
//! pages.
//!
//! Invariant: a count is always a number of distinct groups (pages of one story count once), so
//! a story copied onto any number of pages never makes its own text look like chrome.

use crate::chrome::LineStats;
use rustc_hash::FxHashMap as HashMap;

/// Add two sorted `(key, count)` tables: the counts of keys in both are summed (saturating).
pub fn merge(a: &[(u64, u32)], b: &[(u64, u32)]) -> Vec<(u64, u32)> {
    crate::sorted::merge_by_key(a, b, |e| e.0, |x, y| (x.0, x.1.saturating_add(y.1)))
}

/// The line statistics of two shards together (groups of one shard never hold pages of the
/// other).
pub fn merge_line_stats(a: &LineStats, b: &LineStats) -> LineStats {
    LineStats {
        pages: a.pages + b.pages,
        global: merge(&a.global, &b.global),
        per_site: merge(&a.per_site, &b.per_site),
    }
}

/// Distinct-group counts that follow adds and removals.
#[derive(Debug, Clone, Default)]
pub struct LiveCounts {
    /// Pages of each `(key, group)` pair.
    pages: HashMap<(u64, u32), u32>,
    /// Distinct groups per key.
    groups: HashMap<u64, u32>,
}

impl LiveCounts {
    /// Groups holding `key`.
    pub fn get(&self, key: u64) -> u32 {
        self.groups.get(&key).copied().unwrap_or(0)
    }

    /// A page of `group` holds `key`; `known` says the group was already counted for this key
    /// elsewhere (in the segment's statistics), so only its pages are tracked. Returns whether
    /// the group count of the key rose.
    pub fn add(&mut self, key: u64, group: u32, known: bool) -> bool {
        let n = self.pages.entry((key, group)).or_insert(0);
        *n += 1;
        if *n == 1 && !known {
            *self.groups.entry(key).or_insert(0) += 1;
            return true;
        }
        false
    }

    /// A page of `group` holding `key` is gone (the same `known` as when it was added). Returns
    /// whether the group count of the key fell.
    pub fn remove(&mut self, key: u64, group: u32, known: bool) -> bool {
        let Some(n) = self.pages.get_mut(&(key, group)) else {
            return false;
        };
        *n -= 1;
        if *n > 0 {
            return false;
        }
        self.pages.remove(&(key, group));
        if known {
            return false;
        }
        if let Some(g) = self.groups.get_mut(&key) {
            *g -= 1;
            if *g == 0 {
                self.groups.remove(&key);
            }
        }
        true
    }

    /// The group counts as a sorted `(key, groups)` table (what a segment stores).
    pub fn table(&self) -> Vec<(u64, u32)> {
        let mut t: Vec<(u64, u32)> = self.groups.iter().map(|(&k, &g)| (k, g)).collect();
        t.sort_unstable();
        t
    }

    /// Number of distinct keys counted.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether nothing is counted.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chrome::site_hash;
    use crate::normalize::{units, Line, Units, UnspacedScripts};
    use proptest::prelude::*;

    fn stats(pages: &[(u64, Units)], groups: &[u32]) -> LineStats {
        let refs: Vec<(u64, &[Line])> = pages
            .iter()
            .map(|(s, u)| (*s, u.lines.as_slice()))
            .collect();
        LineStats::build_grouped(&refs, groups)
    }

    proptest! {
        /// Merging the statistics of two shards equals the statistics of their union, whenever
        /// every story group lies in one shard.
        #[test]
        fn merged_shards_equal_the_union(
            pages in prop::collection::vec((0u8..3, 0u8..4, prop::collection::vec(0u8..6, 1..6)), 0..24),
            split in any::<u64>(),
        ) {
            let corpus: Vec<(u64, Units, u32)> = pages
                .iter()
                .map(|(site, group, lines)| {
                    let text: Vec<String> = lines.iter().map(|l| format!("line number {l} of the page")).collect();
                    (site_hash(Some(&format!("s{site}.example"))), units(&text.join("\n"), UnspacedScripts::Characters), u32::from(*group))
                })
                .collect();
            // Groups go to a shard as a whole.
            let in_a = |g: u32| split >> (g % 64) & 1 == 1;
            let part = |a: bool| -> (Vec<(u64, Units)>, Vec<u32>) {
                corpus.iter().filter(|(_, _, g)| in_a(*g) == a).map(|(s, u, g)| ((*s, u.clone()), *g)).unzip()
            };
            let (pa, ga) = part(true);
            let (pb, gb) = part(false);
            let all: (Vec<(u64, Units)>, Vec<u32>) = corpus.iter().map(|(s, u, g)| ((*s, u.clone()), *g)).unzip();
            prop_assert_eq!(merge_line_stats(&stats(&pa, &ga), &stats(&pb, &gb)), stats(&all.0, &all.1));
        }

        /// Live counts after any sequence of adds and removals equal counts built from scratch.
        #[test]
        fn live_counts_follow_adds_and_removals(ops in prop::collection::vec((any::<bool>(), 0u64..5, 0u32..4), 0..60)) {
            let mut live = LiveCounts::default();
            let mut held: Vec<(u64, u32)> = Vec::new();
            for (add, key, group) in ops {
                if add {
                    live.add(key, group, false);
                    held.push((key, group));
                } else if let Some(i) = held.iter().position(|&p| p == (key, group)) {
                    held.swap_remove(i);
                    live.remove(key, group, false);
                }
            }
            for key in 0..5u64 {
                let mut g: Vec<u32> = held.iter().filter(|p| p.0 == key).map(|p| p.1).collect();
                g.sort_unstable();
                g.dedup();
                prop_assert_eq!(live.get(key), g.len() as u32);
            }
        }
    }

    #[test]
    fn merge_adds_counts_of_shared_keys() {
        assert_eq!(
            merge(&[(1, 2), (5, 1)], &[(1, 1), (3, 4), (9, 1)]),
            vec![(1, 3), (3, 4), (5, 1), (9, 1)]
        );
        assert_eq!(merge(&[(1, u32::MAX)], &[(1, 1)]), vec![(1, u32::MAX)]);
    }
}
