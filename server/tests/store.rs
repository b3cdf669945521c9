//! Store tests: one suite, run on every backend (today SQLite; PostGIS joins when it exists),
//! each case on its own throwaway database.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tempfile::TempDir;
use wangge_server::dataset::Dataset;
use wangge_server::{geodata, Store, StoreError, StoreTarget};

fn mini() -> Dataset {
    geodata::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")).expect("fixture reads")
}

/// A fresh, empty store of each backend; the TempDirs must outlive the stores.
async fn backends() -> Vec<(&'static str, TempDir, Store)> {
    let dir = TempDir::new().expect("temp dir");
    let store = Store::open(&StoreTarget::sqlite_file(dir.path().join("test.db"))).await.expect("sqlite opens");
    vec![("sqlite", dir, store)]
}

#[tokio::test]
async fn a_new_store_is_empty() {
    for (backend, _dir, store) in backends().await {
        assert_eq!(store.dataset().await.expect("dataset"), None, "{backend}");
        assert!(store.grids().await.expect("grids").is_empty(), "{backend}");
        store.ping().await.expect("ping");
    }
}

#[tokio::test]
async fn a_loaded_dataset_reads_back_exactly() {
    let dataset = mini();
    for (backend, _dir, store) in backends().await {
        let info = store.load(&dataset).await.expect("loads");
        assert_eq!(info.note, dataset.note, "{backend}");
        assert_eq!(store.dataset().await.expect("dataset"), Some(info), "{backend}");
        assert_eq!(store.townships().await.expect("townships"), dataset.townships, "{backend}");
        assert_eq!(store.villages().await.expect("villages"), dataset.villages, "{backend}");
        let mut expected = dataset.grids.clone();
        expected.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(store.grids().await.expect("grids"), expected, "{backend}");
    }
}

#[tokio::test]
async fn a_second_load_is_refused() {
    let dataset = mini();
    for (backend, _dir, store) in backends().await {
        let info = store.load(&dataset).await.expect("loads");
        let again = store.load(&dataset).await;
        assert!(matches!(again, Err(StoreError::AlreadyLoaded(id)) if id == info.dataset_id), "{backend}: {again:?}");
    }
}

#[tokio::test]
async fn a_failed_load_leaves_nothing_behind() {
    let mut dataset = mini();
    // The last grid refers to a village the store does not have: the insert fails mid-load.
    if let Some(last) = dataset.grids.last_mut() {
        last.village_code = "130730200299".into();
    }
    for (backend, _dir, store) in backends().await {
        assert!(matches!(store.load(&dataset).await, Err(StoreError::Query { .. })), "{backend}");
        assert_eq!(store.dataset().await.expect("dataset"), None, "{backend}");
        assert!(store.townships().await.expect("townships").is_empty(), "{backend}");
        assert!(store.grids().await.expect("grids").is_empty(), "{backend}");
    }
}
