//! The catalog: projects, snapshots, models and deployments (tables in schema `aimass`), and
//! reading user relations. All SQL of the extension's own tables lives here.

pub mod binnings;
pub mod cleaning;
pub mod deployments;
pub mod models;
pub mod monitors;
pub mod projects;
pub mod relation;
pub mod schema;
