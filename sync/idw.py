"""What a coach sends for a diploma evaluation (IDW, for Nuffic and SBB), per education
entry: the facts, the photos of the papers, and what is still missing.

IDW asks for copies of the diploma and the grade lists, an identity document, and a
sworn translation unless the papers are in Dutch, English, German or French. Without
papers, a person can get an "Indicatie Onderwijsniveau" instead. Pure: the web layer
hands in the entries and the files that arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.messages import N_
from sync.records import EDUCATION_LEVELS

LEVEL_ORDER = [code for code, _ in EDUCATION_LEVELS]
WITHOUT_PAPERS = ("no", "lost")


@dataclass(frozen=True)
class Application:
    """An education entry as an IDW application: what is there and what is missing."""

    entry: dict
    files: list[dict]  # the entry's files that arrived, in the entry's order
    highest: bool  # the highest diploma the person has
    missing: list[str]  # msgids, in the order to collect them
    without_papers: bool  # the route for people without papers applies


def application(entry: dict, education: list[dict], arrived: dict[str, dict]) -> Application:
    """``entry`` (an education record) as an application, among the person's other
    ``education`` entries, with the files of it that ``arrived`` (by id)."""
    data = entry["data"]
    files = [arrived[i] for i in data.get("files") or [] if i in arrived]
    papers = [f for f in files if not f["media_type"].startswith("audio/")]
    without_papers = data.get("diploma") in WITHOUT_PAPERS
    missing = []
    if not without_papers:
        if not papers:
            missing.append(N_("A photo or scan of the diploma"))
        if len(papers) < 2:
            missing.append(N_("A photo or scan of the grade list (the marks)"))
        if len(data.get("files") or []) > len(files):
            missing.append(N_("Files added on a phone that have not arrived yet"))
    if not data.get("country"):
        missing.append(N_("The country of the education"))
    if not data.get("institution"):
        missing.append(N_("The name of the school or university"))
    if not data.get("start_year") or not data.get("end_year"):
        missing.append(N_("The years the education started and ended"))
    missing.append(N_("A copy of an identity document (Talentkaart does not keep it)"))
    if not without_papers:
        missing.append(N_("A sworn translation, unless the papers are in Dutch, English, "
                          "German or French"))
    return Application(entry, files, _is_highest(entry, education), missing, without_papers)


def _rank(record: dict) -> int:
    level = record["data"].get("level")
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1


def _is_highest(entry: dict, education: list[dict]) -> bool:
    """Whether ``entry`` is the highest level the person finished with a diploma."""
    with_diploma = [e for e in education if e["data"].get("diploma") == "yes"]
    if entry["data"].get("diploma") != "yes" or not with_diploma:
        return False
    return _rank(entry) == max(_rank(e) for e in with_diploma)
