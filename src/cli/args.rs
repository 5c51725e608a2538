//! cli/args.rs: which values does the command line accept?
//!
//! Every numeric flag is range-checked, and every float must be finite, when the command line is
//! read, before any input is opened. Clap names the flag and the value in the message:
//! `invalid value 'nan' for '--guard-factor <GUARD_FACTOR>': must be ...`.

/// Most worker threads `--threads` accepts. Work is CPU-bound, so more threads than cores only
/// cost memory (a stack each); 1024 covers the largest machines while a typo such as 100000
/// is refused at once instead of spawning threads until the system gives out.
const MAX_THREADS: usize = 1024;

/// Most MinHash permutations `--num-perm` accepts (and the most bands or rows): signatures cost
/// 4 bytes per permutation per document, and choosing the banding takes time that grows with
/// the permutations; 4096 is 32 times the default.
const MAX_NUM_PERM: usize = 4096;

fn parse_int_in(s: &str, lo: usize, hi: usize) -> Result<usize, String> {
    let v: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("must be a whole number from {lo} to {hi}"))?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be from {lo} to {hi}"))
    }
}

/// `--threads`: 1 to [`MAX_THREADS`].
pub fn parse_threads(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, MAX_THREADS)
}

/// `--num-perm`, `--bands`, `--rows`: 1 to [`MAX_NUM_PERM`].
pub fn parse_num_perm(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, MAX_NUM_PERM)
}

/// `--min-shingles`: 0 to 1000000.
pub fn parse_min_shingles(s: &str) -> Result<usize, String> {
    parse_int_in(s, 0, 1_000_000)
}

/// `--shingle-size`: 1 to 64.
pub fn parse_shingle_size(s: &str) -> Result<u8, String> {
    parse_int_in(s, 1, 64).map(|v| v as u8)
}

/// `--memory-limit`: a size in bytes with an optional binary suffix (`K`, `M`, `G`, `T`, each
/// 1024 times the one before; `KiB` and `KB` are read the same), at least 1.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = t[digits.len()..].to_ascii_uppercase();
    let shift = match unit.as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("unknown unit '{unit}': use K, M, G or T")),
    };
    let v: u64 = digits
        .trim()
        .parse()
        .map_err(|_| "must be a whole number of bytes, optionally with K, M, G or T".to_string())?;
    if v == 0 {
        return Err("must be at least 1 byte".into());
    }
    v.checked_mul(1u64 << shift)
        .ok_or_else(|| "is too large".to_string())
}

fn parse_finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| "must be a number".to_string())?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err("must be a finite number".into())
    }
}

/// A float in 0..=1 (thresholds, shares).
pub fn parse_unit(s: &str) -> Result<f64, String> {
    let v = parse_finite(s)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be between 0 and 1".into())
    }
}

/// A float strictly between 0 and 1 (the LSH S-curve's midpoint).
pub fn parse_open_unit(s: &str) -> Result<f64, String> {
    let v = parse_finite(s)?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err("must be strictly between 0 and 1".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_non_finite_values_are_refused() {
        assert_eq!(parse_threads("4"), Ok(4));
        assert!(parse_threads("0").is_err());
        assert!(parse_threads("100000").is_err());
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("3 MiB"), Ok(3 << 20));
        assert!(parse_size("0").is_err());
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("4X").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(parse_shingle_size(" 64 "), Ok(64));
        assert!(parse_shingle_size("65").is_err());
        assert_eq!(parse_unit("1"), Ok(1.0));
        assert!(parse_unit("nan").is_err());
        assert!(parse_unit("1.5").is_err());
        assert!(parse_open_unit("0").is_err());
        assert!(parse_open_unit("inf").is_err());
    }
}
