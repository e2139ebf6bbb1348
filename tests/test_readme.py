"""The README's promises: its two set-up commands, and its Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", README, re.MULTILINE | re.DOTALL)


def test_readme_states_the_two_setup_commands():
    assert "pip install . && mdsrs run\n" in README
    assert 'pip install ".[test]" && pytest\n' in README


def test_readme_python_example_is_at_most_ten_lines():
    (block,) = python_blocks()
    assert len(block.strip().splitlines()) <= 10


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    (block,) = python_blocks()
    monkeypatch.chdir(tmp_path)  # the example writes nothing, but never into the repository
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "arm[T.lenalidomide]" in printed  # the hazard ratio row of the Cox model
    assert "arm=lenalidomide" in printed  # the survfit summary's strata
    odds = namespace["odds"]
    assert list(odds["term"]) == ["Intercept", "arm[T.lenalidomide]"]
