"""Static checks of what we cannot run here (no Docker engine): manifests, compose file, images."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("catalog", "enrollment", "projects", "funding", "trainers", "webhooks")


def render(overlay: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is on the machine image; the manifests are rendered with `kubectl kustomize`"
    out = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy/k8s/overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_manifests_render_and_validate_against_the_kubernetes_schemas(overlay):
    docs = render(overlay)
    for doc in docs:
        kubernetes_validate.validate(doc, "1.32", strict=True)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for name in SERVICES:
        assert ("Deployment", f"campus-{name}") in kinds
        assert ("Service", f"campus-{name}") in kinds
        assert ("PodDisruptionBudget", f"campus-{name}") in kinds
    assert ("StatefulSet", "campus-nats") in kinds


def test_production_deployments_have_probes_resources_replicas_and_no_root():
    docs = render("production")
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert len(deployments) == len(SERVICES)
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        container = spec["containers"][0]
        assert d["spec"]["replicas"] >= 2
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert not any("value" in e and "DATABASE_URL" in e["name"] for e in container["env"]), (
            "secrets inline"
        )
    nats = next(d for d in docs if d["kind"] == "StatefulSet")
    assert nats["spec"]["replicas"] == 3


@pytest.mark.parametrize("name", SERVICES)
def test_each_image_is_multi_stage_non_root_with_a_health_check(name):
    dockerfile = (ROOT / "services" / name / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2, "multi-stage"
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*", dockerfile, re.M)
    assert f"campus_{name}" in dockerfile


@pytest.mark.parametrize("name", SERVICES)
def test_each_image_installs_the_pinned_versions(name):
    dockerfile = (ROOT / "services" / name / "Dockerfile").read_text()
    assert re.search(r"^COPY constraints\.txt ", dockerfile, re.M)
    installs = re.findall(r"pip install (?!--upgrade)(.*?/wheels/\*\.whl)", dockerfile)
    assert installs and all("--constraint constraints.txt" in i for i in installs), installs
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "constraints.txt" not in ignored


def test_compose_file_runs_every_service_with_its_database():
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    services = compose["services"]
    for name in SERVICES:
        assert services[name]["build"]["dockerfile"] == f"services/{name}/Dockerfile"
        assert f"CAMPUS_{name.upper()}_DATABASE_URL" in services[name]["environment"]
        assert (ROOT / "deploy" / "k8s").exists()
    init = (ROOT / "deploy/postgres-init.sql").read_text()
    assert all(f"campus_{n}" in init for n in SERVICES)


def test_nats_accounts_for_deployments_are_generated_and_accepted_by_nats_server(tmp_path):
    from campus_devstack.natsconf import (
        DEFAULT_MINISTRIES,
        all_users,
        deploy_accounts,
        password_variable,
    )
    from campus_devstack.natsconf import (
        SERVICES as NATS_USERS,
    )
    from campus_devstack.servers import nats_server_binary

    accounts = (ROOT / "deploy/nats/accounts.conf").read_text()
    assert accounts == deploy_accounts(DEFAULT_MINISTRIES), (
        "regenerate: python -m campus_devstack.natsconf deploy deploy/nats"
    )
    template = (ROOT / "deploy/nats/passwords.conf.template").read_text()
    users = all_users(sorted(DEFAULT_MINISTRIES))
    assert {*SERVICES, "webhooks"} <= set(NATS_USERS)
    for user in users:
        assert f"${password_variable(user)}" in accounts and f"{password_variable(user)}:" in template
    assert 'password: "' not in accounts, "no password in the non-secret part"
    for code in DEFAULT_MINISTRIES:
        assert (
            f'"$JS.API.CONSUMER.CREATE.*.*.campus.*.{code}.>", accounts: ["MINISTRY_{code.upper()}"]'
            in accounts
        )

    # The StatefulSet's config, with the Secret's two files, is a valid nats-server configuration.
    nats = next(
        d for d in render("production") if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "campus-nats"
    )
    assert "include ./auth/accounts.conf" in nats["data"]["nats.conf"]
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth/accounts.conf").write_text(accounts)
    bcrypt = "$2a$11$abcdefghijklmnopqrstuuJ3zJ6ipF3u4oqDbq5WbIr8gSe2/8G7e"
    (tmp_path / "auth/passwords.conf").write_text(
        "".join(f'{password_variable(u)}: "{bcrypt}"\n' for u in users)
    )
    conf = nats["data"]["nats.conf"].replace("/data/jetstream", str(tmp_path / "js"))
    (tmp_path / "nats.conf").write_text(conf)
    checked = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(tmp_path / "nats.conf")],
        capture_output=True,
        text=True,
        env={"POD_NAME": "campus-nats-0", "PATH": "/usr/bin:/bin"},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (tmp_path / "auth/passwords.conf").write_text("")  # a password missing: refused
    assert subprocess.run(
        [nats_server_binary(), "-t", "-c", str(tmp_path / "nats.conf")], capture_output=True
    ).returncode
