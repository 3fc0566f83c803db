// SPDX-License-Identifier: MPL-2.0
//! "The patient is on this device's round that day (JST, ±1 day)": visits
//! placed at 23:59 and 00:01 in Japan around a round planned for another
//! day than today, so that a day taken in UTC (nine hours behind) or a
//! window that lets any day through is refused by a test. The visits are
//! ingested at their own moment (`houmon_tests::timed`).

use chrono::Duration;
use houmon_server::db::rounds::{self, Stop};
use houmon_tests::clinic::*;
use houmon_tests::timed::{jst, pin_record_at, refusal, upload_at};
use houmon_vcard::VirtualCard;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_counts_for_a_round_one_japanese_day_either_side_and_no_further() {
    let clinic = start_clinic(vec![patient("p0", None), patient("p1", None)], vec![], false).await;
    let phone = Phone::enrol_only(&clinic, "dev-1").await;
    let app = clinic.app();
    // A round three days ago, not today: p0 on this phone's round that day.
    let day = today() - Duration::days(3);
    clinic.assign(day, "dev-1", &["p0"]);
    let d = |n: i64| day + Duration::days(n);
    for (at, expected, why) in [
        (jst(d(-2), 23, 59), "not-assigned", "two days before, a minute before midnight"),
        (jst(d(-1), 0, 1), "stored", "the day before, just after midnight (UTC: two days before)"),
        (jst(d(0), 8, 59), "stored", "the day itself, before 09:00 (UTC: the day before)"),
        (jst(d(1), 23, 59), "stored", "the day after, a minute before midnight"),
        (
            jst(d(2), 0, 1),
            "not-assigned",
            "two days after, just after midnight (UTC: the day after)",
        ),
    ] {
        let card = VirtualCard::standard();
        let record = pin_record_at(app, &phone, &card, "p0", at).await;
        let outcome = upload_at(app, &phone, &record, at + Duration::minutes(1));
        assert_eq!(refusal(&outcome), expected, "{why} ({at})");
    }
    // p1 is on no round: refused on the round's own day too.
    let at = jst(day, 12, 0);
    let record = pin_record_at(app, &phone, VirtualCard::standard(), "p1", at).await;
    assert_eq!(refusal(&upload_at(app, &phone, &record, at)), "not-assigned");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_planned_for_the_staff_member_counts_on_every_one_of_their_devices_only() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let one = Phone::enrol_only(&clinic, "dev-1").await;
    let two = Phone::enrol_only(&clinic, "dev-2").await;
    let app = clinic.app();
    let day = today() - Duration::days(2);
    let stop = Stop {
        day,
        device_id: rounds::ANY_DEVICE.into(),
        staff_id: STAFF.into(),
        patient_id: "p0".into(),
        position: 0,
    };
    houmon_server::admin::assign(app, &houmon_server::db::audit::Actor::System, &stop).unwrap();
    let at = jst(day, 0, 30);
    for phone in [&one, &two] {
        let record = pin_record_at(app, phone, VirtualCard::standard(), "p0", at).await;
        assert_eq!(refusal(&upload_at(app, phone, &record, at)), "stored", "{}", phone.device_id);
    }
    // Another staff member's stop for any device is not this staff's.
    let theirs = Stop { staff_id: "nurse-other".into(), day: day + Duration::days(5), ..stop };
    houmon_server::admin::assign(app, &houmon_server::db::audit::Actor::System, &theirs).unwrap();
    let at = jst(theirs.day, 10, 0);
    let record = pin_record_at(app, &one, VirtualCard::standard(), "p0", at).await;
    assert_eq!(refusal(&upload_at(app, &one, &record, at)), "not-assigned");
    clinic.shutdown().await;
}
