// SPDX-License-Identifier: MPL-2.0
//! The audit trail's tail (issue 22, item 9): its head is anchored outside
//! the database, so removing the newest entries is found, not only an edit.

use chrono::Utc;
use houmon_server::admin::{anchor_audit, reanchor_audit, verify_audit};
use houmon_server::db::audit::{Actor, Chain};
use houmon_tests::clinic::*;
use houmon_tests::rawdb::with_raw;
use houmon_vcard::VirtualCard;

use super::{audit_entries, unguarded};

fn newest(clinic: &Clinic) -> i64 {
    with_raw(&clinic.config, |db| {
        db.query_one("SELECT MAX(seq) FROM audit_log", &[], |r| r.get::<i64>(0)).unwrap()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_newest_audit_entries_is_detected() {
    let mut clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    phone.pin_visit(VirtualCard::standard(), "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    phone.sync.roster(today()).await.unwrap();
    // (The server writes the head down within a second; now, for the test.)
    anchor_audit(clinic.app()).unwrap();
    let head = newest(&clinic);
    assert!(matches!(verify_audit(clinic.app()).unwrap(), Chain::Intact { .. }));
    // The last three entries (the roster read among them) go.
    unguarded(&clinic, &format!("DELETE FROM audit_log WHERE seq > {}", head - 3));
    let found = verify_audit(clinic.app()).unwrap();
    assert_eq!(found, Chain::TailMissing { entries: head - 3, anchored: head });
    // New entries in their place do not hide it, nor does a restart.
    phone.sync.roster(today()).await.unwrap();
    phone.sync.roster(today()).await.unwrap();
    phone.sync.roster(today()).await.unwrap();
    phone.sync.roster(today()).await.unwrap();
    anchor_audit(clinic.app()).unwrap();
    assert!(newest(&clinic) > head);
    assert!(
        matches!(verify_audit(clinic.app()).unwrap(), Chain::TailMissing { anchored, .. } if anchored == head)
    );
    clinic.restart_server().await.unwrap();
    assert!(matches!(verify_audit(clinic.app()).unwrap(), Chain::TailMissing { .. }));
    let said = audit_entries(&clinic, "audit.tail-missing");
    assert!(said.iter().any(|e| e.detail.contains(&format!("entry {head}"))), "{said:#?}");
    // The administrator, having compared with a backup, anchors it again.
    reanchor_audit(clinic.app(), &Actor::Staff("admin".into())).unwrap();
    assert!(matches!(verify_audit(clinic.app()).unwrap(), Chain::Intact { .. }));
    assert_eq!(audit_entries(&clinic, "audit.reanchor").len(), 1);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_writes_its_audit_head_down_by_itself() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    phone.sync.roster(today()).await.unwrap();
    let head = newest(&clinic);
    // Within a second or so of the entry (the worker's loop), whatever the
    // machine's speed: wait for it, up to ten.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while clinic.app().audit_head.anchored().is_none_or(|a| a.seq < head) {
        assert!(std::time::Instant::now() < deadline, "no head written");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    unguarded(&clinic, &format!("DELETE FROM audit_log WHERE seq = {head}"));
    assert!(matches!(verify_audit(clinic.app()).unwrap(), Chain::TailMissing { .. }));
    clinic.shutdown().await;
}
