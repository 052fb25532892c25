# SPDX-License-Identifier: BSD-3-Clause
"""The Kubernetes deployment (config/kubernetes, tools/container), checked
offline with the strongest tools this machine has:

- yamllint on every manifest;
- kustomize (`kubectl kustomize`, when kubectl is installed) builds the
  directory into exactly the objects the other tests check, which the test
  assembles itself from kustomization.yaml so that they run without kubectl;
- every core object decoded strictly against the Kubernetes API types: the
  models of python3-kubernetes (generated from the API's OpenAPI spec:
  unknown fields, wrong types, missing required fields) and kubectl's own
  typed decoding (`kubectl set ... --local`: wrong types and malformed
  quantities are errors, unknown fields are dropped and the test finds them);
- the deployment's own rules: Guaranteed QoS, whole CPUs for sluice, hugepages,
  the SR-IOV resource of the NetworkAttachmentDefinition, volumes, the
  ConfigMap path, the shared ring and memif directories, capabilities;
- the ConfigMap's sluice.yaml through `sluice --check` and sluice-entrypoint;
- the Containerfile: every package it installs is in Debian's index, its
  build commands are tools/setup.sh's, and its runtime packages provide every
  library sluice and sl-ringcat link and every driver the configuration uses;
- the pod's commands run for real on this machine: sluice started by
  sluice-entrypoint on the ConfigMap's configuration (af_packet on a veth
  standing in for the VF), the capture analyzer's script reading the ring
  into tcpdump, the probes, and the reload sidecar.
"""
import glob
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from fractions import Fraction

import pytest
import yaml

from conftest import BUILD, ROOT, SLUICE, cleanup_prefix, gen, read_pcap

K8S = os.path.join(ROOT, "config", "kubernetes")
CONTAINER = os.path.join(ROOT, "tools", "container")
CONTAINERFILE = os.path.join(CONTAINER, "Containerfile")
ENTRYPOINT = os.path.join(CONTAINER, "sluice-entrypoint")
PROBE = os.path.join(CONTAINER, "sluice-probe")
RELOAD = os.path.join(CONTAINER, "sluice-reload")
RINGCAT = os.path.join(BUILD, "tools", "sl-ringcat", "sl-ringcat")
KUBECTL = shutil.which("kubectl")
NO_KUBECTL = "kubectl is not installed (tools/setup.sh does not install it): kubectl's " \
             "own checks (kustomize build, typed decoding) are skipped"
WAIT = 60  # bound of every wait on sluice or the analyzer, seconds

SRIOV_PREFIX = re.compile(r"^[a-z0-9.-]+\.[a-z]+/[A-Za-z0-9_.-]+$")


# ------------------------------------------------------------------ loading

def load_yaml_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def assemble(directory):
    """The objects kustomize builds from DIRECTORY/kustomization.yaml, for the
    features the directory uses (namespace, resources, configMapGenerator
    with files and fixed names). Anything else in the kustomization is an
    error here, so that this assembly stays what kustomize does."""
    k = load_yaml_docs(os.path.join(directory, "kustomization.yaml"))[0]
    known = {"apiVersion", "kind", "namespace", "resources", "configMapGenerator",
             "generatorOptions"}
    assert set(k) <= known, f"kustomization keys the tests do not model: {set(k) - known}"
    objs = []
    for r in k["resources"]:
        objs += load_yaml_docs(os.path.join(directory, r))
    if k.get("configMapGenerator"):
        assert k.get("generatorOptions", {}).get("disableNameSuffixHash") is True
    for g in k.get("configMapGenerator", []):
        assert set(g) <= {"name", "files"}, g
        data = {}
        for f in g["files"]:
            key, _, path = f.rpartition("=")
            with open(os.path.join(directory, path)) as fh:
                data[key or os.path.basename(path)] = fh.read()
        objs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": g["name"]}, "data": data})
    for o in objs:
        if o["kind"] != "Namespace" and "namespace" in k:
            o["metadata"]["namespace"] = k["namespace"]
    return objs


@pytest.fixture(scope="module")
def objects():
    return assemble(K8S)


def of_kind(objs, kind):
    return [o for o in objs if o["kind"] == kind]


def one(objs, kind, name):
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]


def pod_specs(objs):
    """(object name, pod template) of every workload."""
    return [(o["metadata"]["name"], o["spec"]["template"]) for o in objs
            if o["kind"] in ("DaemonSet", "Deployment", "StatefulSet", "Job")]


def containers(spec):
    return spec.get("initContainers", []) + spec["containers"]


def sluice_container(objs):
    ds = one(objs, "DaemonSet", "sluice")
    c = [c for c in ds["spec"]["template"]["spec"]["containers"] if c["name"] == "sluice"]
    assert len(c) == 1
    return ds, c[0]


def env_of(c):
    return {e["name"]: e.get("value") for e in c.get("env", [])}


def sluice_config_text(objs):
    """The configuration the sluice container reads: the ConfigMap item that
    is mounted at the path its SL_CONFIG names."""
    ds, c = sluice_container(objs)
    path = env_of(c)["SL_CONFIG"]
    vols = {v["name"]: v for v in ds["spec"]["template"]["spec"]["volumes"]}
    for m in c["volumeMounts"]:
        v = vols[m["name"]]
        if "configMap" not in v or not path.startswith(m["mountPath"].rstrip("/") + "/"):
            continue
        rel = path[len(m["mountPath"].rstrip("/")) + 1:]
        cm = one(objs, "ConfigMap", v["configMap"]["name"])
        items = v["configMap"].get("items")
        key = rel if items is None else {i["path"]: i["key"] for i in items}.get(rel)
        assert key in cm["data"], f"SL_CONFIG {path}: no ConfigMap key for {rel}"
        return cm["data"][key]
    pytest.fail(f"SL_CONFIG {path} is on no configMap volume of the sluice container")


QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
SUFFIX = {"": 1, "m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
          "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
          "Pi": 2**50, "Ei": 2**60}


def quantity(v):
    """A Kubernetes resource quantity as an exact number."""
    m = QUANTITY.match(str(v))
    assert m and m.group(2) in SUFFIX, f"not a quantity: {v!r}"
    return Fraction(m.group(1)) * SUFFIX[m.group(2)]


# ------------------------------------------------------------ lint and build

def test_yamllint_manifests():
    exe = shutil.which("yamllint")
    if exe is None:
        pytest.skip("yamllint is not installed (tools/setup.sh installs it)")
    r = subprocess.run([exe, "--strict", "-f", "parsable", "-c",
                        os.path.join(K8S, ".yamllint"), K8S],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # and yamllint does judge them: a duplicate key in a copy is an error
    bad = os.path.join(K8S, "namespace.yaml")
    with open(bad) as f:
        text = f.read()
    r = subprocess.run([exe, "--strict", "-f", "parsable", "-c",
                        os.path.join(K8S, ".yamllint"), "-"],
                       input=text + "kind: Namespace\n", capture_output=True,
                       text=True)
    assert r.returncode != 0 and "key-duplicates" in r.stdout, r.stdout


def kubectl(*args, stdin=None):
    # no cluster: an empty configuration, and nothing that would reach one
    env = dict(os.environ, KUBECONFIG=os.devnull)
    return subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60)


def canonical(objs):
    return sorted((json.dumps(o, sort_keys=True) for o in objs))


@pytest.mark.skipif(KUBECTL is None, reason=NO_KUBECTL)
def test_kubectl_kustomize_builds_what_the_tests_check(objects):
    r = kubectl("kustomize", K8S)
    assert r.returncode == 0, r.stderr
    built = [d for d in yaml.safe_load_all(r.stdout) if d is not None]
    assert canonical(built) == canonical(objects)
    kinds = Counter(o["kind"] for o in built)
    assert kinds == {"Namespace": 1, "ConfigMap": 1, "NetworkAttachmentDefinition": 1,
                     "DaemonSet": 2}, kinds


@pytest.mark.skipif(KUBECTL is None, reason=NO_KUBECTL)
def test_kubectl_generates_the_same_configmap(objects):
    """`kubectl create configmap --from-file` of sluice.yaml gives the
    ConfigMap of the kustomization, byte for byte in its data."""
    r = kubectl("create", "configmap", "sluice-config", "-n", "sluice", "--dry-run=client",
                "-o", "json", "--from-file=sluice.yaml=" + os.path.join(K8S, "sluice.yaml"))
    assert r.returncode == 0, r.stderr
    cm = json.loads(r.stdout)
    mine = one(objects, "ConfigMap", "sluice-config")
    assert cm["data"] == mine["data"]
    assert cm["metadata"]["namespace"] == mine["metadata"]["namespace"]


# ------------------------------------------------------- API schema, strictly

def schema_errors(value, type_name, path):
    """Errors of VALUE against the python3-kubernetes model TYPE_NAME: unknown
    fields, wrong types, nested. Quantities may be numbers or strings."""
    import kubernetes.client as kc
    errs = []
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        for i, v in enumerate(value):
            errs += schema_errors(v, type_name[5:-1], f"{path}[{i}]")
        return errs
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            return [f"{path}: expected a mapping, got {type(value).__name__}"]
        inner = type_name[type_name.index(",") + 1:-1].strip()
        for k, v in value.items():
            errs += schema_errors(v, inner, f"{path}.{k}")
        return errs
    simple = {"str": (str,), "int": (int,), "bool": (bool,), "float": (int, float),
              "datetime": (str,), "date": (str,), "object": (object,)}
    if type_name in simple:
        ok = isinstance(value, simple[type_name])
        if type_name == "int" and isinstance(value, bool):
            ok = False
        if type_name == "str" and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and re.search(r"\.(limits|requests)\.[^.]+$|\.size_limit$|sizeLimit$", path):
            ok = True  # a quantity written as a number
        return [] if ok else [f"{path}: expected {type_name}, got {value!r}"]
    cls = getattr(kc, type_name)
    if not isinstance(value, dict):
        return [f"{path}: expected a {type_name} mapping, got {value!r}"]
    by_json = {j: attr for attr, j in cls.attribute_map.items()}
    for k, v in value.items():
        if k not in by_json:
            errs.append(f"{path}.{k}: unknown field of {type_name}")
        else:
            errs += schema_errors(v, cls.openapi_types[by_json[k]], f"{path}.{k}")
    return errs


def api_errors(obj):
    """Unknown fields and wrong types, then the model's own required-field
    checks (client-side validation of the generated constructors)."""
    import kubernetes.client as kc
    model = {("v1", "Namespace"): "V1Namespace", ("v1", "ConfigMap"): "V1ConfigMap",
             ("apps/v1", "DaemonSet"): "V1DaemonSet"}[(obj["apiVersion"], obj["kind"])]
    errs = schema_errors(obj, model, obj["kind"])
    if errs:
        return errs

    class Response:
        data = json.dumps(obj)
    try:
        kc.ApiClient().deserialize(Response(), model)
    except ValueError as e:
        return [f"{obj['kind']}: {e}"]
    return []


def core_objects(objs):
    return [o for o in objs if o["apiVersion"] in ("v1", "apps/v1")]


def test_objects_match_the_kubernetes_api_types(objects):
    pytest.importorskip("kubernetes", reason="python3-kubernetes is not installed "
                        "(tools/setup.sh installs it)")
    assert len(core_objects(objects)) == 4
    for o in core_objects(objects):
        assert api_errors(o) == [], o["metadata"]["name"]


def broken_copies(ds):
    """A DaemonSet with one defect each, and what must be reported."""
    out = []
    d = json.loads(json.dumps(ds))
    d["spec"]["template"]["spec"]["containers"][0]["cpuLimit"] = "2"
    out.append((d, "cpuLimit"))
    d = json.loads(json.dumps(ds))
    d["spec"]["template"]["spec"]["hostNetwork"] = "yes"
    out.append((d, "hostNetwork"))
    d = json.loads(json.dumps(ds))
    del d["spec"]["template"]["spec"]["containers"][0]["name"]
    out.append((d, "name"))
    return out


def test_api_type_check_reports_defects(objects):
    """The check above is not a formality: an unknown field, a wrong type and
    a missing required field are each reported."""
    pytest.importorskip("kubernetes", reason="python3-kubernetes is not installed "
                        "(tools/setup.sh installs it)")
    ds, _ = sluice_container(objects)
    for bad, what in broken_copies(ds):
        errs = api_errors(bad)
        assert errs and what in " ".join(errs), (what, errs)


def missing_in(want, got, path=""):
    """Paths of WANT that GOT lacks or holds with another value."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [path or "."]
        out = []
        for k, v in want.items():
            out += missing_in(v, got.get(k), f"{path}.{k}") if k in got else [f"{path}.{k}"]
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [path]
        return [p for i, v in enumerate(want) for p in missing_in(v, got[i], f"{path}[{i}]")]
    if want != got and str(want) != str(got):
        return [f"{path} ({want!r} became {got!r})"]
    return []


def kubectl_typed(obj):
    """Decode OBJ into kubectl's compiled-in API types and back: `kubectl set
    serviceaccount --local` (no cluster) does that for any pod template."""
    sa = obj["spec"]["template"]["spec"].get("serviceAccountName", "default")
    return kubectl("set", "serviceaccount", "--local", "-f", "-", "-o", "json", sa,
                   stdin=json.dumps(obj))


@pytest.mark.skipif(KUBECTL is None, reason=NO_KUBECTL)
def test_kubectl_decodes_workloads_without_loss(objects):
    """kubectl's typed decoding rejects wrong types and malformed quantities;
    a field it does not know is dropped, so every field must come back."""
    for o in objects:
        if o["kind"] != "DaemonSet":
            continue
        r = kubectl_typed(o)
        assert r.returncode == 0, r.stderr
        assert missing_in(o, json.loads(r.stdout)) == [], o["metadata"]["name"]
    ds, _ = sluice_container(objects)
    unknown, wrong_type, _ = broken_copies(ds)
    r = kubectl_typed(unknown[0])
    assert r.returncode == 0 and any("cpuLimit" in p for p in
                                     missing_in(unknown[0], json.loads(r.stdout)))
    r = kubectl_typed(wrong_type[0])
    assert r.returncode != 0 and "hostNetwork" in r.stderr, r.stderr
    d = json.loads(json.dumps(ds))
    d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "two"
    r = kubectl_typed(d)
    assert r.returncode != 0 and "quantities must match" in r.stderr, r.stderr


def test_network_attachment_definition(objects):
    """The NAD is a Multus k8s.v1.cni.cncf.io/v1 object whose config is the
    JSON of an SR-IOV CNI network for a mirror port, and whose resource is
    the one the sluice container requests."""
    nads = of_kind(objects, "NetworkAttachmentDefinition")
    assert nads
    for nad in nads:
        assert nad["apiVersion"] == "k8s.cni.cncf.io/v1"
        assert set(nad) == {"apiVersion", "kind", "metadata", "spec"}
        assert set(nad["spec"]) == {"config"}
        cni = json.loads(nad["spec"]["config"])
        assert cni["type"] == "sriov"
        assert cni["name"] == nad["metadata"]["name"]
        assert re.match(r"^\d+\.\d+\.\d+$", cni["cniVersion"])
        # a mirror port receives other hosts' traffic: promiscuous VF
        assert cni["trust"] == "on" and cni["spoofchk"] == "off"
        res = nad["metadata"]["annotations"]["k8s.v1.cni.cncf.io/resourceName"]
        assert SRIOV_PREFIX.match(res), res


def attached_networks(template, namespace):
    """(namespace, NAD name, interface) of the Multus annotation, in either of
    its forms: "ns/name@iface, ..." or a JSON list."""
    a = template["metadata"].get("annotations", {}).get("k8s.v1.cni.cncf.io/networks")
    if not a:
        return []
    if a.strip().startswith("["):
        return [(n.get("namespace", namespace), n["name"], n.get("interface"))
                for n in json.loads(a)]
    out = []
    for item in a.split(","):
        item = item.strip()
        ns, _, rest = item.rpartition("/")
        name, _, iface = rest.partition("@")
        out.append((ns or namespace, name, iface or None))
    return out


def test_sriov_vf_attachment(objects):
    """The pod names an existing NAD in its own namespace, requests that NAD's
    SR-IOV resource (requests == limits), and the configuration reads the
    interface Multus creates."""
    ds, c = sluice_container(objects)
    ns = ds["metadata"]["namespace"]
    nets = attached_networks(ds["spec"]["template"], ns)
    assert nets
    cfg = yaml.safe_load(sluice_config_text(objects))
    ifaces = {re.search(r"iface=([^,]+)", i["vdev"]).group(1)
              for i in cfg["inputs"] if "iface=" in i.get("vdev", "")}
    for i, (nns, name, iface) in enumerate(nets):
        nad = one(objects, "NetworkAttachmentDefinition", name)
        assert nad["metadata"]["namespace"] == nns
        res = nad["metadata"]["annotations"]["k8s.v1.cni.cncf.io/resourceName"]
        req, lim = c["resources"]["requests"], c["resources"]["limits"]
        assert quantity(req[res]) == quantity(lim[res]) >= 1, res
        assert (iface or f"net{i + 1}") in ifaces
    assert ifaces <= {iface or f"net{i + 1}" for i, (_, _, iface) in enumerate(nets)}


# ------------------------------------------------------ the deployment's rules

def test_every_pod_is_guaranteed_with_whole_cpus_for_dpdk(objects):
    """requests == limits for every resource of every container (Guaranteed
    QoS); the DPDK container (hugepages) has whole CPUs, one for the main
    lcore and one per worker of the configuration; others have whole CPUs or
    a fraction (a sidecar in the shared pool)."""
    cfg = yaml.safe_load(sluice_config_text(objects))
    workers = 0
    for w in cfg["eal"]["worker_lcores"]:
        lo, _, hi = str(w).partition("-")
        workers += int(hi or lo) - int(lo) + 1
    specs = pod_specs(objects)
    assert len(specs) == 2
    for name, tpl in specs:
        for c in containers(tpl["spec"]):
            where = f"{name}/{c['name']}"
            req, lim = c["resources"]["requests"], c["resources"]["limits"]
            assert set(req) == set(lim), where
            assert "cpu" in lim and "memory" in lim, where
            for r in req:
                assert quantity(req[r]) == quantity(lim[r]), f"{where}: {r}"
            cpu = quantity(lim["cpu"])
            huge = [r for r in lim if r.startswith("hugepages-")]
            if huge:
                assert cpu.denominator == 1 and cpu == 1 + workers, \
                    f"{where}: cpu {cpu}, configuration has {workers} workers"
                assert len(huge) == 1, f"{where}: one hugepage size per pod (emptyDir medium)"
            else:
                assert cpu.denominator == 1 or cpu < 1, f"{where}: cpu {cpu}"


def test_hugepages_hold_what_sluice_allocates(objects):
    """The hugepages limit holds the packet pool and the flow tables as
    docs/operations.md sizes them, with room to spare."""
    cfg = yaml.safe_load(sluice_config_text(objects))
    _, c = sluice_container(objects)
    huge = sum(quantity(v) for r, v in c["resources"]["limits"].items()
               if r.startswith("hugepages-"))
    tuning = cfg.get("tuning", {})
    mbufs = tuning.get("mbufs", 65535) * (tuning.get("mbuf_size", 2176) + 256)
    flows = cfg.get("flow_table", {}).get("size", 1048576) * 160
    workers = quantity(c["resources"]["limits"]["cpu"]) - 1
    assert mbufs + flows * workers < huge * Fraction(8, 10), (mbufs, flows, huge)


def test_volumes_mounts_and_configuration_path(objects):
    for name, tpl in pod_specs(objects):
        spec = tpl["spec"]
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        assert len(vols) == len(spec.get("volumes", [])), f"{name}: duplicate volume"
        used = set()
        for c in containers(spec):
            for m in c.get("volumeMounts", []):
                assert m["name"] in vols, f"{name}/{c['name']}: no volume {m['name']}"
                used.add(m["name"])
            paths = [m["mountPath"] for m in c.get("volumeMounts", [])]
            assert len(paths) == len(set(paths)), f"{name}/{c['name']}: {paths}"
        assert used == set(vols), f"{name}: volumes nobody mounts: {set(vols) - used}"
        for v in vols.values():
            if "configMap" in v:
                one(objects, "ConfigMap", v["configMap"]["name"])
            if "emptyDir" in v and v["emptyDir"].get("medium", "").startswith("HugePages"):
                mounts = [m["mountPath"] for c in containers(spec)
                          for m in c.get("volumeMounts", []) if m["name"] == v["name"]]
                assert mounts == ["/dev/hugepages"], mounts
    ds, c = sluice_container(objects)
    env = env_of(c)
    # SL_CONFIG is a ConfigMap item (sluice_config_text finds it), the same
    # for the reload sidecar, and both share SL_RUN_DIR on one volume
    text = sluice_config_text(objects)
    with open(os.path.join(K8S, "sluice.yaml")) as f:
        assert text == f.read()
    spec = ds["spec"]["template"]["spec"]
    reload_c = [x for x in spec["containers"] if x["name"] == "reload"][0]
    assert env_of(reload_c)["SL_CONFIG"] == env["SL_CONFIG"]
    assert env_of(reload_c)["SL_RUN_DIR"] == env["SL_RUN_DIR"]
    for x in (c, reload_c):
        run = [m for m in x["volumeMounts"] if m["mountPath"] == env["SL_RUN_DIR"]]
        assert len(run) == 1 and not run[0].get("readOnly")
    assert spec["shareProcessNamespace"] is True  # the sidecar signals sluice


def host_dir_of(spec, container, path):
    """(hostPath path, mountPath) of the volume under which PATH lies."""
    vols = {v["name"]: v for v in spec["volumes"]}
    for m in container.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/") + "/"
        if path.startswith(mp):
            v = vols[m["name"]]
            return (v["hostPath"]["path"] if "hostPath" in v else None), m["mountPath"]
    return None, None


def test_analyzers_share_rings_and_sockets_on_the_node(objects):
    """Every ring file and memif socket of the configuration is on a hostPath
    of the node's tmpfs (/run or /dev/shm) that the sluice container mounts;
    every ring an analyzer opens is a ring output of the configuration, on
    the same host directory; analyzers run on sluice's nodes, unprivileged,
    in the group sluice gives its ring files."""
    cfg = yaml.safe_load(sluice_config_text(objects))
    ds, c = sluice_container(objects)
    spec = ds["spec"]["template"]["spec"]
    rings = {o["ring"]["path"] for o in cfg["outputs"] if "ring" in o}
    sockets = {re.search(r"socket=([^,]+)", o["vdev"]).group(1) for o in cfg["outputs"]
               if o.get("vdev", "").startswith("net_memif")}
    assert rings and sockets
    for p in rings | sockets:
        host, mnt = host_dir_of(spec, c, p)
        assert host is not None, f"{p}: not on a hostPath volume of the sluice container"
        assert host.startswith(("/run/", "/dev/shm/")), host
        assert host == mnt, "the same path inside and outside keeps paths readable"
    analyzers = [(n, t) for n, t in pod_specs(objects) if n != "sluice"]
    assert analyzers
    opened = set()
    for name, tpl in analyzers:
        aspec = tpl["spec"]
        assert aspec["nodeSelector"] == spec["nodeSelector"], name
        for ac in aspec["containers"]:
            sc = {**aspec.get("securityContext", {}), **ac.get("securityContext", {})}
            assert sc.get("runAsNonRoot") is True and sc["runAsUser"] != 0, name
            assert sc["runAsGroup"] == c["securityContext"]["runAsGroup"], name
            assert sc["capabilities"]["drop"] == ["ALL"] and not sc.get("privileged")
            script = " ".join(ac.get("command", []) + ac.get("args", []))
            for p in re.findall(r"(/run/sluice/rings/[A-Za-z0-9_.-]+)", script):
                assert p in rings, f"{name}: {p} is no ring output of the configuration"
                assert host_dir_of(aspec, ac, p) == host_dir_of(spec, c, p), p
                opened.add(p)
    assert opened, "no analyzer opens a ring"


def test_security_context_and_probes(objects):
    ds, c = sluice_container(objects)
    for name, tpl in pod_specs(objects):
        for x in containers(tpl["spec"]):
            sc = x.get("securityContext", {})
            assert sc.get("privileged") is not True, f"{name}/{x['name']}"
            assert sc.get("allowPrivilegeEscalation") is False, f"{name}/{x['name']}"
            assert sc.get("readOnlyRootFilesystem") is True, f"{name}/{x['name']}"
            assert sc["capabilities"]["drop"] == ["ALL"], f"{name}/{x['name']}"
    caps = set(c["securityContext"]["capabilities"]["add"])
    assert {"IPC_LOCK", "NET_ADMIN", "NET_RAW"} <= caps <= \
        {"IPC_LOCK", "NET_ADMIN", "NET_RAW", "SYS_NICE", "SYS_RAWIO"}, caps
    cfg = yaml.safe_load(sluice_config_text(objects))
    prefix = [a.split("=", 1)[1] for a in cfg["eal"]["args"] if a.startswith("--file-prefix=")]
    assert prefix == [env_of(c)["SL_FILE_PREFIX"]], "the probes ask the wrong telemetry socket"
    for probe, check in (("startupProbe", "ready"), ("readinessProbe", "ready"),
                         ("livenessProbe", "live")):
        assert c[probe]["exec"]["command"] == ["sluice-probe", check], probe


# ------------------------------------------------------- sluice configuration

def test_configmap_configuration_passes_sluice_check(objects, tmp):
    path = os.path.join(tmp, "sluice.yaml")
    with open(path, "w") as f:
        f.write(sluice_config_text(objects))
    r = subprocess.run([SLUICE, "--config", path, "--check", "--", "--lcores=0@0,1@1"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stdout and "1 workers" in r.stdout


def entrypoint(tmp, *args, config=None, **env):
    e = dict(os.environ, SL_CONFIG=config or os.path.join(K8S, "sluice.yaml"),
             SL_RUN_DIR=os.path.join(tmp, "run"), SL_SLUICE=SLUICE, SL_CPUS="0-1")
    e.update(env)
    return subprocess.run([ENTRYPOINT, *args], capture_output=True, text=True, env=e,
                          timeout=60)


def test_entrypoint_maps_lcores_onto_the_containers_cpus(tmp):
    """lcore 0 (main) on the first CPU the container may use, one worker
    lcore on each further CPU, whatever CPUs the CPU manager picked."""
    for cpus, want in (("0-1", "0@0,1@1"), ("4-5,8", "0@4,1@5,2@8"),
                       ("3,7-9,12", "0@3,1@7,2@8,3@9,4@12")):
        r = entrypoint(tmp, "lcores", SL_CPUS=cpus)
        assert (r.returncode, r.stdout) == (0, want + "\n"), r.stderr
    mine = sorted(os.sched_getaffinity(0))
    r = entrypoint(tmp, "lcores", SL_CPUS="")
    assert r.stdout == ",".join(f"{i}@{c}" for i, c in enumerate(mine)) + "\n" or \
        len(mine) < 2
    r = entrypoint(tmp, "lcores", SL_CPUS="5")
    assert r.returncode == 1 and "need at least 2 CPUs" in r.stderr
    r = entrypoint(tmp, "lcores", SL_LCORES="0@2,1@3")
    assert r.stdout == "0@2,1@3\n"


def test_entrypoint_renders_sriov_placeholders_and_checks(tmp):
    """A ${PCIDEVICE_...} placeholder becomes the address the device plugin
    put in the environment (here a PCI device of this machine, as --check
    wants it to exist); comments stay as they are; unset, several devices, or
    too few CPUs are clear errors."""
    devs = sorted(os.listdir("/sys/bus/pci/devices")) if os.path.isdir(
        "/sys/bus/pci/devices") else []
    if not devs:
        pytest.skip("this machine has no PCI device to stand for a VF")
    with open(os.path.join(K8S, "sluice.yaml")) as f:
        text = f.read()
    vdev = re.search(r'^    vdev: "net_af_packet0[^"]*"$', text, re.M).group(0)
    text = text.replace(vdev, '    pci: "${PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK}"')
    text = "# an address: ${PCIDEVICE_UNSET}\n" + text
    cfg = os.path.join(tmp, "vfio.yaml")
    with open(cfg, "w") as f:
        f.write(text)
    var = "PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK"
    r = entrypoint(tmp, "check", config=cfg, **{var: devs[0]})
    assert r.returncode == 0, r.stderr
    with open(os.path.join(tmp, "run", "sluice.yaml")) as f:
        rendered = f.read()
    assert rendered == "".join(
        line if line.lstrip().startswith("#") else line.replace("${" + var + "}", devs[0])
        for line in text.splitlines(keepends=True))
    assert "${PCIDEVICE_UNSET}" in rendered and '    pci: "' + devs[0] + '"' in rendered
    env = {k: v for k, v in os.environ.items() if k != var}
    r = subprocess.run([ENTRYPOINT, "check"], capture_output=True, text=True,
                       env=dict(env, SL_CONFIG=cfg, SL_RUN_DIR=os.path.join(tmp, "run"),
                                SL_SLUICE=SLUICE, SL_CPUS="0-1"))
    line = text[:re.search(r'^    pci: "\$', text, re.M).start()].count("\n") + 1
    assert r.returncode == 1 and \
        f"vfio.yaml:{line}: ${{{var}}}: {var} is not set" in r.stderr, r.stderr
    r = entrypoint(tmp, "check", config=cfg, **{var: f"{devs[0]},{devs[-1]}"})
    assert r.returncode == 1 and "holds several devices" in r.stderr, r.stderr
    r = entrypoint(tmp, "check", config=cfg, SL_CPUS="1", **{var: devs[0]})
    assert r.returncode == 1 and "need at least 2 CPUs" in r.stderr, r.stderr
    # sluice's own verdict comes through: an address that does not exist
    r = entrypoint(tmp, "check", config=cfg, **{var: "0000:ff:1f.7"})
    assert r.returncode == 1 and "no such PCI device '0000:ff:1f.7'" in r.stderr, r.stderr


# -------------------------------------------------------------- Containerfile

def containerfile():
    """(instruction, arguments) of the Containerfile, continuation lines
    joined, comments dropped."""
    out, cur = [], ""
    with open(CONTAINERFILE) as f:
        for line in f:
            s = line.rstrip("\n")
            if not cur and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if s.endswith("\\"):
                cur += s[:-1] + " "
                continue
            cur += s
            ins, _, rest = cur.strip().partition(" ")
            out.append((ins.upper(), rest.strip()))
            cur = ""
    assert not cur
    return out


def stages():
    """{stage name: [(instruction, args)]}."""
    st, name = {}, None
    for ins, rest in containerfile():
        if ins == "FROM":
            m = re.match(r"^(\S+)\s+AS\s+(\S+)$", rest, re.I)
            assert m, rest
            name = m.group(2)
            st[name] = [(ins, m.group(1))]
        elif name is not None:
            st[name].append((ins, rest))
    return st


def apt_packages(instructions):
    pkgs = []
    for ins, rest in instructions:
        if ins != "RUN":
            continue
        for cmd in rest.split("&&"):
            words = shlex.split(cmd)
            if "apt-get" in words and "install" in words:
                pkgs += [w for w in words[words.index("install") + 1:]
                         if not w.startswith("-")]
    return pkgs


def setup_sh():
    with open(os.path.join(ROOT, "tools", "setup.sh")) as f:
        return f.read()


def setup_pkgs():
    m = re.search(r"^PKGS=\((.*?)\)", setup_sh(), re.S | re.M)
    return m.group(1).split()


def test_containerfile_stages_and_build_commands():
    st = stages()
    assert list(st) == ["build", "runtime"]
    args = dict(ins.split("=", 1) for i, ins in containerfile() if i == "ARG")
    for s in st.values():
        base = s[0][1].replace("${DEBIAN_IMAGE}", args["DEBIAN_IMAGE"])
        assert re.match(r"^(docker\.io/library/)?debian:bookworm(-slim)?$", base), base
    # the build packages are tools/setup.sh's (dpdk-dev is only its tools)
    build_pkgs = apt_packages(st["build"])
    assert set(build_pkgs) <= set(setup_pkgs()), set(build_pkgs) - set(setup_pkgs())
    assert {"meson", "ninja-build", "libdpdk-dev", "build-essential"} <= set(build_pkgs)
    # the same build commands as tools/setup.sh, plus the install prefix; no
    # -Dmarch (native would tie the image to the build machine's CPU)
    setup_cmds = [shlex.split(c) for c in re.findall(r"\$\((meson setup [^)]*?) 2>&1\)",
                                                       setup_sh())]
    setup_cmds += [shlex.split(c) for c in re.findall(r"\$\((ninja -C build) 2>&1\)",
                                                        setup_sh())]
    assert [c[:2] for c in setup_cmds] == [["meson", "setup"], ["ninja", "-C"]]
    runs = [shlex.split(r) for i, r in st["build"] if i == "RUN" and "apt-get" not in r]
    meson = [r for r in runs if r[:2] == ["meson", "setup"]]
    ninja = [r for r in runs if r[:1] == ["ninja"]]
    assert len(meson) == 1 and meson[0][:len(setup_cmds[0])] == setup_cmds[0]
    extra = meson[0][len(setup_cmds[0]):]
    assert extra == ["--prefix=/usr"], extra
    assert ninja == [setup_cmds[1]]
    # everything it installs by hand exists and is executable
    install = [r for r in runs if r[:2] == ["meson", "install"]][0]
    files = [w for w in install if w.startswith("tools/")]
    assert {"tools/container/sluice-entrypoint", "tools/container/sluice-probe",
            "tools/container/sluice-reload"} <= set(files)
    for f in files:
        assert os.access(os.path.join(ROOT, f), os.X_OK), f
    user = [r for i, r in st["runtime"] if i == "USER"]
    assert user == ["10001:10001"]
    ep = [r for i, r in st["runtime"] if i == "ENTRYPOINT"]
    assert json.loads(ep[0]) == ["/usr/bin/sluice-entrypoint"]


def apt_lists_present():
    return bool(glob.glob("/var/lib/apt/lists/*_Packages*"))


def test_containerfile_packages_exist_in_debian():
    if not apt_lists_present():
        pytest.skip("no apt package lists on this machine (apt-get update): "
                    "cannot look packages up")
    st = stages()
    pkgs = apt_packages(st["build"]) + apt_packages(st["runtime"])
    assert len(pkgs) > 30
    # one look-up for all: a package apt knows has a section with a candidate
    r = subprocess.run(["apt-cache", "policy", *pkgs], capture_output=True, text=True,
                       env=dict(os.environ, LC_ALL="C"))
    candidate = dict(re.findall(r"^(\S+):\n  Installed: .*\n  Candidate: (.*)$", r.stdout,
                                re.M))
    missing = [p for p in pkgs if candidate.get(p, "(none)") == "(none)"]
    assert missing == []


def packages_of(patterns):
    """{pattern: packages that hold a file matching it}, in one dpkg -S."""
    r = subprocess.run(["dpkg", "-S", *patterns], capture_output=True, text=True)
    owners = [(line.split(": ", 1)[0], line.split(": ", 1)[1])
              for line in r.stdout.splitlines() if ": " in line]
    out = {}
    for p in patterns:
        rx = re.compile("^" + ".*".join(map(re.escape, p.split("*"))) + "$")
        out[p] = {pkg.split(":")[0] for pkgs, path in owners if rx.match(path)
                  for pkg in pkgs.split(", ")}
        assert out[p], f"no package provides {p}"
    return out


def needed(binary):
    r = subprocess.run(["objdump", "-p", binary], capture_output=True, text=True, check=True)
    return re.findall(r"^\s*NEEDED\s+(\S+)$", r.stdout, re.M)


def test_runtime_packages_provide_what_sluice_loads(objects):
    """Every shared library sluice and sl-ringcat link, every DPDK driver the
    configuration's ports load, and every program the manifests run comes
    from a package of the runtime stage (or from the base image's libc)."""
    runtime = set(apt_packages(stages()["runtime"]))
    base = {"libc6", "libgcc-s1"}
    libs = {f"*/{lib}": os.path.basename(b) for b in (SLUICE, RINGCAT) for lib in needed(b)}
    assert len(libs) > 10
    for pat, pkgs in packages_of(list(libs)).items():
        assert pkgs & (runtime | base), f"{libs[pat]}: {pat} comes from {pkgs}"
    cfg = yaml.safe_load(sluice_config_text(objects))
    drivers = {p["vdev"].split(",")[0].rstrip("0123456789")
               for p in cfg["inputs"] + cfg["outputs"] if "vdev" in p}
    # every sluice: mempools on rings, the vdev bus; the VF PMDs of
    # docs/operations.md for the vfio-pci variant
    pmds = ["mempool_ring", "bus_vdev", "bus_pci", "net_iavf", "net_i40e", "net_ice"]
    pmds += sorted(drivers)
    assert {"net_af_packet", "net_memif"} <= drivers
    for pat, pkgs in packages_of([f"*/dpdk/pmds-*/librte_{d}.so.*" for d in pmds]).items():
        assert pkgs & runtime, f"driver {pat}: {pkgs} not in the runtime stage"
    programs = {"python3": "python3", "tcpdump": "tcpdump", "pidof": "procps"}
    for prog, pkg in programs.items():
        assert pkg in runtime, prog
    with open(PROBE) as f:
        assert f.readline().strip() == "#!/usr/bin/python3"


def test_manifest_commands_are_in_the_image(objects):
    """What the manifests run is installed by the Containerfile."""
    installed = {"sluice", "sl-gen", "sl-ringcat"}  # meson install
    install = [r for i, r in stages()["build"] if i == "RUN" and "meson install" in r][0]
    installed |= {os.path.basename(w) for w in shlex.split(install) if w.startswith("tools/")}
    runtime = set(apt_packages(stages()["runtime"]))
    for name, tpl in pod_specs(objects):
        for c in containers(tpl["spec"]):
            cmd = c.get("command", ["sluice-entrypoint"])[0]
            assert cmd in installed or cmd.startswith("/bin/"), f"{name}/{c['name']}: {cmd}"
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if probe in c:
                    assert c[probe]["exec"]["command"][0] in installed
            script = " ".join(c.get("args", []))
            for prog in re.findall(r"\b(sl-ringcat|tcpdump|sluice-\w+)\b", script):
                assert prog in installed or prog in runtime, prog


# -------------------------------------------- the pod's commands, for real

def probe(prefix, *args):
    return subprocess.run([PROBE, "--prefix", prefix, "--timeout", "5", *args],
                          capture_output=True, text=True, timeout=30)


def wait_until(cond, what, procs=(), explain=None):
    """COND() within WAIT seconds; on a timeout or an exit, the failure says
    what EXPLAIN() returns (the processes' logs, the member's state)."""
    deadline = time.monotonic() + WAIT
    while True:
        v = cond()
        if v:
            return v
        for p in procs:
            if p.poll() is not None:
                pytest.fail(f"{what}: {p.args[0]} exited with {p.returncode}"
                            + (f"\n{explain()}" if explain else ""))
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}" + (f"\n{explain()}" if explain else ""))
        time.sleep(0.1)


def tail_of(path, n=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return str(e)


def member_field(prefix, tid, field):
    """A field of member 0 of pool 0 of tenant tid (/sluice/members pages a
    pool's members, each under its index), None before sluice answers."""
    r = probe(prefix, "query", f"/sluice/members,{tid},0")
    m = json.loads(r.stdout).get("0") if r.returncode == 0 else None
    return m.get(field) if isinstance(m, dict) else None


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: veth interfaces, DPDK")
@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed")
def test_pod_commands_run_sluice_analyzer_probes_and_reload(objects, tmp):
    """The sluice container's entrypoint starts sluice on the ConfigMap's
    configuration, with its af_packet input on a veth instead of the VF and
    the node's /run/sluice under /dev/shm; the capture analyzer's own script
    (from analyzer-capture.yaml) reads the ring into tcpdump; the probes tell
    live and ready; the reload sidecar refuses a bad edit and signals sluice
    for a good one. Every frame sent is in the analyzer's capture."""
    n = os.urandom(4).hex()
    node_run = f"/dev/shm/sl-k8s-{n}"
    veth, peer = f"slk{n}a", f"slk{n}b"
    prefix = f"sl-test-k8s-{n}"
    cfg_text = sluice_config_text(objects)
    # the node's directories and the VF's name
    cfg_text = cfg_text.replace("/run/sluice/", node_run + "/").replace("iface=net1",
                                                                         f"iface={veth}")
    # smaller tables than a sensor's: this machine is shared
    cfg_text = cfg_text.replace("size: 1048576", "size: 65536").replace("mbufs: 65535",
                                                                      "mbufs: 8191")
    assert "/run/sluice/" not in cfg_text and f"iface={veth}" in cfg_text
    cm = os.path.join(tmp, "etc", "sluice.yaml")
    os.makedirs(os.path.dirname(cm))
    with open(cm, "w") as f:
        f.write(cfg_text)
    os.makedirs(f"{node_run}/rings")
    os.makedirs(f"{node_run}/memif")
    run_dir = os.path.join(tmp, "run")
    # the pods' identities: sluice root with group 10001 (runAsGroup), the
    # analyzer 10001:10001 (the image's user sluice), writing its captures
    # to a directory of its own
    ds, c = sluice_container(objects)
    gid = c["securityContext"]["runAsGroup"]
    analyzer = one(objects, "DaemonSet", "analyzer-capture")["spec"]["template"]["spec"]
    uid, agid = analyzer["securityContext"]["runAsUser"], analyzer["securityContext"][
        "runAsGroup"]
    captures = f"{node_run}/captures"
    os.makedirs(captures)
    os.chown(captures, uid, agid)
    script = analyzer["containers"][0]["args"][0]
    assert "/run/sluice/rings/capture0" in script and "/captures/" in script
    script = script.replace("/run/sluice/", node_run + "/").replace("/captures/",
                                                                     captures + "/")
    # sl-ringcat as in the analyzer's image: a copy the analyzer's user can
    # run (the build tree may sit in a directory only root can enter, as
    # under `mktemp -d`)
    image_bin = f"{node_run}/bin"
    os.makedirs(image_bin)
    shutil.copy2(RINGCAT, image_bin)
    os.chmod(image_bin, 0o755)
    env = dict(os.environ, SL_CONFIG=cm, SL_RUN_DIR=run_dir, SL_SLUICE=SLUICE,
               SL_CPUS=",".join(map(str, sorted(os.sched_getaffinity(0))[:2])),
               PATH=image_bin + ":" + os.environ["PATH"])
    inp, _ = gen(tmp, "in", "--flows", 32, "--tenants", 2, "--vlan-base", 100,
                 "--packets", 4, "--udp", 30)
    frames = read_pcap(inp)
    sl = ana = None
    out = open(os.path.join(tmp, "sluice.out"), "w+")
    err = open(os.path.join(tmp, "sluice.err"), "w+")
    try:
        ip("link", "add", veth, "type", "veth", "peer", "name", peer)
        for i in (veth, peer):
            with open(f"/proc/sys/net/ipv6/conf/{i}/disable_ipv6", "w") as f:
                f.write("1")
            ip("link", "set", i, "up")
        assert probe(prefix, "live").returncode == 1  # nothing there yet
        # its own process group, as in its container: "kill 0" stops the pipeline
        ana_err = os.path.join(tmp, "analyzer.err")
        with open(ana_err, "w") as ana_errf:
            ana = subprocess.Popen(["/bin/sh", "-c", script], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=ana_errf,
                                   start_new_session=True, user=uid, group=agid, extra_groups=[])
        sl = subprocess.Popen([ENTRYPOINT, f"--file-prefix={prefix}",
                               "--log-level=lib.eal:error"], env=env,
                              stdin=subprocess.DEVNULL, stdout=out, stderr=err, group=gid)
        wait_until(lambda: probe(prefix, "ready").returncode == 0, "sluice-probe ready", [sl])
        assert probe(prefix, "live").returncode == 0
        # the entrypoint became sluice, and left what the sidecar needs
        with open(os.path.join(run_dir, "sluice.pid")) as f:
            assert int(f.read()) == sl.pid
        with open(f"/proc/{sl.pid}/comm") as f:
            assert f.read().strip() == "sluice"
        # the ring is the analyzers' group's, read and write (umask 007)
        st = os.stat(f"{node_run}/rings/capture0")
        assert st.st_gid == agid and st.st_mode & 0o777 == 0o660, oct(st.st_mode)
        cpus = env["SL_CPUS"].split(",")
        r = subprocess.run(["bash", "-c", '. "$1" && echo "$SL_LCORES"', "-",
                            os.path.join(run_dir, "render.env")], capture_output=True, text=True)
        assert r.stdout == f"0@{cpus[0]},1@{cpus[1]}\n", r.stderr
        wait_until(lambda: member_field(prefix, 100, "state") == "up",
                   "the capture analyzer to attach", [sl, ana],
                   lambda: f"member: {probe(prefix, 'query', '/sluice/members,100,0').stdout}\n"
                   f"analyzer stderr:\n{tail_of(ana_err)}\nsluice stderr:\n"
                   f"{tail_of(err.name)}")

        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
            s.bind((peer, 0))
            for fr in frames:
                s.send(fr)
        wait_until(lambda: (member_field(prefix, 100, "forwarded") or 0) >= len(frames),
                   "sluice to forward the frames to the capture ring", [sl, ana])

        # the reload sidecar: nothing changed, a bad edit, a good edit
        renv = dict(env, SL_SLUICE=SLUICE)
        r = subprocess.run([RELOAD, "--once"], env=renv, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        with open(os.path.join(run_dir, "sluice.yaml")) as f:
            running = f.read()
        with open(cm, "w") as f:
            f.write(cfg_text.replace("flow_table:\n  size: 65536",
                                     "flow_table:\n  size: 1000"))
        r = subprocess.run([RELOAD, "--once"], env=renv, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1 and "refused" in r.stderr and \
            "flow_table.size: 1000 out of range" in r.stderr, r.stderr
        with open(os.path.join(run_dir, "sluice.yaml")) as f:
            assert f.read() == running
        with open(cm, "w") as f:
            f.write(cfg_text.replace("flow_table:\n  size: 65536",
                                     "flow_table:\n  size: 32768"))
        r = subprocess.run([RELOAD, "--once"], env=renv, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0 and f"sent SIGHUP to sluice (pid {sl.pid})" in r.stderr, \
            r.stderr
        with open(os.path.join(run_dir, "sluice.yaml")) as f:
            assert "size: 32768" in f.read()

        def hup_seen():
            err.seek(0)
            return "SIGHUP" in err.read()
        wait_until(hup_seen, "sluice to log the SIGHUP", [sl])
        assert probe(prefix, "ready").returncode == 0

        sl.send_signal(signal.SIGTERM)  # what the kubelet sends
        assert sl.wait(timeout=WAIT) == 0
        assert probe(prefix, "live").returncode == 1
        # sluice removed its ring: sl-ringcat and tcpdump end, tcpdump's
        # file is complete, the script waits for the next ring
        wait_until(lambda: not os.path.exists(f"{node_run}/rings/capture0") and
                   subprocess.run(["pgrep", "-P", str(ana.pid), "tcpdump"],
                                  capture_output=True).returncode != 0,
                   "the analyzer's tcpdump to finish", [ana])
        ana.send_signal(signal.SIGTERM)  # what the kubelet sends
        assert ana.wait(timeout=WAIT) == 0
        files = sorted(glob.glob(os.path.join(captures, "capture0.pcap*")))
        assert files, os.listdir(captures)
        got = Counter(fr for fname in files for fr in read_pcap(fname))
    finally:
        if sl is not None and sl.poll() is None:
            sl.kill()
            sl.wait()
        if ana is not None:
            try:
                os.killpg(ana.pid, signal.SIGKILL)  # the group the test started
            except ProcessLookupError:
                pass
            ana.wait()
        subprocess.run(["ip", "link", "del", veth], capture_output=True)
        cleanup_prefix(prefix)
        shutil.rmtree(node_run, ignore_errors=True)
        out.close()
        err.close()
    with open(os.path.join(tmp, "sluice.out")) as f:
        lines = [json.loads(line) for line in f if line.startswith("{")]
    final = lines[-1]["stats"]
    assert final["final"] is True
    campus = [t for t in final["tenants"] if t["id"] == 100][0]
    m = campus["pools"][0]["members"][0]
    assert Counter(frames) - got == Counter(), "frames sent but not captured"
    assert m["forwarded"] == sum(got.values()) and m["tx_refused"] == 0
