//! sorted.rs: how are two sorted runs joined into one?
//!
//! One linear merge for every place that joins sorted, key-distinct vectors: the LSH candidate
//! pairs of each band (a distinct union), the count tables of two index segments (counts of a
//! shared key summed) and the member lists of two stories joined by clustering.

use std::cmp::Ordering;

/// The sorted union of `a` and `b`, each sorted by `key` with distinct keys; an element of
/// both is `both(x, y)`. The result holds each key once.
pub(crate) fn merge_by_key<T: Copy, K: Ord>(
    a: &[T],
    b: &[T],
    key: impl Fn(&T) -> K,
    both: impl Fn(T, T) -> T,
) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match key(&a[i]).cmp(&key(&b[j])) {
            Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            Ordering::Equal => {
                out.push(both(a[i], b[j]));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}
