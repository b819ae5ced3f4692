"""One-shot set-up of an MLflow server that runs MLflow's basic-auth app, as its admin.

Creates what the three apps work on (the training experiment, the registered model and its alias
audit experiment), one MLflow user per app holding only the grants below, and the registry webhook
that tells inference-api about alias moves (MLflow lets only admins manage webhooks). Safe to run
again: everything is created when missing and brought back to this plan when it differs (a changed
password is set, a grant is raised, lowered or removed, the webhook's secret and events are reset).

    inference-api    READ on the model; READ on the training experiment (the model's files are
                     its runs' artifacts)
    training-worker  EDIT on the training experiment; EDIT on the model (MLflow's requirement for
                     creating versions); READ on the versions tier, so existing versions' tags
                     cannot be rewritten nor versions deleted
    registry-admin   MANAGE on the model (deleting an alias or a version needs it); EDIT on the
                     audit experiment (records are written and settled, never deleted); READ on the
                     training experiment (gates read the versions' runs and signatures)

Settings (environment; the admin's credentials are MLflow's own variables):
    MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD   the server and its admin
    MODEL_NAME (churn_model), EXPERIMENT_NAME (churn), AUDIT_EXPERIMENT_SUFFIX (.alias-audit)
    INFERENCE_API_MLFLOW_USERNAME (inference-api), INFERENCE_API_MLFLOW_PASSWORD
    TRAINING_WORKER_MLFLOW_USERNAME (training-worker), TRAINING_WORKER_MLFLOW_PASSWORD
    REGISTRY_ADMIN_MLFLOW_USERNAME (registry-admin), REGISTRY_ADMIN_MLFLOW_PASSWORD
    INFERENCE_WEBHOOK_URL     inference-api's internal base URL (or its /webhooks/mlflow URL)
    MLFLOW_WEBHOOK_SECRET     the HMAC key inference-api checks deliveries with
    MLFLOW_INIT_WAIT_SECONDS (300)   how long to wait for MLflow's /health

Exit codes: 0 done, 1 MLflow refused or failed, 2 a setting is missing or invalid.
"""

import hashlib
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass

# MLflow's packages take seconds to import, so the settings are checked first and MLflow is loaded
# only by the steps that talk to it (a bad setting fails at once).

# The project's rule for every secret an app is given (the apps' tokens follow it too).
MIN_SECRET_LENGTH = 16
RECEIVER_PATH = "/webhooks/mlflow"
# The events that can change what an alias serves: registry-admin's ALIAS_EVENTS.
WEBHOOK_EVENTS = ["model_version_alias.created", "model_version_alias.deleted"]
LIST_USER_PERMISSIONS = "/api/3.0/mlflow/users/permissions/list"
VERSIONS_TIER = ("registered_model_version", "*")


class SettingError(Exception):
    """A missing or invalid setting; the message names the variable."""


@dataclass(frozen=True)
class AppUser:
    app: str
    username: str
    password: str


@dataclass(frozen=True)
class Settings:
    tracking_uri: str
    admin_username: str
    model_name: str
    experiment_name: str
    audit_experiment_name: str
    users: tuple
    webhook_url: str
    webhook_secret: str
    wait_seconds: int


def log(message):
    print(f"[mlflow-init] {message}", flush=True)


def required(env, name):
    value = env.get(name, "")
    if value == "":
        raise SettingError(f"{name} is required")
    return value


def secret(env, name):
    value = required(env, name)
    if len(value) < MIN_SECRET_LENGTH:
        raise SettingError(f"{name} must be at least {MIN_SECRET_LENGTH} characters (got {len(value)})")
    return value


def receiver_url(text):
    """inference-api's webhook receiver for a base URL, or the receiver URL itself, normalised as
    registry-admin's receiverUrlOf does (scheme and host lower-case, default port dropped)."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingError(
            f"INFERENCE_WEBHOOK_URL must be an http(s) URL such as http://inference-api:9000 (got {text!r})"
        )
    if parts.username or parts.password:
        raise SettingError(
            "INFERENCE_WEBHOOK_URL must not contain credentials (every admin reads webhook URLs)"
        )
    if parts.query or parts.fragment:
        raise SettingError(
            f"INFERENCE_WEBHOOK_URL must be a base URL or end in {RECEIVER_PATH} (got {text!r})"
        )
    try:
        port = parts.port
    except ValueError:
        raise SettingError(f"INFERENCE_WEBHOOK_URL has an invalid port (got {text!r})") from None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if port in (None, default_port) else f"{parts.hostname}:{port}"
    path = parts.path.rstrip("/")
    if not path.endswith(RECEIVER_PATH):
        path = f"{path}{RECEIVER_PATH}"
    return f"{parts.scheme}://{host}{path}"


def read_settings(env):
    users = tuple(
        AppUser(app, env.get(f"{prefix}_MLFLOW_USERNAME") or app, secret(env, f"{prefix}_MLFLOW_PASSWORD"))
        for app, prefix in (
            ("inference-api", "INFERENCE_API"),
            ("training-worker", "TRAINING_WORKER"),
            ("registry-admin", "REGISTRY_ADMIN"),
        )
    )
    admin_username = required(env, "MLFLOW_TRACKING_USERNAME")
    required(env, "MLFLOW_TRACKING_PASSWORD")
    names = [admin_username, *(user.username for user in users)]
    if len(set(names)) != len(names):
        raise SettingError(
            f"the admin and the three app users need four different names (got {', '.join(names)})"
        )
    if len({user.password for user in users}) != len(users):
        raise SettingError("each app's MLflow password must differ from the others'")
    wait = env.get("MLFLOW_INIT_WAIT_SECONDS", "300")
    if not wait.isdigit():
        raise SettingError(f"MLFLOW_INIT_WAIT_SECONDS must be a whole number of seconds (got {wait!r})")
    model_name = env.get("MODEL_NAME") or "churn_model"
    return Settings(
        tracking_uri=required(env, "MLFLOW_TRACKING_URI").rstrip("/"),
        admin_username=admin_username,
        model_name=model_name,
        experiment_name=env.get("EXPERIMENT_NAME") or "churn",
        audit_experiment_name=model_name + (env.get("AUDIT_EXPERIMENT_SUFFIX") or ".alias-audit"),
        users=users,
        webhook_url=receiver_url(required(env, "INFERENCE_WEBHOOK_URL")),
        webhook_secret=secret(env, "MLFLOW_WEBHOOK_SECRET"),
        wait_seconds=int(wait),
    )


class MlflowUnavailable(Exception):
    """MLflow's /health did not answer in time."""


def wait_for_mlflow(settings):
    deadline = time.monotonic() + settings.wait_seconds
    while True:
        try:
            with urllib.request.urlopen(f"{settings.tracking_uri}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise MlflowUnavailable(
                f"{settings.tracking_uri}/health did not answer within {settings.wait_seconds} s"
            )
        time.sleep(1)


def ensure_experiment(client, name):
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        log(f"experiment '{name}': created")
        return client.create_experiment(name)
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
        log(f"experiment '{name}' (id {experiment.experiment_id}): restored")
    else:
        log(f"experiment '{name}' (id {experiment.experiment_id}): exists")
    return experiment.experiment_id


def ensure_registered_model(client, name):
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
        log(f"registered model '{name}': exists")
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        client.create_registered_model(
            name, description="Churn classifier; versions registered by training-worker."
        )
        log(f"registered model '{name}': created")


def ensure_user(auth, user):
    """Creates the user, or sets the configured password on an existing one (the secret is the truth)."""
    from mlflow.exceptions import MlflowException

    try:
        auth.create_user(user.username, user.password)
        log(f"user '{user.username}' ({user.app}): created")
        return
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    auth.update_user_password(user.username, user.password)
    if auth.get_user(user.username).is_admin:
        auth.update_user_admin(user.username, False)
        log(f"user '{user.username}' ({user.app}): admin right removed")
    log(f"user '{user.username}' ({user.app}): exists, password set")


def plan(settings, experiment_id, audit_experiment_id):
    """Each app user's grants on the resources this step manages, keyed by (resource type, id)."""
    model = ("registered_model", settings.model_name)
    experiment = ("experiment", experiment_id)
    audit = ("experiment", audit_experiment_id)
    grants = {
        "inference-api": {model: "READ", experiment: "READ"},
        "training-worker": {experiment: "EDIT", model: "EDIT", VERSIONS_TIER: "READ"},
        "registry-admin": {model: "MANAGE", audit: "EDIT", experiment: "READ"},
    }
    managed = [model, experiment, audit, VERSIONS_TIER]
    return {user.username: {key: grants[user.app].get(key) for key in managed} for user in settings.users}


def direct_grants(settings, username):
    """The user's own grants (its synthetic `__user_<id>__` role), keyed by (resource type, pattern)."""
    from mlflow.utils.credentials import get_default_host_creds
    from mlflow.utils.rest_utils import http_request, verify_rest_response

    response = http_request(
        get_default_host_creds(settings.tracking_uri),
        LIST_USER_PERMISSIONS,
        "GET",
        params={"username": username},
    )
    rows = verify_rest_response(response, LIST_USER_PERMISSIONS).json()["permissions"]
    return {
        (row["resource_type"], row["resource_pattern"]): row["permission"]
        for row in rows
        if row["role_name"].startswith("__user_")
    }


def converge_grants(auth, settings, wanted_by_user):
    for username, wanted in wanted_by_user.items():
        current = direct_grants(settings, username)
        for (resource_type, resource_id), permission in wanted.items():
            held = current.get((resource_type, resource_id))
            if held == permission:
                continue
            if held is not None:
                auth.revoke_user_permission(username, resource_type, resource_id)
            if permission is not None:
                auth.grant_user_permission(username, resource_type, resource_id, permission)
            log(
                f"grant {username} on {resource_type} {resource_id}: {held or 'none'} -> {permission or 'none'}"
            )
        log(f"grants of '{username}': " + ", ".join(f"{t} {i} {p}" for (t, i), p in wanted.items() if p))


def digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def ensure_webhook(client, settings):
    """One active webhook to inference-api's receiver, named as registry-admin names the model's
    webhooks (`registry-admin-<model digest>-<url digest>`), so registry-admin lists it as the model's."""
    name = f"registry-admin-{digest(settings.model_name)}-{digest(settings.webhook_url)}"
    description = f"alias events of registered model '{settings.model_name}' for inference-api, registered by mlflow-init"
    existing = []
    page_token = None
    while True:
        page = client.list_webhooks(max_results=100, page_token=page_token)
        existing.extend(webhook for webhook in page if webhook.url == settings.webhook_url)
        page_token = page.token
        if not page_token:
            break
    if not existing:
        webhook = client.create_webhook(
            name=name,
            url=settings.webhook_url,
            events=WEBHOOK_EVENTS,
            description=description,
            secret=settings.webhook_secret,
            status="ACTIVE",
        )
        log(f"webhook {webhook.webhook_id} -> {settings.webhook_url}: created")
        return
    for webhook in existing:
        # MLflow never returns a webhook's secret, so it is set again rather than compared.
        client.update_webhook(
            webhook.webhook_id,
            name=name,
            description=description,
            events=WEBHOOK_EVENTS,
            secret=settings.webhook_secret,
            status="ACTIVE",
        )
        log(f"webhook {webhook.webhook_id} -> {settings.webhook_url}: exists, events and secret set")


class NotAnAdmin(Exception):
    """The credentials given are not an MLflow admin's."""


def run(settings):
    from mlflow import MlflowClient

    with warnings.catch_warnings():
        # MLflow 3.17's server package imports a Starlette module Starlette deprecates; unused here.
        warnings.simplefilter("ignore", DeprecationWarning)
        from mlflow.server.auth.client import AuthServiceClient

    wait_for_mlflow(settings)
    auth = AuthServiceClient(settings.tracking_uri)
    if not auth.get_user(settings.admin_username).is_admin:
        raise NotAnAdmin(f"MLFLOW_TRACKING_USERNAME '{settings.admin_username}' is not an MLflow admin")
    client = MlflowClient(settings.tracking_uri)
    experiment_id = ensure_experiment(client, settings.experiment_name)
    audit_experiment_id = ensure_experiment(client, settings.audit_experiment_name)
    ensure_registered_model(client, settings.model_name)
    for user in settings.users:
        ensure_user(auth, user)
    converge_grants(auth, settings, plan(settings, experiment_id, audit_experiment_id))
    ensure_webhook(client, settings)
    log("done")


def main():
    try:
        settings = read_settings(os.environ)
    except SettingError as error:
        print(f"mlflow-init: invalid configuration: {error}", file=sys.stderr)
        return 2
    from mlflow.exceptions import MlflowException

    try:
        run(settings)
    except (MlflowException, MlflowUnavailable, NotAnAdmin) as error:
        print(f"mlflow-init: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
