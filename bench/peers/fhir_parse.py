"""FHIR parse baseline in Python: fhir.resources 8.3.0 (pydantic v2)
`Bundle.model_validate_json(raw)` (R4B models) on every JSON file of the
Synthea corpus, as ../src/bin/fhir_ingest.rs reads it. Prints RESULT lines
for ../run.sh. Files the R4B models refuse are counted, not timed twice.

Usage: python fhir_parse.py [--corpus DIR] [--rounds 1]
"""

import json
import sys
import time
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle

DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "fhir" / "synthea"


def main():
    args = sys.argv[1:]
    corpus = Path(args[args.index("--corpus") + 1]) if "--corpus" in args else DEFAULT
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 1
    files = sorted(p for p in corpus.rglob("*.json") if not p.name.startswith("."))
    raw = [p.read_bytes() for p in files]
    entries = sum(len(json.loads(b).get("entry", [])) for b in raw)
    size = sum(len(b) for b in raw)
    best, failed = float("inf"), []
    for _ in range(rounds):
        failed = []
        start = time.perf_counter()
        for path, data in zip(files, raw):
            try:
                Bundle.model_validate_json(data)
            except Exception as error:  # a model refusal: counted, reported
                failed.append(f"{path.name}: {str(error).splitlines()[0]}")
        best = min(best, time.perf_counter() - start)
    print(f"  fhir.resources R4B: {len(files)} files, {size / 1e6:.1f} MB, {entries} entries "
          f"in {best:.2f} s: {entries / best:.0f} resources/s, {size / best / 1e6:.2f} MB/s; "
          f"refused: {len(failed)}")
    for line in failed[:5]:
        print(f"    refused {line}")
    print(f"RESULT\tfhir.python_fhir_resources.resources_s\t{entries / best:.3f}\tresources/s")
    print(f"RESULT\tfhir.python_fhir_resources.mb_s\t{size / best / 1e6:.4f}\tMB/s")
    print(f"RESULT\tfhir.python_fhir_resources.refused\t{len(failed)}\tfiles")


if __name__ == "__main__":
    main()
