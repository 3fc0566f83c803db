// SPDX-License-Identifier: MPL-2.0
//! Kill the clinic server (SIGKILL) again and again during a burst of
//! uploads, restart it each time on the same database, and prove that the
//! phone's records all arrive, none twice, with the content the phone sent.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use houmon_server::db::audit::Actor;
use houmon_server::{admin, Config, KeyFrom};
use houmon_store::{ItemState, Store, StoreKey};
use houmon_sync::{BatchLimits, SyncClient};
use houmon_tests::clinic::*;
use houmon_tests::crash::*;
use houmon_tests::seed::Seed;
use houmon_vcard::{TestCa, VirtualCard};
use rand::Rng;

const KEY_HEX: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

/// The clinic the test's servers are, in the PostgreSQL database the
/// tests are given (`None`: a SQLite file in the data folder).
fn database(dir: &std::path::Path) -> Option<houmon_server::db::PgLocation> {
    let mut loc = houmon_server::loopback::test_database()?;
    // One clinic id per data folder: every restart is the same clinic.
    let id_file = dir.join("clinic-id");
    match std::fs::read_to_string(&id_file) {
        Ok(id) => loc.clinic_id = id,
        Err(_) => std::fs::write(&id_file, &loc.clinic_id).unwrap(),
    }
    Some(loc)
}

fn start_server(
    dir: &std::path::Path,
    port: u16,
    anchor: &std::path::Path,
) -> (Child, SocketAddr, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clinic-server"));
    if let Some(db) = database(dir) {
        command.env("HOUMON_TEST_CLINIC_ID", db.clinic_id);
    }
    let mut child = command
        .args([dir.to_str().unwrap(), &port.to_string(), anchor.to_str().unwrap()])
        .env("HOUMON_SERVER_KEY", KEY_HEX)
        .env("HOUMON_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let mut parts = line.trim().strip_prefix("READY ").expect("READY line").split(' ');
    let url = parts.next().unwrap();
    let addr = url.trim_start_matches("https://").parse().expect("the server's address");
    (child, addr, parts.next().unwrap_or_default().to_owned())
}

/// A loopback TCP port held for the whole test, forwarding each connection
/// to the server process of the moment.
struct Forwarder {
    port: u16,
    target: Arc<std::sync::Mutex<SocketAddr>>,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    async fn start(target: SocketAddr) -> Forwarder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = Arc::new(std::sync::Mutex::new(target));
        let to = target.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let backend = *to.lock().unwrap();
                tokio::spawn(async move {
                    // A server being killed: the phone sees its connection end.
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Forwarder { port, target, task }
    }

    fn port(&self) -> u16 {
        self.port
    }

    fn point_at(&self, backend: SocketAddr) {
        *self.target.lock().unwrap() = backend;
    }

    fn stop(self) {
        self.task.abort();
    }
}

fn admin_config(dir: &std::path::Path) -> Config {
    let mut c = Config::new(dir.into(), "127.0.0.1:0".parse().unwrap());
    c.key = KeyFrom::Given(Arc::new(houmon_server::secrets::Secrets::from_master(&{
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(&KEY_HEX[2 * i..2 * i + 2], 16).unwrap();
        }
        k
    })));
    c.trust_anchors = vec![TestCa::shared().cert_der.clone()];
    c.database = database(dir);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_batched_uploads_loses_nothing_and_stores_nothing_twice() {
    // Small batches, so that kills land in the middle of many of them.
    server_killed_during_uploads(Some(BatchLimits { records: 20, bytes: 64 * 1024 }), "batched")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_one_by_one_uploads_loses_nothing_and_stores_nothing_twice() {
    server_killed_during_uploads(None, "one-by-one").await;
}

async fn server_killed_during_uploads(limits: Option<BatchLimits>, name: &str) {
    let kills_wanted: u32 =
        std::env::var("HOUMON_SERVER_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let seed = Seed::for_test(&format!("a_server_killed_during ({name})"));
    println!("server crash test ({name}): {kills_wanted} kills");
    let mut rng = seed.rng();
    let dir = scratch(&format!("server-crash-{name}"));
    let anchor = dir.join("anchor.der");
    std::fs::write(&anchor, &TestCa::shared().cert_der).unwrap();
    // The phone talks to a port this test holds for its whole run; each
    // server process listens on a port of its own (port 0) behind it. (A
    // port found free, let go and bound again at every restart could be
    // taken by another program in between.)
    let (mut server, backend, pin) = start_server(&dir, 0, &anchor);
    let front = Forwarder::start(backend).await;
    let url = format!("https://127.0.0.1:{}", front.port());
    // Staff, patients and the round, as the clinic would set them up.
    let setup =
        houmon_server::open_app(&admin_config(&dir), url.clone(), Some(pin.clone())).unwrap();
    admin::add_staff(
        &setup,
        &Actor::System,
        STAFF,
        "看護師",
        houmon_server::db::staff::Role::Nurse,
    )
    .unwrap();
    for p in PATIENTS {
        admin::add_patient(&setup, &Actor::System, &patient(p, None)).unwrap();
    }
    for (i, p) in PATIENTS.iter().enumerate() {
        let stop = houmon_server::db::rounds::Stop {
            day: today(),
            device_id: "burst-phone".into(),
            staff_id: STAFF.into(),
            patient_id: (*p).into(),
            position: i as i64,
        };
        admin::assign(&setup, &Actor::System, &stop).unwrap();
    }
    let link = setup.issue_enrolment(STAFF, &Actor::System, 15).unwrap();
    drop(setup);

    let store = Arc::new(Store::open_in_memory(StoreKey::generate()).unwrap());
    let sync = SyncClient::enrol(store.clone(), &link, "burst-phone", "burst").await.unwrap();
    sync.set_batch_limits(limits);
    let phone = Phone { store: store.clone(), sync, device_id: "burst-phone".into() };
    let cards: Vec<VirtualCard> = PATIENTS.iter().map(|_| VirtualCard::standard()).collect();
    let pool = record_pool(&phone, &cards, 600).await;
    let mut acked = BTreeMap::new();
    for r in &pool {
        let json = r.to_json();
        store.enqueue(&r.id, json.as_bytes(), chrono::Utc::now()).unwrap();
        acked.insert(r.id.clone(), sha256_hex(json.as_bytes()));
    }
    let phone = Arc::new(phone);
    let uploader = {
        let phone = phone.clone();
        tokio::spawn(async move {
            for _ in 0..2000 {
                if phone.store.list(ItemState::Pending).unwrap().is_empty() {
                    return true;
                }
                let _ = phone.sync.upload_due().await;
                phone.store.all_due_now().unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            false
        })
    };
    // The kills land after seeded numbers of records have been sent (not
    // after seeded milliseconds): every kill happens during the burst, on
    // a fast machine and a loaded one.
    let mut after: Vec<usize> =
        (0..kills_wanted).map(|_| rng.gen_range(1..pool.len() - 20)).collect();
    after.sort_unstable();
    let mut kills = 0;
    for sent in after {
        while phone.store.list(ItemState::Sent).unwrap().len() < sent && !uploader.is_finished() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        kills += 1;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..100))).await;
        let (restarted, backend, _) = start_server(&dir, 0, &anchor);
        server = restarted;
        front.point_at(backend);
    }
    assert!(uploader.await.unwrap(), "the queue drains");
    let sent = phone.store.list(ItemState::Sent).unwrap().len();
    assert_eq!(sent, pool.len(), "every record is marked sent");
    assert!(phone.store.list(ItemState::Wedged).unwrap().is_empty(), "none refused");
    server.kill().unwrap();
    server.wait().unwrap();
    let check = houmon_server::open_app(&admin_config(&dir), url, Some(pin)).unwrap();
    let stored = assert_stored_exactly_once(&check, &acked);
    assert_eq!(stored, pool.len());
    println!("{stored} records stored once each across {kills} server kills");
    assert_eq!(kills, kills_wanted, "the server was killed during the burst");
    front.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
