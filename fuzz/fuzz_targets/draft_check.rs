//! Fuzzes the draft check: any body is read and validated against the mini county (the server's
//! test fixture) within the caps, or refused, never a panic.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use wangge_server::grids::catalog::Catalog;
use wangge_server::records::DatasetInfo;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/fixtures/mini");
        let data = wangge_server::grids::geodata::read_dir(&dir).expect("the mini fixture reads");
        let info = DatasetInfo { dataset_id: 1, source: "fuzz".into(), note: String::new(), created_at: String::new() };
        Catalog::new(&info, data.townships, data.villages, data.grids).expect("the mini fixture builds a catalog")
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = wangge_server::grids::drafts::validate_json(catalog(), data);
});
