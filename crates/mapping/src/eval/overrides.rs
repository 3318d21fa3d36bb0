//! `$context.requestOverride` and `$context.responseOverride`: maps a
//! template may write, collected into [`Overrides`] after the render.

use std::rc::Rc;

use crate::error::Fallible;
use crate::value::{Map, MapRef, Value};
use crate::vars::Overrides;

use super::Eval;

/// `$context.requestOverride` and `$context.responseOverride`, created on
/// first touch.
pub(super) struct OverrideMaps<'a> {
    pub(super) request: MapRef<'a>,
    pub(super) response: MapRef<'a>,
}

impl<'a> Eval<'a> {
    pub(super) fn override_maps(&mut self) -> &OverrideMaps<'a> {
        self.overrides.get_or_insert_with(|| {
            let sub = |ci: bool| {
                Value::Map(Rc::new(std::cell::RefCell::new(Map {
                    case_insensitive: ci,
                    ..Map::default()
                })))
            };
            let request = Map {
                entries: vec![
                    ("header".into(), sub(true)),
                    ("querystring".into(), sub(false)),
                    ("path".into(), sub(false)),
                ],
                ..Map::default()
            };
            let response = Map {
                entries: vec![("header".into(), sub(true))],
                ..Map::default()
            };
            OverrideMaps {
                request: Rc::new(request.into()),
                response: Rc::new(response.into()),
            }
        })
    }

    pub(super) fn collect_overrides(&mut self) -> Fallible<Overrides> {
        let Some(maps) = self.overrides.take() else {
            return Ok(Overrides::default());
        };
        let mut o = Overrides::default();
        let pairs =
            |ev: &mut Self, map: &MapRef<'a>, key: &str| -> Fallible<Vec<(String, String)>> {
                let sub = map.borrow().get(key).cloned();
                let mut out = Vec::new();
                if let Some(Value::Map(m)) = sub {
                    let entries = m.borrow().entries.clone();
                    for (k, v) in entries {
                        match &v {
                            Value::Null => {}
                            // Multi-value headers take a list.
                            Value::List(l) => {
                                let items = l.borrow().items.clone();
                                for item in items {
                                    out.push((k.to_string(), ev.text_of(&item)?));
                                }
                            }
                            _ => out.push((k.to_string(), ev.text_of(&v)?)),
                        }
                    }
                }
                Ok(out)
            };
        o.request_header = pairs(self, &maps.request, "header")?;
        o.request_querystring = pairs(self, &maps.request, "querystring")?;
        o.request_path = pairs(self, &maps.request, "path")?;
        o.response_header = pairs(self, &maps.response, "header")?;
        let status = maps.response.borrow().get("status").cloned();
        o.response_status = match status {
            Some(Value::Int(i)) if (100..=599).contains(&i) => Some(i as u16),
            _ => None,
        };
        Ok(o)
    }
}
