#!/usr/bin/env python3
"""Runs the documentation's shell blocks marked `<!-- tested: NAME -->` exactly as written, in order,
with bash -euo pipefail, in WORKDIR (a copy of the repository) and with the environment as
given (the test sets `prefix` to a scratch directory; the blocks default it to /opt/handover).

    run_commands.py ROOT WORKDIR NAME...

ROOT is the repository (every *.md page outside build trees is searched; a name marked twice is
an error) or one page.
"""
import pathlib
import re
import subprocess
import sys

from doc_pages import pages

MARK = re.compile(r"^<!-- tested: (\S+) -->$")


def pages_of(root):
    """One page, or every page of the repository."""
    root = pathlib.Path(root)
    return [root] if root.is_file() else pages(root)


def all_blocks(root):
    found = {}
    for page in pages_of(root):
        for name, text in blocks(page).items():
            if name in found:
                raise SystemExit(f"{page}: the block name '{name}' is marked twice")
            found[name] = text
    return found


def blocks(readme):
    lines = open(readme, encoding="utf-8").read().splitlines()
    found = {}
    for i, line in enumerate(lines):
        m = MARK.match(line.strip())
        if not m:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```sh":
            raise SystemExit(f"{readme}:{i + 1}: a tested mark must stand right above a sh fence")
        j = i + 2
        while lines[j].strip() != "```":
            j += 1
        found[m.group(1)] = "\n".join(lines[i + 2:j]) + "\n"
    return found


def main(root, workdir, names):
    found = all_blocks(root)
    failed = 0
    for name in names:
        if name not in found:
            print(f"no page has a block marked tested: {name}", file=sys.stderr)
            failed += 1
            continue
        print(f"--- {name}\n{found[name]}", flush=True)
        rc = subprocess.call(["bash", "-euo", "pipefail", "-c", found[name]], cwd=workdir)
        if rc != 0:
            print(f"block {name} exited {rc}", file=sys.stderr)
            failed += 1
    print(f"readme commands: {len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
