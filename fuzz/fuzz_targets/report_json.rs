//! Fuzzes the report intake's JSON: any bytes are parsed and checked (lengths, categories,
//! coordinates, CRS conversion, phone and report id) or refused, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(request) = serde_json::from_slice::<wangge_server::events::intake::ReportRequest>(data) {
        let _ = wangge_server::events::intake::check(request, None);
    }
});
