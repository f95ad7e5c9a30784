"""The Python side of the training benchmark: fetch bench_credit (benches/generate.sql) with psycopg
(COPY to CSV read by pandas, text as categories: 10M rows fit in memory) and fit LightGBM (defaults: 100 trees, 31 leaves, learning rate 0.1) and scikit-learn's logistic
regression (standardized, one-hot) on one thread, on the same random 80 % of the rows and the same
features aimass uses; print fit times, test AUC and the process's peak RSS.

    python3 benches/training.py "host=<socket dir> port=55415 user=postgres dbname=<db>"

Needs pandas, psycopg, scikit-learn and lightgbm (pip install pandas "psycopg[binary]" scikit-learn lightgbm).
"""
import resource
import sys

import numpy as np
import pandas as pd
import psycopg

from common import fetch_copy, timed

EXCLUDE = {"id", "applied_at", "merchant", "bad"}


def main():
    import lightgbm as lgb
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    with psycopg.connect(sys.argv[1]) as conn:
        df = timed("python: fetch bench_credit (COPY to CSV, pandas)",
                   lambda: fetch_copy(conn, "bench_credit", exclude=EXCLUDE - {"bad"}))
    y = df["bad"].astype(int).to_numpy()
    features = [c for c in df.columns if c not in EXCLUDE]
    text = [c for c in features if isinstance(df[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in features if c not in text]
    x = df[features].copy()
    for c in numeric:
        x[c] = x[c].astype(float)
    for c in text:
        x[c] = x[c].astype("category")
    rng = np.random.default_rng(42)
    test = rng.random(len(df)) < 0.2
    print(f"rows: {len(df)}, features: {len(features)} ({len(text)} text)")

    gbm = lgb.LGBMClassifier(n_jobs=1, verbose=-1)
    timed("python: LightGBM fit (1 thread)", lambda: gbm.fit(x[~test], y[~test]))
    print(f"LightGBM test AUC: {roc_auc_score(y[test], gbm.predict_proba(x[test])[:, 1]):.4f}")
    gbm2 = lgb.LGBMClassifier(n_jobs=2, verbose=-1)
    timed("python: LightGBM fit (2 threads)", lambda: gbm2.fit(x[~test], y[~test]))

    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore"), text),
    ])
    xt = x.copy()
    for c in text:
        xt[c] = xt[c].astype(object).fillna("(missing)")
    logit = make_pipeline(pre, LogisticRegression(max_iter=500))
    timed("python: scikit-learn logistic fit (lbfgs)", lambda: logit.fit(xt[~test], y[~test]))
    print(f"logistic test AUC: {roc_auc_score(y[test], logit.predict_proba(xt[test])[:, 1]):.4f}")
    print(f"python peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
