//! Fuzzes the registry's spreadsheet readers: any bytes are read as XLSX (the archive's parts
//! and sizes checked first) and as CSV within the budgets, or refused with a reason, never a
//! panic or a runaway allocation.
#![no_main]

use wangge_server::registry::sheets::{read, SheetFormat};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = read(data, SheetFormat::Xlsx);
    let _ = read(data, SheetFormat::Csv);
});
