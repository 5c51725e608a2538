//! report: what does a licensing or media-monitoring team read about the clusters?
//!
//! [`Report::build`] turns clusters of documents into stories (pure; no I/O), and one renderer per
//! [`Format`] writes the same model: `text` (terminal tables), `json`, `jsonl`, `csv` and `html`
//! (one self-contained file). This doc comment is the specification of the machine formats;
//! README.md ("The syndication report") mirrors it.
//!
//! # Stories
//!
//! Each cluster of two or more documents is a *story*. For each story:
//! - **origin**: the member with the earliest `published`. When dates tie or are missing
//!   (undated members on a wire's own site stay candidates), the member on a wire agency's own
//!   site wins, then the member that contains the others most (sum of the other members'
//!   containment in it), then the lowest document index. The origin is the cluster's
//!   *representative*.
//! - **wire**: the agency detected on the origin ([`crate::wire::detect`]: site, datelines, credit
//!   lines, bylines), else the agency most members point to, else none.
//! - **members**: the origin first, then the copies by `published` (undated last), then document
//!   index.
//!
//! # Fields (all formats)
//!
//! Top level (`json`): `schema_version` (currently 1; bumped on any incompatible change),
//! `parameters`, `counts`, `clusters` (the stories) and `sites`.
//!
//! `parameters` ([`Parameters`]): when the report comes from a scan, the scan's
//! ([`ScanParameters`]: `signature` {`shingle` {`kind`, `size`}, `num_perm`, `seed`,
//! `normalizer_version`}, `threshold`, `containment`, `lsh_threshold` (the one used, rounded),
//! `bands`, `rows`, `min_shingles`, `chrome` ([`crate::chrome::ChromeConfig`]'s fields),
//! `cluster` ([`crate::cluster::ClusterConfig`]'s), `figures`
//! ([`crate::figures::FigureConfig`]'s), `chunk_window`); always `stale_after_days`.
//!
//! `counts` ([`Counts`]): when the report comes from a scan, the scan's ([`ScanCounts`]:
//! `documents` read, records `skipped`, `non_html_skipped` WARC records, `near_empty`
//! documents, LSH `candidates`, `verified_pairs`, `clusters`); always the report's own:
//! `clustered_documents` (members of stories), `stories`, `singletons`, `copies`,
//! `stale_copies`, `stripped_copies`.
//!
//! Story (`clusters[]`; one line of `jsonl`, where `id` is spelled `cluster` and each line also
//! carries `schema_version`):
//! - `id`: the cluster number: its position in the scan's cluster list, counted from 1, so
//!   stories come in cluster order; the same integer as the `jsonl` `cluster` and the `csv`
//!   `cluster` column.
//! - `size`: number of members.
//! - `title`: the origin's title, else the first member title, else the start of the origin's
//!   first paragraph; `null` when there is no text at all.
//! - `wire`: `{"code": "AP", "name": "The Associated Press"}` or `null`.
//! - `origin`: `{"id", "url", "site", "published", "reason"}`, `reason` one of
//!   `earliest_published`, `wire_site`, `contains_others`, `first_listed` (the rule that decided).
//! - `representative`: the origin's `id`.
//! - `similarity_min`, `similarity_median`: over all member pairs, the containment of the smaller
//!   side ([`Similarity::overlap`]); for clusters of more than [`PAIR_SAMPLE`] (64) members, over
//!   the pairs of an evenly spaced sample of 64 members (in document order).
//! - `members[]`: see below.
//!
//! Member (`clusters[].members[]`; one `csv` row):
//! - `id`: as given in the input (string or number); `url`, `site` (the `site` field, else the
//!   registrable domain of `url`), `title`, `published` (as given): `null` when unknown.
//! - `role`: `origin` or `copy`.
//! - `delay_seconds`: seconds from the origin's `published` to this member's; `null` when either
//!   is undated. 0 for the origin when dated.
//! - `coverage`: share of the origin's words this member carries, by paragraph alignment
//!   ([`crate::align`]); 1 for the origin.
//! - `added`: share of this member's words that are not from the story (site chrome, lists,
//!   commentary); 0 for the origin.
//! - `jaccard`: Jaccard similarity of the shingle sets of this member and the origin.
//! - `similarity`: containment of the smaller side against the origin ([`Similarity::overlap`]).
//! - `credited`: `true` when the copy still carries the wire's dateline tag, credit line or
//!   byline (or is on the wire's own site), `false` when the credit was stripped, `null` when not
//!   applicable (no wire, or the member is the origin).
//! - `stale`: the copy is dated more than `stale_after_days` days after the origin.
//! - `in_order`: the copy carries the story's paragraphs in the origin's order.
//!
//! Site (`sites[]`; in `text` and `html` the per-site table): `site`, `copies` (copies
//! published), `stripped` (copies with the credit stripped), `median_delay_seconds` (over dated
//! copies, `null` when none), `stale` (stale re-posts), `originated` (stories whose origin is on
//! this site). Sorted by copies, then stories originated (both descending), then name. Documents
//! without a site count under `(unknown)`.
//!
//! `csv`: one row per document, singletons included: `id`, `cluster` (empty for a singleton),
//! `similarity` (to the representative; empty for a singleton), then `role`, `url`, `site`,
//! `published`, `delay_seconds`, `coverage`, `added`, `jaccard`, `credited`, `stale`,
//! `in_order`, `wire`, `title` (the last two are the story's). Clustered documents come first in
//! story and member order, then singletons in document order. Spreadsheet safety (OWASP's
//! CSV-injection rule): a text cell from the input (`id`, `url`, `site`, `published`, `title`)
//! that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading
//! `'`, so that a spreadsheet shows it as text instead of evaluating it; strip that `'` to get
//! the input's text back. Numeric cells are written as they are. The `json` and `jsonl` formats
//! carry input text unchanged (JSON-escaped); `text` escapes control characters (`\u{1b}`) and
//! `html` escapes markup and links only `http(s)` URLs.
//!
//! Scores are rounded to 4 decimals. Invariant: the output depends only on the input; no hash
//! map order reaches it, so the same input gives byte-identical output.

mod format;
mod html;
mod machine;
mod text;

use crate::align::{self, Row};
use crate::attribution::{self, Pages};
use crate::chrome::ChromeConfig;
use crate::cluster::ClusterConfig;
use crate::document::Document;
use crate::figures::FigureConfig;
use crate::minhash::SignatureParams;
use crate::verify::Similarity;
use crate::wire::Agency;
use crate::Error;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::str::FromStr;

pub use html::render_html;
pub use machine::{render_csv, render_json, render_jsonl};
pub use text::render_text;

/// Version of the machine formats' schema.
pub const SCHEMA_VERSION: u32 = 1;

/// What a scan hands to the report.
pub struct ReportInput<'a> {
    /// All scanned documents in canonical order (index = doc index).
    pub docs: &'a [Document],
    /// Per document (same index): its content paragraphs with site chrome and headline lists
    /// removed, in page order: trimmed lines of the document's text. Attribution
    /// ([`crate::attribution`]) reads these, never the raw text, so chrome carries no credit. Only members of
    /// `clusters` are read: other documents' entries may be empty.
    pub paragraphs: &'a [Vec<&'a str>],
    /// Per document (same index): the line number in `text.lines()` of each of its
    /// `paragraphs` (same length). Tells which paragraphs are adjacent on the page, with only
    /// blank lines between them, and which are parted by chrome: see [`story_paragraphs`].
    pub lines: &'a [Vec<u32>],
    /// Clusters of 2+ doc indices, each sorted ascending, in output order (cluster number =
    /// position).
    pub clusters: &'a [Vec<usize>],
    /// Exact similarity of two documents' shingle sets (a, b are doc indices).
    pub similarity: &'a (dyn Fn(usize, usize) -> Similarity + Sync),
    /// The scan's parameters, echoed by the machine formats; `None` when the clusters do not
    /// come from a scan.
    pub parameters: Option<ScanParameters>,
    /// The scan's counts, echoed by the machine formats; `None` when the clusters do not come
    /// from a scan.
    pub counts: Option<ScanCounts>,
}

/// The parameters of the scan a report comes from, in the order the machine formats write
/// them. Field meanings: see [`crate::pipeline::ScanConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScanParameters {
    /// What made the signatures: shingling, permutations, seed, normalizer version.
    pub signature: SignatureParams,
    /// Similarity threshold of a verified pair.
    pub threshold: f64,
    /// Containment threshold of a verified pair.
    pub containment: f64,
    /// The LSH threshold the banding was chosen for, rounded to 4 decimals.
    pub lsh_threshold: f64,
    /// LSH bands.
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
    /// Content shingles a document needs to be matched at all.
    pub min_shingles: usize,
    /// Chrome learning settings.
    pub chrome: ChromeConfig,
    /// Clustering settings.
    pub cluster: ClusterConfig,
    /// Figure veto settings.
    pub figures: FigureConfig,
    /// Content shingles per sketched window (excerpt matching).
    pub chunk_window: usize,
}

/// The counts of the scan a report comes from, in the order the machine formats write them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanCounts {
    /// Documents read.
    pub documents: u64,
    /// Records skipped while reading.
    pub skipped: u64,
    /// WARC records skipped because they are not HTML pages.
    pub non_html_skipped: u64,
    /// Documents too short to match (fewer than `min_shingles` content shingles).
    pub near_empty: usize,
    /// Candidate pairs from the LSH index.
    pub candidates: usize,
    /// Verified pairs.
    pub verified_pairs: usize,
    /// Clusters of two or more documents.
    pub clusters: usize,
}

/// `parameters` of the machine formats: the scan's, then the report's own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Parameters {
    /// The scan's parameters, when the report comes from a scan.
    #[serde(flatten)]
    pub scan: Option<ScanParameters>,
    /// A copy dated more than this many days after its origin is a stale re-post
    /// ([`ReportConfig::stale_after_days`]).
    pub stale_after_days: u32,
}

/// `counts` of the machine formats: the scan's, then the report's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// The scan's counts, when the report comes from a scan.
    #[serde(flatten)]
    pub scan: Option<ScanCounts>,
    /// Documents in stories (members of clusters of two or more).
    pub clustered_documents: usize,
    /// Stories.
    pub stories: usize,
    /// Documents in no story.
    pub singletons: usize,
    /// Members that are copies (not origins).
    pub copies: usize,
    /// Stale re-posts.
    pub stale_copies: usize,
    /// Copies with the wire's credit stripped.
    pub stripped_copies: usize,
}

/// Report settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportConfig {
    /// A copy dated more than this many days after its origin is a stale re-post. Default 30.
    pub stale_after_days: u32,
    /// Keep each member's paragraphs and alignment rows ([`Member::paragraphs`],
    /// [`Member::rows`]) for the HTML side-by-side view. Default true; the other formats
    /// write neither, and without them the report holds no second copy of the members' text.
    pub side_by_side: bool,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            stale_after_days: 30,
            side_by_side: true,
        }
    }
}

/// An output format of the report. The one list of formats: `wirecopy scan --format` takes its
/// values and their help (the variants' doc comments) from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Terminal tables.
    Text,
    /// One JSON document: schema_version, parameters, counts, clusters, sites.
    Json,
    /// One JSON object per cluster of two or more documents.
    Jsonl,
    /// One row per document, singletons included.
    Csv,
    /// One self-contained HTML page with charts and side-by-side views.
    Html,
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format, Error> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(Error::InvalidParameter {
                name: "format",
                message: format!(
                    "unknown format {other:?}: expected text, json, jsonl, csv or html"
                ),
            }),
        }
    }
}

/// Write `report` in `format`.
pub fn render(report: &Report, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => render_text(report, w),
        Format::Json => render_json(report, w),
        Format::Jsonl => render_jsonl(report, w),
        Format::Csv => render_csv(report, w),
        Format::Html => render_html(report, w),
    }
}

pub use crate::attribution::OriginReason;

/// A member's role in its story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The story's first publication.
    Origin,
    /// A re-publication.
    Copy,
}

impl Role {
    /// The role as `json` spells it: `origin` or `copy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Origin => "origin",
            Role::Copy => "copy",
        }
    }
}

/// Where a story was first published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origin {
    /// The origin's id.
    pub id: crate::DocId,
    /// The origin's URL.
    pub url: Option<String>,
    /// The origin's site.
    pub site: Option<String>,
    /// The origin's `published`, as given.
    pub published: Option<String>,
    /// The rule that chose it.
    pub reason: OriginReason,
}

/// One document of a story. Field meanings: see the module doc.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    /// The document's index in the scan.
    #[serde(skip)]
    pub doc: usize,
    /// Id as given.
    pub id: crate::DocId,
    /// URL, when known.
    pub url: Option<String>,
    /// Site, when known.
    pub site: Option<String>,
    /// Title, when known.
    pub title: Option<String>,
    /// `published` as given.
    pub published: Option<String>,
    /// Origin or copy.
    pub role: Role,
    /// Seconds after the origin.
    pub delay_seconds: Option<i64>,
    /// Share of the origin's words carried.
    pub coverage: f64,
    /// Share of this member's words not from the story.
    pub added: f64,
    /// Jaccard similarity to the origin.
    pub jaccard: f64,
    /// Containment of the smaller side against the origin.
    pub similarity: f64,
    /// Credit kept (`true`), stripped (`false`) or not applicable (`None`).
    pub credited: Option<bool>,
    /// A stale re-post.
    pub stale: bool,
    /// Paragraphs in the origin's order.
    pub in_order: bool,
    /// The member's content paragraphs (for the side-by-side view).
    #[serde(skip)]
    pub paragraphs: Vec<String>,
    /// Alignment of this member against the origin (empty for the origin).
    #[serde(skip)]
    pub rows: Vec<Row>,
}

/// One cluster, told as a story. Field meanings: see the module doc.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Story {
    /// Cluster number.
    pub id: usize,
    /// Number of members.
    pub size: usize,
    /// Headline.
    pub title: Option<String>,
    /// The wire agency, when one can be told.
    pub wire: Option<&'static Agency>,
    /// The first publication.
    pub origin: Origin,
    /// The origin's id.
    pub representative: crate::DocId,
    /// Smallest pairwise similarity.
    pub similarity_min: f64,
    /// Median pairwise similarity.
    pub similarity_median: f64,
    /// Origin first, then copies.
    pub members: Vec<Member>,
}

/// Per-site figures. Field meanings: see the module doc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteStats {
    /// The site.
    pub site: String,
    /// Copies published.
    pub copies: usize,
    /// Copies with the credit stripped.
    pub stripped: usize,
    /// Median delay of the dated copies.
    pub median_delay_seconds: Option<i64>,
    /// Stale re-posts.
    pub stale: usize,
    /// Stories originated.
    pub originated: usize,
}

/// A document in no story (for the CSV's one row per document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Single {
    /// Id as given.
    pub id: crate::DocId,
    /// URL, when known.
    pub url: Option<String>,
    /// Site, when known.
    pub site: Option<String>,
    /// `published` as given.
    pub published: Option<String>,
}

/// The report model every renderer reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The scan's parameters plus the report's.
    pub parameters: Parameters,
    /// The scan's counts plus the report's own.
    pub counts: Counts,
    /// Stories in cluster order.
    pub clusters: Vec<Story>,
    /// Per-site figures.
    pub sites: Vec<SiteStats>,
    /// Documents in no story, in document order.
    #[serde(skip)]
    pub singles: Vec<Single>,
}

/// Pairwise similarity statistics use all pairs of at most this many members: an evenly spaced
/// sample of larger clusters (members in document order).
pub const PAIR_SAMPLE: usize = 64;

/// Site key for documents without one.
pub const UNKNOWN_SITE: &str = "(unknown)";

fn round4(x: f64) -> f64 {
    if x.is_finite() {
        (x * 10_000.0).round() / 10_000.0
    } else {
        0.0
    }
}

fn median_f64(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn median_i64(v: &mut [i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        // Rounds toward negative infinity; delays are whole seconds.
        (v[m - 1] + v[m]).div_euclid(2)
    })
}

/// The text a title falls back to: the first `max` characters of `s`, cut at a word.
fn excerpt(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{}…", cut.trim_end())
}

fn site_of(doc: &Document) -> Option<String> {
    doc.site_or_domain()
}

/// Which of the origin's content `paragraphs` are its *story*, the text a copy's coverage is
/// measured against: every paragraph some copy carries (`carried`), and a paragraph no copy
/// carries when it reads as running text (it ends like a sentence,
/// [`crate::normalize::ends_like_sentence`]) and stands in one block with a carried paragraph
/// on the origin's page (`lines`: each paragraph's line number in `text`; a block is a run of
/// content paragraphs with only blank lines between them, so learned chrome parts blocks).
///
/// Why: a site seen on one page (an agency's own site, often the origin) never has its
/// navigation, share bar or footer learned as chrome, so its content paragraphs are its page,
/// not its story, and a verbatim copy would be said to cut them. What the copies take from the
/// origin marks where the story is. What none takes is a cut only if it is story-shaped: a
/// sentence in the running text (a cut ending, a cut middle), not a menu, a share bar or a
/// section label (no sentence end), nor a footer that chrome the scan did learn (a "Related"
/// list) parts from the story. Both tests are structure, not counts or word lists, so the rule
/// holds for one copy or a thousand; the sentence marks are the normalizer's own.
/// Limits: an unlearned footer sentence touching the story counts as story; a cut subheading
/// (no sentence end), or a cut beyond a learned in-story chrome line (an "Advertisement" line),
/// that no copy carries does not. When no copy carries anything, or `lines` does not fit,
/// every paragraph is story.
pub fn story_paragraphs<S: AsRef<str>>(
    paragraphs: &[S],
    carried: &[bool],
    lines: &[u32],
    text: &str,
) -> Vec<bool> {
    let n = paragraphs.len();
    if lines.len() != n || carried.len() != n || !carried.iter().any(|&c| c) {
        return vec![true; n];
    }
    let raw: Vec<&str> = text.lines().collect();
    // block[i]: the block number of paragraph i.
    let mut block = Vec::with_capacity(n);
    let mut blocks = 0usize;
    for (i, &l) in lines.iter().enumerate() {
        if i > 0 {
            let prev = lines[i - 1] as usize;
            let parted = raw
                .get(prev + 1..l as usize)
                .is_none_or(|between| between.iter().any(|b| !b.trim().is_empty()));
            blocks += usize::from(parted);
        }
        block.push(blocks);
    }
    let mut story_block = vec![false; blocks + 1];
    for (&b, &c) in block.iter().zip(carried) {
        story_block[b] |= c;
    }
    paragraphs
        .iter()
        .zip(carried)
        .zip(&block)
        .map(|((p, &c), &b)| {
            c || (story_block[b] && crate::normalize::ends_like_sentence(p.as_ref()))
        })
        .collect()
}

fn paragraphs_of<'a>(input: &'a ReportInput<'a>, doc: usize) -> &'a [&'a str] {
    input.paragraphs.get(doc).map_or(&[], Vec::as_slice)
}

impl Report {
    /// Build the report model from a scan's clusters. Pure: no I/O, deterministic. A story's
    /// `id` is its cluster's position in `input.clusters`, counted from 1. Cluster entries that are not valid
    /// document indices are ignored, and a cluster left with fewer than two documents is
    /// dropped (its number is not reused).
    pub fn build(input: &ReportInput<'_>, config: &ReportConfig) -> Report {
        let valid = Report::valid_clusters(input.clusters, input.docs.len());
        let stories = Report::stories(input, &valid, config);
        Report::assemble(input, &valid, stories, config)
    }

    /// The clusters [`Report::build`] tells as stories: `(position in clusters, members)`, the
    /// members valid document indices, sorted and distinct, at least two of them.
    pub fn valid_clusters(clusters: &[Vec<usize>], n_docs: usize) -> Vec<(usize, Vec<usize>)> {
        clusters
            .iter()
            .enumerate()
            .filter_map(|(id, cluster)| {
                let mut members: Vec<usize> =
                    cluster.iter().copied().filter(|&d| d < n_docs).collect();
                members.sort_unstable();
                members.dedup();
                (members.len() >= 2).then_some((id, members))
            })
            .collect()
    }

    /// The story of each of `valid` (see [`Report::valid_clusters`]), in its order; a story's
    /// `id` is its position plus one. Only the members' documents, paragraphs and similarities
    /// are read, so `input` may hold only theirs.
    pub fn stories(
        input: &ReportInput<'_>,
        valid: &[(usize, Vec<usize>)],
        config: &ReportConfig,
    ) -> Vec<Story> {
        let stale_secs = i64::from(config.stale_after_days) * 86_400;
        // Stories are independent; an indexed parallel map keeps them in cluster order.
        valid
            .par_iter()
            .map(|(pos, members)| {
                build_story(input, pos + 1, members, stale_secs, config.side_by_side)
            })
            .collect()
    }

    /// The report of `stories` (those of `valid`, in its order): the documents in no story
    /// are its singles, and the sites and counts are summed. Reads no text.
    pub fn assemble(
        input: &ReportInput<'_>,
        valid: &[(usize, Vec<usize>)],
        stories: Vec<Story>,
        config: &ReportConfig,
    ) -> Report {
        let mut in_story = vec![false; input.docs.len()];
        for &m in valid.iter().flat_map(|(_, members)| members) {
            in_story[m] = true;
        }
        let singles = input
            .docs
            .iter()
            .zip(&in_story)
            .filter(|(_, s)| !**s)
            .map(|(d, _)| Single {
                id: d.id.clone(),
                url: d.url.clone(),
                site: site_of(d),
                published: d.published.as_ref().map(|p| p.raw.clone()),
            })
            .collect::<Vec<_>>();
        let sites = site_stats(&stories);

        let copies: Vec<&Member> = stories
            .iter()
            .flat_map(|s| &s.members)
            .filter(|m| m.role == Role::Copy)
            .collect();
        let counts = Counts {
            scan: input.counts,
            clustered_documents: stories.iter().map(|s| s.size).sum(),
            stories: stories.len(),
            singletons: singles.len(),
            copies: copies.len(),
            stale_copies: copies.iter().filter(|m| m.stale).count(),
            stripped_copies: copies.iter().filter(|m| m.credited == Some(false)).count(),
        };
        Report {
            schema_version: SCHEMA_VERSION,
            parameters: Parameters {
                scan: input.parameters,
                stale_after_days: config.stale_after_days,
            },
            counts,
            clusters: stories,
            sites,
            singles,
        }
    }
}

fn build_story(
    input: &ReportInput<'_>,
    id: usize,
    members: &[usize],
    stale_secs: i64,
    side_by_side: bool,
) -> Story {
    let docs = input.docs;
    let pages = Pages {
        docs,
        kept: input.paragraphs,
        similarity: input.similarity,
    };
    let (origin, reason) = attribution::choose_origin(&pages, members);
    let agency: Option<&'static Agency> = attribution::story_wire(&pages, origin, members);
    let origin_doc = &docs[origin];
    let origin_pars = paragraphs_of(input, origin);
    let aligner = align::Aligner::new(origin_pars, align::AlignConfig::default());
    let origin_pub = origin_doc.published.as_ref();

    let mut order: Vec<usize> = members.iter().copied().filter(|&d| d != origin).collect();
    order.sort_by_key(|&d| {
        let u = docs[d].published.as_ref().map(|p| p.unix);
        (u.is_none(), u, d)
    });
    order.insert(0, origin);

    // Every copy is aligned first: the origin's story is known only once all copies are.
    let alignments: Vec<Option<align::Alignment>> = order
        .iter()
        .map(|&d| (d != origin).then(|| aligner.align(paragraphs_of(input, d))))
        .collect();
    let mut carried = vec![false; origin_pars.len()];
    for a in alignments.iter().flatten() {
        for (c, &k) in carried.iter_mut().zip(&a.carried) {
            *c |= k;
        }
    }
    let story = story_paragraphs(
        origin_pars,
        &carried,
        input.lines.get(origin).map_or(&[], Vec::as_slice),
        &origin_doc.text,
    );

    let out_members: Vec<Member> = order
        .iter()
        .zip(alignments)
        .map(|(&d, alignment)| {
            let doc = &docs[d];
            let pars = paragraphs_of(input, d);
            let is_origin = d == origin;
            let delay = match (origin_pub, doc.published.as_ref()) {
                // A bare date is only known to the day: whole days, never below zero on the
                // origin's own day.
                (Some(o), Some(u)) if o.date_only || u.date_only => {
                    Some((u.unix.div_euclid(86_400) - o.unix.div_euclid(86_400)) * 86_400)
                }
                (Some(o), Some(u)) => Some(u.unix - o.unix),
                _ => None,
            };
            let (coverage, added, in_order, rows, jaccard, similarity) = match alignment {
                None => (1.0, 0.0, true, Vec::new(), 1.0, 1.0),
                Some(a) => {
                    let s = (input.similarity)(d, origin);
                    let coverage = a.coverage_of(&story);
                    // The side-by-side view shows as cut only what was story.
                    let rows = a
                        .rows
                        .into_iter()
                        .filter(|r| !matches!(r, Row::Cut(o) if !story.get(*o).copied().unwrap_or(true)))
                        .collect();
                    (coverage, a.added, a.in_order, rows, s.jaccard, s.overlap())
                }
            };
            let credited = match agency {
                Some(a) if !is_origin => Some(attribution::keeps_credit(&pages, d, a)),
                _ => None,
            };
            Member {
                doc: d,
                id: doc.id.clone(),
                url: doc.url.clone(),
                site: site_of(doc),
                title: doc.title.clone(),
                published: doc.published.as_ref().map(|p| p.raw.clone()),
                role: if is_origin { Role::Origin } else { Role::Copy },
                delay_seconds: delay,
                coverage: round4(coverage),
                added: round4(added),
                jaccard: round4(jaccard),
                similarity: round4(similarity),
                credited,
                stale: !is_origin && delay.is_some_and(|x| x > stale_secs),
                in_order,
                paragraphs: if side_by_side {
                    pars.iter().map(|p| p.to_string()).collect()
                } else {
                    Vec::new()
                },
                rows: if side_by_side { rows } else { Vec::new() },
            }
        })
        .collect();

    // All pairs of an evenly spaced sample: exact up to PAIR_SAMPLE members, bounded above.
    let sample: Vec<usize> = if members.len() <= PAIR_SAMPLE {
        members.to_vec()
    } else {
        (0..PAIR_SAMPLE)
            .map(|i| members[i * members.len() / PAIR_SAMPLE])
            .collect()
    };
    let mut pair_scores = Vec::new();
    for (i, &a) in sample.iter().enumerate() {
        for &b in &sample[i + 1..] {
            pair_scores.push((input.similarity)(a, b).overlap());
        }
    }
    let similarity_min = pair_scores.iter().copied().fold(f64::INFINITY, f64::min);
    let similarity_median = median_f64(&mut pair_scores);

    let title = origin_doc
        .title
        .clone()
        .or_else(|| order.iter().find_map(|&d| docs[d].title.clone()))
        .filter(|t| !t.trim().is_empty())
        .or_else(|| origin_pars.first().map(|p| excerpt(p, 90)))
        .or_else(|| {
            origin_doc
                .text
                .lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| excerpt(l, 90))
        });

    Story {
        id,
        size: members.len(),
        title,
        wire: agency,
        origin: Origin {
            id: origin_doc.id.clone(),
            url: origin_doc.url.clone(),
            site: site_of(origin_doc),
            published: origin_doc.published.as_ref().map(|p| p.raw.clone()),
            reason,
        },
        representative: origin_doc.id.clone(),
        similarity_min: round4(if similarity_min.is_finite() {
            similarity_min
        } else {
            0.0
        }),
        similarity_median: round4(similarity_median),
        members: out_members,
    }
}

fn site_stats(stories: &[Story]) -> Vec<SiteStats> {
    #[derive(Default)]
    struct Acc {
        copies: usize,
        stripped: usize,
        delays: Vec<i64>,
        stale: usize,
        originated: usize,
    }
    let mut by_site: BTreeMap<String, Acc> = BTreeMap::new();
    for story in stories {
        for m in &story.members {
            let key = m.site.clone().unwrap_or_else(|| UNKNOWN_SITE.to_string());
            let acc = by_site.entry(key).or_default();
            match m.role {
                Role::Origin => acc.originated += 1,
                Role::Copy => {
                    acc.copies += 1;
                    acc.stripped += usize::from(m.credited == Some(false));
                    acc.stale += usize::from(m.stale);
                    acc.delays.extend(m.delay_seconds);
                }
            }
        }
    }
    let mut out: Vec<SiteStats> = by_site
        .into_iter()
        .map(|(site, mut a)| SiteStats {
            site,
            copies: a.copies,
            stripped: a.stripped,
            median_delay_seconds: median_i64(&mut a.delays),
            stale: a.stale,
            originated: a.originated,
        })
        .collect();
    out.sort_by(|a, b| {
        b.copies
            .cmp(&a.copies)
            .then(b.originated.cmp(&a.originated))
            .then(a.site.cmp(&b.site))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median_i64(&mut []), None);
        assert_eq!(median_i64(&mut [5, 1, 3]), Some(3));
        assert_eq!(median_i64(&mut [1, 4]), Some(2));
        assert!((median_f64(&mut [0.2, 0.8]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn labels_match_the_json_spelling() {
        for r in [
            OriginReason::EarliestPublished,
            OriginReason::WireSite,
            OriginReason::ContainsOthers,
            OriginReason::FirstListed,
        ] {
            assert_eq!(
                serde_json::to_value(r).ok(),
                Some(serde_json::Value::from(r.as_str()))
            );
        }
        for r in [Role::Origin, Role::Copy] {
            assert_eq!(
                serde_json::to_value(r).ok(),
                Some(serde_json::Value::from(r.as_str()))
            );
        }
    }

    #[test]
    fn format_names_parse() {
        assert_eq!("jsonl".parse::<Format>().ok(), Some(Format::Jsonl));
        assert!(matches!(
            "xml".parse::<Format>(),
            Err(Error::InvalidParameter { name: "format", .. })
        ));
    }

    use crate::{DocId, Published};

    fn doc(id: &str, url: &str, published: Option<&str>, text: &str) -> Document {
        Document {
            id: DocId::Str(id.into()),
            url: Some(url.into()),
            site: None,
            title: None,
            published: published.and_then(Published::parse),
            text: text.into(),
        }
    }

    /// Similarity from word sets of the paragraphs: enough to order containment. Every line
    /// of a document is a content paragraph.
    fn build(docs: &[Document], clusters: &[Vec<usize>], stale: u32) -> Report {
        build_side(docs, clusters, stale, true)
    }

    /// [`build`], with or without the side-by-side view's paragraphs and rows.
    fn build_side(
        docs: &[Document],
        clusters: &[Vec<usize>],
        stale: u32,
        side_by_side: bool,
    ) -> Report {
        let paragraphs: Vec<Vec<String>> = docs
            .iter()
            .map(|d| d.text.lines().map(String::from).collect())
            .collect();
        let lines: Vec<Vec<u32>> = paragraphs
            .iter()
            .map(|p| (0..p.len() as u32).collect())
            .collect();
        build_with(docs, &paragraphs, &lines, clusters, stale, side_by_side)
    }

    /// [`build`] with the content paragraphs and their line numbers given.
    fn build_with(
        docs: &[Document],
        paragraphs: &[Vec<String>],
        lines: &[Vec<u32>],
        clusters: &[Vec<usize>],
        stale: u32,
        side_by_side: bool,
    ) -> Report {
        let sets: Vec<Vec<u64>> = paragraphs
            .iter()
            .map(|p| {
                let mut v: Vec<u64> = align::words(&p.join("\n"))
                    .iter()
                    .map(|w| xxhash_rust::xxh3::xxh3_64(w.as_bytes()))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let sim = |a: usize, b: usize| crate::verify::similarity(&sets[a], &sets[b]);
        let paragraphs: Vec<Vec<&str>> = paragraphs
            .iter()
            .map(|p| p.iter().map(String::as_str).collect())
            .collect();
        let input = ReportInput {
            docs,
            paragraphs: &paragraphs,
            lines,
            clusters,
            similarity: &sim,
            parameters: None,
            counts: None,
        };
        Report::build(
            &input,
            &ReportConfig {
                stale_after_days: stale,
                side_by_side,
            },
        )
    }

    /// Content paragraphs of `text` (every non-blank line but `chrome`) and their line numbers.
    fn content(text: &str, chrome: &[&str]) -> (Vec<String>, Vec<u32>) {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !chrome.contains(l))
            .map(|(i, l)| (l.to_string(), i as u32))
            .unzip()
    }

    /// An origin on a site seen once: its navigation, share bar and footer are content
    /// paragraphs; the first two touch the story, the footer is parted from it by chrome the
    /// scan did learn (a related list).
    const ORIGIN_PAGE: &str = "AP News  Home  World  Business  Sports\nShare  Tweet  Email\nMANILA (AP) — Typhoon Lorna crossed the northern tip of Luzon on Tuesday, tearing roofs off hundreds of homes.\n\nThe weather bureau said the storm packed sustained winds of 150 kilometers per hour.\nRescue teams had reached most flooded districts by midday, the governor said.\nRelated\nCopyright 2024 AP News Media. All rights reserved.";
    const LEARNED: [&str; 1] = ["Related"];

    fn coverages(copies: &[&str]) -> Vec<f64> {
        let mut docs = vec![doc(
            "origin",
            "https://apnews.com/a",
            Some("2024-09-03T06:00:00Z"),
            ORIGIN_PAGE,
        )];
        for (i, c) in copies.iter().enumerate() {
            docs.push(doc(
                &format!("copy{i}"),
                &format!("https://site{i}.example/a"),
                Some("2024-09-03T09:00:00Z"),
                c,
            ));
        }
        let (paragraphs, lines): (Vec<_>, Vec<_>) =
            docs.iter().map(|d| content(&d.text, &LEARNED)).unzip();
        let r = build_with(
            &docs,
            &paragraphs,
            &lines,
            &[(0..docs.len()).collect()],
            30,
            true,
        );
        assert_eq!(r.clusters[0].origin.id.as_str(), "origin");
        r.clusters[0].members[1..]
            .iter()
            .map(|m| m.coverage)
            .collect()
    }

    #[test]
    fn without_the_side_by_side_view_members_hold_no_paragraphs_and_the_report_is_the_same() {
        let story: Vec<&str> = ORIGIN_PAGE.lines().skip(2).take(4).collect();
        let docs = vec![
            doc(
                "o",
                "https://wire.example/a",
                Some("2024-05-01"),
                ORIGIN_PAGE,
            ),
            doc(
                "c",
                "https://copy.example/a",
                Some("2024-05-02"),
                &story.join("\n"),
            ),
        ];
        let with = build_side(&docs, &[vec![0, 1]], 30, true);
        let without = build_side(&docs, &[vec![0, 1]], 30, false);
        let members = |r: &Report| r.clusters[0].members.clone();
        assert!(members(&with).iter().all(|m| !m.paragraphs.is_empty()));
        assert!(members(&with).iter().any(|m| !m.rows.is_empty()));
        assert!(members(&without)
            .iter()
            .all(|m| m.paragraphs.is_empty() && m.rows.is_empty()));
        let json = |r: &Report| serde_json::to_string(r).expect("json");
        assert_eq!(json(&with), json(&without));
    }

    #[test]
    fn a_verbatim_copy_covers_the_whole_story() {
        let story: Vec<&str> = ORIGIN_PAGE.lines().skip(2).take(4).collect();
        let verbatim = story.join("\n");
        assert_eq!(coverages(&[&verbatim]), vec![1.0]);
        // The side-by-side view does not show the origin's navigation as cut.
        let pars = [
            "The weather bureau said the storm packed sustained winds of 150 kilometers per hour.",
            "Rescue teams had reached most flooded districts by midday, the governor said.",
        ];
        let cut = pars.join("\n");
        let c = coverages(&[&cut]);
        assert!(
            c[0] < 0.7 && c[0] > 0.3,
            "a genuine cut stays below 100 %: {c:?}"
        );
        // The cut's missing first paragraph is story (one block with what the copy carries),
        // also when another copy carries everything.
        let c = coverages(&[&verbatim, &cut]);
        assert_eq!(c[0], 1.0);
        assert!(c[1] < 0.7, "{c:?}");
    }

    #[test]
    fn a_credit_in_chrome_is_not_a_kept_credit() {
        // The copy's only "(AP)" is in a footer line the scan learned as chrome: it is not one
        // of the copy's content paragraphs, so the credit was stripped.
        let origin = format!("WASHINGTON (AP) — {BODY}");
        let copy = format!("{BODY}\nMore from our partners: Storm warning issued (AP)");
        let docs = [
            doc(
                "a",
                "https://apnews.com/x",
                Some("2024-01-02T08:00:00Z"),
                &origin,
            ),
            doc(
                "b",
                "https://blog.example/x",
                Some("2024-01-02T09:00:00Z"),
                &copy,
            ),
        ];
        let chrome = ["More from our partners: Storm warning issued (AP)"];
        let (paragraphs, lines): (Vec<_>, Vec<_>) =
            docs.iter().map(|d| content(&d.text, &chrome)).unzip();
        let r = build_with(&docs, &paragraphs, &lines, &[vec![0, 1]], 30, true);
        assert_eq!(r.clusters[0].wire.map(|a| a.code), Some("AP"));
        assert_eq!(r.clusters[0].members[1].credited, Some(false));
        // The same line as content is a kept credit.
        let r = build(&docs, &[vec![0, 1]], 30);
        assert_eq!(r.clusters[0].members[1].credited, Some(true));
    }

    #[test]
    fn story_paragraphs_follow_the_blocks_of_the_page() {
        let text = "Home  World\nShare\nOne.\n\nTwo.\nThree:\nRelated\nAll rights reserved.";
        let pars: Vec<String> = [
            "Home  World",
            "One.",
            "Two.",
            "Three:",
            "All rights reserved.",
        ]
        .map(String::from)
        .to_vec();
        // "Share" and "Related" are learned chrome: not paragraphs.
        let lines = [0, 2, 4, 5, 7];
        assert_eq!(
            story_paragraphs(&pars, &[false, true, false, false, false], &lines, text),
            vec![false, true, true, true, false]
        );
        // The menu touching the story is no sentence: not story even with "Share" unlearned.
        let lines = [0, 1, 2, 3, 7];
        let text = "Home  World\nOne.\nTwo.\nThree:\nRelated\n\nAll rights reserved.";
        assert_eq!(
            story_paragraphs(&pars, &[false, false, true, false, false], &lines, text),
            vec![false, true, true, true, false]
        );
        assert_eq!(
            story_paragraphs(&pars, &[false; 5], &lines, text),
            vec![true; 5],
            "nothing carried: all of it"
        );
        assert_eq!(
            story_paragraphs(&pars, &[true, false], &lines, text),
            vec![true; 5],
            "lines that do not fit: all of it"
        );
    }

    const BODY: &str = "Officials said the bridge will close for repairs next month.\nTraffic will be diverted through the old town for six weeks.";

    #[test]
    fn undated_wire_page_beats_a_dated_copy() {
        let docs = [
            doc("a", "https://blog.example/x", Some("2024-01-02"), BODY),
            doc("b", "https://www.reuters.com/x", None, BODY),
        ];
        let r = build(&docs, &[vec![0, 1]], 30);
        assert_eq!(r.clusters[0].origin.id.as_str(), "b");
        assert_eq!(r.clusters[0].origin.reason, OriginReason::WireSite);
        assert_eq!(r.clusters[0].wire.map(|a| a.code), Some("Reuters"));
        // The copy keeps no Reuters mark: stripped. No dates to compare: no delay, not stale.
        let copy = &r.clusters[0].members[1];
        assert_eq!(
            (copy.credited, copy.delay_seconds, copy.stale),
            (Some(false), None, false)
        );
    }

    #[test]
    fn the_member_containing_the_others_wins_a_tie() {
        let short = BODY.lines().next().unwrap_or_default();
        let docs = [
            doc("a", "https://a.example/x", Some("2024-01-02"), short),
            doc("b", "https://b.example/x", Some("2024-01-02"), BODY),
        ];
        let r = build(&docs, &[vec![0, 1]], 30);
        assert_eq!(r.clusters[0].origin.id.as_str(), "b");
        assert_eq!(r.clusters[0].origin.reason, OriginReason::ContainsOthers);
        assert_eq!(r.clusters[0].wire, None);
        assert_eq!(
            r.clusters[0].members[1].credited, None,
            "no wire: not applicable"
        );
        assert!((r.clusters[0].members[1].coverage - 0.5).abs() < 0.1);
    }

    #[test]
    fn identical_undated_members_fall_back_to_the_first() {
        let docs = [
            doc("a", "https://a.example/x", None, BODY),
            doc("b", "https://b.example/x", None, BODY),
        ];
        let r = build(&docs, &[vec![1, 0]], 30);
        assert_eq!(r.clusters[0].origin.id.as_str(), "a");
        assert_eq!(r.clusters[0].origin.reason, OriginReason::FirstListed);
    }

    #[test]
    fn stale_threshold_is_configurable_and_exclusive() {
        let docs = [
            doc("a", "https://a.example/x", Some("2024-01-01"), BODY),
            doc("b", "https://b.example/x", Some("2024-01-11"), BODY),
        ];
        assert!(!build(&docs, &[vec![0, 1]], 10).clusters[0].members[1].stale);
        assert!(build(&docs, &[vec![0, 1]], 9).clusters[0].members[1].stale);
    }

    #[test]
    fn bad_cluster_entries_are_ignored_not_fatal() {
        let docs = [doc("a", "https://a.example/x", None, BODY)];
        let r = build(&docs, &[vec![0, 7], vec![]], 30);
        assert!(r.clusters.is_empty());
        assert_eq!(r.singles.len(), 1);
        assert_eq!(r.counts.singletons, 1);
    }

    #[test]
    fn a_report_without_a_scan_echoes_only_its_own_parameters_and_counts() {
        let docs = [
            doc("a", "https://a.example/x", Some("2024-01-01"), BODY),
            doc("b", "https://b.example/x", Some("2024-03-01"), BODY),
            doc("c", "https://c.example/x", None, "Something else entirely."),
        ];
        let r = build(&docs, &[vec![0, 1]], 30);
        let json = serde_json::to_string(&(&r.parameters, &r.counts)).unwrap_or_default();
        assert_eq!(
            json,
            r#"[{"stale_after_days":30},{"clustered_documents":2,"stories":1,"singletons":1,"copies":1,"stale_copies":1,"stripped_copies":0}]"#
        );
    }

    #[test]
    fn excerpt_cuts_at_a_word() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 10), "one two…");
    }
}
