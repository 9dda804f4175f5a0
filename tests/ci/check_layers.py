#!/usr/bin/env python3
"""The folders are the layers: fails when a file includes a layer above its own.

Layers, each depending only on those below: core -> client -> webhook -> tracker -> endpoint.
Components sit beside them and may use every layer, but no other component (testing may use
the client layer only: its fakes stand in for a Connection or an HttpTransport). A file's layer
is its folder under include/handover/ or src/; an include's layer is the folder it names
("handover/<layer>/..." or a relative "../<layer>/...").

Usage: check_layers.py [ROOT]   (exit 0 clean, 1 with one line per upward include)
"""
import pathlib
import re
import sys

LAYERS = ["core", "client", "webhook", "tracker", "endpoint"]
# component -> the folders it may include besides its own
COMPONENTS = {
    "testing": {"core", "client"},
    "redis": set(LAYERS),
    "emulator": set(LAYERS),
    "cli": set(LAYERS) | {"emulator"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"](?:handover/|\.\./)([a-z_]+)/')


def allowed(own: str) -> set:
    if own in LAYERS:
        return set(LAYERS[: LAYERS.index(own) + 1])
    return COMPONENTS[own] | {own}


def folder_of(path: pathlib.Path, root: pathlib.Path) -> str:
    rel = path.relative_to(root).parts
    return rel[2] if rel[0] == "include" else rel[1]


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    files = [p for base in ("include/handover", "src") for p in (root / base).rglob("*")
             if p.suffix in (".hpp", ".cpp", ".h") and len(p.relative_to(root / base).parts) > 1]
    problems = []
    for path in sorted(files):
        own = folder_of(path, root)
        if own not in LAYERS and own not in COMPONENTS:
            problems.append(f"{path.relative_to(root)}: folder '{own}' is neither a layer "
                            f"({', '.join(LAYERS)}) nor a component ({', '.join(COMPONENTS)})")
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = INCLUDE.match(line)
            if match and match.group(1) not in allowed(own):
                problems.append(f"{path.relative_to(root)}:{number}: the {own} folder includes "
                                f"{match.group(1)}/, which it may not (allowed: "
                                f"{', '.join(sorted(allowed(own)))})")
    for problem in problems:
        print(problem)
    if not files:
        print(f"check_layers: no sources under {root}")
        return 1
    print(f"check_layers: {len(files)} files, {len(problems)} upward includes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
