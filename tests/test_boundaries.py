"""The pure libraries import neither Flask, SQLAlchemy nor agora, nor any reference library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "agora", "sortition_algorithms",
             "pabutools", "pref_voting", "votekit", "pyrankvote"}
ALLOWED_THIRD_PARTY = {"numpy", "scipy"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["sortition", "voting"])
def test_pure_libraries_stay_pure(package):
    import sys

    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    for path in files:
        imported = _imports(path)
        assert not imported & FORBIDDEN, f"{path.relative_to(ROOT)} imports {imported & FORBIDDEN}"
        third_party = {m for m in imported if m not in sys.stdlib_module_names and m not in {"sortition", "voting"}}
        assert third_party <= ALLOWED_THIRD_PARTY, f"{path.relative_to(ROOT)} imports {third_party}"


def test_agora_does_not_import_reference_libraries():
    for path in sorted((ROOT / "agora").rglob("*.py")):
        bad = _imports(path) & {"sortition_algorithms", "pabutools", "pref_voting", "votekit", "pyrankvote"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("module", sorted(p.parent.name for p in (ROOT / "agora").glob("*/services.py")))
def test_each_service_module_imports_first(module):
    """Imported first in a fresh interpreter (as a CLI command or a worker may), each feature's services
    load: no import cycle that only a luckier import order hides."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", f"import agora.{module}.services"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
