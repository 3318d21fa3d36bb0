//! What a render keeps while it walks the template: the template's
//! variables (by compile-time slot), the items of each `#foreach`, and the
//! loop counters behind `$foreach`.

use crate::ast::{LoopField, Slot};
use crate::doc::Doc;
use crate::value::Value;

/// Template variables, by the slot their name was given at compile time.
pub(super) struct Locals<'a> {
    vars: Vec<Option<Value<'a>>>,
}

impl<'a> Locals<'a> {
    pub(super) fn new(slots: usize) -> Locals<'a> {
        Locals {
            vars: vec![None; slots],
        }
    }

    pub(super) fn get(&self, slot: Slot) -> Option<&Value<'a>> {
        self.vars.get(slot.0 as usize)?.as_ref()
    }

    pub(super) fn insert(&mut self, slot: Slot, value: Value<'a>) -> Option<Value<'a>> {
        let i = slot.0 as usize;
        if i >= self.vars.len() {
            self.vars.resize(i + 1, None);
        }
        self.vars[i].replace(value)
    }

    pub(super) fn remove(&mut self, slot: Slot) -> Option<Value<'a>> {
        self.vars.get_mut(slot.0 as usize)?.take()
    }
}

/// The items of a `#foreach`, fixed when the loop starts.
pub(super) enum Items<'a> {
    Body(&'a [Doc<'a>]),
    Values(Vec<Value<'a>>),
}

impl<'a> Items<'a> {
    pub(super) fn len(&self) -> usize {
        match self {
            Items::Body(a) => a.len(),
            Items::Values(v) => v.len(),
        }
    }

    pub(super) fn get(&self, i: usize) -> Value<'a> {
        match self {
            Items::Body(a) => a.get(i).map_or(Value::Null, Value::from_json),
            Items::Values(v) => v.get(i).cloned().unwrap_or(Value::Null),
        }
    }
}

pub(super) struct LoopFrame {
    pub(super) index: usize,
    pub(super) len: usize,
}

impl LoopFrame {
    pub(super) fn field<'a>(&self, field: LoopField) -> Value<'a> {
        match field {
            LoopField::Index => Value::Int(self.index as i64),
            LoopField::Count => Value::Int(self.index as i64 + 1),
            LoopField::HasNext => Value::Bool(self.index + 1 < self.len),
            LoopField::First => Value::Bool(self.index == 0),
            LoopField::Last => Value::Bool(self.index + 1 == self.len),
        }
    }
}
