"""Helpers shared by the Python sides of the benchmarks."""
import tempfile
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


TEXT_TYPES = {25, 1043}  # text, varchar
BOOL_TYPE = 16


def fetch_copy(conn, table, exclude=()):
    """The columns of `table` not in `exclude` as a DataFrame, through COPY ... (FORMAT csv) into a
    temporary file and pandas' CSV reader: text as categories, booleans as 0/1, the rest float64.
    Much less memory than rows of Python objects (10M rows fit)."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {table} LIMIT 0")
        cols = [(d.name, d.type_code) for d in cur.description if d.name not in exclude]
        select = ", ".join(f"{n}::int AS {n}" if t == BOOL_TYPE else n for n, t in cols)
        with tempfile.TemporaryFile() as f:
            with cur.copy(f"COPY (SELECT {select} FROM {table}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    f.write(block)
            f.seek(0)
            dtype = {n: "category" if t in TEXT_TYPES else "float64" for n, t in cols}
            return pd.read_csv(f, names=[n for n, _ in cols], dtype=dtype)
