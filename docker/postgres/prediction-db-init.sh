#!/bin/sh
# The prediction log's own PostgreSQL, first start only (the image runs /docker-entrypoint-initdb.d/*
# on an empty volume, as the superuser, in the database POSTGRES_DB). Two roles, neither a superuser:
#   prediction_owner   owns the schema `prediction_log`: the migration step connects as it (DDL)
#   prediction_writer  what inference-api runs as: reads and writes rows of the owner's tables,
#                      creates, alters and drops nothing (no CREATE on any schema, no TEMP)
set -e
: "${PREDICTION_DB_OWNER_PASSWORD:?PREDICTION_DB_OWNER_PASSWORD is required (migration role)}"
: "${PREDICTION_DB_WRITER_PASSWORD:?PREDICTION_DB_WRITER_PASSWORD is required (inference-api runtime role)}"
: "${POSTGRES_USER:?POSTGRES_USER is required (the superuser this script runs as)}"
: "${POSTGRES_DB:?POSTGRES_DB is required (the prediction log database)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$PREDICTION_DB_OWNER_PASSWORD" -v writer_password="$PREDICTION_DB_WRITER_PASSWORD" \
  -v database="$POSTGRES_DB" <<'SQL'
CREATE ROLE prediction_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_password';
CREATE ROLE prediction_writer LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'writer_password';
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO prediction_owner, prediction_writer;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA prediction_log AUTHORIZATION prediction_owner;
GRANT USAGE ON SCHEMA prediction_log TO prediction_writer;
-- Every table and sequence the owner creates later is the writer's to read and write, not to alter.
ALTER DEFAULT PRIVILEGES FOR ROLE prediction_owner IN SCHEMA prediction_log
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO prediction_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE prediction_owner IN SCHEMA prediction_log
  GRANT USAGE, SELECT ON SEQUENCES TO prediction_writer;
-- The app names its tables without a schema.
ALTER ROLE prediction_owner IN DATABASE :"database" SET search_path = prediction_log;
ALTER ROLE prediction_writer IN DATABASE :"database" SET search_path = prediction_log;
SQL
