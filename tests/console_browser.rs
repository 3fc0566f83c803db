// SPDX-License-Identifier: MPL-2.0
//! The clinic console in a real browser: headless Chromium driven over
//! WebDriver (Debian's `chromium` and `chromium-driver`) through a whole
//! day — the first administrator logs in, imports patients, plans a round,
//! enrols a phone by its code; the phone uploads visits; the results show
//! the terminal's answers; a 申立書 follow-up is resolved; the phone is
//! revoked and its next sync refused. Every page is saved as a screenshot
//! under `target/console-screenshots/` for a person to look at.
//!
//! Skipped (with a message) when chromedriver is not installed, unless
//! HOUMON_REQUIRE_TOOLS is set.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fantoccini::{Client, ClientBuilder, Locator};
use houmon_core::protocol::EnrolmentLink;
use houmon_server::admin;
use houmon_server::db::audit::Actor;
use houmon_server::db::staff::Role;
use houmon_store::{Store, StoreKey};
use houmon_sync::{SyncClient, SyncError};
use houmon_tests::clinic::*;
use houmon_vcard::{Variant, VirtualCard};

const PASSWORD: &str = "correct horse battery staple";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_chromedriver() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_owned)
}

async fn start_driver() -> Option<(Driver, u16)> {
    let Some(path) = find_chromedriver() else {
        assert!(
            std::env::var_os("HOUMON_REQUIRE_TOOLS").is_none(),
            "HOUMON_REQUIRE_TOOLS is set but chromedriver is missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipping: chromedriver not found (apt-get install chromium chromium-driver)");
        return None;
    };
    // A port found free is let go before chromedriver binds it, and another
    // program may take it in between: chromedriver then exits (or another
    // program answers), so a start is checked and tried again on a new port.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut driver = Driver(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if driver.0.try_wait().unwrap().is_some() {
                break; // it could not listen there
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Listening, and still ours.
                tokio::time::sleep(Duration::from_millis(200)).await;
                if driver.0.try_wait().unwrap().is_none() {
                    return Some((driver, port));
                }
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("chromedriver exited on five ports in a row");
}

async fn browser(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--ignore-certificate-errors", "--window-size=1280,1200", "--lang=ja-JP"],
        }),
    );
    caps.insert("acceptInsecureCerts".into(), true.into());
    // chromedriver listens on loopback over plain HTTP.
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("Chromium through chromedriver")
}

struct Shots {
    dir: std::path::PathBuf,
    n: usize,
}

impl Shots {
    async fn take(&mut self, c: &Client, name: &str) {
        self.n += 1;
        let png = c.screenshot().await.expect("a screenshot");
        std::fs::write(self.dir.join(format!("{:02}-{name}.png", self.n)), png).unwrap();
    }
}

async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
}

async fn page_text(c: &Client) -> String {
    css(c, "main").await.text().await.unwrap()
}

/// Waits until the page (after a click that navigates) shows `needle`;
/// returns its text.
async fn shows(c: &Client, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = match c.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return text;
        }
        assert!(Instant::now() < deadline, "waited for {needle:?}; the page says:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinic_day_in_the_console_from_the_first_administrator_to_a_revoked_phone() {
    let Some((_driver, port)) = start_driver().await else { return };
    let clinic = start_clinic(vec![], vec![answer(1, "1"), answer(2, "1")], false).await;
    // The first administrator, as `houmon-server staff add --role admin
    // --password-stdin` makes it (server/tests/binary.rs runs that command).
    admin::add_staff(clinic.app(), &Actor::System, "admin", "管理 花子", Role::Admin).unwrap();
    admin::set_password(clinic.app(), &Actor::System, "admin", PASSWORD).unwrap();
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut shots = Shots { dir, n: 0 };
    let c = browser(port).await;
    let url = |path: &str| format!("{}{path}", clinic.url);

    // Log in.
    c.goto(&url("/console/")).await.unwrap();
    css(&c, "input[name=staff_id]").await.send_keys("admin").await.unwrap();
    css(&c, "input[name=password]").await.send_keys(PASSWORD).await.unwrap();
    shots.take(&c, "login").await;
    css(&c, "form[action='/console/login'] button").await.click().await.unwrap();
    shows(&c, "本日の訪問").await;

    // Import patients from a レセコン's CSV.
    let csv = std::env::temp_dir().join(format!("houmon-console-{}.csv", std::process::id()));
    std::fs::write(
        &csv,
        "患者ID,氏名,カナ,生年月日,住所,保険者番号,記号,番号,枝番,施設\n\
         k1,在宅 一郎,ザイタク イチロウ,1946-05-10,東京都千代田区1-1,06130012,あいう,000001,00,\n\
         k2,施設 二子,シセツ フタコ,1938-11-03,東京都千代田区2-2,06130012,あいう,000002,00,グループホームさくら\n\
         k3,施設 三郎,シセツ サブロウ,1941-01-20,東京都千代田区2-2,,,,,グループホームさくら\n",
    )
    .unwrap();
    c.goto(&url("/console/patients")).await.unwrap();
    css(&c, "input[type=file]").await.send_keys(csv.to_str().unwrap()).await.unwrap();
    css(&c, "form[action='/console/patients/import'] button").await.click().await.unwrap();
    let text = shows(&c, "患者一覧(3名)").await;
    assert!(text.contains("在宅 一郎") && text.contains("施設 三郎"), "{text}");
    shots.take(&c, "patients").await;

    // Plan today's round for the nurse (every phone of hers).
    c.goto(&url("/console/rounds")).await.unwrap();
    css(&c, "select[name=staff] option[value='nurse-7']").await.click().await.unwrap();
    for p in ["k1", "k2", "k3"] {
        css(&c, &format!("input[name=patient][value='{p}']")).await.click().await.unwrap();
    }
    css(&c, "form[action='/console/rounds'][method=post] button").await.click().await.unwrap();
    let text = shows(&c, "外す").await;
    assert!(text.contains("在宅 一郎") && text.contains("この職員のすべての端末"), "{text}");
    shots.take(&c, "rounds").await;

    // Enrol a phone by its one-time code.
    c.goto(&url("/console/devices")).await.unwrap();
    css(&c, "form[action='/console/devices/enrol'] select[name=staff] option[value='nurse-7']")
        .await
        .click()
        .await
        .unwrap();
    css(&c, "form[action='/console/devices/enrol'] button").await.click().await.unwrap();
    shows(&c, "登録コード").await;
    let qr_text = css(&c, "#enrolment-text").await.text().await.unwrap();
    assert!(css(&c, ".qr svg").await.is_displayed().await.unwrap(), "the QR code is drawn");
    shots.take(&c, "enrolment-qr").await;
    let link = EnrolmentLink::parse(qr_text.trim()).expect("the page shows the QR's text");
    let store = Arc::new(Store::open_in_memory(StoreKey::generate()).unwrap());
    let sync =
        SyncClient::enrol(store.clone(), &link, "dev-b", "訪問用スマホ").await.expect("enrolled");
    let phone = Phone { store, sync, device_id: "dev-b".into() };

    // The phone's visits, uploaded; the terminal answers k1 and k2. k2's
    // card certificate expired 20 days ago: in its grace.
    for p in ["k1", "k2", "k3"] {
        let card = match p {
            "k2" => VirtualCard::of_variant(Variant::CertificateExpiredInGrace),
            _ => VirtualCard::standard(),
        };
        phone.pin_visit(card, p, Utc::now()).await;
    }
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent.len(), 3, "{report:?}");
    for p in ["k1", "k2"] {
        phone.wait_result(p, Duration::from_secs(15)).await.expect("an answer");
    }
    c.goto(&url("/console/visits")).await.unwrap();
    let text = page_text(&c).await;
    assert!(text.contains("3 件"), "{text}");
    assert!(text.contains("有効(3割)"), "the terminal's answers: {text}");
    assert!(text.contains("暗証番号(カードの署名を検証済み)"), "{text}");
    assert!(text.contains("照会なし(被保険者番号が未登録)"), "k3 has no numbers: {text}");
    shots.take(&c, "visits").await;
    css(&c, "main table tr:nth-child(2) td a").await.click().await.unwrap();
    shows(&c, "カード(電子証明書のSHA-256)").await;
    shots.take(&c, "visit-detail").await;

    // The 申立書 follow-up for k3, resolved with a note.
    c.goto(&url("/console/follow-ups")).await.unwrap();
    let text = page_text(&c).await;
    assert!(text.contains("施設 三郎") && text.contains("被保険者資格申立書の事後確認"), "{text}");
    // The renewal coach: k2's certificate is in grace (renew at the 市区町村,
    // a 代理人 may go); k1's and k3's are years from expiry.
    let renewal = css(&c, "tr:has(input[name=kind][value='certificate-renewal'])").await;
    let row = renewal.text().await.unwrap();
    assert!(
        row.contains("施設 二子") && row.contains("切れています") && row.contains("代理人"),
        "{row}"
    );
    let rows = c
        .find_all(Locator::Css("tr:has(input[name=kind][value='certificate-renewal'])"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only k2");
    shots.take(&c, "follow-ups").await;
    css(&c, "form:has(input[name=kind][value='after-check']) textarea")
        .await
        .send_keys("被保険者番号を電話で聞き取り、登録した")
        .await
        .unwrap();
    css(&c, "form:has(input[name=kind][value='after-check']) button").await.click().await.unwrap();
    shows(&c, "被保険者番号を電話で聞き取り、登録した").await;
    assert!(
        c.find(Locator::Css("form:has(input[name=kind][value='after-check'])")).await.is_err(),
        "no longer open"
    );

    // Revoke the phone: its next sync is refused.
    c.goto(&url("/console/devices")).await.unwrap();
    shots.take(&c, "devices").await;
    css(&c, "form:has(input[name=device][value='dev-b']) button").await.click().await.unwrap();
    shows(&c, "取り消し済み").await;
    phone.pin_visit(VirtualCard::standard(), "k1", Utc::now()).await;
    assert!(matches!(phone.sync.upload_due().await, Err(SyncError::Unauthorized)));

    c.goto(&url("/console/audit")).await.unwrap();
    let text = page_text(&c).await;
    assert!(
        text.contains("改ざんなし")
            && text.contains("device.revoke")
            && text.contains("followup.resolve"),
        "{text}"
    );
    shots.take(&c, "audit").await;
    c.goto(&url("/console/")).await.unwrap();
    shots.take(&c, "today").await;
    c.close().await.unwrap();
    let _ = std::fs::remove_file(csv);
    clinic.shutdown().await;
}

/// A custody entry of the clinic's nurse, queued on `phone`.
fn queue_custody(
    phone: &Phone,
    id: &str,
    patient: &str,
    action: houmon_core::protocol::CustodyAction,
    anchor: Option<String>,
) {
    let e = houmon_core::protocol::CustodyEvent {
        id: id.into(),
        device_id: phone.device_id.clone(),
        staff_id: STAFF.into(),
        patient_id: patient.into(),
        action,
        at: Utc::now(),
        time_anchor: anchor,
        sign_in: None,
    };
    let json = serde_json::to_vec(&e).unwrap();
    let item = houmon_store::NewItem {
        id,
        kind: houmon_store::ItemKind::Custody,
        payload: &json,
        day: &today().to_string(),
        note: b"{}",
    };
    phone.store.enqueue_item(item, Utc::now()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facility_day_shows_the_card_custody_log_and_the_read_times_per_phone_model() {
    use houmon_core::protocol::CustodyAction::{Returned, Taken};
    let Some((_driver, port)) = start_driver().await else { return };
    let mut residents: Vec<_> = ["f1", "f2"].iter().map(|p| patient(p, None)).collect();
    for r in &mut residents {
        r.facility = Some("グループホームさくら".into());
    }
    residents[0].name = "入居 一子".into();
    residents[1].name = "入居 二郎".into();
    let clinic = start_clinic(residents, vec![], false).await;
    admin::add_staff(clinic.app(), &Actor::System, "admin", "管理 花子", Role::Admin).unwrap();
    admin::set_password(clinic.app(), &Actor::System, "admin", PASSWORD).unwrap();
    let phone = Phone::new(&clinic, "dev-f").await;
    // Two cards taken from the facility's safekeeping; one put back.
    let anchor = phone.sync.time_anchor().await.unwrap();
    queue_custody(&phone, "c-1", "f1", Taken, anchor.clone());
    queue_custody(&phone, "c-2", "f2", Taken, anchor.clone());
    queue_custody(&phone, "c-3", "f1", Returned, anchor);
    // Two visits with the read's field timing, on two phone models.
    for (p, model, ms, losses) in [("f1", "Pixel 8", 1_800, 0), ("f2", "Galaxy A54", 4_200, 1)] {
        let mut r = phone.pin_record(VirtualCard::standard(), p, Utc::now()).await;
        r.read_timing = Some(houmon_core::visit::ReadTiming {
            phone_model: model.into(),
            os: "Android 15".into(),
            extended_length: true,
            max_command: 65_544,
            max_response: 65_538,
            reads: 1 + losses,
            tag_losses: losses,
            apdus: 6,
            bytes_out: 400,
            bytes_in: 2_400,
            total_ms: ms,
            phases: vec![],
        });
        phone.enqueue(&r);
    }
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent.len(), 5, "{report:?}");

    let c = browser(port).await;
    let url = |path: &str| format!("{}{path}", clinic.url);
    c.goto(&url("/console/")).await.unwrap();
    css(&c, "input[name=staff_id]").await.send_keys("admin").await.unwrap();
    css(&c, "input[name=password]").await.send_keys(PASSWORD).await.unwrap();
    css(&c, "form[action='/console/login'] button").await.click().await.unwrap();
    shows(&c, "本日の訪問").await;

    c.goto(&url("/console/custody")).await.unwrap();
    let text = shows(&c, "未返却のカード(1枚)").await;
    let unreturned = text.split("未返却のカード").nth(1).unwrap_or_default();
    let unreturned = unreturned.split("グループホームさくら\n時刻").next().unwrap_or_default();
    assert!(unreturned.contains("入居 二郎"), "{text}");
    assert!(!unreturned.contains("入居 一子"), "f1's card was put back: {text}");
    assert!(
        text.contains("預かり") && text.contains("返却") && text.contains("訪問 看護師"),
        "{text}"
    );
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let mut shots = Shots { dir, n: 50 };
    shots.take(&c, "custody").await;

    c.goto(&url("/console/readings")).await.unwrap();
    let text = shows(&c, "機種").await;
    assert!(text.contains("Pixel 8") && text.contains("1.8 秒"), "{text}");
    assert!(
        text.contains("Galaxy A54") && text.contains("4.2 秒") && text.contains("50%"),
        "{text}"
    );
    shots.take(&c, "readings").await;
    c.close().await.unwrap();
    clinic.shutdown().await;
}
