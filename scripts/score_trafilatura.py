"""Reference figure for README (main-text extraction): Python trafilatura on the readability test pages,
scored exactly as examples/score_extraction.rs scores the Rust extractors (word tokens \\w+,
precision/recall over token multisets, averaged per page).

    python3 -m pip install trafilatura
    python3 scripts/score_trafilatura.py [../shared/data/readability-pages]
"""
import collections
import pathlib
import re
import sys
import time

import lxml.html
import trafilatura

TOKEN = re.compile(r"\w+")


def tokens(text):
    return collections.Counter(TOKEN.findall(text or ""))


def prf(truth, pred):
    t, p = tokens(truth), tokens(pred)
    nt, np_ = sum(t.values()), sum(p.values())
    if nt == 0 and np_ == 0:
        return 1.0, 1.0, 1.0
    tp = sum((t & p).values())
    prec = tp / np_ if np_ else 0.0
    rec = tp / nt if nt else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/readability-pages")
    pages = sorted(p for p in root.iterdir() if (p / "source.html").is_file())
    sums, elapsed = [0.0, 0.0, 0.0], 0.0
    for p in pages:
        truth = " ".join(lxml.html.fromstring((p / "expected.html").read_bytes()).itertext())
        src = (p / "source.html").read_bytes().decode("utf-8", "replace")
        t0 = time.perf_counter()
        pred = trafilatura.extract(src, url=f"http://fakehost/{p.name}/") or ""
        elapsed += time.perf_counter() - t0
        for i, v in enumerate(prf(truth, pred)):
            sums[i] += v
    n = len(pages)
    print(f"| trafilatura {trafilatura.__version__} (Python) | {sums[0]/n:.3f} | {sums[1]/n:.3f} "
          f"| {sums[2]/n:.3f} | {n/elapsed:.0f} |")


if __name__ == "__main__":
    main()
