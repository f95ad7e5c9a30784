//! The catalog tables (`sql/schema/catalog.sql`), created by `CREATE EXTENSION aimass` before any
//! function.

pgrx::extension_sql_file!("../../sql/schema/catalog.sql", name = "catalog", bootstrap);
