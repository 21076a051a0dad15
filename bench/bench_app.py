"""The service as `inviteguard serve` runs it, plus the floor it is measured against: a bare Flask
endpoint doing one GET on the same Redis client (same gunicorn, same workers, same Redis)."""

from flask import jsonify
from inviteguard import create_app

app = create_app()
FLOOR_KEY = "ig:bench:floor"


@app.get("/bench/redis-get")
def redis_get():
    value = app.extensions["inviteguard"].gate.client().get(FLOOR_KEY)
    return jsonify({"value": value.decode() if value else None})
