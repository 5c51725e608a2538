//! index/story.rs: what does the syndication report say about the stories of a live index?
//!
//! [`Index::report`] tells the index's own stories ([`Index::story_ids`], the ones decisions and
//! `index stats` count) with the batch report model ([`crate::report`]): origin, wire, and every
//! copy with its site, date, coverage, credit and staleness, rendered by the same renderers as
//! `scan --format ...`. [`Index::story_of`] picks one story out of such a report.
//!
//! How: the live documents are scanned again ([`crate::pipeline::scan`] with the index's
//! configuration, as [`Index::compact`] does), which gives every page its content paragraphs
//! with chrome learned from everything the index holds and its shingle set (what coverage and
//! similarity are measured on); the scan's own clusters are then replaced by the index's stories.
//! Built only from what [`Index`] exposes publicly, so it cannot disturb the index.
//!
//! Invariant: the report depends only on the live documents and the index's stories, never on
//! the order the documents arrived in; the same index gives a byte-identical report. Cost: one
//! batch scan of the live documents, so a caller that asks often caches it per index state.

use super::Index;
use crate::document::DocId;
use crate::error::Result;
use crate::input::ReadCounts;
use crate::pipeline::{self, ScanResult};
use crate::report::{Report, ReportConfig, Story};
use std::collections::HashMap;

impl Index {
    /// The syndication report of the index's stories (see the module documentation). Story ids
    /// are positions in [`Index::story_ids`] counted from 1 (largest story first).
    pub fn report(&self, config: &ReportConfig) -> Result<Report> {
        let docs = self.documents()?;
        let mut result: ScanResult = pipeline::scan(docs, self.config(), &pipeline::Quiet)?;
        // A live id names one document (an add replaces a same-id one); the first holder of an
        // id in canonical order stands for it should a segment repeat one.
        let mut at: HashMap<&DocId, u32> = HashMap::new();
        for (i, d) in result.docs.iter().enumerate() {
            at.entry(&d.id).or_insert(i as u32);
        }
        let clusters: Vec<Vec<u32>> = self
            .story_ids()?
            .iter()
            .map(|ids| {
                let mut c: Vec<u32> = ids.iter().filter_map(|id| at.get(id).copied()).collect();
                c.sort_unstable();
                c.dedup();
                c
            })
            .collect();
        drop(at);
        result.clusters = clusters;
        let read = ReadCounts {
            documents: result.docs.len() as u64,
            ..ReadCounts::default()
        };
        crate::output::report(&result, read, config)
    }

    /// The story of `report` (from [`Index::report`]) that holds the document `id`, or `None`
    /// when that document is in no story.
    pub fn story_of<'r>(report: &'r Report, id: &str) -> Option<&'r Story> {
        report
            .clusters
            .iter()
            .find(|s| s.members.iter().any(|m| m.id.as_str() == id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::ScanConfig;
    use crate::Document;

    fn story() -> String {
        [
            "The harbour authority said the new crane terminal would open in May after two years of work.",
            "Officials expect it to double the port's container traffic by the end of the decade.",
            "Dock workers' unions said they had been consulted on the staffing plan for the terminal.",
        ]
        .join("\n")
    }

    #[test]
    fn the_report_tells_the_index_stories_and_does_not_depend_on_arrival_order() {
        let docs = vec![
            Document::new("wire", story()),
            Document::new("copy", format!("Home | News\n{}\nRelated: weekend", story())),
            Document::new(
                "other",
                "The city orchestra named a new music director after an eighteen-month search.\n\
                 Her first concert with the ensemble is planned for October in the old opera house.",
            ),
        ];
        let mut a = Index::in_memory(&ScanConfig::default()).expect("empty index");
        let mut b = Index::in_memory(&ScanConfig::default()).expect("empty index");
        for d in &docs {
            a.add(d.clone()).expect("in memory");
        }
        for d in docs.iter().rev() {
            b.add(d.clone()).expect("in memory");
        }
        let ra = a.report(&ReportConfig::default()).expect("report");
        let rb = b.report(&ReportConfig::default()).expect("report");
        assert_eq!(ra, rb);
        assert_eq!(ra.clusters.len(), a.story_ids().expect("stories").len());
        let s = Index::story_of(&ra, "copy").expect("copy is in a story");
        let ids: Vec<&str> = s.members.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(s.size, 2);
        assert!(ids.contains(&"wire") && ids.contains(&"copy"), "{ids:?}");
        assert!(Index::story_of(&ra, "other").is_none());
        assert!(Index::story_of(&ra, "missing").is_none());
    }
}
