"""``make lint``'s check that no module outgrows one screenful of ideas: every Python file of the
hub (tests included, migrations, ``benchmarks/`` and ``faults/`` excepted) is at most
``MAX_LINES`` lines. A module that needs more becomes a package (STYLE.md, "When a module
outgrows one screenful of ideas, it becomes a package")."""

from __future__ import annotations

import sys
from pathlib import Path

MAX_LINES = 350
REPO_ROOT = Path(__file__).resolve().parent.parent
EXCEPTED_DIRECTORIES = {".venv", "benchmarks", "faults", "migrations", "var", "node_modules"}


def oversized_modules(root: Path = REPO_ROOT) -> list[tuple[Path, int]]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if EXCEPTED_DIRECTORIES & set(relative.parts[:-1]) or relative.parts[0].startswith("."):
            continue
        with path.open(encoding="utf-8") as text:
            lines = sum(1 for _ in text)
        if lines > MAX_LINES:
            found.append((relative, lines))
    return found


def main() -> int:
    found = oversized_modules()
    for path, lines in found:
        print(f"{path}: {lines} lines (at most {MAX_LINES}; split it by idea)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
