"""Helpers shared by the Python sides of the benchmarks."""
import time

import pandas as pd


def timed(label, f):
    """Runs f, prints how long it took, returns its result."""
    t = time.perf_counter()
    out = f()
    print(f"{label}: {time.perf_counter() - t:.3f} s", flush=True)
    return out


def fetch(conn, sql="SELECT * FROM bench_credit"):
    """The rows of a query as a pandas DataFrame."""
    with conn.cursor() as cur:
        cur.execute(sql)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
