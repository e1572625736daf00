#!/usr/bin/env python3
"""Runs the external compose conformance corpus against berth, when the corpus is present.

Usage: conformance.py CORPUS_DIR BERTH_BINARY [--min-pass PERCENT] [runner args...]

The corpus runner looks for its cases in a `compose/` folder beside itself, while the corpus
is laid out with `cases/` and `tables/` directly beside `run.py`; this wrapper points the
runner at the real folders, runs it, and fails when fewer than PERCENT of the cases that ran
passed. The last line is the runner's own `N passed, M failed, K skipped`.
"""
import importlib.util
import io
import os
import re
import sys
from contextlib import redirect_stdout


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    corpus, berth = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    rest = argv[3:]
    min_pass = 95.0
    if rest[:1] == ["--min-pass"]:
        min_pass, rest = float(rest[1]), rest[2:]
    spec = importlib.util.spec_from_file_location("conformance_run", os.path.join(corpus, "run.py"))
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    if not os.path.isdir(run.CASES_DIR):
        run.CORPUS = corpus
        run.CASES_DIR = os.path.join(corpus, "cases")
        run.TABLES_DIR = os.path.join(corpus, "tables")
    out = io.StringIO()
    with redirect_stdout(out):
        rc = run.main(["--cmd", berth + " compose"] + rest)
    text = out.getvalue()
    sys.stdout.write(text)
    if rc != 0:
        return rc
    m = re.search(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", text, re.M)
    if not m:
        print("conformance: no summary line from the runner")
        return 1
    passed, failed = int(m.group(1)), int(m.group(2))
    ran = passed + failed
    rate = 100.0 * passed / ran if ran else 0.0
    print("conformance: %.1f%% of %d cases that ran passed (minimum %.1f%%)" % (rate, ran, min_pass))
    return 0 if rate >= min_pass else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
