"""Invented news sites for the Scrapy example: a wire agency and three sites that copy it.

    python3 demo_sites.py DIR            # write the sites into DIR and serve each one on its
                                         # own 127.0.0.1 port until interrupted

Prints one JSON line when the servers are up: ``{"sites": {"name": "http://127.0.0.1:PORT/",
...}, "truth": {...}}``, where ``truth`` maps every article URL to the URL of the wire story it
copies (the wire page itself maps to its own URL) or to null for a site's own story. Each site
has its own chrome (navigation, share bar, related list, footer). What the copies do:

- dailyriver: the harbor story in full, three hours later, credit kept; the bank story with an
  advertisement line in the middle; one story of its own.
- newsbeat: the harbor story cut to its first four paragraphs with the credit stripped; the
  museum story; one story of its own.
- digestnow: the harbor story re-posted five months later (stale); one story of its own.

Also written to DIR/truth.json. Standard library only.
"""

import functools
import html
import http.server
import json
import os
import sys
import threading

HARBOR = [
    "BUSAN, South Korea (AP) — A fire broke out on a cargo ship docked at South Korea's largest port on Tuesday, forcing the evacuation of workers from three nearby piers and halting container traffic for most of the day, officials said.",
    "The blaze started in the engine room of the Panama-flagged vessel shortly after 5 a.m. and spread to two decks before firefighters brought it under control around noon, according to the Busan fire department.",
    "Twenty-two crew members were rescued from the ship, and four were taken to a hospital with minor burns and smoke inhalation, the coast guard said in a statement.",
    "Port authorities suspended loading at the neighboring terminals as a precaution, and dozens of trucks waiting to collect containers were turned away at the gates.",
    "Investigators were examining whether an electrical fault in a generator caused the fire. The ship's operator said it was cooperating fully with the inquiry.",
    "Busan handles roughly three quarters of South Korea's container shipments, and the closure of the piers is expected to delay deliveries to factories in the region by several days.",
]
HARBOR_CREDIT = "Copyright 2024 The Associated Press. All rights reserved."
BANK = [
    "FRANKFURT, March 4 (Reuters) - The Nordmark regional bank said on Monday it would cut 1,200 jobs over three years as it closes a third of its branches and moves customers to online services.",
    "Chief executive Tobias Kellner told reporters the bank expected restructuring charges of about 310 million euros, most of them booked in the current year, and would stop paying a dividend until 2026.",
    "The bank's shares rose 4.5 percent in early trading as analysts welcomed the plan, which aims to lift the return on equity to 9 percent by 2027 from just over 5 percent last year.",
    "Labour representatives on the supervisory board said they would seek guarantees that no compulsory redundancies would be made before the end of 2025 and that staff would be offered retraining.",
    "Nordmark, which has about 9,000 employees, is the latest German lender to shrink its branch network as customers move to banking on their phones and interest margins narrow.",
]
MUSEUM = [
    "PARIS, March 6, 2024 (AFP) - Staff at the city's largest science museum went on strike on Wednesday over plans to cut 80 jobs, forcing the museum to close its doors to thousands of visitors during the school holidays.",
    "Unions said more than half of the museum's guides, technicians and ticket staff had joined the walkout, which they vowed to continue until the management withdrew its restructuring plan.",
    "The museum's director said the cuts were needed to close a budget gap of 12 million euros after the state reduced its annual grant for the second year running.",
    "Visitors who had booked tickets online would be refunded, the museum said, and the planetarium shows scheduled for the weekend were cancelled.",
]
OWN = {
    "dailyriver": [
        "The city council approved a new bicycle lane along the river promenade on Thursday after a two-hour debate in which residents of the old town argued about parking.",
        "The lane will cost about 800,000 dollars and take two summers to build, the transport office said, with the first section opening next June between the bridge and the market.",
        "Shopkeepers on the promenade had collected signatures against the plan, saying deliveries would become harder, but the council added loading bays to win their support.",
    ],
    "newsbeat": [
        "A rare white stork has nested on the chimney of the old brewery for the first time in forty years, bird watchers in the valley reported this week.",
        "Volunteers have set up a camera so that schoolchildren can follow the hatching online this spring, and the brewery has promised not to light its ovens until the chicks fly.",
        "Ornithologists said the return of storks to the valley showed that the wetlands restored a decade ago were again providing enough frogs and insects to feed a family.",
    ],
    "digestnow": [
        "A local bakery won the national bread championship with a rye loaf baked from a starter that the owner's grandmother began more than a hundred years ago.",
        "The owners said they would use the prize money to train two apprentices next year and to buy a second stone oven, which they hope will cut the morning queue in half.",
        "Judges praised the loaf's crust and its sour, slightly sweet crumb, and said the bakery had beaten more than three hundred entries from every region of the country.",
    ],
}
WIRE_DATES = {"harbor": "2024-03-05T06:20:00Z", "bank": "2024-03-04T08:00:00Z", "museum": "2024-03-06T09:30:00Z"}


def page(site: str, title: str, published: str, paragraphs) -> str:
    """An article page in the site's chrome."""
    nav = " | ".join(["Home", "World", "Business", "Sports", "Opinion", "Contact"])
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)} | {site}</title>
<meta property="article:published_time" content="{published}">
<meta property="og:site_name" content="{site}"></head>
<body><header><a href="/">{site}</a><nav>{nav}</nav></header>
<main><article><h1>{html.escape(title)}</h1>
<div class="share">Share on Facebook | Share on X | Email this story</div>
{body}
</article>
<aside><h2>More from {site}</h2><ul><li>Weather for the weekend</li><li>Letters to the editor</li></ul></aside></main>
<footer>Copyright 2024 {site} Media Group. All rights reserved. Privacy policy | Terms of use</footer>
</body></html>
"""


def sites():
    """{site: {file: (title, published, paragraphs, copies_of)}}; copies_of is a story key."""
    ad = ["Story continues below advertisement"]
    return {
        "apwire": {
            "harbor.html": ("Fire on cargo ship forces evacuation of Busan piers", WIRE_DATES["harbor"], HARBOR + [HARBOR_CREDIT], "harbor"),
            "bank.html": ("Nordmark bank to cut 1,200 jobs", WIRE_DATES["bank"], BANK, "bank"),
            "museum.html": ("Strike shuts Paris science museum", WIRE_DATES["museum"], MUSEUM, "museum"),
        },
        "dailyriver": {
            "world/busan-fire.html": ("Ship fire shuts piers in Busan", "2024-03-05T09:20:00Z", HARBOR + [HARBOR_CREDIT], "harbor"),
            "biz/nordmark.html": ("Nordmark to shed 1,200 jobs", "2024-03-04T10:00:00Z", BANK[:2] + ad + BANK[2:], "bank"),
            "local/bike-lane.html": ("Council backs river bike lane", "2024-03-07T12:00:00Z", OWN["dailyriver"], None),
        },
        "newsbeat": {
            "a/77.html": ("Cargo ship fire in Busan", "2024-03-05T11:05:00Z", [HARBOR[0].replace(" (AP) —", " —")] + HARBOR[1:4], "harbor"),
            "a/78.html": ("Museum strike in Paris", "2024-03-06T13:00:00Z", MUSEUM, "museum"),
            "a/79.html": ("White stork returns to brewery", "2024-03-08T07:00:00Z", OWN["newsbeat"], None),
        },
        "digestnow": {
            "2024/08/busan-ship-fire.html": ("Fire on cargo ship forces evacuation of Busan piers", "2024-08-14T09:12:00Z", HARBOR, "harbor"),
            "2024/08/bakery.html": ("Bakery wins bread championship", "2024-08-15T10:00:00Z", OWN["digestnow"], None),
        },
    }


def write(root: str):
    for site, pages in sites().items():
        d = os.path.join(root, site)
        links = []
        for f, (title, published, paras, _) in pages.items():
            p = os.path.join(d, f)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8") as out:
                out.write(page(site, title, published, paras))
            links.append(f'<li><a href="{f}">{html.escape(title)}</a></li>')
        with open(os.path.join(d, "index.html"), "w", encoding="utf-8") as out:
            out.write(f"<!DOCTYPE html><html><head><title>{site}</title></head><body><h1>{site}</h1><ul>{''.join(links)}</ul></body></html>\n")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    write(root)
    urls, servers = {}, []
    for site in sites():
        handler = functools.partial(Quiet, directory=os.path.join(root, site))
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        servers.append(srv)
        urls[site] = f"http://127.0.0.1:{srv.server_address[1]}/"
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    truth = {}
    for site, pages in sites().items():
        for f, (_, _, _, story) in pages.items():
            truth[urls[site] + f] = urls["apwire"] + f"{story}.html" if story else None
    with open(os.path.join(root, "truth.json"), "w") as out:
        json.dump({"sites": urls, "truth": truth}, out, indent=2, sort_keys=True)
    print(json.dumps({"sites": urls, "truth": truth}, sort_keys=True), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
