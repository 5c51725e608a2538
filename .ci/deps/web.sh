# Web ingestion (issue 4): tests/crawl.rs crawls a local site with wget and serves it with
# python3's http.server. Sourced by .ci/run.
if ! command -v wget >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq wget python3 >/dev/null
fi
