# SPDX-License-Identifier: BSD-3-Clause
"""End to end: the /metrics endpoint. promtool checks the Prometheus text,
prometheus_client's strict OpenMetrics parser reads the OpenMetrics text,
and a real Prometheus server (started here with its own config and storage,
scraping every second) stores sluice's series with the values sluice reports
in its final stats line."""
import json
import os
import shutil
import socket
import subprocess
import urllib.parse
import urllib.request

import pytest

from conftest import (gen, null_out, pcap_in, pool, run_sluice, sluice_config, stats_lines, stop,
                      tenant, wait_for)

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(inp, port):
    return sluice_config([pcap_in(inp)], [null_out(f"o{i}", i) for i in range(3)],
                         [tenant("acme", 7, [pool("p", ["o0", "o1"])], match={"vlan": [100]}),
                          tenant("beta", 8, [pool("q", ["o2"])], match={"vlan": [101]})],
                         stats={"interval": 0.2}, metrics={"listen": f"127.0.0.1:{port}"})


def get(url, accept=None):
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    # a generous bound: a loaded test machine may starve the server's thread
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def expected(st):
    """(metric name, labels) -> value, from a stats line."""
    exp = {("sluice_received_packets_total", ()): st["ledger"]["received"],
           ("sluice_forwarded_packets_total", ()): st["ledger"]["forwarded"],
           ("sluice_dropped_packets_total", (("reason", "no_tenant"),)):
               st["drops"]["no_tenant"],
           ("sluice_input_received_bytes_total", (("input", "in"),)):
               st["inputs"][0]["bytes"],
           ("sluice_ledger_balanced", ()): 1}
    for t in st["tenants"]:
        exp[("sluice_tenant_received_packets_total", (("tenant", t["name"]),))] = t["packets"]
        exp[("sluice_tenant_received_bytes_total", (("tenant", t["name"]),))] = t["bytes"]
        for p in t["pools"]:
            for i, m in enumerate(p["members"]):
                lab = (("member", str(i)), ("output", m["output"]), ("pool", p["name"]),
                       ("tenant", t["name"]))
                exp[("sluice_member_forwarded_packets_total", lab)] = m["forwarded"]
                exp[("sluice_member_forwarded_bytes_total", lab)] = m["bytes"]
                exp[("sluice_member_up", lab)] = 1
    return exp


def parse_text(text):
    """Samples of Prometheus text 0.0.4 (sluice writes no spaces in labels)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        name, _, labels = series.partition("{")
        lab = tuple(sorted(tuple(kv.split("=", 1)) for kv in labels.rstrip("}").split(",")
                           if kv)) if labels else ()
        out[(name, tuple((k, v.strip('"')) for k, v in lab))] = int(value)
    return out


def prometheus_config(tmp, port):
    path = os.path.join(tmp, "prometheus.yml")
    with open(path, "w") as f:
        f.write(f"""global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: sluice
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
""")
    return path


def query(base, promql):
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    _, _, body = get(url)
    r = json.loads(body)
    assert r["status"] == "success", r
    return {(s["metric"]["__name__"] if "__name__" in s["metric"] else promql,
             tuple(sorted((k, v) for k, v in s["metric"].items()
                          if k not in ("__name__", "job", "instance")))): int(float(s["value"][1]))
            for s in r["data"]["result"]}


@pytest.mark.skipif(PROMTOOL is None or PROMETHEUS is None,
                    reason="promtool/prometheus (Debian prometheus) not installed")
def test_metrics_promtool_openmetrics_and_prometheus(tmp, peers):
    pc = pytest.importorskip("prometheus_client.openmetrics.parser",
                             reason="python3-prometheus-client not installed")
    # 300 flows per VLAN 100 (acme), 101 (beta) and 102 (no tenant)
    inp, _ = gen(tmp, "m", "--flows", 900, "--tenants", 3, "--vlan-base", 100)
    port = free_port()
    sl = peers.sluice(config(inp, port))
    prom = None
    base = f"http://127.0.0.1:{port}/metrics"
    try:
        def settled():
            ls = stats_lines(sl.stats)
            return len(ls) >= 3 and ls[-1]["ledger"]["received"] == 1800 and \
                ls[-1]["ledger"]["in_flight"] == 0 and ls[-3]["ledger"] == ls[-1]["ledger"]
        wait_for(settled, "every packet handled", [sl.proc])

        # Prometheus text: promtool's parser and linter accept it
        status, ctype, text = get(base)
        assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), ctype
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
        # OpenMetrics: the strict reference parser accepts it
        status, ctype, om = get(base, OPENMETRICS)
        assert ctype.startswith("application/openmetrics-text; version=1.0.0"), ctype
        assert om.endswith("# EOF\n")
        fams = {f.name: f for f in pc.text_string_to_metric_families(om)}
        assert fams["sluice_received_bytes"].type == "counter"
        assert fams["sluice_received_bytes"].unit == "bytes"
        assert fams["sluice_member_up"].type == "gauge"
        # bad requests
        with pytest.raises(urllib.error.HTTPError) as e:
            get(f"http://127.0.0.1:{port}/other")
        assert e.value.code == 404

        # a real Prometheus scrapes it
        pport = free_port()
        pbase = f"http://127.0.0.1:{pport}"
        plog = open(os.path.join(tmp, "prometheus.log"), "w+")
        prom = subprocess.Popen([PROMETHEUS, f"--config.file={prometheus_config(tmp, port)}",
                                 f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
                                 f"--web.listen-address=127.0.0.1:{pport}", "--log.level=warn"],
                                stdin=subprocess.DEVNULL, stdout=plog, stderr=plog)

        def scraped():
            try:
                return query(pbase, "sluice_received_packets_total").get(
                    ("sluice_received_packets_total", ())) == 1800
            except OSError:
                return False
        wait_for(scraped, "Prometheus to scrape sluice", [prom, sl.proc])
        names = ["sluice_received_packets_total", "sluice_forwarded_packets_total",
                 "sluice_dropped_packets_total", "sluice_input_received_bytes_total",
                 "sluice_ledger_balanced", "sluice_tenant_received_packets_total",
                 "sluice_tenant_received_bytes_total", "sluice_member_forwarded_packets_total",
                 "sluice_member_forwarded_bytes_total", "sluice_member_up"]
        stored = query(pbase, '{__name__=~"%s"}' % "|".join(names))
        # the scrapes succeeded (one that timed out on a loaded machine
        # would leave up at 0 for a while, not for the whole run)
        assert query(pbase, 'max_over_time(up{job="sluice"}[5m])') == {
            ('max_over_time(up{job="sluice"}[5m])', ()): 1}
        _, _, body = get(f"{pbase}/api/v1/metadata?metric=sluice_received_bytes")
        meta = json.loads(body)["data"]
        final = sl.finish()
    finally:
        stop(prom)

    exp = expected(final)
    assert final["ledger"]["received"] == 1800 and final["drops"]["no_tenant"] == 600
    # Prometheus holds sluice's values, series by series
    for key, value in exp.items():
        assert stored.get(key) == value, (key, stored.get(key), value)
    # and the endpoint itself said the same
    samples = parse_text(text)
    for key, value in exp.items():
        assert samples.get(key) == value, (key, samples.get(key), value)
    # OpenMetrics metadata reached Prometheus
    assert meta["sluice_received_bytes"][0]["type"] == "counter", meta


def test_metrics_port_in_use_is_a_clear_error(tmp):
    inp, _ = gen(tmp, "m", "--flows", 10, "--vlan-base", 100)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        text = config(inp, port)
        r = run_sluice(tmp, text)
    # the error names the listen value's line and column in the file
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "listen:" in l)
    col = text.splitlines()[line - 1].index("127.0.0.1") + 1
    if text.splitlines()[line - 1][col - 2] in "'\"":
        col -= 1
    assert r.rc == 1
    assert f"sluice.yaml:{line}:{col}: metrics.listen: cannot listen on 127.0.0.1:{port}: " \
        "Address already in use" in r.stderr, r.stderr
