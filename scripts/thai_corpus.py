#!/usr/bin/env python3
"""A generated Thai syndication corpus, to measure how Thai text is cut into units.

There is no real Thai news in ../shared/data, so this builds stories from the Thai National
Corpus word frequencies that PyThaiNLP ships (`tnc_freq.txt`): words drawn by frequency and
written as Thai is, without spaces between words and with a space between phrases. Stories get
copies on other sites with the usual changes (site chrome, a cut after the lead, a dropped
paragraph, a few words swapped, a new title), and some pairs of different stories share one
background paragraph (they must stay apart). Writes DIR/docs.jsonl and DIR/truth.jsonl
(`{"id", "cluster"}`), the layout of ../shared/data/syndication-dev.

Used by benches/thai_units.sh; PyThaiNLP comes from PyPI (the script only reads its word list).
"""

import argparse
import json
import os
import random


def words_by_frequency(limit):
    import pythainlp.corpus

    path = os.path.join(os.path.dirname(pythainlp.corpus.__file__), "tnc_freq.txt")
    words, weights = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2 or not parts[0].strip() or " " in parts[0]:
                continue
            # Thai words only: the list also holds Latin letters and punctuation.
            if not all("\u0e00" <= c <= "\u0e7f" for c in parts[0]):
                continue
            words.append(parts[0])
            weights.append(int(parts[1]))
            if len(words) >= limit:
                break
    return words, weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=600)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--out", required=True, help="output directory")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    words, weights = words_by_frequency(30000)
    cum = []
    total = 0
    for w in weights:
        total += w
        cum.append(total)

    def draw(n):
        return rng.choices(words, cum_weights=cum, k=n)

    def phrase():
        return "".join(draw(rng.randint(6, 16)))

    def paragraph():
        return " ".join(phrase() for _ in range(rng.randint(3, 6)))

    sites = [f"khao{i:02d}.co.th" for i in range(40)]
    chrome = {
        s: (
            "  ".join("".join(draw(2)) for _ in range(6)),
            "  ".join("".join(draw(2)) for _ in range(4)) + f"  © 2567 {s}",
        )
        for s in sites
    }
    docs, truth = [], []

    def page(doc_id, site, title, paras, day, cluster):
        nav, foot = chrome[site]
        text = "\n".join([nav, title, *paras, foot])
        docs.append(
            {
                "id": doc_id,
                "url": f"https://www.{site}/news/{doc_id}",
                "site": site,
                "title": title,
                "text": text,
                "published": f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T08:00:00Z",
            }
        )
        truth.append({"id": doc_id, "cluster": cluster})

    stories = []
    for k in range(args.stories):
        paras = [paragraph() for _ in range(rng.randint(4, 8))]
        # A tenth of the stories reuse one background paragraph of an earlier story.
        if stories and rng.random() < 0.1:
            other = rng.choice(stories)
            paras[-1] = other[1][rng.randrange(len(other[1]))]
        title = "".join(draw(rng.randint(5, 9)))
        stories.append((title, paras))
        home = rng.choice(sites)
        day = rng.randrange(300)
        cluster = f"th{k:05d}"
        page(f"th{k:05d}-0", home, title, paras, day, cluster)
        r = rng.random()
        copies = 0 if r < 0.4 else rng.randint(1, 3) if r < 0.85 else rng.randint(4, 10)
        others = [s for s in sites if s != home]
        for c, site in enumerate(rng.sample(others, copies), start=1):
            p = list(paras)
            t = title
            op = rng.choice(["full", "cut", "drop", "edit", "retitle"])
            if op == "cut":
                p = p[:2]
            elif op == "drop" and len(p) > 3:
                del p[rng.randrange(1, len(p) - 1)]
            elif op == "edit":
                # One phrase of each paragraph rewritten.
                swapped = []
                for para in p:
                    phrases = para.split(" ")
                    i = rng.randrange(len(phrases))
                    phrases[i] = phrase()
                    swapped.append(" ".join(phrases))
                p = swapped
            elif op == "retitle":
                t = "".join(draw(rng.randint(5, 9)))
            page(f"th{k:05d}-{c}", site, t, p, day + rng.randint(0, 3), cluster)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "docs.jsonl"), "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, "truth.jsonl"), "w", encoding="utf-8") as f:
        for t in truth:
            f.write(json.dumps(t) + "\n")
    print(f"{len(docs)} documents, {len(stories)} stories -> {args.out}")


if __name__ == "__main__":
    main()
