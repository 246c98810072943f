"""Pages for volunteers and coaches: caseload, accounts, review, talent card, export.

Staff only ever see refugees of their own locations (``g.location_ids``);
every change to a profile goes through ``sync.write.apply``, so comments and
verified hours are versioned and logged like the person's own entries. One
blueprint, a module per job.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__)

# The modules add their routes to ``bp``.
from pwa.staff import caseload, export, idw, people, review, talent_card  # noqa: E402,F401
