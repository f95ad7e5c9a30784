//! Strict reading of option objects given as jsonb (`hyperparams`, `preprocess`): every key must
//! be known and every value of the right type and range, or the caller gets an error naming it.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

use crate::error::{AimassError, Result};

/// One hyperparameter: its name, type and range, default and a one-line doc. The option reader
/// ([`Options::int`], [`Options::num`], [`Options::flag`], [`Options::choice`],
/// [`Options::shaped`]), the error messages, the stored `hyperparams`, `aimass.hyperparameters`
/// and the README's table all read this one definition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub doc: &'static str,
}

/// A hyperparameter's type, range and default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Integer {
        min: i64,
        max: i64,
        default: i64,
    },
    Number {
        min: f64,
        max: f64,
        default: f64,
    },
    Boolean {
        default: bool,
    },
    /// One of the listed words.
    Choice {
        choices: &'static [&'static str],
        default: &'static str,
    },
    /// A value of a richer shape (a list, an object, a word or a number): its type and accepted
    /// values in words and its default as JSON text (`null` where the default depends on the
    /// data, which the doc then says). The algorithm reads and checks the value itself.
    Shaped {
        type_name: &'static str,
        range: &'static str,
        default: &'static str,
    },
}

impl Param {
    pub const fn integer(name: &'static str, min: i64, max: i64, default: i64, doc: &'static str) -> Param {
        Param { name, kind: Kind::Integer { min, max, default }, doc }
    }

    pub const fn number(name: &'static str, min: f64, max: f64, default: f64, doc: &'static str) -> Param {
        Param { name, kind: Kind::Number { min, max, default }, doc }
    }

    pub const fn boolean(name: &'static str, default: bool, doc: &'static str) -> Param {
        Param { name, kind: Kind::Boolean { default }, doc }
    }

    pub const fn choice(
        name: &'static str,
        choices: &'static [&'static str],
        default: &'static str,
        doc: &'static str,
    ) -> Param {
        Param { name, kind: Kind::Choice { choices, default }, doc }
    }

    pub const fn shaped(
        name: &'static str,
        type_name: &'static str,
        range: &'static str,
        default: &'static str,
        doc: &'static str,
    ) -> Param {
        Param { name, kind: Kind::Shaped { type_name, range, default }, doc }
    }

    /// `integer`, `number`, `boolean`, `text`, or a shape such as `integer list`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Integer { .. } => "integer",
            Kind::Number { .. } => "number",
            Kind::Boolean { .. } => "boolean",
            Kind::Choice { .. } => "text",
            Kind::Shaped { type_name, .. } => type_name,
        }
    }

    /// The default as JSON.
    pub fn default_value(&self) -> Value {
        match self.kind {
            Kind::Integer { default, .. } => Value::from(default),
            Kind::Number { default, .. } => Value::from(default),
            Kind::Boolean { default } => Value::from(default),
            Kind::Choice { default, .. } => Value::from(default),
            Kind::Shaped { default, .. } => serde_json::from_str(default).unwrap_or(Value::Null),
        }
    }

    /// The accepted range for people, e.g. `1 – 10000`, `> 0`, `1e-6 – 1`, `any`.
    pub fn range(&self) -> String {
        match self.kind {
            Kind::Integer { min: i64::MIN, max: i64::MAX, .. } => "any".into(),
            Kind::Integer { min, max, .. } => format!("{min} – {max}"),
            Kind::Number { min, max, .. } if min == f64::MIN_POSITIVE => format!("> 0 – {}", short(max)),
            Kind::Number { min, max, .. } => format!("{} – {}", short(min), short(max)),
            Kind::Boolean { .. } => "true, false".into(),
            Kind::Choice { choices, .. } => choices.join(", "),
            Kind::Shaped { range, .. } => range.into(),
        }
    }
}

/// A number as people write it in a table: `1e12`, `1e-6`, `0.5`.
fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

pub struct Options<'a> {
    what: &'static str,
    map: Option<&'a Map<String, Value>>,
    used: BTreeSet<&'a str>,
    asked: Vec<&'static str>,
}

impl<'a> Options<'a> {
    /// `what` names the argument in messages, e.g. "hyperparams". JSON null is an empty object.
    pub fn new(value: &'a Value, what: &'static str) -> Result<Self> {
        let map = match value {
            Value::Null => None,
            Value::Object(m) => Some(m),
            other => {
                return Err(AimassError::invalid_parameter(format!(
                    "{what} must be a JSON object, not {other}"
                )))
            }
        };
        Ok(Self { what, map, used: BTreeSet::new(), asked: Vec::new() })
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.asked.push(key);
        let (k, v) = self.map?.get_key_value(key)?;
        self.used.insert(k.as_str());
        if v.is_null() {
            None
        } else {
            Some(v)
        }
    }

    pub fn number(&mut self, key: &'static str, min: f64, max: f64) -> Result<Option<f64>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        let x = v.as_f64().ok_or_else(|| {
            AimassError::invalid_parameter(format!("{} \"{key}\" must be a number, not {v}", self.what))
        })?;
        if !(min..=max).contains(&x) {
            return Err(AimassError::invalid_parameter(format!(
                "{} \"{key}\" must be between {min} and {max}, not {x}",
                self.what
            )));
        }
        Ok(Some(x))
    }

    pub fn integer(&mut self, key: &'static str, min: i64, max: i64) -> Result<Option<i64>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        let x = v.as_i64().ok_or_else(|| {
            AimassError::invalid_parameter(format!("{} \"{key}\" must be an integer, not {v}", self.what))
        })?;
        if !(min..=max).contains(&x) {
            return Err(AimassError::invalid_parameter(format!(
                "{} \"{key}\" must be between {min} and {max}, not {x}",
                self.what
            )));
        }
        Ok(Some(x))
    }

    /// An integer hyperparameter, its default when absent.
    pub fn int(&mut self, p: &Param) -> Result<i64> {
        match p.kind {
            Kind::Integer { min, max, default } => Ok(self.integer(p.name, min, max)?.unwrap_or(default)),
            _ => Err(AimassError::internal(format!("{} is not an integer", p.name))),
        }
    }

    /// A numeric hyperparameter, its default when absent.
    pub fn num(&mut self, p: &Param) -> Result<f64> {
        match p.kind {
            Kind::Number { min, max, default } => Ok(self.number(p.name, min, max)?.unwrap_or(default)),
            _ => Err(AimassError::internal(format!("{} is not a number", p.name))),
        }
    }

    /// A boolean hyperparameter, its default when absent.
    pub fn flag(&mut self, p: &Param) -> Result<bool> {
        match p.kind {
            Kind::Boolean { default } => Ok(self.boolean(p.name)?.unwrap_or(default)),
            _ => Err(AimassError::internal(format!("{} is not a boolean", p.name))),
        }
    }

    /// One of a hyperparameter's words, its default when absent.
    pub fn choice(&mut self, p: &Param) -> Result<&'static str> {
        let Kind::Choice { choices, default } = p.kind else {
            return Err(AimassError::internal(format!("{} is not a choice", p.name)));
        };
        let Some(given) = self.string(p.name)? else { return Ok(default) };
        choices.iter().copied().find(|c| *c == given).ok_or_else(|| {
            AimassError::invalid_parameter(format!(
                "{} \"{}\" must be one of {}, not \"{given}\"",
                self.what,
                p.name,
                choices.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// A shaped hyperparameter's value: as given, else its spec's default (so the default is
    /// written once, in the spec, and goes through the caller's own checks like a given value).
    pub fn shaped(&mut self, p: &Param) -> Value {
        self.get(p.name).cloned().unwrap_or_else(|| p.default_value())
    }

    pub fn boolean(&mut self, key: &'static str) -> Result<Option<bool>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        v.as_bool().map(Some).ok_or_else(|| {
            AimassError::invalid_parameter(format!("{} \"{key}\" must be true or false, not {v}", self.what))
        })
    }

    pub fn string(&mut self, key: &'static str) -> Result<Option<String>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        v.as_str().map(|s| Some(s.to_owned())).ok_or_else(|| {
            AimassError::invalid_parameter(format!("{} \"{key}\" must be a string, not {v}", self.what))
        })
    }

    /// Any non-null value, for keys whose type the caller checks.
    pub fn value(&mut self, key: &'static str) -> Option<&'a Value> {
        self.get(key)
    }

    pub fn object(&mut self, key: &'static str) -> Result<Option<&'a Map<String, Value>>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        v.as_object().map(Some).ok_or_else(|| {
            AimassError::invalid_parameter(format!("{} \"{key}\" must be a JSON object, not {v}", self.what))
        })
    }

    /// A list of strings.
    pub fn strings(&mut self, key: &'static str) -> Result<Option<Vec<String>>> {
        let Some(v) = self.get(key) else { return Ok(None) };
        v.as_array()
            .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
            .map(Some)
            .ok_or_else(|| {
                AimassError::invalid_parameter(format!(
                    "{} \"{key}\" must be a list of strings, not {v}",
                    self.what
                ))
            })
    }

    /// Fails on the first key that no getter asked for.
    pub fn finish(self) -> Result<()> {
        let Some(map) = self.map else { return Ok(()) };
        let unknown: Vec<&str> = map.keys().map(String::as_str).filter(|k| !self.used.contains(k)).collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let known = self.asked.join(", ");
        let mut e = AimassError::invalid_parameter(format!(
            "unknown {} name \"{}\"",
            self.what,
            unknown.join("\", \"")
        ));
        if !known.is_empty() {
            e = e.with_detail(format!("Recognized names: {known}."));
        }
        Err(e)
    }
}
