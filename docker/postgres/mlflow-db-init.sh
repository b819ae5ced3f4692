#!/bin/sh
# MLflow's PostgreSQL, first start only (the image runs /docker-entrypoint-initdb.d/* on an empty
# volume, as the superuser): the role MLflow connects as, owner of its two databases and nothing
# else: `mlflow` (runs, models, aliases) and `mlflow_auth` (the basic-auth app's users and grants).
# Not a superuser: MLflow's own migrations need only to own their database.
set -e
: "${MLFLOW_DB_PASSWORD:?MLFLOW_DB_PASSWORD is required (the password of the mlflow role)}"
: "${POSTGRES_USER:?POSTGRES_USER is required (the superuser this script runs as)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
  -v mlflow_password="$MLFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE mlflow LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'mlflow_password';
CREATE DATABASE mlflow OWNER mlflow;
CREATE DATABASE mlflow_auth OWNER mlflow;
REVOKE ALL ON DATABASE mlflow FROM PUBLIC;
REVOKE ALL ON DATABASE mlflow_auth FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE mlflow, mlflow_auth TO mlflow;
SQL
