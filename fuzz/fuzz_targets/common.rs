//! Shared by the WARC and ARC targets: the first byte chooses how the rest is packed, so that
//! the fuzzer reaches the gzip member logic as easily as the plain reader.

use std::io::Write;

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(b);
    e.finish().unwrap_or_default()
}

/// `data[0] % 3`: 0 the rest as is, 1 one gzip member, 2 one gzip member per record (split
/// before each line starting with `marker`).
pub fn pack(data: &[u8], marker: &[u8]) -> Vec<u8> {
    let Some((&mode, rest)) = data.split_first() else {
        return Vec::new();
    };
    match mode % 3 {
        0 => rest.to_vec(),
        1 => gz(rest),
        _ => {
            let mut starts = vec![0];
            for i in 1..rest.len() {
                if rest[i - 1] == b'\n' && rest[i..].starts_with(marker) {
                    starts.push(i);
                }
            }
            starts.push(rest.len());
            starts
                .windows(2)
                .flat_map(|w| gz(&rest[w[0]..w[1]]))
                .collect()
        }
    }
}

/// Read `data`, packed by [`pack`], as a `dialect` archive with a small record size limit (so
/// that the over-limit paths are reached), checking that the counts agree with what was handed
/// out.
pub fn read(data: &[u8], dialect: wirecopy::input::warc::Dialect, marker: &[u8]) {
    let bytes = pack(data, marker);
    let mut docs = 0u64;
    let mut skips = 0u64;
    let r = wirecopy::input::warc::read_archive(
        &bytes[..],
        std::path::Path::new("fuzz"),
        dialect,
        4096,
        &mut |d, _| {
            assert!(!d.text.trim().is_empty());
            docs += 1;
        },
        &mut |_| skips += 1,
    );
    if let Ok(c) = r {
        assert_eq!(c.documents, docs);
        assert_eq!(c.skipped_broken, skips);
    }
}
