# The MLflow tracking server for compose and Kubernetes: the version pinned for the whole project in
# tools/mlflow/requirements.txt, plus the PostgreSQL driver (backend store) and boto3 (S3/MinIO
# artifacts). The build context is the repository root.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY tools/mlflow/requirements.txt /tmp/project-requirements.txt
# Only the mlflow line: the rest of that file are the tests' reference libraries.
RUN grep -E '^mlflow(\[[a-z,]+\])?==' /tmp/project-requirements.txt > /tmp/mlflow-requirement.txt \
 && pip install -r /tmp/mlflow-requirement.txt psycopg2-binary==2.9.13 boto3==1.44.8 \
 && rm /tmp/project-requirements.txt /tmp/mlflow-requirement.txt \
 && useradd --uid 1000 --create-home --shell /usr/sbin/nologin mlflow
USER 1000:1000
WORKDIR /home/mlflow
EXPOSE 5000
# /health is exempt from MLflow's Host-header check, so 127.0.0.1 works whatever --allowed-hosts says.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
  CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4).status == 200 else 1)"]
CMD ["mlflow", "server", "--host", "0.0.0.0", "--port", "5000"]
