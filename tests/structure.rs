//! Chrome is learned from structure, not frequency (issue 9): a story copied onto any number of
//! sites stays one story, and a site that keeps several versions of a story keeps them as one
//! story, whatever the counts. Corpora here are generated from an invented vocabulary with a
//! fixed seed, so every run sees the same pages.

use wirecopy::minhash::splitmix64;
use wirecopy::pipeline::{scan, Quiet, ScanConfig};
use wirecopy::Document;

/// Deterministic invented text: sentences of words drawn from a fixed syllable table.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        splitmix64(&mut self.0)
    }

    fn word(&mut self) -> String {
        const SYL: [&str; 24] = [
            "ka", "lo", "ven", "tri", "mar", "sul", "do", "pen", "ri", "tas", "gor", "fe", "lin",
            "bra", "mo", "zet", "cal", "nu", "ost", "re", "vi", "han", "pel", "qua",
        ];
        let n = 2 + (self.next() % 2) as usize;
        (0..n)
            .map(|_| SYL[(self.next() % SYL.len() as u64) as usize])
            .collect()
    }

    fn sentence(&mut self, words: usize) -> String {
        let mut s: Vec<String> = (0..words).map(|_| self.word()).collect();
        s[0] = capitalise(&s[0]);
        format!("{}.", s.join(" "))
    }

    fn paragraph(&mut self) -> String {
        let n = 2 + (self.next() % 2) as usize;
        (0..n)
            .map(|_| {
                let w = 12 + (self.next() % 10) as usize;
                self.sentence(w)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn story(&mut self, paragraphs: usize) -> Vec<String> {
        (0..paragraphs).map(|_| self.paragraph()).collect()
    }
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A page of `site` around `body`: navigation, a headline, a share bar, the body, a related
/// list of other headlines and a footer, all but the body the same on every page of the site.
fn page(site: &str, headline: &str, body: &[String], related: &[String]) -> String {
    let mut lines = vec![
        format!("{site}  Home  World  Business  Sport  Weather"),
        headline.to_string(),
        "Share  Email  Print".to_string(),
    ];
    lines.extend(body.iter().cloned());
    lines.push("Related".into());
    lines.extend(related.iter().map(|h| format!("- {h}")));
    lines.push(format!("About {site}  Contact  Privacy  Terms"));
    lines.push(format!("Copyright 2024 {site} Media. All rights reserved."));
    lines.join("\n")
}

fn doc(id: String, site: &str, text: String) -> Document {
    let mut d = Document::new(id, text);
    d.site = Some(site.to_string());
    d
}

/// Clusters as sets of ids.
fn clusters(docs: Vec<Document>) -> Vec<Vec<String>> {
    let r = scan(docs, &ScanConfig::default(), &Quiet).expect("scan");
    r.clusters
        .iter()
        .map(|c| {
            c.iter()
                .map(|&i| r.docs[i as usize].id.to_string())
                .collect()
        })
        .collect()
}

/// One story copied onto `copies` sites (full copies, cuts after three paragraphs and copies
/// missing a paragraph), among unrelated stories: every site also publishes two stories of its
/// own, so that its chrome recurs under different stories.
fn fanout_corpus(copies: usize, seed: u64) -> (Vec<Document>, Vec<String>) {
    let mut g = Gen(seed);
    let story = g.story(7);
    let headline = capitalise(&g.sentence(6).replace('.', ""));
    let headlines: Vec<String> = (0..40)
        .map(|_| capitalise(&g.sentence(5).replace('.', "")))
        .collect();
    let mut docs = Vec::new();
    let mut members = Vec::new();
    for s in 0..=copies {
        let site = format!("site{s}.example");
        let body: Vec<String> = match s % 3 {
            _ if s == 0 => story.clone(),
            0 => story.clone(),
            1 => story[..3].to_vec(),
            _ => story
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != 4)
                .map(|(_, p)| p.clone())
                .collect(),
        };
        let rel: Vec<String> = (0..4)
            .map(|k| headlines[(s * 7 + k * 3) % headlines.len()].clone())
            .collect();
        let id = format!("copy{s:04}");
        members.push(id.clone());
        docs.push(doc(id, &site, page(&site, &headline, &body, &rel)));
        for own in 0..2 {
            let body = g.story(3);
            let h = capitalise(&g.sentence(6).replace('.', ""));
            docs.push(doc(
                format!("own{s:04}-{own}"),
                &site,
                page(&site, &h, &body, &rel),
            ));
        }
    }
    members.sort();
    (docs, members)
}

#[test]
fn a_story_on_any_number_of_sites_is_one_cluster() {
    for (copies, seed) in [(2, 1), (10, 2), (31, 3), (100, 4), (1000, 5)] {
        let (docs, members) = fanout_corpus(copies, seed);
        let n = docs.len();
        let got = clusters(docs);
        let with_story: Vec<&Vec<String>> = got
            .iter()
            .filter(|c| c.iter().any(|id| id.starts_with("copy")))
            .collect();
        assert_eq!(
            with_story.len(),
            1,
            "{copies} copies among {n} pages: the story is split into {} clusters",
            with_story.len()
        );
        assert_eq!(
            with_story[0], &members,
            "{copies} copies: the story's cluster is not exactly its copies"
        );
        assert_eq!(
            got.len(),
            1,
            "{copies} copies: unrelated pages were clustered: {:?}",
            &got[1..]
        );
    }
}

#[test]
fn a_sites_versions_of_a_story_are_one_cluster() {
    let mut g = Gen(42);
    let story = g.story(8);
    let rel: Vec<String> = (0..4)
        .map(|_| capitalise(&g.sentence(5).replace('.', "")))
        .collect();
    let site = "localnews.example";
    let mut docs = Vec::new();
    // Four versions: new headlines, a new lede, paragraphs added at the end.
    for v in 0..4 {
        let mut body = story[..5 + v.min(3)].to_vec();
        if v >= 2 {
            body.insert(0, g.paragraph());
        }
        let h = capitalise(&g.sentence(6).replace('.', ""));
        docs.push(doc(
            format!("version{v}"),
            site,
            page(site, &h, &body, &rel),
        ));
    }
    // Three unrelated stories on the same site, and a copy of one version elsewhere.
    for u in 0..3 {
        let body = g.story(4);
        let h = capitalise(&g.sentence(6).replace('.', ""));
        docs.push(doc(format!("other{u}"), site, page(site, &h, &body, &rel)));
    }
    let got = clusters(docs);
    assert_eq!(
        got,
        vec![vec!["version0", "version1", "version2", "version3"]],
        "the four versions are one story and the other stories stay alone"
    );
}

/// `--keep-chrome` ([`ChromeConfig::disabled`]) keeps every line of a page as content, while the
/// stop-shingle cap, which decides evidence rather than chrome, still drops shingles on more
/// pages than it allows (its help says both).
#[test]
fn disabled_chrome_keeps_every_line_but_not_the_stop_shingles() {
    use wirecopy::chrome::ChromeConfig;
    let mut g = Gen(7);
    let related: Vec<String> = (0..3)
        .map(|_| capitalise(&g.sentence(5).replace('.', "")))
        .collect();
    // 40 pages of one site: its navigation is on more pages than the default cap of 30.
    let docs: Vec<Document> = (0..40)
        .map(|i| {
            let body = g.story(3);
            let text = page("One Site", &format!("Headline {i}"), &body, &related);
            doc(format!("p{i:02}"), "one.example", text)
        })
        .collect();
    let nav = "One Site  Home  World  Business  Sport  Weather";
    let kept = ScanConfig {
        chrome: ChromeConfig::disabled(),
        ..ScanConfig::default()
    };
    let r = scan(docs.clone(), &kept, &Quiet).expect("scan");
    for i in 0..r.docs.len() {
        let p = r.paragraphs(i);
        assert_eq!(
            p.len(),
            r.docs[i].text.lines().count(),
            "every line is content"
        );
        assert_eq!(p[0], nav);
    }
    assert!(
        r.stop_shingles > 0,
        "the navigation's shingles are over the cap"
    );
    let mut nav_set = Vec::new();
    wirecopy::shingle::shingles_into(
        &wirecopy::normalize::units(nav, kept.unspaced).units,
        kept.shingle.size(),
        &mut nav_set,
    );
    assert_eq!(nav_set.len(), 5, "seven words, five 3-grams");
    assert!(
        r.sets
            .iter()
            .all(|s| nav_set.iter().all(|h| s.binary_search(h).is_err())),
        "no page keeps a shingle of the navigation line"
    );
    // With chrome learning the navigation is not content at all.
    let learned = scan(docs, &ScanConfig::default(), &Quiet).expect("scan");
    assert!((0..learned.docs.len()).all(|i| !learned.paragraphs(i).iter().any(|l| l == nav)));
}
