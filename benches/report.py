#!/usr/bin/env python3
"""Writes the figures of one `make bench` run into BENCHMARKS.md.

Each benchmark target of the Makefile keeps its whole output in build/bench/<target>.log (psql
with \\timing, the Python side, pgbench tables). This script reads those logs, and replaces the
part of BENCHMARKS.md between the markers below with: the machine and the commands, the speed
issue's goals with the ratio this run achieved, and each benchmark's timings as measured. The
sections after the markers are hand-written: what changed each figure, and the profiles.

Usage: benches/report.py <log dir> <BENCHMARKS.md>
"""
import datetime
import os
import re
import subprocess
import sys

BEGIN = "<!-- make bench: begin (written by benches/report.py; edits in here are overwritten) -->"
END = "<!-- make bench: end -->"

# (target, what it measures, its benchmark files)
SECTIONS = [
    ("bench-scoring", "inline scoring over 1M rows", "benches/scoring.sql"),
    ("bench-latency", "single-row scoring under concurrency", "benches/latency.sh, latency.py"),
    ("bench-training", "training time", "benches/training.sql, training.py"),
    ("bench-memory", "peak memory of training", "benches/memory.sh"),
    ("bench-data-quality", "profile and clean", "benches/data_quality.sql, data_quality.py"),
    ("bench-monitoring", "one drift check", "benches/monitoring.sql, monitoring.py"),
    ("bench-risk", "risk metrics and binning", "benches/risk_metrics.sql, risk_metrics.py"),
    ("bench-spine", "the spine on lending_big", "benches/spine.sql"),
    ("bench-10m", "training time and memory on 10M rows", "benches/generate.sql, training.sql, training.py, memory.sh"),
]

# The command tag of a utility statement (SET, DROP TABLE, CREATE INDEX …): its time is not
# kept. `SELECT 1000000` (CREATE TABLE AS) and `INSERT 0 5` are work and are kept.
TAG = re.compile(r"^(SET|RESET|ANALYZE|VACUUM|DO|(DROP|CREATE|ALTER|DISCARD|TRUNCATE)( [A-Z]+)*)$")


def parse(text):
    """Labelled timings: psql blocks (`-- label` lines from \\echo, then `Time:` lines; a utility
    statement's tag before a time means its time is not kept) and Python's `python: label: 1.234 s`
    lines. Returns {label: [seconds, ...]} in order, and the markdown table rows."""
    times, rows, label, previous = {}, [], None, ""
    for line in text.splitlines():
        line = line.rstrip()
        m = re.match(r"^-- (.+)$", line)
        if m:
            label = m.group(1)
            times.setdefault(label, [])
        elif (m := re.match(r"^Time: ([\d.]+) ms", line)) and label is not None:
            if not TAG.match(previous.strip()):
                times[label].append(float(m.group(1)) / 1000)
        elif (m := re.search(r"aimass\.train timings: (.+)$", line)) and label is not None:
            for part in m.group(1).split(", "):
                name, secs, _ = part.split(" ")
                times.setdefault(f"{label}: {name}", []).append(float(secs))
        elif m := re.match(r"^((?:python|pandas): .+): ([\d.]+) s$", line):
            times.setdefault(m.group(1), []).append(float(m.group(2)))
        elif line.startswith("| ") and not line.startswith("| ---"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
        if line.strip():
            previous = line
    return times, rows


def last(times, label, k=-1):
    """The k-th timing of a label (default: the last, i.e. the second of two runs)."""
    v = times.get(label) or []
    try:
        return v[k]
    except IndexError:
        return None


def fmt(v, unit=" s"):
    return "—" if v is None else f"{v:.2f}{unit}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def rx(v):
    return "—" if v is None else f"{v:.2f}×"


def met(ok):
    return "—" if ok is None else ("**met**" if ok else "not met")


def table_rows(rows, first_header):
    """The rows of the table whose header's second cell starts with `first_header`."""
    out, on = [], False
    for r in rows:
        if len(r) > 1 and r[1].startswith(first_header):
            on = True
            continue
        if on and len(r) > 1 and not r[0][0].isdigit() and r[0] not in ("logistic", "gradient_boosting"):
            on = False
        if on:
            out.append(r)
    return out


def training_goals(t, size):
    """The fit itself (aimass.train's DEBUG1 timings: binning and boosting, no reading, no
    scoring for the metrics) against LightGBM's fit (its Dataset construction included)."""
    out = []
    for threads, py_label in (("1 thread", "python: LightGBM fit (1 thread)"), ("2 threads", "python: LightGBM fit (2 threads)")):
        label = f"gradient_boosting, 100 trees, {threads}"
        fit, call = last(t, f"{label}: fit"), last(t, label)
        lgb = last(t, py_label)
        r = ratio(fit, lgb)
        out.append(f"| GBDT fit, {size} rows, {threads}: ≤ 1.5× LightGBM | {fmt(fit)} (whole train call {fmt(call)}) "
                   f"| {fmt(lgb)} | {rx(r)} | {met(None if r is None else r <= 1.5)} |")
    logit, call = last(t, "logistic: fit"), last(t, "logistic")
    sk = last(t, "python: scikit-learn logistic fit (lbfgs)")
    out.append(f"| logistic regression fit, {size} rows | {fmt(logit)} (whole train call {fmt(call)}) | {fmt(sk)} | "
               f"{rx(ratio(logit, sk))} | measured |")
    return out


def memory_goals(rows, size):
    out = []
    for r in rows:
        if r[0] in ("logistic", "gradient_boosting") and len(r) >= 6:
            x = float(r[5].rstrip("×"))
            out.append(f"| peak training memory, {r[0]}, {size} rows: ≤ 2× the float32 matrix | {r[4]} | matrix {r[3]} "
                       f"({r[1]} rows × {r[2]} inputs) | {r[5]} | {met(x <= 2)} |")
    return out


def goals(logs, texts):
    out = ["| goal | aimass | the other side | ratio | status |", "|---|---|---|---|---|"]
    s = logs.get("bench-scoring", ({}, []))[0]
    floor, ours = last(s, "floor: the logistic formula in plain SQL"), last(s, "aimass.predict_proba(project, row)")
    r = ratio(ours, floor)
    out.append(f"| inline scoring of 1M rows (logistic) ≤ 1.3× the plain-SQL formula | {fmt(ours)} | "
               f"{fmt(floor)} | {rx(r)} | {met(None if r is None else r <= 1.3)} |")
    par = s.get("with 2 parallel workers: the plan, then both sides") or []
    if len(par) >= 4:
        # The plan (EXPLAIN), then the formula twice and aimass twice: keep each second run.
        formula, ours = par[-3], par[-1]
        r = ratio(ours, formula)
        plan = re.findall(r"(Gather|Partial Aggregate|Parallel Seq Scan)", texts.get("bench-scoring", ""))
        shown = " → ".join(dict.fromkeys(plan)) or "no parallel plan in the log"
        out.append(f"| the same, 2 parallel workers (EXPLAIN: {shown}) | {fmt(ours)} | {fmt(formula)} | {rx(r)} | "
                   f"{met(r <= 1.3)} |")
    gb = last(s, "gradient boosting, 100 trees, all 28 features")
    out.append(f"| inline scoring of 1M rows, GBDT of 100 trees (no SQL floor) | {fmt(gb)} | — | — | measured |")

    rows = logs.get("bench-latency", ({}, []))[1]
    ours = {r[0]: r for r in table_rows(rows, "aimass via pgbench")}
    py = {r[0]: r for r in table_rows(rows, "Python service")}
    fetch = {r[0]: r for r in table_rows(rows, "floor: the row fetched")}
    for c in ("1", "8", "32"):
        if c in ours and c in py:
            tps, p99, rps = float(ours[c][1]), float(ours[c][3]), float(py[c][1])
            r = tps / rps if rps else None
            ok = r is not None and r >= 10 and (c != "8" or p99 < 1.0)
            goal = "≥ 10× a Python service" + (", p99 < 1 ms" if c == "8" else "")
            status = met(ok)
            if c in fetch and rps:
                # The same round trip without scoring: no scoring, however fast, beats it.
                floor = float(fetch[c][1])
                status += f" (the fetch alone, not scored: {floor:,.0f} tps, {rx(floor / rps)} Python)"
            out.append(f"| single row, {c} client{'s' * (c != '1')}: {goal} | {tps:,.0f} tps, p99 {p99:.3f} ms | "
                       f"{rps:,.0f} requests/s, p99 {float(py[c][3]):.3f} ms | {rx(r)} | {status} |")

    out += training_goals(logs.get("bench-training", ({}, []))[0], "1M")
    out += memory_goals(logs.get("bench-memory", ({}, []))[1], "1M")
    if "bench-10m" in logs:
        times, rows = logs["bench-10m"]
        out += training_goals(times, "10M") + memory_goals(rows, "10M")

    q = logs.get("bench-data-quality", ({}, []))[0]
    prof = last(q, "aimass.profile, without target")
    sql = last(q, next((k for k in q if k.startswith("plain SQL: count")), ""))
    out.append(f"| profile of 1M rows × 31 columns | {fmt(prof)} | plain SQL {fmt(sql)} | {rx(ratio(prof, sql))} | measured |")
    m = logs.get("bench-monitoring", ({}, []))[0]
    drift = last(m, "aimass.check_drift over all 1M rows (sample_rows 0)")
    scan = last(m, "floor: one scan reading the 28 columns")
    out.append(f"| drift check of 1M live rows × 28 features | {fmt(drift)} | one scan {fmt(scan)} | "
               f"{rx(ratio(drift, scan))} | measured |")
    return out


def raw(logs):
    out = []
    for target, what, files in SECTIONS:
        if target not in logs:
            continue
        times, rows = logs[target]
        out += ["", f"#### `make {target}`: {what} ({files})", ""]
        if times:
            out += ["| what | seconds (each run) |", "|---|---|"]
            for label, v in times.items():
                if v:
                    out.append(f"| {label.replace('|', '/')} | {' / '.join(f'{x:.3f}' for x in v)} |")
        if rows:
            out += [""] if times else []
            header = None
            for r in rows:
                if not r[0][:1].isdigit() and r[0] not in ("logistic", "gradient_boosting"):
                    header = r
                    out += ["", "| " + " | ".join(r) + " |", "|" + "---|" * len(r)]
                elif header is not None:
                    out.append("| " + " | ".join(r) + " |")
    return out


def machine():
    def sh(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"
    mem = next((int(l.split()[1]) // 1048576 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    pg = sh(os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config"), "--version")
    return (f"{os.cpu_count()} cores, {mem} GiB memory, Linux {os.uname().release}, {pg}, "
            f"{sh('rustc', '--version')}, aimass at commit {sh('git', 'rev-parse', '--short', 'HEAD')}")


def main():
    log_dir, path = sys.argv[1], sys.argv[2]
    logs, texts = {}, {}
    for target, _, _ in SECTIONS:
        f = os.path.join(log_dir, f"{target}.log")
        if os.path.exists(f):
            texts[target] = open(f, encoding="utf-8", errors="replace").read()
            logs[target] = parse(texts[target])
    if not logs:
        sys.exit(f"no benchmark logs in {log_dir}: run make bench")
    rows_line = f"{os.environ.get('ROWS', '1000000')} rows"
    body = [
        BEGIN,
        f"## The last `make bench` run ({datetime.date.today().isoformat()})",
        "",
        f"Machine: {machine()}. Command: `make bench` (bench_credit of {rows_line} from "
        "`make bench-data`, then every target below, both sides of each comparison in the same run; "
        "each target's output is kept in build/bench/<target>.log). SQL timings are psql's "
        "`\\timing` of the second of two runs where a query runs twice.",
        "",
        "### The speed issue's goals",
        "",
        *goals(logs, texts),
        "",
        "### Every timing of the run",
        *raw(logs),
        END,
    ]
    text = open(path, encoding="utf-8").read()
    if BEGIN in text and END in text:
        a, b = text.index(BEGIN), text.index(END) + len(END)
        text = text[:a] + "\n".join(body) + text[b:]
    else:
        at = text.find("\n## ")
        text = text[:at + 1] + "\n".join(body) + "\n\n" + text[at + 1:]
    open(path, "w", encoding="utf-8").write(text)
    print(f"{path}: the last run's figures written ({', '.join(logs)})")


if __name__ == "__main__":
    main()
