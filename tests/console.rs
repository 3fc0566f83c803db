// SPDX-License-Identifier: MPL-2.0
//! The clinic console over HTTP (no browser): sessions and their cookie,
//! CSRF on every form, waits after wrong passwords, what a 事務 account
//! may not do, the CSV import (all rows or none, every bad line reported,
//! 和暦 and full-width digits) and export, the phone's queue report as a
//! follow-up; the second factor (set up at an administrator's first login,
//! a code accepted once, recovery codes, the clinic's policy); a login
//! that returns to the page and carries a form posted after the session
//! ended; logout and time-out with their duration in the audit trail; the
//! 資格確認端末's answer updating the patient; errors in Japanese; no
//! partial save; planning rounds. `console_browser.rs` drives the same
//! pages in Chromium. Runs on PostgreSQL too (HOUMON_TEST_DATABASE).

use std::time::Duration;

use chrono::Utc;
use houmon_server::admin;
use houmon_server::db::audit::Actor;
use houmon_server::db::staff::Role;
use houmon_tests::clinic::*;
use houmon_tests::console::*;
use houmon_vcard::VirtualCard;

/// A form posted without the session's CSRF token (another site's form).
async fn post_without_token(c: &Console, path: &str, fields: &[(&str, &str)]) -> u16 {
    let mut req = c.http.post(format!("{}{path}", c.url)).form(fields);
    if let Some(k) = &c.cookie {
        req = req.header("cookie", k);
    }
    req.send().await.unwrap().status().as_u16()
}

fn location(p: &Page) -> String {
    p.headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lives_in_a_strict_cookie_and_every_form_needs_its_csrf_token() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    let mut c = Console::new(&clinic);
    // No session: the login page, which will return to the page asked for.
    let page = c.get("/console/patients?q=p0").await;
    assert_eq!(page.status, 303);
    assert_eq!(location(&page), "/console/login?next=%2Fconsole%2Fpatients%3Fq%3Dp0");
    // A login form posted without its double-submit token is refused.
    let resp = c
        .http
        .post(format!("{}/console/login", c.url))
        .form(&[("staff_id", "admin"), ("password", PASSWORD), ("login_csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let (status, _) = c.login("admin", PASSWORD).await;
    assert_eq!(status, 303);
    let cookie = c.cookie.clone().unwrap();
    assert!(cookie.starts_with("houmon_console="));
    let raw = c.http.get(format!("{}/console/login", c.url)).send().await.unwrap();
    let flags = raw.headers()["set-cookie"].to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(flags.contains(flag), "{flag} in {flags}");
    }
    assert!(c.csrf.is_some());
    let phone = Phone::new(&clinic, "dev-1").await;
    // A form without the token (another site's POST) changes nothing.
    assert_eq!(
        post_without_token(&c, "/console/devices/revoke", &[("device", "dev-1")]).await,
        403
    );
    let zeros = "0".repeat(64);
    let forged = [("device", "dev-1"), ("csrf", zeros.as_str())];
    assert_eq!(post_without_token(&c, "/console/devices/revoke", &forged).await, 403);
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    assert!(phone.sync.upload_due().await.is_ok(), "still enrolled");
    // The page's button asks first (nothing is revoked yet)…
    let confirm = c.post("/console/devices/confirm-revoke", &[("device", "dev-1")]).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("元に戻すことはできません"), "{}", confirm.body);
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    assert!(phone.sync.upload_due().await.is_ok(), "asking revokes nothing");
    // …and the confirmation revokes it at once, with a message.
    let done = c.post("/console/devices/revoke", &[("device", "dev-1")]).await;
    assert_eq!((done.status, location(&done).as_str()), (303, "/console/devices?done=revoked"));
    let revoked = c.get("/console/devices?done=revoked").await;
    assert!(revoked.body.contains("端末を取り消しました"));
    let signed_in_as = format!("admin({}) ", Role::Admin.name_ja());
    assert!(revoked.body.contains(&signed_in_as), "the header names who is signed in");
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    assert!(matches!(phone.sync.upload_due().await, Err(houmon_sync::SyncError::Unauthorized)));
    // Logout ends the session on the server: the old cookie opens nothing.
    let out = c.post("/console/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(c.get("/console/").await.status, 303);
    assert!(c.get("/console/login?done=logout").await.body.contains("ログアウトしました。"));
    let other = c.get("/console/login?done=staff-saved").await;
    assert!(!other.body.contains("ログアウトしました"), "said only after a logout");
    let entries = audit_of(&clinic, "console.");
    assert!(entries.iter().any(|e| e.action == "console.login" && e.outcome == "ok"));
    let logout = entries.iter().find(|e| e.action == "console.logout").expect("logout audited");
    assert!(logout.detail.starts_with("duration_s="), "with its duration: {logout:?}");
    let revoke = audit_of(&clinic, "device.revoke");
    assert_eq!(revoke[0].actor, "staff:admin", "attributed to the staff member");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_up_a_second_factor_at_the_first_login_and_gives_a_code_at_each() {
    let clinic = start_clinic(vec![], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    staff_with_password(&clinic, "clerk", Role::Clerk);
    // The password alone opens nothing: the setup first.
    let mut raw = Console::new(&clinic);
    let page = raw.http.get(format!("{}/console/login", raw.url)).send().await.unwrap();
    let token = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap()
        ["houmon_login=".len()..]
        .to_owned();
    let resp = raw
        .http
        .post(format!("{}/console/login", raw.url))
        .header("cookie", format!("houmon_login={token}"))
        .form(&[("login_csrf", token.as_str()), ("staff_id", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], "/console/login/setup");
    let session =
        resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    raw.cookie = Some(session);
    let home = raw.get("/console/").await;
    assert_eq!(location(&home), "/console/login/setup", "no page before the second factor");
    let setup = raw.get("/console/login/setup").await;
    assert!(setup.body.contains("<svg") && setup.body.contains(r#"id="totp-secret""#));
    // A wrong code is refused and audited.
    let csrf = setup.body.split(r#"name="csrf" value=""#).nth(1).unwrap()[..64].to_owned();
    let wrong = raw.post("/console/login/setup", &[("csrf", &csrf), ("code", "000000")]).await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("確認コードが違う"));
    assert!(audit_of(&clinic, "staff.totp").iter().any(|e| e.outcome == "refused:bad-code"));
    // With the app's code: set up, ten recovery codes shown once.
    let at = setup.body.find(r#"id="totp-secret">"#).unwrap() + 17;
    let secret = setup.body[at..].split('<').next().unwrap().to_owned();
    let ok =
        raw.post("/console/login/setup", &[("csrf", &csrf), ("code", &code_now(&secret))]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let codes: Vec<String> = ok
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{}", ok.body);
    assert_eq!(raw.get("/console/login/continue").await.status, 303);
    assert_eq!(raw.get("/console/").await.status, 200, "logged in");
    // The same code is not accepted twice (RFC 6238 §5.2).
    let mut again = Console::new(&clinic);
    let (status, _) = again.login_password_only("admin", PASSWORD).await;
    assert_eq!(status, 303);
    let page = again.get("/console/login/code").await;
    let csrf = page.body.split(r#"name="csrf" value=""#).nth(1).unwrap()[..64].to_owned();
    let replay =
        again.post("/console/login/code", &[("csrf", &csrf), ("code", &code_now(&secret))]).await;
    assert_eq!(replay.status, 401, "a code already used");
    // A recovery code works, once.
    let rec = again
        .post("/console/login/code", &[("csrf", &csrf), ("code", &codes[0].to_lowercase())])
        .await;
    assert_eq!((rec.status, location(&rec).as_str()), (303, "/console/login/continue"));
    let mut third = Console::new(&clinic);
    third.login_password_only("admin", PASSWORD).await;
    let page = third.get("/console/login/code").await;
    let csrf = page.body.split(r#"name="csrf" value=""#).nth(1).unwrap()[..64].to_owned();
    let used = third.post("/console/login/code", &[("csrf", &csrf), ("code", &codes[0])]).await;
    assert_eq!(used.status, 401, "a recovery code is used once");
    assert!(audit_of(&clinic, "console.second-factor")
        .iter()
        .all(|e| e.outcome == "refused:bad-code"));
    raw.remember_totp("admin", &secret);
    // A clerk needs none until the clinic asks every staff member for one.
    let mut clerk = Console::new(&clinic);
    assert_eq!(clerk.login_password_only("clerk", PASSWORD).await.1, "/console/login/continue");
    let admin = Console::logged_in(&clinic, "admin").await;
    assert_eq!(admin.post("/console/staff/totp-policy", &[("all", "1")]).await.status, 303);
    let mut clerk = Console::new(&clinic);
    assert_eq!(clerk.login_password_only("clerk", PASSWORD).await.1, "/console/login/setup");
    let policy = audit_of(&clinic, "clinic.totp-policy");
    assert_eq!(policy[0].actor, "staff:admin");
    // An administrator resets a lost phone's second factor: asked first.
    let ask = admin.post("/console/staff/totp-reset", &[("staff_id", "admin")]).await;
    assert!(ask.body.contains("リセットしますか"));
    let reset =
        admin.post("/console/staff/totp-reset", &[("staff_id", "admin"), ("confirm", "yes")]).await;
    assert_eq!(reset.status, 303);
    let mut after = Console::new(&clinic);
    assert_eq!(after.login_password_only("admin", PASSWORD).await.1, "/console/login/setup");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_returns_to_the_page_and_a_form_posted_after_the_session_ended_is_not_lost() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let phone = Phone::enrol_only(&clinic, "dev-1").await;
    let r = phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    phone.sync.report_queue().await.unwrap();
    let mut c = Console::logged_in(&clinic, "clerk").await;
    let item = format!("dev-1/{}", r.id);
    // The phone's refused record is a follow-up; a note is required.
    let list = c.get("/console/follow-ups?kind=undelivered").await;
    assert!(list.body.contains("訪問予定"), "the phone's reason: {}", list.body);
    let empty = [("kind", "undelivered"), ("item", item.as_str()), ("note", "")];
    assert_eq!(c.post("/console/follow-ups/resolve", &empty).await.status, 422);
    // The session times out while the clerk writes her note.
    clinic
        .app()
        .db
        .write(|tx, _| {
            tx.execute("UPDATE console_session SET last_seen_at = '2000-01-01T00:00:00Z'", &[])
                .map(|_| ())
        })
        .unwrap();
    let note = "予定に追加して再送を依頼(電話で確認済み)";
    let stale = c
        .post(
            "/console/follow-ups/resolve",
            &[("kind", "undelivered"), ("item", &item), ("note", note)],
        )
        .await;
    assert_eq!(stale.status, 401, "the login page");
    assert!(stale.body.contains(note), "what was typed is carried: {}", stale.body);
    assert!(stale.body.contains("送信した内容はまだ保存されていません"));
    // The time-out is in the audit trail, with how long the session was used.
    let timeout = audit_of(&clinic, "console.timeout");
    assert!(timeout
        .iter()
        .any(|e| e.actor == "staff:clerk" && e.detail.starts_with("duration_s=")));
    // Logging in from that page: the form, ready to send.
    let token = stale.body.split(r#"name="login_csrf" value=""#).nth(1).unwrap()[..32].to_owned();
    let mut fields: Vec<(String, String)> = stale
        .body
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|s| {
            let name = s.split('"').next()?.to_owned();
            let value = s.split("value=\"").nth(1)?.split('"').next()?.to_owned();
            Some((name, value))
        })
        .collect();
    fields.retain(|(k, _)| k != "login_csrf");
    fields.push(("login_csrf".into(), token.clone()));
    fields.push(("staff_id".into(), "clerk".into()));
    fields.push(("password".into(), PASSWORD.into()));
    let resp = c
        .http
        .post(format!("{}/console/login", c.url))
        .header("cookie", format!("houmon_login={token}"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], "/console/login/continue");
    let session =
        resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    c.cookie = Some(session);
    let resume = c.get("/console/login/continue").await;
    assert_eq!(resume.status, 200);
    assert!(resume.body.contains(note) && resume.body.contains("この内容で送信する"));
    c.csrf = resume.body.split(r#"name="csrf" value=""#).nth(1).map(|s| s[..64].to_owned());
    let sent = c
        .post(
            "/console/follow-ups/resolve",
            &[("kind", "undelivered"), ("item", &item), ("note", note)],
        )
        .await;
    assert_eq!((sent.status, location(&sent).as_str()), (303, "/console/follow-ups?done=resolved"));
    // A page opened without a session returns there after the login.
    let mut other = Console::new(&clinic);
    let (_, next) = other.login_to("clerk", PASSWORD, "/console/visits?day=2026-01-05").await;
    assert_eq!(next, "/console/visits?day=2026-01-05");
    // Never to another site.
    let (_, next) = other.login_to("clerk", PASSWORD, "//evil.example/x").await;
    assert_eq!(next, "/console/");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_slow_the_account_until_an_administrator_lifts_the_wait() {
    let clinic = start_clinic(vec![], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let mut c = Console::new(&clinic);
    for i in 1..=5 {
        let (status, body) = c.login("clerk", "wrong password here").await;
        assert_eq!(status, 401, "try {i}");
        if i < 5 {
            assert!(body.contains("職員IDまたはパスワードが違います"), "{body}");
            assert!(body.contains(r#"value="clerk""#), "the staff id typed is kept");
        } else {
            assert!(body.contains("ロックしました"), "{body}");
        }
    }
    let (status, body) = c.login("clerk", PASSWORD).await;
    assert_eq!(status, 401, "waits even with the right password");
    assert!(body.contains("ロックされています"), "{body}");
    let (_, body) = c.login("nobody", PASSWORD).await;
    assert!(body.contains("職員IDまたはパスワードが違います"));
    let refused = audit_of(&clinic, "console.login");
    assert!(refused.iter().filter(|e| e.outcome.starts_with("refused:")).count() >= 7);
    // The trail says when a wrong password started a wait, and how long.
    assert!(
        refused.iter().any(|e| e.detail.contains("waits ") && e.detail.ends_with(" s now")),
        "{refused:?}"
    );
    let admin = Console::logged_in(&clinic, "admin").await;
    let page = admin.post("/console/staff", &[("action", "unlock"), ("staff_id", "clerk")]).await;
    assert_eq!(page.status, 303);
    assert!(admin.get(&location(&page)).await.body.contains("ログインの制限を解除しました"));
    assert_eq!(c.login("clerk", PASSWORD).await.0, 303);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_a_sign_in_code_and_a_bad_one_is_refused_in_japanese() {
    let clinic = start_clinic(vec![], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    staff_with_password(&clinic, "nurse-1", Role::Nurse);
    let admin = Console::logged_in(&clinic, "admin").await;
    let set = |staff: &'static str, code: &'static str| {
        let admin = &admin;
        async move {
            admin.post("/console/staff/signin-code", &[("staff_id", staff), ("code", code)]).await
        }
    };
    let saved = set("nurse-1", "482915").await;
    assert_eq!(
        (saved.status, location(&saved).as_str()),
        (303, "/console/staff/signin-code?saved=1")
    );
    let entries = audit_of(&clinic, "staff.signin-code");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].actor.as_str(), entries[0].target.as_deref()),
        ("staff:admin", Some("nurse-1"))
    );
    for (staff, code, said) in [
        ("ghost", "482915", "職員ID ghost は登録されていません。"),
        ("nurse-1", "48", "サインインコードは6〜12桁の数字です。"),
    ] {
        let refused = set(staff, code).await;
        assert_eq!(refused.status, 422, "{staff} {code}");
        assert!(refused.body.contains(said), "{}", refused.body);
        assert!(!refused.body.contains("no staff member"), "no English: {}", refused.body);
    }
    assert_eq!(audit_of(&clinic, "staff.signin-code").len(), 1, "the refused ones wrote nothing");
    assert!(!entries[0].detail.contains("482915"), "the code is kept nowhere");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_cannot_do_an_administrators_action_and_a_refused_staff_form_saves_nothing() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "clerk", Role::Clerk);
    staff_with_password(&clinic, "admin", Role::Admin);
    let c = Console::logged_in(&clinic, "clerk").await;
    for path in ["/console/devices", "/console/audit", "/console/staff", "/console/audit.csv"] {
        let page = c.get(path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.body.contains("権限がありません"));
    }
    assert_eq!(c.post("/console/devices/enrol", &[("staff", "nurse-7")]).await.status, 403);
    let evil = [
        ("action", "save"),
        ("staff_id", "evil"),
        ("name", "x"),
        ("role", "admin"),
        ("password", "0123456789abcdef"),
    ];
    assert_eq!(c.post("/console/staff", &evil).await.status, 403);
    for path in [
        "/console/",
        "/console/visits",
        "/console/follow-ups",
        "/console/rounds",
        "/console/patients",
        "/console/export.csv",
    ] {
        assert_eq!(c.get(path).await.status, 200, "{path}");
    }
    let home = c.get("/console/").await;
    assert!(!home.body.contains("/console/devices") && home.body.contains("/console/patients"));
    // An administrator's refused password creates no account.
    let admin = Console::logged_in(&clinic, "admin").await;
    let short = [
        ("action", "save"),
        ("staff_id", "nurse-sato"),
        ("name", "佐藤 看護"),
        ("role", "nurse"),
        ("password", "short"),
    ];
    let page = admin.post("/console/staff", &short).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("12文字以上") && page.body.contains(r#"value="nurse-sato""#));
    let staff =
        clinic.app().db.read(|c, _| houmon_server::db::staff::get(c, "nurse-sato")).unwrap();
    assert!(staff.is_none(), "no partial save");
    // The same form with a good password (12 characters, the least)
    // saves the account, its role and a password she can log in with,
    // each audited.
    let good = [
        ("action", "save"),
        ("staff_id", "nurse-sato"),
        ("name", "佐藤 看護"),
        ("role", "nurse"),
        ("password", "twelve chars"),
    ];
    let saved = admin.post("/console/staff", &good).await;
    assert_eq!((saved.status, location(&saved).as_str()), (303, "/console/staff?done=staff-saved"));
    let staff = clinic.app().db.read(|c, _| houmon_server::db::staff::get(c, "nurse-sato"));
    let staff = staff.unwrap().expect("saved");
    assert_eq!((staff.name.as_str(), staff.role), ("佐藤 看護", Role::Nurse));
    assert_eq!(audit_of(&clinic, "staff.upsert")[0].target.as_deref(), Some("nurse-sato"));
    assert_eq!(audit_of(&clinic, "staff.password")[0].target.as_deref(), Some("nurse-sato"));
    let mut sato = Console::new(&clinic);
    assert_eq!(sato.login("nurse-sato", "twelve chars").await.0, 303, "her password works");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patients_import_all_or_nothing_with_every_bad_line_and_the_day_exports_in_shift_jis() {
    let clinic = start_clinic(vec![], vec![answer(1, "1")], false).await;
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let c = Console::logged_in(&clinic, "clerk").await;
    let bad = "患者ID,氏名,カナ,生年月日,住所,保険者番号,記号,番号,枝番,施設\n\
               k1,訪問 一郎,ホウモン イチロウ,昭和15年4月1日,東京都,０６１３００１２,あいう,000001,00,\n\
               k2,訪問 二郎,,1940-02-30,東京都,,,,,\n\
               k3,,,1941/03/02,東京都,123,,,,\n\
               k4,訪問 四郎,,平成32年1月1日,東京都,,,,,\n";
    let page = c.upload("/console/patients/import", bad.as_bytes().to_vec()).await;
    assert_eq!(page.status, 422);
    for expected in [
        "3行目: 生年月日: 1940-02-30 は存在しない日付です",
        "4行目: 氏名がありません",
        "4行目: 保険者番号「123」は6桁か8桁の数字です",
        "5行目: 生年月日: 平成は31年4月30日までです",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    assert!(!page.body.contains("2行目"), "the good line is not reported");
    assert!(
        clinic.app().db.read(houmon_server::db::patients::all).unwrap().is_empty(),
        "nothing half-imported"
    );
    let good = bad.lines().take(2).collect::<Vec<_>>().join("\n")
        + "\nk2,訪問 二郎,,１９４１年３月２日,東京都,,,,,\n";
    let sjis = encoding_rs::SHIFT_JIS.encode(&good).0.into_owned();
    let page = c.upload("/console/patients/import", sjis).await;
    assert_eq!(
        (page.status, location(&page).as_str()),
        (303, "/console/patients?done=imported&n=2")
    );
    assert!(c.get(&location(&page)).await.body.contains("2名の患者を取り込みました"));
    let all = clinic.app().db.read(houmon_server::db::patients::all).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].personal.birth_date.to_string(), "1940-04-01", "昭和15年4月1日");
    assert_eq!(all[0].personal.insurance.as_ref().unwrap().insurer_number, "06130012");
    assert_eq!(all[1].personal.birth_date.to_string(), "1941-03-02");
    // Editing: a date that does not exist is named, and what was typed stays.
    let page = c
        .post(
            "/console/patients/k2",
            &[("name", "訪問 二郎"), ("birth_date", "1940-02-30"), ("address", "東京都港区")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("1940-02-30 は存在しない日付です") && page.body.contains("東京都港区")
    );
    // A visit, then the CSV in Shift_JIS for the レセコン.
    let phone = Phone::new(&clinic, "dev-1").await;
    phone.pin_visit(VirtualCard::standard(), "k1", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    phone.wait_result("k1", Duration::from_secs(10)).await.expect("a result");
    let (status, bytes) = c.bytes("/console/export.csv").await;
    assert_eq!(status, 200);
    let (text, _, bad_chars) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad_chars);
    assert!(text.starts_with("受診日,訪問ID,患者ID,氏名"), "{text}");
    assert!(text.contains("訪問 一郎") && text.contains("有効(3割)"), "{text}");
    let (status, utf8) = c.bytes("/console/export.csv?encoding=utf-8").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(utf8).unwrap().contains("訪問 一郎"));
    assert!(audit_of(&clinic, "console.export").len() >= 2, "every export is audited");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_japanese_pages_a_person_can_act_on() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let c = Console::logged_in(&clinic, "clerk").await;
    let root = c.get("/").await;
    assert_eq!((root.status, location(&root).as_str()), (303, "/console/"));
    let missing = c.get("/console/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.starts_with("<!DOCTYPE html>")
            && missing.body.contains("ページが見つかりません")
    );
    let api = c.get("/v1/no-such-thing").await;
    assert_eq!(api.status, 404);
    assert!(!api.body.contains("<html"), "the phones' API answers as before");
    for path in [
        "/console/visits?day=2026-13-01",
        "/console/rounds?day=きのう",
        "/console/custody?day=2026-02-30",
    ] {
        let page = c.get(path).await;
        assert_eq!(page.status, 422, "{path}: refused, not today");
        assert!(page.body.contains("表示する日付が正しくありません"), "{path}");
        assert!(page.body.contains("前の画面に戻る"), "{path}: a link back");
    }
    // 和暦 and full-width digits in ?day= too.
    assert_eq!(c.get("/console/visits?day=令和8年1月5日").await.status, 200);
    assert!(c.get("/console/visits?day=２０２６-０１-０５").await.body.contains("2026-01-05"));
    for path in ["/console/", "/console/visits", "/console/patients", "/console/login"] {
        let page = c.get(path).await;
        assert!(
            page.body.starts_with("<!DOCTYPE html><html lang=\"ja\">"),
            "{path}: {}",
            &page.body[..60]
        );
    }
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminals_answer_is_shown_beside_the_registration_and_updates_it_in_one_audited_step()
{
    let clinic = start_clinic(vec![patient("k1", Some(1))], vec![answer(1, "1")], false).await;
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let phone = Phone::new(&clinic, "dev-1").await;
    let r = phone.pin_visit(VirtualCard::standard(), "k1", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    phone.wait_result("k1", Duration::from_secs(10)).await.expect("a result");
    let c = Console::logged_in(&clinic, "clerk").await;
    let page = c.get(&format!("/console/visits/{}", r.id)).await;
    for expected in [
        "全国健康保険協会",
        "06130012",
        "000001",
        "3割",
        "登録内容は資格確認端末の回答と一致しています",
    ] {
        assert!(page.body.contains(expected), "{expected}");
    }
    assert!(!page.body.contains("この内容で患者情報を更新"), "nothing to update");
    // The clerk mistypes the number while editing the patient.
    let edit = [
        ("name", "患者 k1"),
        ("birth_date", "1940-04-01"),
        ("address", "東京都千代田区1-1"),
        ("insurer_number", "06130012"),
        ("symbol", "あいう"),
        ("number", "000010"),
        ("branch", "00"),
    ];
    assert_eq!(c.post("/console/patients/k1", &edit).await.status, 303);
    let page = c.get(&format!("/console/visits/{}", r.id)).await;
    assert!(page.body.contains("1か所が登録内容と違います"), "{}", page.body);
    assert!(
        page.body.contains(r#"<tr class="diff"><th>番号</th><td>000010</td><td>000001</td>"#),
        "{}",
        page.body
    );
    let done = c.post(&format!("/console/visits/{}/update-patient", r.id), &[]).await;
    assert_eq!(done.status, 303);
    assert!(c.get(&location(&done)).await.body.contains("患者情報を更新しました"));
    let p =
        clinic.app().db.read(|c, s| houmon_server::db::patients::get(c, s, "k1")).unwrap().unwrap();
    assert_eq!(p.personal.insurance.unwrap().number, "000001");
    let audited = audit_of(&clinic, "patient.from-answer");
    assert_eq!(audited.len(), 1);
    assert!(audited[0].actor == "staff:clerk" && audited[0].detail.contains("番号"), "{audited:?}");
    assert!(audit_of(&clinic, "console.visit")
        .iter()
        .any(|e| e.target.as_deref() == Some(r.id.as_str())));
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_the_enrolment_page_shows_the_same_code_instead_of_issuing_another() {
    let clinic = start_clinic(vec![], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    let c = Console::logged_in(&clinic, "admin").await;
    let devices = c.get("/console/devices").await;
    let issue = devices.body.split(r#"name="issue" value=""#).nth(1).unwrap()[..32].to_owned();
    let form = [("staff", STAFF), ("minutes", "１５"), ("issue", issue.as_str())];
    let first = c.post("/console/devices/enrol", &form).await;
    let second = c.post("/console/devices/enrol", &form).await;
    let code = |p: &Page| p.body.split(r#"id="enrolment-code">"#).nth(1).unwrap()[..14].to_owned();
    assert_eq!(code(&first), code(&second));
    assert!(second.body.contains("新しいコードは発行していません"));
    assert_eq!(audit_of(&clinic, "device.enrolment-issued").len(), 1, "one code issued");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_care_team_with_a_malformed_id_is_refused_as_malformed_in_japanese() {
    let clinic = start_clinic(vec![patient("p1", None)], vec![], false).await;
    staff_with_password(&clinic, STAFF, Role::Nurse);
    let team = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect();
    let malformed = "患者または職員の指定が正しくありません。患者のページを開き直して、もう一度選んでください。";
    for (patient, staff) in [("p1", team(&[STAFF, "../x"])), ("../p1", team(&[STAFF]))] {
        match admin::set_care_team(clinic.app(), &Actor::System, patient, &staff) {
            Err(admin::AdminError::Invalid(m)) => assert_eq!(m, malformed, "{patient} {staff:?}"),
            other => panic!("{patient} {staff:?}: {other:?}"),
        }
    }
    assert!(audit_of(&clinic, "patient.care-team").is_empty(), "nothing was set");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurse_plans_tomorrow_copies_last_week_and_sets_the_order_without_script() {
    use chrono::Duration as Days;
    let clinic = start_clinic(
        vec![patient("p1", None), patient("p2", None), patient("p3", None)],
        vec![],
        false,
    )
    .await;
    staff_with_password(&clinic, STAFF, Role::Nurse);
    for p in ["p1", "p2", "p3"] {
        admin::set_care_team(
            clinic.app(),
            &Actor::System,
            p,
            &[STAFF.to_owned()].into_iter().collect(),
        )
        .unwrap();
    }
    let tomorrow = today() + Days::days(1);
    let nurse = Console::logged_in(&clinic, STAFF).await;
    let day = tomorrow.to_string();
    let planned = nurse
        .post(
            "/console/rounds",
            &[
                ("day", &day),
                ("staff", STAFF),
                ("device", "*"),
                ("patient", "p1"),
                ("patient", "p2"),
            ],
        )
        .await;
    assert_eq!(planned.status, 303, "{}", planned.body);
    assert!(nurse.get(&location(&planned)).await.body.contains("2件を訪問予定に加えました"));
    let fields = [("day", day.as_str()), ("staff", STAFF), ("device", "*"), ("patient", "../p1")];
    let malformed = nurse.post("/console/rounds", &fields).await;
    assert_eq!(malformed.status, 422);
    assert!(malformed.body.contains("患者のIDの形式が正しくありません"), "{}", malformed.body);
    // The order, by number: p2 first.
    let order = nurse
        .post(
            "/console/rounds/order",
            &[
                ("day", &day),
                ("stop", "*|p1"),
                ("position", "2"),
                ("stop", "*|p2"),
                ("position", "1"),
            ],
        )
        .await;
    assert_eq!(order.status, 303);
    let stops =
        clinic.app().db.read(|c, _| houmon_server::db::rounds::of_day(c, tomorrow)).unwrap();
    let first = stops.iter().min_by_key(|s| s.position).unwrap();
    assert_eq!(first.patient_id, "p2");
    // Repeat weekly: four more weeks; and next week's copy of this one
    // adds nothing twice.
    let rep = nurse.post("/console/rounds/repeat", &[("day", &day), ("weeks", "4")]).await;
    assert!(nurse.get(&location(&rep)).await.body.contains("8件の予定をくり返し加えました"));
    let next_week = (tomorrow + Days::days(7)).to_string();
    let copy = nurse.post("/console/rounds/copy", &[("day", &next_week)]).await;
    assert!(nurse.get(&location(&copy)).await.body.contains("0件の予定をコピーしました"));
    for w in 1..=4 {
        let d = tomorrow + Days::days(7 * w);
        assert_eq!(
            clinic.app().db.read(|c, _| houmon_server::db::rounds::of_day(c, d)).unwrap().len(),
            2
        );
    }
    // Search instead of one long list.
    let page = nurse.get(&format!("/console/rounds?day={day}&q=p3")).await;
    assert!(
        page.body.contains(r#"value="p3""#) && !page.body.contains(r#"name="patient" value="p1""#)
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
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let phone = Phone::new(&clinic, "dev-1").await;
    let grace = VirtualCard::of_variant(Variant::CertificateExpiredInGrace);
    let k1 = phone.pin_visit(grace, "k1", Utc::now()).await;
    assert_eq!(k1.renewal.as_ref().map(|a| a.kind), Some(RenewalKind::InGrace));
    let mut k2 = phone.pin_record(VirtualCard::standard(), "k2", Utc::now()).await;
    k2.renewal = Some(renewal::advise(today(), today(), CertificateCarrier::Card));
    phone.enqueue(&k2);
    let mut k3 = phone
        .pin_record(VirtualCard::of_variant(Variant::CertificateExpiredInGrace), "k3", Utc::now())
        .await;
    k3.renewal = None;
    phone.enqueue(&k3);
    assert_eq!(phone.sync.upload_due().await.unwrap().sent.len(), 3);
    let warnings =
        |id: &str| clinic.app().db.read(|c, _| visits::get(c, id)).unwrap().unwrap().warnings;
    assert!(warnings(&k2.id).iter().any(|w| w == "renewal-advice-recomputed"));
    assert!(!warnings(&k1.id).iter().any(|w| w == "renewal-advice-recomputed"));
    let c = Console::logged_in(&clinic, "clerk").await;
    // 本日 counts it, and links to the list of that kind alone.
    let home = c.get("/console/").await;
    assert!(
        home.body.contains(r#"href="/console/follow-ups?kind=certificate-renewal">2 件"#),
        "{}",
        home.body
    );
    // Under the few words staff know it by, on 本日 and in the list's filter.
    assert!(home.body.contains(
        r#"<div class="muted">証明書の更新</div><a class="count" href="/console/follow-ups?kind=certificate-renewal">"#
    ));
    let page = c.get("/console/follow-ups?kind=certificate-renewal").await;
    assert!(page.body.contains("<strong>証明書の更新(2)</strong>"), "{}", page.body);
    assert!(!page.body.contains("端末から送れなかった記録</h2>"), "only that kind");
    let section =
        page.body.split("電子証明書の更新が必要な患者").nth(1).expect("the renewal follow-up");
    assert!(section.contains("患者 k1") && section.contains("患者 k3"), "{section}");
    assert!(!section.contains("患者 k2"), "from the certificate, not the phone: {section}");
    assert!(section.contains("代理人") && section.contains("市区町村"), "{section}");
    let item = section
        .split(r#"name="item" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let done = c
        .post(
            "/console/follow-ups/resolve",
            &[("kind", "certificate-renewal"), ("item", &item), ("note", "家族に更新を依頼")],
        )
        .await;
    assert_eq!(done.status, 303);
    let page = c.get(&location(&done)).await;
    assert!(page.body.contains("対応済みにしました"));
    let open = page
        .body
        .split("電子証明書の更新が必要な患者")
        .nth(1)
        .unwrap()
        .split("<h2")
        .next()
        .unwrap();
    assert!(!open.contains(&format!(r#"value="{item}""#)), "{open}");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_staff_member_is_logged_out_refused_at_login_and_on_their_phones() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    staff_with_password(&clinic, "clerk", Role::Clerk);
    staff_with_password(&clinic, STAFF, Role::Nurse);
    let admin = Console::logged_in(&clinic, "admin").await;
    let mut clerk = Console::new(&clinic);
    assert_eq!(clerk.login("clerk", PASSWORD).await.0, 303);
    assert_eq!(clerk.get("/console/").await.status, 200);
    // The nurse's phone, and a code issued for a second one.
    let phone = Phone::new(&clinic, "dev-1").await;
    let unused = clinic.enrolment(STAFF);
    let mut nurse = Console::new(&clinic);
    assert_eq!(nurse.login(STAFF, PASSWORD).await.0, 303);

    // Not by a clerk, not one's own account.
    let status =
        clerk.post("/console/staff", &[("action", "disable"), ("staff_id", "admin")]).await.status;
    assert_eq!(status, 403);
    let page = admin.post("/console/staff", &[("action", "disable"), ("staff_id", "admin")]).await;
    let (status, body) = (page.status, page.body);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("自分のアカウントは無効にできません"), "{body}");
    let status =
        admin.post("/console/staff", &[("action", "disable"), ("staff_id", "nobody")]).await.status;
    assert_eq!(status, 422);

    // The administrator disables the clerk: logged out at once, refused at login.
    let page = admin.get("/console/staff").await.body;
    assert!(page.contains("無効にする"), "{page}");
    let status =
        admin.post("/console/staff", &[("action", "disable"), ("staff_id", "clerk")]).await.status;
    assert_eq!(status, 303);
    assert_eq!(clerk.get("/console/").await.status, 303, "the open session ended");
    let (status, body) = clerk.login("clerk", PASSWORD).await;
    assert_eq!(status, 401);
    assert!(body.contains("職員IDまたはパスワードが違います"), "{body}");
    let page = admin.get("/console/staff").await.body;
    assert!(page.contains("(無効)") && page.contains("有効に戻す"), "{page}");

    // The nurse, by the command line's way (admin.rs): console and phone.
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    admin::disable_staff(clinic.app(), &Actor::Staff("admin".into()), STAFF).unwrap();
    assert_eq!(nurse.get("/console/").await.status, 303, "the nurse's session ended");
    assert!(matches!(phone.sync.upload_due().await, Err(houmon_sync::SyncError::Unauthorized)));
    assert!(matches!(phone.sync.roster(today()).await, Err(houmon_sync::SyncError::Unauthorized)));
    let store = std::sync::Arc::new(
        houmon_store::Store::open_in_memory(houmon_store::StoreKey::generate()).unwrap(),
    );
    assert!(
        houmon_sync::SyncClient::enrol(store, &unused, "dev-2", "second phone").await.is_err(),
        "a code issued before is void"
    );
    let devices = admin.get("/console/devices").await.body;
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
