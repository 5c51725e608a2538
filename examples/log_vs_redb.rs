//! The measurement behind the live index's storage choice (issue 11): the part of an index that
//! changes with every add, kept in wirecopy's own append-only log (`src/index/log.rs`) or in
//! redb, an embedded ACID store. Both write the same postcard records of real pages and make
//! each one durable before the next (what `stream` needs: a decision is printed only once its add
//! is on disk), then read everything back (what `Index::open` replays).
//!
//! ```text
//! cargo run --release --example log_vs_redb -- corpus/wire.jsonl 2000
//! ```
//!
//! Prints per store: durable appends per second, p50/p99 per append, replay time, bytes on disk.
//! Nothing is asserted; the figures are quoted in README.

use redb::ReadableTable;
use std::path::Path;
use std::time::{Duration, Instant};
use wirecopy::index::log::{Log, LoggedDoc, Record};
use wirecopy::input::{parse_record, FieldMap};

const TABLE: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("log");

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len().max(1) - 1) as f64 * p).round() as usize)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn report(name: &str, mut lat: Vec<Duration>, total: Duration, replay: Duration, bytes: u64) {
    lat.sort();
    println!(
        "{name:<8} {:>7.0} appends/s  p50 {:.3} ms  p99 {:.3} ms  replay {:.1} ms  {:.1} MB on disk",
        lat.len() as f64 / total.as_secs_f64().max(1e-9),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        replay.as_secs_f64() * 1e3,
        bytes as f64 / 1e6
    );
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let corpus = args
        .next()
        .ok_or("usage: log_vs_redb CORPUS.jsonl [RECORDS]")?;
    let n: usize = args.next().map_or(Ok(2000), |s| s.parse())?;
    let text = std::fs::read_to_string(&corpus)?;
    let pages: Vec<wirecopy::Document> = text
        .lines()
        .filter_map(|l| parse_record(l, &FieldMap::default()).ok())
        .collect();
    if pages.is_empty() {
        return Err(format!("{corpus}: no documents").into());
    }
    let records: Vec<Record> = (0..n)
        .map(|i| Record::Add(LoggedDoc::of(&pages[i % pages.len()])))
        .collect();
    let dir = tempfile::tempdir()?;

    // wirecopy's log: one append and one fdatasync per record.
    let path = dir.path().join("log.wcl");
    let mut log = Log::create(&path, 0)?;
    let mut lat = Vec::with_capacity(n);
    let t = Instant::now();
    for r in &records {
        let s = Instant::now();
        log.push(r)?;
        log.sync()?;
        lat.push(s.elapsed());
    }
    let total = t.elapsed();
    drop(log);
    let t = Instant::now();
    let replay = wirecopy::index::log::read(&path, 0)?;
    let replay_time = t.elapsed();
    assert_eq!(replay.records.len(), n);
    report(
        "log",
        lat,
        total,
        replay_time,
        std::fs::metadata(&path)?.len(),
    );

    // redb: one write transaction committed (durably, its default) per record.
    let rdir = dir.path().join("redb");
    std::fs::create_dir_all(&rdir)?;
    let db = redb::Database::create(rdir.join("log.redb"))?;
    let mut lat = Vec::with_capacity(n);
    let t = Instant::now();
    for (i, r) in records.iter().enumerate() {
        let s = Instant::now();
        let bytes = postcard::to_stdvec(r)?;
        let tx = db.begin_write()?;
        {
            let mut table = tx.open_table(TABLE)?;
            table.insert(i as u64, bytes.as_slice())?;
        }
        tx.commit()?;
        lat.push(s.elapsed());
    }
    let total = t.elapsed();
    drop(db);
    let t = Instant::now();
    let db = redb::Database::open(rdir.join("log.redb"))?;
    let tx = db.begin_read()?;
    let table = tx.open_table(TABLE)?;
    let mut replayed = 0usize;
    for entry in table.iter()? {
        let (_, v) = entry?;
        let _: Record = postcard::from_bytes(v.value())?;
        replayed += 1;
    }
    let replay_time = t.elapsed();
    assert_eq!(replayed, n);
    report("redb", lat, total, replay_time, dir_bytes(&rdir));
    Ok(())
}
