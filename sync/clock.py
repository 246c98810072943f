"""The app's one calendar: every "today" asks here.

A day is the server's local day, the one a person reads on a date field. Having one
place means a run that crosses midnight can be held to one day (the tests do), and
a deployment's idea of the day is changed in one spot.
"""

from datetime import date


def today() -> date:
    return date.today()
