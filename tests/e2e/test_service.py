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
import shutil
import socket
import subprocess

import pytest

from conftest import (BUILD, ROOT, SLUICE, gen, null_out, pcap_in, pool, sluice_config,
                      stats_lines, tenant, wait_for)

PREFIX = "/usr/local"   # meson's default prefix, the build's
# the man pages are built when pandoc is there (tools/setup.sh installs it)
PANDOC = shutil.which("pandoc")
TOOLS = ["sluice", "sl-bypass", "sl-report", "sl-top", "sl-capture", "sl-ringcat", "sl-gen"]


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("destdir"))
    r = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", d, "--no-rebuild",
                        "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return d


def one_tenant(inp, interval):
    """acme (VLAN 100) on a looping pcap, one discarding member."""
    return sluice_config([pcap_in(inp, infinite=True)], [null_out("o0", 0)],
                         [tenant("acme", 7, [pool("p", ["o0"])], match={"vlan": [100]})],
                         stats={"interval": interval})


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


def test_meson_install_puts_everything_in_place(dest):
    for t in TOOLS:
        p = installed(dest, "bin", t)
        assert os.access(p, os.X_OK), f"{t} not installed"
    man = ["share/man/man8/sluice.8", "share/man/man5/sluice.yaml.5"] if PANDOC else []
    for f in ["etc/sluice/sluice.reference.yaml", "etc/sluice/demo.yaml",
              "etc/logrotate.d/sluice", "lib/systemd/system/sluice.service",
              "share/doc/sluice/operations.md", "share/doc/sluice/configuration.md",
              "share/doc/sluice/README.md"] + man:
        assert os.path.isfile(installed(dest, f)), f
    # the installed binaries run
    r = subprocess.run([installed(dest, "bin", "sluice"), "--version"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("sluice "), r.stderr
    for t in ("sl-bypass", "sl-report", "sl-top", "sl-capture"):
        r = subprocess.run(["/usr/bin/python3", installed(dest, "bin", t), "--help"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and "usage" in r.stdout.lower(), (t, r.stderr)


def systemd_root(dest):
    """A root for systemd-analyze: the install plus systemd's own units
    (targets the unit refers to) and /bin/kill (ExecReload)."""
    units = os.path.join(dest, "usr", "lib", "systemd", "system")
    if not os.path.isdir(units):
        shutil.copytree("/usr/lib/systemd/system", units, symlinks=True)
        os.makedirs(os.path.join(dest, "bin"), exist_ok=True)
        shutil.copy("/usr/bin/kill", os.path.join(dest, "bin", "kill"))
    return dest


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze (Debian systemd) not installed")
def test_systemd_unit_verifies(dest):
    root = systemd_root(dest)
    unit = f"{PREFIX}/lib/systemd/system/sluice.service"
    text = open(root + unit).read()
    assert "Type=notify" in text and "WatchdogSec=" in text
    assert f"ExecStart={PREFIX}/bin/sluice --config {PREFIX}/etc/sluice/sluice.yaml" in text
    env = dict(os.environ, MANPATH=installed(dest, "share", "man"))
    man = [] if PANDOC else ["--man=no"]  # no man pages to find without pandoc
    r = subprocess.run(["systemd-analyze", "verify", f"--root={root}", *man, unit],
                       capture_output=True, text=True, timeout=120, env=env)
    # verify exits 0 on some problems too: any output is a finding
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
    # and it does find problems (a broken copy of the unit)
    bad = f"{PREFIX}/lib/systemd/system/sluice-broken.service"
    with open(root + bad, "w") as f:
        f.write(text.replace("Type=notify", "Type=notifyy").replace(
            f"{PREFIX}/bin/sluice --config", f"{PREFIX}/bin/nonexistent --config"))
    r = subprocess.run(["systemd-analyze", "verify", f"--root={root}", bad],
                       capture_output=True, text=True, timeout=120, env=env)
    os.unlink(root + bad)
    assert "notifyy" in r.stderr and "nonexistent" in r.stderr, r.stderr


@pytest.mark.skipif(shutil.which("man") is None or PANDOC is None,
                    reason="man (Debian man-db) or pandoc not installed")
def test_man_pages_render(dest):
    env = dict(os.environ, MANWIDTH="100", MAN_DISABLE_SECCOMP="1")
    out = {}
    for page in ("man8/sluice.8", "man5/sluice.yaml.5"):
        r = subprocess.run(["man", "-P", "cat", "-l", installed(dest, "share", "man", page)],
                           capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 0, r.stderr
        out[page] = r.stdout
    s8, s5 = out["man8/sluice.8"], out["man5/sluice.yaml.5"]
    assert s8.startswith("SLUICE(8)") and "SYNOPSIS" in s8 and "--version" in s8
    assert "SIGHUP" in s8 and "EXIT STATUS" in s8
    # sluice.yaml(5) is the configuration reference itself
    assert s5.startswith("SLUICE.YAML(5)")
    for key in ("worker_lcores", "flow_table", "on_member_down", "Validation rules"):
        assert key in s5, key


def logrotate_conf(path_glob, pid):
    """The installed snippet for the test's files, HUP to the test's sluice."""
    text = open(os.path.join(ROOT, "config", "service", "sluice.logrotate")).read()
    text = text.replace("/var/log/sluice/*.json", path_glob)
    return re.sub(r"(postrotate\n)\s*.*\n", rf"\1\t\tkill -HUP {pid}\n", text)


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="logrotate not installed")
def test_logrotate_snippet_and_sighup_reopen(tmp, dest, peers):
    snippet = installed(dest, "etc", "logrotate.d", "sluice")
    r = subprocess.run(["logrotate", "-d", "-s", os.path.join(tmp, "state0"), snippet],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "error" not in (r.stdout + r.stderr).lower(), r.stderr
    assert "rotating pattern: /var/log/sluice/*.json" in r.stdout + r.stderr

    # a real rotation: the stats file is moved, SIGHUP, sluice writes a new one
    inp, _ = gen(tmp, "lr", "--flows", 50, "--vlan-base", 100)
    cfg = one_tenant(inp, 0.2)
    sl = peers.sluice(cfg)
    wait_for(lambda: len(stats_lines(sl.stats)) >= 2, "stats lines", [sl.proc])
    conf = os.path.join(tmp, "logrotate.conf")
    with open(conf, "w") as f:
        f.write(logrotate_conf(os.path.join(tmp, "*.json"), sl.proc.pid))
    r = subprocess.run(["logrotate", "-f", "-s", os.path.join(tmp, "state"), conf],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    rotated = sl.stats + ".1"
    assert os.path.exists(rotated)
    wait_for(lambda: len(stats_lines(sl.stats)) >= 2, "lines in the new stats file",
             [sl.proc])
    final = sl.finish()
    old, new = stats_lines(rotated), stats_lines(sl.stats)
    # every line whole, none lost: uptime goes on from the old file to the new
    assert old and new and final["final"]
    assert all(a["uptime"] < b["uptime"] for a, b in zip(old + new, (old + new)[1:]))
    assert not any(l["final"] for l in old)
    assert re.search(r"SIGHUP: reloading .*, reopening flow record and stats files",
                     sl.stderr()), sl.stderr()


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
    cfg = one_tenant(inp, 0.5)
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
