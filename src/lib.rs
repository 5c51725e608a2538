//! wirecopy: find near-duplicate and syndicated copies of news stories.
//!
//! The pipeline: documents ([`input`]) -> normalized units ([`normalize`]) with line features
//! ([`lines`]) -> site chrome learned and removed ([`chrome`]) -> shingles ([`shingle`], xxh3) -> MinHash signatures
//! ([`minhash`]) -> LSH candidates ([`lsh`]) -> exact verification ([`verify`]) -> guarded
//! clustering ([`cluster`]) -> the syndication report ([`report`]). [`pipeline::scan`] runs it
//! all on documents in memory; a live [`Index`] ([`index`]) judges pages one at a time as a
//! crawler fetches them, through the same per-page path ([`fingerprint`]).
//!
//! The binary's dependencies (clap, indicatif, anyhow) sit behind the default `cli` feature: a
//! program that only links the library can use `default-features = false`. So does the HTTP
//! service (module `service`, tokio + axum), behind the default `serve` feature.
//!
//! ```
//! use wirecopy::pipeline::{scan, Quiet, ScanConfig};
//! use wirecopy::Document;
//!
//! let story = "The harbour authority said the new crane terminal would open in May after two years of work.\n\
//!              Officials expect it to double the port's container traffic by the end of the decade.\n\
//!              Dock workers' unions said they had been consulted on the staffing plan for the terminal.";
//! let docs = vec![
//!     Document::new("wire", story),
//!     Document::new("copy", format!("Home | News | Sport\n{story}\nRelated: ten things to do this weekend")),
//!     Document::new("cut", story.lines().take(2).collect::<Vec<_>>().join("\n")),
//!     Document::new("other", "The city orchestra named a new music director after an eighteen-month search.\n\
//!                             Her first concert with the ensemble is planned for October in the old opera house."),
//!     Document::new("tiny", "Video"),
//! ];
//! let result = scan(docs, &ScanConfig::default(), &Quiet).expect("valid configuration");
//! // Documents are put in id order; the three copies of the story form one cluster.
//! let ids: Vec<String> = result.clusters[0].iter().map(|&i| result.docs[i as usize].id.to_string()).collect();
//! assert_eq!(ids, ["copy", "cut", "wire"]);
//! assert_eq!(result.clusters.len(), 1);
//! ```
#![warn(missing_docs)]

pub mod align;
pub mod atomic_write;
pub mod attribution;
pub mod chrome;
pub mod cluster;
pub mod corpus;
pub mod document;
pub mod error;
pub mod eval;
pub mod figures;
pub mod fingerprint;
pub mod index;
pub mod input;
pub mod lines;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod output;
pub mod pipeline;
pub mod report;
#[cfg(feature = "serve")]
pub mod service;
pub mod shingle;
pub(crate) mod sorted;
pub mod spill;
pub mod store;
pub mod verify;
pub mod wire;

// The curated facade: what a crawler or a batch job needs, at the crate root.
pub use document::{DocId, Document, Published};
pub use error::{Error, Result};
pub use fingerprint::{Fingerprint, Fingerprinter};
pub use index::{Decision, DecisionKind, DocRef, Index, IndexOptions, Match};
pub use minhash::{Signature, SignatureParams};
pub use pipeline::{scan, ScanConfig, ScanResult};
