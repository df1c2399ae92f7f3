//! Writes a seeded sample dataset in the import CSV formats (for benchmarks and trials):
//! `hourbank-gen-dataset OUT_DIR [--volunteers N] [--entries N] [--seed S]`.
#![forbid(unsafe_code)]

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Directory to write volunteers.csv and entries.csv into
    out: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    volunteers: usize,
    #[arg(long, default_value_t = 1_000_000)]
    entries: usize,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let run = || -> std::io::Result<hourbank::sample::DatasetStats> {
        std::fs::create_dir_all(&args.out)?;
        let v = File::create(args.out.join("volunteers.csv"))?;
        let e = File::create(args.out.join("entries.csv"))?;
        hourbank::sample::write_dataset(v, e, args.volunteers, args.entries, args.seed)
    };
    match run() {
        Ok(s) => {
            println!(
                "{} volunteers, {} deposits, {} redemptions in {}",
                s.volunteers,
                s.deposits,
                s.redemptions,
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hourbank-gen-dataset: {e}");
            ExitCode::from(2)
        }
    }
}
