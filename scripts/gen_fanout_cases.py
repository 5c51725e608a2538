#!/usr/bin/env python3
"""Write the fan-out cases tests/cases/50-52 (issue 9): one invented wire story copied by 31, 100
and 500 sites.

Hand-writing hundreds of pages is impossible, so each case is generated from one short invented
story. Every copy sits in its own site's chrome (nav line, byline, date line, share bar, related
list and footer that vary by site but are identical on every page of that site, in all three
cases), and gets one of the copy edits seen in real syndication: full repost, cut after three
paragraphs, a dropped paragraph, a new headline, the dateline credit stripped, or promo lines
inserted. The sites are shared between the cases (site001 to site499), so each site's chrome
recurs on up to three pages, as it does in a real crawl.

Stdlib only and deterministic: the same script writes byte-identical files.
Run from the repository root:  python3 scripts/gen_fanout_cases.py
"""
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "cases"

STORIES = [
    {
        "case": "50-fan-out-31-sites",
        "sites": 31,
        "key": "lighthouse",
        "origin": "apnews",
        "url": "https://apnews.com/article/maine-lighthouse-keeper-cottage-auction-5d2a81c0e94f4b7aa3c6f1e28b90d477",
        "title": "Maine town buys its lighthouse at auction after residents raise $400,000",
        "date": "2024-05-18T15:00:00Z",
        "dateline": "PORT WESTON, Maine (AP) — ",
        "paras": [
            "Residents of a small fishing town in Maine raised more than $400,000 in six weeks to buy the 19th-century lighthouse on the point outside their harbor, outbidding a private buyer at a federal auction that closed on Friday.",
            "The Weston Head Light, built in 1857, was put up for sale last year after the Coast Guard declared it surplus. The light itself will keep working as an aid to navigation, but the tower and the keeper's cottage will now belong to the town.",
            "More than 2,300 people gave money, many of them summer visitors and former residents, said Ellen Crowther, who led the fundraising campaign. The largest gift was $25,000 and the smallest was a jar of coins collected by a second-grade class.",
            "\"People kept telling us this light was the first thing they saw when they came home,\" Crowther said. \"Nobody wanted to see a gate across the path.\"",
            "The town plans to open the cottage as a small museum about the keepers and their families, and to repair the tower's cast-iron lantern room, which is rusting.",
            "Congress created the program that sells or gives away surplus lighthouses in 2000. Since then more than 150 have been transferred to local governments, nonprofit groups and private owners, according to the General Services Administration.",
        ],
        "retitles": ["Town's big bid wins a lighthouse", "They passed the hat and bought a lighthouse",
                     "Maine villagers save historic light from private buyer"],
    },
    {
        "case": "51-fan-out-100-sites",
        "sites": 100,
        "key": "spacecraft",
        "origin": "reuters",
        "url": "https://www.reuters.com/science/japanese-probe-returns-asteroid-samples-desert-landing-2024-09-23/",
        "title": "Japanese probe drops asteroid samples in Australian desert",
        "date": "2024-09-23T04:30:00Z",
        "dateline": "TOKYO, Sept 23 (Reuters) - ",
        "paras": [
            "A capsule carrying rock and dust from a distant asteroid landed in the South Australian outback on Monday after a six-year mission by a Japanese space probe, the Japan Aerospace Exploration Agency (JAXA) said.",
            "The capsule, about 40 centimetres wide, separated from the Kaguya-3 probe some 220,000 kilometres from Earth and streaked across the night sky before parachuting down near the remote Woomera test range.",
            "Recovery teams located it by helicopter within two hours using a radio beacon, JAXA said. It will be flown to Japan later this week for analysis in a sealed laboratory.",
            "Scientists hope the samples, collected from the asteroid Tsukiyomi in 2022, will offer clues about how water and organic material were delivered to the early Earth.",
            "\"This is the moment the whole team has been waiting for,\" project manager Hiroshi Tanabe told a news conference in Sagamihara. \"Now the real science begins.\"",
            "The probe itself will not return. After releasing the capsule it fired its engines to head for a second asteroid, which it is expected to fly past in 2027.",
        ],
        "retitles": ["Asteroid dust lands in outback", "Space capsule with asteroid rocks touches down in Australia",
                     "WATCH: Probe's capsule falls to Earth after six years"],
    },
    {
        "case": "52-fan-out-500-sites",
        "sites": 500,
        "key": "chocolate",
        "origin": "afp",
        "url": "https://www.afp.com/en/news/ghana-cocoa-farmers-smuggling-border-price-gap-615092",
        "title": "Ghana cocoa farmers smuggle beans as price gap widens",
        "date": "2024-04-11T09:00:00Z",
        "dateline": "ACCRA (AFP) - ",
        "paras": [
            "Cocoa farmers in western Ghana are smuggling beans across the border into Ivory Coast and Togo, where traders pay far more than Ghana's fixed farm-gate price, officials and farmers said on Thursday.",
            "Ghana's cocoa regulator sets a single price for the season, but a surge in world prices to record highs has left it well below what buyers across the border can offer, sometimes by as much as half.",
            "\"A farmer who sells at home is giving away his money,\" said Kwabena Asante, who grows cocoa near the town of Sefwi Wiawso. \"Everyone knows someone who carries bags across at night.\"",
            "The regulator estimates that up to 150,000 tonnes of beans could leave the country illegally this season, costing the state hundreds of millions of dollars in export revenue.",
            "Security forces have stepped up patrols along border roads and seized dozens of trucks since January, the interior ministry said.",
            "Ghana is the world's second-largest cocoa producer after Ivory Coast, but its output has fallen sharply this season because of disease, ageing trees and illegal gold mining on farmland.",
        ],
        "retitles": ["Why Ghana's cocoa is vanishing over the border", "Cocoa smuggling booms as prices soar",
                     "Farmers cross borders at night to sell cocoa"],
    },
]

ORIGIN_CHROME = {
    "apnews": ("AP News  World  U.S.  Election  Politics  Sports  Entertainment  Business  Science  Oddities",
               "By Corinne Ashdale", "Updated 3:00 PM UTC, May 18, 2024", "Share  Copy Link copied  Email  Facebook  X  LinkedIn",
               ["About  Contact Us  Accessibility  Terms of Use  Privacy Policy",
                "Copyright 2024 The Associated Press. All Rights Reserved."]),
    "reuters": ("Reuters  World  Business  Markets  Sustainability  Legal  Breakingviews  Technology  Investigations",
                None, "September 23, 2024 4:30 AM UTC", "Share  X  Facebook  LinkedIn  Email  Link",
                ["Reuters standards and trust principles apply to all of our reporting.",
                 "Sections  Media  Learn More About Reuters  Contact Us",
                 "All quotes delayed a minimum of 15 minutes.", "\u00a9 2024 Reuters. All rights reserved"]),
    "afp": ("AFP  News  Photo  Video  Graphics  Fact Check  About AFP", None, "April 11, 2024",
            "Share on  Facebook  X  Email", ["Agence France-Presse  Legal notice  Data protection  Contact", "\u00a9 AFP 2024"]),
}

WORDS = ["Valley", "Harbor", "County", "Ridge", "Prairie", "Metro", "Bay", "Summit", "River", "Pine",
         "Lake", "Canyon", "Coast", "Mesa", "Forest", "Capital", "Delta", "Plains", "Island", "Hill"]
PAPERS = ["Gazette", "Courier", "Tribune", "Journal", "Ledger", "Chronicle", "Observer", "Dispatch",
          "News", "Post", "Daily", "Register", "Record", "Times", "Beacon", "Bulletin"]
SECTIONS = ["News", "Local", "World", "Business", "Sports", "Opinion", "Weather", "Obituaries",
            "Entertainment", "Health", "Tech", "Video", "Politics", "Lifestyle", "Events", "Jobs"]
RELATED_HEADERS = ["Related", "More stories", "Read next", "You may also like", "Trending", "Most popular"]
TOPICS = ["Council", "School Board", "Hospital", "Fire Crews", "Farmers", "Police", "Utility", "Library",
          "Airport", "Transit Agency", "Zoo", "High School Team", "Museum", "Port", "Mayor", "Bridge Crew"]
ACTIONS = ["Approves New Budget", "Seeks Volunteers", "Marks 100 Years", "Delays Vote", "Opens Expansion",
           "Warns Of Scam", "Wins State Title", "Cuts Ribbon On Trail", "Names New Director", "Plans Upgrade",
           "Reports Record Year", "Asks For Feedback", "Honors Veterans", "Faces Lawsuit", "Extends Hours"]
PROMOS = ["ADVERTISEMENT", "Subscribe for unlimited access to local news.", "READ MORE: Our top stories this week",
          "Sign up for our daily newsletter", "Story continues below advertisement"]
EDITS = ["full", "cut3", "drop", "retitle", "credit", "promo", "retitle+cut3", "credit+drop"]


def site(n):
    """The chrome of site n: the same for every page of that site, in every case."""
    r = random.Random(f"site-{n}")
    name = f"{r.choice(WORDS)} {r.choice(PAPERS)}"
    host = f"site{n:03d}.example"
    nav = "  ".join([name] + r.sample(SECTIONS, r.randint(5, 8)))
    share = r.choice(["Share  Facebook  X  Email", "Share this:  Facebook  Twitter  Email  Print",
                      "Share on Facebook  Share on X  Share on WhatsApp"])
    byline = r.choice(["Wire reports", "The Associated Press", f"{name} staff", "Staff and wire reports", "By Admin"])
    related = [r.choice(RELATED_HEADERS)] + [f"- {r.choice(TOPICS)} {r.choice(ACTIONS)}" for _ in range(r.randint(3, 6))]
    footer = [f"{name}  |  {host}",
              "  ".join(r.sample(["About", "Contact", "Privacy", "Terms", "Advertise", "Careers", "Corrections"], 4)),
              f"\u00a9 2024 {name} Media"]
    if r.random() < 0.5:
        footer.insert(1, "We use cookies to improve your experience on our site. By continuing to browse, you agree to our use of cookies.")
    return name, host, nav, share, byline, related, footer


def origin_page(s):
    nav, byline, dateline, share, footer = ORIGIN_CHROME[s["origin"]]
    head = [nav, s["title"]] + ([byline] if byline else []) + [dateline, share]
    body = [s["dateline"] + s["paras"][0]] + s["paras"][1:]
    return {"id": f"c{s['case'][:2]}-{s['key']}-origin", "url": s["url"], "title": s["title"],
            "text": "\n".join(head + body + footer), "published": s["date"]}


def copy_page(s, n, r):
    name, host, nav, share, byline, related, footer = site(n)
    edit = EDITS[r.randrange(len(EDITS))] if n > 1 else "full"
    title = s["title"]
    paras = [s["dateline"] + s["paras"][0]] + s["paras"][1:]
    if "credit" in edit:
        paras[0] = s["paras"][0]
    if "drop" in edit:
        del paras[r.choice([2, 3, 4])]
    if "cut3" in edit:
        paras = paras[:3]
    if "retitle" in edit:
        title = r.choice(s["retitles"])
    if edit == "promo":
        for at in sorted(r.sample([2, 3, 4, 5], 2), reverse=True):
            paras.insert(at, r.choice(PROMOS))
    day = int(s["date"][8:10]) + r.randint(0, 2)
    published = f"{s['date'][:8]}{day:02d}T{r.randint(6, 23):02d}:{r.choice(['00', '15', '30', '45'])}:00Z"
    slug = "-".join(w.strip("'\"$,:").lower() for w in title.split()[:8])
    head = [nav, title, byline, f"Published {published[:10]}", share]
    text = "\n".join(head + paras + related + footer)
    return edit, {"id": f"c{s['case'][:2]}-{s['key']}-site{n:03d}", "url": f"https://www.{host}/news/{slug}-{r.randint(10000, 99999)}",
                  "title": title, "text": text, "published": published}


def main():
    for s in STORIES:
        r = random.Random(s["case"])
        docs = [origin_page(s)]
        counts = {}
        for n in range(1, s["sites"]):
            edit, d = copy_page(s, n, r)
            counts[edit] = counts.get(edit, 0) + 1
            docs.append(d)
        mix = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        case = {
            "name": s["case"][3:],
            "pattern": "fan-out",
            "description": f"One {s['origin']} story on {s['sites']} sites (the origin and {s['sites'] - 1} copies, each in its own site's chrome; edits: {mix}); all {s['sites']} pages are one cluster. Generated by scripts/gen_fanout_cases.py.",
            "docs": docs,
            "expected": [[d["id"] for d in docs]],
        }
        path = OUT / f"{s['case']}.json"
        path.write_text(json.dumps(case, indent=1, ensure_ascii=True) + "\n")
        print(f"{path.name}: {len(docs)} docs, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
