"""The installed layout: ftui.core / ftui.tui / ftui.templates, every subpackage listed, fast --help."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from conftest import REPO_DIR


def test_every_subpackage_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for folder, prefix in (("core", "ftui.core"), ("tui", "ftui.tui"), ("templates", "ftui.templates")):
        for init in (REPO_DIR / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO_DIR / folder)
            found.add(".".join([prefix, *rel.parts]) if rel.parts else prefix)
    assert found == listed


def test_core_never_imports_the_ui() -> None:
    offenders = []
    for path in (REPO_DIR / "core").rglob("*.py"):
        text = path.read_text()
        # an import statement of the UI, at any indentation (naming the CLI module in a command line is fine)
        if re.search(r"^\s*(from|import)\s+(textual|ftui\.tui|tui)\b", text, flags=re.M):
            offenders.append(str(path))
    assert offenders == []


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys, time; t=time.perf_counter(); from ftui.tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy=[m for m in ('torch','transformers','datasets','textual') if m in sys.modules]\n"
        "print('HEAVY', heavy); print('TIME', time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    assert "train" in out and "estimate" in out


def test_demo_names_the_shipped_config_unless_a_file_is_called_so(tmp_path, monkeypatch) -> None:
    from ftui.core.paths import config_argument

    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()  # a folder of that name does not shadow the shipped demo
    assert config_argument("demo").endswith("configs/demo.yml")
    (tmp_path / "demo").rmdir()
    (tmp_path / "demo").write_text("base_model: embedded\n")
    assert config_argument("demo") == "demo"
    assert config_argument("mine.yml") == "mine.yml"
