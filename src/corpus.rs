//! corpus.rs: where are a scan's texts before it reads them?
//!
//! A [`Corpus`] is the documents a scan is given. Their texts are either in the documents
//! (`Document::text`, as a library caller builds them) or on disk ([`SpilledTexts`]), written
//! there by [`crate::input::read_corpus`] as each document was read, so that a corpus larger
//! than memory is never held whole: the scan reads each text back when it normalizes its page,
//! and the report reads only its stories' members.
//!
//! Invariant: the same documents give the same scan whether their texts are held or spilled.
//! A spilled text is read back byte for byte (checked against the xxh3 written with it), and
//! that xxh3 is the text hash that orders documents ([`Document::order_key`]).

use crate::document::{DocId, Document, Published};
use crate::error::{Error, Result};
use crate::spill::SpilledSlices;
use rayon::prelude::*;
use std::path::PathBuf;

/// The documents of a scan, their texts held or on disk.
#[derive(Debug)]
pub struct Corpus {
    /// The documents; their `text` is empty when `texts` holds them.
    pub(crate) docs: Vec<Document>,
    /// The texts, on disk: document `i`'s is `texts.text(i)`.
    pub(crate) texts: Option<SpilledTexts>,
}

impl From<Vec<Document>> for Corpus {
    /// Documents with their texts.
    fn from(docs: Vec<Document>) -> Corpus {
        Corpus { docs, texts: None }
    }
}

impl Corpus {
    /// Documents whose texts are `texts`: document `i`'s is `texts.text(i)`.
    pub(crate) fn spilled(docs: Vec<Document>, texts: SpilledTexts) -> Corpus {
        Corpus {
            docs,
            texts: Some(texts),
        }
    }

    /// Documents in the corpus.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether the corpus has no document.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The documents (their texts empty when [`Corpus::texts_on_disk`]).
    pub fn docs(&self) -> &[Document] {
        &self.docs
    }

    /// Whether the texts are on disk rather than in the documents.
    pub fn texts_on_disk(&self) -> bool {
        self.texts.is_some()
    }

    /// Bytes of text of every document, held or on disk.
    pub fn text_bytes(&self) -> u64 {
        match &self.texts {
            Some(t) => (0..self.docs.len()).map(|i| t.text_len(i)).sum(),
            None => self.docs.iter().map(|d| d.text.len() as u64).sum(),
        }
    }

    /// Document `i`'s text, read from disk when it is there.
    pub fn text(&self, i: usize) -> Result<String> {
        match &self.texts {
            Some(t) => t.text(i),
            None => Ok(self.docs[i].text.clone()),
        }
    }
}

/// When [`crate::input::read_corpus`] writes texts to disk as it reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextSpill {
    /// Bytes of text held in memory before every text read so far, and every later one, goes
    /// to disk: `Some(0)` from the first document, `None` never.
    pub after: Option<u64>,
    /// Folder in which the temporary folder of texts is made (the system's temporary folder
    /// when `None`).
    pub dir: Option<PathBuf>,
}

/// Texts written to disk, one slice each, in any order: document `i`'s text is slice
/// `slots[i]` (slice `i` when there are no slots).
#[derive(Debug)]
pub struct SpilledTexts {
    store: SpilledSlices<u8>,
    slots: Option<Vec<u32>>,
}

impl SpilledTexts {
    /// Texts whose slices are in document order.
    pub(crate) fn in_order(store: SpilledSlices<u8>) -> SpilledTexts {
        SpilledTexts { store, slots: None }
    }

    /// Texts whose document `i` is slice `slots[i]` of `store`.
    pub(crate) fn by_slot(store: SpilledSlices<u8>, slots: Vec<u32>) -> SpilledTexts {
        SpilledTexts {
            store,
            slots: Some(slots),
        }
    }

    fn slot(&self, i: usize) -> usize {
        match &self.slots {
            Some(s) => s.get(i).map_or(usize::MAX, |&s| s as usize),
            None => i,
        }
    }

    /// The file the texts are in.
    pub fn path(&self) -> &std::path::Path {
        self.store.path()
    }

    /// Document `i`'s text, read back and checked.
    pub fn text(&self, i: usize) -> Result<String> {
        read_text(&self.store, self.slot(i))
    }

    /// Start reading document `i`'s text into the page cache ([`SpilledSlices::will_need`]).
    pub fn will_need(&self, i: usize) {
        self.store.will_need(self.slot(i));
    }

    /// Bytes of document `i`'s text (0 past the last document).
    pub fn text_len(&self, i: usize) -> u64 {
        self.store.slice_len(self.slot(i)).unwrap_or(0)
    }

    /// The xxh3 of document `i`'s text: its [`Document::order_key`] hash.
    pub fn text_hash(&self, i: usize) -> u64 {
        self.store.checksum(self.slot(i)).unwrap_or(0)
    }

    /// The same texts in another document order: document `i` of the result is document
    /// `order[i]` of these.
    pub(crate) fn reordered(self, order: &[usize]) -> SpilledTexts {
        let slots = order.iter().map(|&i| self.slot(i) as u32).collect();
        SpilledTexts::by_slot(self.store, slots)
    }
}

/// Documents' fields other than their texts, written to disk in document order while a scan
/// under a memory limit does not need them (from normalization to the end of matching), so
/// that the page cache, not they, holds the shingle sets the matching reads. Encoded with
/// postcard, each document checked on reading against the xxh3 of what was written.
#[derive(Debug)]
pub(crate) struct SpilledDocs {
    store: SpilledSlices<u8>,
}

/// A document's fields other than its text, as written: whether the id is a number, the id,
/// url, site, title and publication time (raw, Unix seconds, date only).
type Fields<S> = (
    bool,
    S,
    Option<S>,
    Option<S>,
    Option<S>,
    Option<(S, i64, bool)>,
);

impl SpilledDocs {
    /// An empty file in a new temporary folder under `dir` (see [`SpilledSlices::create`]).
    pub(crate) fn create(dir: Option<&std::path::Path>) -> Result<SpilledDocs> {
        Ok(SpilledDocs {
            store: SpilledSlices::create(dir)?,
        })
    }

    /// Append the next document's fields (its text is not written).
    pub(crate) fn push(&mut self, d: &Document) -> Result<()> {
        let (num, id) = match &d.id {
            DocId::Num(s) => (true, s.as_str()),
            DocId::Str(s) => (false, s.as_str()),
        };
        let fields: Fields<&str> = (
            num,
            id,
            d.url.as_deref(),
            d.site.as_deref(),
            d.title.as_deref(),
            d.published
                .as_ref()
                .map(|p| (p.raw.as_str(), p.unix, p.date_only)),
        );
        let bytes = postcard::to_stdvec(&fields).map_err(|e| invalid_data(self.store.path(), e))?;
        self.store.push(&bytes)
    }

    /// Every document written, in order, with empty texts: read front to back through a
    /// mapping, a batch at a time, the mapped pages let go after each.
    pub(crate) fn read_all(self) -> Result<Vec<Document>> {
        const BATCH: usize = 1 << 13;
        let path = self.store.path().to_path_buf();
        let invalid = |e| invalid_data(&path, e);
        let map = self.store.into_mapped()?;
        let mut docs = Vec::with_capacity(map.len());
        for start in (0..map.len()).step_by(BATCH) {
            let end = (start + BATCH).min(map.len());
            let batch: Vec<Document> = (start..end)
                .into_par_iter()
                .map(|i| {
                    let fields: Fields<String> =
                        postcard::from_bytes(map.get(i)).map_err(invalid)?;
                    let (num, id, url, site, title, published) = fields;
                    Ok(Document {
                        id: if num { DocId::Num(id) } else { DocId::Str(id) },
                        url,
                        site,
                        title,
                        published: published.map(|(raw, unix, date_only)| Published {
                            raw,
                            unix,
                            date_only,
                        }),
                        text: String::new(),
                    })
                })
                .collect::<Result<_>>()?;
            docs.extend(batch);
            map.release();
        }
        Ok(docs)
    }
}

/// The error for bytes of the spill file at `path` that do not decode as what was written.
fn invalid_data(
    path: &std::path::Path,
    e: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    }
}

/// Slice `slot` of `store`, read back, checked and decoded.
pub(crate) fn read_text(store: &SpilledSlices<u8>, slot: usize) -> Result<String> {
    // Bytes that were a String and passed their checksum: valid UTF-8.
    String::from_utf8(store.read(slot)?).map_err(|e| invalid_data(store.path(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilled_documents_come_back_with_every_field_but_their_texts() {
        let mut full = Document::new("a", "the text stays out");
        full.url = Some("https://example.com/story".into());
        full.site = Some("Example.com".into());
        full.title = Some("Ünïcode headline".into());
        full.published = Published::parse("2024-03-05T10:00:00Z");
        let mut numbered = Document::new("x", "");
        numbered.id = DocId::Num("123456789012345678901234567890".into());
        numbered.published = Published::parse("2024-03-05");
        let bare = Document::new("", "");
        let docs = [full, numbered, bare];
        let mut store = SpilledDocs::create(None).expect("temporary folder");
        for d in &docs {
            store.push(d).expect("write");
        }
        let back = store.read_all().expect("read back");
        let expected: Vec<Document> = docs
            .iter()
            .map(|d| Document {
                text: String::new(),
                ..d.clone()
            })
            .collect();
        assert_eq!(back, expected);
        assert_eq!(back[1].published.as_ref().map(|p| p.date_only), Some(true));
    }

    #[test]
    fn spilled_texts_read_back_through_their_slots() {
        let mut store = SpilledSlices::<u8>::create(None).expect("temporary folder");
        for t in ["zero", "one", "two"] {
            store.push(t.as_bytes()).expect("write");
        }
        store.finish_writing().expect("flush");
        let texts = SpilledTexts::by_slot(store, vec![2, 0, 1]);
        let read: Vec<String> = (0..3).map(|i| texts.text(i).expect("read")).collect();
        assert_eq!(read, ["two", "zero", "one"]);
        assert_eq!(texts.text_len(0), 3);
        assert_eq!(
            texts.text_hash(1),
            Document::new("x", "zero").order_key().1,
            "the order key's hash"
        );
        // Document 0 of the result is document 2 of these ("one"), and so on.
        let again = texts.reordered(&[2, 0, 1]);
        let read: Vec<String> = (0..3).map(|i| again.text(i).expect("read")).collect();
        assert_eq!(read, ["one", "two", "zero"]);
        assert!(again.text(3).is_err(), "past the last document");
    }
}
