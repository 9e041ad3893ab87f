//! A service's own settings section (`[intake]`, `PROBITY__INTAKE__KEY`):
//! the service's crate defines and validates it, [`Settings`] keeps it typed
//! beside the shared sections, and `Settings::load` is told which sections
//! exist so that it refuses any other.
use std::{
    any::{Any, TypeId},
    borrow::Cow,
    collections::BTreeMap,
    fmt::Debug,
};

use serde::{Serialize, de::DeserializeOwned};

use crate::config::{ConfigError, Settings, bad};

/// One section of the settings, owned by the crate that reads it.
pub trait Section:
    Serialize + DeserializeOwned + Default + Clone + Debug + Send + Sync + 'static
{
    /// Its name in the file and the environment; empty for [`NoSettings`].
    const NAME: &'static str;

    /// Refuses values that would fail later, naming the key (`name.key`).
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }
}

/// The section of a service that has no settings of its own.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct NoSettings {}

impl Section for NoSettings {
    const NAME: &'static str = "";
}

/// A section as `Settings::load` is given it: its name and how it is read.
#[derive(Debug, Clone, Copy)]
pub struct SectionKind {
    pub name: &'static str,
    type_id: fn() -> TypeId,
    read: fn(config::Value) -> Result<Box<dyn AnySection>, ConfigError>,
    default: fn() -> Box<dyn AnySection>,
}

impl SectionKind {
    pub const fn of<T: Section>() -> SectionKind {
        SectionKind {
            name: T::NAME,
            type_id: TypeId::of::<T>,
            read: read::<T>,
            default: default_of::<T>,
        }
    }
}

/// Deserializes a section under its name, so that an error names the whole
/// key (`intake.batch_max_facts`), as the shared sections' errors do.
fn read<T: Section>(value: config::Value) -> Result<Box<dyn AnySection>, ConfigError> {
    let mut one = config::Map::new();
    one.insert(T::NAME.to_string(), value);
    let mut parsed: BTreeMap<String, T> = config::Value::new(None, config::ValueKind::Table(one))
        .try_deserialize()
        .map_err(|e| crate::config::from_config(&e))?;
    Ok(Box::new(parsed.remove(T::NAME).unwrap_or_default()))
}

fn default_of<T: Section>() -> Box<dyn AnySection> {
    Box::new(T::default())
}

/// A section with its type erased, so one map holds every service's.
trait AnySection: Any + Debug + Send + Sync {
    fn name(&self) -> &'static str;
    fn clone_box(&self) -> Box<dyn AnySection>;
    fn to_json(&self) -> serde_json::Value;
    fn validate(&self) -> Result<(), ConfigError>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Section> AnySection for T {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn clone_box(&self) -> Box<dyn AnySection> {
        Box::new(self.clone())
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
    fn validate(&self) -> Result<(), ConfigError> {
        Section::validate(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The services' sections a `Settings` holds, by type.
#[derive(Debug, Default)]
pub struct Sections(BTreeMap<TypeId, Box<dyn AnySection>>);

impl Clone for Sections {
    fn clone(&self) -> Self {
        Sections(self.0.iter().map(|(id, s)| (*id, s.clone_box())).collect())
    }
}

impl Sections {
    /// Every kind's defaults.
    pub(crate) fn defaults(kinds: &[SectionKind]) -> Sections {
        Sections(
            kinds
                .iter()
                .filter(|k| !k.name.is_empty())
                .map(|k| ((k.type_id)(), (k.default)()))
                .collect(),
        )
    }

    /// Reads `kind` from its raw value (validated later, with the rest).
    pub(crate) fn read(
        &mut self,
        kind: &SectionKind,
        value: config::Value,
    ) -> Result<(), ConfigError> {
        self.0.insert((kind.type_id)(), (kind.read)(value)?);
        Ok(())
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.0.values().try_for_each(|s| s.validate())
    }

    /// Name -> value of every section held, for serializing.
    pub(crate) fn to_json(&self) -> impl Iterator<Item = (&'static str, serde_json::Value)> + '_ {
        self.0
            .values()
            .filter(|s| !s.name().is_empty())
            .map(|s| (s.name(), s.to_json()))
    }

    pub(crate) fn get<T: Section>(&self) -> Option<&T> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|s| s.as_any().downcast_ref())
    }

    pub(crate) fn get_mut<T: Section>(&mut self) -> &mut T {
        self.0
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .as_any_mut()
            .downcast_mut()
            .expect("a section is stored under its own type")
    }
}

impl Settings {
    /// The section of type `T`: as loaded, or its defaults when it was not
    /// (settings built in code).
    pub fn section<T: Section>(&self) -> Cow<'_, T> {
        match self.sections.get::<T>() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(T::default()),
        }
    }

    /// The section of type `T` to change (tests, tools), from its defaults
    /// when absent.
    pub fn section_mut<T: Section>(&mut self) -> &mut T {
        self.sections.get_mut::<T>()
    }
}

/// Refuses a peer endpoint that is not a URL this build can call. Whether
/// it must be https:// depends on the shared `peer_tls` section, which
/// `Settings::load` checks against every section's `*_endpoint` key
/// (`config::Settings::check_peer_schemes`).
pub fn peer_endpoint(key: &str, endpoint: &str) -> Result<(), ConfigError> {
    if endpoint.is_empty() || endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        return Ok(());
    }
    Err(bad(key, "must start with http:// or https://"))
}

/// Refuses a zero where only a positive value works.
pub fn positive(key: &str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(bad(key, "must be positive"));
    }
    Ok(())
}

/// The key `Settings::load` names when the environment holds `var=value`
/// and `T` is the only section listed; None when it loads. For each
/// section's tests of its own validation.
pub fn refused_key<T: Section>(var: &str, value: &str) -> Option<String> {
    Settings::load_from(
        None,
        [(var.to_string(), value.to_string())],
        &crate::config::Known {
            sections: vec![SectionKind::of::<T>()],
            services: Vec::new(),
        },
    )
    .err()
    .map(|e| e.key)
}
