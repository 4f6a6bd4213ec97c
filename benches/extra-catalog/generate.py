#!/usr/bin/env python3
"""Writes benches/extra-catalog/extra.yaml: synthetic rules for the throughput benchmark, three
times as many as the built-in catalog has (counted in rules/*.yaml), each with one or two
literals taken in turn from literals.txt. Run again when the built-in catalog grows:

    python3 benches/extra-catalog/generate.py

The directory also stores the gate keys chosen for the built-in rules plus these
(linkdoctor-gate.json, written by `linkdoctor rules gate --rules benches/extra-catalog --write`);
`cargo test` rewrites it when it no longer names the catalog's literals.
"""

import json
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def main():
    builtin = sum(
        len(re.findall(r"^  - id:", p.read_text(), re.M))
        for p in sorted((ROOT / "rules").glob("*.yaml"))
    )
    pool = [
        line
        for line in (HERE / "literals.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    count = 3 * builtin
    out = [
        f"# Synthetic rules for the throughput benchmark (not a catalog to use): {count} rules, three",
        f"# times the built-in catalog's {builtin}, with realistic literals (literals.txt: exception class",
        "# names of the JDK, Apache HttpClient, Spring, Jersey and Atlassian libraries, and error phrases",
        "# of the products, their HTTP clients and TLS stacks). `benches/throughput.rs` scans with",
        "# `--rules benches/extra-catalog` to show how the speed depends on the catalog's size.",
        "# Written by generate.py; do not edit. Some examples lose to built-in rules of higher",
        "# priority, which does not matter here.",
        "rules:",
    ]
    at = 0
    for i in range(count):
        take = 2 if i % 2 == 0 else 1
        lits = [pool[(at + j) % len(pool)] for j in range(take)]
        at += take
        out += [
            f"  - id: bench-extra-{i:03}",
            f"    title: Benchmark rule {i}",
            "    category: network",
            "    severity: warning",
            "    match:",
            "      literals:",
            *[f"        - {json.dumps(lit)}" for lit in lits],
            "    cause: Synthetic rule for the throughput benchmark.",
            '    remediation: ["None: benchmark only."]',
            "    examples:",
            f"      match: [{json.dumps(lits[0])}]",
            '      no_match: ["2024-03-01 10:00:00,000 INFO [main] [c.a.j.Foo] ordinary line"]',
        ]
    (HERE / "extra.yaml").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
