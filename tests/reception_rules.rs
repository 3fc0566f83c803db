// SPDX-License-Identifier: MPL-2.0
//! Every scenario of the seed lecture (佐賀県保険医協会「今さら聞けないマイナ
//! 保険証」) and of the Ministry's rules as a table-driven test with its date;
//! every date boundary on both sides; invalid input refused.

use chrono::NaiveDate;
use houmon_core::reception::{
    assess, Assessment, CannotCheck, CardStatus, Document, History, InsurerKind, OnlineCheck,
    Policy, ReceptionError, ShareKind, Situation,
};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(date: &str) -> Situation {
    Situation {
        date: d(date),
        birth_date: None,
        age: Some(45),
        insurer_kind: None,
        history: History::FirstVisit,
        online_check: OnlineCheck::Now,
        documents: vec![],
    }
}

fn with(mut s: Situation, doc: Document) -> Situation {
    s.documents.push(doc);
    s
}
fn returning(mut s: Situation, share: u8) -> Situation {
    s.history = History::ReturnVisit { share_on_file: Some(share) };
    s
}
fn aged(mut s: Situation, age: u32) -> Situation {
    s.age = Some(age);
    s
}
fn online(mut s: Situation, o: OnlineCheck) -> Situation {
    s.online_check = o;
    s
}

fn card(status: CardStatus) -> Document {
    Document::MynaCard { status, certificate_expiry: None }
}
fn card_expiring(status: CardStatus, expiry: &str) -> Document {
    Document::MynaCard { status, certificate_expiry: Some(d(expiry)) }
}
fn cannot(reason: CannotCheck) -> CardStatus {
    CardStatus::CannotCheck { reason }
}
fn kakuninsho(kind: InsurerKind, until: &str, share: Option<u8>) -> Document {
    Document::Kakuninsho {
        insurer_kind: kind,
        valid_until: d(until),
        issued_on: None,
        share_printed: share,
    }
}
fn hokensho(kind: InsurerKind, until: Option<&str>) -> Document {
    Document::HealthInsuranceCard { insurer_kind: kind, valid_until: until.map(d) }
}
fn notice(share: Option<u8>) -> Document {
    Document::QualificationNotice { share_printed: share }
}

/// What a scenario expects.
struct Expect {
    accepted: bool,
    share: ShareKind,
    wari: Option<u8>,
    /// Each must appear somewhere in the guidance text.
    says: &'static [&'static str],
    /// Rules that must be among those applied.
    rules: &'static [&'static str],
}

fn check(name: &str, s: Situation, e: Expect) -> Assessment {
    let a = assess(&s, &Policy::embedded()).unwrap_or_else(|err| panic!("{name}: {err}"));
    let text = a.to_text();
    assert_eq!(a.accepted, e.accepted, "{name}: accepted\n{text}");
    assert_eq!(a.share.kind, e.share, "{name}: share kind\n{text}");
    assert_eq!(a.share.wari, e.wari, "{name}: share\n{text}");
    for needle in e.says {
        assert!(text.contains(needle), "{name}: expected {needle:?} in\n{text}");
    }
    for id in e.rules {
        assert!(a.rules.iter().any(|r| r.id == *id), "{name}: rule {id} not applied\n{text}");
    }
    a
}

#[test]
fn seed_scenarios_each_with_its_date() {
    use CannotCheck::*;
    use InsurerKind::*;
    let y = true;
    let n = false;
    #[rustfmt::skip]
    let table: Vec<(&str, Situation, Expect)> = vec![
        ("マイナ保険証で確認できた",
         with(at("2026-11-25"), card(CardStatus::Confirmed)),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: None, says: &["オンライン資格確認で有効"], rules: &[] }),
        ("確認できない+資格情報のお知らせ",
         with(with(at("2026-11-25"), card(cannot(DeviceOrCardFault))), notice(Some(3))),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: Some(3), says: &["マイナ保険証+資格情報のお知らせ"], rules: &["notice-needs-card"] }),
        ("確認できない+マイナポータル画面(PDF可)",
         with(with(at("2026-11-25"), card(cannot(DeviceOrCardFault))), Document::PortalScreen),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: None, says: &["マイナポータル"], rules: &["portal-screen-with-card"] }),
        ("確認できない・初診: 被保険者資格申立書で3割",
         with(at("2026-11-25"), card(cannot(DeviceOrCardFault))),
         Expect { accepted: y, share: ShareKind::Declared, wari: Some(3), says: &["被保険者資格申立書", "事後確認", "77777777", "77777779", "摘要欄"], rules: &["declaration-when-card-cannot-be-checked", "claim-order"] }),
        ("確認できない・初診・70歳以上: 申立書の割合",
         aged(with(at("2026-11-25"), card(cannot(DeviceOrCardFault))), 72),
         Expect { accepted: y, share: ShareKind::Declared, wari: None, says: &["1〜3割"], rules: &[] }),
        ("確認できない・再診: 過去の受診歴と口頭確認",
         returning(with(at("2026-11-25"), card(cannot(DeviceOrCardFault))), 1),
         Expect { accepted: y, share: ShareKind::PastRecord, wari: Some(1), says: &["口頭で確認"], rules: &["declaration-when-card-cannot-be-checked"] }),
        ("資格(無効): 旧資格で請求",
         with(at("2026-11-25"), card(cannot(ResultInvalid))),
         Expect { accepted: y, share: ShareKind::Declared, wari: Some(3), says: &["資格(無効)の場合はまずこれ"], rules: &["claim-order"] }),
        ("資格情報なし: 不詳レセプト",
         with(at("2026-11-25"), card(cannot(ResultNoRecord))),
         Expect { accepted: y, share: ShareKind::Declared, wari: Some(3), says: &["資格情報なしの場合はこれ", "「7」"], rules: &["claim-order"] }),
        ("資格確認書(有効期限内)",
         with(at("2026-11-25"), kakuninsho(Employee, "2029-11-30", Some(3))),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: Some(3), says: &["資格確認書"], rules: &["kakuninsho-max-validity"] }),
        ("資格確認書・72歳・負担割合の記載なし: 高齢受給者証",
         aged(with(at("2026-11-25"), kakuninsho(Kokuho, "2027-07-31", None)), 72),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: None, says: &["高齢受給者証の提示を求める"], rules: &["kakuninsho-elderly-share"] }),
        ("資格確認書・72歳・高齢受給者証あり",
         aged(with(with(at("2026-11-25"), kakuninsho(Kokuho, "2027-07-31", None)), Document::ElderlyRecipientCertificate { valid_until: d("2027-07-31"), share: 2 }), 72),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: Some(2), says: &["2割(高齢受給者証)"], rules: &["elderly-recipient-renewal"] }),
        ("期限切れの資格確認書のみ・初診: 10割",
         with(at("2026-11-25"), kakuninsho(Employee, "2026-10-31", Some(3))),
         Expect { accepted: n, share: ShareKind::Full, wari: Some(10), says: &["有効期限(2026-10-31)が切れて", "療養費"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("何も持っていない・初診: 10割、資格確認書の持参・保険者へ電話",
         at("2026-11-25"),
         Expect { accepted: n, share: ShareKind::Full, wari: Some(10), says: &["資格確認書を持参", "保険者に電話", "保険請求はしない"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("何も持っていない・再診: 口頭確認で過去の負担割合、次回持参",
         returning(at("2026-11-25"), 3),
         Expect { accepted: n, share: ShareKind::PastRecord, wari: Some(3), says: &["次回受診時"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("電波なし(訪問先)・再診: 過去の記録、後で再照会、「有効」は出さない",
         online(returning(with(at("2026-11-25"), card(cannot(NoNetwork))), 3), OnlineCheck::Later),
         Expect { accepted: y, share: ShareKind::PastRecord, wari: Some(3), says: &["電波が戻ったら", "「有効」は"], rules: &[] }),
        ("限度額適用認定証は有効期限まで",
         with(with(at("2026-11-25"), card(CardStatus::Confirmed)), Document::LimitCertificate { valid_until: d("2027-07-31") }),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: None, says: &["有効期限(2027-07-31)まで使えます"], rules: &["limit-certificates-until-expiry"] }),
        ("期限切れのお知らせのみ・資格確認限定型アプリ: 暫定措置は使えない",
         online(with(at("2026-05-01"), notice(Some(3))), OnlineCheck::LimitedApp),
         Expect { accepted: n, share: ShareKind::Full, wari: Some(10), says: &["マイナ保険証を見せてもらう", "保険者に電話", "この端末では使えません"], rules: &["provisional-needs-online-check"] }),
        ("お知らせのみ・オン資の照会は後で",
         online(with(at("2026-05-01"), notice(None)), OnlineCheck::Later),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: None, says: &["事後確認"], rules: &["provisional-expired-card-or-notice"] }),
    ];
    for (name, s, e) in table {
        check(name, s, e);
    }
}

/// A date boundary: the last day a rule holds and the day after.
struct Boundary {
    name: &'static str,
    last_day: &'static str,
    first_day_after: &'static str,
    build: fn(&str) -> Situation,
    accepted_before: bool,
    accepted_after: bool,
    /// Must appear after the boundary (and not before).
    after_says: &'static str,
}

#[test]
fn every_date_boundary_on_both_sides() {
    use InsurerKind::*;
    let boundaries = [
        Boundary {
            name: "被用者保険の従来の保険証 (2025-12-01)",
            last_day: "2025-12-01",
            first_day_after: "2025-12-02",
            build: |date| with(at(date), hokensho(Employee, None)),
            accepted_before: true,
            accepted_after: true, // the temporary measure takes over
            after_says: "暫定措置",
        },
        Boundary {
            name: "後期高齢者の従来の保険証 (2025-07-31)",
            last_day: "2025-07-31",
            first_day_after: "2025-08-01",
            build: |date| with(at(date), hokensho(Kouki, None)),
            accepted_before: true,
            accepted_after: true,
            after_says: "暫定措置",
        },
        Boundary {
            name: "国保の保険証: 券面の有効期限 (2025-09-30)",
            last_day: "2025-09-30",
            first_day_after: "2025-10-01",
            build: |date| with(at(date), hokensho(Kokuho, Some("2025-09-30"))),
            accepted_before: true,
            accepted_after: true,
            after_says: "有効期限切れ",
        },
        Boundary {
            name: "暫定措置の終了 (2026-07-31): 期限切れの保険証のみ",
            last_day: "2026-07-31",
            first_day_after: "2026-08-01",
            build: |date| with(at(date), hokensho(Employee, None)),
            accepted_before: true,
            accepted_after: false,
            after_says: "2026-07-31で終了",
        },
        Boundary {
            name: "暫定措置の終了 (2026-07-31): お知らせのみ",
            last_day: "2026-07-31",
            first_day_after: "2026-08-01",
            build: |date| with(at(date), notice(Some(3))),
            accepted_before: true,
            accepted_after: false,
            after_says: "療養費",
        },
        Boundary {
            name: "当初の暫定措置の期限 (2026-03-31) は延長で越えられる",
            last_day: "2026-03-31",
            first_day_after: "2026-04-01",
            build: |date| with(at(date), notice(Some(3))),
            accepted_before: true,
            accepted_after: true,
            after_says: "当初の期限2026-03-31から延長",
        },
        Boundary {
            name: "電子証明書の猶予: 期限 2026-02-10 → 2026-05-31 まで",
            last_day: "2026-05-31",
            first_day_after: "2026-06-01",
            build: |date| with(at(date), card_expiring(CardStatus::Confirmed, "2026-02-10")),
            accepted_before: true,
            accepted_after: true, // by the 申立書, not by the card
            after_says: "被保険者資格申立書",
        },
        Boundary {
            name: "後期高齢者の一斉交付の資格確認書 (2026-07-31)",
            last_day: "2026-07-31",
            first_day_after: "2026-08-01",
            build: |date| aged(with(at(date), kakuninsho(Kouki, "2026-07-31", Some(1))), 86),
            accepted_before: true,
            accepted_after: false,
            after_says: "85歳以上は全員に交付",
        },
        Boundary {
            name: "高齢受給者証の更新 (7-31 → 8-01)",
            last_day: "2026-07-31",
            first_day_after: "2026-08-01",
            build: |date| {
                aged(
                    with(
                        with(at(date), kakuninsho(Kokuho, "2028-07-31", None)),
                        Document::ElderlyRecipientCertificate {
                            valid_until: d("2026-07-31"),
                            share: 2,
                        },
                    ),
                    72,
                )
            },
            accepted_before: true,
            accepted_after: true,
            after_says: "8月1日に更新",
        },
    ];
    for b in boundaries {
        let before = assess(&(b.build)(b.last_day), &Policy::embedded()).unwrap();
        let after = assess(&(b.build)(b.first_day_after), &Policy::embedded()).unwrap();
        assert_eq!(
            before.accepted,
            b.accepted_before,
            "{} on {}\n{}",
            b.name,
            b.last_day,
            before.to_text()
        );
        assert_eq!(
            after.accepted,
            b.accepted_after,
            "{} on {}\n{}",
            b.name,
            b.first_day_after,
            after.to_text()
        );
        assert!(after.to_text().contains(b.after_says), "{} after:\n{}", b.name, after.to_text());
        assert!(
            !before.to_text().contains(b.after_says),
            "{} before:\n{}",
            b.name,
            before.to_text()
        );
    }
}

#[test]
fn the_grace_warning_names_its_last_day_and_that_medical_information_is_unavailable() {
    let a = assess(
        &with(at("2026-03-15"), card_expiring(CardStatus::Confirmed, "2026-02-10")),
        &Policy::embedded(),
    )
    .unwrap();
    let w = a.warnings.iter().find(|w| w.rule_id == "certificate-grace").expect("grace warning");
    assert!(w.text.contains("2026-05-31") && w.text.contains("医療情報"), "{}", w.text);
}

#[test]
fn uncertain_rules_are_marked_in_the_guidance() {
    let a = assess(&with(at("2026-05-01"), notice(Some(3))), &Policy::embedded()).unwrap();
    let w = a.warnings.iter().find(|w| w.rule_id == "provisional-expired-card-or-notice").unwrap();
    assert!(w.uncertain);
    assert!(a.to_text().contains("要確認"));
}

#[test]
fn preschool_children_pay_two_tenths_on_the_declaration() {
    let mut s = with(at("2026-11-25"), card(cannot(CannotCheck::DeviceOrCardFault)));
    s.age = None;
    s.birth_date = Some(d("2021-05-01")); // 6 on 2027-05-01: 未就学 until 2028-03-31
    assert_eq!(assess(&s, &Policy::embedded()).unwrap().share.wari, Some(2));
    s.date = d("2028-04-01");
    assert_eq!(assess(&s, &Policy::embedded()).unwrap().share.wari, Some(3));
    s.date = d("2028-03-31");
    assert_eq!(assess(&s, &Policy::embedded()).unwrap().share.wari, Some(2));
}

#[test]
fn invalid_or_contradictory_input_is_a_clear_error_not_a_guess() {
    let err = |s: Situation| match assess(&s, &Policy::embedded()) {
        Err(e @ ReceptionError::InvalidInput { .. }) => e,
        other => panic!("expected an input error, got {other:?}"),
    };
    let mut s = at("2026-11-25");
    s.documents.push(Document::Kakuninsho {
        insurer_kind: InsurerKind::Employee,
        valid_until: d("2026-01-01"),
        issued_on: Some(d("2026-02-01")),
        share_printed: None,
    });
    assert!(err(s).staff_message().contains("交付日より前"));
    assert!(err(aged(at("2026-11-25"), 300)).staff_message().contains("130歳"));
    let mut s = at("2026-11-25");
    s.birth_date = Some(d("2027-01-01"));
    s.age = None;
    assert!(err(s).staff_message().contains("生年月日"));
    let mut s = at("2026-11-25");
    s.birth_date = Some(d("1980-02-17"));
    s.age = Some(20);
    assert!(err(s).staff_message().contains("年齢が生年月日と合いません"));
    let mut s = at("2026-11-25");
    s.documents.push(Document::Kakuninsho {
        insurer_kind: InsurerKind::Employee,
        valid_until: d("2032-01-01"),
        issued_on: Some(d("2025-01-01")),
        share_printed: None,
    });
    assert!(err(s).staff_message().contains("5年"));
    assert!(err(with(at("2026-11-25"), notice(Some(5)))).staff_message().contains("1〜3割"));
    assert!(err(with(
        with(at("2026-11-25"), card(CardStatus::Confirmed)),
        card(CardStatus::Confirmed)
    ))
    .staff_message()
    .contains("2枚"));
    let elderly = Document::ElderlyRecipientCertificate { valid_until: d("2027-07-31"), share: 2 };
    assert!(err(with(at("2026-11-25"), elderly)).staff_message().contains("70〜74歳"));
    let mut s = at("2026-11-25");
    s.insurer_kind = Some(InsurerKind::Kokuho);
    assert!(err(with(s, hokensho(InsurerKind::Employee, None))).staff_message().contains("種別"));
    // Absurd dates.
    let far = Document::MynaCard {
        status: CardStatus::Confirmed,
        certificate_expiry: Some(NaiveDate::from_ymd_opt(262_000, 12, 31).unwrap()),
    };
    assert!(err(with(at("2026-11-25"), far)).staff_message().contains("ありえない"));
    // Unknown insurer kind and unknown fields in JSON.
    let json = r#"{"date":"2026-11-25","history":{"kind":"first-visit"},"online_check":"now",
                   "documents":[{"kind":"health-insurance-card","insurer_kind":"mutual-aid-x"}]}"#;
    assert!(matches!(
        Situation::from_json(json),
        Err(ReceptionError::InvalidInput { field: "json", .. })
    ));
    let json = r#"{"date":"2026-11-25","history":{"kind":"first-visit"},"online_check":"now","pin":"1234"}"#;
    assert!(Situation::from_json(json).is_err());
}

#[test]
fn docs_list_every_rule_with_its_source_in_table_order() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reception-rules.md"))
            .expect("docs/reception-rules.md");
    let policy = Policy::embedded();
    let mut last = 0;
    for r in policy.rules() {
        let tag = format!("`{}`", r.id);
        let at =
            doc.find(&tag).unwrap_or_else(|| panic!("{} is not in docs/reception-rules.md", r.id));
        assert!(at > last, "{} is out of order in docs/reception-rules.md", r.id);
        assert!(doc[at..].contains(&r.source), "{}: its source is not quoted", r.id);
        last = at;
    }
}
