#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/, cargo-fuzz) and runs each briefly on its committed seed corpus
# (fuzz/seeds/TARGET), so that a regression that crashes on a seed, or soon after, fails CI.
# A crash leaves its input in fuzz/artifacts/TARGET/; add it to the seeds and as a unit test.
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer): on a stable toolchain RUSTC_BOOTSTRAP=1
# enables them. SECONDS_PER_TARGET (default 15) bounds the run: about 1-2 minutes in all.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    export RUSTC_BOOTSTRAP=1
fi
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
    toolchain=(+nightly)
fi

seconds="${SECONDS_PER_TARGET:-15}"
targets=$(cargo "${toolchain[@]}" fuzz list)
echo "== building fuzz targets: $(echo $targets)"
cargo "${toolchain[@]}" fuzz build --release
for t in $targets; do
    echo "== fuzzing $t for ${seconds}s"
    # A scratch corpus seeded from the committed seeds: new inputs do not land in git.
    work="corpus/$t"
    mkdir -p "$work"
    cargo "${toolchain[@]}" fuzz run --release "$t" "$work" "seeds/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
done
