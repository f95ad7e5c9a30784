-- The distributed test's data, on the coordinator: credit_data locally and as credit_dist
-- (distributed by id over the two workers, 4 shards), a model trained before the catalog is
-- distributed (project 'before': the upgrade path of a catalog that already holds models), then
-- aimass.distribute_catalog(), then credit's model, and a scorer role.
SET client_min_messages = warning;
SET citus.shard_count = 4;
CREATE EXTENSION aimass;
\i sql/sample_data.sql
SELECT model_id FROM aimass.train('before', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split');
SELECT * FROM aimass.distribute_catalog();
CREATE TABLE credit_dist (LIKE credit_data INCLUDING ALL);
SELECT create_distributed_table('credit_dist', 'id');
INSERT INTO credit_dist SELECT * FROM credit_data;
CREATE TABLE credit_scores (id integer PRIMARY KEY, score float8);
SELECT create_distributed_table('credit_scores', 'id', colocate_with => 'credit_dist');
SELECT model_id FROM aimass.train('credit', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split');
CREATE ROLE scorer LOGIN;
GRANT aimass_scorer TO scorer;
GRANT SELECT ON credit_dist TO scorer;
