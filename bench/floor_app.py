"""The floor the service's cached answer is measured against (bench/load.py): a bare Flask POST
endpoint that reads the body, hashes it and does one Redis GET (and a SET on a miss), served by the
same gunicorn config and the same Redis as the service. Nothing of InviteGuard is imported."""

import hashlib
import os

import redis
from flask import Flask, jsonify, request

app = Flask(__name__)
client = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.post("/floor")
def floor():
    key = "bench:floor:" + hashlib.sha256(request.get_data()).hexdigest()[:40]
    value = client.get(key)
    if value is None:
        client.set(key, b"1", ex=3600)
    return jsonify({"cached": value is not None})
