#!/bin/sh
# Start the web app: wait for the database, migrate, then hand the process to gunicorn.
set -e
cd "$(dirname "$0")/.."

tries=0
until flask --app wsgi check-db >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge "${DB_WAIT_TRIES:-60}" ]; then
    echo "database not reachable after $tries tries" >&2
    exit 1
  fi
  echo "waiting for the database ($tries)..."
  sleep 2
done

flask --app wsgi db upgrade -d exchange/migrations
exec gunicorn -c deploy/gunicorn.conf.py wsgi:app
