//! The catalog is read and written with the rights of the extension's owner, everything else
//! with the caller's.
//!
//! The catalog tables grant nothing to ordinary roles (only SELECT to the aimass roles, see
//! `privileges.rs`), so a role can change a model, a deployment or the audit log only through the
//! functions it may EXECUTE. Those functions read user tables as the caller, through SPI, as any
//! SQL the caller wrote would: a role without SELECT on a table cannot train, profile or score in
//! batch on it. Only the catalog statements of this module's callers switch, the way PostgreSQL
//! runs a SECURITY DEFINER function: the user id becomes the owner of schema `aimass` and
//! `search_path` becomes `pg_catalog, pg_temp` (so that no operator or function of the caller's
//! schemas can be slipped into the owner's statements); both are restored afterwards, and by
//! PostgreSQL itself when an error aborts the (sub)transaction.

use std::cell::Cell;
use std::ffi::CStr;

use pgrx::pg_sys;

thread_local! {
    /// The caller's role while switched (`InvalidOid` when not switched).
    static CALLER: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
}

/// Runs `f` with the extension owner's rights (nested calls run as they are).
pub fn as_owner<R>(f: impl FnOnce() -> R) -> R {
    if CALLER.with(Cell::get) != pg_sys::InvalidOid {
        return f();
    }
    let _switched = Switched::enter();
    f()
}

/// Runs `f` as `role`, the way PostgreSQL runs REFRESH MATERIALIZED VIEW or autovacuum's index
/// expressions on behalf of a table's owner: the user id becomes `role` with
/// `SECURITY_RESTRICTED_OPERATION` (no SET ROLE, no temporary objects, no changes to the session
/// that outlive `f`), and `search_path` is `pg_catalog, pg_temp`. Used for the scheduled checks of a
/// monitor, which read the monitored relation with its creator's rights, never the worker's or the
/// extension owner's: the relation's views, policies, functions and operators run as the creator,
/// and row-level security applies to the creator. Catalog statements inside `f` still switch to
/// the extension owner ([`as_owner`]).
pub fn as_role<R>(role: pg_sys::Oid, f: impl FnOnce() -> R) -> R {
    let _switched = Switched::enter_as(role, pg_sys::SECURITY_RESTRICTED_OPERATION as i32);
    // Nested catalog statements must switch to the owner, not run as `role`.
    let saved = CALLER.with(|c| c.replace(pg_sys::InvalidOid));
    struct Restore(pg_sys::Oid);
    impl Drop for Restore {
        fn drop(&mut self) {
            CALLER.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(saved);
    f()
}

/// The role that called the extension: the current user, or the one saved while switched.
pub fn caller() -> pg_sys::Oid {
    match CALLER.with(Cell::get) {
        pg_sys::InvalidOid => unsafe { pg_sys::GetUserId() },
        oid => oid,
    }
}

/// The calling role's name (recorded as `created_by`, `deployed_by` and in the audit log).
pub fn caller_name() -> String {
    role_name(caller())
}

pub fn role_name(role: pg_sys::Oid) -> String {
    // SAFETY: GetUserNameFromId returns a palloc'd C string or raises for an unknown role.
    unsafe { CStr::from_ptr(pg_sys::GetUserNameFromId(role, false)).to_string_lossy().into_owned() }
}

/// The owner of schema `aimass` (the role that created the extension).
fn owner() -> pg_sys::Oid {
    // SAFETY: a syscache lookup of the schema by oid; the tuple is released before returning.
    unsafe {
        let nsp = pg_sys::get_namespace_oid(c"aimass".as_ptr(), false);
        let tuple = pg_sys::SearchSysCache1(pg_sys::SysCacheIdentifier::NAMESPACEOID as i32, nsp.into());
        if tuple.is_null() {
            pgrx::error!("aimass: schema aimass vanished");
        }
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_namespace>(tuple);
        let owner = (*form).nspowner;
        pg_sys::ReleaseSysCache(tuple);
        owner
    }
}

/// On a Citus node, lets the catalog statements of a call that runs inside a shard query (a
/// pushed-down `predict_proba`) read the catalog's reference tables: Citus refuses any nested
/// distributed statement there unless `citus.allow_nested_distributed_execution` is on. Reading
/// a reference table is safe (every node holds all of its rows, read from the local placement),
/// and the setting is saved and restored with the switch, for the catalog statement alone.
/// Without Citus loaded the setting does not exist and nothing is set.
///
/// # Safety
/// Called inside [`Switched::enter_as`], after `NewGUCNestLevel`.
unsafe fn allow_catalog_reads_in_shard_queries() {
    const NAME: &std::ffi::CStr = c"citus.allow_nested_distributed_execution";
    if pg_sys::GetConfigOption(NAME.as_ptr(), true, false).is_null() {
        return;
    }
    set_saved(NAME, c"on");
}

/// Sets a setting as a function's SET clause does (saved at the current GUC nest level, which
/// the caller opened with `NewGUCNestLevel` and closes with `AtEOXact_GUC`).
///
/// # Safety
/// Inside a transaction, after `NewGUCNestLevel`.
pub(crate) unsafe fn set_saved(name: &std::ffi::CStr, value: &std::ffi::CStr) {
    pg_sys::set_config_option(
        name.as_ptr(),
        value.as_ptr(),
        pg_sys::GucContext::PGC_USERSET,
        pg_sys::GucSource::PGC_S_SESSION,
        pg_sys::GucAction::GUC_ACTION_SAVE,
        true,
        0,
        false,
    );
}

/// A switched user id and search_path, restored on drop.
struct Switched {
    owner_switch: bool,
    user: pg_sys::Oid,
    context: i32,
    guc_nest: i32,
}

impl Switched {
    fn enter() -> Self {
        Self::enter_as(owner(), 0)
    }

    /// Switches to `role`, adding `extra` to the security context (the caller is remembered as
    /// [`caller`] only for the owner's switch).
    fn enter_as(role: pg_sys::Oid, extra: i32) -> Self {
        let owner_switch = extra == 0;
        let mut user = pg_sys::InvalidOid;
        let mut context = 0;
        // SAFETY: the same calls fmgr_security_definer makes; GUC_ACTION_SAVE is allowed in
        // parallel workers, which score too.
        unsafe {
            pg_sys::GetUserIdAndSecContext(&mut user, &mut context);
            let guc_nest = pg_sys::NewGUCNestLevel();
            set_saved(c"search_path", c"pg_catalog, pg_temp");
            if owner_switch {
                allow_catalog_reads_in_shard_queries();
            }
            pg_sys::SetUserIdAndSecContext(
                role,
                context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32 | extra,
            );
            if owner_switch {
                CALLER.with(|c| c.set(user));
            }
            Switched { owner_switch, user, context, guc_nest }
        }
    }
}

impl Drop for Switched {
    fn drop(&mut self) {
        if self.owner_switch {
            CALLER.with(|c| c.set(pg_sys::InvalidOid));
        }
        // SAFETY: restores what `enter` saved; on an error PostgreSQL restores the same when the
        // (sub)transaction aborts, and doing it here too is harmless.
        unsafe {
            pg_sys::SetUserIdAndSecContext(self.user, self.context);
            pg_sys::AtEOXact_GUC(!std::thread::panicking(), self.guc_nest);
        }
    }
}
