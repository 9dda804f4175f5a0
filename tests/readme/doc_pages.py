"""The documentation pages the snippet and command checks cover: README.md first, then every
other *.md of the repository outside build trees and VCS folders."""
import pathlib

SKIP = {".git", "node_modules"}


def pages(root):
    root = pathlib.Path(root)
    found = [p for p in root.rglob("*.md")
             if not any(part in SKIP or part.startswith("build")
                        for part in p.relative_to(root).parts)]
    return sorted(found, key=lambda p: (p != root / "README.md", str(p)))
