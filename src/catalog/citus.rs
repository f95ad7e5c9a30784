//! Citus, when it is installed: which node this is, how a relation is distributed, and the
//! function that puts the catalog on every node (`sql/schema/citus.sql`). Without Citus every
//! answer here is "one node, local relation", and nothing else of aimass changes.

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;

use crate::catalog;

pgrx::extension_sql_file!("../../sql/schema/citus.sql", name = "citus", requires = ["catalog"]);

/// Whether Citus is installed in this database.
pub fn installed() -> bool {
    catalog::get_one::<bool>(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'citus')",
        &[],
    )
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// Whether this node is a Citus worker (Citus installed, and this node's group is not the
/// coordinator's, 0). Monitoring runs on the coordinator only.
pub fn is_worker_node() -> bool {
    installed()
        && catalog::get_one::<bool>(
            "SELECT groupid OPERATOR(pg_catalog.<>) 0 FROM pg_catalog.pg_dist_local_group",
            &[],
        )
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// How Citus holds a relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A plain table of this node (or no Citus).
    Local,
    /// A reference table or a Citus-managed local table: every row on one or every node.
    Replicated,
    /// A distributed table, sharded by this column.
    Distributed { column: String },
}

/// How `relation` is placed.
pub fn placement(relation: pg_sys::Oid) -> Placement {
    if !installed() {
        return Placement::Local;
    }
    let found = catalog::first_two::<String, String>(
        "SELECT partmethod::text, pg_catalog.column_to_column_name(logicalrelid, partkey)
           FROM pg_catalog.pg_dist_partition WHERE logicalrelid OPERATOR(pg_catalog.=) $1",
        &[DatumWithOid::from(relation)],
    );
    match found {
        Some((Some(method), Some(column))) if method == "h" => Placement::Distributed { column },
        Some(_) => Placement::Replicated,
        None => Placement::Local,
    }
}

/// Whether the catalog is on every node (`aimass.distribute_catalog()` has run here): only then
/// can a pushed-down call read a model on the workers.
pub fn catalog_distributed() -> bool {
    installed()
        && catalog::get_one::<bool>(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                             WHERE logicalrelid OPERATOR(pg_catalog.=) 'aimass.models'::pg_catalog.regclass)",
            &[],
        )
        .ok()
        .flatten()
        .unwrap_or(false)
}
