#!/usr/bin/env bash
# Checks the Helm chart (charts/probity) and the Dockerfile without a cluster,
# a helm binary or a Docker engine:
#   1. helm lint --strict (Helm's Go library, through PyPI helm-python-sdk)
#      of the value sets below: the defaults, the nightly job with the
#      NetworkPolicy and egress on, the less-used switches flipped, a small
#      site (deploymentMode single), the Ingress and GRPCRoute on, the
#      metrics with their ServiceMonitor, alert rules and dashboard;
#   2. renders them, and the values files docs/deploy.md shows (marked
#      `<!-- check-chart: values NAME -->`), and checks what the chart
#      promises (one Deployment/Service/PDB per target or one `all`,
#      --no-migrate, gRPC probes, drain time, security contexts, read-only
#      key mounts, the migration hook, the helm test Pod, the routes, the
#      metrics port, ServiceMonitor, PrometheusRule and dashboard, whose
#      queries name only metrics the code exports); that
#      the NetworkPolicy admits every caller -> callee pair of the suite and
#      refuses strangers (scripts/chart_netpol.py, whose list of pairs must
#      match the code's); that values.schema.json describes every value and
#      refuses bad ones; that the Dockerfile's base images are pinned;
#   3. validates every rendered manifest with kubernetes-validate --strict
#      against the chart's lowest Kubernetes (Chart.yaml kubeVersion) and the
#      newest one it knows;
#   4. runs checkov on the default, all-targets and exposed manifests and on
#      the Dockerfile; any failed check fails the script, except the ones
#      skipped below, each with its reason.
# Tools go into a virtualenv (PROBITY_CHART_VENV, default
# /var/tmp/probity-chart-venv), installed there on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${PROBITY_CHART_VENV:-/var/tmp/probity-chart-venv}
CHART=charts/probity
KUBE_VERSIONS=(1.30.0 1.37.0)
PINS=(helm-python-sdk==0.2.2 kubernetes-validate==1.37.0 checkov==3.3.30)

# Checkov checks skipped, and why. Skips apply to the render named; a check
# skipped for the defaults is still run on the all-targets render where the
# values meet it.
SKIP_ALWAYS=(
  # The database URL reaches probity as an environment variable
  # (PROBITY__DATABASE__URL from a secretKeyRef). The service now reads
  # database.url_file too; mounting the URL as a file is a follow-up (the
  # per-target URLs have no file setting yet). The keys are mounted as files.
  CKV_K8S_35
  # Images are addressed by digest (image.digest) or by an immutable release
  # tag, so IfNotPresent cannot run stale code, and pods can still start
  # while the registry is unreachable.
  CKV_K8S_15
)
SKIP_DEFAULT_ONLY=(
  # Digest pinning: the default values use the appVersion tag because no
  # digest exists before the image is built; docs/deploy.md says to install
  # with image.digest. The all-targets render sets a digest and is checked.
  CKV_K8S_43
  # NetworkPolicy is opt-in (networkPolicy.enabled=false by default: it
  # needs the cluster's callers and database addresses). The all-targets
  # render turns it on and is checked.
  CKV2_K8S_6
)
SKIP_DOCKERFILE=(
  # No HEALTHCHECK: the distroless image has no shell or client to run one,
  # and Kubernetes ignores it; the kubelet probes grpc.health.v1 natively.
  CKV_DOCKER_2
)

join() { local IFS=,; echo "$*"; }

if ! "$VENV/bin/python" - "${PINS[@]}" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
PY
then
  echo "check-chart: installing ${PINS[*]} into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PINS[@]}"
fi

OUT=$(mktemp -d /tmp/probity-chart.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

echo "check-chart: lint and render $CHART (helm-python-sdk)"
"$VENV/bin/python" - "$CHART" "$OUT" <<'PY'
import copy, glob, json, os, re, sys

sys.path.insert(0, "scripts")
import chart_netpol

import helm_python as helm
import yaml

chart_dir, out = sys.argv[1], sys.argv[2]
NS = "probity"
print(f"  helm SDK {helm.helm_sdk_version()} (helm-c {helm.helm_c_version()})")

ALL_TARGETS = {
    "image": {"digest": "sha256:" + "0" * 64},
    "database": {"migrateExistingSecret": "probity-database-owner"},
    "targets": {"intake": {"replicas": 3}},
    "rankings": {"enabled": True},
    "networkPolicy": {
        "enabled": True,
        "ingressFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}}],
        "egress": {
            "enabled": True,
            "rules": [{"to": [{"ipBlock": {"cidr": "10.0.12.0/24"}}],
                       "ports": [{"protocol": "TCP", "port": 5432}]}],
        },
    },
    "telemetry": {"otlpEndpoint": "http://otel-collector.observability:4317"},
}
# The switches neither of the others flips.
ALTERNATIVES = {
    "fullnameOverride": "shangzhi",
    "image": {"tag": "1.2.3"},
    "targets": {"registry": {"database": {"existingSecret": "registry-db", "urlKey": "dsn"},
                             "auditKey": {"existingSecret": "registry-audit", "key": "registry-chain.key"}}},
    "serviceAccount": {"create": False, "name": "probity-existing"},
    "migration": {"enabled": False},
    "tests": {"enabled": False},
    "podDisruptionBudget": {"enabled": False},
    "service": {"headless": True},
    "lifecycle": {"preStopSleepSeconds": 0, "terminationGracePeriodSeconds": 40},
    "auth": {"publicKeys": ["issuer-2025.pem", "issuer-2026.pem"]},
    "extraEnv": {"PROBITY__REGISTRY__DEFAULT_MIN_QUALIFIED": 3},
    "topologySpread": [],
    "extraVolumes": [{"name": "db-ca", "secret": {"secretName": "probity-db-ca"}}],
    "extraVolumeMounts": [{"name": "db-ca", "mountPath": "/etc/probity/db-ca", "readOnly": True}],
}
# A small site: every service in the `all` Deployment, with the nightly job,
# the NetworkPolicy with egress, and a registry database of its own.
SMALL_SITE = {
    "deploymentMode": "single",
    "single": {"replicas": 1},
    "targets": {"registry": {"database": {"existingSecret": "registry-db"}}},
    "rankings": {"enabled": True, "sealAfterDays": 0},
    # one role owns the tables and serves: no separate owner URL
    "database": {"migrateUrlKey": ""},
    "networkPolicy": ALL_TARGETS["networkPolicy"],
}
# Departmental systems outside the cluster: the Ingress and the GRPCRoute.
EXPOSED = {
    "image": {"digest": "sha256:" + "0" * 64},
    "ingress": {"enabled": True, "className": "nginx", "host": "probity.example.org",
                "annotations": {"nginx.ingress.kubernetes.io/backend-protocol": "GRPC"},
                "tls": {"secretName": "probity-tls"}, "targets": ["intake", "rankings"]},
    "grpcRoute": {"enabled": True, "parentRefs": [{"name": "edge", "namespace": "gateway", "sectionName": "https"}],
                  "hostnames": ["probity.example.org"]},
    # the ingress controller and the Gateway run in namespace "gateway"
    "networkPolicy": {"enabled": True, "ingressFrom": ALL_TARGETS["networkPolicy"]["ingressFrom"]},
}
# TLS between services from an existing Secret (mutual TLS), split and single,
# with the nightly job and the NetworkPolicy.
PEER_TLS = dict(ALL_TARGETS, peerTls={"enabled": True, "existingSecret": "probity-peer-tls"},
                server={"publicRateLimit": {"trustedProxies": ["10.0.0.0/8"]}})
# Prometheus: /metrics on every pod, scraped from namespace "monitoring" only,
# with the ServiceMonitor, the alert rules and the dashboard.
MONITORED = {
    "image": {"digest": "sha256:" + "0" * 64},
    "metrics": {
        "enabled": True,
        "scrapeFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": True},
        "dashboard": {"enabled": True, "annotations": {"grafana_folder": "Probity"}},
    },
    "networkPolicy": {"enabled": True, "ingressFrom": ALL_TARGETS["networkPolicy"]["ingressFrom"]},
}
SETS = {"default": {}, "all-targets": ALL_TARGETS, "alternatives": ALTERNATIVES, "small-site": SMALL_SITE,
        "exposed": EXPOSED, "exposed-single": dict(EXPOSED, deploymentMode="single"),
        "peer-tls": PEER_TLS, "peer-tls-single": dict(PEER_TLS, deploymentMode="single"),
        "monitored": MONITORED, "monitored-single": dict(MONITORED, deploymentMode="single")}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def render(values):
    with helm.Chart.load(chart_dir) as chart:
        merged = chart.merge_values(values)
        rendered = chart.render(values, name="probity", namespace=NS, is_install=True)
    docs = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append(doc)
    return merged, rendered, docs


def pod_spec(doc):
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def check_pod(name, spec, v):
    check(spec.get("automountServiceAccountToken") is False, f"{name}: automountServiceAccountToken false")
    psc = spec.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001, f"{name}: pod runs as 10001, non-root")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: pod seccomp RuntimeDefault")
    vols = {x["name"]: x for x in spec.get("volumes", [])}
    check("emptyDir" in vols.get("tmp", {}), f"{name}: /tmp is an emptyDir")
    for c in spec["containers"]:
        sc = c.get("securityContext", {})
        check(sc.get("readOnlyRootFilesystem") is True, f"{name}: read-only root filesystem")
        check(sc.get("allowPrivilegeEscalation") is False, f"{name}: no privilege escalation")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}: drops ALL capabilities")
        check(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: seccomp RuntimeDefault")
        check(c.get("resources", {}).get("requests") and c["resources"].get("limits"), f"{name}: requests and limits")
        digest, tag = v["image"]["digest"], v["image"]["tag"] or "0.1.0"
        want = f"{v['image']['repository']}@{digest}" if digest else f"{v['image']['repository']}:{tag}"
        check(c["image"] == want, f"{name}: image {c['image']} is {want}")
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
        check("/tmp" in mounts, f"{name}: /tmp mounted")
        for path, m in mounts.items():
            if path.startswith("/etc/probity/"):
                check(m.get("readOnly") is True, f"{name}: {path} mounted read-only")
            if path in ("/etc/probity/audit", "/etc/probity/issuer", "/etc/probity/national-id"):
                vol = vols[m["name"]]
                check("secret" in vol and vol["secret"].get("items"), f"{name}: {path} names its Secret items")
        env = {e["name"]: e for e in c.get("env", [])}
        if "PROBITY__DATABASE__URL" in env:
            check("secretKeyRef" in env["PROBITY__DATABASE__URL"].get("valueFrom", {}),
                  f"{name}: database URL from a Secret")
        # The owner's URL (DDL, TRUNCATE, triggers) reaches the migration hook only.
        migrate_env = env.get("PROBITY__DATABASE__MIGRATE_URL")
        if not name.endswith("migration Job"):
            check(migrate_env is None, f"{name}: no owner database URL outside the migration hook")
        elif v["database"]["migrateUrlKey"]:
            ref = (migrate_env or {}).get("valueFrom", {}).get("secretKeyRef", {})
            owner = v["database"]["migrateExistingSecret"] or v["database"]["existingSecret"]
            check(ref.get("key") == v["database"]["migrateUrlKey"] and ref.get("name") == owner,
                  f"{name}: the owner's URL from its Secret")
        else:
            check(migrate_env is None, f"{name}: no owner URL when database.migrateUrlKey is empty")


def check_set(label, v, docs):
    by_kind = {}
    for d in docs:
        check(d["metadata"].get("namespace") == NS, f"{label}: {d['kind']}/{d['metadata']['name']} has the release namespace")
        labels = d["metadata"].get("labels", {})
        for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                  "app.kubernetes.io/managed-by", "helm.sh/chart"):
            check(k in labels, f"{label}: {d['kind']}/{d['metadata']['name']} has label {k}")
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    prefix = v.get("fullnameOverride") or "probity"
    single = v["deploymentMode"] == "single"
    tls = v["peerTls"]["enabled"]
    workloads = {"all": v["single"]} if single else v["targets"]
    enabled = sorted(workloads)
    grace_s = -(-int(v["server"]["shutdownGraceMs"]) // 1000)
    for name in enabled:
        t = workloads[name]
        res = f"{prefix}-{name}"
        dep = by_kind.get("Deployment", {}).get(res)
        check(dep is not None, f"{label}: Deployment {res}")
        check(res in by_kind.get("Service", {}), f"{label}: Service {res}")
        if v["podDisruptionBudget"]["enabled"]:
            check(res in by_kind.get("PodDisruptionBudget", {}), f"{label}: PodDisruptionBudget {res}")
        if not dep:
            continue
        check(dep["spec"]["replicas"] == t["replicas"], f"{label}: {res} has {t['replicas']} replicas")
        spec = pod_spec(dep)
        check_pod(f"{label}: {res}", spec, v)
        c = spec["containers"][0]
        check(c["args"] == ["serve", "--target", name, "--no-migrate"], f"{label}: {res} args {c['args']}")
        # with TLS on the gRPC port the kubelet asks the plaintext health-only port
        probe_port = v["peerTls"]["healthPort"] if tls else v["server"]["port"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            check(c.get(probe, {}).get("grpc", {}).get("port") == probe_port, f"{label}: {res} {probe} is gRPC")
        check(("/etc/probity/tls" in {m["mountPath"] for m in c["volumeMounts"]}) == tls,
              f"{label}: {res} TLS certificate mounted only with peerTls")
        pre = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        check(pre == v["lifecycle"]["preStopSleepSeconds"], f"{label}: {res} preStop sleep {pre}")
        check(spec["terminationGracePeriodSeconds"] > pre + grace_s,
              f"{label}: {res} terminationGracePeriodSeconds {spec['terminationGracePeriodSeconds']} > {pre}+{grace_s}")
        mounts = {m["mountPath"] for m in c["volumeMounts"]}
        check(("/etc/probity/db-ca" in mounts) == bool(v["extraVolumeMounts"]), f"{label}: {res} extra mounts")
        own_db = {e["name"] for e in c["env"]} - {"PROBITY__DATABASE__URL"}
        want_db = {f"PROBITY__DATABASE__{n.upper()}_URL" for n, x in v["targets"].items()
                   if (single or n == name) and x["database"]["existingSecret"]}
        check(own_db == want_db, f"{label}: {res} gets the own databases of the services it runs ({own_db})")
        check(("/etc/probity/national-id" in mounts) == (name in ("registry", "all") or bool(t.get("nationalIdKey"))),
              f"{label}: {res} national-ID key mounted only where needed")
        check("/etc/probity/audit" in mounts and "/etc/probity/issuer" in mounts, f"{label}: {res} audit and issuer keys")
        check(("/etc/probity/service-token" in mounts) == (name in ("intake", "accountability", "rankings", "draws", "all")),
              f"{label}: {res} service token mounted only where a service calls another")
        # Issue 19: each pod mounts only its own identity's token, its own
        # chain's audit key, and the shared database URL only if a service
        # it runs has no database of its own.
        vols = {x["name"]: x for x in spec["volumes"]}
        keys = v["serviceTokens"]["keys"]
        want_tokens = {keys[n] for n in (["intake", "accountability", "rankings", "draws"] if single else [name])
                       if n in keys and (single or n in ("intake", "accountability", "rankings", "draws"))}
        got_tokens = {i["key"] for i in vols.get("service-token", {}).get("secret", {}).get("items", [])}
        check(got_tokens == want_tokens, f"{label}: {res} mounts the tokens {sorted(got_tokens)}, only its own {sorted(want_tokens)}")
        own_audit = {} if single else (t.get("auditKey") or {})
        audit = vols.get("audit-key", {}).get("secret", {})
        if own_audit.get("existingSecret"):
            check(audit.get("secretName") == own_audit["existingSecret"]
                  and [i["key"] for i in audit.get("items", [])] == [own_audit.get("key") or "audit-chain.key"],
                  f"{label}: {res} mounts its own audit key ({audit})")
        else:
            check(audit.get("secretName") == v["keys"]["audit"]["existingSecret"], f"{label}: {res} the shared audit key")
        served_targets = list(v["targets"]) if single else [name]
        needs_shared = any(not v["targets"][n]["database"]["existingSecret"] for n in served_targets)
        check(("PROBITY__DATABASE__URL" in {e["name"] for e in c["env"]}) == needs_shared,
              f"{label}: {res} has the shared database URL only if it uses it")
    deployments = set(by_kind.get("Deployment", {}))
    check(deployments == {f"{prefix}-{n}" for n in enabled}, f"{label}: Deployments {sorted(deployments)} are deploymentMode's")
    cm = by_kind.get("ConfigMap", {}).get(f"{prefix}-config")
    check(cm is not None, f"{label}: ConfigMap")
    if cm:
        data = cm["data"]
        check(data.get("PROBITY__AUTH__DEV_KEYS") == "false", f"{label}: development keys off")
        check(data.get("PROBITY__SERVER__LISTEN") == f"0.0.0.0:{v['server']['port']}", f"{label}: listens on 0.0.0.0")
        check(all(isinstance(x, str) for x in data.values()), f"{label}: ConfigMap values are strings")
        check(not any("URL" in k and "DATABASE" in k for k in data), f"{label}: no database URL in the ConfigMap")
        scheme = "https" if tls else "http"

        def served(t):
            # the job reaches a service at the Service of the Deployment running it
            return f"{scheme}://{prefix}-{'all' if single else t}:{v['server']['port']}"

        # split services call their peers' Services; `all` calls itself inside
        # the pod (over TLS at its own address when its port serves TLS)
        inside = f"https://127.0.0.1:{v['server']['port']}" if tls else None
        endpoint = data.get("PROBITY__INTAKE__REGISTRY_ENDPOINT")
        check(endpoint == (inside if single else served("registry")),
              f"{label}: intake reaches the registry target's Service ({endpoint})")
        if tls:
            d = "/etc/probity/tls/"
            for k in ("PROBITY__SERVER__TLS__CERT_FILE", "PROBITY__SERVER__TLS__KEY_FILE",
                      "PROBITY__SERVER__TLS__CLIENT_CA_FILE", "PROBITY__PEER_TLS__CA_FILE",
                      "PROBITY__PEER_TLS__CERT_FILE", "PROBITY__PEER_TLS__KEY_FILE"):
                check(data.get(k, "").startswith(d), f"{label}: {k} from the mounted Secret")
            check(data.get("PROBITY__SERVER__HEALTH_LISTEN") == f"0.0.0.0:{v['peerTls']['healthPort']}",
                  f"{label}: the health-only port")
            check(data.get("PROBITY__PEER_TLS__DOMAIN") == (f"{prefix}-all" if single else None),
                  f"{label}: peers checked against their Service's name")
            check(all(not x.startswith("http://") for k, x in data.items() if k.endswith("_ENDPOINT") and "OTLP" not in k),
                  f"{label}: no plaintext peer endpoint with peerTls")
        else:
            check(not any(k.startswith(("PROBITY__PEER_TLS__", "PROBITY__SERVER__TLS__")) for k in data),
                  f"{label}: no TLS settings without peerTls")
        for setting, identity in (("INTAKE__REGISTRY_TOKEN_FILE", "intake"),
                                  ("INTAKE__DRAWS_TOKEN_FILE", "intake"),
                                  ("ACCOUNTABILITY__TOKEN_FILE", "accountability"),
                                  ("RANKINGS__TOKEN_FILE", "rankings"),
                                  ("DRAWS__TOKEN_FILE", "draws")):
            want = f"/etc/probity/service-token/{v['serviceTokens']['keys'][identity]}"
            check(data.get(f"PROBITY__{setting}") == want, f"{label}: {identity}'s own token file ({want})")
        drawn_at = data.get("PROBITY__INTAKE__DRAWS_ENDPOINT")
        check(drawn_at == (inside if single else served("draws")),
              f"{label}: intake reaches the draws target's Service ({drawn_at})")
        check(data.get("PROBITY__ACCOUNTABILITY__REGISTRY_ENDPOINT") == endpoint,
              f"{label}: accountability reaches the registry target's Service")
        check(data.get("PROBITY__DRAWS__REGISTRY_ENDPOINT") == endpoint,
              f"{label}: draws reaches the registry target's Service")
        check(data.get("PROBITY__DRAWS__TOKEN_FILE", "").startswith("/etc/probity/service-token/"),
              f"{label}: draws' service token file")
        for t in ("registry", "intake", "accountability", "rankings"):
            check(data.get(f"PROBITY__RANKINGS__{t.upper()}_ENDPOINT") == served(t),
                  f"{label}: the rankings job reaches the {t} target's Service")
        check(data.get("PROBITY__ACCOUNTABILITY__INTAKE_ENDPOINT") == (inside if single else served("intake")),
              f"{label}: accountability reaches the intake target's Service")
    for sa in by_kind.get("ServiceAccount", {}).values():
        check(sa.get("automountServiceAccountToken") is False, f"{label}: ServiceAccount {sa['metadata']['name']} mounts no token")
    jobs = by_kind.get("Job", {})
    if v["migration"]["enabled"]:
        job = jobs.get(f"{prefix}-migrate")
        check(job is not None, f"{label}: migration Job")
        if job:
            ann = job["metadata"]["annotations"]
            check(ann.get("helm.sh/hook") == "pre-install,pre-upgrade", f"{label}: migration Job is a pre-install/pre-upgrade hook")
            c = pod_spec(job)["containers"][0]
            check(c["args"] == ["migrate", "--target", "all"], f"{label}: migration args {c['args']}")
            check_pod(f"{label}: migration Job", pod_spec(job), v)
            sa = pod_spec(job)["serviceAccountName"]
            hook_sa = by_kind.get("ServiceAccount", {}).get(sa)
            check(not v["serviceAccount"]["create"] or (hook_sa and "helm.sh/hook" in hook_sa["metadata"].get("annotations", {})),
                  f"{label}: migration Job's ServiceAccount exists before the release's resources")
    else:
        check(not jobs, f"{label}: no migration Job when migration.enabled is false")
    cron = by_kind.get("CronJob", {})
    check(bool(cron) == bool(v["rankings"]["enabled"]), f"{label}: rankings CronJob only when rankings.enabled")
    for cj in cron.values():
        check(cj["spec"]["concurrencyPolicy"] == "Forbid", f"{label}: rankings runs one at a time")
        check_pod(f"{label}: rankings CronJob", pod_spec(cj), v)
        job_mounts = {m["mountPath"] for m in pod_spec(cj)["containers"][0]["volumeMounts"]}
        check({"/etc/probity/service-token", "/var/lib/probity/rankings"} <= job_mounts,
              f"{label}: the rankings job has its service token and an output directory")
        # Issue 19: the job reaches everything through the services, so a
        # compromised job pod holds no database URL and no key.
        check(not job_mounts & {"/etc/probity/audit", "/etc/probity/issuer", "/etc/probity/national-id"},
              f"{label}: the rankings job mounts no key ({sorted(job_mounts)})")
        job_env = {e["name"]: e for e in pod_spec(cj)["containers"][0].get("env", [])}
        check(not any("DATABASE" in k for k in job_env), f"{label}: the rankings job has no database URL")
        job_token = v["serviceTokens"]["keys"]["rankingsJob"]
        check(job_env.get("PROBITY__RANKINGS__TOKEN_FILE", {}).get("value") == f"/etc/probity/service-token/{job_token}",
              f"{label}: the rankings job presents its own token")
        job_vols = {x["name"]: x for x in pod_spec(cj)["volumes"]}
        check([i["key"] for i in job_vols["service-token"]["secret"]["items"]] == [job_token],
              f"{label}: the rankings job mounts its own token alone")
        check(cj["spec"]["jobTemplate"]["metadata"]["labels"].get("app.kubernetes.io/component") == "rankings-job",
              f"{label}: the job's pods are not the rankings target's")
        # The job works out its year: a fixed one goes stale on 1 January.
        job = pod_spec(cj)["containers"][0]
        check(job["args"][:2] == ["rankings", "run"] and "--year" not in job["args"],
              f"{label}: rankings args name no year")
        env = {e["name"]: e.get("value") for e in job.get("env", [])}
        check(env.get("PROBITY__RANKINGS__SEAL_AFTER_DAYS") == str(v["rankings"]["sealAfterDays"]),
              f"{label}: the job seals the last year after rankings.sealAfterDays")
        # Reports go to the rankings target: the job's volume is scratch.
        out_vol = [x for x in pod_spec(cj)["volumes"] if x["name"] == "rankings-output"]
        check(len(out_vol) == 1 and "emptyDir" in out_vol[0] and "persistentVolumeClaim" not in out_vol[0],
              f"{label}: the job's output is scratch (no ReadWriteOnce volume)")
    check(bool(by_kind.get("NetworkPolicy")) == bool(v["networkPolicy"]["enabled"]), f"{label}: NetworkPolicy only when enabled")
    tests = [p for p in by_kind.get("Pod", {}).values() if p["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
    check(len(tests) == (1 if v["tests"]["enabled"] else 0), f"{label}: one helm test Pod when tests.enabled")
    for t in tests:
        probed = []
        for c in t["spec"]["containers"]:
            img = v["tests"]["image"]
            check(c["image"] == f"{img['repository']}@{img['digest']}", f"{label}: helm test image pinned by digest ({c['image']})")
            check(c["securityContext"].get("readOnlyRootFilesystem") is True, f"{label}: helm test read-only root")
            probed += [a for a in c["args"] if a.startswith("-addr=")]
        check(sorted(probed) == sorted(f"-addr={prefix}-{n}:{v['server']['port']}" for n in enabled),
              f"{label}: helm test probes every Deployment's Service ({probed})")
        check(t["spec"].get("automountServiceAccountToken") is False, f"{label}: helm test mounts no token")
    check_exposure(label, v, by_kind, prefix, single)
    check_metrics(label, v, by_kind, prefix)
    return by_kind


def exported_metrics():
    """The Prometheus names of what the code exports: the RPC histogram
    (rpc.rs) and the gauges (ops.rs), dots to underscores, seconds suffixed."""
    src = "services/common/src/telemetry/"
    prom = lambda name, unit: name.replace(".", "_") + ("_seconds" if unit == "s" else "")
    names = {prom(n, u) for n, u in re.findall(r'"([a-z][a-z0-9_.]+)",\s*"([^"]*)",', open(src + "ops.rs").read())}
    for n, u in re.findall(r'f64_histogram\("([^"]+)"\)\s*\.with_unit\("([^"]*)"\)', open(src + "rpc.rs").read()):
        names |= {prom(n, u) + sfx for sfx in ("_bucket", "_count", "_sum")}
    return names


EXPORTED = exported_metrics()
check({"rpc_server_call_duration_seconds_count", "probity_accountability_outbox_pending",
       "probity_rankings_last_run_time_seconds"} <= EXPORTED, f"the code's metrics are found: {sorted(EXPORTED)}")


def queried(expr):
    """Metric names a PromQL expression selects (each written name{...})."""
    return set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", expr))


def check_metrics(label, v, by_kind, prefix):
    m = v["metrics"]
    on = m["enabled"]
    listen = by_kind.get("ConfigMap", {}).get(f"{prefix}-config", {}).get("data", {}).get("PROBITY__TELEMETRY__PROMETHEUS_LISTEN")
    check(listen == (f"0.0.0.0:{m['port']}" if on else None), f"{label}: telemetry.prometheus_listen is metrics.port ({listen})")
    for name, dep in by_kind.get("Deployment", {}).items():
        ports = {p["name"]: p["containerPort"] for p in pod_spec(dep)["containers"][0]["ports"]}
        check(ports.get("metrics") == (m["port"] if on else None), f"{label}: {name} container port metrics ({ports})")
    for name, svc in by_kind.get("Service", {}).items():
        ports = {p["name"]: p for p in svc["spec"]["ports"]}
        check(("metrics" in ports) == on, f"{label}: Service {name} port metrics only when metrics.enabled")
    sms = by_kind.get("ServiceMonitor", {})
    check(bool(sms) == m["serviceMonitor"]["enabled"], f"{label}: ServiceMonitor only when metrics.serviceMonitor.enabled")
    for sm in sms.values():
        sel = sm["spec"]["selector"]["matchLabels"]
        picked = {n for n, svc in by_kind.get("Service", {}).items()
                  if all(svc["metadata"]["labels"].get(k) == x for k, x in sel.items())}
        check(picked == set(by_kind.get("Service", {})), f"{label}: the ServiceMonitor selects every Service ({sorted(picked)})")
        check([(e["port"], e["path"]) for e in sm["spec"]["endpoints"]] == [("metrics", "/metrics")],
              f"{label}: the ServiceMonitor scrapes port metrics at /metrics")
        check(all(sm["metadata"]["labels"].get(k) == x for k, x in m["serviceMonitor"]["labels"].items()),
              f"{label}: the ServiceMonitor carries metrics.serviceMonitor.labels")
    rules = by_kind.get("PrometheusRule", {})
    check(bool(rules) == m["prometheusRule"]["enabled"], f"{label}: PrometheusRule only when metrics.prometheusRule.enabled")
    for pr in rules.values():
        alerts = {r["alert"]: r for g in pr["spec"]["groups"] for r in g["rules"]}
        check({"ProbityOutboxGrowing", "ProbityRankingsJobNotSucceeded", "ProbityServerErrors"} <= set(alerts),
              f"{label}: the alerts ({sorted(alerts)})")
        for name, r in alerts.items():
            used = queried(r["expr"])
            check(used and used <= EXPORTED, f"{label}: alert {name} queries exported metrics only ({sorted(used - EXPORTED)})")
        hours = m["prometheusRule"]["jobMaxAgeHours"]
        check(f"> {hours * 3600}" in alerts.get("ProbityRankingsJobNotSucceeded", {}).get("expr", ""),
              f"{label}: the job alert waits {hours} hours")
    boards = [c for n, c in by_kind.get("ConfigMap", {}).items() if n == f"{prefix}-dashboard"]
    check(bool(boards) == m["dashboard"]["enabled"], f"{label}: dashboard ConfigMap only when metrics.dashboard.enabled")
    for cm in boards:
        check(cm["metadata"]["labels"].get("grafana_dashboard") == "1", f"{label}: the dashboard has the sidecar label")
        board = json.loads(cm["data"]["probity.json"])
        exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
        check(len(exprs) >= 8, f"{label}: the dashboard's panels ({len(exprs)} queries)")
        for e in exprs:
            used = queried(e)
            check(used and used <= EXPORTED, f"{label}: dashboard query {e} names exported metrics only")


GRPC_SERVICES = {
    "registry": ["probity.registry.v1.RegistryService", "probity.registry.v1.PublicRegistryService"],
    "intake": ["probity.intake.v1.IntakeService"],
    "accountability": ["probity.accountability.v1.AccountabilityService"],
    "rankings": ["probity.rankings.v1.RankingsService"],
    "draws": ["probity.draws.v1.DrawsService", "probity.draws.v1.PublicDrawsService"],
}


def proto_services():
    """service -> package.Service from proto/probity/*/v1/*.proto."""
    found = {}
    for path in sorted(glob.glob("proto/probity/*/v1/*.proto")):
        text = open(path).read()
        pkg = re.search(r"^package ([\w.]+);", text, re.M).group(1)
        for svc in re.findall(r"^service (\w+)", text, re.M):
            found[f"{pkg}.{svc}"] = pkg.split(".")[1]
    return found


def check_exposure(label, v, by_kind, prefix, single):
    """Ingress and GRPCRoute: TLS, and each exposed target's gRPC services
    routed to the Service running them (and nothing else routed)."""
    backend = lambda t: f"{prefix}-{'all' if single else t}"
    ing = by_kind.get("Ingress", {})
    check(bool(ing) == v["ingress"]["enabled"], f"{label}: Ingress only when ingress.enabled")
    for i in ing.values():
        host = v["ingress"]["host"]
        check(i["spec"].get("tls") == [{"hosts": [host], "secretName": v["ingress"]["tls"]["secretName"]}],
              f"{label}: Ingress terminates TLS for {host}")
        routes = {(p["path"], p["backend"]["service"]["name"], p["backend"]["service"]["port"].get("name"))
                  for r in i["spec"]["rules"] for p in r["http"]["paths"]}
        check(all(r["host"] == host for r in i["spec"]["rules"]), f"{label}: Ingress rules only for {host}")
        want = {(f"/{s}", backend(t), "grpc") for t in v["ingress"]["targets"] for s in GRPC_SERVICES[t]}
        check(routes == want, f"{label}: Ingress routes {sorted(routes)}")
    gr = by_kind.get("GRPCRoute", {})
    check(bool(gr) == v["grpcRoute"]["enabled"], f"{label}: GRPCRoute only when grpcRoute.enabled")
    for g in gr.values():
        check(g["spec"]["parentRefs"] == v["grpcRoute"]["parentRefs"], f"{label}: GRPCRoute attaches to the Gateway")
        routes = {(m["method"]["service"], b["name"], b["port"]) for r in g["spec"]["rules"]
                  for m in r["matches"] for b in r["backendRefs"]}
        want = {(s, backend(t), v["server"]["port"]) for t in v["grpcRoute"]["targets"] for s in GRPC_SERVICES[t]}
        check(routes == want, f"{label}: GRPCRoute routes {sorted(routes)}")
        check(all(m["method"]["type"] == "Exact" for r in g["spec"]["rules"] for m in r["matches"]),
              f"{label}: GRPCRoute matches whole service names")
    services = {d["metadata"]["name"] for d in by_kind.get("Service", {}).values()}
    check(all(b in services for b in {backend(t) for t in GRPC_SERVICES}), f"{label}: route backends are the release's Services")


NAMESPACES = {n: {"kubernetes.io/metadata.name": n} for n in (NS, "gateway", "elsewhere", "monitoring")}


def check_policy(label, docs, v):
    """Every caller -> callee pair of the suite admitted by the rendered
    NetworkPolicy; callers outside admitted exactly as ingressFrom says."""
    prefix = v.get("fullnameOverride") or "probity"
    external = []
    if v["networkPolicy"]["enabled"] and v["networkPolicy"]["ingressFrom"]:
        single = v["deploymentMode"] == "single"
        for t in (["all"] if single else sorted(v["targets"])):
            addr = f"{prefix}-{t}:{v['server']['port']}"
            # the documented gateway is admitted, another namespace is not
            external.append((chart_netpol.Pod("gateway pod", "gateway", {"app": "gateway"}), addr, True))
            external.append((chart_netpol.Pod("pod elsewhere", "elsewhere", {"app": "x"}), addr, False))
            # nor a pod in the release's namespace that is not the release's
            external.append((chart_netpol.Pod("stray pod", NS, {"app": "x"}), addr, False))
    m = v["metrics"]
    if v["networkPolicy"]["enabled"] and m["enabled"]:
        single = v["deploymentMode"] == "single"
        for t in (["all"] if single else sorted(v["targets"])):
            scraper = chart_netpol.Pod("prometheus", "monitoring", {"app": "prometheus"})
            # the scraper reaches /metrics, and by that rule nothing else
            external.append((scraper, f"{prefix}-{t}:{m['port']}", True))
            if v["networkPolicy"]["ingressFrom"]:
                external.append((scraper, f"{prefix}-{t}:{v['server']['port']}", False))
            if m["scrapeFrom"]:
                external.append((chart_netpol.Pod("pod elsewhere", "elsewhere", {"app": "x"}),
                                 f"{prefix}-{t}:{m['port']}", False))
    for problem in chart_netpol.check_release(docs, NS, NAMESPACES, external):
        failures.append(f"{label}: {problem}")


for label, values in SETS.items():
    report = helm.lint(chart_dir, values, strict=True, namespace=NS, kube_version="v1.37.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report.get("errors", [])
    for m in report["messages"]:
        print(f"  lint {label}: [{('unknown', 'INFO', 'WARNING', 'ERROR')[m['severity']]}] {m['path']}: {m['error']}")
    check(not problems, f"lint {label}: {problems}")
    merged, rendered, docs = render(values)
    by_kind = check_set(label, merged, docs)
    check_policy(label, docs, merged)
    os.makedirs(f"{out}/{label}")
    for i, d in enumerate(docs, 1):
        with open(f"{out}/{label}/{i:02d}-{d['kind'].lower()}-{d['metadata']['name']}.yaml", "w") as f:
            yaml.safe_dump(d, f, sort_keys=False)
    notes = rendered.get("probity/templates/NOTES.txt", "")
    check("grpc.health.v1.Health/Check" in notes, f"{label}: NOTES.txt shows the grpcurl health check")
    kinds = ", ".join(f"{len(n)} {k}" for k, n in sorted(by_kind.items()))
    print(f"  lint --strict {label}: ok; rendered {len(docs)} manifests ({kinds})")

# Values that must be refused at render time, with the reason.
REFUSED = [
    ({"lifecycle": {"terminationGracePeriodSeconds": 12}}, "must be above preStopSleepSeconds"),
    # a fixed year goes stale; the reports no longer go to a volume
    ({"rankings": {"enabled": True, "year": 2026}}, "'year' not allowed"),
    ({"rankings": {"outputClaim": "probity-reports"}}, "'outputClaim' not allowed"),
    ({"rankings": {"sealAfterDays": 61}}, "/rankings/sealAfterDays"),
    ({"extraEnv": {"PROBITY__DATABASE__URL": "postgres://u:p@db/probity"}}, "looks secret"),
    ({"extraEnv": {"PROBITY__TELEMETRY__LEVEL": "debug"}}, "set by the chart"),
    ({"database": {"existingSecret": ""}}, "/database/existingSecret"),
    # values.schema.json: types, typos, the old free toggles
    ({"targets": {"registry": {"replicas": "two"}}}, "/targets/registry/replicas"),
    ({"single": {"replicas": 0}}, "/single/replicas"),
    ({"networkPolicy": {"enable": True}}, "'enable' not allowed"),
    ({"image": {"digets": "sha256:" + "0" * 64}}, "'digets' not allowed"),
    ({"image": {"digest": "latest"}}, "/image/digest"),
    ({"targets": {"all": {"replicas": 1, "resources": {"requests": {}, "limits": {}}}}}, "'all' not allowed"),
    ({"targets": {"registry": {"enabled": True}}}, "'enabled' not allowed"),
    ({"targets": {"Bad_Name": {"replicas": 1}}}, "'Bad_Name' not allowed"),
    ({"deploymentMode": "both"}, "/deploymentMode"),
    ({"telemetry": {"format": "xml"}}, "/telemetry/format"),
    ({"extraEnv": {"LOG_LEVEL": "debug"}}, "'LOG_LEVEL' does not match"),
    ({"ingress": {"enabled": True, "host": "probity.example.org"}}, "/ingress/tls/secretName"),
    ({"ingress": {"enabled": True, "tls": {"secretName": "probity-tls"}}}, "/ingress/host"),
    ({"ingress": {"enabled": True, "host": "p.example.org", "tls": {"secretName": "t"}, "targets": ["all"]}},
     "/ingress/targets/0"),
    ({"grpcRoute": {"enabled": True}}, "/grpcRoute/parentRefs"),
    ({"peerTls": {"enabled": True}}, "/peerTls/existingSecret"),
    ({"server": {"publicRateLimit": {"perMinute": 0}}}, "/server/publicRateLimit/perMinute"),
    ({"server": {"publicRateLimit": {"trustedProxies": ["ingress"]}}}, "/server/publicRateLimit/trustedProxies/0"),
    ({"intakeStreams": {"bufferBytes": 1024}}, "/intakeStreams/bufferBytes"),
    ({"tests": {"image": {"digest": "v0.4.48"}}}, "/tests/image/digest"),
    ({"metrics": {"serviceMonitor": {"enabled": True}}}, "need metrics.enabled"),
    ({"metrics": {"enabled": True, "port": 50051}}, "metrics.port must differ from server.port"),
    ({"metrics": {"enable": True}}, "'enable' not allowed"),
    ({"metrics": {"prometheusRule": {"errorRatio": 5}}}, "/metrics/prometheusRule/errorRatio"),
    ({"metrics": {"serviceMonitor": {"interval": "often"}}}, "/metrics/serviceMonitor/interval"),
]
for values, reason in REFUSED:
    try:
        render(values)
        failures.append(f"refused values {values}: rendered")
    except helm.HelmError as e:
        check(reason in str(e), f"refused values {values}: error {e} names {reason!r}")


def schema_covers(values, schema, root, path="values"):
    """Every key of values.yaml is described in values.schema.json, and every
    object of it refuses keys it does not know (a typo)."""
    while "$ref" in schema:
        schema = root["definitions"][schema["$ref"].split("/")[-1]]
    if not isinstance(values, dict):
        return
    props = schema.get("properties")
    if props is None:
        # a free map (annotations, labels, extraEnv, a Kubernetes object passed through)
        check(isinstance(schema.get("additionalProperties"), dict) or schema.get("type") == "object",
              f"schema: {path} is an object")
        return
    check(schema.get("additionalProperties") is False, f"schema: {path} refuses unknown keys")
    for k, sub in values.items():
        check(k in props, f"schema: {path}.{k} is described")
        if k in props:
            schema_covers(sub, props[k], root, f"{path}.{k}")


with open(f"{chart_dir}/values.yaml") as f:
    defaults = yaml.safe_load(f)
with open(f"{chart_dir}/values.schema.json") as f:
    import json
    schema = json.load(f)
schema_covers(defaults, schema, schema)

# The suite's caller -> callee pairs, as listed, are the ones in the code.
in_code = chart_netpol.pairs_in_code(".")
check(in_code == set(chart_netpol.PAIRS),
      f"chart_netpol.PAIRS {sorted(set(chart_netpol.PAIRS))} are the pairs in the code {sorted(in_code)}")
print(f"  {len(chart_netpol.PAIRS)} caller -> callee pairs, as in the code: "
      + ", ".join(f"{a}->{b}" for a, b, _ in chart_netpol.PAIRS))

# The values docs/deploy.md shows, rendered as an operator would install them.
documented = re.findall(r"<!-- check-chart: values (\S+) -->\n```yaml\n(.*?)```", open("docs/deploy.md").read(), re.S)
check(len(documented) >= 4, f"docs/deploy.md: the site values are marked for checking ({len(documented)} found)")
for name, text in documented:
    # the digest the reader fills in
    values = yaml.safe_load(text.replace("sha256:...", "sha256:" + "0" * 64))
    try:
        merged, rendered, docs = render(values)
    except helm.HelmError as e:
        failures.append(f"docs/deploy.md {name}: {e}")
        continue
    check_set(f"docs {name}", merged, docs)
    if "networkPolicy" in values:
        check(any(d["kind"] == "NetworkPolicy" for d in docs), f"docs {name}: shows the NetworkPolicy")
    check_policy(f"docs {name}", docs, merged)
    print(f"  docs/deploy.md {name}: rendered {len(docs)} manifests ({', '.join(sorted({d['kind'] for d in docs}))}); caller -> callee pairs checked")
print(f"  {len(REFUSED)} bad value sets refused at render time")

# Base images by digest: a floating tag changes what a rebuild contains.
froms = re.findall(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", open("Dockerfile").read(), re.M)
check(froms, "Dockerfile: has FROM lines")
for image in froms:
    check(re.search(r"@sha256:[0-9a-f]{64}$", image), f"Dockerfile: FROM {image} is pinned by digest")
check(re.fullmatch(r"sha256:[0-9a-f]{64}", defaults["tests"]["image"]["digest"] or ""),
      "values.yaml: the helm test image is pinned by digest")
print(f"  Dockerfile: {len(froms)} base images pinned by digest")

if failures:
    print("check-chart: FAILED:")
    for f in failures:
        print("  -", f)
    sys.exit(1)
PY

for set in default all-targets alternatives small-site exposed peer-tls monitored; do
  # GRPCRoute (Gateway API), ServiceMonitor and PrometheusRule (Prometheus
  # Operator) are CRDs, not in Kubernetes' own schemas: their fields are
  # checked in the render step above.
  files=()
  for f in "$OUT/$set"/*.yaml; do
    [[ $f == *-grpcroute-* || $f == *-servicemonitor-* || $f == *-prometheusrule-* ]] || files+=("$f")
  done
  for kv in "${KUBE_VERSIONS[@]}"; do
    echo "check-chart: kubernetes-validate --strict -k $kv: $set (${#files[@]} manifests)"
    "$VENV/bin/kubernetes-validate" --strict --quiet -k "$kv" "${files[@]}"
  done
done

run_checkov() { # label, skips, checkov args...
  local label=$1 skips=$2 log
  shift 2
  log="$OUT/checkov-$label.log"
  echo "check-chart: checkov $label (skipping ${skips:-nothing})"
  if ! "$VENV/bin/checkov" --quiet --compact --skip-download ${skips:+--skip-check "$skips"} "$@" >"$log" 2>&1; then
    cat "$log"
    echo "check-chart: checkov $label: FAILED"
    exit 1
  fi
  grep -E "scan results|Passed checks" "$log" | sed 's/^/  /'
}
run_checkov "default render" "$(join "${SKIP_ALWAYS[@]}" "${SKIP_DEFAULT_ONLY[@]}")" \
  -d "$OUT/default" --framework kubernetes
run_checkov "all-targets render" "$(join "${SKIP_ALWAYS[@]}")" \
  -d "$OUT/all-targets" --framework kubernetes
run_checkov "exposed render" "$(join "${SKIP_ALWAYS[@]}")" \
  -d "$OUT/exposed" --framework kubernetes
run_checkov "Dockerfile" "$(join "${SKIP_DOCKERFILE[@]}")" \
  -f Dockerfile --framework dockerfile

echo "check-chart: ok"
