#!/usr/bin/env python3
"""Check the field corpus (tests/field/*.yaml) and print counts.

Usage: python3 tests/field/validate.py [--sources]
Needs PyYAML. Exits 1 on the first structural problem, naming file and entry.
Checks: every file parses; every entry has exactly the known keys; ids are
<product>-NNN, unique and in file order; product matches the file name; family is
known; expect is "benign" exactly when family is benign; reconstructed is a bool;
text is a non-empty string ending in a newline; no text appears twice;
rule is "benign" exactly when family is benign, otherwise the id of a rule in
rules/*.yaml or "new:<family>/<slug>" naming a proposed rule (family: one of the failure families).
Usage also: validate.py [--sources] [--rules] [DIR] (DIR defaults to this folder;
--rules prints how many events each rule id and proposed rule has).
validate.py --background rewrites background.log: the ordinary log text of the corpus
(every line of the benign events, and the stack frames of the failure events; nothing
reconstructed), which the gate (src/rules/gate.rs) prices its keys against.
"""
import collections
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PRODUCTS = ["jira", "confluence", "bitbucket", "bamboo", "crowd", "fisheye"]
FAMILIES = ["oauth", "ssl", "network", "http", "link-config", "hung", "integration", "benign"]
REQUIRED = {"id", "product", "source", "family", "expect", "rule", "reconstructed", "text"}
OPTIONAL = {"note"}
# A stack frame or its "... N more" tail: ordinary text in any log, failure or not.
FRAME = re.compile(r"^\s*(at |\.\.\. \d+ more)")


def fail(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(1)


def catalog_ids():
    ids = set()
    rules_dir = os.path.join(HERE, "..", "..", "rules")
    for name in sorted(os.listdir(rules_dir)):
        if name.endswith(".yaml"):
            with open(os.path.join(rules_dir, name), encoding="utf-8") as fh:
                for rule in (yaml.safe_load(fh) or {}).get("rules", []):
                    ids.add(rule["id"])
    return ids


def main():
    known_rules = catalog_ids()
    by_rule = collections.Counter()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    folder = args[0] if args else HERE
    by_product = collections.Counter()
    by_family = collections.Counter()
    table = collections.Counter()
    reconstructed = 0
    sources = collections.Counter()
    seen_text = {}
    background = []
    for product in PRODUCTS:
        path = os.path.join(folder, f"{product}.yaml")
        if not os.path.exists(path):
            fail(f"{path}: missing")
        with open(path, encoding="utf-8") as fh:
            try:
                entries = yaml.safe_load(fh) or []
            except yaml.YAMLError as err:
                fail(f"{path}: does not parse: {err}")
        if not isinstance(entries, list):
            fail(f"{path}: top level must be a list")
        for n, e in enumerate(entries, 1):
            where = f"{path}: entry {n}"
            if not isinstance(e, dict):
                fail(f"{where}: not a mapping")
            keys = set(e)
            if not REQUIRED <= keys or keys - REQUIRED - OPTIONAL:
                fail(f"{where}: keys {sorted(keys)}; need {sorted(REQUIRED)} (+ optional note)")
            if e["id"] != f"{product}-{n:03d}":
                fail(f"{where}: id {e['id']!r}, expected {product}-{n:03d}")
            if e["product"] != product:
                fail(f"{where}: product {e['product']!r} in {product}.yaml")
            if e["family"] not in FAMILIES:
                fail(f"{where}: unknown family {e['family']!r}")
            if (e["family"] == "benign") != (e["expect"] == "benign"):
                fail(f"{where}: expect 'benign' if and only if family is benign")
            rule = e["rule"]
            if e["family"] == "benign":
                if rule != "benign":
                    fail(f"{where}: rule must be 'benign' for a benign entry")
            elif rule.startswith("new:"):
                if not re.match(r"^new:([a-z-]+)/[a-z0-9][a-z0-9-]*$", rule):
                    fail(f"{where}: proposed rule {rule!r} is not new:<family>/<slug>")
                if rule.split(":")[1].split("/")[0] not in FAMILIES[:-1]:
                    fail(f"{where}: proposed rule {rule!r} does not start with a failure family")
            elif rule not in known_rules:
                fail(f"{where}: rule {rule!r} is neither a catalog rule id nor new:<family>/<slug>")
            by_rule[rule] += 1
            if not isinstance(e["reconstructed"], bool):
                fail(f"{where}: reconstructed must be true or false")
            text = e["text"]
            if not isinstance(text, str) or not text.strip() or not text.endswith("\n"):
                fail(f"{where}: text must be a non-empty block ending in a newline")
            if not re.match(r"^(https?://|repo [^ ]+ .+ @ [0-9a-f]{40}$)", e["source"]):
                fail(f"{where}: source must be a URL or 'repo owner/name path @ <commit>'")
            key = (product, text)
            if key in seen_text:
                fail(f"{where}: same text as {seen_text[key]}")
            seen_text[key] = e["id"]
            by_product[product] += 1
            by_family[e["family"]] += 1
            table[(e["family"], product)] += 1
            reconstructed += e["reconstructed"]
            sources[e["source"]] += 1
            if not e["reconstructed"]:
                for line in text.splitlines():
                    if e["family"] == "benign" or FRAME.match(line):
                        background.append(line)
    total = sum(by_product.values())
    failures = total - by_family["benign"]
    print(f"{total} events: {failures} failures, {by_family['benign']} benign, {reconstructed} reconstructed")
    print("| family | " + " | ".join(PRODUCTS) + " | total |")
    print("|---|" + "---|" * (len(PRODUCTS) + 1))
    for fam in FAMILIES:
        row = [str(table[(fam, p)]) for p in PRODUCTS]
        print(f"| {fam} | " + " | ".join(row) + f" | {by_family[fam]} |")
    print("| **total** | " + " | ".join(str(by_product[p]) for p in PRODUCTS) + f" | {total} |")
    if "--rules" in sys.argv:
        for rule, count in sorted(by_rule.items()):
            print(f"- {rule} ({count})")
    if "--background" in sys.argv:
        with open(os.path.join(folder, "background.log"), "w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in background))
        print(f"background.log: {len(background)} lines")
    if "--sources" in sys.argv:
        for src, count in sorted(sources.items()):
            print(f"- {src} ({count})")


if __name__ == "__main__":
    main()
