//! The `html` format: one self-contained file for people.
//!
//! Invariant: the file fetches nothing and runs only its own code. Styles and the small sorting
//! script are inline, charts are inline SVG drawn here, and a Content-Security-Policy meta tag
//! (`default-src 'none'`, style and script allowed by their SHA-256 hashes only) makes the
//! browser refuse any fetch, script or style that might slip in. Every text from the input is
//! HTML-escaped. Links to the members' pages are plain anchors, made only of `http(s):` URLs
//! (any other URL is shown as text): they load only when clicked.
//!
//! Contents: summary counts; charts (copies per site, delay distribution, cluster sizes); a
//! sortable per-site table; per story its members table and, per copy, a side-by-side view
//! against the origin built from [`crate::align`]: aligned paragraphs face each other, words the
//! copy cut are struck through on the origin side, words it added are highlighted on the copy
//! side, cut paragraphs and added paragraphs stand alone, moved paragraphs are labelled. In
//! reports of more than `OPEN_VIEWS_UP_TO` (10) stories the views start folded.

use super::format::{credit_label, human_delay, percent, reason_label};
use super::{Member, Report, Role, Story};
use crate::align::{diff_words, display_tokens, Row, WordOp};
use std::fmt::Write as _;
use std::io::{self, Write};

/// The page's Content-Security-Policy: nothing may be fetched, and the only style and script
/// that run are the page's own [`STYLE`] and [`SCRIPT`], allowed by their SHA-256 hashes. A
/// `<script>` or event handler that slipped in through the input would not run; there is no
/// `'unsafe-inline'`.
fn csp() -> String {
    format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; img-src data:",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// A CSP source expression for an inline element's exact text: `sha256-<base64 of the digest>`.
fn csp_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

/// Standard base64 with padding (RFC 4648), for the CSP hashes.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1160px;padding:16px 20px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px}h3{font-size:15px;margin:18px 0 6px}
.muted{color:#5c6578}.cards{display:flex;gap:10px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d9dee8;border-radius:6px;padding:8px 12px;min-width:110px}.card b{display:block;font-size:20px}
.charts{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-start}.charts figure{margin:0;border:1px solid #d9dee8;border-radius:6px;padding:8px}
figcaption{font-weight:600;margin-bottom:4px}svg text{font:11px system-ui,sans-serif;fill:#1d2330}
table{border-collapse:collapse;margin:6px 0 10px;width:100%}th,td{border-bottom:1px solid #e4e7ee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f9;font-weight:600}table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" \25B2"}table.sortable th[aria-sort=descending]::after{content:" \25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px}
.origin{background:#e3effd}.stripped{background:#fde4e1}.kept{background:#e2f5e6}.stale{background:#fff0c2}
.story{border-top:2px solid #1d2330;margin-top:26px}details{margin:8px 0}summary{cursor:pointer;font-weight:600}
table.sbs{table-layout:fixed}table.sbs td{width:50%;font-size:13px}td.cut{background:#fdeeee}td.added{background:#eaf6ec}td.empty{background:#f7f7f9}
del{background:#f9c9c4;color:#6b1a12}ins{background:#bfe8c6;text-decoration:none}.moved{outline:2px dashed #b58900}
a{color:#1f5fbf}
"#;

const SCRIPT: &str = r#"
(function(){
  function key(cell){var v=cell.getAttribute("data-v");return v===null?cell.textContent.trim():v;}
  function sortBy(table,col,th){
    var asc=th.getAttribute("aria-sort")!=="ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.removeAttribute("aria-sort");});
    th.setAttribute("aria-sort",asc?"ascending":"descending");
    var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=key(a.cells[col]),y=key(b.cells[col]),nx=parseFloat(x),ny=parseFloat(y);
      var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
      return asc?c:-c;
    });
    rows.forEach(function(r){body.appendChild(r);});
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"),function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,col){
      th.tabIndex=0;
      th.addEventListener("click",function(){sortBy(table,col,th);});
      th.addEventListener("keydown",function(e){if(e.key==="Enter"){sortBy(table,col,th);}});
    });
  });
  document.body.setAttribute("data-ready","1");
})();
"#;

/// HTML-escape text for element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart as inline SVG. `items` are (label, value); empty charts say so.
fn bar_chart(id: &str, caption: &str, items: &[(String, usize)]) -> String {
    let (label_w, bar_w, row_h) = (140.0, 170.0, 20.0);
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let height = (items.len().max(1) as f64) * row_h + 8.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<figure><figcaption>{cap}</figcaption><svg class="chart" id="{id}" width="{w}" height="{height}" viewBox="0 0 {w} {height}" role="img" aria-label="{cap}"><title>{cap}</title>"#,
        cap = esc(caption),
        w = label_w + bar_w + 40.0,
    );
    if items.is_empty() {
        let _ = write!(s, r#"<text x="4" y="16">no data</text>"#);
    }
    for (i, (label, v)) in items.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = (*v as f64 / max) * bar_w;
        let shown: String = if label.chars().count() > 22 {
            format!("{}…", label.chars().take(21).collect::<String>())
        } else {
            label.clone()
        };
        let _ = write!(
            s,
            r##"<text x="{tx}" y="{ty}" text-anchor="end">{l}</text><rect x="{label_w}" y="{y}" width="{w:.1}" height="{h}" fill="#4a78c2"><title>{full}: {v}</title></rect><text x="{vx:.1}" y="{ty}">{v}</text>"##,
            tx = label_w - 6.0,
            ty = y + 13.0,
            l = esc(&shown),
            full = esc(label),
            h = row_h - 5.0,
            vx = label_w + w + 4.0,
        );
    }
    s.push_str("</svg></figure>");
    s
}

/// Delay buckets for the distribution chart.
const DELAY_BUCKETS: [(&str, i64); 6] = [
    ("< 1 hour", 3_600),
    ("1-6 hours", 6 * 3_600),
    ("6-24 hours", 86_400),
    ("1-7 days", 7 * 86_400),
    ("7-30 days", 30 * 86_400),
    ("> 30 days", i64::MAX),
];

fn charts(report: &Report) -> String {
    let sites: Vec<(String, usize)> = report
        .sites
        .iter()
        .filter(|s| s.copies > 0)
        .take(15)
        .map(|s| (s.site.clone(), s.copies))
        .collect();
    let mut delays = [0usize; DELAY_BUCKETS.len()];
    for m in report.clusters.iter().flat_map(|s| &s.members) {
        if let (Role::Copy, Some(d)) = (m.role, m.delay_seconds) {
            let b = DELAY_BUCKETS
                .iter()
                .position(|(_, upper)| d < *upper)
                .unwrap_or(DELAY_BUCKETS.len() - 1);
            delays[b] += 1;
        }
    }
    let delays: Vec<(String, usize)> = DELAY_BUCKETS
        .iter()
        .zip(delays)
        .map(|((l, _), n)| (l.to_string(), n))
        .collect();
    let mut sizes = std::collections::BTreeMap::new();
    for s in &report.clusters {
        *sizes.entry(s.size.min(10)).or_insert(0usize) += 1;
    }
    let sizes: Vec<(String, usize)> = sizes
        .into_iter()
        .map(|(k, n)| {
            let label = if k >= 10 {
                "10+ members".to_string()
            } else {
                format!("{k} members")
            };
            (label, n)
        })
        .collect();
    format!(
        r#"<section class="charts">{}{}{}</section>"#,
        bar_chart("chart-sites", "Copies per site", &sites),
        bar_chart("chart-delays", "Delay after the origin", &delays),
        bar_chart("chart-sizes", "Story sizes", &sizes),
    )
}

fn sites_table(report: &Report) -> String {
    let mut s = String::from(
        r#"<table class="sortable" id="sites"><thead><tr><th>Site</th><th>Copies</th><th>Credit stripped</th><th>Median delay</th><th>Stale re-posts</th><th>Stories originated</th></tr></thead><tbody>"#,
    );
    for site in &report.sites {
        let delay = site.median_delay_seconds;
        let _ = write!(
            s,
            r#"<tr><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num" data-v="{}">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            esc(&site.site),
            site.copies,
            site.stripped,
            delay.unwrap_or(-1),
            delay.map_or_else(|| "-".into(), human_delay),
            site.stale,
            site.originated,
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// Whether a URL from the input may become a link: only `http:` and `https:` ones. Others
/// (`javascript:`, `vbscript:`, `data:`, `file:`, relative or malformed) are shown as text. The
/// check is on the raw text's first bytes, so leading spaces or control characters, which
/// browsers strip before reading the scheme, make a URL text too.
fn linkable(url: &str) -> bool {
    let b = url.as_bytes();
    let starts = |p: &str| b.len() > p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    starts("http://") || starts("https://")
}

fn link(m: &Member) -> String {
    match &m.url {
        Some(u) if linkable(u) => format!(
            r#"<a href="{}" rel="noreferrer noopener">{}</a>"#,
            esc(u),
            esc(m.id.as_str())
        ),
        Some(u) => format!(
            r#"{} <span class="muted">({})</span>"#,
            esc(m.id.as_str()),
            esc(u)
        ),
        None => esc(m.id.as_str()),
    }
}

fn members_table(story: &Story) -> String {
    let mut s = format!(
        r#"<table class="sortable members" id="members-{}"><thead><tr><th>Role</th><th>Id</th><th>Site</th><th>Published</th><th>Delay</th><th>Coverage</th><th>Added</th><th>Jaccard</th><th>Similarity</th><th>Credit</th><th>Stale</th></tr></thead><tbody>"#,
        story.id
    );
    for m in &story.members {
        let (role, role_class) = match m.role {
            Role::Origin => ("origin", "origin"),
            Role::Copy => ("copy", ""),
        };
        let credit = credit_label(m.credited);
        let _ = write!(
            s,
            r#"<tr><td><span class="tag {role_class}">{role}</span></td><td>{id}</td><td>{site}</td><td>{publ}</td><td class="num" data-v="{dv}">{delay}</td><td class="num" data-v="{cov}">{covp}</td><td class="num" data-v="{add}">{addp}</td><td class="num">{jac:.2}</td><td class="num">{sim:.2}</td><td><span class="tag {credit}">{credit}</span></td><td>{stale}</td></tr>"#,
            id = link(m),
            site = esc(m.site.as_deref().unwrap_or("-")),
            publ = esc(m.published.as_deref().unwrap_or("-")),
            dv = m.delay_seconds.unwrap_or(-1),
            delay = m.delay_seconds.map_or_else(|| "-".into(), human_delay),
            cov = m.coverage,
            covp = percent(m.coverage),
            add = m.added,
            addp = percent(m.added),
            jac = m.jaccard,
            sim = m.similarity,
            stale = if m.stale {
                r#"<span class="tag stale">stale</span>"#
            } else {
                ""
            },
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// One paragraph pair as (origin cell, copy cell) HTML with cut and added words marked.
fn diff_cells(origin: &str, copy: &str) -> (String, String) {
    let (mut o, mut c) = (String::new(), String::new());
    // A token is followed by a space on its side when it was as published: Chinese characters
    // and Thai words run on unspaced. The marks enclose the token, not its space.
    let gaps = |text: &str| -> Vec<&'static str> {
        display_tokens(text)
            .iter()
            .map(|t| {
                if t.trim_end().len() < t.len() {
                    " "
                } else {
                    ""
                }
            })
            .collect()
    };
    let (og, cg) = (gaps(origin), gaps(copy));
    let (mut i, mut j) = (0, 0);
    for op in diff_words(origin, copy) {
        let og = og.get(i).copied().unwrap_or(" ");
        let cg = cg.get(j).copied().unwrap_or(" ");
        match op {
            WordOp::Same(w) => {
                let w = esc(&w);
                let _ = write!(o, "{w}{og}");
                let _ = write!(c, "{w}{cg}");
                i += 1;
                j += 1;
            }
            WordOp::Cut(w) => {
                let _ = write!(o, "<del>{}</del>{og}", esc(&w));
                i += 1;
            }
            WordOp::Added(w) => {
                let _ = write!(c, "<ins>{}</ins>{cg}", esc(&w));
                j += 1;
            }
        }
    }
    (o.trim_end().to_string(), c.trim_end().to_string())
}

fn side_by_side(origin: &Member, copy: &Member, open: bool) -> String {
    let par = |v: &[String], i: usize| v.get(i).map_or(String::new(), Clone::clone);
    let mut s = format!(
        r#"<details class="sbs"{}><summary>{} against the origin: {} of the story carried, {} added{}{}</summary><table class="sbs"><thead><tr><th>Origin: {}</th><th>Copy: {}</th></tr></thead><tbody>"#,
        if open { " open" } else { "" },
        esc(copy.id.as_str()),
        percent(copy.coverage),
        percent(copy.added),
        if copy.in_order {
            ""
        } else {
            ", paragraphs moved"
        },
        match copy.credited {
            Some(false) => ", credit stripped",
            _ => "",
        },
        esc(origin.id.as_str()),
        esc(copy.id.as_str()),
    );
    for row in &copy.rows {
        match *row {
            Row::Both {
                origin: o,
                copy: c,
                moved,
                ..
            } => {
                let (oc, cc) = diff_cells(&par(&origin.paragraphs, o), &par(&copy.paragraphs, c));
                let cls = if moved { r#" class="moved""# } else { "" };
                let label = if moved { "<em>(moved)</em> " } else { "" };
                let _ = write!(s, r#"<tr{cls}><td>{oc}</td><td>{label}{cc}</td></tr>"#);
            }
            Row::Cut(o) => {
                let _ = write!(
                    s,
                    r#"<tr><td class="cut"><del>{}</del></td><td class="empty"><em>cut</em></td></tr>"#,
                    esc(&par(&origin.paragraphs, o))
                );
            }
            Row::Added(c) => {
                let _ = write!(
                    s,
                    r#"<tr><td class="empty"><em>added</em></td><td class="added"><ins>{}</ins></td></tr>"#,
                    esc(&par(&copy.paragraphs, c))
                );
            }
        }
    }
    s.push_str("</tbody></table></details>");
    s
}

/// Side-by-side views start open in small reports and folded in large ones.
const OPEN_VIEWS_UP_TO: usize = 10;

fn story_section(story: &Story, open: bool) -> String {
    let title = story.title.as_deref().unwrap_or("(untitled)");
    let wire = story.wire.map_or_else(
        || "no wire detected".to_string(),
        |a| format!("wire <b>{}</b> ({})", esc(a.code), esc(a.name)),
    );
    let reason = reason_label(story.origin.reason);
    let mut s = format!(
        r#"<section class="story" id="story-{id}"><h2>Story {id}: {title}</h2><p class="muted">{size} members · {wire} · origin <b>{origin}</b> on {site} ({reason}) · similarity min {min:.2}, median {med:.2}</p>"#,
        id = story.id,
        title = esc(title),
        size = story.size,
        origin = esc(story.origin.id.as_str()),
        site = esc(story.origin.site.as_deref().unwrap_or("an unknown site")),
        min = story.similarity_min,
        med = story.similarity_median,
    );
    s.push_str(&members_table(story));
    if let Some(origin) = story.members.iter().find(|m| m.role == Role::Origin) {
        for copy in story.members.iter().filter(|m| m.role == Role::Copy) {
            s.push_str(&side_by_side(origin, copy, open));
        }
    }
    s.push_str("</section>");
    s
}

/// Write the report as one self-contained HTML file (see the module doc).
pub fn render_html(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let copies: Vec<&Member> = report
        .clusters
        .iter()
        .flat_map(|s| &s.members)
        .filter(|m| m.role == Role::Copy)
        .collect();
    let card = |label: &str, n: usize| format!(r#"<div class="card"><b>{n}</b>{label}</div>"#);
    let mut page = String::new();
    let _ = write!(
        page,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{csp}"><meta name="viewport" content="width=device-width, initial-scale=1"><title>wirecopy syndication report</title><style>{STYLE}</style></head>
<body><h1>Syndication report</h1><p class="muted">wirecopy report schema {schema} · copies dated more than {stale} days after their origin are stale re-posts</p>
<div class="cards">{c1}{c2}{c3}{c4}{c5}{c6}</div>
"#,
        csp = csp(),
        schema = report.schema_version,
        stale = report.parameters.stale_after_days,
        c1 = card("stories", report.clusters.len()),
        c2 = card("copies", copies.len()),
        c3 = card(
            "credit stripped",
            copies.iter().filter(|m| m.credited == Some(false)).count()
        ),
        c4 = card("stale re-posts", copies.iter().filter(|m| m.stale).count()),
        c5 = card("sites", report.sites.len()),
        c6 = card("not copied", report.singles.len()),
    );
    page.push_str(&charts(report));
    page.push_str("\n<h2>Sites</h2>");
    page.push_str(&sites_table(report));
    page.push('\n');
    for story in &report.clusters {
        page.push_str(&story_section(
            story,
            report.clusters.len() <= OPEN_VIEWS_UP_TO,
        ));
        page.push('\n');
    }
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body></html>\n");
    w.write_all(page.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn diff_cells_mark_both_sides() {
        let (o, c) = diff_cells("a b <c>", "a x b");
        assert_eq!(o, "a b <del>&lt;c&gt;</del>");
        assert_eq!(c, "a <ins>x</ins> b");
        // Chinese runs on without spaces, each character a token; Thai is cut into words.
        let (o, c) = diff_cells("新华社长沙电 2024", "新华社北京电 2024");
        assert_eq!(o, "新华社<del>长</del><del>沙</del>电 2024");
        assert_eq!(c, "新华社<ins>北</ins><ins>京</ins>电 2024");
        let (o, c) = diff_cells("ภาษาไทย", "ภาษาลาว");
        assert_eq!(o, "ภาษา<del>ไทย</del>");
        assert!(c.starts_with("ภาษา<ins>"), "{c}");
    }

    #[test]
    fn only_http_urls_become_links() {
        for (url, linked) in [
            ("https://example.com/a", true),
            ("HTTP://example.com/a", true),
            ("javascript:alert(1)", false),
            ("JavaScript:alert(1)", false),
            (" javascript:alert(1)", false),
            ("\tjava\tscript:alert(1)", false),
            ("vbscript:msgbox(1)", false),
            ("data:text/html,<script>alert(1)</script>", false),
            ("/relative/path", false),
            ("https://", false),
        ] {
            assert_eq!(linkable(url), linked, "{url:?}");
        }
    }

    #[test]
    fn csp_hashes_are_base64_sha256() {
        // RFC 4648 test vectors, then a known SHA-256: of "" it is 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=.
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(
            csp_hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        let policy = csp();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains(&format!("script-src '{}'", csp_hash(SCRIPT))));
    }

    #[test]
    fn empty_chart_says_so() {
        assert!(bar_chart("x", "Cap", &[]).contains("no data"));
    }
}
