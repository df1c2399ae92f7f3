//! The `hourbank` binary: everything lives in the library; this only hands over the exit code.
#![forbid(unsafe_code)]

// sled allocates and frees a node copy for nearly every page it reads; glibc's malloc spent a
// third of a 1M-entry backup in malloc/free (perf); mimalloc cut that backup from 2.4 s to 1.9 s.
// Built without transparent huge pages (`no_thp`, Cargo.toml): with them, each arena it commits
// ahead is backed in 2 MiB pages at first touch, and one balance of the 1M-entry store took
// 65 MB where it needs 29 MB (measured, issue 26).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hourbank::cli::main()
}
