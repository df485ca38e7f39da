"""Validates the deploy files against the code they deploy (run by scripts/deploy-check.sh; there is no container
engine on the test machines, so this checks everything that can be checked without one):

- every YAML and JSON file parses;
- every `brokerhub` command line (compose services, systemd ExecStart, the Dockerfile's CMD) names a real
  subcommand and only options its `--help` lists;
- every ${VARIABLE} the compose file and the units use is in .env.example, every BROKERHUB_* variable there is read
  by the code and documented in docs/configuration.md;
- every metric the Prometheus rules and the Grafana dashboard query is one the code exports;
- the systemd units restart, run as a non-root user with hardening, and the Dockerfile is multi-stage, non-root,
  with the Swift standard library linked in.
"""
from __future__ import annotations

import configparser
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent
ROOT = DEPLOY.parent
BINARY = os.environ.get("BROKERHUB_BIN", str(ROOT / ".build" / "debug" / "brokerhub"))
failures: list[str] = []


def fail(message: str) -> None:
    failures.append(message)


def sources() -> str:
    return "\n".join(p.read_text(errors="replace") for p in (ROOT / "Sources").rglob("*.swift"))


_help_cache: dict[str, str] = {}


def options_of(subcommand: str) -> set[str] | None:
    if subcommand not in _help_cache:
        run = subprocess.run([BINARY, subcommand, "--help"], capture_output=True, text=True, timeout=60)
        _help_cache[subcommand] = run.stdout if run.returncode == 0 else ""
    text = _help_cache[subcommand]
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", text)) if text else None


def check_command(where: str, arguments: list[str]) -> None:
    if not arguments:
        fail(f"{where}: empty command")
        return
    if arguments[0].endswith("brokerhub"):
        arguments = arguments[1:]
    subcommand = arguments[0]
    known = options_of(subcommand)
    if known is None:
        fail(f"{where}: `brokerhub {subcommand}` is not a subcommand")
        return
    for argument in arguments[1:]:
        if argument.startswith("--"):
            name = argument.split("=", 1)[0]
            if name not in known:
                fail(f"{where}: `brokerhub {subcommand}` has no option {name}")


def variables_in(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))


def main() -> int:
    code = sources()
    env_example = (DEPLOY / ".env.example").read_text()
    env_names = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", env_example, re.M))
    documentation = (ROOT / "docs" / "configuration.md").read_text()

    # YAML and JSON parse.
    documents = {}
    for path in sorted(DEPLOY.rglob("*.yml")):
        try:
            documents[path.relative_to(DEPLOY).as_posix()] = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            fail(f"{path.name}: not YAML: {error}")
    try:
        dashboard = json.loads((DEPLOY / "grafana" / "brokerhub-dashboard.json").read_text())
    except ValueError as error:
        fail(f"brokerhub-dashboard.json: not JSON: {error}")
        dashboard = {}

    # Compose: commands, variables, the pieces the issue names.
    compose = documents.get("docker-compose.yml") or {}
    services = compose.get("services", {})
    for required in ("hub", "collector", "archiver", "alerts", "snapshot", "redis", "postgres"):
        if required not in services:
            fail(f"docker-compose.yml: no {required} service")
    for name, service in services.items():
        if service.get("image", "").startswith("brokerhub") or "build" in service:
            command = service.get("command")
            if not isinstance(command, list):
                fail(f"docker-compose.yml: {name}: command must be a list")
                continue
            expanded = [re.sub(r"\$\{[^}]*\}", "VALUE", part) for part in command]
            check_command(f"docker-compose.yml {name}", expanded)
            if service.get("env_file") != ".env":
                fail(f"docker-compose.yml: {name}: env_file .env expected (secrets from the environment)")
            for argument in command:
                if "--webhook" == argument.split("=")[0] or re.search(r"appsecret|secretkey", argument, re.I):
                    fail(f"docker-compose.yml: {name}: a secret on the command line ({argument})")
    redis_command = " ".join(services.get("redis", {}).get("command", []))
    if "--appendonly yes" not in redis_command:
        fail("docker-compose.yml: Redis without the append-only file")
    compose_text = (DEPLOY / "docker-compose.yml").read_text()
    for variable in variables_in(compose_text):
        if variable not in env_names:
            fail(f"docker-compose.yml uses ${{{variable}}}, which .env.example does not name")

    # systemd units.
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read_string(path.read_text())
        for section in ("Unit", "Service", "Install"):
            if section not in parser:
                fail(f"{path.name}: no [{section}]")
        service = parser["Service"] if "Service" in parser else {}
        for key, expected in (("Restart", None), ("User", None), ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict")):
            if key not in service or (expected and service[key] != expected):
                fail(f"{path.name}: {key}={expected or '…'} expected")
        if service.get("User") == "root":
            fail(f"{path.name}: runs as root")
        exec_start = service.get("ExecStart", "")
        if not exec_start.startswith("/"):
            fail(f"{path.name}: ExecStart must be an absolute path")
        check_command(path.name, [re.sub(r"\$\{[^}]*\}", "VALUE", part) for part in shlex.split(exec_start)])
        for variable in variables_in(exec_start):
            if variable not in env_names:
                fail(f"{path.name} uses ${{{variable}}}, which .env.example does not name")

    # Dockerfile.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    if len(re.findall(r"^FROM ", dockerfile, re.M)) < 2:
        fail("Dockerfile: not multi-stage")
    if "--static-swift-stdlib" not in dockerfile:
        fail("Dockerfile: the Swift standard library is not linked in")
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    if not users or users[-1].split(":")[0] in ("root", "0"):
        fail("Dockerfile: the image runs as root")
    cmd = re.search(r"^CMD (\[.*\])", dockerfile, re.M)
    if cmd:
        check_command("Dockerfile CMD", json.loads(cmd.group(1)))
    else:
        fail("Dockerfile: no CMD")

    # .env.example: every BROKERHUB_* variable read by the code and documented.
    for name in sorted(n for n in env_names if n.startswith("BROKERHUB_")):
        key = name[len("BROKERHUB_"):].lower()
        account_key = re.sub(r"^(kis|kiwoom)_", "", key)
        read = any(f'"{candidate}"' in code for candidate in (name, key, account_key))
        if not read:
            fail(f".env.example names {name}, which the code does not read")
        documented = re.search(r"\b" + name + r"\b", documentation) or f"`_{name[len('BROKERHUB_'):]}`" in documentation
        if not documented:
            fail(f".env.example names {name}, which docs/configuration.md does not document")

    # Metrics queried by the rules and the dashboard exist.
    exported = set(re.findall(r'"(brokerhub_[a-z0-9_]+)"', code))
    expressions = []
    for group in (documents.get("prometheus/alerts.yml") or {}).get("groups", []):
        expressions += [rule.get("expr", "") for rule in group.get("rules", [])]
    for panel in dashboard.get("panels", []):
        expressions += [target.get("expr", "") for target in panel.get("targets", [])]
    if not expressions:
        fail("no Prometheus rule or dashboard query found")
    for expression in expressions:
        for metric in re.findall(r"\b(brokerhub_[a-z0-9_]+)", expression):
            base = re.sub(r"_(bucket|sum|count)$", "", metric)
            if metric not in exported and base not in exported:
                fail(f"the metric {metric} (in `{expression}`) is not one the code exports")
    scrape = documents.get("prometheus/prometheus.yml") or {}
    jobs = {job.get("job_name") for job in scrape.get("scrape_configs", [])}
    for job in ("brokerhub-hub", "brokerhub-collector", "brokerhub-archiver", "brokerhub-alerts", "brokerhub-snapshot"):
        if job not in jobs:
            fail(f"prometheus.yml: no {job} job")

    checked = len(documents) + 2 + len(list((DEPLOY / "systemd").glob("*.service")))
    if failures:
        for message in failures:
            print(f"deploy-check: FAIL {message}")
        return 1
    print(f"deploy-check: {checked} files valid; {len(_help_cache)} subcommands' options, "
          f"{len(env_names)} variables and {len(expressions)} metric queries checked against the code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
