//! wirecopy: find near-duplicate and syndicated copies of news stories.
#![warn(missing_docs)]

pub mod align;
pub mod document;
pub mod error;
pub mod report;
pub mod verify;
pub mod wire;

pub use document::{DocId, Document, Published};
pub use error::{Error, Result};
