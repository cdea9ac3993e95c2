"""The layers hold: a service imports servicekit and its own modules, never another service
nor the gateway; servicekit imports no service. Shared code lives in servicekit."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports (relative imports stay in their package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def crossings(package: Path, allowed: str | None, root: Path = ROOT) -> list[str]:
    """Imports from ``package``'s files of ``services.*`` or ``gateway`` outside ``allowed``."""
    wrong = []
    for path in sorted(package.rglob("*.py")):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "gateway" or (parts[0] == "services" and len(parts) > 1):
                owner = ".".join(parts[:2]) if parts[0] == "services" else "gateway"
                if owner != allowed:
                    wrong.append(f"{path.relative_to(root)} imports {module}")
    return wrong


def test_no_service_imports_another_service_or_the_gateway() -> None:
    services = sorted(p for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
    assert len(services) >= 4
    wrong = [
        line for service in services for line in crossings(service, f"services.{service.name}")
    ]
    assert wrong == []


def test_servicekit_imports_no_service() -> None:
    assert crossings(ROOT / "servicekit", None) == []


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    package = tmp_path / "directory"
    package.mkdir()
    (package / "demo.py").write_text("from services.identity import settings\n")
    assert crossings(package, "services.directory", root=tmp_path) == [
        "directory/demo.py imports services.identity"
    ]
