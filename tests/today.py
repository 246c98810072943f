"""The day a test run counts as today, from its start to its end.

The app asks ``sync.clock.today()``, which the tests' conftest holds to this day: a
run that crosses midnight would otherwise compare a date computed before it with
one the server computed after it.
"""

from datetime import date

TODAY = date.today()
