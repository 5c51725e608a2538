# Headless Chromium for tests/report_html.rs (the HTML report rendered offline in a browser).
# Sourced by .ci/run; Debian's package, no browser download of its own.
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq chromium
fi
