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
