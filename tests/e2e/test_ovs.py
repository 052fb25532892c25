# SPDX-License-Identifier: BSD-3-Clause
"""End to end: sluice as the NFV sensor behind Open vSwitch with DPDK.

The hypervisor's switch is Debian's openvswitch-switch-dpdk, run from a
private directory (its own ovsdb-server and ovs-vswitchd, no systemd), its
DPDK given --no-pci --in-memory and a unique --file-prefix, one PMD core.
A netdev bridge has a traffic source (a net_pcap vdev port reading a veth
that tcpreplay feeds from another namespace: OVS starts polling a port
before its OpenFlow mapping exists, so an rx_pcap file, read in the first
milliseconds, would be lost to failed upcalls), a destination port, and an
OVS mirror (select_all) to a dpdkvhostuserclient port. sluice reads that
port as virtio-user (server=1) and delivers to two analyzers, either
- as pcap members (sluice writes the files), or
- back into OVS: each member is a virtio-user server (net_virtio_user,
  server=1) that a dpdkvhostuserclient port of its own analyzer bridge
  connects to, and one OpenFlow rule per bridge outputs what sluice sends
  to a net_pcap tx_pcap port (the analyzer's capture, written by OVS). The
  analyzer bridges are separate from the mirrored bridge, so what sluice
  sends back is never mirrored to it again.

Checked: OVS's own port counters (ovs-ofctl dump-ports) reconcile with
tcpreplay, with sluice's ledger and per-member counts, and (back into OVS)
with the analyzer bridges' ports; the analyzers' captures hold every
mirrored frame, byte for byte, each flow, both directions, in one member.
Whether every frame gets through depends on OVS's PMD thread and sluice's
worker getting the CPU in time (libpcap's buffer on the uplink port: OVS's
rx_drop; a full virtio ring: OVS's tx_drop towards sluice, sluice's
tx_refused towards OVS): the test requires that such frames are counted
there, not that there are none.
Every process, socket, namespace and DPDK run directory is removed.
"""
import collections
import os
import re
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import (CORPUS, SL_GEN, cleanup_prefix, pcap_outs, pool, read_pcap, sluice_config,
                      tenant, uid)
from test_rig import flow_of

OVS_DPDK = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
CORPUS_CAPTURE = "output-eve-ftp-data_input.pcap"


def vswitchd():
    """The DPDK build of ovs-vswitchd: the alternative tools/setup.sh selects
    (update-alternatives), or the DPDK binary itself."""
    for p in (shutil.which("ovs-vswitchd"), OVS_DPDK):
        if p and os.access(p, os.X_OK):
            v = subprocess.run([p, "--version"], capture_output=True, text=True).stdout
            if "DPDK" in v:
                return p
    return None


def why_skip():
    if os.geteuid() != 0:
        return "needs root (network namespaces, DPDK)"
    if vswitchd() is None or not os.path.exists(SCHEMA):
        return "openvswitch-switch-dpdk not installed (tools/setup.sh installs it)"
    if shutil.which("tcpreplay") is None:
        return "tcpreplay not installed (tools/setup.sh installs it)"
    return None


pytestmark = pytest.mark.skipif(why_skip() is not None, reason=str(why_skip()))


def sh(*cmd, check=True, env=None):
    return subprocess.run(list(map(str, cmd)), check=check, capture_output=True, text=True,
                          env=env, timeout=60)


class Ovs:
    """ovsdb-server + ovs-vswitchd (DPDK) in a private run directory, the
    switch in its own network namespace, fed through a veth from another."""

    def __init__(self, tmp):
        tag = uid()[:8]
        self.dir = os.path.join(tmp, "ovs")
        os.makedirs(self.dir)
        self.ns, self.feed_ns = f"slovs-{tag}", f"slovsf-{tag}"
        self.prefix = f"slovs-{tag}"
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_DBDIR=self.dir,
                        OVS_LOGDIR=self.dir)
        self.db = f"unix:{self.dir}/db.sock"
        self.started = []

    def vsctl(self, *args):
        return sh("ovs-vsctl", f"--db={self.db}", "--timeout=30", *args, env=self.env).stdout

    def appctl(self, target, *args, check=True):
        return sh("ovs-appctl", "-t", f"{self.dir}/{target}.ctl", *args, env=self.env,
                  check=check).stdout

    def start(self):
        for ns in (self.ns, self.feed_ns):
            sh("ip", "netns", "add", ns)
            self.started.append(("netns", ns))
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", self.feed_ns, "link", "add", "feed", "mtu", 9000, "type", "veth", "peer",
           "name", "ovs-in", "netns", self.ns, "mtu", 9000)
        sh("ip", "-n", self.feed_ns, "link", "set", "feed", "up")
        sh("ip", "-n", self.ns, "link", "set", "ovs-in", "up")
        sh("ovsdb-tool", "create", f"{self.dir}/conf.db", SCHEMA)
        d = self.dir
        sh("ovsdb-server", f"{d}/conf.db", f"--remote=punix:{d}/db.sock",
           f"--pidfile={d}/ovsdb-server.pid", f"--unixctl={d}/ovsdb-server.ctl",
           f"--log-file={d}/ovsdb-server.log", "--detach", "--no-chdir", env=self.env)
        self.started.append(("ovs", "ovsdb-server"))
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   f"other_config:dpdk-extra=--no-pci --in-memory --file-prefix={self.prefix}",
                   "other_config:dpdk-socket-mem=256", "other_config:dpdk-lcore-mask=0x1",
                   "other_config:pmd-cpu-mask=0x1")
        sh("ip", "netns", "exec", self.ns, vswitchd(), self.db, f"--pidfile={d}/ovs-vswitchd.pid",
           f"--unixctl={d}/ovs-vswitchd.ctl", f"--log-file={d}/ovs-vswitchd.log", "--detach",
           "--no-chdir", env=self.env)
        self.started.append(("ovs", "ovs-vswitchd"))
        assert self.vsctl("get", "Open_vSwitch", ".", "dpdk_initialized").strip() == "true", \
            self.log()
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")

    def log(self):
        try:
            with open(f"{self.dir}/ovs-vswitchd.log") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def ofctl(self, bridge, *args):
        return sh("ovs-ofctl", *args[:1], f"unix:{self.dir}/{bridge}.mgmt", *args[1:]).stdout

    def add_analyzer(self, name, sock, capture, pcap_port):
        """A bridge of its own for an analyzer that sluice sends to: the
        dpdkvhostuserclient port `name` (OVS connects to sluice's
        virtio-user server at sock) and a net_pcap port writing capture.
        fail_mode=secure starts the bridge without OVS's NORMAL flow, and
        the one rule outputs everything from sluice to the capture port:
        no MAC learning (it would drop a reply whose destination was
        learnt on the port it came in on), no flooding, no path back."""
        br, cap = f"br-{name}", f"cap-{name}"
        self.vsctl("add-br", br, "--", "set", "bridge", br, "datapath_type=netdev",
                   "fail_mode=secure",
                   "--", "add-port", br, name, "--", "set", "interface", name,
                   "type=dpdkvhostuserclient", f"options:vhost-server-path={sock}",
                   "--", "add-port", br, cap, "--", "set", "interface", cap, "type=dpdk",
                   f"options:dpdk-devargs=net_pcap{pcap_port},tx_pcap={capture}")
        self.ofctl(br, "add-flow", f"in_port={name},actions=output:{cap}")
        assert self.ofctl(br, "dump-flows").count("actions=") == 1

    def ports(self, bridge="br0"):
        """Live OpenFlow port counters: name -> {rx, rx_drop, tx, tx_drop}."""
        names = {}
        for m in re.finditer(r"^ (\d+)\(([^)]+)\):", self.ofctl(bridge, "show"), re.M):
            names[m.group(1)] = m.group(2)
        out = self.ofctl(bridge, "dump-ports")
        res = {}
        for m in re.finditer(r"port\s+(\w+): rx pkts=(\d+), bytes=\d+, drop=(\d+).*?\n\s+"
                             r"tx pkts=(\d+), bytes=\d+, drop=(\d+)", out):
            res[names.get(m.group(1), m.group(1))] = dict(
                rx=int(m.group(2)), rx_drop=int(m.group(3)), tx=int(m.group(4)),
                tx_drop=int(m.group(5)))
        return res

    def stop(self):
        for kind, what in reversed(self.started):
            if kind == "ovs":
                args = ("exit", "--cleanup") if what == "ovs-vswitchd" else ("exit",)
                self.appctl(what, *args, check=False)
                pidfile = f"{self.dir}/{what}.pid"
                # the daemon removes its pid file as it exits, which may
                # be between any two of these steps: gone is done
                try:
                    with open(pidfile) as f:
                        pid = int(f.read().strip())
                    for _ in range(50):
                        os.kill(pid, 0)
                        time.sleep(0.1)
                    os.kill(pid, signal.SIGKILL)
                except (FileNotFoundError, ValueError, ProcessLookupError):
                    pass
            else:
                sh("ip", "netns", "del", what, check=False)
        cleanup_prefix(self.prefix)
        # the sockets (database, control, OpenFlow, vhost-user); logs stay
        for name in os.listdir(self.dir):
            if stat.S_ISSOCK(os.stat(os.path.join(self.dir, name)).st_mode):
                os.unlink(os.path.join(self.dir, name))


@pytest.fixture
def ovs(tmp):
    o = Ovs(tmp)
    try:
        o.start()
        yield o
    finally:
        o.stop()
        # nothing of ours is left: processes, namespaces, sockets
        left = sh("pgrep", "-f", o.dir, check=False).stdout.split()
        assert not left, f"processes left: {left}"
        assert o.ns not in sh("ip", "netns", "list").stdout


ANALYZERS = ("ids0", "ids1")


def virtio_server(n, sock):
    """A virtio-user port that is the vhost-user server at sock (OVS's
    dpdkvhostuserclient port connects to it, and again after a restart)."""
    return f"net_virtio_user{n},path={sock},server=1,queues=1,queue_size=1024"


def sensor_config(sock, outputs):
    """sluice reading the mirror port as virtio-user (server: OVS connects
    to it), one pool of members on outputs. vhost-user takes at most 8
    memory regions: with --in-memory every hugepage is one unless the EAL
    uses a file per segment list."""
    return sluice_config(
        [{"name": "ovs-mirror", "distribution": "software", "vdev": virtio_server(0, sock)}],
        outputs,
        [tenant("vms", 1, [pool("p", [o["name"] for o in outputs], hash="5-tuple")],
                match={"untagged": True, "vlan": ["1-4094"]})],
        eal={"main_lcore": 0, "worker_lcores": [1], "args": ["--single-file-segments"]},
        flow_table={"size": 65536}, tuning={"mbufs": 16383}, stats={"interval": 0.2})


def run_through_ovs(ovs, peers, tmp, capture, into_ovs):
    """sluice behind OVS's mirror; tcpreplay plays capture into the bridge.
    sluice's members write pcap files, or (into_ovs) are vhost-user ports
    of analyzer bridges whose capture ports write them. Returns (frames
    sent, OVS's port counters by bridge, sluice's final stats, the frames
    of each analyzer's capture)."""
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    captures = {n: os.path.join(out, f"{n}.pcap") for n in ANALYZERS}
    sock = peers.path(f"{ovs.dir}/sensor.sock")
    socks = {n: peers.path(f"{ovs.dir}/{n}.sock") for n in ANALYZERS} if into_ovs else {}
    if into_ovs:
        outputs = [{"name": n, "vdev": virtio_server(1 + i, socks[n])}
                   for i, n in enumerate(ANALYZERS)]
    else:
        outputs = pcap_outs(out, ANALYZERS)
    sl = peers.sluice(sensor_config(sock, outputs))
    # sluice (virtio-user server) waits in its probe for OVS to connect
    sl.wait(lambda: os.path.exists(sock), "sluice's vhost-user socket")
    ovs.vsctl("add-port", "br0", "sensor", "--", "set", "interface", "sensor",
              "type=dpdkvhostuserclient", f"options:vhost-server-path={sock}")
    ovs.vsctl("add-port", "br0", "vm", "--", "set", "interface", "vm", "type=dpdk",
              f"options:dpdk-devargs=net_pcap8,tx_pcap={tmp}/vm.pcap")
    ovs.vsctl("--", "--id=@p", "get", "port", "sensor", "--", "--id=@m", "create", "mirror",
              "name=to-sensor", "select_all=true", "output-port=@p", "--", "set", "bridge",
              "br0", "mirrors=@m")
    bridges = {"br0": ["sensor"]}
    if into_ovs:
        # ... then, probing its outputs in order, for each analyzer port
        for i, n in enumerate(ANALYZERS):
            sl.wait(lambda p=socks[n]: os.path.exists(p), f"sluice's vhost-user socket {n}")
            ovs.add_analyzer(n, socks[n], captures[n], 10 + i)
            bridges[f"br-{n}"] = [n]
    ovs.vsctl("add-port", "br0", "uplink", "--", "set", "interface", "uplink", "type=dpdk",
              "options:dpdk-devargs=net_pcap9,rx_iface=ovs-in")
    sl.wait(lambda: "running:" in sl.stderr() and sl.last() is not None, "sluice running")
    for vhost in (p for ps in bridges.values() for p in ps):
        assert ovs.vsctl("get", "interface", vhost, "link_state").strip() == "up", vhost
    assert all(o["state"] == "up" for o in sl.last()["outputs"]), sl.last()["outputs"]
    # the port is in OVS's OpenFlow mapping before a frame arrives
    assert "in_port=" in ovs.appctl("ovs-vswitchd", "ofproto/trace", "br0", "in_port=uplink")
    tr = sh("ip", "netns", "exec", ovs.feed_ns, "tcpreplay", "-i", "feed", "--pps", 2000, capture)
    sent = int(re.search(r"Successful packets:\s+(\d+)", tr.stdout).group(1))

    # until OVS (every bridge) and sluice have nothing left in flight
    state = {"seen": None, "same": 0}

    def settled():
        s = sl.last()
        cur = (sorted((b, sorted(ovs.ports(b).items())) for b in bridges),
               s["ledger"]["received"], s["ledger"]["forwarded"], s["ledger"]["dropped"])
        state["same"] = state["same"] + 1 if cur == state["seen"] else 0
        state["seen"] = cur
        time.sleep(0.2)
        return state["same"] >= 5
    sl.wait(settled, "OVS's and sluice's counters to settle")
    ports = {b: ovs.ports(b) for b in bridges}
    s = sl.finish()
    if into_ovs:
        # removing a capture port closes its file: nothing is left buffered
        for n in ANALYZERS:
            ovs.vsctl("del-port", f"br-{n}", f"cap-{n}")
    return sent, ports, s, {n: read_pcap(captures[n]) for n in ANALYZERS}


def capture_of(source, tmp):
    if source == "corpus":
        capture = os.path.join(CORPUS, CORPUS_CAPTURE)
        if not os.path.exists(capture):
            pytest.skip(f"corpus capture {CORPUS_CAPTURE} not found under {CORPUS}")
        return capture
    capture = os.path.join(tmp, "vms.pcap")
    sh(SL_GEN, "-o", capture, "--flows", 200, "--tenants", 2, "--vlan-base", 10,
       "--ipv6", 30, "--udp", 30, "--icmp", 10, "--packets", 6, "--frame", "imix",
       "--seed", 21)
    return capture


def check_delivered(frames, sent, ports, s, got, lost_after):
    """What OVS mirrored to sluice is in the analyzers' captures: every
    frame, byte for byte, but the lost_after frames lost (and counted)
    past sluice's input; each flow, both directions, in one analyzer."""
    lg = s["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0, lg
    # OVS's counters: every frame tcpreplay sent reached the bridge's uplink
    # port (or its capture buffer overflowed while OVS's PMD thread did not
    # run: rx_drop), and the mirror gave each frame the bridge received to
    # the sensor port once: sent to sluice, or dropped by OVS when sluice's
    # virtio ring was full (tx_drop). Losses are counted, never silent; and
    # nothing an analyzer got came back to the mirror.
    br0 = ports["br0"]
    assert sent == len(frames)
    received, in_dropped = br0["uplink"]["rx"], br0["uplink"]["rx_drop"]
    assert received + in_dropped == sent, br0
    mirrored, ovs_dropped = br0["sensor"]["tx"], br0["sensor"]["tx_drop"]
    assert mirrored + ovs_dropped == received, br0
    # ... and reconcile with sluice's ledger
    assert s["inputs"][0]["ipackets"] == lg["received"] == mirrored
    # the analyzers hold every mirrored frame, byte for byte
    held, played = collections.Counter(f for v in got.values() for f in v), \
        collections.Counter(frames)
    assert not held - played
    assert sum((played - held).values()) == in_dropped + ovs_dropped + lost_after
    where = collections.defaultdict(set)
    for m, fr in got.items():
        for f in fr:
            where[flow_of(f)].add(m)
    assert all(len(ms) == 1 for ms in where.values()), \
        [f for f, ms in where.items() if len(ms) > 1][:5]
    assert all(got.values()), "one analyzer got nothing"


def members_of(s):
    return {m["output"]: m for t in s["tenants"] for p in t["pools"] for m in p["members"]}


@pytest.mark.parametrize("source", ["slgen", "corpus"])
def test_ovs_mirror_to_sluice_over_vhost_user(ovs, peers, tmp, source):
    capture = capture_of(source, tmp)
    frames = read_pcap(capture)
    sent, ports, s, got = run_through_ovs(ovs, peers, tmp, capture, into_ovs=False)
    lg = s["ledger"]
    assert lg["forwarded"] == lg["received"] and lg["dropped"] == 0, s["drops"]
    # sluice wrote each member's file: all it forwarded
    assert {m: len(v) for m, v in got.items()} == \
        {n: m["forwarded"] for n, m in members_of(s).items()}
    check_delivered(frames, sent, ports, s, got, 0)


@pytest.mark.parametrize("source", ["slgen", "corpus"])
def test_ovs_mirror_to_sluice_back_into_ovs(ovs, peers, tmp, source):
    """sluice's members are vhost-user ports of OVS analyzer bridges."""
    capture = capture_of(source, tmp)
    frames = read_pcap(capture)
    sent, ports, s, got = run_through_ovs(ovs, peers, tmp, capture, into_ovs=True)
    lg, members = s["ledger"], members_of(s)
    assert set(members) == set(ANALYZERS)
    # sluice forwarded each packet or, when OVS had not yet emptied a
    # member's virtio ring, counted it refused; no member went down (a
    # flow resteered would be in two analyzers)
    refused = sum(m["tx_refused"] for m in members.values())
    assert all(m["link_down"] == 0 for m in members.values()), members
    assert lg["forwarded"] + refused == lg["received"] and lg["dropped"] == refused, s["drops"]
    assert sum(m["forwarded"] for m in members.values()) == lg["forwarded"]
    lost = refused
    for n in ANALYZERS:
        br, cap = ports[f"br-{n}"], f"cap-{n}"
        # OVS received on the member's port what sluice says it forwarded
        # there (rx_drop: OVS's ingress policing), sent nothing back to
        # sluice, and wrote each frame to the capture port or counted it
        assert br[n]["rx"] + br[n]["rx_drop"] == members[n]["forwarded"], (n, br, members[n])
        assert br[n]["tx"] == 0 and br[cap]["rx"] == 0, br
        assert br[cap]["tx"] + br[cap]["tx_drop"] == br[n]["rx"], br
        assert len(got[n]) == br[cap]["tx"], (n, len(got[n]), br)
        lost += br[n]["rx_drop"] + br[cap]["tx_drop"]
    check_delivered(frames, sent, ports, s, got, lost)
