"""Who may call whom in a rendered probity release: NetworkPolicy semantics
evaluated over the rendered pods, for scripts/check-chart.sh.

The caller -> callee pairs are the suite's own: each is listed in PAIRS and
checked against the Rust sources (a service's PEERS, the nightly job's
`peer("rankings.<x>_endpoint", ...)`), so a new line between services fails
the check until it is listed here and admitted by the chart.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

# (caller, callee, setting that names the callee's address). A caller is a
# service (its pods are the Deployment running it: its own target's, or
# `all`) or "rankings-job" (the CronJob's pod).
PAIRS = [
    ("intake", "registry", "intake.registry_endpoint"),  # services/intake/src/lib.rs PEERS
    ("intake", "draws", "intake.draws_endpoint"),  # the draws inspections cite
    ("accountability", "registry", "accountability.registry_endpoint"),  # services/accountability/src/lib.rs
    ("accountability", "intake", "accountability.intake_endpoint"),
    ("rankings", "registry", "rankings.registry_endpoint"),  # services/rankings/src/lib.rs (superior assessments)
    ("draws", "registry", "draws.registry_endpoint"),  # services/draws/src/lib.rs (the inspector pool)
    ("rankings-job", "registry", "rankings.registry_endpoint"),  # jobs/rankings/src/extract.rs
    ("rankings-job", "intake", "rankings.intake_endpoint"),
    ("rankings-job", "accountability", "rankings.accountability_endpoint"),
    ("rankings-job", "rankings", "rankings.rankings_endpoint"),
    ("rankings-job", "draws", "rankings.draws_endpoint"),  # the year's draw plans (Art. 19(7))
]


def pairs_in_code(root):
    """The pairs the Rust sources declare, as a set like PAIRS."""
    root = Path(root)
    found = set()
    peer_decl = re.compile(r'PeerSetting\s*\{\s*key:\s*"(\w+)_endpoint",\s*service:\s*"(\w+)"', re.S)
    for lib in sorted(root.glob("services/*/src/lib.rs")):
        caller = lib.parent.parent.name
        for key, service in peer_decl.findall(lib.read_text()):
            found.add((caller, service, f"{caller}.{key}_endpoint"))
    job_peer = re.compile(r'peer\(\s*"rankings\.(\w+)_endpoint"')
    for src in sorted(root.glob("jobs/rankings/src/*.rs")):
        for callee in job_peer.findall(src.read_text()):
            found.add(("rankings-job", callee, f"rankings.{callee}_endpoint"))
    return found


def env_name(setting):
    section, key = setting.split(".")
    return f"PROBITY__{section.upper()}__{key.upper()}"


def selector_matches(sel, labels):
    """A LabelSelector ({} or missing matches everything)."""
    if sel is None:
        return True
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


class Pod:
    def __init__(self, what, namespace, labels, ports=None, args=None, env=None, hook=None):
        self.what, self.namespace, self.labels = what, namespace, labels
        self.ports = ports or {}  # name -> containerPort
        self.args, self.env, self.hook = args or [], env or {}, hook

    def target(self):
        """The `serve --target` value of a service pod, else None."""
        a = self.args
        if a[:1] == ["serve"] and "--target" in a:
            return a[a.index("--target") + 1]
        return None

    def __repr__(self):
        return self.what


def pods_of(docs, namespace, config):
    """Every pod template the release renders, with the environment its
    ConfigMap gives it."""
    pods = []
    for d in docs:
        kind = d["kind"]
        if kind in ("Deployment", "Job"):
            tpl = d["spec"]["template"]
        elif kind == "CronJob":
            tpl = d["spec"]["jobTemplate"]["spec"]["template"]
        elif kind == "Pod":
            tpl = d
        else:
            continue
        spec = tpl["spec"]
        c = spec["containers"][0]
        ports = {p.get("name"): p["containerPort"] for c2 in spec["containers"] for p in c2.get("ports", [])}
        env = {}
        for c2 in spec["containers"]:
            for ef in c2.get("envFrom", []):
                if "configMapRef" in ef:
                    env.update(config.get(ef["configMapRef"]["name"], {}))
            for e in c2.get("env", []):
                if "value" in e:
                    env[e["name"]] = e["value"]
        hook = (d["metadata"].get("annotations") or {}).get("helm.sh/hook")
        pods.append(Pod(f"{kind}/{d['metadata']['name']}", namespace, tpl["metadata"].get("labels", {}),
                        ports, c.get("args", []), env, hook))
        if kind == "Pod":
            # the test hook: one probe per container
            pods[-1].probes = [next((a[len("-addr="):] for a in c2.get("args", []) if a.startswith("-addr=")), None)
                               for c2 in spec["containers"]]
    return pods


def _peer_admits(peer, policy_ns, src, namespaces):
    if "ipBlock" in peer:
        return False  # pod addresses are not known here: an ipBlock admits no pod for sure
    ns_sel = peer.get("namespaceSelector")
    if ns_sel is None:
        if src.namespace != policy_ns:
            return False
    elif not selector_matches(ns_sel, namespaces.get(src.namespace, {})):
        return False
    return selector_matches(peer.get("podSelector"), src.labels)


def _ports_admit(ports, port, dst):
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != "TCP":
            continue
        want = p.get("port")
        if want is None:
            return True
        if isinstance(want, str):
            if dst.ports.get(want) == port:
                return True
        elif want == port or (p.get("endPort") and want <= port <= p["endPort"]):
            return True
    return False


def _types(policy):
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))


def admitted(policies, namespaces, src, dst, port):
    """Whether a TCP connection from src to dst:port is allowed: by every
    policy side that isolates either pod (NetworkPolicy is additive: any rule
    of any policy selecting the pod may admit it)."""
    ingress = [p for p in policies if p["metadata"]["namespace"] == dst.namespace
               and "Ingress" in _types(p) and selector_matches(p["spec"]["podSelector"], dst.labels)]
    if ingress and not any(
            (not r.get("from") or any(_peer_admits(x, p["metadata"]["namespace"], src, namespaces) for x in r["from"]))
            and _ports_admit(r.get("ports"), port, dst)
            for p in ingress for r in p["spec"].get("ingress") or []):
        return False
    egress = [p for p in policies if p["metadata"]["namespace"] == src.namespace
              and "Egress" in _types(p) and selector_matches(p["spec"]["podSelector"], src.labels)]
    if egress and not any(
            (not r.get("to") or any(_peer_admits(x, p["metadata"]["namespace"], _AsSource(dst), namespaces) for x in r["to"]))
            and _ports_admit(r.get("ports"), port, dst)
            for p in egress for r in p["spec"].get("egress") or []):
        return False
    return True


class _AsSource:
    """The destination seen by an egress rule's `to` peers."""

    def __init__(self, pod):
        self.namespace, self.labels = pod.namespace, pod.labels


def resolve(address, services, pods, namespace):
    """host:port or http://host:port -> [(pod, containerPort)] behind that Service."""
    if "://" not in address:
        address = "http://" + address
    u = urlsplit(address)
    host = u.hostname.split(".")
    name = host[0]
    ns = host[1] if len(host) > 1 else namespace
    svc = services.get((ns, name))
    if svc is None:
        return None
    port = next((p for p in svc["spec"]["ports"] if p["port"] == u.port), None)
    if port is None:
        return []
    out = []
    for pod in pods:
        if pod.namespace == ns and pod.hook is None and selector_matches({"matchLabels": svc["spec"]["selector"]}, pod.labels):
            tp = port.get("targetPort", port["port"])
            cp = pod.ports.get(tp) if isinstance(tp, str) else tp
            if cp is not None:
                out.append((pod, cp))
    return out


def check_release(docs, namespace, namespaces, external=()):
    """Problems (strings) with the release's own calls and with `external`
    callers: (Pod, address, should_be_admitted)."""
    problems = []
    config = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    pods = pods_of(docs, namespace, config)
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    services = {(d["metadata"]["namespace"], d["metadata"]["name"]): d for d in docs if d["kind"] == "Service"}

    def reach(src, address, why, expect=True):
        behind = resolve(address, services, pods, namespace)
        if not behind:
            problems.append(f"{why}: {address} is no Service with pods behind it")
            return
        for dst, port in behind:
            ok = admitted(policies, namespaces, src, dst, port)
            if ok != expect:
                problems.append(f"{why}: {src} -> {dst}:{port} {'refused' if expect else 'admitted'} by the NetworkPolicy")

    service_pods = [p for p in pods if p.target()]
    for caller, callee, setting in PAIRS:
        if caller == "rankings-job":
            callers = [p for p in pods if p.labels.get("app.kubernetes.io/component") == "rankings-job"]
        else:
            callers = [p for p in service_pods if p.target() in (caller, "all")]
        for src in callers:
            address = src.env.get(env_name(setting), "")
            if urlsplit(address).hostname in ("127.0.0.1", "localhost"):
                # The pod's own address (`all` over TLS): loopback, as empty.
                address = ""
            if not address:
                # Empty: the process calls its own listener over loopback,
                # which no NetworkPolicy sees; only right if it runs the callee.
                if src.target() not in ("all", callee):
                    problems.append(f"{caller} -> {callee}: {src} has no {setting} and does not run {callee}")
                continue
            reach(src, address, f"{caller} -> {callee} ({setting})")
    for test in (p for p in pods if p.hook == "test"):
        for address in test.probes:
            reach(test, address, "helm test -> " + str(address))
        want = {p.labels.get("app.kubernetes.io/component") for p in service_pods}
        probed = {a.split(":")[0].split("-")[-1] for a in test.probes if a}
        if not want <= probed:
            problems.append(f"helm test probes {sorted(probed)}, not every Deployment {sorted(want)}")
    for src, address, expect in external:
        reach(src, address, f"{src.namespace} -> {address}", expect)
    return problems
