-- aimass 0.4.0 → 0.5.0: ALTER EXTENSION aimass UPDATE TO '0.5.0'. Scale-out on Citus (issue 19):
-- aimass.distribute_catalog() and the Newton-pass aggregate of distributed training. No table
-- changes: a catalog is put on every Citus node by calling aimass.distribute_catalog().

-- The catalog on every node of a Citus cluster (issue 19). Run once on the coordinator, by the
-- extension's owner, after the workers have joined: every catalog table becomes a Citus reference
-- table, replicated to every node (and to nodes added later) by Citus itself, so a scoring call
-- that Citus pushes down to a worker reads the deployed model there. The statement triggers that
-- empty the scoring cache are created on every placement, so a deployment committed on the
-- coordinator also empties the workers' caches (the invalidation travels with Citus's two-phase
-- commit). The foreign keys between catalog tables are dropped while the tables are converted one
-- by one (Citus would otherwise turn the tables that reference a converted one into Citus-local
-- tables, which drops and re-creates the extension's views) and are added back between the
-- reference tables (on every node: Citus propagates the statements to the workers' copies). A catalog that already holds models is converted with its rows: this is also
-- the upgrade path of an installation that adds Citus later. The scoring functions become
-- PARALLEL RESTRICTED (see below). Without Citus the function refuses and aimass stays as it is.
CREATE FUNCTION aimass.distribute_catalog()
RETURNS TABLE (catalog_table regclass, placements integer)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t regclass;
    f regprocedure;
    fk record;
    restore text[] := '{}';
    stmt text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'Citus is not installed in this database'
              USING ERRCODE = '0A000',
                    HINT = 'aimass works on one node without Citus; to scale out, install Citus (from Citus''s own packages), CREATE EXTENSION citus, add the worker nodes, then call aimass.distribute_catalog() on the coordinator.';
    END IF;
    IF (SELECT groupid FROM pg_dist_local_group) <> 0 THEN
        RAISE EXCEPTION 'aimass.distribute_catalog() runs on the coordinator'
              USING ERRCODE = '0A000', HINT = 'Connect to the coordinator node and call it there.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'aimass' AND e.extowner = current_user::regrole)
       AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'only the owner of extension aimass may distribute its catalog'
              USING ERRCODE = '42501';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_node WHERE groupid <> 0 AND isactive) THEN
        RAISE EXCEPTION 'this Citus cluster has no worker node'
              USING ERRCODE = '55000', HINT = 'Add the workers with citus_add_node() first.';
    END IF;
    -- The foreign keys between catalog tables, dropped and restored around the conversion.
    FOR fk IN
        SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.connamespace = 'aimass'::regnamespace
           AND NOT EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = c.conrelid)
         ORDER BY c.conrelid, c.conname
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
        -- The workers' copies of the table (made by their CREATE EXTENSION, never replaced by
        -- Citus) still have the key: dropped there through Citus once the table is distributed.
        restore := restore || format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk.tbl, fk.conname)
                           || format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.tbl, fk.conname, fk.def);
    END LOOP;
    -- The scoring cache's triggers and the audit log's append-only triggers are aimass's own:
    -- they call no user code and write no table, so they are safe on every placement.
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    FOR t IN
        SELECT c.oid::regclass FROM pg_class c
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'aimass'
         WHERE c.relkind = 'r'
           AND NOT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
         ORDER BY c.relname
    LOOP
        PERFORM create_reference_table(t);
        PERFORM truncate_local_data_after_distributing_table(t);
    END LOOP;
    FOREACH stmt IN ARRAY restore LOOP
        EXECUTE stmt;
    END LOOP;
    -- Scoring reads the catalog, and a parallel worker that reads a Citus table cannot commit
    -- (Citus refuses its part in the distributed transaction): the scoring functions become
    -- PARALLEL RESTRICTED on every node (scans still run in parallel under them, and Citus runs
    -- the shards in parallel). Run again after adding a node.
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
         WHERE p.pronamespace = 'aimass'::regnamespace
           AND p.proname IN ('predict', 'predict_proba', 'explain', 'score_points', 'served_model', '_drift_score')
         ORDER BY 1::text
    LOOP
        stmt := format('ALTER FUNCTION %s PARALLEL RESTRICTED', f);
        EXECUTE stmt;
        PERFORM run_command_on_workers(stmt);
    END LOOP;
    RETURN QUERY
        SELECT p.logicalrelid::regclass, count(sp.placementid)::integer
          FROM pg_dist_partition p
          JOIN pg_class c ON c.oid = p.logicalrelid AND c.relnamespace = 'aimass'::regnamespace
          JOIN pg_dist_shard s ON s.logicalrelid = p.logicalrelid
          JOIN pg_dist_placement sp ON sp.shardid = s.shardid
         GROUP BY p.logicalrelid ORDER BY p.logicalrelid::regclass::text;
END
$$;
COMMENT ON FUNCTION aimass.distribute_catalog() IS 'Citus: makes every catalog table a reference table on every node, so that workers score pushed-down calls and see each deployment. Run once on the coordinator by the extension owner.';
REVOKE EXECUTE ON FUNCTION aimass.distribute_catalog() FROM PUBLIC;

-- Distributed training's worker side (src/api/train/distributed/).
CREATE FUNCTION aimass."_newton_pass_add"(
	"state" bytea,
	"point_bytes" bytea,
	"features" double precision[],
	"label" double precision
) RETURNS bytea
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'newton_pass_add_wrapper';
CREATE FUNCTION aimass."_newton_pass_combine"(
	"a" bytea,
	"b" bytea
) RETURNS bytea
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'newton_pass_combine_wrapper';
CREATE FUNCTION aimass."_score_model"(
	"artifact" bytea,
	"features" double precision[]
) RETURNS double precision
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'score_model_wrapper';
CREATE FUNCTION aimass."_shard_fit_add"(
	"state" internal,
	"spec" bytea,
	"features" double precision[],
	"label" double precision
) RETURNS internal
IMMUTABLE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'shard_fit_add_wrapper';
CREATE FUNCTION aimass."_shard_fit_final"(
	"state" internal
) RETURNS bytea
IMMUTABLE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'shard_fit_final_wrapper';
CREATE AGGREGATE aimass._newton_pass(point bytea, features float8[], label float8) (
    SFUNC = aimass._newton_pass_add, STYPE = bytea, COMBINEFUNC = aimass._newton_pass_combine,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE aimass._newton_pass(bytea, float8[], float8) IS 'Internal (distributed training): the gradient and Hessian sums of a logistic Newton pass over the rows, at a point; Citus pushes it down into every shard and combines the shards'' sums.';
CREATE AGGREGATE aimass._shard_fit(spec bytea, features float8[], label float8) (
    SFUNC = aimass._shard_fit_add, STYPE = internal, FINALFUNC = aimass._shard_fit_final);
COMMENT ON AGGREGATE aimass._shard_fit(bytea, float8[], float8) IS 'Internal (shard ensembles): fits the spec''s base algorithm on the rows of one shard and returns the fitted member.';
CREATE FUNCTION aimass."_boost_pass_add"(
	"state" internal,
	"spec" bytea,
	"features" double precision[],
	"label" double precision
) RETURNS internal
IMMUTABLE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'boost_pass_add_wrapper';
CREATE FUNCTION aimass."_boost_pass_final"(
	"state" internal
) RETURNS bytea
IMMUTABLE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'boost_pass_final_wrapper';
CREATE AGGREGATE aimass._boost_pass(spec bytea, features float8[], label float8) (
    SFUNC = aimass._boost_pass_add, STYPE = internal, FINALFUNC = aimass._boost_pass_final);
COMMENT ON AGGREGATE aimass._boost_pass(bytea, float8[], float8) IS 'Internal (distributed gradient boosting): the histograms one boosting pass asks of the rows of one shard.';
CREATE FUNCTION aimass."_bin_summary_add"(
	"state" internal,
	"spec" bytea,
	"features" double precision[]
) RETURNS internal
IMMUTABLE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bin_summary_add_wrapper';
CREATE FUNCTION aimass."_bin_summary_final"(
	"state" internal
) RETURNS bytea
IMMUTABLE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'bin_summary_final_wrapper';
CREATE AGGREGATE aimass._bin_summary(spec bytea, features float8[]) (
    SFUNC = aimass._bin_summary_add, STYPE = internal, FINALFUNC = aimass._bin_summary_final);
COMMENT ON AGGREGATE aimass._bin_summary(bytea, float8[]) IS 'Internal (distributed gradient boosting): the distinct encoded values of each feature over the rows, with their counts, for the bins to be placed.';
REVOKE EXECUTE ON FUNCTION aimass._newton_pass_add(bytea, bytea, double precision[], double precision),
                           aimass._newton_pass_combine(bytea, bytea),
                           aimass._score_model(bytea, double precision[]),
                           aimass._shard_fit_add(internal, bytea, double precision[], double precision),
                           aimass._shard_fit_final(internal),
                           aimass._boost_pass_add(internal, bytea, double precision[], double precision),
                           aimass._boost_pass_final(internal),
                           aimass._bin_summary_add(internal, bytea, double precision[]),
                           aimass._bin_summary_final(internal),
                           aimass._newton_pass(bytea, double precision[], double precision),
                           aimass._shard_fit(bytea, double precision[], double precision),
                           aimass._boost_pass(bytea, double precision[], double precision),
                           aimass._bin_summary(bytea, double precision[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aimass._newton_pass(bytea, double precision[], double precision),
                          aimass._score_model(bytea, double precision[]),
                          aimass._shard_fit(bytea, double precision[], double precision),
                          aimass._boost_pass(bytea, double precision[], double precision),
                          aimass._bin_summary(bytea, double precision[]) TO aimass_analyst;

-- aimass.train gains strategy (NULL, or 'shard_ensemble' on a distributed table).
DROP FUNCTION aimass.train(text, regclass, text, text, text, text[], text[], text, jsonb, jsonb, text,
                           double precision, integer, text, text, jsonb, integer, text, text);
CREATE FUNCTION aimass."train"(
	"project_name" TEXT,
	"relation_name" regclass DEFAULT NULL,
	"target" TEXT DEFAULT NULL,
	"algorithm" TEXT DEFAULT 'logistic',
	"task" TEXT DEFAULT NULL,
	"features" TEXT[] DEFAULT NULL,
	"exclude" TEXT[] DEFAULT NULL,
	"positive" TEXT DEFAULT NULL,
	"hyperparams" jsonb DEFAULT '{}',
	"preprocess" jsonb DEFAULT '{}',
	"split" TEXT DEFAULT NULL,
	"test_size" double precision DEFAULT NULL,
	"seed" INT DEFAULT NULL,
	"deploy" TEXT DEFAULT 'if_better',
	"search" TEXT DEFAULT NULL,
	"search_params" jsonb DEFAULT '{}',
	"folds" INT DEFAULT NULL,
	"metric" TEXT DEFAULT NULL,
	"weight_column" TEXT DEFAULT NULL,
	"strategy" TEXT DEFAULT NULL
) RETURNS TABLE (
	"model_id" bigint, 
	"project" TEXT, 
	"algorithm" TEXT, 
	"metrics" jsonb, 
	"deployed" bool 
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'train_wrapper';
REVOKE EXECUTE ON FUNCTION aimass.train(text, regclass, text, text, text, text[], text[], text, jsonb, jsonb, text,
                                        double precision, integer, text, text, jsonb, integer, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aimass.train(text, regclass, text, text, text, text[], text[], text, jsonb, jsonb, text,
                                       double precision, integer, text, text, jsonb, integer, text, text, text) TO aimass_analyst;

-- The metric aggregates of numbers (auc, ks, gini, iv, psi) and of probabilities (log_loss,
-- brier) move from internal states to bytea states: Citus computes a bytea state on each worker
-- and combines them on the coordinator, where an internal state made it pull every row. The
-- numeric states count each distinct value by flag (exact, and the same bits in any merge
-- order); the transition functions change their state in place. The aggregates keep their
-- names, arguments and results (CREATE OR REPLACE), so views and grants on them stay.
CREATE FUNCTION aimass._value_counts_add(state bytea, value float8, flag boolean) RETURNS bytea
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'aimass_value_counts_add';
CREATE FUNCTION aimass."_value_counts_combine"(
	"a" bytea,
	"b" bytea
) RETURNS bytea
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'value_counts_combine_wrapper';
CREATE FUNCTION aimass."_value_counts_auc_final"(
	"state" bytea
) RETURNS double precision
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'value_counts_auc_final_wrapper';
CREATE FUNCTION aimass."_value_counts_ks_final"(
	"state" bytea
) RETURNS double precision
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'value_counts_ks_final_wrapper';
CREATE FUNCTION aimass."_value_counts_gini_final"(
	"state" bytea
) RETURNS double precision
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'value_counts_gini_final_wrapper';
CREATE FUNCTION aimass."_value_counts_iv_final"(
	"state" bytea
) RETURNS double precision
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'value_counts_iv_final_wrapper';
CREATE FUNCTION aimass."_value_counts_psi_final"(
	"state" bytea
) RETURNS double precision
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'value_counts_psi_final_wrapper';
CREATE FUNCTION aimass._probabilities_add(state bytea, p float8, label boolean) RETURNS bytea
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'aimass_probabilities_add';
CREATE FUNCTION aimass."_probabilities_combine"(
	"a" bytea,
	"b" bytea
) RETURNS bytea
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'probability_sums_combine_wrapper';
CREATE FUNCTION aimass."_log_loss_final"(
	"state" bytea
) RETURNS double precision
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'probability_sums_log_loss_final_wrapper';
CREATE FUNCTION aimass."_brier_final"(
	"state" bytea
) RETURNS double precision
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'probability_sums_brier_final_wrapper';
CREATE OR REPLACE AGGREGATE aimass.auc(score float8, label boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_auc_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE aimass.ks(score float8, label boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_ks_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE aimass.gini(score float8, label boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_gini_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE aimass.iv(value float8, label boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_iv_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE aimass.psi(value float8, is_reference boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_psi_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE aimass.log_loss(p float8, label boolean) (
    SFUNC = aimass._probabilities_add, STYPE = bytea, FINALFUNC = aimass._log_loss_final,
    COMBINEFUNC = aimass._probabilities_combine, PARALLEL = SAFE);
CREATE OR REPLACE AGGREGATE aimass.brier(p float8, label boolean) (
    SFUNC = aimass._probabilities_add, STYPE = bytea, FINALFUNC = aimass._brier_final,
    COMBINEFUNC = aimass._probabilities_combine, PARALLEL = SAFE);
CREATE AGGREGATE aimass._value_counts(value float8, flag boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, COMBINEFUNC = aimass._value_counts_combine,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE aimass._value_counts(float8, boolean) IS 'Internal (evaluate on a distributed table): the state of auc, ks, gini, iv and psi itself, each distinct value with its rows by flag; Citus computes it on the workers and combines it.';
DROP FUNCTION aimass._pairs_add(internal, double precision, boolean),
              aimass._pairs_combine(internal, internal),
              aimass._pairs_serial(internal),
              aimass._pairs_deserial(bytea, internal),
              aimass._auc_final(internal),
              aimass._ks_final(internal),
              aimass._gini_final(internal),
              aimass._iv_final(internal),
              aimass._psi_final(internal),
              aimass._probabilities_add(internal, double precision, boolean),
              aimass._probabilities_combine(internal, internal),
              aimass._probabilities_serial(internal),
              aimass._probabilities_deserial(bytea, internal),
              aimass._log_loss_final(internal),
              aimass._brier_final(internal);
REVOKE EXECUTE ON FUNCTION aimass._value_counts_add(bytea, double precision, boolean),
                           aimass._value_counts_combine(bytea, bytea),
                           aimass._value_counts_auc_final(bytea),
                           aimass._value_counts_ks_final(bytea),
                           aimass._value_counts_gini_final(bytea),
                           aimass._value_counts_iv_final(bytea),
                           aimass._value_counts_psi_final(bytea),
                           aimass._probabilities_add(bytea, double precision, boolean),
                           aimass._probabilities_combine(bytea, bytea),
                           aimass._log_loss_final(bytea),
                           aimass._brier_final(bytea),
                           aimass._value_counts(double precision, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aimass._value_counts(double precision, boolean) TO aimass_analyst;

-- A monitor's check of a distributed table scores on the workers (issue 19): a row's score with
-- NaN and infinite numbers read as missing, as the check reads them.
CREATE FUNCTION aimass."_drift_score"(
	"model_id" bigint,
	"row" anyelement
) RETURNS double precision
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'drift_score_wrapper';
REVOKE EXECUTE ON FUNCTION aimass._drift_score(bigint, anyelement) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aimass._drift_score(bigint, anyelement) TO aimass_analyst;
