//! The binary's memory allocator: mimalloc, with two of its options set by the program.
//!
//! glibc malloc, the default, keeps the memory a thread freed in that thread's arena; a scan's
//! stages build and free large tables on every worker, so its resident set stayed near the sum
//! of the stages' peaks, and `malloc_trim` at each stage's end gave back only part of it.
//! mimalloc hands freed pages back to the system after a delay (`purge_delay`). Measured side
//! by side with glibc (README, Out of core), output byte-identical:
//!
//! - under `--memory-limit` (delay 0): peak RSS 28-33 % lower (a million pages 3.57 -> 2.56 GB,
//!   100,000 pages 430 -> 295 MB, 20,000 single-line documents 287 -> 192 MB), time about the
//!   same;
//! - in memory (delay 10 ms): the single-line documents of `benches/compare.sh` 426 -> 406 MB in
//!   the same time, but 100,000 pages 665 -> 764-774 MB (not examined; likely the many
//!   mid-sized vectors, which mimalloc rounds up to its size classes). No delay cost 10-15 % of
//!   the time on the single lines; mimalloc's default delay (1 s) held 10-25 % more still.
//!
//! The purge delay's option number is checked by a test (freed memory leaves the resident set
//! or stays, as the number says); the eager-commit number only by the build's assertion and by
//! `MIMALLOC_VERBOSE=1`, which lists the options in their order.
//!
//! Both profiles commit arenas as they are used: committed at once (mimalloc's default on
//! Linux), the first arena's freed pages were never given back: 25-50 MB more at the peak.
//! That is decided when the first arena is reserved, at the first allocation, so the options
//! are set before `main`. The options are set through mimalloc's C API by their numbers in
//! `mimalloc.h` (mimalloc 3, which libmimalloc-sys builds by default); the assertion below
//! stops the build if a new version changes the number of options. A user's
//! `MIMALLOC_ARENA_EAGER_COMMIT` and `MIMALLOC_PURGE_DELAY` win over both profiles.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_arena_eager_commit` in mimalloc 3's `mi_option_t`.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
/// `mi_option_purge_delay` in mimalloc 3's `mi_option_t`: milliseconds before freed memory
/// goes back to the system (0: at once).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

// mimalloc 3 has 47 options; mimalloc 2 (38) numbers them differently.
const _: () = assert!(libmimalloc_sys::_mi_option_last == 47);

/// Runs before `main`, before the first allocation: mimalloc reserves its first arena (1 GiB of
/// address space) at that allocation, and whether the arena is committed at once is decided
/// then; an option set in `main` applies only to later arenas.
#[ctor::ctor(unsafe)]
fn before_the_first_allocation() {
    for_speed();
}

/// Memory is plentiful: arenas are committed as they are used, and freed pages go back after
/// 10 ms.
pub(crate) fn for_speed() {
    set(ARENA_EAGER_COMMIT, c"MIMALLOC_ARENA_EAGER_COMMIT", 0);
    set(PURGE_DELAY, c"MIMALLOC_PURGE_DELAY", 10);
}

/// A scan under a memory limit (given or detected): freed pages go back at once.
pub(crate) fn for_memory() {
    set(PURGE_DELAY, c"MIMALLOC_PURGE_DELAY", 0);
}

/// Set `option` to `value`, unless the user set it with the environment variable `name`
/// (mimalloc read it when the process started).
fn set(option: libmimalloc_sys::mi_option_t, name: &std::ffi::CStr, value: i64) {
    #[allow(unsafe_code)]
    // SAFETY: `getenv` reads the environment with a NUL-terminated name and returns a pointer
    // we only compare with null; nothing here changes the environment. `mi_option_set` stores
    // a number in mimalloc's option table; it takes no pointer, and every option may be
    // changed while the program runs. Neither allocates, so this may run before `main`.
    unsafe {
        if libc::getenv(name.as_ptr()).is_null() {
            libmimalloc_sys::mi_option_set(option, value as _);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// This process's resident memory in bytes (`VmRSS`).
    fn resident() -> u64 {
        let status =
            std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS in /proc/self/status")
            * 1024
    }

    /// Resident memory before, while and after 128 MiB are held (every page written).
    fn hold_and_free() -> (u64, u64, u64) {
        let before = resident();
        let block = std::hint::black_box(vec![1u8; 128 << 20]);
        let during = resident();
        drop(block);
        (before, during, resident())
    }

    /// The option number is mimalloc's purge delay: with no delay, a freed block leaves the
    /// resident set at once; with purging turned off through the same number (-1), it stays.
    /// Other tests of this binary run beside this one, so the margins are wide.
    #[test]
    fn the_purge_delay_gives_freed_pages_back() {
        const HELD: u64 = 100 << 20;
        // Not a variable anyone sets, so the user's MIMALLOC_PURGE_DELAY does not stop it.
        let unset = c"WIRECOPY_TEST_NO_SUCH_VARIABLE";
        set(PURGE_DELAY, unset, 0);
        let (before, during, after) = hold_and_free();
        assert!(
            during > before + HELD,
            "{before} -> {during}: the block is not resident"
        );
        assert!(
            during > after + HELD,
            "{during} -> {after}: the freed block stayed resident"
        );
        set(PURGE_DELAY, unset, -1);
        let (before, during, after) = hold_and_free();
        for_speed();
        assert!(
            during > before + HELD,
            "{before} -> {during}: the block is not resident"
        );
        assert!(
            after + HELD > during,
            "{during} -> {after}: given back with purging off"
        );
    }
}
