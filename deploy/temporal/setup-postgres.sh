#!/bin/sh
# Temporal's two databases in PostgreSQL, their schemas brought to this admin-tools image's version. Run on every
# `up`: an existing database is kept and only the schema versions it lacks are applied, which is how an upgrade of the
# pinned Temporal version migrates it.
set -eu
export SQL_PASSWORD="${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in the env file (deploy/riposte.env)}"
for db in temporal temporal_visibility; do
  schema=temporal
  [ "$db" = temporal_visibility ] && schema=visibility
  set -- --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --db "$db"
  temporal-sql-tool "$@" create
  temporal-sql-tool "$@" setup-schema -v 0.0
  temporal-sql-tool "$@" update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
