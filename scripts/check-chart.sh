#!/usr/bin/env bash
# Checks the Helm chart (charts/probity) and the Dockerfile without a cluster,
# a helm binary or a Docker engine:
#   1. helm lint --strict (Helm's Go library, through PyPI helm-python-sdk),
#      with the default values, with every target enabled, and with the
#      less-used switches flipped;
#   2. renders those three value sets and checks what the chart promises
#      (one Deployment/Service/PDB per target, --no-migrate, gRPC probes,
#      drain time, security contexts, read-only key mounts, the migration
#      hook), and that bad values are refused at render time;
#   3. validates every rendered manifest with kubernetes-validate --strict
#      against the chart's lowest Kubernetes (Chart.yaml kubeVersion) and the
#      newest one it knows;
#   4. runs checkov on the default and the all-targets manifests and on the
#      Dockerfile; any failed check fails the script, except the ones skipped
#      below, each with its reason.
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
import copy, os, re, sys

import helm_python as helm
import yaml

chart_dir, out = sys.argv[1], sys.argv[2]
NS = "probity"
print(f"  helm SDK {helm.helm_sdk_version()} (helm-c {helm.helm_c_version()})")

ALL_TARGETS = {
    "image": {"digest": "sha256:" + "0" * 64},
    "database": {"migrateExistingSecret": "probity-database-owner"},
    "targets": {
        "registry": {"enabled": True},
        "intake": {"enabled": True, "replicas": 3},
        "accountability": {"enabled": True},
    },
    "rankings": {"enabled": True, "year": 2026},
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
    "targets": {"registry": {"database": {"existingSecret": "registry-db", "urlKey": "dsn"}}},
    "serviceAccount": {"create": False, "name": "probity-existing"},
    "migration": {"enabled": False},
    "podDisruptionBudget": {"enabled": False},
    "service": {"headless": True},
    "lifecycle": {"preStopSleepSeconds": 0, "terminationGracePeriodSeconds": 40},
    "auth": {"publicKeys": ["issuer-2025.pem", "issuer-2026.pem"]},
    "extraEnv": {"PROBITY__REGISTRY__DEFAULT_MIN_QUALIFIED": 3},
    "topologySpread": [],
    "extraVolumes": [{"name": "db-ca", "secret": {"secretName": "probity-db-ca"}}],
    "extraVolumeMounts": [{"name": "db-ca", "mountPath": "/etc/probity/db-ca", "readOnly": True}],
}
# A small site: every service in the `all` Deployment, with the nightly job.
SMALL_SITE = {
    "targets": {
        "registry": {"enabled": False},
        "intake": {"enabled": False},
        "accountability": {"enabled": False},
        "rankings": {"enabled": False},
        "all": {"enabled": True, "replicas": 1, "nationalIdKey": True,
                "resources": {"requests": {"cpu": "200m", "memory": "256Mi"},
                              "limits": {"cpu": "2", "memory": "1Gi"}}},
    },
    "rankings": {"enabled": True, "year": 2026},
    # one role owns the tables and serves: no separate owner URL
    "database": {"migrateUrlKey": ""},
}
SETS = {"default": {}, "all-targets": ALL_TARGETS, "alternatives": ALTERNATIVES, "small-site": SMALL_SITE}

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
    enabled = sorted(n for n, t in v["targets"].items() if t and t.get("enabled"))
    grace_s = -(-int(v["server"]["shutdownGraceMs"]) // 1000)
    for name in enabled:
        t = v["targets"][name]
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
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            check(c.get(probe, {}).get("grpc", {}).get("port") == v["server"]["port"], f"{label}: {res} {probe} is gRPC")
        pre = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        check(pre == v["lifecycle"]["preStopSleepSeconds"], f"{label}: {res} preStop sleep {pre}")
        check(spec["terminationGracePeriodSeconds"] > pre + grace_s,
              f"{label}: {res} terminationGracePeriodSeconds {spec['terminationGracePeriodSeconds']} > {pre}+{grace_s}")
        mounts = {m["mountPath"] for m in c["volumeMounts"]}
        check(("/etc/probity/db-ca" in mounts) == bool(v["extraVolumeMounts"]), f"{label}: {res} extra mounts")
        check(("/etc/probity/national-id" in mounts) == (name in ("registry", "all") or bool(t.get("nationalIdKey"))),
              f"{label}: {res} national-ID key mounted only where needed")
        check("/etc/probity/audit" in mounts and "/etc/probity/issuer" in mounts, f"{label}: {res} audit and issuer keys")
        check(("/etc/probity/service-token" in mounts) == (name in ("intake", "accountability", "rankings", "all")),
              f"{label}: {res} service token mounted only where a service calls another")
    deployments = set(by_kind.get("Deployment", {}))
    check(deployments == {f"{prefix}-{n}" for n in enabled}, f"{label}: Deployments {sorted(deployments)} are the enabled targets")
    cm = by_kind.get("ConfigMap", {}).get(f"{prefix}-config")
    check(cm is not None, f"{label}: ConfigMap")
    if cm:
        data = cm["data"]
        check(data.get("PROBITY__AUTH__DEV_KEYS") == "false", f"{label}: development keys off")
        check(data.get("PROBITY__SERVER__LISTEN") == f"0.0.0.0:{v['server']['port']}", f"{label}: listens on 0.0.0.0")
        check(all(isinstance(x, str) for x in data.values()), f"{label}: ConfigMap values are strings")
        check(not any("URL" in k and "DATABASE" in k for k in data), f"{label}: no database URL in the ConfigMap")
        all_on = (v["targets"].get("all") or {}).get("enabled")

        def served(t):
            # a service at its own target's Service, else at the `all` target's
            if (v["targets"].get(t) or {}).get("enabled"):
                return f"http://{prefix}-{t}:{v['server']['port']}"
            return f"http://{prefix}-all:{v['server']['port']}" if all_on else None

        endpoint = data.get("PROBITY__INTAKE__REGISTRY_ENDPOINT")
        check(endpoint == served("registry"),
              f"{label}: intake reaches the registry target's Service ({endpoint})")
        check(data.get("PROBITY__INTAKE__REGISTRY_TOKEN_FILE", "").startswith("/etc/probity/service-token/"),
              f"{label}: intake's service token file")
        check(data.get("PROBITY__ACCOUNTABILITY__TOKEN_FILE", "").startswith("/etc/probity/service-token/"),
              f"{label}: accountability's service token file")
        check(data.get("PROBITY__ACCOUNTABILITY__REGISTRY_ENDPOINT") == endpoint,
              f"{label}: accountability reaches the registry target's Service")
        for t in ("registry", "intake", "accountability", "rankings"):
            check(data.get(f"PROBITY__RANKINGS__{t.upper()}_ENDPOINT") == served(t),
                  f"{label}: the rankings job reaches the {t} target's Service")
        check(data.get("PROBITY__ACCOUNTABILITY__INTAKE_ENDPOINT") == served("intake"),
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
        check(cj["spec"]["jobTemplate"]["metadata"]["labels"].get("app.kubernetes.io/component") == "rankings-job",
              f"{label}: the job's pods are not the rankings target's")
        check(pod_spec(cj)["containers"][0]["args"][:4] == ["rankings", "run", "--year", str(v["rankings"]["year"])],
              f"{label}: rankings args")
    check(bool(by_kind.get("NetworkPolicy")) == bool(v["networkPolicy"]["enabled"]), f"{label}: NetworkPolicy only when enabled")
    return by_kind


for label, values in SETS.items():
    report = helm.lint(chart_dir, values, strict=True, namespace=NS, kube_version="v1.37.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report.get("errors", [])
    for m in report["messages"]:
        print(f"  lint {label}: [{('unknown', 'INFO', 'WARNING', 'ERROR')[m['severity']]}] {m['path']}: {m['error']}")
    check(not problems, f"lint {label}: {problems}")
    merged, rendered, docs = render(values)
    by_kind = check_set(label, merged, docs)
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
    ({"rankings": {"enabled": True}}, "rankings.year is required"),
    ({"extraEnv": {"PROBITY__DATABASE__URL": "postgres://u:p@db/probity"}}, "looks secret"),
    ({"extraEnv": {"PROBITY__TELEMETRY__LEVEL": "debug"}}, "set by the chart"),
    ({"targets": {"Bad_Name": {"enabled": True, "replicas": 1, "resources": {}}}}, "lowercase letters"),
    ({"database": {"existingSecret": ""}}, "database.existingSecret"),
    ({"targets": {"rankings": {"enabled": False}}, "rankings": {"enabled": True, "year": 2026}},
     "the nightly job calls the rankings service"),
]
for values, reason in REFUSED:
    try:
        render(values)
        failures.append(f"refused values {values}: rendered")
    except helm.HelmError as e:
        check(reason in str(e), f"refused values {values}: error {e} names {reason!r}")
print(f"  {len(REFUSED)} bad value sets refused at render time")

if failures:
    print("check-chart: FAILED:")
    for f in failures:
        print("  -", f)
    sys.exit(1)
PY

for set in default all-targets alternatives; do
  files=("$OUT/$set"/*.yaml)
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
run_checkov "Dockerfile" "$(join "${SKIP_DOCKERFILE[@]}")" \
  -f Dockerfile --framework dockerfile

echo "check-chart: ok"
