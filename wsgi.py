"""gunicorn entry point: ``gunicorn wsgi:app``; also ``flask --app wsgi ...``."""

from exchange import create_app

app = create_app()
