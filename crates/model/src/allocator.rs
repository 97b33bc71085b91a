//! The allocator of the project's binaries.
//!
//! burn-flex gives most ops a fresh output buffer. glibc's malloc hands large freed buffers back
//! to the kernel and faults them in again, zeroed, for the next op; so does mimalloc after a 10 ms
//! delay. On an organism training step that was about a sixth of the time (kernel time 0.24 s
//! against 0.07 s over 21 steps). With the `mimalloc` feature (the xtask, CLI and benchmark
//! binaries turn it on) mimalloc is the global allocator, and [`keep_freed_memory`] stops it from
//! returning memory, so a long run reuses its peak working set instead of faulting it in over
//! and over.

/// mimalloc, for binaries built with the `mimalloc` feature.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Asks the allocator to keep freed memory for reuse rather than return it to the kernel. Call
/// it first thing in `main`; without the `mimalloc` feature it does nothing.
pub fn keep_freed_memory() {
    // `mi_option_purge_delay` in mimalloc 3's `mi_option_t` (libmimalloc-sys does not name it):
    // -1 never purges.
    #[cfg(feature = "mimalloc")]
    {
        const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
        // SAFETY: setting an option is a plain store into mimalloc's option table.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
    }
}
