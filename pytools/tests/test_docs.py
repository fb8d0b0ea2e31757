"""docs/pytest-scenarios.md shows its complete example verbatim, so the page cannot drift from a
scenario that runs."""
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "pytest-scenarios.md"


def test_the_docs_example_is_the_running_scenario():
    example = (HERE / "test_example_restart.py").read_text()
    page = DOC.read_text()
    assert "```python\n" + example + "```\n" in page, (
        "docs/pytest-scenarios.md must show pytools/tests/test_example_restart.py verbatim")
