"""HL7 v2 parse + read throughput of Python peers, on the same fixtures and
the same field reads as ../src/bin/hl7_parse.rs. Prints RESULT lines for
../run.sh.

Usage: python hl7_parse.py [--secs 0.5] [--skip-hl7apy]
Peers: hl7 0.4.5 (`hl7.parse(text)`), hl7apy 1.3.5 (`parse_message(text,
find_groups=False)`, no validation; slow, so it gets short rounds).
"""

import statistics
import sys
import time
from pathlib import Path

import hl7
from hl7apy.parser import parse_message

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ADT_FIELDS = [  # (segment, field, component), as ADT_PATHS in hl7_parse.rs
    ("MSH", 9, 2), ("MSH", 10, 1), ("PID", 3, 1), ("PID", 3, 5), ("PID", 5, 1),
    ("PID", 5, 2), ("PID", 7, 1), ("PID", 8, 1), ("PV1", 2, 1), ("PV1", 3, 1),
    ("PV1", 3, 2),
]
OBX_FIELDS = [(3, 1), (5, 1), (6, 1), (11, 1)]


def hl7_adt(text):
    msg = hl7.parse(text)
    return sum(len(msg.extract_field(s, 1, f, 1, c)) for s, f, c in ADT_FIELDS)


def hl7_oru(text):
    msg = hl7.parse(text)
    total = len(msg.extract_field("MSH", 1, 10, 1, 1))
    for obx in msg.segments("OBX"):
        for f, c in OBX_FIELDS:
            total += len(obx.extract_field(1, f, 1, c))
    return total


def hl7apy_adt(text):
    msg = parse_message(text, find_groups=False)
    pid, pv1, msh = msg.pid, msg.pv1, msg.msh
    values = [
        msh.msh_9.msh_9_2.value, msh.msh_10.value, pid.pid_3.pid_3_1.value,
        pid.pid_3.pid_3_5.value, pid.pid_5.pid_5_1.value, pid.pid_5.pid_5_2.value,
        pid.pid_7.value, pid.pid_8.value, pv1.pv1_2.value, pv1.pv1_3.pv1_3_1.value,
        pv1.pv1_3.pv1_3_2.value,
    ]
    return sum(len(v) for v in values)


def hl7apy_oru(text):
    msg = parse_message(text, find_groups=False)
    total = len(msg.msh.msh_10.value)
    for obx in (c for c in msg.children if c.name == "OBX"):
        values = [obx.obx_3.obx_3_1.value, obx.obx_5.value, obx.obx_6.obx_6_1.value,
                  obx.obx_11.value]
        total += sum(len(v) for v in values)
    return total


def median_ns(work, text, rounds, round_secs):
    work(text)
    batch = 1
    while True:
        start = time.perf_counter()
        for _ in range(batch):
            work(text)
        if time.perf_counter() - start >= round_secs / 10 or batch > 1 << 20:
            break
        batch *= 2
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        calls = 0
        while time.perf_counter() - start < round_secs:
            for _ in range(batch):
                work(text)
            calls += batch
        per_call.append((time.perf_counter() - start) * 1e9 / calls)
    return statistics.median(per_call)


def main():
    args = sys.argv[1:]
    secs = float(args[args.index("--secs") + 1]) if "--secs" in args else 0.5
    peers = [("python_hl7", hl7_adt, hl7_oru, secs)]
    if "--skip-hl7apy" not in args:
        peers.append(("python_hl7apy", hl7apy_adt, hl7apy_oru, secs))
    for case, name in (("adt", "adt_a01.hl7"), ("oru", "oru_r01.hl7")):
        raw = (FIXTURES / name).read_bytes()
        text = raw.decode("utf-8")
        for peer, adt, oru, round_secs in peers:
            work = adt if case == "adt" else oru
            if work(text) <= 0:
                raise SystemExit(f"{peer} read nothing from {case}")
            ns = median_ns(work, text, 3, round_secs)
            mb_s = len(raw) / ns * 1000
            print(f"  {case} {peer:<16} {ns:>12.0f} ns/msg {mb_s:>9.3f} MB/s {1e9 / ns:>10.0f} msg/s")
            print(f"RESULT\thl7.{case}.{peer}.mb_s\t{mb_s:.4f}\tMB/s")
            print(f"RESULT\thl7.{case}.{peer}.msg_s\t{1e9 / ns:.3f}\tmsg/s")


if __name__ == "__main__":
    main()
