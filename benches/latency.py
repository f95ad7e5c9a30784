"""The Python side of the single-row latency benchmark: the usual scoring microservice, without
the HTTP layer (which would only add to its time). Each client is a thread with its own psycopg
connection that, for a random id, fetches the row's 10 features by primary key and scores it
with a scikit-learn pipeline (median imputation, standard scaling, logistic regression) fitted
on the same 100k reference rows as the aimass model; one process, as a service would run.

    python3 benches/latency.py "host=<socket dir> port=55415 user=postgres dbname=<db>" [seconds]
"""
import random
import sys
import threading
import time

import numpy as np
import psycopg
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["age", "income", "debt", "assets", "seniority", "amount", "term", "rate", "utilization", "dti"]


def fit(dsn):
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f"SELECT {', '.join(FEATURES)}, bad FROM bench_score_ref").fetchall()
    x = np.array([r[:-1] for r in rows], dtype=float)
    y = np.array([r[-1] for r in rows], dtype=int)
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)


def client(dsn, model, stop, latencies):
    query = f"SELECT {', '.join(FEATURES)} FROM bench_credit WHERE id = %s"
    with psycopg.connect(dsn, prepare_threshold=0) as conn:
        while not stop.is_set():
            t = time.perf_counter()
            row = conn.execute(query, (random.randint(1, 1_000_000),)).fetchone()
            model.predict_proba(np.array([row], dtype=float))[0, 1]
            latencies.append(time.perf_counter() - t)


def main():
    dsn, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 15
    model = fit(dsn)
    print("| clients | Python service: requests/s | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for clients in (1, 8, 32):
        stop, lat = threading.Event(), []
        threads = [threading.Thread(target=client, args=(dsn, model, stop, lat)) for _ in range(clients)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        lat.sort()
        print(f"| {clients} | {len(lat) / seconds:.0f} | {1000 * lat[len(lat) // 2]:.3f} | "
              f"{1000 * lat[min(len(lat) - 1, len(lat) * 99 // 100)]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
