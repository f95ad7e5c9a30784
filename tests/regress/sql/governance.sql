-- Governance: the three roles, what each may do, reading data with the caller's privileges,
-- the catalog written only through the functions, and the append-only audit log.
SET client_min_messages = warning;
DROP ROLE IF EXISTS gov_admin, gov_analyst, gov_scorer, gov_nobody;
CREATE ROLE gov_admin IN ROLE aimass_admin;
CREATE ROLE gov_analyst IN ROLE aimass_analyst;
CREATE ROLE gov_scorer IN ROLE aimass_scorer;
CREATE ROLE gov_nobody;
DROP SCHEMA IF EXISTS gov CASCADE;
RESET client_min_messages;
CREATE SCHEMA gov;
GRANT USAGE ON SCHEMA gov TO PUBLIC;
CREATE TABLE gov.applications AS SELECT * FROM credit_data;
GRANT SELECT ON gov.applications TO gov_admin, gov_analyst, gov_scorer;
CREATE TABLE gov.secret AS SELECT * FROM credit_data WHERE id <= 2000;

-- The roles and their chain of membership.
SELECT r.rolname, r.rolcanlogin,
       array(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
              WHERE m.member = r.oid ORDER BY 1) AS member_of
  FROM pg_roles r WHERE r.rolname LIKE 'aimass\_%' ORDER BY 1;

-- Who may execute what (functions starting with _ are internal and open to no role).
SELECT p.proname,
       bool_and(has_function_privilege('gov_nobody', p.oid, 'EXECUTE')) AS anyone,
       bool_and(has_function_privilege('aimass_scorer', p.oid, 'EXECUTE')) AS scorer,
       bool_and(has_function_privilege('aimass_analyst', p.oid, 'EXECUTE')) AS analyst,
       bool_and(has_function_privilege('aimass_admin', p.oid, 'EXECUTE')) AS admin
  FROM pg_proc p WHERE p.pronamespace = 'aimass'::regnamespace
 GROUP BY p.proname ORDER BY (p.proname LIKE '\_%'), 2 DESC, 3 DESC, 4 DESC, 1;
-- Which catalog tables each role may read; no role may write any of them.
SELECT c.relname,
       has_table_privilege('aimass_scorer', c.oid, 'SELECT') AS scorer,
       has_table_privilege('aimass_analyst', c.oid, 'SELECT') AS analyst,
       has_table_privilege('aimass_admin', c.oid, 'SELECT') AS admin,
       has_table_privilege('aimass_admin', c.oid, 'INSERT') OR has_table_privilege('aimass_admin', c.oid, 'UPDATE')
         OR has_table_privilege('aimass_admin', c.oid, 'DELETE') OR has_table_privilege('aimass_admin', c.oid, 'TRUNCATE')
         AS admin_writes
  FROM pg_class c WHERE c.relnamespace = 'aimass'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;

-- An analyst trains on what it may read; the default deploy policy does not deploy for it.
SET ROLE gov_analyst;
SELECT project, algorithm, deployed FROM aimass.train('gov', 'gov.applications', 'status',
       exclude => ARRAY['id', 'split'], split => 'column:split');
SELECT name, created_by FROM aimass.projects WHERE name = 'gov';
SELECT created_by FROM aimass.models WHERE project_id = (SELECT id FROM aimass.projects WHERE name = 'gov');
-- ... but not on a table it may not read, even through the extension's functions.
SELECT project FROM aimass.train('gov', 'gov.secret', 'status', exclude => ARRAY['id', 'split']);
SELECT count(*) FROM aimass.profile('gov.secret');
SELECT count(*) FROM aimass.evaluate((SELECT max(id) FROM aimass.models), 'gov.secret', 'status');
-- It may not deploy, nor write the catalog by hand, nor read the audit log.
SELECT * FROM aimass.deploy('gov');
SELECT project FROM aimass.train('gov', 'gov.applications', 'status', exclude => ARRAY['id', 'split'], deploy => 'always');
INSERT INTO aimass.deployments (project_id, model_id, strategy)
SELECT project_id, id, 'by hand' FROM aimass.models WHERE project_id = (SELECT id FROM aimass.projects WHERE name = 'gov');
UPDATE aimass.models SET hyperparams = '{}';
DELETE FROM aimass.projects;
SELECT count(*) FROM aimass.audit_log;
RESET ROLE;

-- An admin deploys and configures monitoring.
SET ROLE gov_admin;
SELECT project, strategy FROM aimass.deploy('gov');
SELECT deployed_by FROM aimass.deployments WHERE project_id = (SELECT id FROM aimass.projects WHERE name = 'gov');
SELECT (aimass.monitor('gov', 'gov.applications')) ->> 'relation' AS monitored;
RESET ROLE;
SELECT d.model_id AS gov_model FROM aimass.deployments d JOIN aimass.projects p ON p.id = d.project_id
 WHERE p.name = 'gov' ORDER BY d.id DESC LIMIT 1 \gset

-- A scorer scores the rows it may read, in bulk too; it cannot read artifacts, model internals or
-- training statistics, nor train or deploy.
SET ROLE gov_scorer;
SELECT aimass.predict_proba('gov', a) = aimass.predict_proba(:gov_model, a) AS scores
  FROM gov.applications a WHERE a.id = 1;
SELECT count(*) AS scored FROM aimass.predict_batch('gov', 'gov.applications', 'id');
SELECT count(*) > 0 AS sees_projects FROM aimass.projects;
SELECT artifact FROM aimass.models LIMIT 1;
SELECT reference FROM aimass.models LIMIT 1;
SELECT * FROM aimass.model_features(:gov_model);
SELECT * FROM aimass.coefficients(:gov_model);
SELECT project FROM aimass.train('gov2', 'gov.applications', 'status');
SELECT * FROM aimass.deploy('gov', 'most_recent');
SELECT count(*) FROM aimass.predict_batch('gov', 'gov.secret', 'id');
RESET ROLE;

-- A role without an aimass role may use the pure metrics only.
SET ROLE gov_nobody;
SELECT round(aimass.auc(s, l)::numeric, 3) AS auc FROM (VALUES (0.9, true), (0.1, false), (0.4, true)) v(s, l);
SELECT aimass.predict_proba('gov', '{}'::jsonb);
RESET ROLE;

-- No operator of the caller's schemas runs in the catalog statements: an "=" that is always true
-- would otherwise find a project that does not exist, with the owner's rights.
CREATE SCHEMA gov_evil AUTHORIZATION gov_analyst;
SET ROLE gov_analyst;
CREATE FUNCTION gov_evil.always(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR gov_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = gov_evil.always);
SET search_path = gov_evil, pg_catalog, public;
SELECT 'x' = 'y' AS hijacked_here;
SELECT aimass.predict_proba('no such project', a) FROM gov.applications a WHERE a.id = 1;
SELECT count(*) FROM aimass.evaluate('no such project', 'gov.applications', 'status');
RESET search_path;
RESET ROLE;

-- A scheduled check reads the live relation only while the monitor's creator may.
SELECT aimass.run_monitor(id) FROM aimass.projects WHERE name = 'gov';
REVOKE SELECT ON gov.applications FROM gov_admin;
SELECT aimass.run_monitor(id) FROM aimass.projects WHERE name = 'gov';
SELECT status, message FROM aimass.drift_reports
 WHERE project_id = (SELECT id FROM aimass.projects WHERE name = 'gov') AND kind = 'check' ORDER BY id DESC LIMIT 1;
SET ROLE gov_admin;
SELECT aimass.unmonitor('gov');
RESET ROLE;

-- The audit trail: train, deploy, monitoring changes and bulk scoring, each with its role.
SELECT role, action, project, model_id IS NOT NULL AS has_model,
       coalesce(arguments ->> 'strategy', arguments ->> 'relation') AS detail, (arguments ->> 'rows')::int AS rows
  FROM aimass.audit_log WHERE project = 'gov' ORDER BY id;
-- A rolled-back training leaves neither a model nor an audit row.
BEGIN;
SELECT deployed FROM aimass.train('gov', 'gov.applications', 'status', exclude => ARRAY['id', 'split'], deploy => 'never');
ROLLBACK;
SELECT count(*) AS audit_rows FROM aimass.audit_log WHERE project = 'gov';
-- Append-only: even a role granted DELETE and UPDATE cannot change it; a superuser can.
GRANT DELETE, UPDATE, TRUNCATE ON aimass.audit_log TO gov_admin;
SET ROLE gov_admin;
DELETE FROM aimass.audit_log WHERE project = 'gov';
UPDATE aimass.audit_log SET role = 'someone else' WHERE project = 'gov';
TRUNCATE aimass.audit_log;
RESET ROLE;
REVOKE DELETE, UPDATE, TRUNCATE ON aimass.audit_log FROM gov_admin;
BEGIN;
DELETE FROM aimass.audit_log WHERE project = 'gov' AND action = 'predict_batch';
SELECT count(*) AS audit_rows_left FROM aimass.audit_log WHERE project = 'gov';
ROLLBACK;

-- Clean up the cluster-wide roles.
DROP SCHEMA gov_evil CASCADE;
DROP SCHEMA gov CASCADE;
DROP OWNED BY gov_admin, gov_analyst, gov_scorer, gov_nobody;
DROP ROLE gov_admin, gov_analyst, gov_scorer, gov_nobody;
