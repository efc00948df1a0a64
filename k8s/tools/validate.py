"""Validates one rendered overlay (run by scripts/k8s-check with the tools' Python).

Splits the documents: custom resources we have a schema for (k8s/schemas) are checked here
with jsonschema; everything else goes to STEM.core.yaml for kubernetes-validate --strict.
Also checks invariants that no schema knows. Usage: validate.py RENDERED.yaml STEM
"""
import json, re, sys
import jsonschema, yaml

rendered, stem = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
crs, core, problems = [], [], []
SCHEMAS = {("postgresql.cnpg.io/v1", "Cluster"): "k8s/schemas/cnpg-cluster-v1.schema.json"}
for d in docs:
    key = (d.get("apiVersion"), d.get("kind"))
    (crs if key in SCHEMAS else core).append(d)
for d in crs:
    schema = json.load(open(SCHEMAS[(d["apiVersion"], d["kind"])]))
    for e in jsonschema.Draft202012Validator(schema).iter_errors(d):
        where = "/".join(str(p) for p in e.absolute_path)
        problems.append(f"{d['kind']}/{d['metadata']['name']}: {where}: {e.message}")

def seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    n, unit = int(m.group(1)), m.group(2)
    return n * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]

# Our own invariants, which no schema knows.
config = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
common = next((v for k, v in config.items() if k.startswith("secal-common")), {})
policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
for d in docs:
    if d["kind"] != "Deployment":
        continue
    name, pod = d["metadata"]["name"], d["spec"]["template"]
    spec = pod["spec"]
    # The kubelet must not SIGKILL a pod that is still draining.
    env = {e["name"]: e.get("value") for c in spec["containers"] for e in c.get("env", [])}
    uses_common = any(src.get("configMapRef", {}).get("name", "").startswith("secal-common")
                      for c in spec["containers"] for src in c.get("envFrom", []))
    grace = env.get("SECAL_SHUTDOWN_GRACE") or (uses_common and common.get("SECAL_SHUTDOWN_GRACE"))
    if grace:
        sleep = max((c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
                     for c in spec["containers"]), default=0)
        if spec.get("terminationGracePeriodSeconds", 30) <= sleep + seconds(grace):
            problems.append(f"Deployment/{name}: terminationGracePeriodSeconds "
                            f"{spec.get('terminationGracePeriodSeconds', 30)} is not more than "
                            f"preStop {sleep}s + SECAL_SHUTDOWN_GRACE {grace}")
    # With mutual TLS on the gRPC port, the kubelet (no client certificate) must probe the
    # plaintext health listener.
    for c in spec["containers"]:
        cenv = {e["name"]: e.get("value") for e in c.get("env", [])}
        if "SECAL_TLS_CERT_FILE" not in cenv:
            continue
        health = (cenv.get("SECAL_HEALTH_LISTEN_ADDR") or "").rpartition(":")[2]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            port = c.get(kind, {}).get("grpc", {}).get("port")
            if str(port) != health:
                problems.append(f"Deployment/{name}: {kind} probes port {port}, not the plaintext "
                                f"health listener (SECAL_HEALTH_LISTEN_ADDR port {health or 'unset'})")
    # Every workload has a policy of its own beyond the namespace's default deny.
    labels = pod["metadata"].get("labels", {})
    own = [p for p in policies
           if p["spec"]["podSelector"].get("matchLabels")
           and all(labels.get(k) == v for k, v in p["spec"]["podSelector"]["matchLabels"].items())]
    if not own:
        problems.append(f"Deployment/{name}: no NetworkPolicy selects its pods")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"Deployment/{name}: automountServiceAccountToken is not false")

with open(stem + ".core.yaml", "w") as f:
    yaml.safe_dump_all(core, f, sort_keys=False)
print(f"{len(core)} core resources, {len(crs)} custom resources checked against k8s/schemas")
for p in problems:
    print("ERROR", p)
sys.exit(1 if problems else 0)
