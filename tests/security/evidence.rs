// SPDX-License-Identifier: MPL-2.0
//! A 目視 record's photo (issue 22, item 7): what the record carries is
//! what its hash covers — the chip's own JPEG 2000 bytes — and the server
//! checks both the hash and that the bytes decode to a card photo.

use houmon_core::visit::*;
use houmon_tests::clinic::*;
use houmon_tests::crash::sha256_hex;
use houmon_vcard::{VirtualCard, SAMPLE_PHOTO_JP2};

use super::{visual, wedge_reason};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visual_photo_is_stored_only_if_it_is_a_card_photo_matching_its_hash() {
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let cert = VirtualCard::standard().auth_certificate_der();
    let text = b"this is ninety bytes of plain text sent where the chip's photo belongs, and nothing more..".to_vec();
    assert_eq!(text.len(), 90);
    let cases: [(&str, Option<Vec<u8>>, String); 5] = [
        ("v-text", Some(text.clone()), "0".repeat(64)),
        ("v-text-hashed", Some(text.clone()), sha256_hex(&text)),
        ("v-photo-wrong-hash", Some(SAMPLE_PHOTO_JP2.to_vec()), "0".repeat(64)),
        ("v-photo", Some(SAMPLE_PHOTO_JP2.to_vec()), sha256_hex(SAMPLE_PHOTO_JP2)),
        ("v-hash-only", None, sha256_hex(SAMPLE_PHOTO_JP2)),
    ];
    for (id, photo, hash) in &cases {
        let mut r = visual(&phone, id, "p0", &cert).await;
        let Evidence::Visual(v) = &mut r.evidence else { unreachable!() };
        v.photo_jp2 = photo.clone();
        v.photo_sha256 = hash.clone();
        phone.enqueue(&r);
    }
    let report = phone.sync.upload_due().await.unwrap();
    let mut sent = report.sent.clone();
    sent.sort();
    assert_eq!(sent, ["v-hash-only", "v-photo"], "{report:?}");
    let refusals = super::audit_entries(&clinic, "visit.upload");
    for id in ["v-text", "v-text-hashed", "v-photo-wrong-hash"] {
        assert!(wedge_reason(&phone, id).starts_with("malformed: "), "{id}");
        let entry = refusals.iter().find(|e| e.target.as_deref() == Some(id)).unwrap();
        assert!(
            entry.outcome == "refused:malformed" && entry.detail.contains("photo"),
            "{entry:?}"
        );
    }
    clinic.shutdown().await;
}
