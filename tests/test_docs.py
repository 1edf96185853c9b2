"""The documentation stays true to the repository: the files it cites exist, the README's
layout names every package, and nothing points to documents outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "jiuzhu"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CITED_PATH = re.compile(r"src/jiuzhu(?:/[A-Za-z0-9_.\-]+)*/?")
# The design and domain notes that jiuzhu was started from live outside the repository; the
# repository's own account is docs/design.md and docs/domain.md.
OUTSIDE = re.compile(r"DESIGN\.md|DOMAIN\.md|DESIGN §|DOMAIN §|\bSEED\b")
SCANNED = ["src", "tests", "docs", "bench", ".ci", "README.md"]
TEXT = {".py", ".md", ".txt", ".toml", ".json", ".ini", ".mako", ".cfg", ".yaml", ".yml", ""}


def cited_paths(text: str) -> set[str]:
    """Every ``src/jiuzhu/...`` path in ``text``, without a sentence's closing full stop."""
    return {match.group(0).rstrip(".") for match in CITED_PATH.finditer(text)}


def missing_paths(root: Path, texts: dict[str, str]) -> list[str]:
    return sorted(
        f"{name}: {path}"
        for name, text in texts.items()
        for path in cited_paths(text)
        if not (root / path).exists()
    )


def package_dirs(package: Path) -> list[str]:
    """Package folders, relative to ``package``: those with an ``__init__.py``, and namespace
    packages (a folder of modules directly inside ``package``, such as ``service/``)."""
    found = set()
    for path in package.rglob("*.py"):
        folder = path.parent
        if folder == package or "__pycache__" in folder.parts:
            continue
        if (folder / "__init__.py").exists() or folder.parent == package:
            found.add(folder.relative_to(package).as_posix())
    return sorted(found)


def section(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no section '## {title}'"
    return match.group(1)


def unlisted(layout: str, folders: list[str]) -> list[str]:
    return [f for f in folders if not re.search(rf"(^|\s){re.escape(f)}/", layout, re.M)]


def _built(path: Path) -> bool:
    """Build and tool artefacts: egg-info, caches (not the repository's own files)."""
    return any(
        part.endswith(".egg-info") or part in {"__pycache__", ".hypothesis", ".pytest_cache"}
        for part in path.parts
    )


def outside_citations(root: Path, scanned: list[str], skip: set[Path]) -> list[str]:
    hits = []
    for top in scanned:
        base = root / top
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if path in skip or path.suffix not in TEXT or _built(path.relative_to(root)):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if OUTSIDE.search(line):
                    hits.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return hits


# -- the rules, on jiuzhu ---------------------------------------------------------------------


def test_every_cited_source_path_exists() -> None:
    texts = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in DOCS}
    missing = missing_paths(ROOT, texts)
    assert not missing, "paths cited in the docs that are not in the repository:\n" + "\n".join(
        missing
    )


def test_the_readme_layout_names_every_package() -> None:
    layout = section((ROOT / "README.md").read_text(encoding="utf-8"), "Layout")
    absent = unlisted(layout, package_dirs(PACKAGE))
    assert not absent, f"packages missing from the README's Layout section: {absent}"


def test_nothing_cites_documents_outside_the_repository() -> None:
    hits = outside_citations(ROOT, SCANNED, {Path(__file__).resolve()})
    assert not hits, (
        "cite docs/design.md or docs/domain.md (or the source itself) instead of notes outside "
        "the repository:\n" + "\n".join(hits)
    )


def test_the_design_and_domain_documents_exist() -> None:
    domain = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    for question in ("30,000-yuan threshold", "Who may approve", "medical assistance count"):
        assert question in domain, f"docs/domain.md does not answer: {question}"
    assert (ROOT / "docs" / "design.md").is_file()


# -- the checkers can fail ------------------------------------------------------------------


def test_path_checker_finds_a_missing_path(tmp_path: Path) -> None:
    (tmp_path / "src" / "jiuzhu" / "audit").mkdir(parents=True)
    (tmp_path / "src" / "jiuzhu" / "audit" / "chain.py").write_text("")
    text = (
        "See `src/jiuzhu/audit/chain.py`, the package src/jiuzhu/audit/ and "
        "src/jiuzhu/service/base.py."
    )
    assert cited_paths(text) == {
        "src/jiuzhu/audit/chain.py",
        "src/jiuzhu/audit/",
        "src/jiuzhu/service/base.py",
    }
    assert missing_paths(tmp_path, {"doc": text}) == ["doc: src/jiuzhu/service/base.py"]


def test_layout_checker_finds_an_unlisted_package(tmp_path: Path) -> None:
    package = tmp_path / "jiuzhu"
    for module in ("__init__.py", "a/__init__.py", "a/b/__init__.py", "ns/x.py", "a/data/y.py"):
        (package / module).parent.mkdir(parents=True, exist_ok=True)
        (package / module).write_text("")
    assert package_dirs(package) == ["a", "a/b", "ns"]
    layout = "```\nsrc/jiuzhu/\n  a/    something\n  a/b/  more\n```\n"
    assert unlisted(layout, package_dirs(package)) == ["ns"]
    markdown = "# x\n## Layout\n  a/\n## Next\n  ns/\n"
    assert section(markdown, "Layout") == "  a/\n"


def test_outside_citation_checker_finds_each_form(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text(
        '"""See DESIGN §5."""\nSEED_DAY = 1  # fine\n# the SEED says so\n# DOMAIN.md\n'
    )
    (tmp_path / "README.md").write_text("rules in DOMAIN §2\n")
    (tmp_path / "src" / "jiuzhu.egg-info").mkdir()
    (tmp_path / "src" / "jiuzhu.egg-info" / "PKG-INFO").write_text("DOMAIN §2\n")
    assert outside_citations(tmp_path, ["src", "README.md"], set()) == [
        'src/m.py:1: """See DESIGN §5."""',
        "src/m.py:3: # the SEED says so",
        "src/m.py:4: # DOMAIN.md",
        "README.md:1: rules in DOMAIN §2",
    ]
