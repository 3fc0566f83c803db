// SPDX-License-Identifier: MPL-2.0
//! `houmon-server --db PATH --listen ADDR --oqs-dir DIR`, and
//! `houmon-server terminal --oqs-dir DIR [--data FILE]` (the simulated
//! 資格確認端末, as a separate process).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use houmon_server::{oqs::OqsDirs, terminal, verify, Config, PatientSeed};

#[derive(Parser)]
#[command(name = "houmon-server", about = "Houmon clinic server")]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[arg(long, default_value = "houmon-server.sqlite")]
    db: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8470")]
    listen: std::net::SocketAddr,
    /// The 資格確認端末's folder (requests in req/, results in res/).
    #[arg(long, default_value = "oqs")]
    oqs_dir: PathBuf,
    /// Trust anchor certificates (PEM or DER); default: the J-LIS 利用者証明用 roots.
    #[arg(long)]
    trust_anchor: Vec<PathBuf>,
    /// The code devices present to register (default: a random one, printed at start).
    #[arg(long, env = "HOUMON_ENROLLMENT_CODE")]
    enrollment_code: Option<String>,
    #[arg(long, default_value = "0000000000")]
    institution_code: String,
    /// Patients on file (JSON array), loaded at start.
    #[arg(long)]
    patients: Option<PathBuf>,
    #[arg(long, default_value_t = 60)]
    check_timeout_secs: u64,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the simulated 資格確認端末 on the folder.
    Terminal {
        #[arg(long)]
        oqs_dir: PathBuf,
        /// Answers per person (JSON array of terminal entries).
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOUMON_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let read_json = |p: &PathBuf| -> Result<String, String> {
        std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
    };
    let result: Result<(), String> = async {
        if let Some(Cmd::Terminal { oqs_dir, data }) = &args.command {
            let dirs = OqsDirs::under(oqs_dir).map_err(|e| e.to_string())?;
            let data = match data {
                Some(p) => serde_json::from_str(&read_json(p)?).map_err(|e| e.to_string())?,
                None => Vec::new(),
            };
            let stop = Arc::new(AtomicBool::new(false));
            tokio::task::spawn_blocking(move || terminal::run(dirs, data, stop))
                .await
                .map_err(|e| e.to_string())?;
            return Ok(());
        }
        let mut anchors = Vec::new();
        for p in &args.trust_anchor {
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            anchors.push(
                verify::pem_to_der(&bytes)
                    .ok_or_else(|| format!("{}: not a certificate", p.display()))?,
            );
        }
        let patients: Vec<PatientSeed> = match &args.patients {
            Some(p) => serde_json::from_str(&read_json(p)?).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        let enrollment_code = args.enrollment_code.clone().unwrap_or_else(|| {
            let code = format!("{:08}", rand::random::<u32>() % 100_000_000);
            println!("enrollment code for devices: {code}");
            code
        });
        let server = houmon_server::start(Config {
            db: args.db.clone(),
            listen: args.listen,
            oqs_dir: args.oqs_dir.clone(),
            trust_anchors: anchors,
            enrollment_code,
            institution_code: args.institution_code.clone(),
            patients,
            check_timeout: Duration::from_secs(args.check_timeout_secs),
            poll_interval: Duration::from_millis(200),
        })
        .await?;
        println!("listening on {}", server.addr);
        let _ = tokio::signal::ctrl_c().await;
        server.stop().await;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("houmon-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
