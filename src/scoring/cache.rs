//! The per-backend cache of deserialized models and of each project's deployed model.
//!
//! A project's deployment is looked up once and kept until the catalog changes: a deployment
//! (and any change by hand to `aimass.projects`, `aimass.models` or `aimass.deployments`, through
//! a statement trigger) queues a relcache invalidation of `aimass.deployments`;
//! PostgreSQL delivers it to every backend when the change commits (each backend takes it in at
//! its next transaction, or its next lock), and our relcache callback then empties the cache. So a
//! single-row `predict_proba` costs no catalog query, and one statement always sees one model
//! (`STABLE`): an entry used in the current statement stays valid to its end.
//!
//! Every statement scores with the deployment its snapshot sees, in the leader and in every
//! parallel worker (which load afresh, under the leader's snapshot): at the first scoring call of
//! each statement the backend takes in pending invalidations (`AcceptInvalidationMessages`, as a
//! lock acquisition does) before trusting its cache, so a deployment committed before the
//! statement began is seen even in an open READ COMMITTED transaction whose locks are all held
//! already; a reload reads the deployment under the statement's snapshot (REPEATABLE READ: the
//! transaction's). A deployment this backend made and then rolled back (a whole transaction or a
//! subtransaction) empties the cache at once, also in the middle of a statement.
//!
//! The models are kept least recently used first out, within `aimass.model_cache_size` bytes
//! (counted by artifact size times [`DECODED_PER_ARTIFACT_BYTE`]); a model in use by the current
//! statement stays alive however the cache is trimmed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::pg_sys;

use crate::catalog::{deployments, models};
use crate::core::error::Result;
use crate::core::model::Model;
use crate::core::routing::Route;
use crate::scoring::row::RowMaps;

/// A decoded model's memory per byte of its artifact (the decoded vectors, and the scoring form
/// built once per loaded model, are wider than postcard's varints): an estimate, measured on
/// GBDT and logistic artifacts at 2–3.
const DECODED_PER_ARTIFACT_BYTE: usize = 4;

pub struct LoadedModel {
    pub id: i64,
    pub model: Model,
    /// Row-type → feature mappings, rebuilt once per statement.
    pub row_maps: RefCell<RowMaps>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    xact: i64,
    stmt: i64,
    generation: u64,
}

impl Stamp {
    /// Whether an entry stamped `self` may serve now: same catalog generation, or the same
    /// statement (a statement keeps its model even if an invalidation arrives mid-way).
    fn serves(&self, now: &Stamp) -> bool {
        self.generation == now.generation || (self.xact == now.xact && self.stmt == now.stmt)
    }
}

/// Bumped by the relcache callback; read with [`stamp`].
static CATALOG_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Relcache invalidation callback (registered in `_PG_init`): an invalidation of every relation
/// (`relid` invalid) or of `aimass.deployments` empties the scoring cache on next use. Before this
/// backend knows that table's oid, every invalidation does. An invalidation of the table itself
/// also forgets its oid, which a dropped and re-created extension changes.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_relcache_invalidation(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    use std::sync::atomic::Ordering::Relaxed;
    let ours = DEPLOYMENTS_OID.load(Relaxed);
    if relid == pg_sys::InvalidOid || ours == 0 || relid.to_u32() == ours {
        CATALOG_GENERATION.fetch_add(1, Relaxed);
        if relid.to_u32() == ours {
            DEPLOYMENTS_OID.store(0, Relaxed);
        }
    }
}

/// Learns `aimass.deployments`'s oid (so that other tables' invalidations are ignored); returns it.
fn resolve_deployments_oid() -> Option<pg_sys::Oid> {
    // A read-only SPI select: scoring runs in parallel workers too, which may not write.
    let oid = pgrx::Spi::connect(|c| {
        c.select("SELECT 'aimass.deployments'::regclass::oid", Some(1), &[])?.first().get_one::<pg_sys::Oid>()
    })
    .ok()
    .flatten()?;
    DEPLOYMENTS_OID.store(oid.to_u32(), std::sync::atomic::Ordering::Relaxed);
    Some(oid)
}

/// `aimass.deployments`'s oid once known (0 before).
static DEPLOYMENTS_OID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Registers the invalidation callback; once per backend, from `_PG_init`.
pub fn register_invalidation() {
    // SAFETY: registering static callbacks with no argument.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache_invalidation), pg_sys::Datum::from(0));
        pg_sys::RegisterXactCallback(Some(on_xact_event), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subxact_event), std::ptr::null_mut());
    }
    deployments::on_change(invalidate_everywhere);
}

/// Queues the invalidation of every backend's scoring cache, sent when this transaction commits
/// (called by the catalog tables' statement trigger).
pub fn invalidate_everywhere() {
    if let Some(oid) = resolve_deployments_oid() {
        // SAFETY: the relation exists (just resolved); the message is transactional.
        unsafe { pg_sys::CacheInvalidateRelcacheByRelid(oid) };
    }
    note_local_deployment();
}

struct ProjectEntry {
    model_id: i64,
    challenger: Option<(i64, Rc<Route>)>,
    stamp: Stamp,
}

/// What serves a project's scoring calls: the champion, and a challenger taking a share.
pub struct Served {
    pub champion: Rc<LoadedModel>,
    pub challenger: Option<(Rc<LoadedModel>, Rc<Route>)>,
}

struct CachedModel {
    model: Rc<LoadedModel>,
    bytes: usize,
    last_used: u64,
}

#[derive(Default)]
struct State {
    projects: HashMap<String, ProjectEntry>,
    models: HashMap<i64, CachedModel>,
    models_stamp: Stamp,
    generation: u64,
    /// The bytes of the models kept, and a use counter for least-recently-used order.
    bytes: usize,
    uses: u64,
    /// The statement whose pending invalidations were last taken in.
    accepted: (i64, i64),
    /// Whether this transaction recorded a deployment (a rollback must then empty the cache).
    deployed_here: bool,
}

impl State {
    fn touch(&mut self, id: i64) -> Option<Rc<LoadedModel>> {
        self.uses += 1;
        let uses = self.uses;
        self.models.get_mut(&id).map(|c| {
            c.last_used = uses;
            c.model.clone()
        })
    }

    fn forget_models(&mut self) {
        self.models.clear();
        self.bytes = 0;
    }

    fn forget_all(&mut self) {
        self.projects.clear();
        self.forget_models();
        self.generation += 1;
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Called whenever this backend records a deployment (the transaction may still roll back, so
/// the next lookup must go to the table).
fn note_local_deployment() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.generation += 1;
        s.deployed_here = true;
    });
}

/// Transaction callback: a transaction that recorded a deployment and aborts empties the cache.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_xact_event(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    let abort =
        event == pg_sys::XactEvent::XACT_EVENT_ABORT || event == pg_sys::XactEvent::XACT_EVENT_PARALLEL_ABORT;
    let end = abort
        || event == pg_sys::XactEvent::XACT_EVENT_COMMIT
        || event == pg_sys::XactEvent::XACT_EVENT_PARALLEL_COMMIT
        || event == pg_sys::XactEvent::XACT_EVENT_PREPARE;
    if end {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            if abort && s.deployed_here {
                s.forget_all();
            }
            s.deployed_here = false;
        });
    }
}

/// Subtransaction callback: a rolled-back subtransaction of a transaction that recorded a
/// deployment empties the cache (the deployment may have been the subtransaction's).
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_subxact_event(
    event: pg_sys::SubXactEvent::Type,
    _my: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            if s.deployed_here {
                s.forget_all();
            }
        });
    }
}

/// Identifies the current statement of the current transaction and the catalog generation. At
/// a statement's first call, pending invalidations are taken in first.
pub fn stamp() -> Stamp {
    // SAFETY: reads of the transaction's and statement's start times.
    let (xact, stmt) = unsafe {
        (pg_sys::GetCurrentTransactionStartTimestamp(), pg_sys::GetCurrentStatementStartTimestamp())
    };
    let new_statement = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let new = s.accepted != (xact, stmt);
        s.accepted = (xact, stmt);
        new
    });
    if new_statement {
        // SAFETY: what every lock acquisition does; our relcache callback may run inside.
        unsafe { pg_sys::AcceptInvalidationMessages() };
    }
    let generation =
        STATE.with(|s| s.borrow().generation) + CATALOG_GENERATION.load(std::sync::atomic::Ordering::Relaxed);
    Stamp { xact, stmt, generation }
}

/// The champion model deployed for `project`.
pub fn deployed(project: &str) -> Result<Rc<LoadedModel>> {
    Ok(served(project)?.champion)
}

/// The champion and challenger deployed for `project`.
pub fn served(project: &str) -> Result<Served> {
    let now = stamp();
    let cached = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let e = s.projects.get(project).filter(|e| e.stamp.serves(&now))?;
        let (model_id, challenger) = (e.model_id, e.challenger.clone());
        let champion = s.touch(model_id)?;
        let challenger = match challenger {
            None => None,
            Some((id, route)) => Some((s.touch(id)?, route)),
        };
        Some(Served { champion, challenger })
    });
    if let Some(m) = cached {
        return Ok(m);
    }
    let Some(d) = deployments::current_by_project_name(project) else {
        crate::catalog::projects::get(project)?;
        return Err(deployments::no_deployment(project));
    };
    if DEPLOYMENTS_OID.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        resolve_deployments_oid();
    }
    let champion = by_id(d.model_id)?;
    let challenger = match d.challenger {
        Some(c) => Some((by_id(c.model_id)?, Rc::new(c.route))),
        None => None,
    };
    // The lookups may have taken in an invalidation: stamp with the generation after them.
    let now = stamp();
    let entry = ProjectEntry {
        model_id: d.model_id,
        challenger: challenger.as_ref().map(|(m, r)| (m.id, r.clone())),
        stamp: now,
    };
    STATE.with(|s| s.borrow_mut().projects.insert(project.to_owned(), entry));
    Ok(Served { champion, challenger })
}

/// A model by id, deserialized once and kept until the catalog changes (or until less recently
/// used models need its room).
pub fn by_id(model_id: i64) -> Result<Rc<LoadedModel>> {
    let now = stamp();
    let cached = STATE.with(|s| {
        let mut s = s.borrow_mut();
        if !s.models_stamp.serves(&now) {
            // An artifact may have been changed by hand: read models again.
            s.forget_models();
            s.models_stamp = now;
        }
        s.touch(model_id)
    });
    if let Some(m) = cached {
        return Ok(m);
    }
    let (_, model, artifact_bytes) = models::load_sized(model_id)?;
    let loaded = Rc::new(LoadedModel { id: model_id, model, row_maps: RefCell::new(RowMaps::default()) });
    let bytes = artifact_bytes.saturating_mul(DECODED_PER_ARTIFACT_BYTE);
    let limit = crate::gucs::model_cache_bytes();
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        // Least recently used out until the new model fits (a model larger than the whole cache
        // is used by this call and not kept).
        while s.bytes + bytes > limit {
            let Some((&oldest, _)) = s.models.iter().min_by_key(|(_, c)| c.last_used) else { break };
            if let Some(c) = s.models.remove(&oldest) {
                s.bytes -= c.bytes;
            }
            s.projects.retain(|_, e| {
                e.model_id != oldest && e.challenger.as_ref().is_none_or(|(c, _)| *c != oldest)
            });
        }
        if bytes <= limit {
            s.uses += 1;
            let last_used = s.uses;
            s.bytes += bytes;
            s.models.insert(model_id, CachedModel { model: loaded.clone(), bytes, last_used });
        }
    });
    Ok(loaded)
}

/// The models this backend keeps and their counted bytes (for tests).
pub fn usage() -> (usize, usize) {
    STATE.with(|s| {
        let s = s.borrow();
        (s.models.len(), s.bytes)
    })
}
