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


def module_graph() -> dict[str, set[str]]:
    """Every module of qa and its subpackages -> the qa modules it imports. Importing ``qa.a.b`` runs
    ``qa/a/__init__.py`` first, so a module depends on its own package, and an import of one on its parents'."""
    graph: dict[str, set[str]] = {}
    for path in QA.rglob("*.py"):
        parts = ["qa", *path.relative_to(QA).with_suffix("").parts]
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        imported = set()
        for module in imports_of(path):
            pieces = module.split(".")
            imported.update(".".join(pieces[:i]) for i in range(2, len(pieces) + 1))
        package = ".".join(name.split(".")[:-1])
        if package != "qa" and parts[-1] != "__init__":
            imported.add(package)
        graph[name] = imported - {name, "qa"}
    return graph


def test_no_import_cycle_in_qa() -> None:
    graph = module_graph()
    assert {"qa.engine", "qa.stores", "qa.stores.postgres", "qa.readers.pdf"} <= graph.keys()
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
