//! Fuzzes the shp.zip import: any bytes are read within the budgets or refused, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = wangge_server::formats::import::read_blocking("shp.zip", data, None);
});
