// SPDX-License-Identifier: MPL-2.0
//! Guessing (issue 22, item 5): passwords and enrolment codes guessed from
//! one address or many are slowed by growing delays per address and per
//! account, without locking anyone out: the account's owner still logs in
//! from her own address, and a genuine enrolment still goes through. The
//! guessers come from 127.0.0.1 and 127.0.0.10…, the real people from
//! 127.0.0.2.

use houmon_server::db::staff::Role;
use houmon_tests::clinic::*;
use houmon_tests::console::*;

use super::post_enrol;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_password_is_slowed_but_its_owner_still_logs_in_from_her_own_address() {
    let clinic = start_clinic(vec![], vec![], false).await;
    staff_with_password(&clinic, "admin", Role::Admin);
    // The administrator's own desk.
    let mut desk = Console::from(&clinic, Some(loopback(2)));
    assert_eq!(desk.login("admin", PASSWORD).await.0, 303);

    // Someone guesses from one address: a few tries, then the address
    // waits, right password or not.
    let mut attacker = Console::from(&clinic, Some(loopback(1)));
    for i in 0..30 {
        let (status, _) = attacker.login("admin", &format!("guess number {i:04}")).await;
        assert_eq!(status, 401);
    }
    let (status, body) = attacker.login("admin", PASSWORD).await;
    assert_eq!(status, 401, "the guessing address waits: {body}");
    // And from many addresses, one guess each: unknown addresses wait too.
    for a in 10..40 {
        let mut c = Console::from(&clinic, Some(loopback(a)));
        assert_eq!(c.login("admin", "a wrong password").await.0, 401);
    }
    let mut stranger = Console::from(&clinic, Some(loopback(41)));
    let (status, body) = stranger.login("admin", PASSWORD).await;
    assert_eq!(status, 401, "guessing stays slow from anywhere new: {body}");

    // The administrator, at her own desk, logs in.
    let mut desk = Console::from(&clinic, Some(loopback(2)));
    let (status, body) = desk.login("admin", PASSWORD).await;
    assert_eq!(status, 303, "the account was not locked against its owner: {body}");
    let refused = audit_of(&clinic, "console.login");
    assert!(
        refused.iter().filter(|e| e.outcome == "refused:throttled").count() >= 20,
        "{refused:#?}"
    );
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_from_many_addresses_do_not_block_a_genuine_enrolment() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    for a in 10..70 {
        let http = pinned_client(&clinic, Some(loopback(a)));
        let (status, body) =
            post_enrol(&http, &clinic.url, &format!("dev-{a}"), "x", "AAAA-BBBB-CCCC").await;
        assert_eq!(status, 403, "{body}");
    }
    let http = pinned_client(&clinic, Some(loopback(2)));
    let code = clinic.enrolment(STAFF).code;
    let (status, body) = post_enrol(&http, &clinic.url, "dev-real", "phone", &code).await;
    assert_eq!(status, 201, "{body}");
    clinic.shutdown().await;
}
