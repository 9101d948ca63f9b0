#!/bin/sh
# Start the web app: check the settings, wait for the database, migrate, then hand the process to gunicorn.
set -e
cd "$(dirname "$0")/.."

# A setting the app refuses (production without a real SECRET_KEY, debug on, ...) stops here with its
# message, instead of looking like a database that never comes up.
python -c "import wsgi" >/dev/null

tries=0
until out=$(flask --app wsgi check-db 2>&1); do
  tries=$((tries + 1))
  if [ "$tries" -ge "${DB_WAIT_TRIES:-60}" ]; then
    echo "$out" >&2
    echo "database not reachable after $tries tries" >&2
    exit 1
  fi
  echo "waiting for the database ($tries)..."
  sleep "${DB_WAIT_SECONDS:-2}"
done
echo "$out"

flask --app wsgi db upgrade -d exchange/migrations
exec gunicorn -c deploy/gunicorn.conf.py wsgi:app
