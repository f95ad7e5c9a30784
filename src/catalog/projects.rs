//! `aimass.projects`.

use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::task::Task;
use crate::error::OrRaise;

#[derive(Debug, Clone)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub task: Task,
}

pub fn find(name: &str) -> Option<Project> {
    let row = super::first_two::<i64, String>(
        "SELECT id, task FROM aimass.projects WHERE name = $1",
        &[name.into()],
    );
    let (Some(id), Some(task)) = row? else { return None };
    Some(Project { id, name: name.to_owned(), task: Task::parse(&task).or_raise() })
}

pub fn get(name: &str) -> Result<Project> {
    find(name).ok_or_else(|| {
        AimassError::new(ErrorKind::UndefinedObject, format!("project \"{name}\" does not exist"))
            .with_hint("Train a model first: SELECT * FROM aimass.train('project', 'table', 'target').")
    })
}

/// The project, created on first use; its task must match.
pub fn find_or_create(name: &str, task: Task) -> Result<Project> {
    if let Some(p) = find(name) {
        if p.task != task {
            return Err(AimassError::invalid_parameter(format!(
                "project \"{name}\" is a {} project, this model is {}",
                p.task.as_str(),
                task.as_str()
            ))
            .with_hint("Use a new project name for a different task."));
        }
        return Ok(p);
    }
    let id = super::get_one::<i64>(
        "INSERT INTO aimass.projects (name, task, created_by) VALUES ($1, $2, $3) RETURNING id",
        &[name.into(), task.as_str().into(), super::owner::caller_name().into()],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("project insert returned no id"))?;
    Ok(Project { id, name: name.to_owned(), task })
}
