# SPDX-License-Identifier: BSD-3-Clause
"""End to end: log lines. Every line on stderr, sluice's and DPDK's, starts
with the time and the level (or the syslog priority when stderr is the
journal); DPDK's start-up chatter is quiet unless --log-level asks for it;
a port that fails to configure says why in sluice's own message."""
import os
import re
import subprocess
import uuid

from conftest import SLUICE, cleanup_prefix, gen

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4} "
                  r"(EMERG|ALERT|CRIT|ERR|WARNING|NOTICE|INFO|DEBUG) \S")


def config(inp, extra=""):
    return f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={inp}"}}]
outputs: [{{name: o0, vdev: "net_null0,no-rx=1"}}]
tenants:
  - {{name: acme, id: 7, match: {{vlan: [100]}}, pools: [{{name: p, members: [o0]}}]}}
{extra}"""


def run(tmp, text, *eal, env=None, stderr=subprocess.PIPE):
    cfg = os.path.join(tmp, "sluice.yaml")
    with open(cfg, "w") as f:
        f.write(text)
    prefix = "sl-test-log-" + uuid.uuid4().hex[:10]
    try:
        return subprocess.run([SLUICE, "--config", cfg, "--exit-on-idle", "300",
                               "--stats-path", os.path.join(tmp, "stats.json"), "--",
                               f"--file-prefix={prefix}", "--in-memory", *eal],
                              stderr=stderr, stdout=subprocess.DEVNULL, text=True,
                              timeout=120, env=env)
    finally:
        cleanup_prefix(prefix)


def test_every_line_has_time_and_level_and_eal_is_quiet(tmp):
    inp, _ = gen(tmp, "l", "--flows", 10, "--vlan-base", 100)
    r = run(tmp, config(inp))
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert lines and all(LINE.match(l) for l in lines), r.stderr
    assert any(re.search(r" INFO sluice: running: 1 workers", l) for l in lines), r.stderr
    # EAL's INFO lines are not shown by default...
    assert "Detected CPU lcores" not in r.stderr
    # ...but --log-level after "--" wins, and its lines are formatted too
    r = run(tmp, config(inp), "--log-level=lib.eal:info")
    assert r.returncode == 0, r.stderr
    eal = [l for l in r.stderr.splitlines() if "EAL: Detected CPU lcores" in l]
    assert eal and all(LINE.match(l) and " INFO EAL: " in l for l in eal), r.stderr


def test_journal_gets_syslog_priorities(tmp):
    """Under systemd stderr is the journal (JOURNAL_STREAM names it): lines
    carry <priority> for journald instead of a time of their own."""
    inp, _ = gen(tmp, "l", "--flows", 10, "--vlan-base", 100)
    err = os.path.join(tmp, "err.log")
    with open(err, "w") as f:
        st = os.fstat(f.fileno())
        env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        r = run(tmp, config(inp), env=env, stderr=f)
    text = open(err).read()
    assert r.returncode == 0, text
    assert any(l.startswith("<6>sluice: running: 1 workers") for l in text.splitlines()), text
    assert all(re.match(r"<[0-7]>\S", l) for l in text.splitlines()), text


def test_port_error_says_what_the_driver_said(tmp):
    """A memif server socket in a directory that does not exist: the driver
    refuses the port, and only its own log line says why. sluice's message
    names the configuration line and carries the driver's reason."""
    inp, _ = gen(tmp, "l", "--flows", 10, "--vlan-base", 100)
    sock = os.path.join(tmp, "no-such-dir", "o0.sock")
    text = f"""eal: {{main_lcore: 0, worker_lcores: [1]}}
inputs: [{{name: in, vdev: "net_pcap0,rx_pcap={inp}"}}]
outputs: [{{name: o0, vdev: "net_memif0,role=server,socket={sock},socket-abstract=no"}}]
tenants:
  - {{name: acme, id: 7, match: {{vlan: [100]}}, pools: [{{name: p, members: [o0]}}]}}
"""
    r = run(tmp, text)
    assert r.returncode != 0
    msg = [l for l in r.stderr.splitlines() if "driver refused" in l]
    assert msg, r.stderr
    assert LINE.match(msg[0]) and " ERR sluice: " in msg[0]
    assert re.search(r"sluice\.yaml:3:11: outputs\.vdev: output 'o0': DPDK's net_memif driver "
                     r"refused .*\(driver: .*Invalid socket directory", msg[0]), msg[0]
