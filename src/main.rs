//! The `hourbank` binary: everything lives in the library; this only hands over the exit code.
#![forbid(unsafe_code)]

// sled allocates and frees a node copy for nearly every page it reads; glibc's malloc spent a
// third of a 1M-entry backup in malloc/free (perf); mimalloc cut that backup from 2.4 s to 1.9 s.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hourbank::cli::main()
}
