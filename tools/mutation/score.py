#!/usr/bin/env python3
"""Adds up Stryker JSON reports: the score of each kernel/ folder and of all of them.

    tools/mutation/score.py REPORT.json...            # per folder and in total
    tools/mutation/score.py --survivors REPORT.json... # also every mutant left: file:line, mutator, the line

A file reported by several reports counts once, from the last report given. Score = (killed + timeout) /
(killed + timeout + survived + no coverage), as Stryker counts it; mutants that do not compile or that Stryker
ignores are not counted.
"""
import collections
import json
import sys

DETECTED = ("Killed", "Timeout")
COUNTED = DETECTED + ("Survived", "NoCoverage")


def folder_of(path):
    path = path.replace("\\", "/")
    at = path.rfind("kernel/")
    path = path[at + len("kernel/"):] if at >= 0 else path
    return path.rsplit("/", 1)[0] if "/" in path else "(kernel/ itself)"


def line(label, counts):
    detected = sum(counts[s] for s in DETECTED)
    counted = sum(counts[s] for s in COUNTED)
    score = 100.0 * detected / counted if counted else 0.0
    print(f"{label:24} {detected:5} of {counted:<5} {score:6.2f}%   survived {counts['Survived']:4}, "
          f"no coverage {counts['NoCoverage']:3}, timeout {counts['Timeout']:3}")


def main(args):
    survivors = "--survivors" in args
    files = {}
    for report in (a for a in args if a != "--survivors"):
        with open(report, encoding="utf-8") as stream:
            for name, data in json.load(stream)["files"].items():
                if any(m["status"] in COUNTED for m in data["mutants"]):
                    files[name] = data
    folders = collections.defaultdict(collections.Counter)
    for name in sorted(files):
        folders[folder_of(name)].update(m["status"] for m in files[name]["mutants"])
    total = collections.Counter()
    for folder in sorted(folders):
        line(folder, folders[folder])
        total.update(folders[folder])
    line("kernel/ (these folders)", total)
    if survivors:
        for name in sorted(files):
            source = files[name]["source"].split("\n")
            for m in sorted(files[name]["mutants"], key=lambda m: m["location"]["start"]["line"]):
                if m["status"] in ("Survived", "NoCoverage"):
                    at = m["location"]["start"]["line"]
                    print(f"{name.replace(chr(92), '/').split('kernel/')[-1]}:{at} {m['status']} {m['mutatorName']}: "
                          f"{m.get('replacement', '')!r} | {source[at - 1].strip()[:100]}")
    return 0 if files else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
