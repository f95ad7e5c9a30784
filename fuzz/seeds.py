"""Seeds for the artifact fuzzers: the artifacts of the models in the 0.1.0 catalog fixture
(logistic, gradient boosting, scorecard, MLP and random forest), written to fuzz/seeds/, and
their payloads (after the 18-byte header) to fuzz/seeds_payload/."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
fixture = os.path.join(here, "..", "tests", "lifecycle", "fixture_0.1.0.sql")
out = os.path.join(here, "seeds")
out_payload = os.path.join(here, "seeds_payload")
os.makedirs(out, exist_ok=True)
os.makedirs(out_payload, exist_ok=True)
columns, count = None, 0
for line in open(fixture, encoding="utf-8"):
    if line.startswith("COPY aimass.models "):
        columns = line[line.index("(") + 1 : line.index(")")].split(", ")
        continue
    if columns is None:
        continue
    if line.startswith("\\."):
        break
    cells = line.rstrip("\n").split("\t")
    hexdigits = cells[columns.index("artifact")]
    assert hexdigits.startswith("\\\\x"), hexdigits[:10]
    name = f"model_{cells[0]}_{cells[columns.index('algorithm')]}"
    artifact = bytes.fromhex(hexdigits[3:])
    with open(os.path.join(out, name), "wb") as f:
        f.write(artifact)
    with open(os.path.join(out_payload, name), "wb") as f:
        f.write(artifact[18:])
    count += 1
print(f"fuzz seeds: {count} artifacts in {out}", file=sys.stderr)
