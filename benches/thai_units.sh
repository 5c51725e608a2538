#!/usr/bin/env bash
# How Thai text is cut into units, measured (issue 13): generates a Thai syndication corpus from
# the Thai National Corpus word frequencies that PyThaiNLP ships (scripts/thai_corpus.py: stories
# written without spaces between words, copies cut, edited and retitled on other sites, pairs of
# different stories sharing a paragraph), scans it and scores the clusters against its truth.
#
#   benches/thai_units.sh                  # 6,000 stories, about 17,700 pages (69 MB)
#   benches/thai_units.sh --stories 600    # a tenth
#
# PyThaiNLP goes into a venv under target/thai-venv (made once; only its word list is read);
# the corpus and outputs under target/thai. A manual command, not part of CI: it downloads
# from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/thai-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import pythainlp" 2>/dev/null || "$venv/bin/pip" install --quiet "pythainlp==5.0.4"
stories=6000
if [ "${1:-}" = "--stories" ]; then
    stories=$2
fi
work=target/thai
cargo build --release --quiet --bin wirecopy
"$venv/bin/python" scripts/thai_corpus.py --stories "$stories" --seed 3 -o "$work"
target/release/wirecopy scan --timings --format jsonl -o "$work/clusters.jsonl" "$work/docs.jsonl"
target/release/wirecopy eval --truth "$work/truth.jsonl" "$work/clusters.jsonl"
