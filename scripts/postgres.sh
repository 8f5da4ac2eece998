#!/usr/bin/env bash
# Starts the local PostgreSQL cluster the tests use and makes sure their role exists. Idempotent.
# Prints the SQLAlchemy URL of the server's maintenance database for that role, and nothing else, on stdout.
set -euo pipefail
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1) || true
if [ -z "${version:-}" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  cluster=main
  pg_createcluster "$version" "$cluster" >&2
  read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
fi
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" "$cluster" start >&2  # it may say "Removed stale pid file." on stdout
fi
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.2; done
pg_isready -q -h 127.0.0.1 -p "$port"
if ! as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'kernia_test'" | grep -q 1; then
  as_postgres psql -q -p "$port" -c "CREATE ROLE kernia_test LOGIN CREATEDB PASSWORD 'kernia_test'"
fi
echo "postgresql+asyncpg://kernia_test:kernia_test@127.0.0.1:${port}/postgres"
