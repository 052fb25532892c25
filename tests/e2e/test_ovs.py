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
port as virtio-user (server=1) and writes two pcap members (the analyzers).

Checked: OVS's own port counters (ovs-ofctl dump-ports) reconcile with
tcpreplay and with sluice's ledger, and the analyzers' captures hold every
mirrored frame, byte for byte, each flow, both directions, in one member.
Whether every frame gets through depends on OVS's PMD thread and sluice's
worker getting the CPU in time (libpcap's buffer on the uplink port: OVS's
rx_drop; a full virtio ring: OVS's tx_drop): the test requires that such
frames are counted there, not that there are none.
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

    def ports(self):
        """Live OpenFlow port counters: name -> {rx, rx_drop, tx, tx_drop}."""
        names = {}
        for m in re.finditer(r"^ (\d+)\(([^)]+)\):", sh("ovs-ofctl", "show",
                                                        f"unix:{self.dir}/br0.mgmt").stdout, re.M):
            names[m.group(1)] = m.group(2)
        out = sh("ovs-ofctl", "dump-ports", f"unix:{self.dir}/br0.mgmt").stdout
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
                if os.path.exists(pidfile):
                    try:
                        pid = int(open(pidfile).read().strip())
                        for _ in range(50):
                            os.kill(pid, 0)
                            time.sleep(0.1)
                        os.kill(pid, signal.SIGKILL)
                    except (ValueError, ProcessLookupError):
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


def sensor_config(sock, out):
    """sluice reading the mirror port as virtio-user (server: OVS connects
    to it). vhost-user takes at most 8 memory regions: with --in-memory
    every hugepage is one unless the EAL uses a file per segment list."""
    return sluice_config(
        [{"name": "ovs-mirror", "distribution": "software",
          "vdev": f"net_virtio_user0,path={sock},server=1,queues=1,queue_size=1024"}],
        pcap_outs(out, ["ids0", "ids1"]),
        [tenant("vms", 1, [pool("p", ["ids0", "ids1"], hash="5-tuple")],
                match={"untagged": True, "vlan": ["1-4094"]})],
        eal={"main_lcore": 0, "worker_lcores": [1], "args": ["--single-file-segments"]},
        flow_table={"size": 65536}, tuning={"mbufs": 16383}, stats={"interval": 0.2})


def run_through_ovs(ovs, peers, tmp, capture):
    """sluice behind OVS's mirror; tcpreplay plays capture into the bridge.
    Returns (frames sent, OVS's port counters, sluice's final stats, the
    members' output directory)."""
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    sock = peers.path(f"{ovs.dir}/sensor.sock")
    sl = peers.sluice(sensor_config(sock, out))
    # sluice (virtio-user server) waits in its probe for OVS to connect
    sl.wait(lambda: os.path.exists(sock), "sluice's vhost-user socket")
    ovs.vsctl("add-port", "br0", "sensor", "--", "set", "interface", "sensor",
              "type=dpdkvhostuserclient", f"options:vhost-server-path={sock}")
    ovs.vsctl("add-port", "br0", "vm", "--", "set", "interface", "vm", "type=dpdk",
              f"options:dpdk-devargs=net_pcap8,tx_pcap={tmp}/vm.pcap")
    ovs.vsctl("--", "--id=@p", "get", "port", "sensor", "--", "--id=@m", "create", "mirror",
              "name=to-sensor", "select_all=true", "output-port=@p", "--", "set", "bridge",
              "br0", "mirrors=@m")
    ovs.vsctl("add-port", "br0", "uplink", "--", "set", "interface", "uplink", "type=dpdk",
              "options:dpdk-devargs=net_pcap9,rx_iface=ovs-in")
    sl.wait(lambda: "running:" in sl.stderr() and sl.last() is not None, "sluice running")
    assert ovs.vsctl("get", "interface", "sensor", "link_state").strip() == "up"
    # the port is in OVS's OpenFlow mapping before a frame arrives
    assert "in_port=" in ovs.appctl("ovs-vswitchd", "ofproto/trace", "br0", "in_port=uplink")
    tr = sh("ip", "netns", "exec", ovs.feed_ns, "tcpreplay", "-i", "feed", "--pps", 2000, capture)
    sent = int(re.search(r"Successful packets:\s+(\d+)", tr.stdout).group(1))

    # until OVS and sluice have nothing left in flight
    state = {"seen": None, "same": 0}

    def settled():
        p, s = ovs.ports(), sl.last()
        cur = (p["uplink"]["rx"], p["sensor"]["tx"], p["sensor"]["tx_drop"],
               s["ledger"]["received"])
        state["same"] = state["same"] + 1 if cur == state["seen"] else 0
        state["seen"] = cur
        time.sleep(0.2)
        return state["same"] >= 5
    sl.wait(settled, "OVS's and sluice's counters to settle")
    ports = ovs.ports()
    return sent, ports, sl.finish(), out


@pytest.mark.parametrize("source", ["slgen", "corpus"])
def test_ovs_mirror_to_sluice_over_vhost_user(ovs, peers, tmp, source):
    if source == "corpus":
        capture = os.path.join(CORPUS, CORPUS_CAPTURE)
        if not os.path.exists(capture):
            pytest.skip(f"corpus capture {CORPUS_CAPTURE} not found under {CORPUS}")
    else:
        capture = os.path.join(tmp, "vms.pcap")
        sh(SL_GEN, "-o", capture, "--flows", 200, "--tenants", 2, "--vlan-base", 10,
           "--ipv6", 30, "--udp", 30, "--icmp", 10, "--packets", 6, "--frame", "imix",
           "--seed", 21)
    frames = read_pcap(capture)
    sent, ports, s, out = run_through_ovs(ovs, peers, tmp, capture)
    lg = s["ledger"]
    assert lg["balanced"] and lg["in_flight"] == 0, lg
    # OVS's counters: every frame tcpreplay sent reached the bridge's uplink
    # port (or its capture buffer overflowed while OVS's PMD thread did not
    # run: rx_drop), and the mirror gave each frame the bridge received to
    # the sensor port once: sent to sluice, or dropped by OVS when sluice's
    # virtio ring was full (tx_drop). Losses are counted, never silent.
    assert sent == len(frames)
    received, in_dropped = ports["uplink"]["rx"], ports["uplink"]["rx_drop"]
    assert received + in_dropped == sent, ports
    mirrored, ovs_dropped = ports["sensor"]["tx"], ports["sensor"]["tx_drop"]
    assert mirrored + ovs_dropped == received, ports
    # ... and reconcile with sluice's ledger and the analyzers' files
    assert s["inputs"][0]["ipackets"] == lg["received"] == mirrored
    assert lg["forwarded"] == lg["received"] and lg["dropped"] == 0, s["drops"]
    members = {m["output"]: m["forwarded"] for t in s["tenants"] for p in t["pools"]
               for m in p["members"]}
    got = {m: read_pcap(os.path.join(out, f"{m}.pcap")) for m in members}
    assert {m: len(v) for m, v in got.items()} == members
    # the analyzers hold every mirrored frame, byte for byte
    held, played = collections.Counter(f for v in got.values() for f in v), \
        collections.Counter(frames)
    assert not held - played and sum((played - held).values()) == in_dropped + ovs_dropped
    where = collections.defaultdict(set)
    for m, fr in got.items():
        for f in fr:
            where[flow_of(f)].add(m)
    assert all(len(ms) == 1 for ms in where.values()), \
        [f for f, ms in where.items() if len(ms) > 1][:5]
    assert all(got.values()), "one analyzer got nothing"
