# SPDX-License-Identifier: BSD-3-Clause
"""End to end: sluice as an installed service. `meson install` into a
DESTDIR puts every tool, config, doc, man page, the systemd unit and the
logrotate snippet in place; systemd-analyze verifies the installed unit
(with the installed binary and man pages), `man -l` renders the pages,
logrotate accepts the snippet and a real rotation makes sluice reopen its
stats file on SIGHUP; sd_notify readiness, watchdog and status reach a
notify socket the test listens on, as systemd's would."""
import os
import re
import socket
import subprocess

import pytest

from conftest import BUILD, ROOT, SLUICE, gen, wait_for

PREFIX = "/usr/local"   # meson's default prefix, the build's
TOOLS = ["sluice", "sl-bypass", "sl-report", "sl-ringcat", "sl-gen"]


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("destdir"))
    r = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", d, "--no-rebuild",
                        "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return d


def installed(dest, *parts):
    return os.path.join(dest, PREFIX.lstrip("/"), *parts)


def meson_version():
    text = open(os.path.join(ROOT, "meson.build")).read()
    return re.search(r"version: '([^']+)'", text).group(1)


def test_version():
    r = subprocess.run([SLUICE, "--version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"sluice " + re.escape(meson_version()) + r"( \(git \S+\))?", lines[0])
    if os.path.isdir(os.path.join(ROOT, ".git")) or os.path.isfile(os.path.join(ROOT, ".git")):
        assert "(git " in lines[0], lines[0]
    dpdk = subprocess.run(["pkg-config", "--modversion", "libdpdk"], capture_output=True,
                          text=True).stdout.strip()
    assert lines[1] == f"DPDK {dpdk} (built against DPDK {dpdk})", lines[1]
    assert re.fullmatch(r"build: (gcc|clang) [\d.]+, \w+, -march=\S+, lto (on|off), "
                        r"sanitizers \S+", lines[2]), lines[2]


def notify_listener(tmp):
    path = os.path.join(tmp, "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.2)
    return s, path


def drain(s):
    msgs = []
    while True:
        try:
            msgs.append(s.recv(4096).decode())
        except socket.timeout:
            return msgs


@pytest.mark.parametrize("watchdog", [True, False])
def test_sd_notify_ready_watchdog_status(tmp, watchdog, peers):
    inp, _ = gen(tmp, "sd", "--flows", 50, "--vlan-base", 100)
    s, path = notify_listener(tmp)
    env = {"NOTIFY_SOCKET": path}
    if watchdog:
        env["WATCHDOG_USEC"] = "1000000"   # keep-alive every 0.5 s
    cfg = f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={inp},infinite_rx=1"}}]
outputs: [{{name: o0, vdev: "net_null0,no-rx=1"}}]
tenants:
  - {{name: acme, id: 7, match: {{vlan: [100]}}, pools: [{{name: p, members: [o0]}}]}}
stats: {{interval: 0.5}}
"""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        sl = peers.sluice(cfg)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v
    msgs = []

    def heard():
        """A status with the rates, and (with a watchdog) two keep-alives."""
        msgs.extend(drain(s))
        return any(m.startswith("STATUS=") and " pps in" in m for m in msgs) and \
            (not watchdog or msgs.count("WATCHDOG=1") >= 2)
    try:
        wait_for(heard, "sluice's notifications", [sl.proc])
        final = sl.finish()
        msgs += drain(s)
    finally:
        s.close()
    assert msgs and msgs[0].startswith("READY=1\nSTATUS=running: 1 workers, 1 inputs"), msgs
    status = [m for m in msgs if m.startswith("STATUS=") and " pps in" in m]
    assert status, msgs
    assert re.fullmatch(r"STATUS=\d+ pps in, \d+ pps out, \d+ drops/s; \d+ received, \d+ "
                        r"forwarded, \d+ dropped; ledger balanced", status[-1]), status[-1]
    n_received = int(re.search(r"(\d+) received", status[-1]).group(1))
    assert n_received <= final["ledger"]["received"]
    keepalives = msgs.count("WATCHDOG=1")
    if watchdog:
        assert keepalives >= 2, msgs   # one per 0.5 s
    else:
        assert keepalives == 0, msgs
    assert msgs[-1].startswith("STOPPING=1"), msgs
