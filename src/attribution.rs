//! attribution.rs: who published a story first, which wire agency does it come from, and does a
//! copy still credit it?
//!
//! Three pure decisions over one cluster, made on what the pipeline kept of each page: its
//! content paragraphs ([`crate::pipeline::ScanResult::paragraphs`]), never the raw page. A scraper's footer or a "Related" snippet that carries `(AP)` is chrome,
//! so it neither names a story's wire nor counts as a kept credit.
//!
//! - [`choose_origin`]: the member with the earliest `published`; when dates tie or are missing
//!   (undated members on a wire's own site stay candidates), the member on a wire agency's own
//!   site, then the member that contains the others most (sum of the other members'
//!   containment in it), then the lowest document index.
//! - [`story_wire`]: the agency detected on the origin ([`crate::wire::detect`]: site,
//!   datelines, credit lines, bylines), else the agency most members point to (ties to the one
//!   listed first in [`crate::wire::AGENCIES`]), else none.
//! - [`keeps_credit`]: a copy on the agency's own site, or whose kept lines carry one of the
//!   agency's marks.
//!
//! Invariant: every answer depends only on the members' kept lines, sites, dates and pairwise
//! similarity, and ties are broken by document index or table order, never by iteration order.

use crate::document::Document;
use crate::verify::Similarity;
use crate::wire::{self, Agency};
use serde::Serialize;
use std::collections::BTreeMap;

/// What attribution reads of a scan. Indices are document indices; only cluster members'
/// entries are read.
pub struct Pages<'a> {
    /// All scanned documents in canonical order.
    pub docs: &'a [Document],
    /// Per document: the lines the pipeline kept as the page's content (its content
    /// paragraphs, chrome and headline lists removed), trimmed.
    pub kept: &'a [Vec<&'a str>],
    /// Exact similarity of two documents' shingle sets.
    pub similarity: &'a (dyn Fn(usize, usize) -> Similarity + Sync),
}

/// Why a member was chosen as a story's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginReason {
    /// It alone has the earliest `published`.
    EarliestPublished,
    /// Among the earliest or undated, it is on a wire agency's own site.
    WireSite,
    /// Among those left, the others are contained in it the most.
    ContainsOthers,
    /// Nothing told the candidates apart; the lowest document index.
    FirstListed,
}

impl OriginReason {
    /// The reason as `json` spells it: `earliest_published`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            OriginReason::EarliestPublished => "earliest_published",
            OriginReason::WireSite => "wire_site",
            OriginReason::ContainsOthers => "contains_others",
            OriginReason::FirstListed => "first_listed",
        }
    }
}

fn site_of(doc: &Document) -> Option<String> {
    doc.site_or_domain()
}

fn kept<'a>(pages: &'a Pages<'a>, d: usize) -> &'a [&'a str] {
    pages.kept.get(d).map_or(&[], Vec::as_slice)
}

/// Choose a story's origin among `members` (document indices). See the module doc.
pub fn choose_origin(pages: &Pages<'_>, members: &[usize]) -> (usize, OriginReason) {
    let docs = pages.docs;
    // A bare date spans its day: it ties with any time on that day.
    let span = |d: usize| docs[d].published.as_ref().map(|p| p.span());
    let on_wire_site =
        |d: usize| site_of(&docs[d]).is_some_and(|s| wire::agency_of_site(&s).is_some());
    let earliest_end = members.iter().filter_map(|&d| span(d).map(|s| s.1)).min();
    let mut cands: Vec<usize> = match earliest_end {
        Some(t) => members
            .iter()
            .copied()
            .filter(|&d| match span(d) {
                Some((lo, _)) => lo <= t,
                None => on_wire_site(d),
            })
            .collect(),
        None => members.to_vec(),
    };
    if cands.len() == 1 {
        return (cands[0], OriginReason::EarliestPublished);
    }
    let wired: Vec<usize> = cands.iter().copied().filter(|&d| on_wire_site(d)).collect();
    if wired.len() == 1 {
        return (wired[0], OriginReason::WireSite);
    }
    if !wired.is_empty() {
        cands = wired;
    }
    // How much of the other members each candidate contains.
    let mut scored: Vec<(f64, usize)> = cands
        .iter()
        .map(|&c| {
            let s: f64 = members
                .iter()
                .filter(|&&m| m != c)
                .map(|&m| (pages.similarity)(m, c).containment_a)
                .sum();
            (s, c)
        })
        .collect();
    // Highest score first; lowest index among equals.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let decisive = scored.len() < 2 || scored[0].0 - scored[1].0 > 1e-9;
    let reason = if decisive {
        OriginReason::ContainsOthers
    } else {
        OriginReason::FirstListed
    };
    (scored[0].1, reason)
}

/// The agency a member's site and kept lines point to.
fn detect(pages: &Pages<'_>, d: usize) -> Option<&'static Agency> {
    wire::detect(site_of(&pages.docs[d]).as_deref(), kept(pages, d))
}

/// The story's wire: detected on the origin, else the agency most members point to.
pub fn story_wire(pages: &Pages<'_>, origin: usize, members: &[usize]) -> Option<&'static Agency> {
    if let Some(a) = detect(pages, origin) {
        return Some(a);
    }
    // Votes keyed by table position, so ties go to the agency listed first.
    let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
    for &m in members {
        if let Some(a) = detect(pages, m) {
            if let Some(pos) = wire::AGENCIES.iter().position(|x| std::ptr::eq(x, a)) {
                *votes.entry(pos).or_default() += 1;
            }
        }
    }
    let mut best: Option<(usize, usize)> = None;
    for (pos, n) in votes {
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((pos, n));
        }
    }
    best.map(|(pos, _)| &wire::AGENCIES[pos])
}

/// Does document `d` keep `agency`'s credit: is it on the agency's own site, or does one of its
/// kept lines carry one of the agency's marks? (Marks do not span lines.)
pub fn keeps_credit(pages: &Pages<'_>, d: usize, agency: &Agency) -> bool {
    if site_of(&pages.docs[d]).and_then(|s| wire::agency_of_site(&s)) == Some(agency) {
        return true;
    }
    kept(pages, d)
        .iter()
        .any(|line| wire::credits(agency, line))
}
