//! The per-backend cache of deserialized models.
//!
//! A project's deployment is looked up at most once per statement: the cache entry is stamped
//! with the transaction and statement start times and with a counter that this backend bumps on
//! each of its own deployments. So after a `deploy` commits, every session scores with the new
//! model from its next statement on, while one statement always sees one model (`STABLE`).
//! Models themselves never change once written, so they are cached by id.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::pg_sys;

use crate::catalog::{deployments, models};
use crate::core::error::Result;
use crate::core::model::Model;
use crate::scoring::row::RowMaps;

/// Models kept per backend before the cache is emptied.
const MAX_MODELS: usize = 64;

pub struct LoadedModel {
    pub id: i64,
    pub model: Model,
    /// Row-type → feature mappings, rebuilt once per statement.
    pub row_maps: RefCell<RowMaps>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    xact: i64,
    stmt: i64,
    generation: u64,
}

struct ProjectEntry {
    model_id: i64,
    stamp: Stamp,
}

#[derive(Default)]
struct State {
    projects: HashMap<String, ProjectEntry>,
    models: HashMap<i64, Rc<LoadedModel>>,
    generation: u64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Called whenever this backend records a deployment (the transaction may still roll back, so
/// the next lookup must go to the table).
pub fn note_local_deployment() {
    STATE.with(|s| s.borrow_mut().generation += 1);
}

/// Identifies the current statement of the current transaction.
pub fn stamp() -> Stamp {
    let generation = STATE.with(|s| s.borrow().generation);
    unsafe {
        Stamp {
            xact: pg_sys::GetCurrentTransactionStartTimestamp(),
            stmt: pg_sys::GetCurrentStatementStartTimestamp(),
            generation,
        }
    }
}

/// The model deployed for `project`.
pub fn deployed(project: &str) -> Result<Rc<LoadedModel>> {
    let now = stamp();
    let cached = STATE.with(|s| {
        let s = s.borrow();
        let e = s.projects.get(project).filter(|e| e.stamp == now)?;
        s.models.get(&e.model_id).cloned()
    });
    if let Some(m) = cached {
        return Ok(m);
    }
    let Some(d) = deployments::current_by_project_name(project) else {
        crate::catalog::projects::get(project)?;
        return Err(deployments::no_deployment(project));
    };
    let m = by_id(d.model_id)?;
    STATE.with(|s| {
        s.borrow_mut().projects.insert(project.to_owned(), ProjectEntry { model_id: d.model_id, stamp: now })
    });
    Ok(m)
}

/// A model by id, deserialized once per backend.
pub fn by_id(model_id: i64) -> Result<Rc<LoadedModel>> {
    if let Some(m) = STATE.with(|s| s.borrow().models.get(&model_id).cloned()) {
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
