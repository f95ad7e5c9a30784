-- The hostile-objects suite's database (tests/security/run.sh): roles, a spy that records who
-- runs it, the credit data and a deployed model.
SET client_min_messages = warning;
CREATE EXTENSION aimass;
\i sql/sample_data.sql
GRANT SELECT ON credit_data TO PUBLIC;

-- al: an aimass administrator; ana: an analyst; sam: a scorer; eve (and eve2, whose member she
-- is): owners of tables with no aimass role at all.
DO $$ BEGIN
    CREATE ROLE al LOGIN IN ROLE aimass_admin;
    CREATE ROLE ana LOGIN IN ROLE aimass_analyst;
    CREATE ROLE sam LOGIN IN ROLE aimass_scorer;
    CREATE ROLE eve LOGIN;
    CREATE ROLE eve2 NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
GRANT eve2 TO eve;
GRANT CREATE ON SCHEMA public TO eve, eve2, al, ana;

-- Whoever runs spy(path) leaves a row saying who and whether a superuser or the extension's
-- owner: the suite asserts no such row is ever written by an elevated path.
CREATE TABLE ran_as (path text NOT NULL, who name NOT NULL, su boolean NOT NULL,
                     at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT INSERT, SELECT ON ran_as TO PUBLIC;
CREATE FUNCTION spy(path text) RETURNS boolean LANGUAGE sql VOLATILE AS $$
    INSERT INTO public.ran_as (path, who, su)
    SELECT path, current_user, rolsuper OR current_user = (SELECT nspowner::regrole::name FROM pg_namespace WHERE nspname = 'aimass')
      FROM pg_roles WHERE rolname = current_user
    RETURNING true
$$;
ALTER FUNCTION spy(text) OWNER TO eve;

SELECT model_id AS hp_model FROM aimass.train('hp', 'credit_data', 'status', exclude => ARRAY['id'],
                                              split => 'column:split', deploy => 'always') \gset
