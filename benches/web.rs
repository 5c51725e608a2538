//! Web ingestion speed: WARC reading alone (MB/s of compressed WARC, one core) and main-text
//! extraction (pages/s, one core). Inputs are generated here so the bench needs no data; each
//! bench asserts the counts it processed so a broken reader fails instead of getting faster.

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::io::{Read, Write};
use std::path::Path;

/// A deterministic pseudo-random word source (an LCG): text that compresses like prose.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn word(&mut self) -> String {
        const SYL: [&str; 16] = [
            "ka", "to", "ri", "men", "sa", "lo", "ver", "in", "de", "ur", "pa", "nos", "te", "li",
            "ga", "bro",
        ];
        // A Zipf-like skew: short common words dominate, as in news text.
        let n = 1 + (self.next() % 3) as usize;
        let mut w = String::new();
        for _ in 0..n {
            let r = self.next() as usize;
            w.push_str(SYL[(r % 16).min((r >> 4) % 16)]);
        }
        w
    }

    fn sentence(&mut self) -> String {
        let n = 8 + (self.next() % 20) as usize;
        let mut s: Vec<String> = (0..n).map(|_| self.word()).collect();
        s[0] = format!("{}{}", s[0][..1].to_uppercase(), &s[0][1..]);
        format!("{}.", s.join(" "))
    }
}

/// A news page with chrome: navigation, related headlines, scripts, footer.
fn page(w: &mut Words, i: usize) -> String {
    let nav: String = (0..25)
        .map(|k| format!("<li><a href=\"/section/{k}\">{}</a></li>", w.word()))
        .collect();
    let related: String = (0..10)
        .map(|k| {
            format!(
                "<li><a href=\"/story/{}\">{}</a></li>",
                i * 10 + k,
                w.sentence()
            )
        })
        .collect();
    let paras: String = (0..12)
        .map(|_| {
            format!(
                "<p>{} {} {}</p>\n",
                w.sentence(),
                w.sentence(),
                w.sentence()
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Story {i}</title>\
         <meta property=\"article:published_time\" content=\"2024-05-01T08:00:00Z\">\
         <script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments)}}</script>\
         <link rel=\"stylesheet\" href=\"/static/site.css\"></head><body>\
         <header class=\"site-header\"><nav><ul class=\"menu\">{nav}</ul></nav></header>\
         <main><article><h1>{}</h1><p class=\"byline\">By Staff</p>{paras}</article>\
         <aside class=\"related\"><h2>Related</h2><ul>{related}</ul></aside></main>\
         <footer><p>Copyright 2024 The Example Times. All rights reserved.</p></footer>\
         </body></html>",
        w.sentence()
    )
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).expect("writing to a Vec cannot fail");
    e.finish().expect("writing to a Vec cannot fail")
}

/// A per-record-gzip WARC of `n` request/response pairs, as wget writes them, and its size
/// uncompressed.
fn warc_gz(pages: &[String]) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut raw = 0;
    for (i, p) in pages.iter().enumerate() {
        let http = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n{p}",
            p.len()
        );
        let req = format!("GET /story/{i} HTTP/1.1\r\nHost: news.example.com\r\n\r\n");
        for (kind, block) in [("request", req), ("response", http)] {
            let rec = format!(
                "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{kind}-{i}>\r\n\
                 WARC-Target-URI: http://news.example.com/story/{i}\r\n\
                 WARC-Date: 2024-05-01T09:00:00Z\r\nContent-Type: application/http\r\n\
                 Content-Length: {}\r\n\r\n{block}\r\n\r\n",
                block.len()
            );
            raw += rec.len();
            out.extend(gz(rec.as_bytes()));
        }
    }
    (out, raw)
}

/// The Mozilla readability test pages, when `../shared/data` is there: real pages, real
/// compression ratios.
fn real_pages() -> Option<Vec<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/readability-pages");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    let pages: Vec<String> = names
        .iter()
        .filter_map(|p| std::fs::read(p.join("source.html")).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    (!pages.is_empty()).then_some(pages)
}

fn bench_real(c: &mut Criterion, pages: &[String]) {
    let (warc, warc_len) = warc_gz(pages);
    let raw: usize = pages.iter().map(String::len).sum();
    eprintln!(
        "web bench (readability-pages): {} pages, {} bytes of HTML, {} bytes of WARC.gz",
        pages.len(),
        raw,
        warc.len()
    );
    let mut g = c.benchmark_group("real");
    g.throughput(Throughput::Bytes(warc.len() as u64));
    g.bench_function("gunzip_only", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            let n = flate2::read::MultiGzDecoder::new(&warc[..])
                .read_to_end(&mut out)
                .expect("in-memory gzip");
            assert_eq!(n, warc_len, "every byte of the generated WARC inflated");
            n
        })
    });
    g.bench_function("read_records_gz", |b| {
        b.iter(|| {
            let reader =
                wirecopy::input::warc::WarcReader::new(&warc[..], Path::new("bench.warc.gz"))
                    .expect("in-memory input");
            let mut n = 0;
            for r in reader {
                r.expect("generated records are well formed");
                n += 1;
            }
            assert_eq!(n, 2 * pages.len());
            n
        })
    });
    g.throughput(Throughput::Elements(pages.len() as u64));
    g.sample_size(10);
    g.bench_function("html_extract_pages", |b| {
        b.iter(|| {
            let n = pages
                .iter()
                .filter(|p| wirecopy::input::html::extract(p.as_bytes(), None, None).is_ok())
                .count();
            assert_eq!(n, pages.len());
            n
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    match real_pages() {
        Some(p) => bench_real(c, &p),
        None => eprintln!(
            "web bench: ../shared/data/readability-pages missing, real-page benches skipped"
        ),
    }
    let mut w = Words(42);
    let pages: Vec<String> = (0..200).map(|i| page(&mut w, i)).collect();
    let (warc, _) = warc_gz(&pages);
    let raw: usize = pages.iter().map(String::len).sum();
    eprintln!(
        "web bench: {} pages, {} bytes of HTML, {} bytes of WARC.gz",
        pages.len(),
        raw,
        warc.len()
    );

    let mut g = c.benchmark_group("warc");
    g.throughput(Throughput::Bytes(warc.len() as u64));
    g.bench_function("read_records_gz", |b| {
        b.iter(|| {
            let reader =
                wirecopy::input::warc::WarcReader::new(&warc[..], Path::new("bench.warc.gz"))
                    .expect("in-memory input");
            let mut n = 0;
            let mut bytes = 0;
            for r in reader {
                let r = r.expect("generated records are well formed");
                bytes += r.block.len();
                n += 1;
            }
            assert_eq!(n, 2 * pages.len());
            bytes
        })
    });
    g.finish();

    let mut g = c.benchmark_group("extract");
    g.throughput(Throughput::Elements(pages.len() as u64));
    g.sample_size(10);
    g.bench_function("html_extract_pages", |b| {
        b.iter(|| {
            let mut n = 0;
            for p in &pages {
                let e = wirecopy::input::html::extract(
                    p.as_bytes(),
                    Some("http://news.example.com/"),
                    None,
                )
                .expect("generated pages have text");
                assert!(!e.text.contains("Copyright"));
                n += e.text.lines().count();
            }
            // Twelve paragraphs per page, at least (readability may fold the headline away).
            assert!(n >= 12 * pages.len(), "{n}");
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
