"""Seeds for the artifact fuzzer: the artifacts of the models in the 0.1.0 catalog fixture
(logistic, gradient boosting, scorecard, MLP and random forest), written to fuzz/seeds/."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
fixture = os.path.join(here, "..", "tests", "lifecycle", "fixture_0.1.0.sql")
out = os.path.join(here, "seeds")
os.makedirs(out, exist_ok=True)
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
    with open(os.path.join(out, f"model_{cells[0]}_{cells[columns.index('algorithm')]}"), "wb") as f:
        f.write(bytes.fromhex(hexdigits[3:]))
    count += 1
print(f"fuzz seeds: {count} artifacts in {out}", file=sys.stderr)
