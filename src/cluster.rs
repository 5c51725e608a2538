//! cluster.rs: which documents tell the same story?
//!
//! Union-find over verified pairs, strongest pairs first, with a guard against chaining: two
//! groups merge only when more than half of the pairs between them (a deterministic sample of at
//! most [`ClusterConfig::guard_sample`] members per side) pass verification themselves. A page
//! that carries two stories links to both, but the members of one story do not pass against the
//! other's, so the page joins one story and the stories stay apart; boilerplate shared by two
//! otherwise different pages is stopped the same way.
//!
//! Invariant: the result depends only on the edges and the verdicts, never on thread count or
//! hash order: edges are processed in a total order and clusters are sorted.

use crate::verify::Similarity;

/// A verified pair of documents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// Smaller document index.
    pub a: u32,
    /// Larger document index.
    pub b: u32,
    /// Exact similarity of the two.
    pub sim: Similarity,
}

impl Edge {
    /// How strongly the pair is linked: the better of Jaccard and smaller-side containment.
    pub fn strength(&self) -> f64 {
        self.sim.jaccard.max(self.sim.overlap())
    }
}

/// Clustering settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ClusterConfig {
    /// Check cross pairs before merging two groups (off: plain connected components).
    pub guard: bool,
    /// Members per side sampled by the guard.
    pub guard_sample: usize,
    /// The guard's cross pairs pass at this share of the match thresholds: members of one story
    /// (a cut copy and a copy missing a paragraph) may overlap less with each other than with
    /// the origin, while members of different stories hardly overlap at all.
    pub guard_factor: f64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            guard: true,
            guard_sample: 8,
            guard_factor: 0.5,
        }
    }
}

struct UnionFind {
    parent: Vec<u32>,
    /// Members of each root, sorted; empty for a root that is still alone (no allocation per
    /// document: most documents of a large corpus never join a story).
    members: Vec<Vec<u32>>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            members: vec![Vec::new(); n],
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// The sorted members of root `r`.
    fn group(&self, r: u32) -> &[u32] {
        let m = &self.members[r as usize];
        if m.is_empty() {
            // A root is its own parent: the one-element slice of itself.
            std::slice::from_ref(&self.parent[r as usize])
        } else {
            m
        }
    }

    fn union(&mut self, a: u32, b: u32) {
        let (big, small) = if self.group(a).len() >= self.group(b).len() {
            (a, b)
        } else {
            (b, a)
        };
        // Disjoint groups: a plain merge of two sorted lists, no sort.
        let merged =
            crate::sorted::merge_by_key(self.group(big), self.group(small), |&x| x, |x, _| x);
        self.parent[small as usize] = big;
        self.members[small as usize] = Vec::new();
        self.members[big as usize] = merged;
    }
}

/// Evenly spaced sample of at most `k` members (all of them when there are few).
fn sample(members: &[u32], k: usize) -> impl Iterator<Item = u32> + '_ {
    let step = members.len().div_ceil(k.max(1)).max(1);
    members.iter().step_by(step).copied()
}

/// Group `n` documents by `edges`. `passes(a, b)` says whether two documents match on their own
/// (the verifier's verdict); the guard calls it for cross pairs. `within(a, b)` says whether
/// `a`'s content is mostly found in `b` (an excerpt of it). Returns clusters of two or more
/// documents, each sorted ascending, ordered by size (largest first) then first member.
///
/// Excerpts: a single page that is an excerpt of the member it links to (a lead, a passage)
/// shares nothing with the story's *other* excerpts (a lead and a middle passage are disjoint),
/// so for it a cross pair also passes when the other member is itself an excerpt of that same
/// member: both are parts of one text. A roundup quoting several stories is no excerpt of any
/// of them, so it still needs the guard's majority.
pub fn cluster(
    n: usize,
    edges: &[Edge],
    cfg: &ClusterConfig,
    passes: impl Fn(u32, u32) -> bool,
    within: impl Fn(u32, u32) -> bool,
) -> Vec<Vec<u32>> {
    let mut order: Vec<&Edge> = edges.iter().collect();
    order.sort_by(|x, y| {
        y.strength()
            .total_cmp(&x.strength())
            .then(y.sim.jaccard.total_cmp(&x.sim.jaccard))
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    let mut uf = UnionFind::new(n);
    for e in order {
        let (ra, rb) = (uf.find(e.a), uf.find(e.b));
        if ra == rb {
            continue;
        }
        let (ma, mb) = (uf.group(ra), uf.group(rb));
        // A single page that is an excerpt of the edge's other end (the hub).
        let excerpt = match (ma.len(), mb.len()) {
            (1, n) if n > 1 && within(e.a, e.b) => Some((e.a, e.b)),
            (n, 1) if n > 1 && within(e.b, e.a) => Some((e.b, e.a)),
            _ => None,
        };
        let ok = if !cfg.guard || (ma.len() == 1 && mb.len() == 1) {
            true
        } else {
            let (mut pass, mut total) = (0usize, 0usize);
            for x in sample(ma, cfg.guard_sample) {
                for y in sample(mb, cfg.guard_sample) {
                    total += 1;
                    let part_of_hub = excerpt.is_some_and(|(page, hub)| {
                        let other = if x == page { y } else { x };
                        other == hub || within(other, hub)
                    });
                    pass += usize::from(part_of_hub || passes(x, y));
                }
            }
            pass * 2 > total
        };
        if ok {
            uf.union(ra, rb);
        }
    }
    let mut out: Vec<Vec<u32>> = uf.members.into_iter().filter(|m| m.len() >= 2).collect();
    out.sort_by(|x, y| y.len().cmp(&x.len()).then(x[0].cmp(&y[0])));
    out
}

/// The stories of a set of verified pairs by the batch scan's guarded clustering: the one rule
/// the batch scan, the live index and its segments share. `edges` must hold each pair once with `a < b`.
pub(crate) fn guarded_stories<'s>(
    n: usize,
    edges: &mut [Edge],
    cfg: &crate::pipeline::ScanConfig,
    set: impl Fn(u32) -> &'s [u64],
    near_empty: impl Fn(u32) -> bool,
) -> Vec<Vec<u32>> {
    edges.sort_by_key(|e| (e.a, e.b));
    let f = cfg.cluster.guard_factor;
    // The guard asks about the same pairs again and again as a story grows (its sample of
    // members shifts by one page at a time), and many of them are verified pairs whose
    // similarity is already known: a verified pair is looked up in the sorted edges, and any
    // other pair is computed once and remembered. Same numbers, same verdicts. (A hash map of
    // every edge cost about 75 bytes per verified pair: 550 MB for the 7.4 million pairs of a
    // million pages.)
    let edges: &[Edge] = edges;
    let computed: std::cell::RefCell<rustc_hash::FxHashMap<(u32, u32), Similarity>> =
        Default::default();
    let sim = |a: u32, b: u32| {
        let key = (a.min(b), a.max(b));
        let s = match edges.binary_search_by_key(&key, |e| (e.a, e.b)) {
            Ok(i) => edges[i].sim,
            Err(_) => *computed
                .borrow_mut()
                .entry(key)
                .or_insert_with(|| crate::verify::similarity(set(key.0), set(key.1))),
        };
        if a <= b {
            s
        } else {
            s.swapped()
        }
    };
    let passes = |a: u32, b: u32| {
        let s: Similarity = sim(a, b);
        !near_empty(a)
            && !near_empty(b)
            && (s.jaccard >= cfg.threshold * f || s.overlap() >= cfg.containment * f)
    };
    let within = |a: u32, b: u32| !near_empty(a) && sim(a, b).containment_a >= cfg.containment;
    cluster(n, edges, &cfg.cluster, passes, within)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e(a: u32, b: u32, s: f64) -> Edge {
        Edge {
            a,
            b,
            sim: Similarity {
                jaccard: s,
                containment_a: s,
                containment_b: s,
            },
        }
    }

    #[test]
    fn page_with_two_stories_does_not_glue_them() {
        // 0,1 = story X; 2,3 = story Y; 4 = a page carrying both.
        let edges = [
            e(0, 1, 0.9),
            e(2, 3, 0.9),
            e(0, 4, 0.8),
            e(1, 4, 0.8),
            e(2, 4, 0.7),
            e(3, 4, 0.7),
        ];
        let matches = |a: u32, b: u32| {
            let story = |d: u32| {
                if d < 2 {
                    1
                } else if d < 4 {
                    2
                } else {
                    3
                }
            };
            story(a) == story(b) || a == 4 || b == 4
        };
        let c = cluster(5, &edges, &ClusterConfig::default(), matches, |_, _| false);
        assert_eq!(c, vec![vec![0, 1, 4], vec![2, 3]]);
        let plain = cluster(
            5,
            &edges,
            &ClusterConfig {
                guard: false,
                ..ClusterConfig::default()
            },
            matches,
            |_, _| false,
        );
        assert_eq!(plain, vec![vec![0, 1, 2, 3, 4]]);
    }

    #[test]
    fn excerpts_of_one_story_join_through_it_and_a_roundup_does_not() {
        // 0 = a long story; 1 and 2 = two passages of it, 3 = its lead: excerpts of 0 that share
        // nothing with each other. 4 = a roundup quoting the lead among other stories: the lead
        // is within it, but it is no excerpt of anything.
        let edges = [e(0, 1, 0.9), e(0, 2, 0.88), e(0, 3, 0.85), e(3, 4, 0.7)];
        let matches = |a: u32, b: u32| {
            let (x, y) = (a.min(b), a.max(b));
            x == 0 && y != 4 || (x, y) == (3, 4)
        };
        let within = |a: u32, b: u32| (1..=3).contains(&a) && b == 0 || (a, b) == (3, 4);
        let c = cluster(5, &edges, &ClusterConfig::default(), matches, within);
        assert_eq!(c, vec![vec![0, 1, 2, 3]]);
        // Without the excerpt rule the second passage fails against the first and the lead
        // against the passage: they stay out, and the lead pairs with the roundup.
        let c = cluster(5, &edges, &ClusterConfig::default(), matches, |_, _| false);
        assert_eq!(c, vec![vec![0, 1], vec![3, 4]]);
    }

    proptest! {
        // Union-find invariants: clusters are disjoint, sorted, each connected by the edges; and
        // without the guard they are exactly the connected components.
        #[test]
        fn union_find_invariants(n in 2usize..40, raw in proptest::collection::vec((0u32..40, 0u32..40, 0.0f64..1.0), 0..80), guard in any::<bool>()) {
            let edges: Vec<Edge> = raw.iter().filter(|(a, b, _)| (*a as usize) < n && (*b as usize) < n && a != b)
                .map(|&(a, b, s)| e(a.min(b), a.max(b), s)).collect();
            let cfg = ClusterConfig { guard, guard_sample: 4, guard_factor: 1.0 };
            let verdict = |a: u32, b: u32| !(a + b).is_multiple_of(3);
            let c = cluster(n, &edges, &cfg, verdict, |_, _| false);
            let mut seen = vec![false; n];
            for m in &c {
                prop_assert!(m.len() >= 2);
                prop_assert!(m.windows(2).all(|w| w[0] < w[1]));
                for &d in m { prop_assert!(!seen[d as usize]); seen[d as usize] = true; }
                // Connected by edges inside the cluster.
                let mut reach = vec![m[0]];
                let mut i = 0;
                while i < reach.len() {
                    let x = reach[i];
                    for ed in &edges {
                        for (p, q) in [(ed.a, ed.b), (ed.b, ed.a)] {
                            if p == x && m.contains(&q) && !reach.contains(&q) { reach.push(q); }
                        }
                    }
                    i += 1;
                }
                prop_assert_eq!(reach.len(), m.len());
            }
            if !guard {
                // Every edge lies inside one cluster.
                for ed in &edges {
                    prop_assert!(c.iter().any(|m| m.contains(&ed.a) && m.contains(&ed.b)));
                }
            }
        }
    }
}
