"""WSGI entry point: `gunicorn -c server/inviteguard/gunicorn_conf.py inviteguard.wsgi:app`."""

from inviteguard import create_app

app = create_app()
