// SPDX-License-Identifier: MPL-2.0
//! `houmon`: the desk tool.
//!
//! - `houmon demo` — the main job on embedded defaults (virtual cards).
//! - `houmon card read|info --reader sim|pcsc[:NAME]` — read a card.
//! - `houmon sim vpcd` — serve the virtual card to `pcscd`.
//! - `houmon assess` — reception guidance (the Ministry's rules, dated).
//!
//! Secrets (PIN, 照合番号B) are read from standard input, never from
//! arguments (which other users can see in `ps`).

mod assess_cmd;
mod card_cmd;
mod demo;
mod output;
#[cfg(feature = "pcsc")]
mod pcsc_reader;
mod sim;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Runs one of the core's card flows to its end on this thread (PC/SC and
/// the virtual card answer synchronously).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

#[derive(Parser)]
#[command(name = "houmon", version, about = "Houmon: マイナ保険証 on home visits — desk tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a card: identity evidence (PIN mode) or the face photo (目視 mode).
    Card {
        #[command(subcommand)]
        command: CardCommand,
    },
    /// The virtual card.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Runs a round of visits on virtual cards and prints what happened.
    Demo,
    /// Reception guidance: what to accept, charge and claim (Japanese).
    Assess(assess_cmd::AssessArgs),
}

#[derive(clap::Args, Clone)]
pub struct ReaderArgs {
    /// `sim` (a virtual card), `pcsc` (the first PC/SC reader) or `pcsc:NAME`
    /// (the first reader whose name contains NAME).
    #[arg(long, default_value = "sim")]
    reader: String,
    /// The virtual card's variant (with `--reader sim`): standard,
    /// face-recognition, no-photo, expired-in-grace, expired, one-try-left,
    /// locked, collation-one-try-left.
    #[arg(long, default_value = "standard")]
    variant: String,
    /// Send short APDUs only (as on a phone without extended length).
    #[arg(long)]
    short_apdus: bool,
    /// The longest answer the reader may carry, in bytes with the status
    /// word (an iPhone-like reader: `--short-apdus --max-response 1024`).
    #[arg(long)]
    max_response: Option<usize>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum CardCommand {
    /// Certificate, its validity and the PIN tries left. Spends no try.
    Info {
        #[command(flatten)]
        reader: ReaderArgs,
    },
    /// Reads a card in PIN mode or 目視 mode.
    Read {
        #[command(flatten)]
        reader: ReaderArgs,
        #[arg(long, value_enum)]
        mode: Mode,
        /// Read the 4-digit PIN from the first line of standard input.
        #[arg(long)]
        pin_stdin: bool,
        /// Read 照合番号B (14 digits) from the first line of standard input.
        #[arg(long)]
        collation_stdin: bool,
        /// The patient confirmed using the try that could lock the card.
        #[arg(long)]
        confirm_last_try: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Mode {
    Pin,
    Visual,
}

#[derive(Subcommand)]
enum SimCommand {
    /// Serves a virtual card to pcscd's vpcd driver (vsmartcard).
    Vpcd {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 35963)]
        port: u16,
        #[arg(long, default_value = "standard")]
        variant: String,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOUMON_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `houmon assess` is for reception staff: its errors are Japanese.
        Err(e) if std::env::args().nth(1).as_deref() == Some("assess") && e.use_stderr() => {
            eprintln!("{}", assess_cmd::clap_error_ja(&e));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Card { command: CardCommand::Info { reader } } => card_cmd::info(&reader),
        Command::Card {
            command:
                CardCommand::Read { reader, mode, pin_stdin, collation_stdin, confirm_last_try },
        } => card_cmd::read(&reader, mode, pin_stdin, collation_stdin, confirm_last_try),
        Command::Sim { command: SimCommand::Vpcd { host, port, variant } } => {
            sim::vpcd(&host, port, &variant)
        }
        Command::Demo => demo::run(),
        Command::Assess(args) => assess_cmd::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
