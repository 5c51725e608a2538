//! store/metadata.rs: what do the parameters and documents look like on disk? The postcard
//! metadata: mirror structs of the configuration types (the on-disk schema, written by
//! `meta_of` and read back by `decode_config`, the one place each field is mirrored),
//! [`StoredDoc`] and [`RuleVersions`].

use crate::chrome::ChromeConfig;
use crate::cluster::ClusterConfig;
use crate::document::{DocId, Published};
use crate::error::{Error, Result};
use crate::figures::FigureConfig;
use crate::lsh::Banding;
use crate::minhash::SignatureParams;
use crate::normalize::UnspacedScripts;
use crate::pipeline::{ScanConfig, ScanResult};
use crate::shingle::ShingleKind;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A document as the index remembers it: identity and report metadata, not the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDoc {
    /// The id as the input spelled it.
    pub id: String,
    /// The input gave the id as a JSON number.
    pub numeric_id: bool,
    /// xxh3-64 of the text: the second half of the canonical order key, and a cheap way to see
    /// whether a document has changed.
    pub text_hash: u64,
    /// Where the page was found, when known.
    pub url: Option<String>,
    /// The input's `site` field, when given.
    pub site: Option<String>,
    /// Headline, when known.
    pub title: Option<String>,
    /// Publication time as the input spelled it, when it parsed.
    pub published: Option<String>,
}

impl StoredDoc {
    /// The document's identity as a [`DocId`].
    pub fn doc_id(&self) -> DocId {
        if self.numeric_id {
            DocId::Num(self.id.clone())
        } else {
            DocId::Str(self.id.clone())
        }
    }

    /// The publication time, parsed again from its stored spelling.
    pub fn published(&self) -> Option<Published> {
        self.published.as_deref().and_then(Published::parse)
    }
}

/// Versions of what decides a page's content and units besides the normalizer: the line rules
/// ([`crate::lines::LINE_RULES_VERSION`]) and the Unicode tables of the normalization and
/// segmentation crates. A live index refuses a segment written under other versions: its
/// chrome verdicts and units would not be what this build computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleVersions {
    /// [`crate::lines::LINE_RULES_VERSION`].
    pub line_rules: u32,
    /// `unicode_normalization::UNICODE_VERSION`.
    pub unicode_normalization: (u8, u8, u8),
    /// `unicode_segmentation::UNICODE_VERSION`.
    pub unicode_segmentation: (u64, u64, u64),
}

impl RuleVersions {
    /// The versions of this build.
    pub fn current() -> RuleVersions {
        RuleVersions {
            line_rules: crate::lines::LINE_RULES_VERSION,
            unicode_normalization: unicode_normalization::UNICODE_VERSION,
            unicode_segmentation: unicode_segmentation::UNICODE_VERSION,
        }
    }
}

impl std::fmt::Display for RuleVersions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = (self.unicode_normalization, self.unicode_segmentation);
        write!(
            f,
            "line rules {}, Unicode {}.{}.{} (normalization) and {}.{}.{} (segmentation)",
            self.line_rules, a.0, a.1, a.2, b.0, b.1, b.2
        )
    }
}

// ---- Metadata: mirrors of the configuration types, the on-disk schema ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Meta {
    pub(super) params: StoredParams,
    pub(super) rules: RuleVersions,
    pub(super) config: StoredConfig,
    pub(super) banding: StoredBanding,
    pub(super) documents: u64,
    pub(super) line_pages: u64,
    pub(super) stop_shingles: u64,
    /// The live index's entry number of the first document (0 for a batch scan).
    pub(super) base: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) enum StoredShingle {
    Word(u8),
    Char(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredParams {
    pub(super) shingle: StoredShingle,
    pub(super) num_perm: u64,
    pub(super) seed: u64,
    pub(super) normalizer_version: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) enum StoredUnspaced {
    Characters,
    Words,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredBanding {
    pub(super) bands: u64,
    pub(super) rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredChrome {
    pub(super) site_min_pages: u32,
    pub(super) global_max_pages: u32,
    pub(super) global_max_share: f64,
    pub(super) shingle_max_df: u32,
    pub(super) shingle_max_share: f64,
    pub(super) drop_headline_lists: bool,
    pub(super) drop_metadata_lines: bool,
    pub(super) story_groups: bool,
    pub(super) site_min_groups: u32,
    pub(super) core_share: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredFigures {
    pub(super) min_figures: u64,
    pub(super) min_overlap: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredCluster {
    pub(super) guard: bool,
    pub(super) guard_sample: u64,
    pub(super) guard_factor: f64,
}

/// The scan configuration besides the signature parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct StoredConfig {
    pub(super) unspaced: StoredUnspaced,
    pub(super) threshold: f64,
    pub(super) containment: f64,
    pub(super) lsh_threshold: Option<f64>,
    pub(super) banding: Option<StoredBanding>,
    pub(super) min_shingles: u64,
    pub(super) max_run_pairs: u64,
    pub(super) chrome: StoredChrome,
    pub(super) cluster: StoredCluster,
    pub(super) figures: StoredFigures,
    pub(super) chunk_window: u64,
}

pub(super) fn stored_banding(b: Banding) -> StoredBanding {
    let Banding { bands, rows } = b;
    StoredBanding {
        bands: bands as u64,
        rows: rows as u64,
    }
}

pub(super) fn meta_of(result: &ScanResult) -> Meta {
    // Exhaustive destructuring: a new configuration field must be given a place here.
    let ScanConfig {
        shingle,
        unspaced,
        num_perm,
        seed,
        threshold,
        containment,
        lsh_threshold,
        banding,
        min_shingles,
        max_run_pairs,
        chrome,
        cluster,
        figures,
        chunk_window,
    } = result.config;
    let ChromeConfig {
        site_min_pages,
        global_max_pages,
        global_max_share,
        shingle_max_df,
        shingle_max_share,
        drop_headline_lists,
        drop_metadata_lines,
        story_groups,
        site_min_groups,
        core_share,
    } = chrome;
    let FigureConfig {
        min_figures,
        min_overlap,
    } = figures;
    let ClusterConfig {
        guard,
        guard_sample,
        guard_factor,
    } = cluster;
    let SignatureParams {
        normalizer_version, ..
    } = result.config.signature_params();
    Meta {
        params: StoredParams {
            shingle: match shingle {
                ShingleKind::Word(k) => StoredShingle::Word(k),
                ShingleKind::Char(k) => StoredShingle::Char(k),
            },
            num_perm: num_perm as u64,
            seed,
            normalizer_version,
        },
        rules: RuleVersions::current(),
        config: StoredConfig {
            unspaced: match unspaced {
                UnspacedScripts::Characters => StoredUnspaced::Characters,
                UnspacedScripts::Words => StoredUnspaced::Words,
            },
            threshold,
            containment,
            lsh_threshold,
            banding: banding.map(stored_banding),
            min_shingles: min_shingles as u64,
            max_run_pairs: max_run_pairs as u64,
            chrome: StoredChrome {
                site_min_pages,
                global_max_pages,
                global_max_share,
                shingle_max_df,
                shingle_max_share,
                drop_headline_lists,
                drop_metadata_lines,
                story_groups,
                site_min_groups,
                core_share,
            },
            cluster: StoredCluster {
                guard,
                guard_sample: guard_sample as u64,
                guard_factor,
            },
            figures: StoredFigures {
                min_figures: min_figures as u64,
                min_overlap,
            },
            chunk_window: chunk_window as u64,
        },
        banding: stored_banding(result.banding),
        documents: result.docs.len() as u64,
        line_pages: result.line_stats.pages,
        stop_shingles: result.stop_shingles as u64,
        base: 0,
    }
}

/// The stored form of a document's identity and metadata.
pub(super) fn stored_doc(d: &crate::Document) -> StoredDoc {
    StoredDoc {
        id: d.id.as_str().to_string(),
        numeric_id: matches!(d.id, DocId::Num(_)),
        text_hash: d.order_key().1,
        url: d.url.clone(),
        site: d.site.clone(),
        title: d.title.clone(),
        published: d.published.as_ref().map(|p| p.raw.clone()),
    }
}

pub(super) fn decode_config(
    meta: &Meta,
    path: &Path,
) -> Result<(SignatureParams, ScanConfig, Banding)> {
    let corrupt = |message: String| Error::CorruptIndex {
        path: path.to_path_buf(),
        message,
    };
    let size = |v: u64, what: &str| {
        usize::try_from(v).map_err(|_| corrupt(format!("{what} {v} does not fit this host")))
    };
    let banding = |b: StoredBanding| -> Result<Banding> {
        Ok(Banding {
            bands: size(b.bands, "bands")?,
            rows: size(b.rows, "rows")?,
        })
    };
    let p = meta.params;
    let c = meta.config;
    let shingle = match p.shingle {
        StoredShingle::Word(k) => ShingleKind::Word(k),
        StoredShingle::Char(k) => ShingleKind::Char(k),
    };
    let params = SignatureParams {
        shingle,
        num_perm: size(p.num_perm, "num_perm")?,
        seed: p.seed,
        normalizer_version: p.normalizer_version,
    };
    let config = ScanConfig {
        shingle,
        unspaced: match c.unspaced {
            StoredUnspaced::Characters => UnspacedScripts::Characters,
            StoredUnspaced::Words => UnspacedScripts::Words,
        },
        num_perm: params.num_perm,
        seed: p.seed,
        threshold: c.threshold,
        containment: c.containment,
        lsh_threshold: c.lsh_threshold,
        banding: c.banding.map(banding).transpose()?,
        min_shingles: size(c.min_shingles, "min_shingles")?,
        max_run_pairs: size(c.max_run_pairs, "max_run_pairs")?,
        chrome: ChromeConfig {
            site_min_pages: c.chrome.site_min_pages,
            global_max_pages: c.chrome.global_max_pages,
            global_max_share: c.chrome.global_max_share,
            shingle_max_df: c.chrome.shingle_max_df,
            shingle_max_share: c.chrome.shingle_max_share,
            drop_headline_lists: c.chrome.drop_headline_lists,
            drop_metadata_lines: c.chrome.drop_metadata_lines,
            story_groups: c.chrome.story_groups,
            site_min_groups: c.chrome.site_min_groups,
            core_share: c.chrome.core_share,
        },
        cluster: ClusterConfig {
            guard: c.cluster.guard,
            guard_sample: size(c.cluster.guard_sample, "guard_sample")?,
            guard_factor: c.cluster.guard_factor,
        },
        figures: FigureConfig {
            // usize::MAX (the check switched off) is stored as u64::MAX and fits any host.
            min_figures: usize::try_from(c.figures.min_figures).unwrap_or(usize::MAX),
            min_overlap: c.figures.min_overlap,
        },
        chunk_window: size(c.chunk_window, "chunk_window")?,
    };
    if params.num_perm == 0 {
        return Err(corrupt("num_perm is 0".into()));
    }
    // Only the explicit banding is checked here: deriving one from thresholds read out of a
    // damaged file would be a long search for nothing.
    if let Some(b) = config.banding {
        if b.bands == 0 || b.rows == 0 || b.bands.saturating_mul(b.rows) > params.num_perm {
            return Err(corrupt(format!(
                "explicit banding {} x {} does not fit {} permutations",
                b.bands, b.rows, params.num_perm
            )));
        }
    }
    let used = banding(meta.banding)?;
    if used.bands == 0 || used.rows == 0 || used.bands.saturating_mul(used.rows) > params.num_perm {
        return Err(corrupt(format!(
            "banding {} x {} does not fit {} permutations",
            used.bands, used.rows, params.num_perm
        )));
    }
    Ok((params, config, used))
}
