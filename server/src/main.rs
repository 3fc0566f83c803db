// SPDX-License-Identifier: MPL-2.0
//! `houmon-server`: the clinic server and its admin commands.
//!
//! ```text
//! houmon-server serve --data-dir DIR --listen ADDR [--hostname NAME]… [--oqs-dir DIR] [--crl-dir DIR]
//! houmon-server staff add --id ID --name NAME --role admin --password-stdin   # the console's first administrator
//! houmon-server staff signin-code --id ID    # the sign-in code for shared phones, from stdin
//! houmon-server staff disable --id ID        # a leaver: no login, sessions ended, phones refused
//! houmon-server enrol --staff ID [--minutes 1–60] [--device ID]   # a one-time code (QR text) for one phone
//! houmon-server devices list | devices revoke ID
//! houmon-server patients --import FILE.json
//! houmon-server rounds --day YYYY-MM-DD --device ID --staff ID PATIENT…
//! houmon-server audit [--reanchor]          # checks the chain and its anchored head, prints the head
//! houmon-server terminal --oqs-dir DIR [--data FILE]   # the simulated 資格確認端末
//! ```
//!
//! Secrets never come from the command line (visible in `ps`): the server
//! key is `--key-file FILE`, `HOUMON_SERVER_KEY`, or `<data-dir>/server.key`
//! made on first start.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use houmon_server::admin::{self, PatientSeed};
use houmon_server::db::audit::{Actor, Chain};
use houmon_server::db::rounds::Stop;
use houmon_server::db::staff::Role;
use houmon_server::db::{devices, meta};
use houmon_server::{oqs::OqsDirs, terminal, verify, Config, KeyFrom, TlsMode};

#[derive(Parser)]
#[command(name = "houmon-server", about = "Houmon clinic server")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Args, Clone)]
struct Data {
    /// The database, the server key and the TLS files.
    #[arg(long, default_value = "houmon-data")]
    data_dir: PathBuf,
    /// The server key (64 hex digits) in a file; else HOUMON_SERVER_KEY,
    /// else <data-dir>/server.key (made on first start).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// PostgreSQL instead of <data-dir>/clinic.sqlite, for a server that
    /// hosts many clinics: `postgres://user@host/db` or `host=/run/postgresql
    /// user=… dbname=…`, without a password (HOUMON_DATABASE_PASSWORD or
    /// --database-password-file). Needs --clinic-id.
    #[arg(long, env = "HOUMON_DATABASE", requires = "clinic_id")]
    database: Option<String>,
    /// This clinic's id in a shared PostgreSQL database (its rows carry it).
    #[arg(long, env = "HOUMON_CLINIC_ID")]
    clinic_id: Option<String>,
    /// The PostgreSQL password in a file (else HOUMON_DATABASE_PASSWORD).
    #[arg(long)]
    database_password_file: Option<PathBuf>,
    /// Pooled PostgreSQL connections (besides the commit thread's).
    #[arg(long, default_value_t = 8)]
    database_pool: u32,
}

impl Data {
    /// The key and the database of `config`, from these options.
    fn apply(&self, config: &mut Config) -> Result<(), String> {
        config.key = KeyFrom::Default(self.key_file.clone());
        if let Some(url) = &self.database {
            let password = match &self.database_password_file {
                Some(f) => {
                    houmon_server::files::refuse_loose(f)?;
                    Some(read(f)?.trim_end().to_owned())
                }
                None => std::env::var("HOUMON_DATABASE_PASSWORD").ok(),
            };
            config.database = Some(houmon_server::db::PgLocation::new(
                url,
                password,
                self.clinic_id.as_deref().unwrap_or_default(),
                self.database_pool,
            )?);
        }
        Ok(())
    }
}

#[derive(Args)]
struct Serve {
    #[command(flatten)]
    data: Data,
    #[arg(long, default_value = "127.0.0.1:8470")]
    listen: std::net::SocketAddr,
    /// The address phones are told (default: https://<first hostname>:<port>).
    #[arg(long)]
    public_url: Option<String>,
    /// Names and addresses for the server certificate the server makes
    /// (repeat; default: localhost and 127.0.0.1).
    #[arg(long = "hostname")]
    hostnames: Vec<String>,
    /// The clinic's own certificate chain (PEM) instead of one it makes.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Plain HTTP: refused unless --listen is a loopback address.
    #[arg(long)]
    plain_http: bool,
    /// The 資格確認端末's folder (requests in req/, results in res/).
    #[arg(long)]
    oqs_dir: Option<PathBuf>,
    /// J-LIS revocation lists (DER or PEM), kept up to date by the clinic.
    #[arg(long)]
    crl_dir: Option<PathBuf>,
    /// Trust anchor certificates (PEM or DER); default: the J-LIS 利用者証明用 roots.
    #[arg(long)]
    trust_anchor: Vec<PathBuf>,
    #[arg(long, default_value = "0000000000")]
    institution_code: String,
    #[arg(long, default_value_t = 60)]
    check_timeout_secs: u64,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the server.
    Serve(Box<Serve>),
    /// Staff members.
    Staff {
        #[command(subcommand)]
        command: StaffCmd,
    },
    /// Issues a one-time enrolment code for one phone (valid for minutes).
    Enrol {
        #[command(flatten)]
        data: Data,
        /// The staff member who will carry the phone.
        #[arg(long)]
        staff: String,
        /// Minutes the code is valid (1 to 60).
        #[arg(long, default_value_t = 15)]
        minutes: i64,
        /// A revoked device to enrol again (only that device id may use the code).
        #[arg(long)]
        device: Option<String>,
    },
    /// Devices: list, or revoke one at once (a lost phone).
    Devices {
        #[command(subcommand)]
        command: DevicesCmd,
    },
    /// Patients: import a JSON array of patients.
    Patients {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        import: PathBuf,
    },
    /// Rounds: put patients on a phone's round for a day.
    Rounds {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        day: chrono::NaiveDate,
        #[arg(long)]
        device: String,
        #[arg(long)]
        staff: String,
        patients: Vec<String>,
    },
    /// The audit trail: check its chain and that it still holds the head
    /// the server wrote down outside the database.
    Audit {
        #[command(flatten)]
        data: Data,
        /// After looking into a finding: write down the trail's head as it
        /// is now (audited).
        #[arg(long)]
        reanchor: bool,
    },
    /// Runs the simulated 資格確認端末 on a folder.
    Terminal {
        #[arg(long)]
        oqs_dir: PathBuf,
        /// Answers per person (JSON array of terminal entries).
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum StaffCmd {
    Add {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// doctor, nurse, clerk or admin.
        #[arg(long)]
        role: String,
        /// Read a console password (12 characters or more) from standard
        /// input — never from an argument. The first administrator is made
        /// this way: there is no default password.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Sets a staff member's sign-in code for shared phones (6–12 digits),
    /// read from standard input — never from an argument.
    SigninCode {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        id: String,
    },
    /// Disables a staff member at once (a leaver): no console login, their
    /// console sessions end, the phones enrolled for them are refused.
    Disable {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        id: String,
    },
    /// Enables a disabled staff member again.
    Enable {
        #[command(flatten)]
        data: Data,
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
enum DevicesCmd {
    List {
        #[command(flatten)]
        data: Data,
    },
    Revoke {
        #[command(flatten)]
        data: Data,
        device_id: String,
    },
}

/// The shared state for an admin command (no network).
fn admin_app(data: &Data) -> Result<Arc<houmon_server::App>, String> {
    let mut config = Config::new(data.data_dir.clone(), "127.0.0.1:0".parse().expect("address"));
    data.apply(&mut config)?;
    // The address and pin the running server told phones last.
    let probe = houmon_server::open_app(&config, String::new(), None)?;
    let (url, pin) = probe
        .db
        .read(|c, _| Ok((meta::get(c, "public_url")?, meta::get(c, "pin")?)))
        .map_err(|e| e.to_string())?;
    drop(probe);
    houmon_server::open_app(&config, url.unwrap_or_default(), pin)
}

/// Writes the audit trail's head down after an admin command's entries.
fn anchored(app: &houmon_server::App) -> Result<(), String> {
    admin::anchor_audit(app).map_err(|e| e.to_string())
}

fn read(p: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

async fn run(cli: Cli) -> Result<(), String> {
    let me = Actor::Staff(std::env::var("USER").unwrap_or_else(|_| "cli".into()));
    match cli.command {
        Cmd::Serve(s) => {
            let mut config = Config::new(s.data.data_dir.clone(), s.listen);
            s.data.apply(&mut config)?;
            config.public_url = s.public_url.clone();
            config.tls = match (&s.tls_cert, &s.tls_key, s.plain_http) {
                (_, _, true) => TlsMode::PlainLoopback,
                (Some(cert), Some(key), _) => {
                    TlsMode::Files { cert: cert.clone(), key: key.clone() }
                }
                _ => TlsMode::Generate {
                    names: if s.hostnames.is_empty() {
                        vec!["localhost".into(), "127.0.0.1".into()]
                    } else {
                        s.hostnames.clone()
                    },
                },
            };
            if let Some(d) = &s.oqs_dir {
                config.oqs_dir = d.clone();
            }
            config.crl_dir = s.crl_dir.clone();
            for p in &s.trust_anchor {
                let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
                config.trust_anchors.push(
                    verify::pem_to_der(&bytes)
                        .ok_or_else(|| format!("{}: not a certificate", p.display()))?,
                );
            }
            config.institution_code = s.institution_code.clone();
            config.check_timeout = Duration::from_secs(s.check_timeout_secs);
            let server = houmon_server::start(config).await?;
            server
                .app
                .db
                .write(|tx, _| {
                    meta::put(tx, "public_url", &server.url)?;
                    meta::put(tx, "pin", server.pin.as_deref().unwrap_or_default())
                })
                .map_err(|e| e.to_string())?;
            println!("listening on {} ({})", server.addr, server.url);
            // The TLS fingerprint the enrolment QR carries (not a card PIN).
            if let Some(fingerprint) = &server.pin {
                println!("phones pin the TLS certificate fingerprint {fingerprint}");
            }
            println!("console: {}/console/", server.url);
            let _ = tokio::signal::ctrl_c().await;
            server.stop().await;
        }
        Cmd::Staff { command: StaffCmd::Add { data, id, name, role, password_stdin } } => {
            let role = Role::parse(&role).ok_or("role: doctor, nurse, clerk or admin")?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let app = admin_app(&data)?;
            admin::add_staff(&app, &me, &id, &name, role).map_err(|e| e.to_string())?;
            if let Some(p) = password {
                admin::set_password(&app, &me, &id, &p).map_err(|e| e.to_string())?;
                println!("staff {id} saved, with a console password");
            } else {
                println!("staff {id} saved");
            }
            anchored(&app)?;
        }
        Cmd::Staff { command: StaffCmd::SigninCode { data, id } } => {
            let mut line = zeroize::Zeroizing::new(String::new());
            std::io::stdin().read_line(&mut line).map_err(|e| e.to_string())?;
            let app = admin_app(&data)?;
            admin::set_signin_code(&app, &me, &id, line.trim_end_matches(['\r', '\n']))
                .map_err(|e| e.to_string())?;
            println!("staff {id}: sign-in code set (phones get it with their next roster)");
            anchored(&app)?;
        }
        Cmd::Staff { command: StaffCmd::Disable { data, id } } => {
            let app = admin_app(&data)?;
            admin::disable_staff(&app, &me, &id).map_err(|e| e.to_string())?;
            println!("staff {id} disabled: console sessions ended, phones refused");
        }
        Cmd::Staff { command: StaffCmd::Enable { data, id } } => {
            let app = admin_app(&data)?;
            admin::enable_staff(&app, &me, &id).map_err(|e| e.to_string())?;
            println!("staff {id} enabled");
        }
        Cmd::Enrol { data, staff, minutes, device } => {
            let app = admin_app(&data)?;
            if app.public_url.is_empty() {
                return Err("start the server once first (it records its address and pin)".into());
            }
            let link = app
                .issue_enrolment_for(&staff, device.as_deref(), &me, minutes)
                .map_err(|e| e.to_string())?;
            println!("enrolment code (valid {minutes} minutes, once): {}", link.code);
            println!("QR text: {}", link.to_uri());
            anchored(&app)?;
        }
        Cmd::Devices { command: DevicesCmd::List { data } } => {
            let app = admin_app(&data)?;
            for d in app.db.read(|c, _| devices::list(c)).map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\tstaff={}\tlast seen {}\t{}",
                    d.device_id,
                    d.name,
                    d.staff_id,
                    d.last_seen_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into()),
                    if d.revoked_at.is_some() { "REVOKED" } else { "active" }
                );
            }
        }
        Cmd::Devices { command: DevicesCmd::Revoke { data, device_id } } => {
            let app = admin_app(&data)?;
            let done = app.revoke_device(&device_id, &me).map_err(|e| e.to_string())?;
            println!("{}", if done { "revoked" } else { "no such active device" });
            anchored(&app)?;
        }
        Cmd::Patients { data, import } => {
            let app = admin_app(&data)?;
            let patients: Vec<PatientSeed> =
                serde_json::from_str(&read(&import)?).map_err(|e| e.to_string())?;
            for p in &patients {
                admin::add_patient(&app, &me, p).map_err(|e| e.to_string())?;
            }
            println!("{} patients saved", patients.len());
            anchored(&app)?;
        }
        Cmd::Rounds { data, day, device, staff, patients } => {
            let app = admin_app(&data)?;
            for (i, p) in patients.iter().enumerate() {
                let stop = Stop {
                    day,
                    device_id: device.clone(),
                    staff_id: staff.clone(),
                    patient_id: p.clone(),
                    position: i as i64,
                };
                admin::assign(&app, &me, &stop).map_err(|e| e.to_string())?;
            }
            println!("{} stops on {device}'s round of {day}", patients.len());
            anchored(&app)?;
        }
        Cmd::Audit { data, reanchor } => {
            let app = admin_app(&data)?;
            if reanchor {
                admin::reanchor_audit(&app, &me).map_err(|e| e.to_string())?;
                println!("the audit trail's head is written down as it is now");
            }
            match admin::verify_audit(&app).map_err(|e| e.to_string())? {
                Chain::Intact { entries, head } => {
                    println!("audit trail intact: {entries} entries, head {head}")
                }
                Chain::BrokenAt { seq } => {
                    return Err(format!("audit trail broken at entry {seq}"))
                }
                Chain::TailMissing { entries, anchored } => {
                    return Err(format!(
                        "the audit trail's newest entries are missing: it ends at entry {entries}, but entry {anchored} was written down ({}); compare with a backup, then `audit --reanchor`",
                        app.audit_head.path().display()
                    ))
                }
            }
        }
        Cmd::Terminal { oqs_dir, data } => {
            let dirs = OqsDirs::under(&oqs_dir).map_err(|e| e.to_string())?;
            let data = match data {
                Some(p) => serde_json::from_str(&read(&p)?).map_err(|e| e.to_string())?,
                None => Vec::new(),
            };
            let stop = Arc::new(AtomicBool::new(false));
            tokio::task::spawn_blocking(move || terminal::run(dirs, data, stop))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOUMON_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("houmon-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
