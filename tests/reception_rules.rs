// SPDX-License-Identifier: MPL-2.0
//! Every scenario of the seed lecture (佐賀県保険医協会「今さら聞けないマイナ
//! 保険証」) and of the Ministry's rules as a table-driven test with its date;
//! every date boundary on both sides; invalid input refused.

use chrono::NaiveDate;
use houmon_core::reception::{
    assess, Assessment, Attempt, CannotCheck, CardAbsence, CardStatus, Decision, Document, History,
    Identity, InsurerKind, OnlineCheck, PinUnavailable, Policy, ReceptionError, Setting, ShareKind,
    Situation, Step, StepResult,
};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(date: &str) -> Situation {
    let mut s = Situation::on(d(date), History::FirstVisit, OnlineCheck::Now);
    s.age = Some(45);
    s
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
    Document::QualificationNotice { share_printed: share, share_valid_until: None }
}
fn tried(mut s: Situation, step: Step, result: StepResult, share: Option<u8>) -> Situation {
    s.tried.push(Attempt { step, result, share });
    s
}
/// Every step of the door tried, none confirmed.
fn all_failed(s: Situation) -> Situation {
    [Step::AskCard, Step::FamilyBringsDocument, Step::PhoneInsurer]
        .into_iter()
        .fold(s, |s, step| tried(s, step, StepResult::Failed, None))
}
fn insurer(mut s: Situation, k: InsurerKind) -> Situation {
    s.insurer_kind = Some(k);
    s
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
        ("期限切れの資格確認書のみ・初診: まず手順(家族・保険者)、負担はその後",
         with(at("2026-11-25"), kakuninsho(Employee, "2026-10-31", Some(3))),
         Expect { accepted: n, share: ShareKind::NotYet, wari: None, says: &["有効期限(2026-10-31)が切れて", "家族に届けて", "保険者に電話"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("期限切れの資格確認書のみ・初診・手順がすべて不成功: 10割",
         all_failed(with(at("2026-11-25"), kakuninsho(Employee, "2026-10-31", Some(3)))),
         Expect { accepted: n, share: ShareKind::Full, wari: Some(10), says: &["療養費", "保険請求はしない"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("何も持っていない・初診: まずマイナ保険証・家族・保険者",
         at("2026-11-25"),
         Expect { accepted: n, share: ShareKind::NotYet, wari: None, says: &["マイナ保険証を見せてもらう", "資格確認書(またはマイナ保険証と資格情報のお知らせ)を家族に届けてもらう", "保険者に電話"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("何も持っていない・初診・保険者に電話して3割と確認",
         tried(at("2026-11-25"), Step::PhoneInsurer, StepResult::Confirmed, Some(3)),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: Some(3), says: &["保険者への電話で資格を確認", "話した相手"], rules: &[] }),
        ("何も持っていない・再診: 口頭確認で過去の負担割合(受付できる)、次回持参",
         returning(at("2026-11-25"), 3),
         Expect { accepted: y, share: ShareKind::PastRecord, wari: Some(3), says: &["次回受診時", "過去の記録の負担割合(3割)", "受付できます"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("電波なし(訪問先)・再診: 過去の記録、後で再照会、「有効」は出さない",
         online(returning(with(at("2026-11-25"), card(cannot(NoNetwork))), 3), OnlineCheck::Later),
         Expect { accepted: y, share: ShareKind::PastRecord, wari: Some(3), says: &["電波が戻ったら", "「有効」は"], rules: &[] }),
        ("限度額適用認定証は有効期限まで",
         with(with(at("2026-11-25"), card(CardStatus::Confirmed)), Document::LimitCertificate { valid_until: d("2027-07-31") }),
         Expect { accepted: y, share: ShareKind::AsConfirmed, wari: None, says: &["有効期限(2027-07-31)まで使えます"], rules: &["limit-certificates-until-expiry"] }),
        ("期限切れのお知らせのみ・資格確認限定型アプリ: 暫定措置は使えない、手順が先",
         online(with(at("2026-05-01"), notice(Some(3))), OnlineCheck::LimitedApp),
         Expect { accepted: n, share: ShareKind::NotYet, wari: None, says: &["マイナ保険証を見せてもらう", "保険者に電話", "この端末では使えません"], rules: &["provisional-needs-online-check"] }),
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
            name: "後期高齢者の従来の保険証 (2025-07-31): 当時の暫定措置は国保だけ",
            last_day: "2025-07-31",
            first_day_after: "2025-08-01",
            build: |date| with(at(date), hokensho(Kouki, None)),
            accepted_before: true,
            accepted_after: false,
            after_says: "国民健康保険の保険証だけが対象",
        },
        Boundary {
            name: "暫定措置が全保険者に (2025-11-12): 後期高齢者の期限切れの保険証",
            last_day: "2025-11-11",
            first_day_after: "2025-11-12",
            build: |date| with(at(date), hokensho(Kouki, None)),
            accepted_before: false,
            accepted_after: true,
            after_says: "照会で確認した被保険者番号等で請求",
        },
        Boundary {
            name: "国保の暫定措置の始まり (2025-06-27): 期限の切れた国保の保険証",
            last_day: "2025-06-26",
            first_day_after: "2025-06-27",
            build: |date| with(at(date), hokensho(Kokuho, Some("2025-06-25"))),
            accepted_before: false,
            accepted_after: true,
            after_says: "照会で確認した被保険者番号等で請求",
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

fn run(s: &Situation) -> Assessment {
    assess(s, &Policy::embedded()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn ten_tenths_comes_only_after_every_step_and_after_the_steps_in_the_text() {
    // Each situation the lecture makes 10割 the last resort for.
    #[rustfmt::skip]
    let situations: Vec<(&str, Situation)> = vec![
        ("お知らせのみ・暫定措置の後", with(at("2026-08-01"), notice(Some(3)))),
        ("古い保険証・暫定措置の後", with(at("2026-08-01"), hokensho(InsurerKind::Employee, None))),
        ("後期高齢者・期限切れの資格確認書", aged(with(at("2026-08-01"), kakuninsho(InsurerKind::Kouki, "2026-07-31", Some(1))), 80)),
        ("カードをなくした", with(at("2026-11-26"), Document::CardNotHere { reason: CardAbsence::Lost })),
        ("資格確認限定型・お知らせのみ", online(with(at("2026-05-01"), notice(Some(3))), OnlineCheck::LimitedApp)),
    ];
    for (name, s) in situations {
        let first = run(&s);
        let text = first.to_text();
        assert_eq!(first.decision, Decision::TryFirst, "{name}\n{text}");
        assert!(!first.accepted && first.share.wari.is_none(), "{name}\n{text}");
        let steps = text.find("まず行うこと").unwrap_or_else(|| panic!("{name}: no steps\n{text}"));
        let charge = text.find("負担:").unwrap();
        assert!(steps < charge, "{name}: the steps come first\n{text}");
        assert!(
            text.find("10割").is_none_or(|i| i > charge),
            "{name}: 10割 only after the steps\n{text}"
        );
        assert!(first.next_checks.iter().any(|n| n.contains("保険者に電話")), "{name}\n{text}");
        // All tried, none confirmed: now 10割.
        let last = run(&all_failed(s.clone()));
        assert_eq!(
            (last.decision, last.share.wari),
            (Decision::FullCharge, Some(10)),
            "{name}\n{}",
            last.to_text()
        );
        assert!(last.to_text().contains("試したこと"), "{name}: the steps tried are listed");
    }
    // A lost card: asking for it is not a step; a 資格確認書 on application is.
    let lost = run(&with(at("2026-11-26"), Document::CardNotHere { reason: CardAbsence::Lost }));
    assert!(
        !lost.next_checks.iter().any(|n| n.contains("マイナ保険証を見せてもらう")),
        "{:?}",
        lost.next_checks
    );
    assert!(lost
        .next_checks
        .iter()
        .any(|n| n.contains("紛失・更新中の方は、申請すれば資格確認書")));
    // A step still under way keeps the answer open.
    let pending =
        run(&tried(at("2026-11-26"), Step::FamilyBringsDocument, StepResult::Pending, None));
    assert_eq!(pending.decision, Decision::TryFirst);
    assert!(pending.next_checks.iter().any(|n| n.contains("対応中")));
    let pending =
        run(&tried(all_failed(at("2026-11-26")), Step::PhoneInsurer, StepResult::Pending, None));
    assert_eq!(pending.decision, Decision::TryFirst, "the later result of a step counts");
}

#[test]
fn a_returning_patient_reads_the_same_with_or_without_a_card_and_shows_the_share() {
    let with_card =
        run(&returning(with(at("2026-11-26"), card(cannot(CannotCheck::DeviceOrCardFault))), 3));
    let without = run(&returning(at("2026-11-26"), 3));
    for a in [&with_card, &without] {
        let text = a.to_text();
        assert!(a.accepted && a.decision == Decision::Accept, "{text}");
        assert_eq!((a.share.kind, a.share.wari), (ShareKind::PastRecord, Some(3)));
        assert!(text.contains("3割") && text.contains("口頭で確認"), "{text}");
        assert!(a.declaration.is_none(), "no 申立書 on a return visit");
        assert!(!a.tekiyo.as_deref().unwrap_or_default().contains("申立書"), "{text}");
    }
    assert_eq!(with_card.headline(), without.headline());
    assert_eq!(with_card.share.text, without.share.text);
    // A first visit's 申立書 is what the 摘要欄 quotes.
    let first = run(&with(at("2026-11-26"), card(cannot(CannotCheck::DeviceOrCardFault))));
    assert!(first.tekiyo.unwrap().contains("申立書"));
}

#[test]
fn public_assistance_is_public_expense_never_ten_tenths() {
    let welfare = |ticket: bool| Document::MedicalAssistance { ticket, self_pay_yen: None };
    for date in ["2025-06-26", "2026-11-26", "2027-04-01"] {
        let a = run(&with(at(date), welfare(true)));
        let text = a.to_text();
        assert_eq!(
            (a.decision, a.share.kind, a.share.wari),
            (Decision::Accept, ShareKind::PublicAssistance, Some(0)),
            "{date}\n{text}"
        );
        assert!(text.contains("法別番号12") && text.contains("医療扶助"), "{text}");
        assert!(!text.contains("療養費を請求") && !text.contains("10割("), "{text}");
    }
    let no_ticket = run(&with(at("2026-11-26"), welfare(false)));
    assert!(no_ticket.accepted);
    assert!(
        no_ticket.next_checks.iter().any(|n| n.contains("福祉事務所")),
        "{:?}",
        no_ticket.next_checks
    );
    let paying = run(&with(
        at("2026-11-26"),
        Document::MedicalAssistance { ticket: true, self_pay_yen: Some(1200) },
    ));
    assert!(paying.share.text.contains("1200円"));
    // Employed: the insurance and 医療扶助 together.
    let employed = run(&with(insurer(at("2026-11-26"), InsurerKind::Employee), welfare(true)));
    assert!(employed.claim_path.iter().any(|c| c.text.contains("併用")));
    // 国保 and 生活保護 cannot both be true.
    match assess(
        &with(insurer(at("2026-11-26"), InsurerKind::Kokuho), welfare(true)),
        &Policy::embedded(),
    ) {
        Err(e @ ReceptionError::InvalidInput { .. }) => {
            assert!(e.staff_message().contains("生活保護"))
        }
        other => panic!("{other:?}"),
    }
    // The 福祉事務所 said no: back to the insurance steps.
    let not = run(&tried(
        with(at("2026-11-26"), welfare(false)),
        Step::WelfareOffice,
        StepResult::Failed,
        None,
    ));
    assert_eq!(not.decision, Decision::TryFirst);
}

#[test]
fn a_public_expense_certificate_lowers_the_share_within_its_dates() {
    let cert = Document::PublicExpenseCertificate {
        law_number: "54".into(),
        valid_until: d("2027-03-31"),
        self_share: Some(2),
        monthly_cap_yen: Some(5000),
    };
    let s = |date: &str| with(with(at(date), card(CardStatus::Confirmed)), cert.clone());
    let inside = run(&s("2027-03-31"));
    assert_eq!(inside.share.wari, Some(2));
    assert!(inside.share.text.contains("自己負担2割(月額上限5000円)"), "{}", inside.share.text);
    assert!(inside.claim_path.iter().any(|c| c.text.contains("法別54")));
    assert!(inside.follow_up.iter().any(|f| f.contains("上限額管理票")));
    let after = run(&s("2027-04-01"));
    assert_eq!(after.share.wari, None);
    assert!(after.warnings.iter().any(|w| w.text.contains("有効期限(2027-03-31)が切れて")));
    // With a 資格確認書 at 3割: the 公費's 2割 applies.
    let k = run(&with(
        with(at("2027-01-04"), kakuninsho(InsurerKind::Kokuho, "2028-07-31", Some(3))),
        cert.clone(),
    ));
    assert_eq!(k.share.wari, Some(2));
    // Alone it proves no insurance.
    let alone = run(&with(at("2027-01-04"), cert));
    assert_eq!(alone.decision, Decision::TryFirst);
    assert!(alone.follow_up.iter().any(|f| f.contains("公費の受給者証だけでは")));
}

#[test]
fn the_kakuninsho_is_suggested_to_those_who_get_one() {
    // 後期高齢者: everyone until 2026-07-31, then 85 and over.
    let kouki = |date: &str, age: u32| aged(insurer(at(date), InsurerKind::Kouki), age);
    let before = run(&kouki("2026-07-31", 86));
    assert!(
        before
            .next_checks
            .iter()
            .any(|n| n.contains("2026-07-31まで資格確認書が申請なしで全員に交付")),
        "{:?}",
        before.next_checks
    );
    let after = run(&kouki("2026-08-01", 86));
    assert!(
        after
            .next_checks
            .iter()
            .any(|n| n.contains("85歳以上の後期高齢者には資格確認書が申請なしで交付")),
        "{:?}",
        after.next_checks
    );
    let younger = run(&kouki("2026-08-01", 80));
    assert!(
        younger
            .next_checks
            .iter()
            .any(|n| n.contains("申請を案内") && n.contains("後期高齢者医療の窓口")),
        "{:?}",
        younger.next_checks
    );
    // A card not registered for 保険証 use is not a マイナ保険証: no 申立書 at 3割.
    let unregistered = run(&with(at("2026-11-26"), card(cannot(CannotCheck::NotRegistered))));
    assert_eq!(unregistered.decision, Decision::TryFirst, "{}", unregistered.to_text());
    assert!(unregistered.declaration.is_none());
    assert!(unregistered
        .next_checks
        .iter()
        .any(|n| n.contains("保険証利用登録のない方には資格確認書")));
    assert!(unregistered.warnings.iter().any(|w| w.text.contains("利用登録されていない")));
    // The certificate past its grace: issued without application.
    let expired = run(&with(at("2026-06-01"), card_expiring(CardStatus::Confirmed, "2026-02-10")));
    assert!(
        expired
            .follow_up
            .iter()
            .chain(&expired.next_checks)
            .any(|n| n.contains("電子証明書の有効期限が切れた方には資格確認書")),
        "{}",
        expired.to_text()
    );
    // Being renewed: on application, at the insurer's office.
    let renewing = run(&with(
        insurer(at("2026-11-26"), InsurerKind::Employee),
        Document::CardNotHere { reason: CardAbsence::BeingRenewed },
    ));
    assert!(renewing
        .next_checks
        .iter()
        .any(|n| n.contains("申請すれば資格確認書") && n.contains("勤務先")));
}

#[test]
fn a_pin_that_cannot_be_used_leads_to_visual_identification_before_any_declaration() {
    let base = |why| {
        let mut s = with(at("2026-11-26"), card(cannot(CannotCheck::DeviceOrCardFault)));
        s.identity = Some(Identity::PinUnavailable { why });
        s
    };
    for why in [
        PinUnavailable::NotSet,
        PinUnavailable::Forgotten,
        PinUnavailable::Locked,
        PinUnavailable::CannotEnter,
    ] {
        let a = run(&base(why));
        assert_eq!(a.decision, Decision::TryFirst, "{why:?}\n{}", a.to_text());
        assert!(a.next_checks[0].contains("目視確認"), "{:?}", a.next_checks);
        assert!(a.declaration.is_none());
        assert!(a.rules.iter().any(|r| r.id == "identity-visual-when-pin-unavailable"));
    }
    let failed =
        run(&tried(base(PinUnavailable::Forgotten), Step::VisualCheck, StepResult::Failed, None));
    assert_eq!(failed.share.kind, ShareKind::Declared);
    let mut s = base(PinUnavailable::Forgotten);
    s.identity = Some(Identity::VisualFailed);
    assert_eq!(run(&s).share.kind, ShareKind::Declared);
    let seen = run(&tried(
        base(PinUnavailable::NotSet),
        Step::VisualCheck,
        StepResult::Confirmed,
        Some(1),
    ));
    assert_eq!((seen.decision, seen.share.wari), (Decision::Accept, Some(1)));
}

#[test]
fn the_renewal_window_and_the_grace_follow_the_table() {
    let s = |date: &str| with(at(date), card_expiring(CardStatus::Confirmed, "2026-12-31"));
    let renewal =
        |a: &Assessment| a.warnings.iter().any(|w| w.rule_id == "certificate-renewal-window");
    assert!(!renewal(&run(&s("2026-09-29"))));
    assert!(renewal(&run(&s("2026-09-30"))), "3 months before");
    assert!(renewal(&run(&s("2026-12-31"))));
    let after = run(&s("2027-01-01"));
    assert!(!renewal(&after) && after.warnings.iter().any(|w| w.rule_id == "certificate-grace"));
    // The length is the table's: a table with 2 months moves the boundary.
    let mut v: serde_json::Value =
        serde_json::from_str(houmon_core::reception::policy::EMBEDDED_JSON).unwrap();
    for r in v["rules"].as_array_mut().unwrap() {
        if r["id"] == "certificate-renewal-window" {
            r["params"]["months_before"] = 2.into();
        }
    }
    let two = Policy::from_json(&v.to_string()).unwrap();
    let w = |date: &str| {
        assess(&s(date), &two)
            .unwrap()
            .warnings
            .iter()
            .any(|w| w.rule_id == "certificate-renewal-window")
    };
    assert!(!w("2026-10-30") && w("2026-10-31"));
}

#[test]
fn a_notice_share_counts_only_within_its_period_for_70_and_over() {
    let s = |date: &str| {
        aged(
            with(
                with(at(date), card(cannot(CannotCheck::DeviceOrCardFault))),
                Document::QualificationNotice {
                    share_printed: Some(2),
                    share_valid_until: Some(d("2026-07-31")),
                },
            ),
            72,
        )
    };
    let inside = run(&s("2026-07-31"));
    assert_eq!(inside.share.wari, Some(2));
    let after = run(&s("2026-08-01"));
    assert_eq!(after.share.wari, None);
    assert!(after.warnings.iter().any(|w| w.text.contains("2026-07-31までのもの")));
    assert!(after.next_checks.iter().any(|n| n.contains("高齢受給者証")));
    // Card + お知らせ: no 保険証 needed.
    assert!(inside.basis.contains("追加で保険証の提示は不要"));
}

#[test]
fn contradictions_and_the_consultation_setting() {
    for o in [OnlineCheck::None, OnlineCheck::Later] {
        match assess(
            &online(with(at("2026-11-26"), card(CardStatus::Confirmed)), o),
            &Policy::embedded(),
        ) {
            Err(ReceptionError::InvalidInput { field, .. }) => assert_eq!(field, "online_check"),
            other => panic!("{o:?}: {other:?}"),
        }
    }
    let mut s = with(at("2026-11-26"), card(CardStatus::Confirmed));
    s.identity = Some(Identity::VisualFailed);
    assert!(matches!(
        assess(&s, &Policy::embedded()),
        Err(ReceptionError::InvalidInput { field: "identity", .. })
    ));
    let mut s = at("2026-11-26");
    s.identity = Some(Identity::Pin);
    assert!(assess(&s, &Policy::embedded()).is_err(), "identity without a card");
    let s = tried(at("2026-11-26"), Step::PhoneInsurer, StepResult::Failed, Some(3));
    assert!(assess(&s, &Policy::embedded()).is_err(), "a share on a failed step");
    // 対診: the admitting hospital checks and bills (要確認).
    let mut s = with(at("2026-11-26"), card(CardStatus::Confirmed));
    s.setting = Setting::Consultation;
    let a = run(&s);
    assert!(a.next_checks.iter().any(|n| n.contains("入院先の医療機関")));
    assert!(a.warnings.iter().any(|w| w.rule_id == "consultation-billing" && w.uncertain));
}

#[test]
fn the_2025_measure_covered_kokuho_first_and_every_insurer_from_november() {
    let notice_alone = |date: &str, kind: Option<InsurerKind>| {
        let mut s = with(at(date), notice(Some(3)));
        s.insurer_kind = kind;
        run(&s)
    };
    assert!(notice_alone("2025-08-01", Some(InsurerKind::Kokuho)).accepted);
    assert!(!notice_alone("2025-08-01", Some(InsurerKind::Employee)).accepted);
    assert!(!notice_alone("2025-11-11", Some(InsurerKind::Employee)).accepted);
    assert!(notice_alone("2025-11-12", Some(InsurerKind::Employee)).accepted);
    // Insurer unknown before November: accepted, with the kind to be checked.
    let unknown = notice_alone("2025-08-01", None);
    assert!(unknown.accepted);
    assert!(
        unknown
            .next_checks
            .iter()
            .any(|n| n.contains("2025-11-11までの暫定措置は国民健康保険だけ")),
        "{:?}",
        unknown.next_checks
    );
    assert!(!notice_alone("2025-11-12", None)
        .next_checks
        .iter()
        .any(|n| n.contains("保険の種類を確認")));
}
