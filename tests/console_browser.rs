// SPDX-License-Identifier: MPL-2.0
//! The clinic console in a real browser: headless Chromium driven over
//! WebDriver (Debian's `chromium` and `chromium-driver`) through each
//! role's day, asserting what the person sees — the administrator (the
//! second factor set up at the first login, staff added, patients
//! imported, a round planned, a phone enrolled by its QR code and revoked
//! after a confirmation, the access log read in Japanese), the
//! receptionist (本日's counts to the filtered list, a follow-up resolved,
//! a patient updated from the terminal's answer, the day printed on one A4
//! page, tables at tablet widths, Back after logout), the nurse (her
//! second factor, tomorrow's round: search, order, a revoked phone
//! flagged), and a facility's day (custody, read times). Every page's
//! visible text is scanned for internal codes. Screenshots (and the
//! printed PDFs) go to `target/console-screenshots/` for a person to look
//! at; `docs/screenshots/` keeps a chosen few.
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
use houmon_tests::console::{code_now, PASSWORD};
use houmon_vcard::{Variant, VirtualCard};

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

fn shots_dir() -> std::path::PathBuf {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The text a person sees on the page (hidden elements, closed details
/// and attributes such as tooltips are not in it).
async fn visible(c: &Client) -> String {
    css(c, "body").await.text().await.unwrap()
}

/// Fails if the page shows a code meant for machines: one of the codes
/// the server keeps (`words::known_codes`), or anything shaped like one
/// (lower-case words joined by `-` or `.`: `card-not-enrolled-visual`,
/// `console.login`).
async fn no_codes(c: &Client, page: &str) {
    let text = visible(c).await;
    for code in houmon_server::console::words::known_codes() {
        assert!(!text.contains(code), "{page} shows the code {code:?}:\n{text}");
    }
    for token in text.split(|ch: char| !(ch.is_ascii_lowercase() || ch == '-' || ch == '.')) {
        if CLINIC_IDS.contains(&token) {
            continue;
        }
        let parts: Vec<&str> = token.split(['-', '.']).filter(|p| !p.is_empty()).collect();
        let code_like = parts.len() >= 2 && parts.iter().all(|p| p.len() >= 2);
        assert!(!code_like, "{page} shows {token:?}, which reads like a code:\n{text}");
    }
    for word in ["ok", "resolved", "null", "undefined", "Error"] {
        let whole = text.split(|ch: char| !ch.is_ascii_alphanumeric()).any(|w| w == word);
        assert!(!whole, "{page} shows the word {word:?}:\n{text}");
    }
}

/// Ids the clinic chose for its staff, phones and patients, which its
/// pages name as they are (not codes of the software).
const CLINIC_IDS: [&str; 1] = ["nurse-sato"];

/// Opens `path` and scans it.
async fn open(c: &Client, url: &str, path: &str) -> String {
    c.goto(&format!("{url}{path}")).await.unwrap();
    let text = page_text(c).await;
    no_codes(c, path).await;
    text
}

/// Logs in through the login page; sets up the second factor when the
/// page asks (returns the setup key) or types the code from `secret`.
async fn log_in(c: &Client, url: &str, staff: &str, secret: Option<&str>) -> Option<String> {
    c.goto(&format!("{url}/console/")).await.unwrap();
    css(c, "input[name=staff_id]").await.send_keys(staff).await.unwrap();
    css(c, "input[name=password]").await.send_keys(PASSWORD).await.unwrap();
    css(c, "form[action='/console/login'] button").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let here = c.current_url().await.unwrap();
        match here.path() {
            "/console/login/setup" => {
                let key = css(c, "#totp-secret").await.text().await.unwrap();
                css(c, "input[name=code]").await.send_keys(&code_now(&key)).await.unwrap();
                css(c, "form[action='/console/login/setup'] button").await.click().await.unwrap();
                shows(c, "回復用コード").await;
                assert_eq!(c.find_all(Locator::Css("#recovery-codes li")).await.unwrap().len(), 10);
                css(c, "main a.button").await.click().await.unwrap();
                shows(c, "本日").await;
                return Some(key);
            }
            "/console/login/code" => {
                let key = secret.expect("a second factor set up");
                css(c, "input[name=code]").await.send_keys(&code_now(key)).await.unwrap();
                css(c, "form[action='/console/login/code'] button").await.click().await.unwrap();
            }
            "/console/" => {
                shows(c, "本日").await;
                return None;
            }
            _ => {}
        }
        assert!(Instant::now() < deadline, "stuck at {here}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Pages in a printed PDF (Chromium writes one `/Type /Page` object each).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrators_day_second_factor_staff_patients_a_phone_enrolled_and_revoked_the_access_log(
) {
    let Some((_driver, port)) = start_driver().await else { return };
    let clinic = start_clinic(vec![], vec![answer(1, "1"), answer(2, "1")], false).await;
    // The first administrator, as `houmon-server staff add --role admin
    // --password-stdin` makes it (server/tests/binary.rs runs that command).
    admin::add_staff(clinic.app(), &Actor::System, "admin", "管理 花子", Role::Admin).unwrap();
    admin::set_password(clinic.app(), &Actor::System, "admin", PASSWORD).unwrap();
    let mut shots = Shots { dir: shots_dir(), n: 0 };
    let c = browser(port).await;
    let url = clinic.url.clone();
    let url = url.as_str();

    // The first login: the second factor is set up before any page opens.
    c.goto(&format!("{url}/console/")).await.unwrap();
    css(&c, "input[name=staff_id]").await.send_keys("admin").await.unwrap();
    css(&c, "input[name=password]").await.send_keys(PASSWORD).await.unwrap();
    shots.take(&c, "login").await;
    css(&c, "form[action='/console/login'] button").await.click().await.unwrap();
    let text = shows(&c, "2段階認証の設定").await;
    assert!(text.contains("管理者のログインに2段階認証"), "{text}");
    assert!(css(&c, ".qr svg").await.is_displayed().await.unwrap(), "the QR code is drawn");
    no_codes(&c, "setup").await;
    shots.take(&c, "totp-setup").await;
    let key = css(&c, "#totp-secret").await.text().await.unwrap();
    css(&c, "input[name=code]").await.send_keys("123456").await.unwrap();
    css(&c, "form[action='/console/login/setup'] button").await.click().await.unwrap();
    shows(&c, "確認コードが違う").await;
    css(&c, "input[name=code]").await.send_keys(&code_now(&key)).await.unwrap();
    css(&c, "form[action='/console/login/setup'] button").await.click().await.unwrap();
    shows(&c, "この画面でしか表示しません").await;
    shots.take(&c, "recovery-codes").await;
    css(&c, "main a.button").await.click().await.unwrap();
    shows(&c, "対応が必要なもの").await;
    no_codes(&c, "today").await;

    // Staff: every staff member with a second factor; a nurse added.
    open(&c, url, "/console/staff").await;
    css(&c, "input[name=all]").await.click().await.unwrap();
    css(&c, "form[action='/console/staff/totp-policy'] button").await.click().await.unwrap();
    shows(&c, "2段階認証の方針を保存しました").await;
    let id = css(&c, "form[action='/console/staff'] input[name=staff_id]:not([type=hidden])").await;
    id.send_keys("bad id!").await.unwrap();
    assert!(
        c.find(Locator::Css("input[name=staff_id]:invalid")).await.is_ok(),
        "the browser checks the staff id's pattern"
    );
    id.clear().await.unwrap();
    id.send_keys("nurse-sato").await.unwrap();
    css(&c, "form[action='/console/staff'] input[name=name]")
        .await
        .send_keys("佐藤 看護")
        .await
        .unwrap();
    assert!(c.find(Locator::Css("input[name=staff_id]:invalid")).await.is_err(), "a valid id");
    css(&c, "form[action='/console/staff'] input[name=password]")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    css(&c, "form:has(input[name=action][value=save]) button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let text = shows(&c, "職員を保存しました").await;
    assert!(text.contains("佐藤 看護") && text.contains("未設定(次のログインで設定)"), "{text}");
    no_codes(&c, "staff").await;
    shots.take(&c, "staff").await;

    // Import patients from a レセコン's CSV: every bad line first, then all.
    let csv = std::env::temp_dir().join(format!("houmon-console-{}.csv", std::process::id()));
    let header = "患者ID,氏名,カナ,生年月日,住所,保険者番号,記号,番号,枝番,施設\n";
    let rows = "k1,在宅 一郎,ザイタク イチロウ,昭和21年5月10日,東京都千代田区1-1,06130012,あいう,000001,00,\n\
         k2,施設 二子,シセツ フタコ,1938-11-03,東京都千代田区2-2,０６１３００１２,あいう,000002,00,グループホームさくら\n\
         k3,施設 三郎,シセツ サブロウ,1941-01-20,東京都千代田区2-2,,,,,グループホームさくら\n";
    std::fs::write(&csv, format!("{header}{}k9,,,1940-02-30,東京都,,,,,\n", rows)).unwrap();
    c.goto(&format!("{url}/console/patients")).await.unwrap();
    css(&c, "input[type=file]").await.send_keys(csv.to_str().unwrap()).await.unwrap();
    css(&c, "form[action='/console/patients/import'] button").await.click().await.unwrap();
    let text = shows(&c, "取り込みませんでした").await;
    assert!(
        text.contains("5行目: 氏名がありません")
            && text.contains("5行目: 生年月日: 1940-02-30 は存在しない日付です"),
        "{text}"
    );
    shots.take(&c, "import-errors").await;
    std::fs::write(&csv, format!("{header}{rows}")).unwrap();
    css(&c, "input[type=file]").await.send_keys(csv.to_str().unwrap()).await.unwrap();
    css(&c, "form[action='/console/patients/import'] button").await.click().await.unwrap();
    let text = shows(&c, "3名の患者を取り込みました").await;
    assert!(text.contains("患者一覧(3名)") && text.contains("1946-05-10"), "{text}");
    no_codes(&c, "patients").await;
    shots.take(&c, "patients").await;

    // Plan today's round for the nurse (every phone of hers).
    c.goto(&format!("{url}/console/rounds")).await.unwrap();
    css(&c, "select[name=staff] option[value='nurse-7']").await.click().await.unwrap();
    for p in ["k1", "k2", "k3"] {
        css(&c, &format!("input[name=patient][value='{p}']")).await.click().await.unwrap();
    }
    css(&c, "form[action='/console/rounds'][method=post] button").await.click().await.unwrap();
    let text = shows(&c, "3件を訪問予定に加えました").await;
    assert!(text.contains("在宅 一郎") && text.contains("この職員のすべての端末"), "{text}");
    no_codes(&c, "rounds").await;

    // Enrol a phone by its one-time code.
    c.goto(&format!("{url}/console/devices")).await.unwrap();
    css(&c, "form[action='/console/devices/enrol'] select[name=staff] option[value='nurse-7']")
        .await
        .click()
        .await
        .unwrap();
    css(&c, "form[action='/console/devices/enrol'] button").await.click().await.unwrap();
    shows(&c, "登録用QRコードを発行しました").await;
    assert!(css(&c, ".qr svg").await.is_displayed().await.unwrap(), "the QR code is drawn");
    no_codes(&c, "enrolment").await;
    shots.take(&c, "enrolment").await;
    css(&c, "details summary").await.click().await.unwrap();
    let qr_text = css(&c, "#enrolment-text").await.text().await.unwrap();
    let link = EnrolmentLink::parse(qr_text.trim()).expect("the page shows the QR's text");
    let store = Arc::new(Store::open_in_memory(StoreKey::generate()).unwrap());
    let sync =
        SyncClient::enrol(store.clone(), &link, "dev-b", "訪問用スマホ").await.expect("enrolled");
    let phone = Phone { store, sync, device_id: "dev-b".into() };

    // The phone's visits; the terminal answers k1 and k2. k2's card
    // certificate expired 20 days ago: in its grace.
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
    let text = open(&c, url, "/console/visits").await;
    assert!(text.contains("3 件"), "{text}");
    assert!(text.contains("有効(3割)"), "the terminal's answers: {text}");
    assert!(text.contains("暗証番号(カードの署名を検証済み)"), "{text}");
    assert!(text.contains("照会なし(被保険者番号が未登録)"), "k3 has no numbers: {text}");
    assert!(text.contains("在宅 一郎(k1・80歳)") || text.contains("在宅 一郎(k1・79歳)"), "{text}");
    assert!(text.contains("期限切れ(猶予期間中)"), "the warning in words: {text}");
    shots.take(&c, "visits").await;

    // The 申立書 follow-up for k3, resolved with a note.
    let text = open(&c, url, "/console/follow-ups").await;
    assert!(text.contains("施設 三郎") && text.contains("被保険者資格申立書の事後確認"), "{text}");
    let rows = c
        .find_all(Locator::Css("tr:has(input[name=kind][value='certificate-renewal'])"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only k2's certificate needs renewing");
    let row = rows[0].text().await.unwrap();
    assert!(row.contains("施設 二子") && row.contains("代理人"), "{row}");
    css(&c, "form:has(input[name=kind][value='after-check']) textarea")
        .await
        .send_keys("被保険者番号を電話で聞き取り、登録した")
        .await
        .unwrap();
    css(&c, "form:has(input[name=kind][value='after-check']) button").await.click().await.unwrap();
    let text = shows(&c, "対応済みにしました").await;
    assert!(text.contains("被保険者番号を電話で聞き取り、登録した"), "{text}");
    assert!(
        c.find(Locator::Css("form:has(input[name=kind][value='after-check'])")).await.is_err(),
        "no longer open"
    );
    no_codes(&c, "follow-ups").await;

    // Revoke the phone, after a confirmation: its next sync is refused.
    open(&c, url, "/console/devices").await;
    shots.take(&c, "devices").await;
    css(&c, "form:has(input[name=device][value='dev-b']) button").await.click().await.unwrap();
    let text = shows(&c, "端末を取り消しますか").await;
    assert!(text.contains("訪問用スマホ") && text.contains("元に戻すことはできません"), "{text}");
    no_codes(&c, "confirm-revoke").await;
    shots.take(&c, "revoke-confirm").await;
    phone.pin_visit(VirtualCard::standard(), "k1", Utc::now()).await;
    assert!(phone.sync.upload_due().await.is_ok(), "not revoked before the confirmation");
    css(&c, "form[action='/console/devices/revoke'] button").await.click().await.unwrap();
    let text = shows(&c, "端末を取り消しました").await;
    assert!(text.contains("取り消し済み"), "{text}");
    phone.pin_visit(VirtualCard::standard(), "k1", Utc::now()).await;
    assert!(matches!(phone.sync.upload_due().await, Err(SyncError::Unauthorized)));

    // The access log, in Japanese: who did what to whom, and for how long.
    let text = open(&c, url, "/console/audit").await;
    for expected in [
        "改ざんなし",
        "ログイン",
        "端末の取り消し",
        "フォローアップの対応",
        "訪問結果一覧の閲覧",
        "2段階認証の設定",
        "管理 花子(admin)",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    css(&c, "select[name=action] option[value='device.revoke']").await.click().await.unwrap();
    css(&c, "select[name=staff] option[value='admin']").await.click().await.unwrap();
    css(&c, "form[action='/console/audit'] button").await.click().await.unwrap();
    shows(&c, "1 件").await;
    let rows = c.find_all(Locator::Css("main table tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = rows[0].text().await.unwrap();
    assert!(row.contains("端末の取り消し") && row.contains("端末 dev-b"), "{row}");
    no_codes(&c, "audit filtered").await;
    c.goto(&format!("{url}/console/audit?patient=在宅")).await.unwrap();
    let rows = css(&c, "main table tbody").await.text().await.unwrap();
    assert!(rows.contains("訪問の詳細の閲覧") || rows.contains("在宅 一郎(k1)"), "{rows}");
    assert!(!rows.contains("端末の取り消し"), "only entries about the patient: {rows}");
    c.goto(&format!("{url}/console/audit")).await.unwrap();
    shots.take(&c, "audit").await;
    open(&c, url, "/console/").await;
    shots.take(&c, "today").await;
    c.close().await.unwrap();
    let _ = std::fs::remove_file(csv);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receptionists_day_finds_what_needs_action_updates_a_patient_prints_and_logs_out() {
    let Some((_driver, port)) = start_driver().await else { return };
    // Seven visits: five 有効, one 無効 (k6), one 該当資格なし (k7: numbers
    // the terminal does not know).
    let mut patients: Vec<_> = (1..=7).map(|i| patient(&format!("k{i}"), Some(i))).collect();
    patients[0].name = "在宅 一郎".into();
    let answers: Vec<_> = (1..=6).map(|i| answer(i, if i == 6 { "2" } else { "1" })).collect();
    let clinic = start_clinic(patients, answers, false).await;
    houmon_tests::console::staff_with_password(&clinic, "clerk", Role::Clerk);
    let phone = Phone::new(&clinic, "dev-1").await;
    let mut k1 = None;
    for i in 1..=7 {
        let r = phone.pin_visit(VirtualCard::standard(), &format!("k{i}"), Utc::now()).await;
        k1.get_or_insert(r.id);
    }
    assert_eq!(phone.sync.upload_due().await.unwrap().sent.len(), 7);
    for i in 1..=7 {
        phone.wait_result(&format!("k{i}"), Duration::from_secs(15)).await.expect("an answer");
    }
    let k1 = k1.unwrap();
    // The number was mistyped when the patient was registered again.
    let mut typo = patient("k1", Some(10));
    typo.name = "在宅 一郎".into();
    admin::add_patient(clinic.app(), &Actor::System, &typo).unwrap();

    let c = browser(port).await;
    let url = clinic.url.clone();
    let url = url.as_str();
    let mut shots = Shots { dir: shots_dir(), n: 20 };
    log_in(&c, url, "clerk", None).await;
    // 本日: what needs action first, each kind with its count.
    let text = open(&c, url, "/console/").await;
    assert!(text.contains("資格が有効でない\n2 件"), "{text}");
    assert!(text.contains("資格が有効でない・確認待ち\n2 件"), "{text}");
    let attention = c.find_all(Locator::Css("table.day tr.attention")).await.unwrap();
    assert_eq!(attention.len(), 2, "the rows that are not 有効 stand out");
    let first = attention[0].text().await.unwrap();
    assert!(first.contains("無効") || first.contains("該当資格なし"), "{first}");
    let bad = css(&c, "table.day tr.attention .badge.bad").await;
    assert_ne!(
        bad.css_value("background-color").await.unwrap(),
        css(&c, "table.day .badge.ok").await.css_value("background-color").await.unwrap(),
        "not the same grey"
    );
    shots.take(&c, "today-receptionist").await;
    // Print: the day's list on one A4 page with its column labels.
    let pdf = c.print(fantoccini::wd::PrintConfiguration::default()).await.unwrap();
    std::fs::write(shots_dir().join("print-today.pdf"), &pdf).unwrap();
    assert_eq!(pdf_pages(&pdf), 1, "seven visits on one page");
    // The count leads to its list; one is resolved.
    css(&c, "a[href='/console/follow-ups?kind=claim-path']").await.click().await.unwrap();
    let text = shows(&c, "請求の方法").await;
    assert!(!text.contains("登録と違うカード(確認待ち)"), "that kind alone: {text}");
    assert_eq!(c.find_all(Locator::Css("table.checklist tbody tr")).await.unwrap().len(), 2);
    no_codes(&c, "follow-ups claim-path").await;
    shots.take(&c, "follow-ups").await;
    let pdf = c.print(fantoccini::wd::PrintConfiguration::default()).await.unwrap();
    std::fs::write(shots_dir().join("print-follow-ups.pdf"), &pdf).unwrap();
    css(&c, "table.checklist textarea")
        .await
        .send_keys("新しい保険証を確認し、① で請求")
        .await
        .unwrap();
    css(&c, "table.checklist form button").await.click().await.unwrap();
    shows(&c, "対応済みにしました").await;
    assert_eq!(c.find_all(Locator::Css("table.checklist tbody tr")).await.unwrap().len(), 1);

    // The visit: the terminal's whole answer, the typo marked; one click.
    let text = open(&c, url, &format!("/console/visits/{k1}")).await;
    for expected in ["全国健康保険協会", "3割", "1か所が登録内容と違います", "000010", "000001"]
    {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert_eq!(c.find_all(Locator::Css("table.compare tr.diff")).await.unwrap().len(), 1);
    c.set_window_size(1280, 2000).await.unwrap();
    shots.take(&c, "visit-answer").await;
    c.set_window_size(1280, 1200).await.unwrap();
    css(&c, "form[action$='/update-patient'] button").await.click().await.unwrap();
    let text = shows(&c, "患者情報を更新しました").await;
    assert!(text.contains("登録内容は資格確認端末の回答と一致しています"), "{text}");

    // Tablets (iPad portrait): the tables keep their column labels.
    for width in [768, 820] {
        c.set_window_size(width, 1100).await.unwrap();
        c.goto(&format!("{url}/console/visits")).await.unwrap();
        let th = css(&c, "main table thead th").await;
        assert!(th.is_displayed().await.unwrap(), "{width}px: the column labels are shown");
        let row_display = css(&c, "main table tbody tr").await.css_value("display").await.unwrap();
        assert_eq!(row_display, "table-row", "{width}px: rows stay rows");
        shots.take(&c, &format!("visits-tablet-{width}")).await;
    }
    c.set_window_size(1280, 1200).await.unwrap();

    // Logout, then Back: no patient's data.
    c.goto(&format!("{url}/console/visits")).await.unwrap();
    shows(&c, "在宅 一郎").await;
    css(&c, "form[action='/console/logout'] button").await.click().await.unwrap();
    shows(&c, "ログアウトしました").await;
    c.back().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = visible(&c).await;
    assert!(!text.contains("在宅 一郎") && text.contains("ログイン"), "after Back: {text}");
    c.close().await.unwrap();
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurses_day_plans_tomorrow_by_search_and_order_with_a_revoked_phone_flagged() {
    let Some((_driver, port)) = start_driver().await else { return };
    let names = [
        ("k1", "在宅 一郎", "ザイタク イチロウ"),
        ("k2", "在宅 二子", "ザイタク フタコ"),
        ("k3", "通院 三郎", "ツウイン サブロウ"),
    ];
    let patients: Vec<_> = names
        .iter()
        .map(|(id, name, kana)| {
            let mut p = patient(id, None);
            p.name = (*name).into();
            p.kana = (*kana).into();
            p
        })
        .collect();
    let clinic = start_clinic(patients, vec![], false).await;
    houmon_tests::console::staff_with_password(&clinic, STAFF, Role::Nurse);
    for (id, ..) in names {
        admin::set_care_team(
            clinic.app(),
            &Actor::System,
            id,
            &[STAFF.to_owned()].into_iter().collect(),
        )
        .unwrap();
    }
    // Every staff member logs in with a second factor at this clinic.
    houmon_server::console::totp::set_policy(clinic.app(), &Actor::System, true).unwrap();
    // Tomorrow's stop on a phone that was revoked since.
    let tomorrow = today() + chrono::Duration::days(1);
    let _old = Phone::enrol_only(&clinic, "dev-old").await;
    clinic.assign(tomorrow, "dev-old", &["k3"]);
    clinic.revoke("dev-old");

    let c = browser(port).await;
    let url = clinic.url.clone();
    let url = url.as_str();
    let mut shots = Shots { dir: shots_dir(), n: 40 };
    let key = log_in(&c, url, STAFF, None).await;
    assert!(key.is_some(), "the policy asked her to set it up");
    open(&c, url, "/console/rounds").await;
    css(&c, "a[href^='/console/rounds?day=']").await.click().await.unwrap();
    let text = shows(&c, &format!("訪問予定 {tomorrow}")).await;
    assert!(text.contains("取り消した端末"), "the revoked phone is flagged: {text}");
    assert_eq!(c.find_all(Locator::Css("tr.attention")).await.unwrap().len(), 1);
    // Search by kana, not one long list.
    css(&c, "input[name=q]").await.send_keys("ザイタク").await.unwrap();
    css(&c, "form:has(input[name=q]) button").await.click().await.unwrap();
    let text = shows(&c, "「ザイタク」: 2名").await;
    assert!(!text.contains("通院 三郎\n") || text.contains("取り消した端末"), "{text}");
    assert!(
        c.find(Locator::Css("input[name=patient][value='k3']")).await.is_err(),
        "k3 not listed"
    );
    // She plans only herself: no one else to choose.
    let options = c.find_all(Locator::Css("select[name=staff] option")).await.unwrap();
    assert_eq!(options.len(), 1);
    for p in ["k1", "k2"] {
        css(&c, &format!("input[name=patient][value='{p}']")).await.click().await.unwrap();
    }
    css(&c, "form[action='/console/rounds'][method=post] button").await.click().await.unwrap();
    shows(&c, "2件を訪問予定に加えました").await;
    // The order, by number, without script: 在宅 二子 first.
    let inputs =
        c.find_all(Locator::Css("h3:first-of-type + table input[name=position]")).await.unwrap();
    for (input, n) in [(&inputs[0], "2"), (inputs.last().unwrap(), "1")] {
        input.clear().await.unwrap();
        input.send_keys(n).await.unwrap();
    }
    css(&c, "form[action='/console/rounds/order'] p button").await.click().await.unwrap();
    let text = shows(&c, "訪問の順番を保存しました").await;
    let futako = text.find("在宅 二子").unwrap();
    let ichiro = text.find("在宅 一郎").unwrap();
    assert!(futako < ichiro, "{text}");
    no_codes(&c, "rounds tomorrow").await;
    shots.take(&c, "rounds-nurse").await;
    // Her own settings: the second factor is on.
    let text = open(&c, url, "/console/account").await;
    assert!(text.contains("設定済み") && text.contains("回復用コードの残り: 10個"), "{text}");
    c.close().await.unwrap();
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
    log_in(&c, &clinic.url, "admin", None).await;

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
    no_codes(&c, "custody").await;
    let mut shots = Shots { dir: shots_dir(), n: 50 };
    shots.take(&c, "custody").await;

    c.goto(&url("/console/readings")).await.unwrap();
    let text = shows(&c, "機種").await;
    assert!(text.contains("Pixel 8") && text.contains("1.8 秒"), "{text}");
    assert!(
        text.contains("Galaxy A54") && text.contains("4.2 秒") && text.contains("50%"),
        "{text}"
    );
    no_codes(&c, "readings").await;
    shots.take(&c, "readings").await;
    c.close().await.unwrap();
    clinic.shutdown().await;
}
