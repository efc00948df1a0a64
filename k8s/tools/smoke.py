"""Starts the suite on loopback as the rendered dev overlay configures it (`scripts/k8s-check
--smoke`): what the manifests say, run for real, without a cluster.

- A throwaway PostgreSQL (system binaries, scram-sha-256 passwords) provisioned the way the
  CloudNativePG Cluster does it: the database and its owner, the Cluster's
  `postInitApplicationSQL` verbatim, then each `managed.roles` entry as the operator applies
  it (LOGIN, INHERIT, CONNECTION LIMIT, the password).
- The dev overlay's simulator, started with its Deployment's environment.
- Two replicas of each service started at the same moment on the empty database, each with
  its Deployment's environment (secal-common + env), the cluster names mapped to loopback:
  the migrations race for real.
- A throwaway CA and a certificate per service (URI SAN spiffe://secal/secal-<svc>), in place
  of the Secrets secal-<svc>-tls.
- Checks: every replica reports SERVING for its readiness service name on the plaintext
  health port the kubelet probes, while its gRPC port refuses plaintext; each schema's
  `_sqlx_migrations` holds each migration of services/<svc>/migrations once, successfully;
  a service's role cannot read another's schema; on SIGTERM every replica exits cleanly
  within SECAL_SHUTDOWN_GRACE.

Usage: smoke.py RENDERED_DEV.yaml  (run from the repository root, binaries in target/debug)
"""
import os, re, shutil, socket, subprocess, sys, tempfile, time
import yaml

PG_PORT_HOST = "secal-db-rw:5432"
ROOT = os.getcwd()
problems = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir():
    for v in sorted(os.listdir("/usr/lib/postgresql"), key=int, reverse=True):
        d = f"/usr/lib/postgresql/{v}/bin"
        if os.path.exists(f"{d}/initdb"):
            return d
    sys.exit("smoke: no PostgreSQL server binaries (scripts/install-deps installs them)")


def as_postgres(cmd, **kw):
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=True, **kw)


def psql(port, user, password, db, sql, check=True):
    env = dict(os.environ, PGPASSWORD=password)
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1",
         "-Atqc", sql], env=env, capture_output=True, text=True, check=check)


# The health-only listener has no reflection, as the kubelet needs none: give buf the schema.
HEALTH_PROTO = """syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
"""
HEALTH_SCHEMA = None


def health(addr, service):
    r = subprocess.run(
        ["buf", "curl", "--schema", HEALTH_SCHEMA, "--protocol", "grpc",
         "--http2-prior-knowledge", "-d",
         '{"service":"%s"}' % service, f"http://{addr}/grpc.health.v1.Health/Check"],
        capture_output=True, text=True)
    return r.returncode == 0 and '"SERVING"' in r.stdout


def main(rendered):
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    cluster = next(d for d in docs if d["kind"] == "Cluster")
    common = next(d["data"] for d in docs
                  if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("secal-common"))
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"
                   and d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "api"}

    global HEALTH_SCHEMA
    work = tempfile.mkdtemp(prefix="secal-k8s-smoke-")
    os.chmod(work, 0o755)
    HEALTH_SCHEMA = f"{work}/health.proto"
    with open(HEALTH_SCHEMA, "w") as f:
        f.write(HEALTH_PROTO)
    procs, sim_procs, pg_started = [], [], False
    try:
        # --- PostgreSQL, provisioned as the operator would
        bindir, pgdata, port = pg_bindir(), f"{work}/pg", free_port()
        os.mkdir(pgdata)
        with open(f"{work}/pw", "w") as f:
            f.write("superuser-pw\n")
        if os.geteuid() == 0:
            shutil.chown(pgdata, "postgres"); shutil.chown(f"{work}/pw", "postgres")
        as_postgres([f"{bindir}/initdb", "-D", pgdata, "-U", "postgres", "-A", "scram-sha-256",
                     f"--pwfile={work}/pw"], stdout=subprocess.DEVNULL)
        as_postgres([f"{bindir}/pg_ctl", "-D", pgdata, "-w", "-l", f"{pgdata}/log", "-o",
                     f"-p {port} -k {pgdata} -c listen_addresses=127.0.0.1", "start"],
                    stdout=subprocess.DEVNULL)
        pg_started = True
        initdb = cluster["spec"]["bootstrap"]["initdb"]
        su = ("postgres", "superuser-pw")
        psql(port, *su, "postgres", f"CREATE ROLE {initdb['owner']} LOGIN")
        psql(port, *su, "postgres", f"CREATE DATABASE {initdb['database']} OWNER {initdb['owner']}")
        for q in initdb.get("postInitApplicationSQL", []):
            psql(port, *su, initdb["database"], q)
        passwords = {}
        for r in cluster["spec"]["managed"]["roles"]:
            passwords[r["name"]] = f"pw-{r['name']}"
            psql(port, *su, "postgres",
                 f"ALTER ROLE {r['name']} {'LOGIN' if r.get('login') else 'NOLOGIN'} "
                 f"{'INHERIT' if r.get('inherit', True) else 'NOINHERIT'} "
                 f"CONNECTION LIMIT {r.get('connectionLimit', -1)} PASSWORD '{passwords[r['name']]}'")

        # --- an issuer key and the services' tokens, as the operator of the cluster provides
        dev = f"{work}/dev"
        os.makedirs(f"{dev}/keys")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", f"{dev}/keys/issuer.pem"],
                       check=True, capture_output=True)
        os.chmod(f"{dev}/keys/issuer.pem", 0o600)
        subprocess.run(["openssl", "pkey", "-in", f"{dev}/keys/issuer.pem", "-pubout", "-out",
                        f"{dev}/keys/issuer.pub.pem"], check=True, capture_output=True)
        for name in deployments:
            token = subprocess.run(
                ["target/debug/secal-dev", "token", "--dir", dev, "--subject", name, "--roles",
                 "service", "--system", "--ttl", "1h"], check=True, capture_output=True, text=True)
            with open(f"{work}/{name}.jwt", "w") as f:
                f.write(token.stdout)

        # --- a cluster CA and a certificate per service, as k8s/README.md asks for: URI SAN
        # spiffe://secal/secal-<svc>, and the address peers dial (here 127.0.0.1)
        tls = f"{work}/tls"
        os.makedirs(tls)
        def openssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", f"{tls}/ca.key", "-out", f"{tls}/ca.crt", "-days", "1",
                "-subj", "/CN=secal-smoke-ca", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        for name in deployments:
            with open(f"{tls}/{name}.ext", "w") as f:
                f.write(f"subjectAltName=URI:spiffe://secal/secal-{name},DNS:{name},IP:127.0.0.1\n"
                        "extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n")
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", f"{tls}/{name}.key", "-out", f"{tls}/{name}.csr",
                    "-subj", f"/CN=secal-{name}")
            openssl("x509", "-req", "-in", f"{tls}/{name}.csr", "-CA", f"{tls}/ca.crt",
                    "-CAkey", f"{tls}/ca.key", "-CAcreateserial", "-days", "1",
                    "-extfile", f"{tls}/{name}.ext", "-out", f"{tls}/{name}.crt")

        # --- the simulator of the dev overlay, then two replicas of each service, all at once
        service_port = {name: free_port() for name in deployments}
        simulators = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"
                      and d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "simulator"}
        for name, d in simulators.items():
            service_port[name] = free_port()
            c = d["spec"]["template"]["spec"]["containers"][0]
            env = {"PATH": os.environ["PATH"]}
            for e in c.get("env", []):
                v = e["value"]
                # Its listen address (0.0.0.0:<port>) becomes a loopback one.
                env[e["name"]] = f"127.0.0.1:{service_port[name]}" if v.startswith("0.0.0.0:") else v
            log = open(f"{work}/{name}.log", "w")
            p = subprocess.Popen([f"target/debug/secal-{name}"], env=env, stdout=log,
                                 stderr=subprocess.STDOUT)
            sim_procs.append((name, p))
        for name, d in deployments.items():
            spec = d["spec"]["template"]["spec"]
            c = spec["containers"][0]
            for replica in (0, 1):
                addr = f"127.0.0.1:{service_port[name] if replica == 0 else free_port()}"
                health_addr = f"127.0.0.1:{free_port()}"
                env = {"PATH": os.environ["PATH"]}
                env.update({k: v for k, v in common.items() if k != "OTEL_EXPORTER_OTLP_ENDPOINT"})
                url = next(e["value"] for e in c["env"] if e["name"] == "SECAL_DATABASE_URL")
                role = re.search(r"//([^@:/]+)@", url).group(1)
                for e in c["env"]:
                    v = e.get("value")
                    if e["name"] == "PGPASSWORD":
                        v = passwords[role]
                    elif "valueFrom" in e:
                        # Other Secrets (data-exchange's access-log keys): 32 random bytes, hex.
                        v = os.urandom(32).hex()
                    elif e["name"] == "SECAL_LISTEN_ADDR":
                        v = addr
                    elif e["name"] == "SECAL_DATABASE_URL":
                        v = v.replace(PG_PORT_HOST, f"127.0.0.1:{port}")
                    elif e["name"] == "SECAL_JWT_PUBLIC_KEY_FILE":
                        v = f"{dev}/keys/issuer.pub.pem"
                    elif e["name"] == "SECAL_TLS_CERT_FILE":
                        v = f"{tls}/{name}.crt"
                    elif e["name"] == "SECAL_TLS_KEY_FILE":
                        v = f"{tls}/{name}.key"
                    elif e["name"] == "SECAL_TLS_CA_FILE":
                        v = f"{tls}/ca.crt"
                    elif e["name"] == "SECAL_HEALTH_LISTEN_ADDR":
                        v = health_addr
                    elif e["name"] == "SECAL_SERVICE_TOKEN_FILE":
                        v = f"{work}/{name}.jwt"
                    elif v and re.fullmatch(r"[a-z-]+:\d+", v):
                        v = f"127.0.0.1:{service_port[v.split(':')[0]]}"
                    env[e["name"]] = v
                probe = c["readinessProbe"]["grpc"].get("service", "")
                log = open(f"{work}/{name}-{replica}.log", "w")
                p = subprocess.Popen([f"target/debug/secal-{name}"], env=env, stdout=log,
                                     stderr=subprocess.STDOUT)
                procs.append((f"{name}-{replica}", p, health_addr, probe,
                              float(env["SECAL_SHUTDOWN_GRACE"].rstrip("s"))))

        deadline = time.monotonic() + 60
        pending, serving = list(procs), 0
        while pending and time.monotonic() < deadline:
            for item in list(pending):
                label, p, addr, probe, _ = item
                if p.poll() is not None:
                    problems.append(f"{label} exited ({p.returncode}) at start-up: "
                                    + open(f"{work}/{label}.log").read()[-500:])
                    pending.remove(item)
                elif health(addr, probe):
                    pending.remove(item)
                    serving += 1
            time.sleep(0.5)
        for label, *_ in pending:
            problems.append(f"{label} not SERVING after 60 s")
        for name, p in sim_procs:
            try:
                socket.create_connection(("127.0.0.1", service_port[name]), timeout=2).close()
            except OSError as e:
                problems.append(f"{name} does not accept connections: {e}")
        # The gRPC port itself speaks only TLS: a plaintext client gets nowhere.
        for name in deployments:
            if health(f"127.0.0.1:{service_port[name]}", ""):
                problems.append(f"{name} answers plaintext on its gRPC port")
        print(f"smoke: {serving} of {len(procs)} replicas SERVING")

        # --- migrations: each applied once, by whichever replica got the lock first
        for name, d in deployments.items():
            url = next(e["value"] for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
                       if e["name"] == "SECAL_DATABASE_URL")
            role = re.search(r"//([^@:/]+)@", url).group(1)
            schema = role.removeprefix("secal_")
            expected = len([f for f in os.listdir(f"services/{name}/migrations") if f.endswith(".sql")])
            r = psql(port, role, passwords[role], "secal",
                     f"SELECT count(*), count(*) FILTER (WHERE success) FROM {schema}._sqlx_migrations",
                     check=False)
            got = r.stdout.strip() or r.stderr.strip()
            if got != f"{expected}|{expected}":
                problems.append(f"{schema}._sqlx_migrations: {got} (rows|successful), expected {expected}")
        # --- a role cannot reach another service's schema
        other = psql(port, "secal_intake", passwords["secal_intake"], "secal",
                     "SELECT count(*) FROM payments._sqlx_migrations", check=False)
        if other.returncode == 0:
            problems.append("secal_intake can read the payments schema")

        # --- graceful stop
        running = [item for item in procs if item[1].poll() is None]
        for label, p, _, _, grace in running:
            p.terminate()
        for label, p, _, _, grace in running:
            try:
                if p.wait(timeout=grace + 5) != 0:
                    problems.append(f"{label} exited with {p.returncode} after SIGTERM")
            except subprocess.TimeoutExpired:
                problems.append(f"{label} still running {grace + 5:.0f} s after SIGTERM")
    finally:
        for _, p in sim_procs:
            p.terminate()
        for _, p, *_ in procs:
            if p.poll() is None:
                p.kill()
        if pg_started:
            as_postgres([f"{bindir}/pg_ctl", "-D", pgdata, "-m", "fast", "stop"],
                        stdout=subprocess.DEVNULL)
        if problems:
            print(f"smoke: logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print("ERROR", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
