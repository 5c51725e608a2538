#!/usr/bin/env python3
"""Side-by-side: wirecopy scan vs datasketch MinHashLSH on a syndication dev set, in one run.

datasketch runs its usual setting (text lower-cased and split on non-word characters, word
5-grams, 128 permutations, threshold 0.5, union of all candidates), the setting whose quality the
data set's README quotes; both tools are timed end to end (read JSONL -> clusters), median of
--reps runs, and scored with `wirecopy eval`.

Usage: pip install datasketch && scripts/compare_peers.py [--set bbc] [--reps 3]
"""
import argparse, json, os, re, statistics, subprocess, tempfile, time

def datasketch_run(path):
    from datasketch import MinHash, MinHashLSH
    docs = [json.loads(l) for l in open(path)]
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sigs = {}
    for d in docs:
        toks = re.split(r"\W+", d["text"].lower())
        toks = [t for t in toks if t]
        grams = {" ".join(toks[i:i + 5]).encode() for i in range(max(1, len(toks) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch(list(grams))
        sigs[d["id"]] = m
        lsh.insert(d["id"], m)
    parent = {k: k for k in sigs}
    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for k, m in sigs.items():
        for o in lsh.query(m):
            a, b = find(k), find(o)
            if a != b:
                parent[a] = b
    groups = {}
    for k in sigs:
        groups.setdefault(find(k), []).append(k)
    return [sorted(g) for g in groups.values() if len(g) > 1]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="bbc")
    ap.add_argument("--data", default="../shared/data/syndication-dev")
    ap.add_argument("--bin", default="target/release/wirecopy")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    d = os.path.join(a.data, a.set)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "w.jsonl")
        times = []
        for _ in range(a.reps):
            t = time.perf_counter()
            subprocess.run([a.bin, "scan", f"{d}/docs.jsonl", "--format", "jsonl", "--quiet", "-o", out], check=True)
            times.append(time.perf_counter() - t)
        rows.append(("wirecopy (defaults, all cores)", out, statistics.median(times)))
        times = []
        for _ in range(a.reps):
            t = time.perf_counter()
            clusters = datasketch_run(f"{d}/docs.jsonl")
            times.append(time.perf_counter() - t)
        ds = os.path.join(tmp, "d.jsonl")
        with open(ds, "w") as f:
            for i, c in enumerate(clusters):
                f.write(json.dumps({"cluster": i, "members": [{"id": x} for x in c]}) + "\n")
        rows.append(("datasketch MinHashLSH (5-grams, 128, 0.5)", ds, statistics.median(times)))
        print(f"| tool ({a.set}) | ARI | precision | recall | median time (s) |")
        print("|---|---|---|---|---|")
        for name, path, t in rows:
            r = subprocess.run([a.bin, "eval", "--truth", f"{d}/truth.jsonl", path, "--format", "json"], check=True, capture_output=True, text=True)
            s = json.loads(r.stdout)
            print(f"| {name} | {s['ari']:.3f} | {s['precision']:.3f} | {s['recall']:.3f} | {t:.2f} |")

if __name__ == "__main__":
    main()
