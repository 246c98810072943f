"""The app has one calendar (sync/clock.py): no other module asks the system for the day."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
OWN_DAY = re.compile(r"\bdate\.today\(\)|datetime\.now\([^)]*\)\.date\(\)")


def test_only_the_clock_asks_the_system_for_the_day():
    askers = [str(path.relative_to(ROOT))
              for folder in ("sync", "pwa") for path in (ROOT / folder).rglob("*.py")
              if OWN_DAY.search(path.read_text(encoding="utf-8"))]
    assert askers == ["sync/clock.py"]
