-- A normalized description of everything the extension owns in a database (functions with their
-- attributes and grants, columns, constraints, indexes, views, triggers, table grants, comments,
-- extension members and configuration tables): an upgraded database must describe the same as
-- a fresh install. Column order is left out (ALTER TABLE ADD COLUMN appends).
SELECT kind, name, detail FROM (
    SELECT 'function' AS kind, p.oid::regprocedure::text AS name,
           concat_ws(' | ', pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.provolatile,
                     p.proparallel, p.prosecdef, p.proisstrict, p.proconfig::text, p.prokind, md5(p.prosrc),
                     (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM aclexplode(p.proacl) x),
                     obj_description(p.oid, 'pg_proc')) AS detail
      FROM pg_proc p WHERE p.pronamespace = 'aimass'::regnamespace
    UNION ALL
    SELECT 'column', c.relname || '.' || a.attname,
           concat_ws(' | ', format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                     col_description(c.oid, a.attnum))
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'aimass'::regnamespace
    UNION ALL
    SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'aimass'::regnamespace
    UNION ALL
    SELECT 'index', c.relname, pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'aimass'::regnamespace
    UNION ALL
    SELECT 'view', c.relname, pg_get_viewdef(c.oid) FROM pg_class c
     WHERE c.relkind = 'v' AND c.relnamespace = 'aimass'::regnamespace
    UNION ALL
    SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname, pg_get_triggerdef(t.oid)
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'aimass'::regnamespace AND NOT t.tgisinternal
    UNION ALL
    SELECT 'relation', c.relname,
           concat_ws(' | ', c.relkind, (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM aclexplode(c.relacl) x),
                     obj_description(c.oid, 'pg_class'))
      FROM pg_class c WHERE c.relnamespace = 'aimass'::regnamespace
    UNION ALL
    SELECT 'member', pg_describe_object(d.classid, d.objid, 0), ''
      FROM pg_depend d
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'aimass')
    UNION ALL
    SELECT 'configuration', unnest(extconfig)::regclass::text, '' FROM pg_extension WHERE extname = 'aimass'
    UNION ALL
    SELECT 'role', r.rolname, concat_ws(' | ', r.rolcanlogin,
           (SELECT string_agg(b.rolname, ',' ORDER BY b.rolname) FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
             WHERE m.member = r.oid))
      FROM pg_roles r WHERE r.rolname LIKE 'aimass\_%'
    UNION ALL
    SELECT 'schema', n.nspname, (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM aclexplode(n.nspacl) x)
      FROM pg_namespace n WHERE n.nspname = 'aimass'
) s ORDER BY 1, 2, 3;
