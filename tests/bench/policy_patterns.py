#!/usr/bin/env python3
"""Print the default policy's text patterns as one alternation, for grep.

  policy_patterns.py POLICY.json ere|pcre

Every `regex` of every engine rule (line and field predicates alike) joins
one alternation; the firewall rules test parsed Squid fields (result, host
in a list), which grep cannot, so they contribute the literal every matching
row must contain (`TCP_DENIED`) instead of their field regexes.
`ere`: translated to POSIX ERE for `grep -E` (named and non-capturing groups
become plain groups, \\d becomes [0-9], lazy quantifiers become greedy).
`pcre`: the patterns as written for `grep -P`, with the group names dropped
(one alternation may not repeat a name).
"""
import json
import re
import sys


def walk(p, out):
    if isinstance(p, dict):
        if "regex" in p:
            out.append(p["regex"])
        kids = p.get("all", [])
        # A leading plain regex in an `all` that has more patterns after it
        # is a prefilter guard (a literal the others imply): grep needs the
        # defining patterns only.
        if kids and "regex" in kids[0] and "field" not in kids[0] and walk({"any": kids[1:]}, []):
            kids = kids[1:]
        for q in kids + p.get("any", []):
            walk(q, out)
        # a `not` pattern is not something to find
    return out


def to_ere(rx):
    rx = re.sub(r"\(\?<[A-Za-z_]\w*>", "(", rx)
    rx = rx.replace("(?:", "(")
    rx = rx.replace(r"\d", "[0-9]")
    rx = re.sub(r"([*+?}])\?", r"\1", rx)        # lazy -> greedy
    return rx


def to_pcre(rx):
    return re.sub(r"\(\?<[A-Za-z_]\w*>", "(?:", rx)


def main():
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    pats = []
    for r in doc["rules"]:
        if r.get("source") == "firewall":
            pats.append("TCP_DENIED")
        else:
            walk(r["match"], pats)
    conv = to_ere if sys.argv[2] == "ere" else to_pcre
    seen = []
    for p in map(conv, pats):
        if p not in seen:
            seen.append(p)
    sys.stdout.write("|".join("(?:%s)" % p if sys.argv[2] == "pcre" else "(%s)" % p for p in seen))


if __name__ == "__main__":
    main()
