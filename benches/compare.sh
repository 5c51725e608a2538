#!/usr/bin/env bash
# The peer comparison of issue 15, in one command: wirecopy scan vs datasketch, rensa and gaoya on
# the same corpus (word 5-grams, 128 permutations, threshold 0.5), in one run; prints wall time,
# CPU time, MB/s, peak RSS, the ratios to wirecopy and each tool's ARI against the corpus truth
# (see scripts/compare_scan.py for how each tool is set up).
#
#   benches/compare.sh                          # 20,000 generated single-line documents (about 88 MB)
#   benches/compare.sh --generate 200000        # ten times larger
#   benches/compare.sh --generate 20000 --shape pages    # whole pages with site chrome
#   benches/compare.sh --corpus FILE --truth FILE --reps 3
#   benches/compare.sh --set bbc --reps 3       # a dev set under ../shared/data/syndication-dev
#
# The peers go into a venv under target/compare-venv (made once; PEERS overrides the pinned
# versions measured in README); generated corpora and outputs under target/compare. A manual
# command, not part of CI: it downloads from PyPI and runs for minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/compare-venv
peers=${PEERS:-"datasketch==2.0.0 rensa==0.5.0 gaoya==0.2.2"}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
for p in $peers; do
    # One at a time: a peer that fails to install is reported, and the others still run.
    "$venv/bin/pip" install --quiet "$p" || echo "compare.sh: could not install $p; it is left out" >&2
done
available=()
for p in datasketch rensa gaoya; do
    if "$venv/bin/python" -c "import $p" 2>/dev/null; then
        available+=("$p")
    fi
done
cargo build --release --quiet --bin wirecopy --example gen_corpus
IFS=,
exec "$venv/bin/python" scripts/compare_scan.py --peers "${available[*]}" "$@"
