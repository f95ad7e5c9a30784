"""The Python side of the data-quality benchmark: what a risk analyst would otherwise do with pandas.

    python3 benches/data_quality.py "host=<socket dir> port=55415 user=postgres dbname=<db>"

Fetches bench_credit with psycopg into a DataFrame, then profiles it (nulls, distinct, min, max,
mean, std, 7 quantiles, IQR outliers, zeros, top 10 values) and cleans it (median / mode
imputation, 3-IQR clipping, duplicates by id) and writes the result back with COPY, timing each
step. Needs pandas and psycopg (pip install pandas "psycopg[binary]").
"""
import sys

import numpy as np
import pandas as pd
import psycopg

from common import fetch, timed

QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]


def profile(df):
    out = {}
    for c in df.columns:
        s = df[c]
        p = {"rows": len(s), "nulls": int(s.isna().sum()), "distinct": int(s.nunique())}
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            x = s.astype("float64")
            q = x.quantile(QUANTILES).to_numpy()
            iqr = q[4] - q[2]
            p.update(min=x.min(), max=x.max(), mean=x.mean(), std=x.std(), quantiles=q,
                     outliers=int(((x < q[2] - 1.5 * iqr) | (x > q[4] + 1.5 * iqr)).sum()),
                     zeros=int((x == 0).sum()))
        else:
            p["top"] = s.value_counts().head(10).to_dict()
        out[c] = p
    return out


def clean(df):
    df = df.drop_duplicates(subset=["id"], keep="first").copy()
    for c in df.columns:
        s = df[c]
        if c == "id":
            continue
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            q1, q3 = s.quantile([0.25, 0.75])
            s = s.clip(q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1))
            df[c] = s.fillna(s.median())
        elif c == "home":
            df[c] = s.fillna(s.mode().iloc[0])
    return df


def write(conn, df):
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_credit_pandas")
        cur.execute("CREATE TABLE bench_credit_pandas (LIKE bench_credit)")
        cur.execute("ALTER TABLE bench_credit_pandas ALTER COLUMN income TYPE float8, "
                    "ALTER COLUMN months_since_delinq TYPE float8")
        with cur.copy("COPY bench_credit_pandas FROM STDIN") as copy:
            for row in df.itertuples(index=False):
                copy.write_row(row)
        cur.execute("DROP TABLE bench_credit_pandas")
    conn.commit()


def main():
    with psycopg.connect(sys.argv[1]) as conn:
        df = timed("pandas: fetch 1 table with psycopg", lambda: fetch(conn))
        timed("pandas: profile", lambda: profile(df))
        cleaned = timed("pandas: clean", lambda: clean(df))
        timed("pandas: write back with COPY", lambda: write(conn, cleaned))


if __name__ == "__main__":
    main()
