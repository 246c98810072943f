"""The stack's floor: a hello-world Flask app on waitress, as ``talentkaart serve`` runs.

What our signed-in pages cost is judged against this: the same server, the same
threads, the same client, nothing of ours.
"""

from __future__ import annotations

import argparse

from flask import Flask
from waitress import serve

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    serve(app, host="127.0.0.1", port=args.port, threads=args.threads, _quiet=True)
