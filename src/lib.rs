//! wirecopy: find near-duplicate and syndicated copies of news stories.
#![warn(missing_docs)]

pub mod document;
pub mod error;
pub mod html;
pub mod verify;
pub mod warc;

pub use document::{DocId, Document, Published};
pub use error::{Error, Result};
