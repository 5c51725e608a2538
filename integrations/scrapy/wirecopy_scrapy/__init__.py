"""Scrapy item pipeline that asks a wirecopy service whether each scraped page is a copy.

Each item's page (its HTML, or its text) is posted to ``wirecopy serve``: to
``/v1/documents`` (judged and added, the default) or to ``/v1/check`` (judged only). The
decision is written into the item (``item["wirecopy"]``), and copies are kept (tagged) or
dropped. See README.md beside this package for the settings.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

__all__ = ["WirecopyPipeline", "WirecopyError"]
__version__ = "0.1.0"

log = logging.getLogger(__name__)


class WirecopyError(Exception):
    """The service refused a page or could not be reached."""


class WirecopyPipeline:
    """Posts every item to a wirecopy service and tags or drops the copies.

    The HTTP call runs on Twisted's thread pool (``deferToThread``), awaited by an ``async``
    ``process_item``, so the crawl goes on while the service answers.
    """

    def __init__(self, settings):
        get = settings.get
        self.base = get("WIRECOPY_URL", "http://127.0.0.1:8787").rstrip("/")
        self.token = get("WIRECOPY_TOKEN") or None
        self.mode = get("WIRECOPY_MODE", "add")
        if self.mode not in ("add", "check"):
            raise NotConfigured(f"WIRECOPY_MODE must be 'add' or 'check', not {self.mode!r}")
        self.on_copy = get("WIRECOPY_ON_COPY", "tag")
        if self.on_copy not in ("tag", "drop"):
            raise NotConfigured(f"WIRECOPY_ON_COPY must be 'tag' or 'drop', not {self.on_copy!r}")
        self.on_error = get("WIRECOPY_ON_ERROR", "tag")
        if self.on_error not in ("tag", "drop", "raise"):
            raise NotConfigured(
                f"WIRECOPY_ON_ERROR must be 'tag', 'drop' or 'raise', not {self.on_error!r}"
            )
        self.timeout = settings.getfloat("WIRECOPY_TIMEOUT", 30.0)
        self.field = get("WIRECOPY_FIELD", "wirecopy")
        self.fields = {
            "id": get("WIRECOPY_ID_FIELD", "url"),
            "url": get("WIRECOPY_URL_FIELD", "url"),
            "html": get("WIRECOPY_HTML_FIELD", "html"),
            "text": get("WIRECOPY_TEXT_FIELD", "text"),
            "site": get("WIRECOPY_SITE_FIELD", "site"),
            "title": get("WIRECOPY_TITLE_FIELD", "title"),
            "published": get("WIRECOPY_PUBLISHED_FIELD", "published"),
        }

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings)

    def record(self, item) -> dict:
        """The item as a wirecopy input record (a JSONL line's fields)."""
        a = ItemAdapter(item)
        f = self.fields
        rec = {}
        ident = a.get(f["id"])
        if ident is None or ident == "":
            raise WirecopyError(f"the item has no {f['id']!r} field to use as its id")
        rec["id"] = ident if isinstance(ident, (int, float)) else str(ident)
        html, text = a.get(f["html"]), a.get(f["text"])
        if text:
            rec["text"] = str(text)
        elif html:
            rec["html"] = html.decode("utf-8", "replace") if isinstance(html, bytes) else str(html)
        else:
            raise WirecopyError(f"the item has neither {f['html']!r} nor {f['text']!r}")
        for key in ("url", "site", "title", "published"):
            v = a.get(f[key])
            if v:
                rec[key] = str(v)
        return rec

    def post(self, rec: dict) -> dict:
        """Send one record; the decision, or WirecopyError with the service's message."""
        path = "/v1/documents" if self.mode == "add" else "/v1/check"
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(
            self.base + path, data=json.dumps(rec).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            try:
                msg = json.load(e).get("error", "")
            except Exception:
                msg = ""
            raise WirecopyError(f"{path}: {e.code} {msg}".rstrip()) from None
        except (urllib.error.URLError, OSError) as e:
            raise WirecopyError(f"{path}: {e}") from None

    async def process_item(self, item, spider=None):
        try:
            rec = self.record(item)
            # A Deferred under Twisted's default reactor, an asyncio future under the asyncio
            # one (Scrapy's default since 2.13).
            decision = await maybe_deferred_to_future(deferToThread(self.post, rec))
        except WirecopyError as e:
            return self.failed(item, e)
        return self.decided(item, decision)

    def decided(self, item, decision: dict):
        ItemAdapter(item)[self.field] = {
            "decision": decision.get("decision"),
            "story": decision.get("story"),
            "origin": decision.get("origin"),
            "matches": decision.get("matches", []),
        }
        if decision.get("decision") == "copy" and self.on_copy == "drop":
            raise DropItem(f"copy of story {decision.get('story')!r}")
        return item

    def failed(self, item, err: WirecopyError):
        if self.on_error == "raise":
            raise err
        log.warning("wirecopy: %s", err)
        if self.on_error == "drop":
            raise DropItem(f"wirecopy: {err}")
        ItemAdapter(item)[self.field] = {"error": str(err)}
        return item
