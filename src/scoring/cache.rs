//! The per-backend cache of deserialized models and of each project's deployed model.
//!
//! A project's deployment is looked up once and kept until the catalog changes: a deployment
//! (and any change by hand to `aimass.projects`, `aimass.models` or `aimass.deployments`, through
//! a statement trigger) queues a relcache invalidation of `aimass.deployments`;
//! PostgreSQL delivers it to every backend when the change commits (each backend takes it in at
//! its next transaction, or its next lock), and our relcache callback then empties the cache. So a
//! single-row `predict_proba` costs no catalog query, every session scores with the new model
//! from its next transaction on, and one statement always sees one model (`STABLE`): an entry used
//! in the current statement stays valid to its end.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::pg_sys;

use crate::catalog::{deployments, models};
use crate::core::error::Result;
use crate::core::model::Model;
use crate::core::routing::Route;
use crate::scoring::row::RowMaps;

/// Models kept per backend before the cache is emptied.
const MAX_MODELS: usize = 64;

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
    // SAFETY: registering a static callback with no argument.
    unsafe { pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache_invalidation), pg_sys::Datum::from(0)) };
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

#[derive(Default)]
struct State {
    projects: HashMap<String, ProjectEntry>,
    models: HashMap<i64, Rc<LoadedModel>>,
    models_stamp: Stamp,
    generation: u64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Called whenever this backend records a deployment (the transaction may still roll back, so
/// the next lookup must go to the table).
fn note_local_deployment() {
    STATE.with(|s| s.borrow_mut().generation += 1);
}

/// Identifies the current statement of the current transaction and the catalog generation.
pub fn stamp() -> Stamp {
    let generation =
        STATE.with(|s| s.borrow().generation) + CATALOG_GENERATION.load(std::sync::atomic::Ordering::Relaxed);
    unsafe {
        Stamp {
            xact: pg_sys::GetCurrentTransactionStartTimestamp(),
            stmt: pg_sys::GetCurrentStatementStartTimestamp(),
            generation,
        }
    }
}

/// The champion model deployed for `project`.
pub fn deployed(project: &str) -> Result<Rc<LoadedModel>> {
    Ok(served(project)?.champion)
}

/// The champion and challenger deployed for `project`.
pub fn served(project: &str) -> Result<Served> {
    let now = stamp();
    let cached = STATE.with(|s| {
        let s = s.borrow();
        let e = s.projects.get(project).filter(|e| e.stamp.serves(&now))?;
        let champion = s.models.get(&e.model_id).cloned()?;
        let challenger = match &e.challenger {
            None => None,
            Some((id, route)) => Some((s.models.get(id).cloned()?, route.clone())),
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

/// A model by id, deserialized once and kept until the catalog changes.
pub fn by_id(model_id: i64) -> Result<Rc<LoadedModel>> {
    let now = stamp();
    let cached = STATE.with(|s| {
        let mut s = s.borrow_mut();
        if !s.models_stamp.serves(&now) {
            // An artifact may have been changed by hand: read models again.
            s.models.clear();
            s.models_stamp = now;
        }
        s.models.get(&model_id).cloned()
    });
    if let Some(m) = cached {
        return Ok(m);
    }
    let (_, model) = models::load(model_id)?;
    let loaded = Rc::new(LoadedModel { id: model_id, model, row_maps: RefCell::new(RowMaps::default()) });
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if s.models.len() >= MAX_MODELS {
            s.models.clear();
            s.projects.clear();
        }
        s.models.insert(model_id, loaded.clone());
    });
    Ok(loaded)
}
