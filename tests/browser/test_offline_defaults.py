"""What the phone accepts offline is what the server accepts: defaults are shown.

Before, a goal saved offline with only its title was shown as saved, then
refused after sync ("Some answers are not valid", status: "Choose one"): the
record type defaults its status to "planned", but the form preselected nothing.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_location, add_user
from tests.browser.offline_helpers import (
    READ_OUTBOX,
    accept_dialogs,
    first_page,
    go_online_and_sync,
    open_phone,
    outbox,
    put_basics,
    sign_in,
    submit,
    wait_until,
    wait_until_offline_ready,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")


def test_a_goal_saved_offline_with_only_its_title_is_accepted(browser_type,
                                                              browser_type_launch_args,
                                                              tmp_path, base, live_store):
    add_location(live_store)
    user = add_user(live_store, "refugee", "amina", "Amina Yusuf")
    put_basics(live_store, user)
    pid = user["id"]
    context = open_phone(browser_type, tmp_path / "phone", browser_type_launch_args)
    try:
        page = first_page(context)
        accept_dialogs(page)
        sign_in(page, base, "amina")
        wait_until_offline_ready(page, pid)
        context.set_offline(True)
        page.goto(f"{base}/people/{pid}/plan/new")
        expect(page.get_by_role("radio", name="Planned")).to_be_checked()
        page.get_by_label("Goal", exact=True).fill("Become a nurse")
        submit(page)
        page.wait_for_url(re.compile(f"/people/{pid}/plan/$"), wait_until="commit")
        assert [op["fields"]["status"] for op in outbox(page)] == ["planned"]
        context.set_offline(False)
        go_online_and_sync(page)
        wait_until(page, f"async () => (await ({READ_OUTBOX})()).length === 0",
                   what="the goal sent and accepted")
        [goal] = live_store.records(pid, "goal")
        assert (goal["data"]["title"], goal["data"]["status"]) == ("Become a nurse", "planned")
    finally:
        context.close()
