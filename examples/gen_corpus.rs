//! Generate a large, realistic syndication corpus and its truth, deterministically from a seed.
//!
//! Wire stories are published on agency sites and copied onto other sites the way syndication
//! does it: full re-posts, cuts after a few paragraphs, a dropped paragraph, retitles, the
//! agency credit stripped, light word edits, typography changes, an editor's note, late re-posts,
//! copies of copies, a few copies rewritten in part; a story has 0 to 10 copies, and a few
//! stories have 30 to 300. Templated briefs (the same sentences with other figures and names)
//! are different stories that share most of their words. Every page
//! carries its site's chrome (navigation, byline, date line, share buttons, a "Related" list of
//! other headlines, footers). Stories with no copies are the unrelated pages.
//!
//! Story text comes from an invented vocabulary (Zipf-like word frequencies, short frequent
//! words), or, with `--source DIR`, from the plain-text files of DIR first (for example
//! `../shared/data/bbc`: the first line of a file is its headline), read at run time and never
//! written anywhere but the output; when they run out, invented stories follow.
//!
//! `--shape lines` writes the single-line documents of issue 15's measurement (story text only,
//! paragraphs joined by spaces, no chrome): `--shape lines --docs 20000` gives about 88 MB.
//!
//! ```text
//! cargo run --release --example gen_corpus -- --docs 20000 -o corpus.jsonl --truth truth.jsonl
//! cargo run --release --example gen_corpus -- --mb 4000 --seed 7 -o big.jsonl
//! cargo run --release --example gen_corpus -- --docs 20000 --shape lines -o lines.jsonl
//! cargo run --release --example gen_corpus -- --docs 50000 --source ../shared/data/bbc -o bbc.jsonl
//! ```
//!
//! Output: one JSON object a line with `id`, `url`, `site`, `published`, `title`, `text` (what
//! `wirecopy scan` reads); truth: `{"id", "cluster"}` for every page, singletons included (what
//! `wirecopy eval --truth` reads). The same flags and seed give byte-identical files.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: gen_corpus [--docs N] [--mb MB] [--seed S] [--sites K] \
[--shape pages|lines] [--words W] [--unrelated SHARE] [--templated SHARE] [--source DIR] [--truth FILE] [-o FILE]

  --docs N          stop after N documents
  --mb MB           stop once MB megabytes (10^6 bytes) of JSONL are written
                    (with neither: --docs 20000; with both: whichever comes first)
  --seed S          random seed (default 1); the same flags and seed give the same bytes
  --sites K         sites copies appear on, besides 4 agencies (default 300)
  --shape SHAPE     pages: whole pages with chrome, one line per paragraph (default);
                    lines: story text only, on one line (issue 15's single-line corpus)
  --words W         mean words of an invented story (default 560 pages, 600 lines)
  --unrelated SHARE share of stories with no copy at all (default 0.45)
  --templated SHARE share of invented stories that are templated briefs of 40 families:
                    different stories that share most words (default 0.05)
  --source DIR      take stories from the .txt files under DIR first (first line: headline)
  --truth FILE      also write {\"id\",\"cluster\"} for every document
  -o FILE           write the corpus to FILE (default: stdout)";

/// Command-line options.
struct Options {
    docs: Option<u64>,
    bytes: Option<u64>,
    seed: u64,
    sites: usize,
    lines: bool,
    words: Option<usize>,
    unrelated: f64,
    templated: f64,
    source: Option<PathBuf>,
    truth: Option<PathBuf>,
    output: Option<PathBuf>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        docs: None,
        bytes: None,
        seed: 1,
        sites: 300,
        lines: false,
        words: None,
        unrelated: 0.45,
        templated: 0.05,
        source: None,
        truth: None,
        output: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| -> Result<u64, String> {
            value
                .parse::<u64>()
                .map_err(|e| format!("{flag} {value}: {what} expected ({e})"))
        };
        match flag.as_str() {
            "--docs" => o.docs = Some(number("a whole number")?.max(1)),
            "--mb" => {
                let mb: f64 = value
                    .parse()
                    .map_err(|e| format!("--mb {value}: a number expected ({e})"))?;
                if !(mb > 0.0 && mb.is_finite()) {
                    return Err(format!("--mb {value}: must be more than 0"));
                }
                o.bytes = Some((mb * 1e6) as u64);
            }
            "--seed" => o.seed = number("a whole number")?,
            "--sites" => {
                o.sites = number("a whole number")? as usize;
                if o.sites < 2 {
                    return Err(format!("--sites {value}: at least 2"));
                }
            }
            "--shape" => {
                o.lines = match value.as_str() {
                    "pages" => false,
                    "lines" => true,
                    _ => return Err(format!("--shape {value}: pages or lines")),
                }
            }
            "--words" => {
                let w = number("a whole number")? as usize;
                if !(20..=100_000).contains(&w) {
                    return Err(format!("--words {value}: 20 to 100000"));
                }
                o.words = Some(w);
            }
            "--unrelated" => {
                let u: f64 = value
                    .parse()
                    .map_err(|e| format!("--unrelated {value}: a number expected ({e})"))?;
                if !(0.0..=1.0).contains(&u) {
                    return Err(format!("--unrelated {value}: between 0 and 1"));
                }
                o.unrelated = u;
            }
            "--templated" => {
                let u: f64 = value
                    .parse()
                    .map_err(|e| format!("--templated {value}: a number expected ({e})"))?;
                if !(0.0..=1.0).contains(&u) {
                    return Err(format!("--templated {value}: between 0 and 1"));
                }
                o.templated = u;
            }
            "--source" => o.source = Some(value.into()),
            "--truth" => o.truth = Some(value.into()),
            "-o" | "--output" => o.output = Some(value.into()),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    if o.docs.is_none() && o.bytes.is_none() {
        o.docs = Some(20_000);
    }
    Ok(o)
}

/// splitmix64: fast, and the same sequence everywhere for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn one<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())]
    }
}

/// The splitmix64 finalizer: a bijection of u64, so distinct inputs give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An invented language: words whose length grows with their rank, drawn with Zipf-like
/// (log-uniform rank) frequencies, plus proper names.
struct Language {
    words: Vec<String>,
    /// 4096 rank buckets of equal probability: bucket `b` covers ranks
    /// `[V^(b/4096) - 1, V^((b+1)/4096) - 1)`.
    buckets: Vec<(u32, u32)>,
    names: Vec<String>,
}

const SYLLABLES: [&str; 48] = [
    "a", "e", "i", "o", "u", "ka", "lo", "mi", "te", "an", "vo", "si", "ru", "pel", "dan", "bri",
    "sta", "nu", "gor", "tha", "ven", "mar", "lis", "pro", "cen", "dor", "fal", "hin", "jus",
    "kel", "mon", "nor", "pri", "qua", "ros", "sel", "tor", "ul", "vic", "wen", "yar", "zen",
    "ber", "cla", "dre", "fen", "gil", "hol",
];

impl Language {
    fn new(seed: u64, size: usize) -> Language {
        let mut rng = Rng(seed ^ 0x5eed_1a46);
        let mut seen = std::collections::HashSet::new();
        let mut words = Vec::with_capacity(size);
        while words.len() < size {
            let rank = words.len();
            // Frequent words are short, as in real languages.
            let sylls = match rank {
                0..=23 => 1,
                24..=599 => 1 + rng.below(2),
                _ => 2 + rng.below(2),
            };
            let mut w = String::new();
            for _ in 0..sylls {
                w.push_str(rng.one(&SYLLABLES));
            }
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let v = size as f64;
        let buckets = (0..4096)
            .map(|b| {
                let lo = v.powf(b as f64 / 4096.0) - 1.0;
                let hi = v.powf((b + 1) as f64 / 4096.0) - 1.0;
                let (lo, hi) = (lo as u32, (hi as u32).max(lo as u32 + 1).min(size as u32));
                (lo.min(size as u32 - 1), hi)
            })
            .collect();
        let names = (0..4000)
            .map(|_| {
                let mut n = String::new();
                for _ in 0..rng.range(2, 3) {
                    n.push_str(rng.one(&SYLLABLES));
                }
                capitalize(&n)
            })
            .collect();
        Language {
            words,
            buckets,
            names,
        }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let r = rng.next();
        let (lo, hi) = self.buckets[(r & 4095) as usize];
        let i = lo as usize + (((r >> 32) * u64::from(hi - lo)) >> 32) as usize;
        &self.words[i]
    }

    fn name(&self, rng: &mut Rng) -> &str {
        rng.pick(&self.names).as_str()
    }

    /// A sentence of 8 to 28 words with a proper name or a figure now and then.
    fn sentence(&self, rng: &mut Rng, out: &mut String) {
        let n = rng.range(8, 28);
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            let roll = rng.below(100);
            if roll < 5 {
                out.push_str(self.name(rng));
            } else if roll < 7 {
                let _ = write!(out, "{}", rng.range(2, 9_999));
            } else if i == 0 {
                out.push_str(&capitalize(self.word(rng)));
            } else {
                out.push_str(self.word(rng));
            }
        }
        out.push('.');
    }

    fn paragraph(&self, rng: &mut Rng, words: usize) -> String {
        let mut p = String::with_capacity(words * 7);
        let mut have = 0;
        while have < words {
            if !p.is_empty() {
                p.push(' ');
            }
            let before = p.len();
            self.sentence(rng, &mut p);
            have += p[before..].split(' ').count();
        }
        p
    }

    fn headline(&self, rng: &mut Rng) -> String {
        let mut h = String::new();
        for i in 0..rng.range(5, 11) {
            if i > 0 {
                h.push(' ');
            }
            if rng.below(6) == 0 {
                h.push_str(self.name(rng));
            } else if i == 0 {
                h.push_str(&capitalize(self.word(rng)));
            } else {
                h.push_str(self.word(rng));
            }
        }
        h
    }
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const SECTIONS: [&str; 16] = [
    "News",
    "World",
    "Business",
    "Markets",
    "Politics",
    "Sports",
    "Tech",
    "Science",
    "Health",
    "Opinion",
    "Lifestyle",
    "Weather",
    "Local",
    "Autos",
    "Podcasts",
    "Video",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const TLDS: [&str; 6] = ["com", "org", "net", "info", "news", "co.uk"];

/// A site and its chrome. The first four sites are the agencies that publish the stories;
/// the others copy them.
struct Site {
    name: String,
    domain: String,
    nav: String,
    share: &'static str,
    related: String,
    footer: Vec<String>,
}

fn sites(lang: &Language, rng: &mut Rng, count: usize) -> Vec<Site> {
    let shares = [
        "Share  Facebook  X  Email",
        "Share this article",
        "Copy link  Print  Email",
        "Follow us: Facebook | X | Instagram",
    ];
    let related = ["Related", "Read next", "More stories", "You may also like"];
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(count + 4);
    while out.len() < count + 4 {
        let agency = out.len() < 4;
        let mut base = String::new();
        for _ in 0..rng.range(2, 4) {
            base.push_str(rng.one(&SYLLABLES));
        }
        if !seen.insert(base.clone()) {
            continue;
        }
        let name = capitalize(&base) + if agency { "press" } else { "" };
        let domain = format!("{}.{}", name.to_lowercase(), rng.one(&TLDS));
        let mut nav = name.clone();
        for _ in 0..rng.range(4, 8) {
            nav.push_str("  ");
            nav.push_str(rng.one(&SECTIONS));
        }
        let mut footer = vec![
            format!(
                "Copyright {} {name} {}. All rights reserved.",
                rng.range(2019, 2025),
                rng.one(&["Media", "Group", "Media Group", "Publishing", "News Ltd"])
            ),
            [
                "About us | Contact | Privacy | Terms",
                "Privacy policy  Cookie settings  Terms of use",
                "Advertise | Careers | Newsletters | Help",
            ][rng.below(3)]
            .to_string(),
        ];
        if rng.chance(0.6) {
            footer.push(format!("{name}: {}", lang.headline(rng).to_lowercase()));
        }
        out.push(Site {
            related: rng.one(&related).to_string(),
            share: rng.one(&shares),
            name,
            domain,
            nav,
            footer,
        });
    }
    out
}

/// One story as its origin tells it.
struct Story {
    title: String,
    credit: String,
    paragraphs: Vec<String>,
    /// Seconds since 2024-01-01T00:00:00Z.
    published: u64,
    agency: usize,
    reporter: String,
}

/// Stories from the .txt files under a folder: headline on the first line, then paragraphs.
fn read_sources(dir: &Path, seed: u64) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("reading folder {}: {e}", d.display()))?;
        for e in entries {
            let p = e
                .map_err(|e| format!("reading folder {}: {e}", d.display()))?
                .path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "txt") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let bytes = std::fs::read(&f).map_err(|e| format!("reading {}: {e}", f.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let Some(title) = lines.next() else { continue };
        let paragraphs: Vec<String> = lines.map(str::to_string).collect();
        if paragraphs.len() >= 2 {
            out.push((title.to_string(), paragraphs));
        }
    }
    if out.is_empty() {
        return Err(format!(
            "{}: no .txt file with a headline and two paragraphs",
            dir.display()
        ));
    }
    // A seeded shuffle, so that a corpus is not one topic folder after another.
    let mut rng = Rng(seed ^ 0x50_0ce5);
    for i in (1..out.len()).rev() {
        out.swap(i, rng.below(i + 1));
    }
    Ok(out)
}

/// A copy's edits to a paragraph: about `percent` % of its words replaced, doubled or dropped.
fn edit_words(p: &str, percent: usize, lang: &Language, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    for (i, w) in p.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let roll = rng.below(100 * 4);
        if roll >= percent * 4 {
            out.push_str(w);
        } else if roll % 4 < 2 {
            out.push_str(lang.word(rng));
        } else if roll % 4 == 2 {
            out.push_str(w);
            out.push(' ');
            out.push_str(lang.word(rng));
        }
    }
    out
}

/// A family of templated reports (earnings briefs, commodity reports): the same sentences with
/// different figures and names, so different stories that share most of their words, the hard
/// negatives of syndication detection. `None` is a slot.
struct Template {
    paragraphs: Vec<Vec<Option<String>>>,
}

impl Template {
    fn new(lang: &Language, rng: &mut Rng) -> Template {
        let paragraphs = (0..rng.range(2, 4))
            .map(|_| {
                let n = rng.range(25, 50);
                let text = lang.paragraph(rng, n);
                let mut next_slot = rng.range(4, 12);
                text.split(' ')
                    .enumerate()
                    .map(|(i, w)| {
                        if i == next_slot {
                            next_slot += rng.range(6, 14);
                            None
                        } else {
                            Some(w.to_string())
                        }
                    })
                    .collect()
            })
            .collect();
        Template { paragraphs }
    }

    fn fill(&self, lang: &Language, rng: &mut Rng) -> Vec<String> {
        self.paragraphs
            .iter()
            .map(|p| {
                let words: Vec<String> = p
                    .iter()
                    .map(|w| match w {
                        Some(w) => w.clone(),
                        None if rng.below(3) == 0 => lang.name(rng).to_string(),
                        None => format!("{}.{}", rng.range(1, 999), rng.below(10)),
                    })
                    .collect();
                words.join(" ")
            })
            .collect()
    }
}

/// JSON string contents of `s`.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// RFC 3339 UTC time of `secs` seconds after 2024-01-01.
fn timestamp(secs: u64) -> String {
    let (y, m, d) = civil(secs / 86_400);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Year, month, day of `days` days after 2024-01-01 (Howard Hinnant's civil_from_days).
fn civil(days: u64) -> (i64, u32, u32) {
    let z = days as i64 + 19_723 + 719_468; // 2024-01-01 is day 19,723 of the Unix epoch.
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// One page to write.
struct Page<'a> {
    site: &'a Site,
    title: &'a str,
    byline: &'a str,
    paragraphs: &'a [String],
    published: u64,
    story: usize,
    copy: usize,
}

/// Writes pages and truth, counting.
struct Writer {
    out: Box<dyn Write>,
    truth: Option<Box<dyn Write>>,
    line: String,
    text: String,
    seed: u64,
    lines: bool,
    docs: u64,
    bytes: u64,
    related: Vec<String>,
}

impl Writer {
    fn page(&mut self, p: &Page, lang: &Language, rng: &mut Rng) -> io::Result<()> {
        let id = format!("{:016x}", mix(self.docs ^ self.seed.rotate_left(40)));
        let t = &mut self.text;
        t.clear();
        if self.lines {
            for (i, para) in p.paragraphs.iter().enumerate() {
                if i > 0 {
                    t.push(' ');
                }
                t.push_str(para);
            }
        } else {
            let (y, m, d) = civil(p.published / 86_400);
            let s = p.published % 86_400;
            let _ = write!(
                t,
                "{}\n{}\n{}\nPublished {} {d}, {y} {:02}:{:02}\n{}\n",
                p.site.nav,
                p.title,
                p.byline,
                MONTHS[m as usize - 1],
                s / 3600,
                s / 60 % 60,
                p.site.share
            );
            for para in p.paragraphs {
                t.push_str(para);
                t.push('\n');
            }
            t.push_str(&p.site.related);
            t.push('\n');
            // Other stories' headlines, from a pool that recent stories refresh.
            for _ in 0..rng.range(3, 5) {
                let h = rng.pick(&self.related);
                let _ = writeln!(t, "- {h}");
            }
            for f in &p.site.footer {
                t.push_str(f);
                t.push('\n');
            }
            t.pop();
        }
        let l = &mut self.line;
        l.clear();
        let section = SECTIONS[(p.story + p.copy) % SECTIONS.len()].to_lowercase();
        let _ = write!(
            l,
            "{{\"id\":\"{id}\",\"url\":\"https://{}/{section}/{}-{}\",\"site\":\"{}\",\"published\":\"{}\",\"title\":\"",
            p.site.domain,
            p.story,
            p.copy,
            p.site.domain,
            timestamp(p.published)
        );
        escape_into(l, p.title);
        l.push_str("\",\"text\":\"");
        escape_into(l, t);
        l.push_str("\"}\n");
        self.out.write_all(l.as_bytes())?;
        self.bytes += l.len() as u64;
        if let Some(w) = &mut self.truth {
            writeln!(w, "{{\"id\":\"{id}\",\"cluster\":\"s{}\"}}", p.story)?;
        }
        self.docs += 1;
        if self.related.len() < 512 {
            self.related.push(lang.headline(rng));
        } else {
            let i = rng.below(512);
            self.related[i] = lang.headline(rng);
        }
        Ok(())
    }
}

fn open(path: &Option<PathBuf>) -> Result<Box<dyn Write>, String> {
    Ok(match path {
        None => Box::new(BufWriter::with_capacity(1 << 20, io::stdout())),
        Some(p) => Box::new(BufWriter::with_capacity(
            1 << 20,
            File::create(p).map_err(|e| format!("creating {}: {e}", p.display()))?,
        )),
    })
}

fn run(o: Options) -> Result<(), String> {
    let start = Instant::now();
    let mut rng = Rng(o.seed);
    let lang = Language::new(o.seed, 40_000);
    let sites = sites(&lang, &mut rng, o.sites);
    let sources = match &o.source {
        Some(d) => read_sources(d, o.seed)?,
        None => Vec::new(),
    };
    let agencies = ["Norpress", "Globewire", "Ostpress", "Meridian"];
    let cities: Vec<String> = (0..200)
        .map(|_| lang.name(&mut rng).to_uppercase())
        .collect();
    let templates: Vec<Template> = (0..40).map(|_| Template::new(&lang, &mut rng)).collect();
    let words = o.words.unwrap_or(if o.lines { 600 } else { 560 });
    let mut w = Writer {
        out: open(&o.output)?,
        truth: match &o.truth {
            Some(_) => Some(open(&o.truth)?),
            None => None,
        },
        line: String::new(),
        text: String::new(),
        seed: o.seed,
        lines: o.lines,
        docs: 0,
        bytes: 0,
        related: (0..64).map(|_| lang.headline(&mut rng)).collect(),
    };
    let done =
        |w: &Writer| o.docs.is_some_and(|n| w.docs >= n) || o.bytes.is_some_and(|b| w.bytes >= b);
    let io_err = |e: io::Error| format!("writing: {e}");
    let mut story = 0usize;
    let mut from_source = 0usize;
    while !done(&w) {
        // The origin.
        let agency = rng.below(4);
        let (title, mut paragraphs) = match sources.get(story) {
            Some((t, p)) => {
                from_source += 1;
                (t.clone(), p.clone())
            }
            None if rng.chance(o.templated) => {
                let t = rng.pick(&templates);
                (lang.headline(&mut rng), t.fill(&lang, &mut rng))
            }
            None => {
                // Story length varies about fourfold around the mean.
                let target = rng.range(words / 2, words * 3 / 2);
                let mut ps = Vec::new();
                let mut have = 0;
                while have < target {
                    let n = rng.range(25, 80);
                    ps.push(lang.paragraph(&mut rng, n));
                    have += n;
                }
                (lang.headline(&mut rng), ps)
            }
        };
        let credit = format!("{} ({}) - ", rng.pick(&cities), agencies[agency]);
        paragraphs[0].insert_str(0, &credit);
        let s = Story {
            title,
            credit,
            paragraphs,
            published: (rng.below(700 * 86_400)) as u64,
            agency,
            reporter: format!("{} {}", lang.name(&mut rng), lang.name(&mut rng)),
        };
        let byline = format!("By {}", s.reporter);
        w.page(
            &Page {
                site: &sites[s.agency],
                title: &s.title,
                byline: &byline,
                paragraphs: &s.paragraphs,
                published: s.published,
                story,
                copy: 0,
            },
            &lang,
            &mut rng,
        )
        .map_err(io_err)?;
        // Its copies.
        let copies = if rng.chance(o.unrelated) {
            0
        } else if rng.chance(0.004) {
            rng.range(30, 300)
        } else {
            let mut k = 1;
            while k < 10 && rng.chance(0.45) {
                k += 1;
            }
            k
        };
        let mut previous: Option<Vec<String>> = None;
        for c in 1..=copies {
            if done(&w) {
                break;
            }
            let base = match &previous {
                Some(p) if rng.chance(0.2) => p,
                _ => &s.paragraphs,
            };
            let mut body = base.clone();
            if rng.chance(0.4) {
                if let Some(first) = body.first_mut() {
                    if let Some(rest) = first.strip_prefix(&s.credit) {
                        *first = rest.to_string();
                    }
                }
            }
            if body.len() >= 4 && rng.chance(0.2) {
                let keep = rng.range(2, body.len() - 1);
                body.truncate(keep);
            }
            if body.len() >= 3 && rng.chance(0.1) {
                let i = rng.range(1, body.len() - 1);
                body.remove(i);
            }
            // Most copies are edited lightly, a few rewritten in part.
            let edits = if rng.chance(0.08) { 20 } else { 2 };
            if rng.chance(0.5) {
                for p in body.iter_mut() {
                    *p = edit_words(p, edits, &lang, &mut rng);
                }
            }
            if rng.chance(0.2) {
                for p in body.iter_mut() {
                    *p = p.replace(" - ", " \u{2014} ").replace('"', "\u{201c}");
                }
            }
            if rng.chance(0.1) {
                body.push(format!(
                    "Editor's note: this story was updated on {} with {}.",
                    MONTHS[rng.below(12)],
                    lang.headline(&mut rng).to_lowercase()
                ));
            }
            let title = if rng.chance(0.3) {
                lang.headline(&mut rng)
            } else {
                s.title.clone()
            };
            let delay = if rng.chance(0.05) {
                rng.range(60, 500) * 86_400
            } else {
                rng.below(2 * 86_400)
            } as u64;
            let site = &sites[4 + rng.below(sites.len() - 4)];
            let byline = if rng.chance(0.5) {
                format!("By {} | {}", s.reporter, agencies[s.agency])
            } else {
                format!("{} staff", site.name)
            };
            w.page(
                &Page {
                    site,
                    title: &title,
                    byline: &byline,
                    paragraphs: &body,
                    published: s.published + 60 + delay,
                    story,
                    copy: c,
                },
                &lang,
                &mut rng,
            )
            .map_err(io_err)?;
            previous = Some(body);
        }
        story += 1;
    }
    w.out.flush().map_err(io_err)?;
    if let Some(t) = &mut w.truth {
        t.flush().map_err(io_err)?;
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "gen_corpus: {} documents, {} stories ({from_source} from --source), {:.1} MB in {secs:.1} s ({:.0} MB/s)",
        w.docs,
        story,
        w.bytes as f64 / 1e6,
        w.bytes as f64 / 1e6 / secs.max(1e-9)
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A reader that stops early (`| head`) is not an error.
            if e.contains("Broken pipe") {
                return ExitCode::SUCCESS;
            }
            eprintln!("gen_corpus: {e}");
            ExitCode::from(2)
        }
    }
}
