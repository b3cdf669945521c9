//! Imports in progress: each spreadsheet import runs on its own task and is followed by its
//! id (rows checked of rows, then done or failed with its problems). Kept in memory: an
//! import either stored all its rows in one transaction or none, so a restart loses only the
//! status, never half an import.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use wangge_core::registry::Entity;

use super::sheets::{CellProblem, SheetError};
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
    outcome: Mutex<Option<ImportState>>,
}

/// Where an import stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
#[schema(as = RegistryImportState)]
pub enum ImportState {
    /// Its rows are being checked.
    Checking,
    /// Every row stored.
    Done {
        /// Rows stored.
        stored: usize,
    },
    /// Nothing stored.
    Failed {
        /// Rows stored: none.
        stored: usize,
        /// Why, for a person.
        detail: String,
        /// The rows' problems (the first thousand).
        problems: Vec<CellProblem>,
        /// Problems in all, when the rows had problems.
        #[serde(skip_serializing_if = "Option::is_none")]
        problems_total: Option<usize>,
    },
}

/// An import as answered (`GET /api/v1/registry/imports/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = RegistryImport)]
pub struct ImportView {
    /// Where it stands.
    #[serde(flatten)]
    pub state: ImportState,
    /// Its id.
    pub import_id: String,
    /// The kind imported (plural).
    pub entity: &'static str,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows checked so far.
    pub rows_checked: usize,
}

impl ImportStatus {
    /// An import of `rows` rows started by `by`.
    pub fn new(entity: Entity, rows: usize, by: String) -> Self {
        Self { entity, rows, by, checked: AtomicUsize::new(0), outcome: Mutex::new(None) }
    }

    /// Records how it ended.
    pub fn finish(&self, outcome: Result<usize, SheetError>) {
        let failed = |detail: String, problems, problems_total| ImportState::Failed { stored: 0, detail, problems, problems_total };
        let value = match outcome {
            Ok(n) => ImportState::Done { stored: n },
            Err(SheetError::Rows { problems, total }) => failed(format!("{total} problem(s); nothing was imported"), problems, Some(total)),
            Err(SheetError::Registry(Refused::Store(e))) => {
                tracing::error!(error = %crate::logging::error_chain(&e), "an import failed in the store");
                failed("the store is unavailable; nothing was imported".into(), Vec::new(), None)
            }
            Err(other) => failed(other.to_string(), Vec::new(), None),
        };
        if let Ok(mut o) = self.outcome.lock() {
            *o = Some(value);
        }
    }

    fn done(&self) -> bool {
        self.outcome.lock().map(|o| o.is_some()).unwrap_or(true)
    }

    /// The status as answered, with `checked` rows checked.
    pub fn view(&self, id: &str, checked: usize) -> ImportView {
        let state = self.outcome.lock().ok().and_then(|o| o.clone()).unwrap_or(ImportState::Checking);
        ImportView { state, import_id: id.to_owned(), entity: self.entity.plural(), rows: self.rows, rows_checked: checked }
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
