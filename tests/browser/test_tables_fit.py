"""Data tables on a 320px phone, on a wide screen and on paper (field report 12).

The caseload, the talent card's language table and the admin tables were wider than a cheap
phone, and the printed talent card lost its last columns. Now, on a phone, each row is a card
whose cells show their column's name, and nothing sticks out sideways, also right to left; on
a wide screen a table that is still too wide scrolls in a labelled region that keyboard users
can focus; screen readers still get a real table (checked in Chromium's own accessibility
tree); and the printed card shows every column on one A4 page.

The data is deliberately long: the longest Dutch place names, long names in Latin and Arabic
script, usernames of 30 characters, four places per staff member and languages at every CEFR
level.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from sync import accounts
from tests.browser.conftest import PHONE
from tests.browser.helpers import SECRET, page_gettext, put, sign_in

# pytest-playwright's own base_url fixture warns under pytest 9; `-W error` must not fail on it.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

NARROW = 320
# A4 is 210 mm wide and app.css prints with @page{margin:12mm}: 186 mm of content, which
# Chromium lays out at 96 CSS px per inch.
A4_CONTENT_WIDTH = round((210 - 2 * 12) / 25.4 * 96)

PLACES = {
    "loc-gasselter": ("AZC Gasselterboerveenschemond", "azc"),
    "loc-westerhaar": ("Gemeente Westerhaar-Vriezenveensewijk", "municipality"),
    "loc-michielsgestel": ("COA-locatie Sint-Michielsgestel Noord", "azc"),
    "loc-den-bosch": ("Gemeente 's-Hertogenbosch", "municipality"),
}
TEWOLDE = "Tewoldemedhin Gebremariam Habtemichael"
ABDULRAHMAN = "عبد الرحمن بن محمد الحسيني الهاشمي"
# Every CEFR level from A1 to C2, and "none yet" (shown as a dash).
LANGUAGES = [
    ("ti", True, ("C2", "C2", "C2", "C1")),
    ("ar", False, ("B2", "B1", "A2", "A1")),
    ("en", False, ("C1", "B2", "B2", "B1")),
    ("am", False, ("B1", "A2", "A1", "A1")),
    ("nl", False, ("A2", "A1", "0", "0")),
]
SKILLS = ("understanding", "speaking", "reading", "writing")


@pytest.fixture
def people(live_store):
    """Places with long names; refugees and staff with long names; a card full of languages."""
    for location_id, (name, kind) in PLACES.items():
        live_store.add_location(location_id, name, kind)
    everywhere = list(PLACES)

    def user(role, username, name, locale="nl", **where):
        user_id = accounts.create_user(live_store, role=role, username=username,
                                       display_name=name, secret=SECRET, locale=locale, **where)
        return live_store.user(user_id)

    tewolde = user("refugee", "tewoldemedhin.gebremariam-2026", TEWOLDE, "ti",
                   location_id="loc-gasselter")
    for language, mother_tongue, levels in LANGUAGES:
        put(live_store, tewolde, "language", {"language": language, "mother_tongue": mother_tongue,
                                              **dict(zip(SKILLS, levels, strict=True))})
    user("refugee", "abdulrahman.alhashimi", ABDULRAHMAN, "ar", location_id="loc-westerhaar")
    user("refugee", "oleksandra.kovalenko-shevchenko", "Oleksandra Volodymyrivna "
         "Kovalenko-Shevchenko", "uk", location_id="loc-den-bosch")
    user("coach", "maximiliaan.oldenbarnevelt", "Maximiliaan van Oldenbarnevelt-Rijnsburger",
         location_ids=everywhere)
    user("volunteer", "zainab.almansouri", "زينب عبد الكريم المنصوري", location_ids=everywhere)
    user("coach", "abdullah.alkhatib", "عبد الله الخطيب", "ar", location_ids=everywhere)
    admin = user("admin", "beheer", "Beheerder Talentkaart")
    live_store.add_work_rule({
        "id": "rule-long-source", "kind": "paid", "effective_from": "2027-01-01",
        "status": "draft", "allowed": True, "waiting_months": 6, "cap_weeks": 24,
        "cap_period_months": 52, "requires_twv": True,
        "source": "https://wetten.overheid.nl/jci1.3:c:BWBR0007149&hoofdstuk=2&paragraaf=1"
                  "&artikel=8&z=2027-01-01&g=2027-01-01",
        "note": "Wijziging van de Wet arbeid vreemdelingen en het Besluit uitvoering Wav"},
        created_by=admin["id"])
    return {"tewolde": tewolde}


# -- checks, in the page --------------------------------------------------------------------

# Whether an element is drawn: not when it or an ancestor is display:none, invisible or
# visually hidden with clip-path (the header row of a stacked table, .visually-hidden texts).
_HIDDEN_JS = """e => {
    for (let n = e; n && n !== document.documentElement; n = n.parentElement) {
        const s = getComputedStyle(n);
        if (s.display === 'none' || s.visibility === 'hidden' || s.clipPath !== 'none') return true;
    }
    return false;
}"""


def sideways(page: Page, width: int) -> list[str]:
    """What sticks out of a ``width`` px wide viewport: the page itself, or any drawn element."""
    return page.evaluate("""width => {
        const hidden = """ + _HIDDEN_JS + """;
        const problems = [];
        const scrollWidth = document.documentElement.scrollWidth;
        if (scrollWidth > width) problems.push(`the page is ${scrollWidth}px wide`);
        for (const e of document.querySelectorAll('main *')) {
            const r = e.getBoundingClientRect();
            if (r.width === 0 || hidden(e)) continue;
            if (r.left < -0.5 || r.right > width + 0.5) {
                problems.push(`${Math.round(r.left)}..${Math.round(r.right)}px: `
                              + e.outerHTML.slice(0, 100));
            }
        }
        return problems.slice(0, 8);
    }""", width)


def stacking_problems(table: Locator) -> list[str]:
    """Why ``table`` is not shown as labelled cards: one per row, each cell naming its column.

    The first column (the row's name) is the card's title and needs no label; neither does a
    column whose header is only for screen readers (the actions).
    """
    return table.evaluate("""table => {
        const problems = [];
        if (getComputedStyle(table).display === 'table') problems.push('still a table grid');
        const headers = [...table.tHead.rows[0].cells].map(th =>
            th.querySelector('.visually-hidden') ? null : th.textContent.trim());
        for (const row of table.tBodies[0].rows) {
            [...row.cells].forEach((cell, i) => {
                if (i === 0 || !headers[i]) return;
                const label = getComputedStyle(cell, '::before');
                const width = parseFloat(label.width) || 0;
                if (cell.dataset.label !== headers[i] || !label.content.includes(headers[i])
                    || label.display === 'none' || width === 0) {
                    problems.push(`"${cell.textContent.trim()}" does not show "${headers[i]}"`);
                }
            });
        }
        return problems;
    }""")


def label_side_problems(table: Locator) -> list[str]:
    """Where a stacked cell's value is not after its label in the reading direction.

    The label (the cell's ::before) starts the line at the inline start (the right on an RTL
    page); a short value goes at the end of that line, a long one on a line of its own below.
    Also returns "same line" once when some value shares its label's line, for the caller to
    see both cases were checked.
    """
    return table.evaluate("""table => {
        const problems = [];
        let sameLine = false;
        for (const cell of table.querySelectorAll('td[data-label]')) {
            const rtl = getComputedStyle(cell).direction === 'rtl';
            const box = cell.getBoundingClientRect();
            const label = getComputedStyle(cell, '::before');
            const labelWidth = parseFloat(label.width), labelHeight = parseFloat(label.height);
            const range = document.createRange();
            range.selectNodeContents(cell);
            const value = range.getBoundingClientRect();
            if (value.width === 0) continue;
            const what = `"${cell.textContent.trim()}" (${cell.dataset.label})`;
            if (value.left < box.left - 1 || value.right > box.right + 1) {
                problems.push(`${what} sticks out of its cell`);
            } else if (value.top < box.top + labelHeight / 2) {
                sameLine = true;
                const room = rtl ? box.right - value.right : value.left - box.left;
                if (room < labelWidth - 1) problems.push(`${what} overlaps or precedes its label`);
                const end = rtl ? value.left - box.left : box.right - value.right;
                if (end > 1) problems.push(`${what} is not at the end of the line`);
            } else if (value.top < box.top + labelHeight - 1) {
                problems.push(`${what} is neither beside nor below its label`);
            }
        }
        if (sameLine) problems.push('same line');
        return problems;
    }""")


def accessibility_tree(page: Page) -> list[tuple[str, str]]:
    """(role, name) of what Chromium tells screen readers, from its own accessibility tree."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    return [(n["role"]["value"], str(n.get("name", {}).get("value", "")).strip())
            for n in nodes if not n.get("ignored") and "role" in n]


def expect_table_semantics(page: Page, headers: list[str], cells: list[str]) -> None:
    """Screen readers get a table with these column headers and cells, each cell read once."""
    tree = accessibility_tree(page)
    assert any(role == "table" for role, _name in tree), tree
    column_headers = [name for role, name in tree if role == "columnheader"]
    for header in headers:
        assert header in column_headers, f"no column header {header!r} in {column_headers}"
    cell_names = [name for role, name in tree if role in ("cell", "rowheader")]
    for cell in cells:
        # Exactly the value: the visual label (generated content) is not read a second time.
        assert cell in cell_names, f"no cell named exactly {cell!r} in {cell_names}"


def small_targets(table: Locator) -> list[str]:
    """Links and buttons in ``table`` less than 44 px high."""
    return table.evaluate("""table => [...table.querySelectorAll('a, button')]
        .filter(e => e.getBoundingClientRect().height < 43.5)
        .map(e => `${e.textContent.trim()}: ${e.getBoundingClientRect().height}px`)""")


def open_at(page: Page, url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 740})
    page.goto(url)


# -- the caseload -------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["maximiliaan.oldenbarnevelt", "zainab.almansouri"],
                         ids=["coach", "volunteer"])
def test_the_caseload_is_a_list_of_labelled_cards_on_a_320px_phone(page: Page, base, people,
                                                                   username):
    sign_in(page, base, username)
    open_at(page, f"{base}/caseload", NARROW)
    _ = page_gettext(page)
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=TEWOLDE, exact=True)).to_be_visible()

    assert sideways(page, NARROW) == []
    assert stacking_problems(table) == []
    assert small_targets(table) == []
    headers = [_("Name"), _("Location"), _("Last change")]
    if username.startswith("maximiliaan"):
        headers.append(_("Since your last review"))
    expect_table_semantics(page, headers, [PLACES["loc-gasselter"][0],
                                           PLACES["loc-westerhaar"][0]])
    # Each card still holds its person's actions.
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=ABDULRAHMAN))
    expect(row.get_by_role("link", name=re.compile(f"^{_('Talent card')}"))).to_be_visible()


def test_the_caseload_cards_read_right_to_left_in_arabic(page: Page, base, people):
    sign_in(page, base, "abdullah.alkhatib")
    open_at(page, f"{base}/caseload", NARROW)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _ = page_gettext(page)
    assert _("Location") != "Location", "the Arabic catalog is not compiled"
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=ABDULRAHMAN, exact=True)).to_be_visible()

    assert sideways(page, NARROW) == []
    assert stacking_problems(table) == []
    # Arabic labels on the right, values after them to the left, Latin names not reordered.
    assert label_side_problems(table) == ["same line"]
    expect_table_semantics(page, [_("Location"), _("Since your last review")],
                           [PLACES["loc-den-bosch"][0]])


def test_a_wide_caseload_scrolls_in_its_own_focusable_region(page: Page, base, people):
    """Long names may not fit the page's 40rem column: then the table scrolls, not the page."""
    sign_in(page, base, "maximiliaan.oldenbarnevelt")
    open_at(page, f"{base}/caseload", 640)
    _ = page_gettext(page)
    region = page.get_by_role("region", name=re.compile(r"^3 "))
    table = region.get_by_role("table")
    expect(table).to_be_visible()
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    assert page.evaluate("document.documentElement.scrollWidth") <= 640

    # From the search button, Tab reaches the region; the keyboard then scrolls it.
    page.get_by_role("button", name=_("Search"), exact=True).focus()
    page.keyboard.press("Tab")
    expect(region).to_be_focused()
    ring = region.evaluate("""r => ({visible: r.matches(':focus-visible'),
        style: getComputedStyle(r).outlineStyle,
        width: parseFloat(getComputedStyle(r).outlineWidth)})""")
    assert ring["visible"] and ring["style"] != "none" and ring["width"] >= 2, ring
    # With Noto Sans the table is some 35px too wide; with narrower fonts it may fit.
    if region.evaluate("r => r.scrollWidth > r.clientWidth"):
        page.keyboard.press("ArrowRight")
        page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle())


# -- the talent card ------------------------------------------------------------------------


def test_the_talent_card_languages_fit_a_phone_and_print_every_column_on_one_a4_page(
        page: Page, base, people):
    sign_in(page, base, "maximiliaan.oldenbarnevelt")
    open_at(page, f"{base}/people/{people['tewolde']['id']}/talent-card", NARROW)
    _ = page_gettext(page)  # the card is always Dutch
    headers = [_(h) for h in ("Language", "Understanding", "Speaking", "Reading", "Writing")]
    assert headers[3:] == ["Lezen", "Schrijven"], "the Dutch catalog is not compiled"
    region = page.get_by_role("region", name=_("Languages"))
    table = region.get_by_role("table")
    expect(table.get_by_role("rowheader", name=re.compile("^Tigrinya"))).to_be_visible()

    assert sideways(page, NARROW) == []
    assert stacking_problems(table) == []
    assert label_side_problems(table) == ["same line"]
    expect_table_semantics(page, headers, ["C2", "B1", "A1", "–"])

    # On paper: a real table, every header and cell inside the page and not clipped.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1123})
    expect(table).to_have_css("display", "table")
    expect(table.get_by_role("columnheader")).to_have_text(headers)
    for level in ("A1", "A2", "B1", "B2", "C1", "C2", "–"):
        expect(table.get_by_role("cell", name=level, exact=True).first).to_be_visible()
    clipped = table.evaluate("""(table, width) => {
        const problems = [];
        for (const cell of table.querySelectorAll('th, td')) {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const text = range.getBoundingClientRect(), box = cell.getBoundingClientRect();
            if (box.left < 0 || box.right > width || text.left < box.left - 0.5
                || text.right > box.right + 0.5 || cell.scrollWidth > cell.clientWidth) {
                problems.push(`${cell.textContent.trim()}: ${Math.round(box.left)}..`
                              + `${Math.round(box.right)}px, text to ${Math.round(text.right)}px`);
            }
        }
        return problems;
    }""", A4_CONTENT_WIDTH)
    assert clipped == []
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_WIDTH

    # Chromium's real print: an A4 PDF of a single page.
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
    [media_box] = set(re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf))
    width, height = (float(v) for v in media_box.split()[2:])
    assert (round(width), round(height)) == (596, 843)  # A4 in points


# -- administration -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/locations", "/admin/staff",
                                  "/admin/work-rules"])
def test_the_admin_pages_fit_a_320px_phone(page: Page, base, people, path):
    sign_in(page, base, "beheer")
    open_at(page, f"{base}{path}", NARROW)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert sideways(page, NARROW) == []
    for table in page.get_by_role("table").all():
        assert stacking_problems(table) == []
        assert small_targets(table) == []


def test_the_staff_table_keeps_every_place_and_its_semantics_on_a_phone(page: Page, base, people):
    sign_in(page, base, "beheer")
    open_at(page, f"{base}/admin/staff", NARROW)
    _ = page_gettext(page)
    table = page.get_by_role("region", name=_("Staff")).get_by_role("table")
    coach = table.get_by_role("row").filter(has_text="Maximiliaan van Oldenbarnevelt")
    places = coach.get_by_role("cell").filter(has_text=PLACES["loc-den-bosch"][0])
    for place, _kind in PLACES.values():
        expect(places).to_contain_text(place)
    assert label_side_problems(table) == ["same line"]
    expect_table_semantics(page, [_("Name"), _("Username"), _("Role"), _("Places")],
                           ["maximiliaan.oldenbarnevelt", _("Coach")])


@pytest.mark.parametrize("path, name", [("/admin/staff", "Staff"), ("/admin/locations", "Places")])
def test_a_wide_admin_table_is_a_table_in_a_focusable_region(browser: Browser, base, people,
                                                              path, name):
    context = browser.new_context(**{**PHONE, "viewport": {"width": 1024, "height": 740}},
                                  locale="nl-NL")
    try:
        page = context.new_page()
        sign_in(page, base, "beheer")
        page.goto(f"{base}{path}")
        _ = page_gettext(page)
        region = page.get_by_role("region", name=_(name), exact=True)
        expect(region).to_have_attribute("tabindex", "0")
        table = region.get_by_role("table")
        expect(table).to_have_css("display", "table")
        expect(table.get_by_role("columnheader").first).to_have_text(_("Name"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
        region.focus()
        expect(region).to_be_focused()
    finally:
        context.close()


# -- volunteer hours ------------------------------------------------------------------------


def test_the_hours_totals_scroll_in_a_focusable_region_in_ukrainian(page: Page, base, people,
                                                                     live_store):
    """"Підтверджено" and "листопада" leave three columns a little wider than a 320px phone."""
    oleksandra = live_store.user_by_username("oleksandra.kovalenko-shevchenko")
    for day in ("2025-11-17", "2025-11-24"):
        put(live_store, oleksandra, "volunteer", {"date": day, "organisation": "Voedselbank",
                                                  "activity": "Сортування їжі", "hours": 12.5})
    sign_in(page, base, "oleksandra.kovalenko-shevchenko")
    open_at(page, f"{base}/people/{oleksandra['id']}/volunteering/", NARROW)
    _ = page_gettext(page)
    assert _("Totals") != "Totals", "the Ukrainian catalog is not compiled"
    region = page.get_by_role("region", name=_("Totals"), exact=True)
    expect(region.get_by_role("table", name=_("Volunteer hours per week"))).to_be_visible()
    expect(region.get_by_role("table", name=_("Volunteer hours per month"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW
    assert region.evaluate("r => r.getBoundingClientRect().right") <= NARROW

    region.focus()
    expect(region).to_be_focused()
    # With Noto Sans the tables are some 30px too wide; with narrower fonts they may fit.
    if region.evaluate("r => r.scrollWidth > r.clientWidth"):
        page.keyboard.press("ArrowRight")
        page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle())
