\set id random(1, 1000000)
SELECT aimass.predict_proba('bench_score', b) FROM bench_credit b WHERE id = :id;
