#!/usr/bin/env python3
"""Side by side, in one run: wirecopy scan vs datasketch, rensa and gaoya on the same corpus.

Every tool reads the same JSONL file and makes clusters with word 5-grams, 128 permutations and
Jaccard threshold 0.5; each runs end to end (read JSONL -> clusters written) in a child process
of its own, timed from start to exit, with its peak RSS from the kernel (`os.wait4`, the child's
own maximum resident set size). Clusters are scored with `wirecopy eval` against the truth.

How each tool is set up (its usual, documented fast path; LSH banding: datasketch's optimal one
for threshold 0.5 and 128 permutations, 25 bands x 5 rows, for datasketch and gaoya; rensa needs
bands that divide the permutations and takes 32 x 4, then checks the estimated Jaccard):

- wirecopy: `scan --shingle-size 5 --num-perm 128 --threshold 0.5 --format jsonl -o FILE
  --timings`, other flags at their defaults (chrome learning, exact verification, containment
  0.6, LSH tuned to catch cut copies, the report), all cores.
- datasketch MinHashLSH: text lower-cased and split on non-word characters, 5-grams, one
  MinHash per document (`update_batch`), insert, query; clusters = union of all candidates (the
  setting whose quality ../shared/data/README.md quotes). One core: it has no parallel path.
- rensa: the same tokens; `RMinHash.from_token_sets` (batch, in Rust), `RMinHashLSH.insert_many`
  and `query_all`; a candidate is kept when its estimated Jaccard reaches 0.5 (what rensa's
  deduplicator does).
- gaoya: `MinHashStringIndex` with its own Rust tokenizer (words split on whitespace,
  lower-cased, 5-grams), 32-bit hashes, 25 x 5 = 125 of them, `par_bulk_insert_docs` and `par_bulk_query` (rayon, all
  cores); `query` keeps ids whose estimated Jaccard reaches the threshold.

Usage (benches/compare.sh installs the peers into a venv and builds wirecopy, then runs this):
  compare_scan.py --corpus FILE --truth FILE [--peers datasketch,rensa,gaoya] [--reps N]
  compare_scan.py --generate 20000 [--shape lines|pages] [--seed 1]
  compare_scan.py --set bbc            (a dev set under ../shared/data/syndication-dev)
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time

SHINGLE, NUM_PERM, THRESHOLD = 5, 128, 0.5
BANDS, ROWS = 25, 5  # datasketch's _optimal_param(0.5, 128, 0.5, 0.5)
RENSA_BANDS = 32  # rensa requires num_perm % num_bands == 0; 32 x 4 is the nearest S-curve
PEERS = ("datasketch", "rensa", "gaoya")


def read_docs(path):
    ids, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            ids.append(d["id"])
            texts.append(d.get("text") or "")
    return ids, texts


def grams(text):
    toks = [t for t in re.split(r"\W+", text.lower()) if t]
    return list({" ".join(toks[i:i + SHINGLE]) for i in range(max(1, len(toks) - SHINGLE + 1))})


def clusters_of(n, pairs):
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def run_datasketch(ids, texts):
    from datasketch import MinHash, MinHashLSH
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
    sigs = []
    for i, t in enumerate(texts):
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([g.encode() for g in grams(t)])
        sigs.append(m)
        lsh.insert(i, m)
    return [(i, j) for i, m in enumerate(sigs) for j in lsh.query(m) if j != i]


def run_rensa(ids, texts):
    from rensa import RMinHash, RMinHashLSH
    mhs = RMinHash.from_token_sets([grams(t) for t in texts], num_perm=NUM_PERM, seed=42)
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
    lsh.insert_many(mhs, start_key=0)
    return [(i, j) for i, cands in enumerate(lsh.query_all(mhs)) for j in cands
            if j != i and mhs[i].jaccard(mhs[j]) >= THRESHOLD]


def run_gaoya(ids, texts):
    from gaoya.minhash import MinHashStringIndex
    ix = MinHashStringIndex(32, THRESHOLD, BANDS, ROWS, None, "word", True, (SHINGLE, SHINGLE), "vec")
    ix.par_bulk_insert_docs(list(range(len(texts))), texts)
    return [(i, j) for i, found in enumerate(ix.par_bulk_query(texts)) for j in found if j != i]


def peer_main(name, corpus, out):
    """Child process: one peer, end to end."""
    ids, texts = read_docs(corpus)
    pairs = {"datasketch": run_datasketch, "rensa": run_rensa, "gaoya": run_gaoya}[name](ids, texts)
    with open(out, "w") as f:
        for c, members in enumerate(sorted(sorted(g) for g in clusters_of(len(ids), pairs))):
            f.write(json.dumps({"cluster": c, "members": [{"id": ids[m]} for m in members]}) + "\n")


def measure(cmd):
    """Run cmd; wall seconds, CPU seconds, peak RSS in MB, exit status, stderr."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, p.returncode, stderr


def ari(binary, truth, clusters):
    r = subprocess.run([binary, "eval", "--truth", truth, clusters, "--format", "json"],
                       check=True, capture_output=True, text=True)
    return json.loads(r.stdout)


def generate(a, work):
    corpus = os.path.join(work, f"gen-{a.shape}-{a.generate}-seed{a.seed}.jsonl")
    truth = corpus[:-len(".jsonl")] + ".truth.jsonl"
    if not (os.path.exists(corpus) and os.path.exists(truth)):
        subprocess.run([a.gen, "--docs", str(a.generate), "--shape", a.shape, "--seed", str(a.seed),
                        "-o", corpus, "--truth", truth], check=True)
    return corpus, truth


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--corpus", help="JSONL corpus (needs --truth)")
    src.add_argument("--generate", type=int, metavar="DOCS", help="generate a corpus of DOCS documents")
    src.add_argument("--set", help="a dev set under --data (bbc, reuters, ...)")
    ap.add_argument("--truth", help="truth of --corpus: {id, cluster} a line")
    ap.add_argument("--shape", default="lines", choices=["lines", "pages"], help="generated corpus shape")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default="../shared/data/syndication-dev")
    ap.add_argument("--bin", default="target/release/wirecopy")
    ap.add_argument("--gen", default="target/release/examples/gen_corpus")
    ap.add_argument("--work", default="target/compare", help="generated corpora and outputs")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--reps", type=int, default=1, help="runs per tool; median wall, max RSS")
    ap.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peer:
        return peer_main(a.peer, a.corpus, a.out)
    os.makedirs(a.work, exist_ok=True)
    if a.set:
        corpus, truth = f"{a.data}/{a.set}/docs.jsonl", f"{a.data}/{a.set}/truth.jsonl"
    elif a.corpus:
        if not a.truth:
            ap.error("--corpus needs --truth")
        corpus, truth = a.corpus, a.truth
    else:
        a.generate = a.generate or 20000
        corpus, truth = generate(a, a.work)
    for p in (corpus, truth, a.bin):
        if not os.path.exists(p):
            sys.exit(f"compare_scan: {p} not found")
    peers = [p for p in a.peers.split(",") if p]
    for p in peers:
        if p not in PEERS:
            sys.exit(f"compare_scan: unknown peer {p} (one of {', '.join(PEERS)})")
    mb = os.path.getsize(corpus) / 1e6
    with open(corpus, "rb") as f:
        ndocs = sum(1 for _ in f)
    tools = [("wirecopy", [a.bin, "scan", corpus, "--shingle-size", str(SHINGLE), "--num-perm", str(NUM_PERM),
                           "--threshold", str(THRESHOLD), "--format", "jsonl", "--quiet", "--timings", "-o"])]
    for p in peers:
        tools.append((p, [sys.executable, os.path.abspath(__file__), "--peer", p, "--corpus", corpus, "--out"]))
    rows, timings = [], ""
    for name, cmd in tools:
        out = os.path.join(a.work, f"clusters-{name}.jsonl")
        runs = []
        for _ in range(a.reps):
            wall, cpu, rss, code, stderr = measure(cmd + [out])
            if code != 0:
                tail = stderr.strip().splitlines()[-1:] or ["(no message)"]
                print(f"{name}: failed (exit {code}): {tail[0]}", file=sys.stderr)
                break
            runs.append((wall, cpu, rss))
            if name == "wirecopy":
                timings = stderr
        if len(runs) < a.reps:
            rows.append((name, None))
            continue
        s = ari(a.bin, truth, out)
        rows.append((name, (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                            max(r[2] for r in runs), s)))
    base = rows[0][1]
    print(f"corpus: {corpus} ({ndocs:,} documents, {mb:.1f} MB); word {SHINGLE}-grams, {NUM_PERM} permutations, "
          f"threshold {THRESHOLD}; {a.reps} run(s) each, median wall; {os.cpu_count()} cores")
    print()
    print("| tool | wall (s) | CPU (s) | MB/s | peak RSS (MB) | time vs wirecopy | RSS vs wirecopy | ARI | precision | recall |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        if r is None:
            print(f"| {name} | failed | | | | | | | | |")
            continue
        wall, cpu, rss, s = r
        vs_t = f"{wall / base[0]:.1f}x" if base else "-"
        vs_m = f"{rss / base[2]:.2f}x" if base else "-"
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {mb / wall:.1f} | {rss:.0f} | {vs_t} | {vs_m} | "
              f"{s['ari']:.3f} | {s['precision']:.3f} | {s['recall']:.3f} |")
    if timings:
        print()
        print("wirecopy --timings:")
        print(timings.rstrip())


if __name__ == "__main__":
    main()
