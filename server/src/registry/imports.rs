//! Imports in progress: each spreadsheet import runs on its own task and is followed by its
//! id (rows checked of rows, then done or failed with its problems). Kept in memory: an
//! import either stored all its rows in one transaction or none, so a restart loses only the
//! status, never half an import.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wangge_core::registry::Entity;

use super::sheets::SheetError;
use super::Refused;

/// Most imports remembered (the oldest finished ones are forgotten first).
const KEEP: usize = 200;

/// One import.
#[derive(Debug)]
pub struct ImportStatus {
    /// The kind imported.
    pub entity: Entity,
    /// Data rows in the file.
    pub rows: usize,
    /// Who started it (only they follow it).
    pub by: String,
    /// Rows checked so far.
    pub checked: AtomicUsize,
    outcome: Mutex<Option<Value>>,
}

impl ImportStatus {
    /// An import of `rows` rows started by `by`.
    pub fn new(entity: Entity, rows: usize, by: String) -> Self {
        Self { entity, rows, by, checked: AtomicUsize::new(0), outcome: Mutex::new(None) }
    }

    /// Records how it ended.
    pub fn finish(&self, outcome: Result<usize, SheetError>) {
        let value = match outcome {
            Ok(n) => json!({"state": "done", "stored": n}),
            Err(SheetError::Rows { problems, total }) => {
                json!({"state": "failed", "stored": 0, "detail": format!("{total} problem(s); nothing was imported"), "problems": problems, "problems_total": total})
            }
            Err(SheetError::Registry(Refused::Store(e))) => {
                tracing::error!(error = %crate::logging::error_chain(&e), "an import failed in the store");
                json!({"state": "failed", "stored": 0, "detail": "the store is unavailable; nothing was imported", "problems": []})
            }
            Err(other) => json!({"state": "failed", "stored": 0, "detail": other.to_string(), "problems": []}),
        };
        if let Ok(mut o) = self.outcome.lock() {
            *o = Some(value);
        }
    }

    fn done(&self) -> bool {
        self.outcome.lock().map(|o| o.is_some()).unwrap_or(true)
    }

    /// The status as answered, with `checked` rows checked.
    pub fn view(&self, id: &str, checked: usize) -> Value {
        let outcome = self.outcome.lock().ok().and_then(|o| o.clone());
        let mut v = outcome.unwrap_or_else(|| json!({"state": "checking"}));
        v["import_id"] = id.into();
        v["entity"] = self.entity.plural().into();
        v["rows"] = self.rows.into();
        v["rows_checked"] = checked.into();
        v
    }
}

/// The imports of this process.
#[derive(Debug, Clone, Default)]
pub struct Imports(Arc<Mutex<HashMap<String, Arc<ImportStatus>>>>);

impl Imports {
    /// Remembers an import (forgetting finished ones beyond [`KEEP`]).
    pub fn insert(&self, id: String, status: Arc<ImportStatus>) {
        if let Ok(mut all) = self.0.lock() {
            if all.len() >= KEEP {
                let finished: Vec<String> = all.iter().filter(|(_, s)| s.done()).map(|(k, _)| k.clone()).collect();
                for k in finished.into_iter().take(all.len() + 1 - KEEP) {
                    all.remove(&k);
                }
            }
            all.insert(id, status);
        }
    }

    /// An import by id.
    pub fn get(&self, id: &str) -> Option<Arc<ImportStatus>> {
        self.0.lock().ok().and_then(|all| all.get(id).cloned())
    }
}
