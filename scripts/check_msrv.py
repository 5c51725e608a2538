#!/usr/bin/env python3
"""Check that Cargo.toml's `rust-version` is at least what the locked dependencies declare.

The minimum supported Rust version of wirecopy is not something we can test here (only one
toolchain can be installed), but it can be derived: no build can use an older compiler than the
highest `rust-version` that a locked dependency declares for itself. This script reads those
fields through `cargo metadata --format-version 1 --locked` (every package of the resolved
graph: normal, build and dev dependencies, all targets), takes the maximum, and fails when the
package's own claim is lower. Dependencies that declare no `rust-version` cannot be counted;
the claim is therefore a lower bound that the locked graph is known to need.

Usage: python3 scripts/check_msrv.py          # check; exit 1 when the claim is too low
       python3 scripts/check_msrv.py --print  # print the derived minimum and what sets it
"""

import json
import subprocess
import sys


def version_key(v: str) -> tuple[int, ...]:
    """'1.88' and '1.88.0' compare equal: pad to major.minor.patch."""
    parts = [int(p) for p in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main() -> int:
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    members = set(meta["workspace_members"])
    own = [p for p in meta["packages"] if p["id"] in members]
    deps = [p for p in meta["packages"] if p["id"] not in members and p.get("rust_version")]
    if not deps:
        print("check_msrv: no locked dependency declares a rust-version", file=sys.stderr)
        return 1
    top = max(version_key(p["rust_version"]) for p in deps)
    setters = sorted(
        f"{p['name']} {p['version']}" for p in deps if version_key(p["rust_version"]) == top
    )
    derived = ".".join(str(x) for x in top)
    if "--print" in sys.argv[1:]:
        print(f"{derived} (declared by {', '.join(setters)})")
        return 0
    failed = False
    for p in own:
        claim = p.get("rust_version")
        if claim is None or version_key(claim) < top:
            print(
                f"check_msrv: {p['name']} claims rust-version {claim}, but the locked "
                f"dependencies need {derived} ({', '.join(setters)}): raise it in "
                f"{p['manifest_path']}",
                file=sys.stderr,
            )
            failed = True
        else:
            print(f"check_msrv: {p['name']} rust-version {claim} >= {derived}, the locked maximum")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
