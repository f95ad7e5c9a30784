\set id random(1, 1000000)
SELECT b FROM bench_credit b WHERE id = :id;
