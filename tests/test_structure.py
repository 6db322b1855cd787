"""The package's shape: no import cycle in qa/, even through imports inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

QA = Path(__file__).resolve().parent.parent / "qa"


def imports_of(path: Path) -> set[str]:
    """The qa modules a file imports anywhere, except under ``if TYPE_CHECKING:`` (types only)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qa"):
            if node.module == "qa":
                found.update(f"qa.{alias.name}" for alias in node.names if (QA / f"{alias.name}.py").exists())
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("qa."))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for after in sorted(graph.get(node, ())):
            if state.get(after) == 1:
                return [*stack[stack.index(after) :], after]
            if after not in state and (found := walk(after)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start)):
            return found
    return None


def test_no_import_cycle_in_qa() -> None:
    graph = {f"qa.{p.stem}": imports_of(p) - {f"qa.{p.stem}"} for p in QA.glob("*.py") if p.stem != "__init__"}
    assert cycle(graph) is None, f"import cycle: {' -> '.join(cycle(graph) or [])}"


def test_the_cycle_finder_finds_one() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_pyproject_pins_what_requirements_pin() -> None:
    import tomllib

    root = QA.parent
    pinned = {
        line.strip() for line in (root / "requirements.txt").read_text().splitlines() if "==" in line
    }
    declared = set(tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"])
    assert declared == pinned


def test_installed_wheel_gives_a_working_verbatim_command(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = QA.parent
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(root)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    target = tmp_path / "site"
    wheel = next(wheels.glob("verbatim-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    package = target / "qa"
    assert (package / "data" / "probe_questions.txt").is_file() and (package / "static" / "app.js").is_file()
    work = tmp_path / "work"
    work.mkdir()
    (work / "note.txt").write_text("The lighthouse keeper logged the storm at midnight.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1"}
    env.pop("VERBATIM_INDEX_DIR", None)

    def verbatim(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(target / "bin" / "verbatim"), *args]
        return subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)

    indexed = verbatim("index", "note.txt")
    assert indexed.returncode == 0, indexed.stderr
    assert (work / "index" / "CURRENT").is_file()  # installed: the index is made where it runs
    asked = verbatim("ask", "When did the keeper log the storm?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert "midnight" in asked.stdout and str(target) in subprocess.run(
        [sys.executable, "-c", "import qa; print(qa.__file__)"], env=env, cwd=work, capture_output=True, text=True
    ).stdout
