"""Bad input through the real forms: every mistake is shown at its field, nothing is lost.

A signed-in refugee posts each profile form with one field wrong. The page
comes back with status 422, the message tied to the field (GOV.UK style), an
error summary, "Error:" in the title, what was typed still in the form, and
the database exactly as it was.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from markupsafe import escape

from pwa import create_app
from sync import accounts
from sync.records import RECORD_TYPES
from sync.store import Store
from sync.write import new_id, record_view
from tests.conftest import csrf_token
from tests.today import TODAY

SECRET = "482913"
THIS_YEAR = TODAY.year

SLUG_TYPES = {"ambitions": "ambition", "skills": "skill", "languages": "language",
              "education": "education", "work": "work", "volunteering": "volunteer",
              "plan": "goal", "steps": "step", "basics": "basics"}

# A valid form per section; each bad case changes one field.
VALID = {
    "ambitions": {"work_form": "employment", "sector": "sector.agriculture",
                  "occupation": "7112.1", "hours_per_week": "32", "regions": ["utrecht"],
                  "note": "Ik wil huizen bouwen"},
    "skills": {"code": "skill.trades.welding", "free_text": "Brood bakken", "level": "3",
               "learned": "work", "note": "Elke ochtend in Aleppo"},
    "languages": {"language": "ar", "mother_tongue": "yes", "understanding": "C2",
                  "speaking": "C2", "reading": "C1", "writing": "B2", "course": "Taalschool"},
    "education": {"level": "bachelor", "field": "Verpleegkunde", "country": "SY",
                  "start_year": "2010", "end_year": "2014", "diploma": "yes",
                  "evaluation": "requested"},
    "work": {"job_title": "Bakker", "occupation": "7112.1", "employer": "Bakkerij Salam",
             "country": "SY", "start": "2015-03", "end": "2019-08",
             "description": "Brood en gebak voor de buurt"},
    "volunteering": {"date": "2026-01-05", "organisation": "Voedselbank",
                     "activity": "Sorteren", "hours": "2"},
    "plan": {"title": "Werk als bakker", "description": "Eigen geld verdienen",
             "due": "2027-06-30", "status": "planned"},
    "steps": {"goal_id": "GOAL", "text": "Cv maken", "due": "2027-01-31", "status": "todo"},
    "basics": {"display_name": "Amina Yusuf", "preferred_language": "en",
               "location_id": "loc-ter-apel", "residence": "status_holder",
               "procedure_start": "2023-01-10", "permit_date": "2024-05-01",
               "my_goal": "Een eigen bakkerij"},
}
TEXT_KINDS = ("text", "longtext", "hours", "int", "year", "date", "month")
REQUIRED_MESSAGE = {"choice": "Choose one", "date": "Enter a date",
                    "month": "Enter a month and year", "hours": "Enter the hours",
                    "language": "Choose a language", "location": "Choose a place"}


def _fields(slug):
    return [f for f in RECORD_TYPES[SLUG_TYPES[slug]].fields if not f.staff_only]


def _bad_cases():
    cases = []
    for slug in VALID:
        for f in _fields(slug):
            if f.required:
                cases.append((slug, f.name, "", REQUIRED_MESSAGE.get(
                    f.kind, "This field is required")))
            if f.max_length:
                cases.append((slug, f.name, "a" * (f.max_length + 1),
                              f"Use at most {f.max_length} characters "
                              f"(now {f.max_length + 1})"))
    cases += [
        ("volunteering", "hours", "0", "Hours must be more than 0"),
        ("volunteering", "hours", "-1", "Hours must be more than 0"),
        ("volunteering", "hours", "25", "A day has at most 24 hours"),
        ("volunteering", "hours", "abc", "Enter the hours as a number, like 2 or 1.5"),
        ("volunteering", "hours", "1,3", "Round the hours to a quarter hour"),
        ("volunteering", "date", "2099-01-01", "The date cannot be in the future"),
        ("volunteering", "date", "2026-02-30", "Enter a real date, like 2026-03-31"),
        ("plan", "due", "2026-02-30", "Enter a real date, like 2026-03-31"),
        ("steps", "due", "2026-02-30", "Enter a real date, like 2026-03-31"),
        ("basics", "procedure_start", "2099-01-01", "The date cannot be in the future"),
        ("basics", "permit_date", "2026-02-30", "Enter a real date, like 2026-03-31"),
        ("basics", "permit_date", "2022-01-01",
         "The permit date cannot be before the asylum application"),
        ("work", "start", "2099-01", "The month cannot be in the future"),
        ("work", "start", "2019-13", "Enter a month and year, like 2019-08"),
        ("work", "end", "2015-01", "The end cannot be before the start"),
        ("education", "end_year", "2009", "The end year cannot be before the start year"),
        ("education", "start_year", "1800", f"Enter a year from 1900 to {THIS_YEAR}"),
        ("ambitions", "hours_per_week", "61", "Enter a number from 1 to 60"),
        ("ambitions", "hours_per_week", "veel", "Enter a whole number"),
        ("skills", "code", "skill.trades.nope", "Choose from the list"),
        ("ambitions", "occupation", "0000.9", "Choose from the list"),
        ("ambitions", "sector", "sector.nope", "Choose from the list"),
        ("work", "occupation", "nope", "Choose from the list"),
        ("languages", "language", "zz", "Choose a language from the list"),
        ("languages", "understanding", "D7", "Choose from the list"),
        ("education", "country", "XY", "Choose a country from the list"),
        ("work", "country", "sy", "Choose a country from the list"),
        ("basics", "preferred_language", "xx", "Choose from the list"),
        ("basics", "location_id", "loc-nowhere", "Choose a place from the list"),
        ("steps", "goal_id", new_id(), "This entry does not exist"),
    ]
    return [pytest.param(*case, id=f"{case[0]}.{case[1]}={case[2][:12]!r}") for case in cases]


# -- a shared world: one refugee A (with a goal), B, and a coach -------------------------


@pytest.fixture(scope="module")
def world(make_database):
    db = make_database()
    app = create_app({"TESTING": True, "DATABASE": db, "SECRET_KEY": "test-secret"})
    store = Store(db)
    store.add_location("loc-ter-apel", "AZC Ter Apel", "azc")

    def user(role, username, **kw):
        return store.user(accounts.create_user(store, role=role, username=username,
                                               display_name=username.title(), secret=SECRET,
                                               locale="en", **kw))

    users = {"a": user("refugee", "amina", location_id="loc-ter-apel"),
             "b": user("refugee", "bereket", location_id="loc-ter-apel"),
             "c": user("refugee", "chidi", location_id="loc-ter-apel"),
             "coach": user("coach", "carla", location_ids=["loc-ter-apel"])}
    sessions = {}
    for key, person in users.items():
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        response = client.post("/sign-in", data={"username": person["username"],
                                                 "secret": SECRET,
                                                 "csrf_token": csrf_token(client)})
        assert response.status_code == 303
        sessions[key] = client.get_cookie("talentkaart").value
    world = {"app": app, "store": store, "users": users, "sessions": sessions}
    client = as_user(world, "a")
    a_id = users["a"]["id"]
    response = post_form(client, f"/people/{a_id}/plan/new", VALID["plan"])
    assert response.status_code == 303
    (goal,) = store.records(a_id, "goal")
    world["goal"] = goal["id"]
    yield world
    store.close()


def as_user(world, key):
    client = world["app"].test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.set_cookie("talentkaart", world["sessions"][key])
    return client


def post_form(client, path, data, **extra):
    """Open the form, then post ``data`` with the form's own hidden fields."""
    html = client.get(path).get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    return client.post(path, data={**hidden, **data, **extra})


def form_data(world, slug, **changes):
    data = {**VALID[slug], **changes}
    if data.get("goal_id") == "GOAL":
        data["goal_id"] = world["goal"]
    return data


def form_path(world, slug, person="a"):
    person_id = world["users"][person]["id"]
    if slug == "basics":
        return f"/people/{person_id}/basics"
    return f"/people/{person_id}/{slug}/new"


def database_state(store):
    counts = {table: store.count(table) for table in store.tables()}
    return counts, store.last_seq()


def assert_field_error(html, field, message):
    """The GOV.UK pattern: error at the field, described-by, summary, title."""
    error = re.search(rf'<p class="field-error" id="f-{field}-error">(.*?)</p>', html, re.S)
    assert error, f"no error shown at {field}"
    assert str(escape(message)) in error.group(1)
    control = re.search(rf'<[a-z]+ [^>]*\bid="f-{field}"[^>]*>', html)
    assert control, f"no control f-{field}"
    described = re.search(r'aria-describedby="([^"]*)"', control.group(0))
    assert described and f"f-{field}-error" in described.group(1).split()
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary and f'href="#f-{field}"' in summary.group(1)
    assert str(escape(message)) in summary.group(1)
    assert re.search(r"<title>\s*Error:", html)


def assert_typed_values_kept(html, slug, data):
    for f in _fields(slug):
        value = data.get(f.name)
        if f.kind in TEXT_KINDS and value:
            assert str(escape(value)) in html, f"{f.name}={value!r} lost"
        elif f.kind == "choice" and value and len(f.choices) <= 5:
            assert re.search(rf'name="{f.name}" value="{re.escape(value)}" checked', html), \
                f"{f.name} choice lost"


# -- the table -----------------------------------------------------------------------


@pytest.mark.parametrize(("slug", "field", "value", "message"), _bad_cases())
def test_bad_value_is_shown_at_its_field_and_nothing_is_saved(world, slug, field, value,
                                                              message):
    store = world["store"]
    client = as_user(world, "a")
    data = form_data(world, slug, **{field: value})
    before = database_state(store), store.user(world["users"]["a"]["id"])
    response = post_form(client, form_path(world, slug), data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    assert_field_error(html, field, message)
    assert_typed_values_kept(html, slug, data)
    assert (database_state(store), store.user(world["users"]["a"]["id"])) == before


@pytest.mark.parametrize("slug", sorted(VALID))
def test_valid_form_is_saved(world, slug):
    """The baseline of the table: without the bad field, each form saves."""
    store = world["store"]
    client = as_user(world, "a")
    before = store.last_seq()
    response = post_form(client, form_path(world, slug), form_data(world, slug))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert store.last_seq() > before


def test_dutch_decimal_comma_is_accepted_for_hours(world):
    store, a_id = world["store"], world["users"]["a"]["id"]
    client = as_user(world, "a")
    response = post_form(client, form_path(world, "volunteering"),
                         form_data(world, "volunteering", hours="1,5", date="2026-01-06",
                                   activity="Koffie schenken"))
    assert response.status_code == 303
    (saved,) = [r for r in store.records(a_id, "volunteer")
                if r["data"]["activity"] == "Koffie schenken"]
    assert saved["data"]["hours"] == 1.5


# -- someone else's ids ------------------------------------------------------------------


@pytest.fixture
def b_skill(world):
    """An entry of B's, made through B's own form."""
    store, b_id = world["store"], world["users"]["b"]["id"]
    client = as_user(world, "b")
    response = post_form(client, form_path(world, "skills", "b"),
                         form_data(world, "skills", free_text="Timmeren", code=""))
    assert response.status_code == 303
    return next(r for r in store.records(b_id, "skill") if r["data"]["free_text"] == "Timmeren")


def test_other_persons_record_id_in_my_edit_url_is_404(world, b_skill):
    store = world["store"]
    a_id = world["users"]["a"]["id"]
    client = as_user(world, "a")
    assert client.get(f"/people/{a_id}/skills/{b_skill['id']}").status_code == 404
    before = database_state(store)
    response = client.post(f"/people/{a_id}/skills/{b_skill['id']}", data={
        **form_data(world, "skills", free_text="Overwritten"), "csrf_token": csrf_token(
            client, f"/people/{a_id}/skills/new"),
        "op_id": new_id(), "base_revision": "1"})
    assert response.status_code == 404
    assert database_state(store) == before
    assert store.record(b_skill["id"])["data"] == b_skill["data"]


def test_other_persons_record_id_in_my_new_form_is_refused(world, b_skill):
    """The hidden record_id tampered to point at B's entry."""
    store = world["store"]
    client = as_user(world, "a")
    before = database_state(store)
    response = post_form(client, form_path(world, "skills"),
                         form_data(world, "skills", free_text="Overwritten"),
                         record_id=b_skill["id"], base_revision="1")
    assert response.status_code == 404
    assert database_state(store) == before
    assert store.record(b_skill["id"])["data"] == b_skill["data"]


def test_other_persons_id_in_the_url_is_404(world, b_skill):
    store = world["store"]
    b_id = world["users"]["b"]["id"]
    client = as_user(world, "a")
    token = csrf_token(client, form_path(world, "skills"))
    before = database_state(store)
    for path in (f"/people/{b_id}/skills/new", f"/people/{b_id}/skills/{b_skill['id']}",
                 f"/people/{b_id}/basics"):
        response = client.post(path, data={**form_data(world, "skills"), "csrf_token": token,
                                           "op_id": new_id(), "record_id": new_id(),
                                           "base_revision": "1"})
        assert response.status_code == 404, path
    assert database_state(store) == before


# -- stale and repeated submissions -------------------------------------------------------


def test_stale_edit_keeps_both_versions(world):
    store, a_id = world["store"], world["users"]["a"]["id"]
    client = as_user(world, "a")
    response = post_form(client, form_path(world, "skills"),
                         form_data(world, "skills", code="", free_text="Naaien"))
    assert response.status_code == 303
    record = next(r for r in store.records(a_id, "skill") if r["data"]["free_text"] == "Naaien")
    edit = f"/people/{a_id}/skills/{record['id']}"
    # Two tabs opened at revision 1; the first saves, the second is stale.
    first = post_form(client, edit, form_data(world, "skills", code="", free_text="Naaien",
                                              note="Trouwjurken"))
    assert first.status_code == 303
    second = post_form(client, edit, form_data(world, "skills", code="", free_text="Naaien",
                                               note="Schooluniformen"), base_revision="1")
    assert second.status_code == 303
    assert second.headers["Location"] == edit
    html = client.get(edit).get_data(as_text=True)
    assert "Both versions are kept" in html
    assert "Trouwjurken" in html and "Schooluniformen" in html
    saved = store.record(record["id"])
    assert saved["data"]["note"] == "Trouwjurken" and saved["revision"] == 2
    (conflict,) = store.open_conflicts(a_id, record["id"])
    assert conflict["proposed"]["note"] == "Schooluniformen"


def test_same_submission_twice_saves_once(world):
    store, a_id = world["store"], world["users"]["a"]["id"]
    client = as_user(world, "a")
    path = form_path(world, "skills")
    html = client.get(path).get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    data = {**hidden, **form_data(world, "skills", code="", free_text="Kapper")}
    first = client.post(path, data=data)
    second = client.post(path, data=data)
    assert first.status_code == second.status_code == 303
    saved = [r for r in store.records(a_id, "skill") if r["data"]["free_text"] == "Kapper"]
    assert len(saved) == 1
    assert len(store.history(saved[0]["id"])) == 1
    assert "This was already saved." in client.get(second.headers["Location"]).get_data(
        as_text=True)


# -- markup and scripts in every free-text field ------------------------------------------

FREE_TEXT = [(slug, f.name, f.max_length) for slug in VALID for f in _fields(slug)
             if f.kind in ("text", "longtext")]


def payload(field):
    return f'<script>alert("{field}")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def scripted(world):
    """A profile with markup in every free-text field, saved through the forms."""
    client = as_user(world, "a")
    for slug in VALID:
        changes = {name: payload(name) for s, name, _ in FREE_TEXT if s == slug}
        if slug == "skills":
            changes["code"] = ""
        if slug == "volunteering":
            changes["date"] = "2026-01-07"
        response = post_form(client, form_path(world, slug), form_data(world, slug, **changes))
        assert response.status_code == 303, (slug, response.get_data(as_text=True)[:1500])
    return world


def _payload_records(world):
    store, a_id = world["store"], world["users"]["a"]["id"]
    # As people see them: a basics record with the name its account holds.
    return [r for r in map(lambda r: record_view(store, r), store.records(a_id)) if any(
        isinstance(v, str) and v.startswith("<script>") for v in r["data"].values())]


def test_markup_is_stored_verbatim(scripted):
    stored = {(r["type"], k): v for r in _payload_records(scripted)
              for k, v in r["data"].items()}
    for slug, name, _ in FREE_TEXT:
        assert stored[(SLUG_TYPES[slug], name)] == payload(name)


def assert_escaped(html, fields):
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    for name in fields:
        assert str(escape(payload(name))) in html, f"{name} not shown escaped"


@pytest.mark.parametrize("slug", [s for s in VALID if s not in ("basics", "steps")])
def test_markup_is_escaped_on_the_section_page(scripted, slug):
    a_id = scripted["users"]["a"]["id"]
    html = as_user(scripted, "a").get(f"/people/{a_id}/{slug}/").get_data(as_text=True)
    shown = {"ambitions": ["note"], "skills": ["free_text", "note"], "languages": [],
             "education": ["field"], "work": ["job_title", "employer", "description"],
             "volunteering": ["organisation", "activity"], "plan": ["title", "text"]}
    assert_escaped(html, shown[slug])


def test_markup_is_escaped_in_the_edit_forms(scripted):
    client = as_user(scripted, "a")
    a_id = scripted["users"]["a"]["id"]
    slug_of = {t: s for s, t in SLUG_TYPES.items()}
    for record in _payload_records(scripted):
        slug = slug_of[record["type"]]
        path = (f"/people/{a_id}/basics" if slug == "basics"
                else f"/people/{a_id}/{slug}/{record['id']}")
        names = [n for s, n, _ in FREE_TEXT if s == slug]
        assert_escaped(client.get(path).get_data(as_text=True), names)


def test_markup_is_escaped_on_the_review_page(scripted):
    a_id = scripted["users"]["a"]["id"]
    html = as_user(scripted, "coach").get(f"/people/{a_id}/review").get_data(as_text=True)
    assert_escaped(html, [name for _, name, _ in FREE_TEXT])


def test_markup_is_escaped_on_the_talent_card(scripted):
    a_id = scripted["users"]["a"]["id"]
    response = as_user(scripted, "coach").get(f"/people/{a_id}/talent-card")
    assert response.status_code == 200
    assert_escaped(response.get_data(as_text=True),
                   ["display_name", "my_goal", "job_title", "field", "title", "text"])


FORMULAS = {"organisation": "=HYPERLINK(\"http://evil.example\")", "activity": "+SUM(A1:A9)",
            "reason": "@cmd|' /C calc'!A0", "name": "-2+3"}


def test_csv_keeps_markup_and_neutralises_formulas(scripted):
    world = scripted
    store, c_id = world["store"], world["users"]["c"]["id"]
    client = as_user(world, "c")
    basics = form_data(world, "basics", display_name=FORMULAS["name"])
    assert post_form(client, form_path(world, "basics", "c"), basics).status_code == 303
    response = post_form(client, form_path(world, "volunteering", "c"), form_data(
        world, "volunteering", date="2026-01-08", organisation=FORMULAS["organisation"],
        activity=FORMULAS["activity"]))
    assert response.status_code == 303
    (record,) = store.records(c_id, "volunteer")
    coach = as_user(world, "coach")
    response = coach.post(f"/people/{c_id}/hours/{record['id']}/status", data={
        "csrf_token": csrf_token(coach, f"/people/{c_id}/review"), "status": "questioned",
        "reason": FORMULAS["reason"], "base_revision": str(record["revision"]),
        "op_id": new_id()})
    assert response.status_code == 303
    response = coach.get("/locations/loc-ter-apel/hours.csv?from=2026-01-01&to=2026-01-31")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    row = next(r for r in rows if r[2] == "2026-01-08")
    assert row[0] == "'" + FORMULAS["name"]
    assert row[3] == "'" + FORMULAS["organisation"]
    assert row[4] == "'" + FORMULAS["activity"]
    assert row[7] == "'" + FORMULAS["reason"]
    for cells in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    scripted = [r for r in rows if r[3].startswith("<script>")]
    assert scripted and scripted[0][3] == payload("organisation")


# -- other scripts and emoji ------------------------------------------------------------

WORLD_TEXT = ["مرحبا بالعالم 👋🏽", "ሰላም"]


@pytest.mark.parametrize("text", WORLD_TEXT)
def test_right_to_left_and_emoji_round_trip(world, text):
    store, a_id = world["store"], world["users"]["a"]["id"]
    client = as_user(world, "a")
    note = f"{text}\n{text}"
    response = post_form(client, form_path(world, "skills"),
                         form_data(world, "skills", code="", free_text=text, note=note))
    assert response.status_code == 303
    record = next(r for r in store.records(a_id, "skill") if r["data"]["free_text"] == text)
    assert record["data"]["note"] == note
    assert text in client.get(f"/people/{a_id}/skills/").get_data(as_text=True)
    form = client.get(f"/people/{a_id}/skills/{record['id']}").get_data(as_text=True)
    assert f'value="{text}"' in form
    assert f">{note}</textarea>" in form


# -- query strings and sizes -------------------------------------------------------------


@pytest.mark.parametrize("query", ["x" * 10_000, "%", "_", "%_%", "\\", "'; DROP TABLE users;--",
                                   "<script>alert(1)</script>"])
def test_caseload_search_survives_odd_queries(world, query):
    response = as_user(world, "coach").get("/caseload", query_string={"q": query})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # Wildcards are searched for literally: nobody's name contains them.
    assert "Bereket" not in html
    assert "<script>alert(1)" not in html
    assert world["store"].user(world["users"]["a"]["id"]) is not None


def test_caseload_search_finds_by_part_of_a_name(world):
    html = as_user(world, "coach").get("/caseload?q=reke").get_data(as_text=True)
    assert "Bereket" in html


@pytest.mark.parametrize("query", ["x" * 10_000, "%", "_", "\\", "<script>alert(1)</script>",
                                   "مرحبا", "🔥" * 50, "  "])
def test_picker_survives_odd_queries(world, query):
    a_id = world["users"]["a"]["id"]
    response = as_user(world, "a").get(f"/people/{a_id}/pick/skill", query_string={"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/people/{a}/pick/skill?q=%00", "/caseload?q=a%00b",
                                  "/people/%00/review", "/people/{a}%00/skills",
                                  "/sync/pull?person=%00&since=0"])
def test_a_nul_in_the_address_is_a_plain_bad_request(world, path):
    # No one types a NUL; PostgreSQL refuses one in any query. Never a 500.
    viewer = "coach" if "caseload" in path or "review" in path else "a"
    response = as_user(world, viewer).get(path.format(a=world["users"]["a"]["id"]))
    assert response.status_code == 400
    assert "The request was not valid." in response.get_data(as_text=True)


def test_picker_finds_a_skill(world):
    a_id = world["users"]["a"]["id"]
    html = as_user(world, "a").get(f"/people/{a_id}/pick/skill?q=weld").get_data(as_text=True)
    assert 'value="skill.trades.welding"' in html


def test_impossible_export_date_is_shown_at_its_field(world):
    response = as_user(world, "coach").get(
        "/locations/loc-ter-apel/hours.csv?from=2026-02-30&to=2026-03-31")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert_field_error(html, "from", "Enter a real date, like 2026-03-31")
    assert 'value="2026-02-30"' in html and 'value="2026-03-31"' in html


def test_two_megabyte_post_is_refused(world):
    store = world["store"]
    client = as_user(world, "a")
    before = database_state(store)
    response = post_form(client, form_path(world, "skills"),
                         form_data(world, "skills", note="a" * (2 * 1024 * 1024)))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert database_state(store) == before


def test_every_new_form_shows_its_record_types_defaults(world):
    """A required choice with a default is chosen already: an offline save of the form
    as shown is what the server accepts."""
    from pwa.profile import SECTIONS
    from sync.records import RECORD_TYPES

    client = as_user(world, "a")
    for section in SECTIONS.values():
        if section.slug == "basics":
            continue
        html = client.get(f"/people/{world['users']['a']['id']}/{section.slug}/new").get_data(
            as_text=True)
        for f in RECORD_TYPES[section.record_type].fields:
            if f.default is not None and not f.staff_only:
                assert re.search(rf'name="{f.name}" value="{f.default}" checked', html), (
                    section.slug, f.name)
