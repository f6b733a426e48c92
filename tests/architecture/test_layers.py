"""The dependency order of the apps (docs/architecture.md), as `.importlinter` states it.

`lint-imports` reads the code's imports (it runs nothing). The contract must hold on the tree as it
is, and must break when a module imports upwards or a domain imports a screen: the second half
copies the product packages aside, adds one wrong import, and expects the contract to name it.
"""

import ast
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def packages() -> list[str]:
    config = ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter"]["root_packages"].split()


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), str(root / ".importlinter"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(LINT.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_tree_keeps_the_contracts():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken." in result.stdout


@pytest.fixture(scope="module")
def aside(tmp_path_factory) -> Path:
    """The product packages and the contract, copied where a wrong import may be added."""
    root = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in packages():
        shutil.copytree(ROOT / package, root / package, ignore=ignore)
    return root


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # a domain reaching up into the case handling above it
        ("sla/probe.py", "from casework.services import intake", "sla.probe -> casework.services"),
        # two sibling domains that must stay independent
        ("risk/probe.py", "import notifications.services", "risk.probe -> notifications.services"),
        # the platform importing a domain
        (
            "backoffice/probe.py",
            "from cases.models import Case",
            "backoffice.probe -> cases.models",
        ),
        # a domain importing a screen (a surface)
        ("cases/probe.py", "from casework.views import queues", "cases.probe -> casework.views"),
        # a read model importing the roof
        ("reports/probe.py", "import web.views", "reports.probe -> web.views"),
    ],
)
def test_a_wrong_import_breaks_the_contract(aside, module, line, broken):
    probe = aside / module
    probe.write_text(line + "\n")
    try:
        result = lint(aside)
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout


PRODUCT_CODE = [p for package in packages() for p in (ROOT / package).rglob("*.py")]


def test_no_import_inside_a_function_except_where_django_requires_it():
    """An import of our own code inside a function dodges a cycle; the apps' `ready()` and the
    migrations (which must see the historical models) are the only places that may."""
    found = []
    for path in PRODUCT_CODE:
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if function.name == "ready" and path.name == "apps.py":
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                ours = [n for n in names if n.split(".")[0] in packages()]
                if ours:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {', '.join(ours)}")
    assert found == []


def test_no_reexport_after_code():
    """`noqa: E402` marked imports placed after code so that a worker or a registry found them."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in PRODUCT_CODE
        for number, text in enumerate(path.read_text().splitlines(), 1)
        if "noqa: E402" in text
    ]
    assert found == []
