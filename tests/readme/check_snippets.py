#!/usr/bin/env python3
"""Every C++ snippet in README.md and the other documentation pages (every *.md of the
repository outside build trees) is a region of a compiled file, shown exactly.

A ```cpp fence must follow a line `<!-- snippet: PATH#NAME -->`; PATH (from the repository
root) holds the region between `// [readme:NAME]` and `// [/readme:NAME]`, and the fence's
lines are that region's, with the region's common indentation removed. The files are built
and run by CTest (examples/CMakeLists.txt), so a README snippet that does not compile, or
does not work, fails CI.

    check_snippets.py ROOT
"""
import pathlib
import re
import sys

from doc_pages import pages

MARK = re.compile(r"^<!-- snippet: (\S+)#(\S+) -->$")


def region(path, name):
    lines = path.read_text(encoding="utf-8").splitlines()
    begin = [i for i, l in enumerate(lines) if l.strip() == f"// [readme:{name}]"]
    end = [i for i, l in enumerate(lines) if l.strip() == f"// [/readme:{name}]"]
    if len(begin) != 1 or len(end) != 1 or end[0] <= begin[0]:
        raise ValueError(f"{path}: region '{name}' is not marked exactly once")
    body = lines[begin[0] + 1:end[0]]
    indent = min((len(l) - len(l.lstrip(" ")) for l in body if l.strip()), default=0)
    return [l[indent:] for l in body]


def main(root):
    root = pathlib.Path(root)
    failures, checked = [], 0
    for page in pages(root):
        f, c = check_page(root, page)
        failures += f
        checked += c
    for f in failures:
        print(f, file=sys.stderr)
    print(f"readme snippets: {checked} passed, {len(failures)} failed")
    return 1 if failures or checked == 0 else 0


def check_page(root, page):
    name = str(page.relative_to(root))
    readme = page.read_text(encoding="utf-8").splitlines()
    failures, checked, i = [], 0, 0
    while i < len(readme):
        if readme[i].strip() == "```cpp":
            j = i + 1
            while j < len(readme) and readme[j].strip() != "```":
                j += 1
            shown = readme[i + 1:j]
            k = i - 1
            while k >= 0 and not readme[k].strip():
                k -= 1
            mark = MARK.match(readme[k].strip()) if k >= 0 else None
            if not mark:
                failures.append(f"{name}:{i + 1}: a cpp snippet without a <!-- snippet: --> line")
            else:
                try:
                    want = region(root / mark.group(1), mark.group(2))
                    if shown != want:
                        failures.append(f"{name}:{i + 1}: differs from {mark.group(1)}#{mark.group(2)}")
                    checked += 1
                except (OSError, ValueError) as e:
                    failures.append(f"{name}:{i + 1}: {e}")
            i = j
        i += 1
    return failures, checked


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
