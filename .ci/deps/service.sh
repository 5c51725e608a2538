# The HTTP service (issue 12): tests/scrapy_crawl.rs crawls invented sites with Scrapy through
# integrations/scrapy, tests/api_fuzz.rs fuzzes the API with schemathesis. Both from PyPI into
# the python3 on PATH (CI=true makes those tests fail when the modules are missing). Sourced by
# .ci/run.
set -euo pipefail
if ! command -v python3 >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3 >/dev/null
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3-pip >/dev/null
fi
if ! python3 -c "import scrapy, schemathesis" >/dev/null 2>&1; then
    # A distribution's python3 refuses system-wide pip installs (PEP 668) unless told.
    python3 -m pip install --quiet scrapy schemathesis ||
        python3 -m pip install --quiet --break-system-packages scrapy schemathesis
fi
python3 -c "import scrapy, schemathesis; print('scrapy', scrapy.__version__, '/ schemathesis', schemathesis.__version__)"
