#!/usr/bin/env bash
# Makes sure the PostgreSQL and MariaDB servers the server legs test against are up, starting them
# with the machine's own commands if they are not. Fails loudly if either cannot be reached.
set -euo pipefail

wait_for() {
  local name=$1 check=$2
  for _ in $(seq 1 30); do
    if eval "$check" >/dev/null 2>&1; then
      echo "$name is up"
      return 0
    fi
    sleep 1
  done
  echo "ERROR: $name is not reachable on 127.0.0.1 after starting it; the server legs cannot run." >&2
  return 1
}

pg_up="pg_isready -h 127.0.0.1 -p 5432"
if ! eval "$pg_up" >/dev/null 2>&1; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
wait_for PostgreSQL "$pg_up"

maria_up="mysqladmin -h 127.0.0.1 -P 3306 -u root status"
if ! eval "$maria_up" >/dev/null 2>&1; then
  echo "Starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
wait_for MariaDB "$maria_up"
