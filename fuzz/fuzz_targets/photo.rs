//! Fuzzes the photo reader: any bytes are sniffed, decoded within the budgets, oriented and
//! re-encoded, or refused with a reason, never a panic or a runaway allocation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = wangge_server::formats::photo::process(data);
});
