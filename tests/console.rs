// SPDX-License-Identifier: MPL-2.0
//! The clinic console over HTTP (no browser): sessions and their cookie,
//! CSRF on every form, lockout after wrong passwords, what a 事務 account
//! may not do, the CSV import (all rows or none) and export, the phone's
//! queue report as a follow-up. `console_browser.rs` drives the same pages
//! in Chromium.

use std::time::Duration;

use chrono::Utc;
use houmon_server::admin;
use houmon_server::db::audit::{self, Actor, Filter};
use houmon_server::db::staff::Role;
use houmon_sync::ServerPin;
use houmon_tests::clinic::*;
use houmon_vcard::VirtualCard;

const PASSWORD: &str = "correct horse battery staple";

struct Console {
    http: reqwest::Client,
    url: String,
    cookie: Option<String>,
    csrf: Option<String>,
}

fn client(clinic: &Clinic) -> reqwest::Client {
    let pin = ServerPin::parse(clinic.pin.as_deref().expect("TLS")).expect("pin");
    reqwest::Client::builder()
        .use_preconfigured_tls(houmon_sync::tls::client_config(pin))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn csrf_of(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    Some(html[at..at + 64].to_owned())
}

impl Console {
    fn new(clinic: &Clinic) -> Console {
        Console { http: client(clinic), url: clinic.url.clone(), cookie: None, csrf: None }
    }

    /// Logs in; returns the status and the page (a 303 on success).
    async fn login(&mut self, staff: &str, password: &str) -> (u16, String, Option<String>) {
        let page = self.http.get(format!("{}/console/login", self.url)).send().await.unwrap();
        let login_cookie = set_cookie(&page, "houmon_login").unwrap();
        let token = login_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
        let resp = self
            .http
            .post(format!("{}/console/login", self.url))
            .header("cookie", format!("houmon_login={token}"))
            .form(&[("login_csrf", token.as_str()), ("staff_id", staff), ("password", password)])
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let session = set_cookie(&resp, "houmon_console");
        if let Some(c) = &session {
            self.cookie = Some(c.split(';').next().unwrap().to_owned());
            let (_, home) = self.get("/console/").await;
            self.csrf = csrf_of(&home);
        }
        (status, resp.text().await.unwrap(), session)
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap_or_default())
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)], with_csrf: bool) -> (u16, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if with_csrf {
            form.push(("csrf", self.csrf.as_deref().unwrap()));
        }
        let mut req = self.http.post(format!("{}{path}", self.url)).form(&form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap_or_default())
    }

    async fn upload(&self, path: &str, csv: Vec<u8>) -> (u16, String) {
        let form = reqwest::multipart::Form::new()
            .text("csrf", self.csrf.clone().unwrap())
            .part("file", reqwest::multipart::Part::bytes(csv).file_name("patients.csv"));
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .header("cookie", self.cookie.clone().unwrap())
            .multipart(form)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap_or_default())
    }
}

/// The audit entries whose action starts with `prefix`, newest first.
fn audit_of(clinic: &Clinic, prefix: &str) -> Vec<audit::Row> {
    let f = Filter { action_prefix: Some(prefix.into()), limit: 1000, ..Default::default() };
    clinic.app().db.read(|conn, _| audit::list(conn, &f)).unwrap()
}

fn staff_with_password(clinic: &Clinic, id: &str, role: Role) {
    admin::add_staff(clinic.app(), &Actor::System, id, id, role).unwrap();
    admin::set_password(clinic.app(), &Actor::System, id, PASSWORD).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lives_in_a_strict_cookie_and_every_form_needs_its_csrf_token() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    let mut c = Console::new(&clinic);
    // No session: the login page.
    let (status, _) = c.get("/console/").await;
    assert_eq!(status, 303);
    // A login form posted without its double-submit token is refused.
    let resp = c
        .http
        .post(format!("{}/console/login", c.url))
        .form(&[("staff_id", "admin"), ("password", PASSWORD), ("login_csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let (status, _, cookie) = c.login("admin", PASSWORD).await;
    assert_eq!(status, 303);
    let cookie = cookie.unwrap();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(c.csrf.is_some());
    let phone = Phone::new(&clinic, "dev-1").await;
    // A form without the token (another site's POST) changes nothing.
    let (status, body) = c.post("/console/devices/revoke", &[("device", "dev-1")], false).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = c
        .post(
            "/console/devices/revoke",
            &[("device", "dev-1"), ("csrf", "0".repeat(64).as_str())],
            false,
        )
        .await;
    assert_eq!(status, 403);
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    assert!(phone.sync.upload_due().await.is_ok(), "still enrolled");
    // With it: revoked at once.
    let (status, _) = c.post("/console/devices/revoke", &[("device", "dev-1")], true).await;
    assert_eq!(status, 303);
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    assert!(matches!(phone.sync.upload_due().await, Err(houmon_sync::SyncError::Unauthorized)));
    // Logout ends the session on the server: the old cookie opens nothing.
    let (status, _) = c.post("/console/logout", &[], true).await;
    assert_eq!(status, 303);
    let (status, _) = c.get("/console/").await;
    assert_eq!(status, 303);
    let entries = audit_of(&clinic, "console.");
    assert!(entries.iter().any(|e| e.action == "console.login" && e.outcome == "ok"));
    assert!(entries.iter().any(|e| e.action == "console.logout"));
    let revoke = audit_of(&clinic, "device.revoke");
    assert_eq!(revoke[0].actor, "staff:admin", "attributed to the staff member");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it() {
    let clinic = start_clinic(vec![], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let mut c = Console::new(&clinic);
    for i in 1..=5 {
        let (status, body, _) = c.login("clerk", "wrong password here").await;
        assert_eq!(status, 401, "try {i}");
        if i < 5 {
            assert!(body.contains("職員IDまたはパスワードが違います"), "{body}");
        } else {
            assert!(body.contains("ロックしました"), "{body}");
        }
    }
    let (status, body, _) = c.login("clerk", PASSWORD).await;
    assert_eq!(status, 401, "locked even with the right password");
    assert!(body.contains("ロックされています"), "{body}");
    // An unknown id answers like a wrong password.
    let (_, body, _) = c.login("nobody", PASSWORD).await;
    assert!(body.contains("職員IDまたはパスワードが違います"));
    let refused = audit_of(&clinic, "console.login");
    assert!(refused.iter().filter(|e| e.outcome.starts_with("refused:")).count() >= 7);
    // The administrator unlocks it.
    let mut admin = Console::new(&clinic);
    admin.login("admin", PASSWORD).await;
    let (status, _) =
        admin.post("/console/staff", &[("action", "unlock"), ("staff_id", "clerk")], true).await;
    assert_eq!(status, 303);
    let (status, _, _) = c.login("clerk", PASSWORD).await;
    assert_eq!(status, 303);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_cannot_do_an_administrators_action() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let mut c = Console::new(&clinic);
    c.login("clerk", PASSWORD).await;
    for path in ["/console/devices", "/console/audit", "/console/staff"] {
        let (status, body) = c.get(path).await;
        assert_eq!(status, 403, "{path}");
        assert!(body.contains("権限がありません"));
    }
    let (status, _) = c.post("/console/devices/enrol", &[("staff", "nurse-7")], true).await;
    assert_eq!(status, 403);
    let (status, _) = c
        .post(
            "/console/staff",
            &[
                ("action", "save"),
                ("staff_id", "evil"),
                ("name", "x"),
                ("role", "admin"),
                ("password", "0123456789abcdef"),
            ],
            true,
        )
        .await;
    assert_eq!(status, 403);
    // The desk's own work is allowed.
    for path in [
        "/console/",
        "/console/visits",
        "/console/follow-ups",
        "/console/rounds",
        "/console/patients",
        "/console/export.csv",
    ] {
        let (status, _) = c.get(path).await;
        assert_eq!(status, 200, "{path}");
    }
    // The navigation shows only what the role may open.
    let (_, home) = c.get("/console/").await;
    assert!(!home.contains("/console/devices") && home.contains("/console/patients"));
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patients_import_from_csv_all_or_nothing_and_the_day_exports_in_shift_jis() {
    let clinic = start_clinic(vec![], vec![answer(1, "1")], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    let mut c = Console::new(&clinic);
    c.login("admin", PASSWORD).await;
    let bad = "患者ID,氏名,カナ,生年月日,住所,保険者番号,記号,番号,枝番,施設\n\
               k1,訪問 一郎,ホウモン イチロウ,1940-04-01,東京都,06130012,あいう,000001,00,\n\
               k2,訪問 二郎,,1940/13/01,東京都,,,,,\n";
    let (status, body) = c.upload("/console/patients/import", bad.as_bytes().to_vec()).await;
    assert_eq!(status, 422);
    assert!(body.contains("3行目") && body.contains("生年月日"), "{body}");
    assert!(
        clinic.app().db.read(houmon_server::db::patients::all).unwrap().is_empty(),
        "nothing half-imported"
    );
    let good = bad.replace("1940/13/01", "1941/03/02");
    let sjis = encoding_rs::SHIFT_JIS.encode(&good).0.into_owned();
    let (status, body) = c.upload("/console/patients/import", sjis).await;
    assert_eq!(status, 303, "{body}");
    let all = clinic.app().db.read(houmon_server::db::patients::all).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].personal.name, "訪問 一郎");
    assert_eq!(all[1].personal.birth_date.to_string(), "1941-03-02");
    // A visit, then the CSV in Shift_JIS for the レセコン.
    let phone = Phone::new(&clinic, "dev-1").await;
    phone.pin_visit(VirtualCard::standard(), "k1", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    phone.wait_result("k1", Duration::from_secs(10)).await.expect("a result");
    let resp = c
        .http
        .get(format!("{}/console/export.csv", c.url))
        .header("cookie", c.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["content-type"].to_str().unwrap().contains("Shift_JIS"));
    let bytes = resp.bytes().await.unwrap();
    let (text, _, bad_chars) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad_chars);
    assert!(text.starts_with("受診日,訪問ID,患者ID,氏名"), "{text}");
    assert!(
        text.contains("訪問 一郎") && text.contains("有効(3割)") && text.contains("3割"),
        "{text}"
    );
    let (status, utf8) = c.get("/console/export.csv?encoding=utf-8").await;
    assert_eq!(status, 200);
    assert!(utf8.contains("訪問 一郎"));
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_a_phone_could_not_deliver_becomes_a_follow_up_that_is_resolved_with_a_note() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    let phone = Phone::enrol_only(&clinic, "dev-1").await;
    // Not on the round: refused, wedged on the phone, reported.
    let r = phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    phone.sync.report_queue().await.unwrap();
    let mut c = Console::new(&clinic);
    c.login("admin", PASSWORD).await;
    let (_, page) = c.get("/console/follow-ups").await;
    // Listed with the server's reason, the typed code (the fixed to-do text
    // of every undelivered record mentions 訪問予定 whatever the reason).
    assert!(page.contains(&format!("記録 {}: not-assigned: ", r.id)), "{page}");
    let item = format!("dev-1/{}", r.id);
    let (status, _) = c
        .post(
            "/console/follow-ups/resolve",
            &[("kind", "undelivered"), ("item", &item), ("note", "")],
            true,
        )
        .await;
    assert_eq!(status, 422, "a note is required");
    let (status, _) = c
        .post(
            "/console/follow-ups/resolve",
            &[("kind", "undelivered"), ("item", &item), ("note", "予定に追加して再送を依頼")],
            true,
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get("/console/follow-ups").await;
    assert!(page.contains("予定に追加して再送を依頼"), "listed as resolved");
    let (_, devices) = c.get("/console/devices").await;
    // (In its own cell: "0 件" alone would match "10 件".)
    assert!(devices.contains("<td>0 件"), "the pending count the phone reported is shown");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_staff_member_is_logged_out_refused_at_login_and_on_their_phones() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    staff_with_password(&clinic, "clerk", Role::Clerk);
    staff_with_password(&clinic, STAFF, Role::Nurse);
    let mut admin = Console::new(&clinic);
    admin.login("admin", PASSWORD).await;
    let mut clerk = Console::new(&clinic);
    assert_eq!(clerk.login("clerk", PASSWORD).await.0, 303);
    assert_eq!(clerk.get("/console/").await.0, 200);
    // The nurse's phone, and a code issued for a second one.
    let phone = Phone::new(&clinic, "dev-1").await;
    let unused = clinic.enrolment(STAFF);
    let mut nurse = Console::new(&clinic);
    assert_eq!(nurse.login(STAFF, PASSWORD).await.0, 303);

    // Not by a clerk, not one's own account.
    let (status, _) =
        clerk.post("/console/staff", &[("action", "disable"), ("staff_id", "admin")], true).await;
    assert_eq!(status, 403);
    let (status, body) =
        admin.post("/console/staff", &[("action", "disable"), ("staff_id", "admin")], true).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("自分のアカウントは無効にできません"), "{body}");
    let (status, _) =
        admin.post("/console/staff", &[("action", "disable"), ("staff_id", "nobody")], true).await;
    assert_eq!(status, 422);

    // The administrator disables the clerk: logged out at once, refused at login.
    let (_, page) = admin.get("/console/staff").await;
    assert!(page.contains("無効にする"), "{page}");
    let (status, _) =
        admin.post("/console/staff", &[("action", "disable"), ("staff_id", "clerk")], true).await;
    assert_eq!(status, 303);
    assert_eq!(clerk.get("/console/").await.0, 303, "the open session ended");
    let (status, body, cookie) = clerk.login("clerk", PASSWORD).await;
    assert_eq!((status, cookie), (401, None));
    assert!(body.contains("職員IDまたはパスワードが違います"), "{body}");
    let (_, page) = admin.get("/console/staff").await;
    assert!(page.contains("(無効)") && page.contains("有効に戻す"), "{page}");

    // The nurse, by the command line's way (admin.rs): console and phone.
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    admin::disable_staff(clinic.app(), &Actor::Staff("admin".into()), STAFF).unwrap();
    assert_eq!(nurse.get("/console/").await.0, 303, "the nurse's session ended");
    assert!(matches!(phone.sync.upload_due().await, Err(houmon_sync::SyncError::Unauthorized)));
    assert!(matches!(phone.sync.roster(today()).await, Err(houmon_sync::SyncError::Unauthorized)));
    let store = std::sync::Arc::new(
        houmon_store::Store::open_in_memory(houmon_store::StoreKey::generate()).unwrap(),
    );
    assert!(
        houmon_sync::SyncClient::enrol(store, &unused, "dev-2", "second phone").await.is_err(),
        "a code issued before is void"
    );
    let (_, devices) = admin.get("/console/devices").await;
    assert!(!devices.contains(&format!("option value=\"{STAFF}\"")), "not offered for a phone");

    // Enabled again: the phone and the login work again.
    admin::enable_staff(clinic.app(), &Actor::Staff("admin".into()), STAFF).unwrap();
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert_eq!(nurse.login(STAFF, PASSWORD).await.0, 303);

    // Every step is in the audit trail, with who did it.
    let entries = audit_of(&clinic, "staff.");
    let steps: Vec<(&str, &str, Option<&str>)> = entries
        .iter()
        .filter(|e| e.action == "staff.disable" || e.action == "staff.enable")
        .map(|e| (e.action.as_str(), e.actor.as_str(), e.target.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            ("staff.enable", "staff:admin", Some(STAFF)),
            ("staff.disable", "staff:admin", Some(STAFF)),
            ("staff.disable", "staff:admin", Some("clerk")),
        ]
    );
    let refused = audit_of(&clinic, "console.login");
    assert!(refused.iter().any(|e| e.outcome == "refused:disabled"), "{refused:#?}");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_staff_member_can_no_longer_sign_in_on_a_shared_phone() {
    use chrono::Duration as Days;
    use houmon_core::visit::StaffKey;
    use houmon_tests::timed::{jst, pin_record_by, refusal, upload_at};
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    clinic.add_staff("nurse-b", "看護 二", Some("482915"));
    let phone = Phone::enrol_only(&clinic, "dev-1").await;
    let app = clinic.app();
    let day = today() - Days::days(1);
    clinic.assign_for(day, "dev-1", "nurse-b", &["p0"]);
    let on_roster = |staff: Vec<houmon_core::protocol::RosterStaff>| {
        staff.into_iter().find(|s| s.staff_id == "nurse-b")
    };
    let verifier = on_roster(phone.sync.roster(day).await.unwrap().0.staff)
        .and_then(|s| s.sign_in)
        .expect("nurse-b may sign in on dev-1 that day");
    let key = StaffKey::sign_in("482915", &verifier).unwrap();
    let signed = |mut record: houmon_core::visit::VisitRecord, at| {
        record.sign_in = Some(key.attest("dev-1", "nurse-b", &record.id, at));
        record
    };
    let card = VirtualCard::standard();
    let at = jst(day, 10, 0);
    let before = signed(pin_record_by(app, &phone, "nurse-b", &card, "p0", at).await, at);
    assert_eq!(refusal(&upload_at(app, &phone, &before, at)), "stored");

    admin::disable_staff(app, &Actor::Staff("admin".into()), "nurse-b").unwrap();
    assert!(on_roster(phone.sync.roster(day).await.unwrap().0.staff).is_none(), "off the roster");
    let at = jst(day, 11, 0);
    let after = signed(pin_record_by(app, &phone, "nurse-b", &card, "p0", at).await, at);
    assert_eq!(
        refusal(&upload_at(app, &phone, &after, at)),
        "sign-in-invalid",
        "signed in after disabling"
    );
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patients_whose_certificate_is_in_grace_are_a_follow_up_from_the_certificate_not_the_phone()
{
    use houmon_core::renewal::{self, CertificateCarrier, RenewalKind};
    use houmon_server::db::visits;
    use houmon_vcard::Variant;
    let clinic = start_clinic(
        vec![patient("k1", None), patient("k2", None), patient("k3", None)],
        vec![],
        false,
    )
    .await;
    staff_with_password(&clinic, "admin", Role::Admin);
    let phone = Phone::new(&clinic, "dev-1").await;
    // k1: expired 20 days ago, in the grace; the phone's advice says so.
    let grace = VirtualCard::of_variant(Variant::CertificateExpiredInGrace);
    let k1 = phone.pin_visit(grace, "k1", Utc::now()).await;
    assert_eq!(k1.renewal.as_ref().map(|a| a.kind), Some(RenewalKind::InGrace));
    // k2: a certificate four years from its expiry, but its phone claims an
    // advice; k3: in grace, but its phone sends none.
    let mut k2 = phone.pin_record(VirtualCard::standard(), "k2", Utc::now()).await;
    k2.renewal = Some(renewal::advise(today(), today(), CertificateCarrier::Card));
    phone.enqueue(&k2);
    let mut k3 = phone
        .pin_record(VirtualCard::of_variant(Variant::CertificateExpiredInGrace), "k3", Utc::now())
        .await;
    k3.renewal = None;
    phone.enqueue(&k3);
    assert_eq!(phone.sync.upload_due().await.unwrap().sent.len(), 3);
    // The ingest keeps the phone's advice and notes the one that lies.
    let warnings =
        |id: &str| clinic.app().db.read(|c, _| visits::get(c, id)).unwrap().unwrap().warnings;
    assert!(warnings(&k2.id).iter().any(|w| w == "renewal-advice-recomputed"));
    assert!(!warnings(&k1.id).iter().any(|w| w == "renewal-advice-recomputed"));
    let mut c = Console::new(&clinic);
    c.login("admin", PASSWORD).await;
    let (_, page) = c.get("/console/follow-ups").await;
    let section = page
        .split("電子証明書の更新が必要な患者")
        .nth(1)
        .expect("the renewal follow-up")
        .split("<h2")
        .next()
        .unwrap();
    assert!(section.contains("患者 k1") && section.contains("患者 k3"), "{section}");
    assert!(!section.contains("患者 k2"), "from the certificate, not the phone: {section}");
    assert!(section.contains("代理人") && section.contains("市区町村"), "{section}");
    // Resolved with a note, it leaves the list.
    let item = section
        .split(r#"name="item" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(item.starts_with("k1:") || item.starts_with("k3:"), "{item}");
    let (status, _) = c
        .post(
            "/console/follow-ups/resolve",
            &[("kind", "certificate-renewal"), ("item", &item), ("note", "家族に更新を依頼")],
            true,
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = c.get("/console/follow-ups").await;
    let open =
        page.split("電子証明書の更新が必要な患者").nth(1).unwrap().split("<h2").next().unwrap();
    assert!(!open.contains(&format!(r#"value="{item}""#)), "{open}");
    clinic.shutdown().await;
}
