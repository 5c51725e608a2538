//! The WARC reader on arbitrary bytes, plain or gzip (see common.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecopy::input::warc::Dialect;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::read(data, Dialect::Warc, b"WARC/"));
