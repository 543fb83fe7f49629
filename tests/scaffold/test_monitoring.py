"""Alerts and dashboards as code: each combination's rules load in Prometheus's own checker,
pass their unit tests (`promtool test rules`), name only metrics of the project, and its
dashboard is Grafana JSON; the Kubernetes option renders a ServiceMonitor that selects the
Service's pods. (The generated projects' own tests check that the running service serves every
metric named here: tests/scaffold/test_generated.py runs them.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.scaffold._env import TEST_BIN, run, tool_env
from tests.scaffold.conftest import COMBOS, Render


def promtool() -> Path:
    found = shutil.which("promtool", path=str(TEST_BIN)) or shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is not installed (Debian: apt-get install prometheus)", pytrace=False)
    return Path(found)


@pytest.mark.parametrize("combo", ["default", "fastapi", "fastapi-k8s-gitlab"])
def test_rules_load_and_pass_their_unit_tests(rendered: Render, combo: str, tmp_path: Path) -> None:
    monitoring = rendered(combo) / "deploy" / "monitoring"
    env = tool_env(tmp_path / "home")
    checked = run([promtool(), "check", "rules", "alerts.yaml"], cwd=monitoring, env=env)
    assert "SUCCESS" in checked.stdout + checked.stderr
    tested = run([promtool(), "test", "rules", "alerts.test.yaml"], cwd=monitoring, env=env)
    assert "SUCCESS" in tested.stdout + tested.stderr
    rules = yaml.safe_load((monitoring / "alerts.yaml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    service = {
        "ServiceDown", "NoModelLoaded", "HighErrorRate", "HighLatency", "HighMemory",
        "InputDrift", "PredictionShift",
    }  # fmt: skip
    fastapi = COMBOS[combo].get("service") == "fastapi"
    assert alerts == ({"BatchJobFailed"} | (service if fastapi else set()))
    # Every alert has a test that makes it fire.
    tests = yaml.safe_load((monitoring / "alerts.test.yaml").read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert fired == alerts


def test_the_unit_tests_catch_a_broken_rule(rendered: Render, tmp_path: Path) -> None:
    monitoring = tmp_path / "monitoring"
    shutil.copytree(rendered("fastapi") / "deploy" / "monitoring", monitoring)
    rules = monitoring / "alerts.yaml"
    rules.write_text(rules.read_text().replace("> 0.05", "> 0.5"))  # a threshold mistyped
    done = run(
        [promtool(), "test", "rules", "alerts.test.yaml"],
        cwd=monitoring,
        env=tool_env(tmp_path / "home"),
        check=False,
    )
    assert done.returncode == 1
    assert "alertname: HighErrorRate" in done.stdout + done.stderr


@pytest.mark.parametrize("combo", ["default", "fastapi-k8s-gitlab"])
def test_the_dashboard_is_grafana_json(rendered: Render, combo: str) -> None:
    project = rendered(combo)
    dashboard = json.loads((project / "deploy" / "monitoring" / "dashboard.json").read_text())
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    assert any(f"{package}_job_success" in e for e in exprs)
    if COMBOS[combo].get("service") == "fastapi":
        assert any("http_request_duration_seconds_bucket" in e for e in exprs)
        assert any(f"{package}:feature_psi:1h" in e for e in exprs)
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}"


def test_kubernetes_renders_a_service_monitor_for_the_service(
    rendered: Render, tmp_path: Path
) -> None:
    project = rendered("fastapi-k8s-gitlab")
    ref = "ghcr.io/owner/repo@sha256:" + "ab" * 32
    env = tool_env(tmp_path / "home")
    for overlay in ("staging", "prod"):
        done = run(["sh", "deploy/k8s/render.sh", overlay, ref], cwd=project, env=env)
        documents = {d["kind"]: d for d in yaml.safe_load_all(done.stdout) if d}
        monitor, service = documents["ServiceMonitor"], documents["Service"]
        assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert selector.items() <= service["metadata"]["labels"].items()
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["path"] == "/metrics"
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
        # The job label a ServiceMonitor gives is the Service's name: the rules select on it.
        rules = (project / "deploy" / "monitoring" / "alerts.yaml").read_text()
        assert f'job="{service["metadata"]["name"]}"' in rules
