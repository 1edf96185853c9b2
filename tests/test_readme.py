"""The README's library tour runs as written (doctest), on a fresh SQLite file."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_library_example_runs_as_written(tmp_path: Path) -> None:
    parser = doctest.DocTestParser()
    example = parser.get_doctest(
        README.read_text(encoding="utf-8"),
        {"DB": str(tmp_path / "readme.db")},
        "README",
        str(README),
        0,
    )
    assert example.examples, "the README lost its library example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(example)
    assert runner.failures == 0
