"""Which concepts a check file grades, read without importing it: only where its source
says for certain, else None (and the file is imported, its markers deciding)."""

import pytest

from autograder.check_files import marked_concepts


@pytest.mark.parametrize(
    ("source", "concepts"),
    [
        ('import pytest\npytestmark = pytest.mark.concept("losses")\n', {"losses"}),
        ('import pytest\n@pytest.mark.concept("losses")\ndef test_a(): pass\n@pytest.mark.concept("pooling")\ndef test_b(): pass\n', {"losses", "pooling"}),
        ("from pytest import mark\npytestmark = [mark.concept('losses'), mark.points(2)]\n", {"losses"}),
        ("import pytest\ndef test_unmarked(): pass\n", None),
        ('import pytest\nCONCEPT = "losses"\npytestmark = pytest.mark.concept(CONCEPT)\n', None),
        ('import pytest\npytestmark = pytest.mark.concept("losses")\n@pytest.mark.concept(f"{1}")\ndef test_a(): pass\n', None),
        ('import pytest\nconcept = pytest.mark.concept\npytestmark = concept("losses")\n', None),
        ('import pytest\npytestmark = [pytest.mark.concept("losses"), getattr(pytest.mark, "concept")("pooling")]\n', None),
        ('import pytest\npytestmark = pytest.mark.concept(id="losses")\n', None),
        ("def broken(:\n", None),
        ('import pytest\nfrom helpers import LOSSES\npytestmark = pytest.mark.concept("pooling")\n@LOSSES\ndef test_a(): pass\n', None),
        ('import pytest\nfrom helpers import MARKS\npytestmark = [pytest.mark.concept("pooling"), *MARKS]\n', None),
        ('import pytest\nfrom helpers import Base\npytestmark = pytest.mark.concept("pooling")\nclass TestA(Base):\n    def test_a(self): pass\n', None),
        ('import pytest\nfrom helpers import check\npytestmark = pytest.mark.concept("pooling")\ntest_a = check\n', None),
        ('import pytest\nfrom helpers import LOSSES\npytestmark = pytest.mark.concept("pooling")\n@pytest.mark.parametrize("x", [pytest.param(1, marks=LOSSES)])\ndef test_a(x): pass\n', None),
        ('import pytest\nlosses = pytest.mark.concept\npytestmark = pytest.mark.concept("pooling")\n', None),
        (
            'import pytest\nfrom functools import cache\npytestmark = pytest.mark.concept("pooling")\n@cache\ndef helper(): tests = 1\n'
            '@pytest.fixture\ndef data(): pass\n@pytest.mark.points(2)\n@pytest.mark.parametrize("x", [pytest.param(1, marks=[pytest.mark.slow])])\ndef test_a(data, x): pass\n',
            {"pooling"},
        ),
    ],
    ids=[
        "module", "per check", "from import", "unmarked", "a name", "an f-string", "an alias", "getattr", "a keyword", "no parse",
        "an imported mark", "imported marks", "a class with a base", "a check by assignment", "a param's imported mark", "the mark kept in a name",
        "helpers, fixtures and marks written out",
    ],  # fmt: skip
)
def test_only_literal_markers_say_a_files_concepts(tmp_path, source, concepts):
    path = tmp_path / "test_checks.py"
    path.write_text(source, encoding="utf-8")
    assert marked_concepts(path) == (frozenset(concepts) if concepts else None)


def test_an_unreadable_file_says_nothing(tmp_path):
    assert marked_concepts(tmp_path / "missing.py") is None
    (tmp_path / "nul.py").write_bytes(b"x = 1\0\n")
    assert marked_concepts(tmp_path / "nul.py") is None
