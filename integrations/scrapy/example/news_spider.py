"""A news crawler that runs every article through wirecopy (the Scrapy example).

    scrapy runspider news_spider.py -a sites='{"apwire": "http://127.0.0.1:PORT/", ...}' \\
        -s WIRECOPY_URL=http://127.0.0.1:8787 -O items.jsonl

``sites`` is a JSON object naming each site's start page (demo_sites.py prints one), or
``@FILE``: a JSON file holding such an object under ``"sites"`` (demo_sites.py writes
DIR/truth.json). ``-a only=a,b`` crawls only those sites, ``-a skip=a,b`` all but those. The spider
follows links within each site and yields one item per article: url, site (the name given
here, so that sites on one host stay apart), title and the page's HTML. The item pipeline
(``wirecopy_scrapy.WirecopyPipeline``, enabled below) posts each item to the service and writes
its decision into ``item["wirecopy"]``.
"""

import json
from urllib.parse import urlparse

import scrapy


class NewsSpider(scrapy.Spider):
    name = "news"
    custom_settings = {
        "ITEM_PIPELINES": {"wirecopy_scrapy.WirecopyPipeline": 300},
        "ROBOTSTXT_OBEY": False,
        "LOG_LEVEL": "INFO",
    }

    def __init__(self, sites="{}", only="", skip="", **kwargs):
        super().__init__(**kwargs)
        if sites.startswith("@"):
            with open(sites[1:], encoding="utf-8") as f:
                sites = json.dumps(json.load(f)["sites"])
        self.sites = json.loads(sites)
        if only:
            self.sites = {k: v for k, v in self.sites.items() if k in only.split(",")}
        if skip:
            self.sites = {k: v for k, v in self.sites.items() if k not in skip.split(",")}
        self.site_of = {urlparse(u).netloc: name for name, u in self.sites.items()}

    async def start(self):
        for url in self.sites.values():
            yield scrapy.Request(url, callback=self.parse)

    def start_requests(self):  # Scrapy < 2.13
        for url in self.sites.values():
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        host = urlparse(response.url).netloc
        if response.css("article"):
            yield {
                "url": response.url,
                "site": self.site_of.get(host),
                "title": response.css("h1::text").get(),
                "html": response.text,
            }
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if urlparse(url).netloc == host:
                yield scrapy.Request(url, callback=self.parse)
