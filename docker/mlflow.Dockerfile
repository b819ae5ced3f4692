# The MLflow tracking server for compose and Kubernetes, with its basic-auth app and the deployment's
# init step: the project-wide MLflow pin (tools/mlflow/requirements.txt), the PostgreSQL driver
# (backend and user stores) and boto3 (S3/MinIO artifacts), installed from a hash-locked file
# (docker/mlflow/requirements.txt). The build context is the repository root.
#
# The base image is pinned to an exact version; to pin its digest too, resolve it where a registry
# is reachable and append it: docker buildx imagetools inspect python:3.11.14-slim-bookworm
# (README, "Pinned base images").
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY docker/mlflow/requirements.txt /tmp/requirements.txt
# --require-hashes: every file pip installs must match the lock; --no-deps: nothing the lock does not list.
RUN pip install --require-hashes --no-deps -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt \
 && useradd --uid 1000 --create-home --shell /usr/sbin/nologin mlflow
# No right without a grant; users and grants on PostgreSQL (the file says why each line is so).
COPY docker/mlflow/basic_auth.ini /etc/churn-mlops/mlflow/basic_auth.ini
COPY docker/mlflow/init_mlflow.py /opt/churn-mlops/init_mlflow.py
ENV MLFLOW_AUTH_CONFIG_PATH=/etc/churn-mlops/mlflow/basic_auth.ini
USER 1000:1000
WORKDIR /home/mlflow
EXPOSE 5000
# /health is exempt from authentication and from MLflow's Host-header check.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
  CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4).status == 200 else 1)"]
CMD ["mlflow", "server", "--app-name", "basic-auth", "--host", "0.0.0.0", "--port", "5000"]
