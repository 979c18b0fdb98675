"""Apps depend one way (README, Layout): an app imports only the apps below it, so that no
import circle can form and a lower app never reaches into a higher one. Tests and the shared
test helpers (tandem/core/testing.py) may use any app."""

from __future__ import annotations

import ast
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]
# Lowest first. matching and support both stand on mentorships and never import each other;
# health reads them all.
LAYERS = [
    "core",
    "accounts",
    "organizations",
    "programs",
    "mentorships",
    "matching",
    "support",
    "health",
]


def imported_apps(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, n.split(".")[1]) for n in names if n.startswith("tandem.")]
    return found


class LayerTests(SimpleTestCase):
    def test_every_app_is_in_the_layers(self):
        apps = {p.name for p in ROOT.iterdir() if (p / "apps.py").exists()}
        self.assertEqual(apps, set(LAYERS))

    def test_no_app_imports_one_above_it(self):
        upward = []
        for path in ROOT.rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or parts[-2:] == ("core", "testing.py"):
                continue
            app = parts[0]
            if app not in LAYERS:
                continue  # tandem/cli.py and the like: entry points above every app
            for line, other in imported_apps(path):
                if other in LAYERS and LAYERS.index(other) > LAYERS.index(app):
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports tandem.{other}")
        self.assertEqual(upward, [])
