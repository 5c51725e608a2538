//! wirecopy: find near-duplicate and syndicated copies of news stories.
#![warn(missing_docs)]

pub mod align;
pub mod chrome;
pub mod cluster;
pub mod document;
pub mod error;
pub mod eval;
pub mod html;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod output;
pub mod pipeline;
pub mod report;
pub mod shingle;
pub mod source;
pub mod verify;
pub mod warc;
pub mod wire;

pub use document::{DocId, Document, Published};
pub use error::{Error, Result};
