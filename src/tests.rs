//! `#[pg_test]`s: the SQL functions called inside a real backend. The full SQL surface, with
//! exact expected output and two client connections, is tested by pg_regress in tests/regress.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    /// The sample data, compiled in: the test server runs as another OS user that may not be able to
    /// read the repository.
    const CREDIT_CSV: &str = include_str!("../data/credit_data.csv");

    fn load_credit_data() {
        Spi::run(
            "CREATE TABLE credit (id int, status text, seniority int, home text, time int, age int,
                marital text, records text, job text, expenses int, income float8, assets float8,
                debt float8, amount int, price int, split text)",
        )
        .unwrap();
        let rows: Vec<String> = CREDIT_CSV
            .lines()
            .skip(1)
            .map(|line| {
                let cells: Vec<String> = line
                    .split(',')
                    .map(|c| if c.is_empty() { "NULL".to_owned() } else { pgrx::spi::quote_literal(c) })
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        Spi::run(&format!("INSERT INTO credit VALUES {}", rows.join(", "))).unwrap();
    }

    #[pg_test]
    fn logistic_on_credit_data_reaches_the_scikit_learn_auc() {
        load_credit_data();
        let auc = Spi::get_one::<f64>(
            "SELECT (metrics -> 'test' ->> 'auc')::float8
               FROM aimass.train('credit', 'credit', 'status', exclude => ARRAY['id'], split => 'column:split')",
        )
        .unwrap()
        .unwrap();
        // scikit-learn's standardized logistic regression: 0.8385 on this split.
        assert!(auc >= 0.82, "test AUC {auc}");
        // Scoring inline over the test rows gives back the stored test metric exactly.
        Spi::run("CREATE TEMP VIEW credit_test AS SELECT * FROM credit WHERE split = 'test'").unwrap();
        let (stored, evaluated) = Spi::get_two::<f64, f64>(
            "SELECT (m.metrics -> 'test' ->> 'log_loss')::float8,
                    (aimass.evaluate('credit', 'credit_test') ->> 'log_loss')::float8
               FROM aimass.models m ORDER BY id DESC LIMIT 1",
        )
        .unwrap();
        assert!(stored.is_some());
        assert_eq!(stored, evaluated);
        let n = Spi::get_one::<i64>(
            "SELECT count(*) FROM credit c WHERE aimass.predict_proba('credit', c) BETWEEN 0 AND 1",
        )
        .unwrap()
        .unwrap();
        assert_eq!(n, 4454);
    }

    /// With aimass in shared_preload_libraries (see `pg_test::postgresql_conf_options`), the
    /// launcher runs after start-up (its rounds, short-lived workers per database, and their
    /// checks are tested end to end by tests/worker/run.sh).
    #[pg_test]
    fn the_monitoring_launcher_runs() {
        for _ in 0..300 {
            Spi::run("SELECT pg_stat_clear_snapshot()").unwrap();
            let running = Spi::get_one::<bool>(
                "SELECT count(*) FILTER (WHERE backend_type = 'aimass monitor launcher') = 1 FROM pg_stat_activity",
            )
            .unwrap()
            .unwrap_or(false);
            if running {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the monitoring launcher is not running");
    }

    #[pg_test(error = "model artifact is corrupted or not an aimass model")]
    fn corrupted_artifact_is_an_error_not_a_crash() {
        load_credit_data();
        let id = Spi::get_one::<i64>(
            "SELECT model_id FROM aimass.train('c2', 'credit', 'status', features => ARRAY['age', 'home'], deploy => 'never')",
        )
        .unwrap()
        .unwrap();
        Spi::run(&format!(
            "UPDATE aimass.models SET artifact = overlay(artifact placing '\\xff'::bytea from 40) WHERE id = {id}"
        ))
        .unwrap();
        Spi::get_one::<f64>(&format!(
            "SELECT aimass.predict_proba({id}, '{{\"age\": 30, \"home\": \"rent\"}}'::jsonb)"
        ))
        .unwrap();
    }

    #[pg_test(error = "project \"nobody\" does not exist")]
    fn deploy_of_unknown_project_is_an_error() {
        Spi::run("SELECT * FROM aimass.deploy('nobody')").unwrap();
    }
}
