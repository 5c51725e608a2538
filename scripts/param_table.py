#!/usr/bin/env python3
"""Measure quality and time of `wirecopy scan` on the syndication dev sets for a grid of
parameters; prints the Markdown table used in README's parameter guide.

Usage: scripts/param_table.py [--bin target/release/wirecopy] [--data ../shared/data/syndication-dev]
"""
import argparse, json, subprocess, tempfile, time, os, statistics

GRID = [
    ("defaults", []),
    ("word 2-grams", ["--shingle-size", "2"]),
    ("word 4-grams", ["--shingle-size", "4"]),
    ("word 5-grams", ["--shingle-size", "5"]),
    ("char 5-grams", ["--shingle", "char", "--shingle-size", "5"]),
    ("64 permutations", ["--num-perm", "64"]),
    ("256 permutations", ["--num-perm", "256"]),
    ("threshold 0.4", ["--threshold", "0.4"]),
    ("threshold 0.7", ["--threshold", "0.7"]),
    ("containment 0.5", ["--containment", "0.5"]),
    ("containment 0.8", ["--containment", "0.8"]),
    ("no containment (1.0)", ["--containment", "1.0"]),
    ("LSH tuned to 0.5", ["--lsh-threshold", "0.5"]),
    ("chrome kept", ["--keep-chrome"]),
    ("no chaining guard", ["--no-guard"]),
    ("min-shingles 3", ["--min-shingles", "3"]),
]

def run(binary, data, extra, reps):
    out = {}
    for s in ("reuters", "bbc"):
        d = os.path.join(data, s)
        times = []
        with tempfile.NamedTemporaryFile(suffix=".jsonl") as f:
            for _ in range(reps):
                t = time.perf_counter()
                subprocess.run([binary, "scan", f"{d}/docs.jsonl", "--format", "jsonl", "--quiet", "-o", f.name] + extra, check=True)
                times.append(time.perf_counter() - t)
            r = subprocess.run([binary, "eval", "--truth", f"{d}/truth.jsonl", f.name, "--format", "json"], check=True, capture_output=True, text=True)
        out[s] = (json.loads(r.stdout), statistics.median(times))
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/wirecopy")
    ap.add_argument("--data", default="../shared/data/syndication-dev")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    print("| setting | reuters P | R | ARI | time (s) | bbc P | R | ARI | time (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, extra in GRID:
        r = run(a.bin, a.data, extra, a.reps)
        cells = []
        for s in ("reuters", "bbc"):
            sc, t = r[s]
            cells += [f"{sc['precision']:.3f}", f"{sc['recall']:.3f}", f"**{sc['ari']:.3f}**" if name == "defaults" else f"{sc['ari']:.3f}", f"{t:.2f}"]
        print(f"| {name} `{' '.join(extra)}` | " + " | ".join(cells) + " |", flush=True)

if __name__ == "__main__":
    main()
