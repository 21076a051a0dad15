"""Shared helpers of the admin-console tests: an app with plain-http cookies and a logged-in client."""

from __future__ import annotations

import re

import redis
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.admin.users import create_user

PASSWORD = "correct horse battery staple"


def admin_app(redis_url: str, **config: object) -> Flask:
    return create_app({"REDIS_URL": redis_url, "TESTING": True, "ADMIN_COOKIE_SECURE": False, **config})


def login_form_token(client: FlaskClient) -> str:
    page = client.get("/admin/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def log_in(client: FlaskClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    """Logs `client` in; returns headers carrying the session's CSRF token."""
    response = client.post("/admin/login", data={"username": name, "password": password,
                                                 "csrf_token": login_form_token(client), "next": "/admin/"})
    assert response.status_code == 303, response.get_data(as_text=True)
    token = client.get("/admin/api/session").get_json()["csrf_token"]
    return {"X-CSRF-Token": token}


def account(redis_client: redis.Redis, name: str, *roles: str) -> None:
    create_user(redis_client, name, PASSWORD, roles)
