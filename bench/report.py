"""Turns the RESULT lines gathered by run.sh (name<TAB>value<TAB>unit) into the
Markdown table of BENCHMARKS.md: each figure next to its target, and ckisa's
parse rates as ratios over each peer. Standard library only.

Usage: python3 report.py results.tsv
"""

import sys


def load(path):
    values = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4 and parts[0] == "RESULT":
                values[parts[1]] = (float(parts[2]), parts[3])
    return values


def fmt(value):
    if value is None:
        return "not measured"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def main():
    values = load(sys.argv[1])
    get = lambda name: values.get(name, (None, ""))[0]
    rows = []

    def row(what, name, unit, target=None, better="higher"):
        value = get(name)
        verdict = ""
        if target is not None and value is not None:
            ok = value >= target if better == "higher" else value < target
            sign = ">=" if better == "higher" else "<"
            verdict = f"{'met' if ok else 'MISSED'} ({sign} {fmt(target)})"
        rows.append((what, fmt(value), unit, verdict))

    def ratio(what, ours, peer, target=None):
        a, b = get(ours), get(peer)
        value = a / b if a is not None and b else None
        verdict = ""
        if target is not None and value is not None:
            verdict = f"{'met' if value >= target else 'MISSED'} (>= {target}x)"
        rows.append((what, fmt(value) + ("x" if value is not None else ""), "ratio", verdict))

    for case, label in (("adt", "ADT^A01 245 B"), ("oru", "ORU^R01 40 OBX 3.4 KB")):
        base = f"hl7.{case}.ckisa_views"
        row(f"HL7 {label}: ckisa parse + read fields", f"{base}.mb_s", "MB/s", 300)
        row(f"HL7 {label}: ckisa parse only", f"hl7.{case}.ckisa_parse_only.mb_s", "MB/s", 300)
        row(f"HL7 {label}: ckisa parse + read", f"{base}.msg_s", "msg/s")
        for peer, target in (("hl7kit", 5), ("hl7_parser", 5), ("python_hl7", 100),
                             ("python_hl7apy", None), ("node_hl7v2", None), ("node_redox", None)):
            ratio(f"HL7 {label}: ckisa / {peer} (same reads)", f"{base}.msg_s",
                  f"hl7.{case}.{peer}.msg_s", target)
    row("Files: HL7 ingest, in process (files::ingest)", "ingest.files.lib.msg_s", "msg/s", 20000)
    row("Files: HL7 ingest, `ckisa ingest` command", "ingest.files.cli.msg_s", "msg/s", 20000)
    row("Files: events committed, in process", "ingest.files.lib.events_s", "events/s")
    row("Files: CPU per message, in process (all threads)", "ingest.files.lib.cpu_us_per_msg", "µs")
    row("MLLP 1 connection: ACK latency p50", "mllp.1conn.ack_p50", "ms")
    row("MLLP 1 connection: ACK latency p99", "mllp.1conn.ack_p99", "ms", 5, "lower")
    row("MLLP 1 connection: throughput", "mllp.1conn.msg_s", "msg/s")
    row("MLLP 8 connections: throughput", "mllp.8conn.msg_s", "msg/s", 5000)
    row("MLLP 8 connections: ACK latency p99", "mllp.8conn.ack_p99", "ms")
    row("FHIR Synthea durable ingest", "fhir.durable.resources_s", "resources/s", 10000)
    row("FHIR ckisa_fhir::read (no store)", "fhir.ckisa_read.resources_s", "resources/s")
    row("FHIR serde_json::Value parse (baseline)", "fhir.serde_value.resources_s", "resources/s")
    row("FHIR Python fhir.resources R4B (baseline)", "fhir.python_fhir_resources.resources_s",
        "resources/s")
    ratio("FHIR durable ckisa / Python fhir.resources parse", "fhir.durable.resources_s",
          "fhir.python_fhir_resources.resources_s")
    row("Replica lag ACK -> API 200, p50", "lag.ack_to_api.p50", "ms")
    row("Replica lag ACK -> API 200, p99", "lag.ack_to_api.p99", "ms", 100, "lower")
    row("Replica lag: background load during probes", "lag.background.msg_s", "msg/s")
    row("1M events: /api/v1/units/{code} p99", "read.api_unit.p99", "ms", 5, "lower")
    row("1M events: /unites/{code} p99", "read.page_unit.p99", "ms", 5, "lower")
    row("1M events: /api/v1/patients/{key} p99", "read.api_patient.p99", "ms", 5, "lower")
    row("1M events: /patients/{key} p99", "read.page_patient.p99", "ms", 5, "lower")
    for name, label in (("api_unit", "/api/v1/units/{code}"), ("page_unit", "/unites/{code}"),
                        ("api_patient", "/api/v1/patients/{key}"), ("page_patient", "/patients/{key}")):
        row(f"1M events: {label} p50", f"read.{name}.p50", "ms")
        row(f"1M events: {label} node CPU per request", f"read.{name}.cpu_ms", "ms")
    row("1M events: node VmRSS after reads", "read.rss", "MiB", 150, "lower")
    row("1M events: node VmHWM (peak RSS)", "read.rss_peak", "MiB", 150, "lower")
    row("1M events: restart to /healthz 200", "read.restart_ms", "ms", 1000, "lower")

    print("| Figure | Value | Unit | Target |")
    print("|---|---:|---|---|")
    for what, value, unit, verdict in rows:
        print(f"| {what} | {value} | {unit} | {verdict} |")


if __name__ == "__main__":
    main()
