// SPDX-License-Identifier: MPL-2.0
//! Every scenario of the seed lecture (佐賀県保険医協会「今さら聞けないマイナ
//! 保険証」) and of the Ministry's rules as a table-driven test with its date;
//! every date boundary on both sides; invalid input refused.

use chrono::NaiveDate;
use houmon_core::reception::{
    assess, Assessment, Attempt, CannotCheck, CardAbsence, CardKind, CardStatus,
    CertificateCarrier, Decision, Document, History, Identity, InsurerKind, OnlineCheck,
    PinUnavailable, Policy, ReceptionError, Setting, ShareKind, Situation, Step, StepResult,
};
use houmon_core::renewal::RenewalKind;

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
    card_of(status, None, CardKind::Standard, CertificateCarrier::Card)
}
fn card_expiring(status: CardStatus, expiry: &str) -> Document {
    card_of(status, Some(expiry), CardKind::Standard, CertificateCarrier::Card)
}
fn card_of(
    status: CardStatus,
    expiry: Option<&str>,
    card_kind: CardKind,
    carrier: CertificateCarrier,
) -> Document {
    Document::MynaCard { status, certificate_expiry: expiry.map(d), card_kind, carrier }
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

/// What a scenario expects: the typed answer, then what only the text says.
struct Expect {
    decision: Decision,
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
    assert_eq!(a.decision, e.decision, "{name}: decision\n{text}");
    assert_eq!(a.accepted, e.decision == Decision::Accept, "{name}: accepted\n{text}");
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
    let (a, t, f) = (Decision::Accept, Decision::TryFirst, Decision::FullCharge);
    #[rustfmt::skip]
    let table: Vec<(&str, Situation, Expect)> = vec![
        ("マイナ保険証で確認できた",
         with(at("2026-11-25"), card(CardStatus::Confirmed)),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: None, says: &["オンライン資格確認で有効"], rules: &[] }),
        ("確認できない+資格情報のお知らせ",
         with(with(at("2026-11-25"), card(cannot(DeviceOrCardFault))), notice(Some(3))),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: Some(3), says: &["マイナ保険証+資格情報のお知らせ"], rules: &["notice-needs-card"] }),
        ("確認できない+マイナポータル画面(PDF可)",
         with(with(at("2026-11-25"), card(cannot(DeviceOrCardFault))), Document::PortalScreen),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: None, says: &["マイナポータル"], rules: &["portal-screen-with-card"] }),
        ("確認できない・初診: 被保険者資格申立書で3割",
         with(at("2026-11-25"), card(cannot(DeviceOrCardFault))),
         Expect { decision: a, share: ShareKind::Declared, wari: Some(3), says: &["被保険者資格申立書", "事後確認", "77777777", "77777779", "摘要欄"], rules: &["declaration-when-card-cannot-be-checked", "claim-order"] }),
        ("確認できない・初診・70歳以上: 申立書の割合",
         aged(with(at("2026-11-25"), card(cannot(DeviceOrCardFault))), 72),
         Expect { decision: a, share: ShareKind::Declared, wari: None, says: &["1〜3割"], rules: &[] }),
        ("確認できない・再診: 過去の受診歴と口頭確認",
         returning(with(at("2026-11-25"), card(cannot(DeviceOrCardFault))), 1),
         Expect { decision: a, share: ShareKind::PastRecord, wari: Some(1), says: &["口頭で確認"], rules: &["declaration-when-card-cannot-be-checked"] }),
        ("資格(無効): 旧資格で請求",
         with(at("2026-11-25"), card(cannot(ResultInvalid))),
         Expect { decision: a, share: ShareKind::Declared, wari: Some(3), says: &["資格(無効)の場合はまずこれ"], rules: &["claim-order"] }),
        ("資格情報なし: 不詳レセプト",
         with(at("2026-11-25"), card(cannot(ResultNoRecord))),
         Expect { decision: a, share: ShareKind::Declared, wari: Some(3), says: &["資格情報なしの場合はこれ", "「7」"], rules: &["claim-order"] }),
        ("資格確認書(有効期限内)",
         with(at("2026-11-25"), kakuninsho(Employee, "2029-11-30", Some(3))),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: Some(3), says: &["資格確認書"], rules: &["kakuninsho-max-validity"] }),
        ("資格確認書・72歳・負担割合の記載なし: 高齢受給者証",
         aged(with(at("2026-11-25"), kakuninsho(Kokuho, "2027-07-31", None)), 72),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: None, says: &["高齢受給者証の提示を求める"], rules: &["kakuninsho-elderly-share"] }),
        ("資格確認書・72歳・高齢受給者証あり",
         aged(with(with(at("2026-11-25"), kakuninsho(Kokuho, "2027-07-31", None)), Document::ElderlyRecipientCertificate { valid_until: d("2027-07-31"), share: 2 }), 72),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: Some(2), says: &["2割(高齢受給者証)"], rules: &["elderly-recipient-renewal"] }),
        ("期限切れの資格確認書のみ・初診: まず手順(家族・保険者)、負担はその後",
         with(at("2026-11-25"), kakuninsho(Employee, "2026-10-31", Some(3))),
         Expect { decision: t, share: ShareKind::NotYet, wari: None, says: &["有効期限(2026-10-31)が切れて", "家族に届けて", "保険者に電話"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("期限切れの資格確認書のみ・初診・手順がすべて不成功: 10割",
         all_failed(with(at("2026-11-25"), kakuninsho(Employee, "2026-10-31", Some(3)))),
         Expect { decision: f, share: ShareKind::Full, wari: Some(10), says: &["療養費", "保険請求はしない"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("何も持っていない・初診: まずマイナ保険証・家族・保険者",
         at("2026-11-25"),
         Expect { decision: t, share: ShareKind::NotYet, wari: None, says: &["マイナ保険証か資格確認書を見せてもらう", "資格確認書(またはマイナ保険証と資格情報のお知らせ)を家族に届けてもらう", "保険者に電話"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("何も持っていない・初診・保険者に電話して3割と確認",
         tried(at("2026-11-25"), Step::PhoneInsurer, StepResult::Confirmed, Some(3)),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: Some(3), says: &["保険者への電話で資格を確認", "話した相手"], rules: &[] }),
        ("何も持っていない・再診: 口頭確認で過去の負担割合(受付できる)、次回持参",
         returning(at("2026-11-25"), 3),
         Expect { decision: a, share: ShareKind::PastRecord, wari: Some(3), says: &["次回受診時", "過去の記録の負担割合(3割)", "受付できます"], rules: &["unconfirmed-first-visit-full-charge"] }),
        ("電波なし(訪問先)・再診: 過去の記録、後で再照会、「有効」は出さない",
         online(returning(with(at("2026-11-25"), card(cannot(NoNetwork))), 3), OnlineCheck::Later),
         Expect { decision: a, share: ShareKind::PastRecord, wari: Some(3), says: &["電波が戻ったら", "「有効」は"], rules: &[] }),
        ("限度額適用認定証は有効期限まで",
         with(with(at("2026-11-25"), card(CardStatus::Confirmed)), Document::LimitCertificate { valid_until: d("2027-07-31") }),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: None, says: &["有効期限(2027-07-31)まで使えます"], rules: &["limit-certificates-until-expiry"] }),
        ("期限切れのお知らせのみ・資格確認限定型アプリ: 暫定措置は使えない、手順が先",
         online(with(at("2026-05-01"), notice(Some(3))), OnlineCheck::LimitedApp),
         Expect { decision: t, share: ShareKind::NotYet, wari: None, says: &["マイナ保険証を見せてもらう", "保険者に電話", "この端末では使えません"], rules: &["provisional-needs-online-check"] }),
        ("お知らせのみ・オン資の照会は後で",
         online(with(at("2026-05-01"), notice(None)), OnlineCheck::Later),
         Expect { decision: a, share: ShareKind::AsConfirmed, wari: None, says: &["事後確認"], rules: &["provisional-expired-card-or-notice"] }),
    ];
    for (name, s, e) in table {
        check(name, s, e);
    }
}

/// The typed answer on one side of a boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    decision: Decision,
    share: ShareKind,
    wari: Option<u8>,
}

const fn outcome(decision: Decision, share: ShareKind, wari: Option<u8>) -> Outcome {
    Outcome { decision, share, wari }
}

/// A date boundary: the last day a rule holds and the day after, each side
/// by its typed answer and the rules it applies.
struct Boundary {
    name: &'static str,
    last_day: &'static str,
    first_day_after: &'static str,
    build: fn(&str) -> Situation,
    before: Outcome,
    after: Outcome,
    /// Rule ids applied after the boundary and not before.
    gained: &'static [&'static str],
    /// Rule ids applied before the boundary and not after.
    lost: &'static [&'static str],
}

fn applied(a: &Assessment, id: &str) -> bool {
    a.rules.iter().any(|r| r.id == id)
}

#[test]
fn every_date_boundary_on_both_sides() {
    use Decision::{Accept, TryFirst};
    use InsurerKind::*;
    use ShareKind::{AsConfirmed, Declared, NotYet};
    let accepted = outcome(Accept, AsConfirmed, None);
    let steps_first = outcome(TryFirst, NotYet, None);
    let boundaries = [
        Boundary {
            name: "被用者保険の従来の保険証 (2025-12-01): 暫定措置が引き継ぐ",
            last_day: "2025-12-01",
            first_day_after: "2025-12-02",
            build: |date| with(at(date), hokensho(Employee, None)),
            before: accepted,
            after: accepted,
            gained: &["provisional-expired-card-or-notice"],
            lost: &[],
        },
        Boundary {
            name: "後期高齢者の従来の保険証 (2025-07-31): 当時の暫定措置は国保だけ",
            last_day: "2025-07-31",
            first_day_after: "2025-08-01",
            build: |date| aged(with(at(date), hokensho(Kouki, None)), 80),
            before: accepted,
            after: steps_first,
            gained: &["provisional-expired-card-or-notice-original", "kouki-certificate-for-all"],
            lost: &[],
        },
        Boundary {
            name: "暫定措置が全保険者に (2025-11-12): 後期高齢者の期限切れの保険証",
            last_day: "2025-11-11",
            first_day_after: "2025-11-12",
            build: |date| aged(with(at(date), hokensho(Kouki, None)), 80),
            before: steps_first,
            after: accepted,
            gained: &["provisional-expired-card-or-notice"],
            lost: &["unconfirmed-first-visit-full-charge"],
        },
        Boundary {
            name: "国保の暫定措置の始まり (2025-06-27): 期限の切れた国保の保険証",
            last_day: "2025-06-26",
            first_day_after: "2025-06-27",
            build: |date| with(at(date), hokensho(Kokuho, Some("2025-06-25"))),
            before: steps_first,
            after: accepted,
            gained: &["provisional-expired-card-or-notice"],
            lost: &["unconfirmed-first-visit-full-charge"],
        },
        Boundary {
            name: "国保の保険証: 券面の有効期限 (2025-09-30)",
            last_day: "2025-09-30",
            first_day_after: "2025-10-01",
            build: |date| with(at(date), hokensho(Kokuho, Some("2025-09-30"))),
            before: accepted,
            after: accepted,
            gained: &["provisional-expired-card-or-notice"],
            lost: &[],
        },
        Boundary {
            name: "暫定措置の終了 (2026-07-31): 期限切れの保険証のみ",
            last_day: "2026-07-31",
            first_day_after: "2026-08-01",
            build: |date| with(at(date), hokensho(Employee, None)),
            before: accepted,
            after: steps_first,
            gained: &["unconfirmed-first-visit-full-charge"],
            lost: &[],
        },
        Boundary {
            name: "暫定措置の終了 (2026-07-31): お知らせのみ",
            last_day: "2026-07-31",
            first_day_after: "2026-08-01",
            build: |date| with(at(date), notice(Some(3))),
            before: accepted,
            after: steps_first,
            gained: &["unconfirmed-first-visit-full-charge"],
            lost: &[],
        },
        Boundary {
            name: "当初の暫定措置の期限 (2026-03-31, 学習会資料の日付) は延長で越えられる",
            last_day: "2026-03-31",
            first_day_after: "2026-04-01",
            build: |date| with(at(date), notice(Some(3))),
            before: accepted,
            after: accepted,
            gained: &[],
            lost: &["provisional-expired-card-or-notice-original"],
        },
        Boundary {
            name: "電子証明書の猶予: 期限 2026-02-10 → 2026-05-31 まで、その後は申立書",
            last_day: "2026-05-31",
            first_day_after: "2026-06-01",
            build: |date| with(at(date), card_expiring(CardStatus::Confirmed, "2026-02-10")),
            before: accepted,
            after: outcome(Accept, Declared, Some(3)),
            gained: &[
                "declaration-when-card-cannot-be-checked",
                "kakuninsho-first-when-card-fails",
            ],
            lost: &[],
        },
        Boundary {
            name: "後期高齢者の一斉交付の資格確認書 (2026-07-31)",
            last_day: "2026-07-31",
            first_day_after: "2026-08-01",
            build: |date| aged(with(at(date), kakuninsho(Kouki, "2026-07-31", Some(1))), 86),
            before: outcome(Accept, AsConfirmed, Some(1)),
            after: steps_first,
            gained: &["kouki-from-2026-08"],
            lost: &["kakuninsho-max-validity"],
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
            before: outcome(Accept, AsConfirmed, Some(2)),
            after: accepted,
            gained: &["kakuninsho-elderly-share"],
            lost: &[],
        },
        Boundary {
            name: "後期高齢者: 一部の方への資格確認書 (〜2025-07-31) から全員へ (2025-08-01〜)",
            last_day: "2025-07-31",
            first_day_after: "2025-08-01",
            build: |date| aged(insurer(at(date), Kouki), 80),
            before: steps_first,
            after: steps_first,
            gained: &["kouki-certificate-for-all"],
            lost: &["kouki-certificate-2024-12"],
        },
        Boundary {
            name: "個別同意の引継ぎ (2025-02-01)",
            last_day: "2025-01-31",
            first_day_after: "2025-02-01",
            build: |date| returning(with(at(date), card(CardStatus::Confirmed)), 3),
            before: accepted,
            after: accepted,
            gained: &["consent-carry-over"],
            lost: &[],
        },
    ];
    for b in boundaries {
        for (day, expected, a) in [
            (b.last_day, b.before, run(&(b.build)(b.last_day))),
            (b.first_day_after, b.after, run(&(b.build)(b.first_day_after))),
        ] {
            let got = outcome(a.decision, a.share.kind, a.share.wari);
            assert_eq!(got, expected, "{} on {day}\n{}", b.name, a.to_text());
            assert_eq!(a.accepted, a.decision == Accept);
        }
        let before = run(&(b.build)(b.last_day));
        let after = run(&(b.build)(b.first_day_after));
        for id in b.gained {
            assert!(applied(&after, id), "{}: {id} after\n{}", b.name, after.to_text());
            assert!(!applied(&before, id), "{}: {id} not before\n{}", b.name, before.to_text());
        }
        for id in b.lost {
            assert!(applied(&before, id), "{}: {id} before\n{}", b.name, before.to_text());
            assert!(!applied(&after, id), "{}: {id} not after\n{}", b.name, after.to_text());
        }
    }
}

#[test]
fn the_grace_names_its_last_day_and_that_medical_information_is_unavailable() {
    let a = run(&with(at("2026-03-15"), card_expiring(CardStatus::Confirmed, "2026-02-10")));
    let r = a.renewal.as_ref().expect("the renewal coach");
    assert_eq!((r.kind, r.usable_until), (RenewalKind::InGrace, d("2026-05-31")));
    let w = a.warnings.iter().find(|w| w.rule_id == "certificate-grace").expect("grace warning");
    assert!(w.text.contains("医療情報"), "{}", w.text);
    assert!(a.consent.is_empty(), "no information to consent to in the grace");
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
        card_kind: CardKind::Standard,
        carrier: CertificateCarrier::Card,
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
fn docs_list_every_rule_with_its_dates_source_and_departure_in_table_order() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reception-rules.md"))
            .expect("docs/reception-rules.md");
    let (rules, departures) =
        doc.split_once("## Departures from the lecture").expect("a departures section");
    let departures = departures.split("\n## ").next().unwrap_or_default();
    let policy = Policy::embedded();
    let mut last = 0;
    for r in policy.rules() {
        let tag = format!("| `{}` |", r.id);
        let at = rules
            .find(&tag)
            .unwrap_or_else(|| panic!("{} is not in docs/reception-rules.md", r.id));
        assert!(at > last, "{} is out of order in docs/reception-rules.md", r.id);
        let row = rules[at..].lines().next().unwrap();
        assert!(row.contains(&r.source), "{}: its source is not quoted", r.id);
        let until = r.effective_until.map_or("—".to_owned(), |u| u.to_string());
        assert!(
            row.contains(&format!("{} – {until}", r.effective_from)),
            "{}: its dates are not in its row",
            r.id
        );
        let id = format!("`{}`", r.id);
        match &r.departure {
            Some(why) => {
                assert!(row.contains("**departs**"), "{}: the row marks the departure", r.id);
                let entry = departures
                    .lines()
                    .find(|l| l.contains(&id))
                    .unwrap_or_else(|| panic!("{} is not in the departures section", r.id));
                assert!(entry.contains(why.as_str()), "{}: the reason is quoted", r.id);
            }
            None => {
                assert!(
                    !row.contains("**departs**"),
                    "{}: marked, but the table has no departure",
                    r.id
                );
                assert!(!departures.contains(&id), "{}: listed as a departure", r.id);
            }
        }
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
            .any(|n| n.contains("2026-07-31まで使える資格確認書が申請なしで全員に交付")),
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
    assert!(applied(&before, "kouki-certificate-for-all") && applied(&after, "kouki-from-2026-08"));
    let younger = run(&kouki("2026-08-01", 80));
    assert!(
        applied(&younger, "kakuninsho-who-gets-one")
            && applied(&younger, "kakuninsho-proxy-application"),
        "{}",
        younger.to_text()
    );
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

// ---------------------------------------------------------------------------
// Issue 23: the lecture, case by case. Each test quotes the lecture's line
// it rests on (佐賀県保険医協会学習会「今さら聞けないマイナ保険証」, 2025).
// ---------------------------------------------------------------------------

fn position(items: &[String], needle: &str) -> Option<usize> {
    items.iter().position(|n| n.contains(needle))
}

/// 「※患者さんが持っている、資格を確認できるものをとにかく持参してもらうこと
/// が重要です。！ ㋐有効期限の切れた保険証、㋑「資格情報のお知らせ」、㋒資格確認書」
/// 「② 資格確認書が交付されていると考えられる場合は、家から持参を求める」
/// 「② 後期高齢者保険証の切り替え（８月１日～。資格確認書を全員交付）」
#[test]
fn the_kakuninsho_is_asked_for_first_whenever_the_card_cannot_be_checked() {
    use CannotCheck::*;
    // The card, the read or the online check failed; the 申立書 stays the
    // fallback (never 10割), but the 資格確認書 is asked for before the
    // マイナポータル screen, the お知らせ and the 申立書.
    for (date, doc) in [
        ("2026-11-26", card(cannot(DeviceOrCardFault))),
        ("2026-11-26", card(cannot(NoNetwork))),
        ("2026-11-26", card(cannot(ResultInvalid))),
        ("2026-11-26", card(cannot(ResultNoRecord))),
        ("2026-06-01", card_expiring(CardStatus::Confirmed, "2026-02-10")),
    ] {
        let a = run(&with(at(date), doc.clone()));
        let text = a.to_text();
        assert_eq!((a.decision, a.share.kind), (Decision::Accept, ShareKind::Declared), "{text}");
        assert!(applied(&a, "kakuninsho-first-when-card-fails"), "{text}");
        let ask = position(&a.next_checks, "資格確認書").expect("the 資格確認書 is asked for");
        let portal = position(&a.next_checks, "マイナポータル").expect("then the portal screen");
        assert!(ask == 0 && ask < portal, "{:?}", a.next_checks);
        assert!(text.find("資格確認書").unwrap() < text.find("被保険者資格申立書").unwrap());
    }
    // Where to look, by the setting.
    let home = run(&with(at("2026-11-26"), card(cannot(DeviceOrCardFault))));
    assert!(home.next_checks[0].contains("家の中"), "{:?}", home.next_checks);
    let mut desk = with(at("2026-11-26"), card(cannot(DeviceOrCardFault)));
    desk.setting = Setting::Clinic;
    assert!(run(&desk).next_checks[0].contains("家族に届けて"));
    // Every 後期高齢者 holds one from 2025-08-01 (inferred from 75).
    let kouki = run(&aged(with(at("2025-09-01"), card(cannot(DeviceOrCardFault))), 80));
    assert!(kouki.next_checks[0].contains("全員に交付"), "{:?}", kouki.next_checks);
    assert!(applied(&kouki, "kouki-certificate-for-all"));
    // While the old 保険証 is valid, it is asked for too — and accepted.
    let employee =
        insurer(with(at("2025-11-01"), card(cannot(DeviceOrCardFault))), InsurerKind::Employee);
    assert!(run(&employee).next_checks[0].contains("2025-12-01まで使える従来の保険証"));
    let shown = run(&with(employee, hokensho(InsurerKind::Employee, None)));
    assert_eq!((shown.decision, shown.share.kind), (Decision::Accept, ShareKind::AsConfirmed));
    assert!(applied(&shown, "old-card-end-employee") && shown.declaration.is_none());
    // A 資格確認書 beside the portal screen: the 資格確認書 is what it rests on.
    let both = run(&with(
        with(with(at("2026-11-26"), card(cannot(DeviceOrCardFault))), Document::PortalScreen),
        kakuninsho(InsurerKind::Kokuho, "2027-07-31", Some(3)),
    ));
    assert_eq!(both.share.wari, Some(3));
    assert!(
        applied(&both, "kakuninsho-max-validity") && !applied(&both, "portal-screen-with-card")
    );
    // A card that is not a マイナ保険証: the 資格確認書 first, before the steps.
    let unregistered = run(&with(at("2026-11-26"), card(cannot(NotRegistered))));
    assert_eq!(unregistered.decision, Decision::TryFirst);
    assert!(unregistered.next_checks[0].contains("資格確認書"), "{:?}", unregistered.next_checks);
}

/// 「○ 顔写真なしマイナ保険証 ・令和6年12月2日以降、申請時に1歳未満の場合、
/// 顔写真が不要となり、顔写真のないマイナンバーカード（顔写真なしマイナンバー
/// カード）が発行されます。暗証番号による認証を行います。」
/// 「○顔写真なしマイナ保険証 → 暗証番号のみ」
#[test]
fn a_photo_less_card_is_pin_only_and_never_offered_visual_identification() {
    let photo_less = |date: &str, why| {
        let mut s = with(
            at(date),
            card_of(
                cannot(CannotCheck::DeviceOrCardFault),
                None,
                CardKind::NoPhoto,
                CertificateCarrier::Card,
            ),
        );
        s.age = Some(0);
        s.identity = Some(Identity::PinUnavailable { why });
        s
    };
    for why in [PinUnavailable::Forgotten, PinUnavailable::Locked, PinUnavailable::CannotEnter] {
        let a = run(&photo_less("2026-11-26", why));
        let text = a.to_text();
        assert!(applied(&a, "photo-less-card-pin-only"), "{text}");
        assert!(!applied(&a, "visual-check-on-visit") && !applied(&a, "visual-check-at-reader"));
        assert!(!a.next_checks.iter().any(|n| n.contains("目視確認")), "{:?}", a.next_checks);
        // No 目視 to wait for: the 資格確認書, then the 申立書 (未就学 2割).
        assert_eq!(
            (a.decision, a.share.kind, a.share.wari),
            (Decision::Accept, ShareKind::Declared, Some(3)),
            "{text}"
        );
        assert!(a.next_checks[0].contains("資格確認書"));
    }
    // The same card with a photo is offered 目視.
    let mut with_photo = photo_less("2026-11-26", PinUnavailable::Forgotten);
    with_photo.documents = vec![card(cannot(CannotCheck::DeviceOrCardFault))];
    assert_eq!(run(&with_photo).decision, Decision::TryFirst);
    // 目視 on a photo-less card is refused, whichever way it is entered.
    let mut s = photo_less("2026-11-26", PinUnavailable::Forgotten);
    s.identity = Some(Identity::Visual);
    assert!(matches!(
        assess(&s, &Policy::embedded()),
        Err(ReceptionError::InvalidInput { field: "identity", .. })
    ));
    let s = tried(
        photo_less("2026-11-26", PinUnavailable::Forgotten),
        Step::VisualCheck,
        StepResult::Confirmed,
        None,
    );
    match assess(&s, &Policy::embedded()) {
        Err(e @ ReceptionError::InvalidInput { field: "tried", .. }) => {
            assert!(e.staff_message().contains("暗証番号のみ"))
        }
        other => panic!("{other:?}"),
    }
    // A 顔認証 card (「顔認証」と記載: 暗証番号設定のないカード) has no PIN.
    let mut face_card = with(
        at("2026-11-26"),
        card_of(
            cannot(CannotCheck::DeviceOrCardFault),
            None,
            CardKind::FaceRecognition,
            CertificateCarrier::Card,
        ),
    );
    let a = run(&face_card);
    assert_eq!(a.decision, Decision::TryFirst, "no PIN: 目視 first\n{}", a.to_text());
    assert!(applied(&a, "identity-visual-when-pin-unavailable"));
    face_card.identity = Some(Identity::Pin);
    assert!(assess(&face_card, &Policy::embedded()).is_err(), "a PIN on a 顔認証 card");
}

/// 「② 後期高齢者保険証の切り替え（８月１日～。資格確認書を全員交付）」
/// 「２０２５年７月末で有効期限切れとなる。ただし資格確認書が全員交付される
/// （有効期限2026年7月末まで）」
/// 「・ 令和６年12月２日以降に新たに後期高齢者医療制度に加入された方や、転居等
/// により有効な後期高齢者医療被保険者証をお持ちでない方（令和8年７月末までの
/// 暫定措置）」
#[test]
fn the_kouki_kakuninsho_reaches_everyone_from_august_2025_and_the_old_card_holds_until_july() {
    let kouki = |date: &str| aged(insurer(at(date), InsurerKind::Kouki), 80);
    // 2025-03-01: only some hold a 資格確認書; the old 保険証 is still valid.
    let march = run(&kouki("2025-03-01"));
    assert!(applied(&march, "kouki-certificate-2024-12"), "{}", march.to_text());
    assert!(!applied(&march, "kouki-certificate-for-all"), "not everyone yet");
    assert!(
        march
            .next_checks
            .iter()
            .any(|n| n.contains("2025-07-31まで使えます") && n.contains("保険証を見せてもらう")),
        "{:?}",
        march.next_checks
    );
    assert!(!march.to_text().contains("全員に交付"), "{}", march.to_text());
    let shown = run(&with(kouki("2025-03-01"), hokensho(InsurerKind::Kouki, None)));
    assert_eq!((shown.decision, shown.share.kind), (Decision::Accept, ShareKind::AsConfirmed));
    assert!(applied(&shown, "old-card-end-kouki"));
    // 2025-08-01: everyone, until 2026-07-31.
    let august = run(&kouki("2025-08-01"));
    assert!(
        applied(&august, "kouki-certificate-for-all")
            && !applied(&august, "kouki-certificate-2024-12")
    );
    let table = Policy::embedded();
    let all = table.rules().iter().find(|r| r.id == "kouki-certificate-for-all").unwrap();
    assert_eq!((all.effective_from, all.effective_until), (d("2025-08-01"), Some(d("2026-07-31"))));
}

/// 「目視モードを行う場合 ・ 顔認証失敗、かつ患者本人が暗証番号を忘れた(又は
/// 暗証番号ロックの)場合 ・ 患者本人が認知症・障害等・・・顔認証や暗証番号の入力
/// 操作が上手くできない場合」
/// 「目視モード確認には２つの方法がある 《顔認証付きカードリーダーのみの操作で
/// 目視確認を行う》…「職員用ボタン」…パスコード入力 《資格確認端末で目視確認
/// モードに切り替えて目視確認を行う》」
/// 「○ 在宅で使えるアプリは2種類あるが、暗証番号と目視確認の両方使えるもの」
#[test]
fn visual_identification_takes_the_route_of_the_setting() {
    let at_door = |setting: Setting, why| {
        let mut s = with(at("2026-11-26"), card(cannot(CannotCheck::DeviceOrCardFault)));
        s.setting = setting;
        s.identity = Some(Identity::PinUnavailable { why });
        s
    };
    // At the clinic's desk, a forgotten PIN: 顔認証 first.
    let desk = at_door(Setting::Clinic, PinUnavailable::Forgotten);
    let a = run(&desk);
    assert_eq!(a.decision, Decision::TryFirst);
    assert_eq!(a.next_checks[0], Step::FaceRecognition.text_ja(), "{:?}", a.next_checks);
    assert!(!applied(&a, "visual-check-at-reader") && !applied(&a, "visual-check-on-visit"));
    // 顔認証 failed too: 目視 at the reader (staff button) or the terminal.
    let failed = run(&tried(desk.clone(), Step::FaceRecognition, StepResult::Failed, None));
    assert_eq!(failed.decision, Decision::TryFirst);
    assert!(applied(&failed, "visual-check-at-reader"), "{}", failed.to_text());
    assert!(
        failed.next_checks[0].contains("職員用ボタン")
            && failed.next_checks[0].contains("目視確認モード"),
        "{:?}",
        failed.next_checks
    );
    assert!(!failed.next_checks[0].contains("照合番号B"), "not the phone's flow at a desk");
    // 顔認証 worked: accepted on the online check.
    let face = run(&tried(desk.clone(), Step::FaceRecognition, StepResult::Confirmed, Some(3)));
    assert_eq!((face.decision, face.share.wari), (Decision::Accept, Some(3)));
    // 目視 failed as well: the documents, then the 申立書.
    let both = tried(
        tried(desk, Step::FaceRecognition, StepResult::Failed, None),
        Step::VisualCheck,
        StepResult::Failed,
        None,
    );
    assert_eq!(run(&both).share.kind, ShareKind::Declared);
    // A patient who cannot operate the reader: straight to 目視.
    let cannot = run(&at_door(Setting::Clinic, PinUnavailable::CannotEnter));
    assert!(
        applied(&cannot, "visual-check-at-reader")
            && cannot.next_checks[0].contains("職員用ボタン")
    );
    // On a visit: the app's 目視 (照合番号B), no 顔認証 on the phone.
    for setting in [Setting::Home, Setting::Facility, Setting::Consultation] {
        let a = run(&at_door(setting, PinUnavailable::Forgotten));
        assert_eq!(a.decision, Decision::TryFirst, "{setting:?}");
        assert!(applied(&a, "visual-check-on-visit"), "{setting:?}\n{}", a.to_text());
        let visual = position(&a.next_checks, "目視").expect("目視 is the step");
        assert!(a.next_checks[visual].contains("照合番号B"), "{setting:?}: {:?}", a.next_checks);
        assert!(!a.next_checks.iter().any(|n| n.contains("顔認証付きカードリーダー")));
    }
    // 顔認証 recorded on a home visit is refused: the phone has none.
    let s = tried(
        at_door(Setting::Home, PinUnavailable::Forgotten),
        Step::FaceRecognition,
        StepResult::Failed,
        None,
    );
    assert!(matches!(
        assess(&s, &Policy::embedded()),
        Err(ReceptionError::InvalidInput { field: "tried", .. })
    ));
}

/// 「有効期限は5年 健康保険証（被保険者証）には有効期限の記載がありません
/// でしたが、令和6年12月3日に交付された資格確認書は5年の有効期限（令和11年
/// 11月30日まで）が記載されていました。」
#[test]
fn a_kakuninsho_is_valid_at_most_five_years_from_its_issue() {
    let k = |until: &str, issued: Option<&str>| {
        with(
            at("2026-11-26"),
            Document::Kakuninsho {
                insurer_kind: InsurerKind::Employee,
                valid_until: d(until),
                issued_on: issued.map(d),
                share_printed: Some(3),
            },
        )
    };
    let refused = |s: Situation| match assess(&s, &Policy::embedded()) {
        Err(e @ ReceptionError::InvalidInput { field: "kakuninsho.valid_until", .. }) => {
            e.staff_message()
        }
        other => panic!("expected the validity queried, got {other:?}"),
    };
    // The lecture's card: issued 2024-12-03, valid until 2029-11-30.
    assert!(run(&k("2029-11-30", Some("2024-12-03"))).accepted);
    assert!(refused(k("2030-01-01", Some("2024-12-03"))).contains("5年"));
    // No issue date: at most 5 years from today, else queried with what to do.
    assert!(run(&k("2031-11-26", None)).accepted);
    let m = refused(k("2031-11-27", None));
    assert!(m.contains("5年") && m.contains("交付日"), "{m}");
    let m = refused(k("2035-11-30", None));
    assert!(m.contains("券面の有効期限を確かめて"), "{m}");
}

/// 「※電子証明書の有効期限後３カ月間は資格確認可」
/// 「暫定措置を決めた（2026年３月末まで）」
/// Where the table departs from these, it says why, in one place.
#[test]
fn departures_from_the_lecture_are_marked_with_their_reason() {
    let table = Policy::embedded();
    let rule = |id: &str| table.rules().iter().find(|r| r.id == id).unwrap().clone();
    // The grace: 3 months counted from the end of the month of expiry.
    let grace = rule("certificate-grace");
    assert!(grace.departure.as_deref().unwrap().contains("３カ月間"));
    let a = run(&with(at("2026-05-20"), card_expiring(CardStatus::Confirmed, "2026-02-10")));
    assert_eq!(
        a.renewal.as_ref().unwrap().kind,
        RenewalKind::InGrace,
        "past 3 months, within the month-end"
    );
    // The measure: the lecture's 2026-03-31 is the original rule's end, not
    // 要確認; the extension to 2026-07-31 is 要確認 and one line in the table.
    let original = rule("provisional-expired-card-or-notice-original");
    assert_eq!((original.effective_until, original.uncertain), (Some(d("2026-03-31")), false));
    assert!(original.source.contains("2025-11-12") && original.departure.is_some());
    let extended = rule("provisional-expired-card-or-notice");
    assert_eq!((extended.effective_until, extended.uncertain), (Some(d("2026-07-31")), true));
    assert!(extended.departure.as_deref().unwrap().contains("2026-03-31にする"));
    let mut v: serde_json::Value =
        serde_json::from_str(houmon_core::reception::policy::EMBEDDED_JSON).unwrap();
    for r in v["rules"].as_array_mut().unwrap() {
        if r["id"] == "provisional-expired-card-or-notice" {
            r["effective_until"] = "2026-03-31".into();
        }
    }
    let lecture = Policy::from_json(&v.to_string()).unwrap();
    let s = with(at("2026-04-01"), notice(Some(3)));
    assert!(run(&s).accepted, "the table as shipped");
    assert!(!assess(&s, &lecture).unwrap().accepted, "the lecture's date, one line away");
    // The rules the lecture has are not marked.
    for id in ["notice-needs-card", "kouki-certificate-for-all", "photo-less-card-pin-only"] {
        assert!(rule(id).departure.is_none(), "{id}");
    }
}

/// 「○ アプリは自宅だけでなく、施設、病院への対診の際も利用できる。」
/// 「また、現行の健康保険証と同様、親族等の法定代理人のほか、介助者等による
/// 代理申請も可能です。」
/// 「※オンライン資格確認等システムから資格情報をダウンロードしておくことで、
/// 事後的に被保険者番号等の確認が可能です」
/// 「○ 同意には一括同意と個別同意がある ○ 個別同意には前回の同意の引継ぎ
/// 機能が２月１日より実装されている」
/// 「○ 汎用カードリーダーを用いて同意を取得したい場合は、医療機関等向け総合
/// ポータルサイトに掲げている同意書等の書面を用いて…同意を取得する」
#[test]
fn what_the_lecture_adds_is_each_a_rule() {
    // 対診: the app may be used there.
    let mut s = at("2026-11-26");
    s.setting = Setting::Consultation;
    let a = run(&s);
    assert!(applied(&a, "app-at-consultation"), "{}", a.to_text());
    assert!(a.next_checks.iter().any(|n| n.contains("対診でも使えます")));
    // A family member or 介助者 may apply for the 資格確認書.
    let lost = run(&with(at("2026-11-26"), Document::CardNotHere { reason: CardAbsence::Lost }));
    assert!(applied(&lost, "kakuninsho-proxy-application"));
    assert!(
        lost.next_checks.iter().any(|n| n.contains("介助者が代理で申請")),
        "{:?}",
        lost.next_checks
    );
    let mut frail = with(at("2026-11-26"), card(CardStatus::Confirmed));
    frail.identity = Some(Identity::Visual);
    let mut frail_s = frail.clone();
    frail_s.identity = Some(Identity::PinUnavailable { why: PinUnavailable::CannotEnter });
    frail_s.documents = vec![card(cannot(CannotCheck::NoNetwork))];
    frail_s.online_check = OnlineCheck::Later;
    let f = run(&tried(frail_s, Step::VisualCheck, StepResult::Confirmed, None));
    assert!(applied(&f, "kakuninsho-proxy-application"), "{}", f.to_text());
    // 資格情報 downloaded before a visit: numbers checked afterwards.
    let offline = online(
        returning(with(at("2026-11-26"), card(cannot(CannotCheck::NoNetwork))), 3),
        OnlineCheck::Later,
    );
    let o = run(&offline);
    assert!(applied(&o, "download-before-visit"), "{}", o.to_text());
    assert!(o.follow_up.iter().any(|x| x.contains("ダウンロードしておく")));
    assert!(!applied(
        &run(&returning(with(at("2026-11-26"), card(CardStatus::Confirmed)), 3)),
        "download-before-visit"
    ));
    // Consent: 一括 or 個別; an earlier 個別同意 carried over on a return visit.
    let first = run(&frail);
    assert!(applied(&first, "consent-comprehensive-or-individual"));
    assert!(!applied(&first, "consent-carry-over"), "nothing to carry over on a first visit");
    assert!(first.consent.iter().any(|c| c.contains("一括同意")));
    let again = run(&returning(with(at("2026-11-26"), card(CardStatus::Confirmed)), 3));
    assert!(
        applied(&again, "consent-carry-over")
            && again.consent.iter().any(|c| c.contains("引き継げます"))
    );
    // With a 汎用カードリーダー: on paper.
    let mut paper = with(at("2026-11-26"), card(CardStatus::Confirmed));
    paper.general_purpose_reader = true;
    let p = run(&paper);
    assert!(
        applied(&p, "consent-paper-with-general-reader")
            && !applied(&p, "consent-comprehensive-or-individual")
    );
    assert!(p.consent[0].contains("同意書"));
    // No card checked: no consent to take.
    assert!(run(&at("2026-11-26")).consent.is_empty());
}

/// Staff-facing errors name the field and say what to fix: stray and
/// contradictory inputs that used to be accepted silently are refused.
#[test]
fn stray_and_contradictory_inputs_are_refused_with_what_to_fix() {
    let refused = |s: Situation, field: &str| match assess(&s, &Policy::embedded()) {
        Err(e @ ReceptionError::InvalidInput { .. }) => {
            let ReceptionError::InvalidInput { field: f, .. } = &e else { unreachable!() };
            assert_eq!(*f, field, "{}", e.staff_message());
            e.staff_message()
        }
        other => panic!("expected {field} refused, got {other:?}"),
    };
    // 目視 without a card.
    refused(tried(at("2026-11-26"), Step::VisualCheck, StepResult::Confirmed, None), "tried");
    // The 福祉事務所 for a patient not on 生活保護.
    refused(tried(at("2026-11-26"), Step::WelfareOffice, StepResult::Failed, None), "tried");
    // 後期高齢者医療 at 50.
    assert!(refused(aged(insurer(at("2026-11-26"), InsurerKind::Kouki), 50), "insurer_kind")
        .contains("75歳以上"));
    // A 高齢受給者証 for a 後期高齢者 of 72 (65–74 with a disability).
    refused(
        aged(
            with(
                insurer(at("2026-11-26"), InsurerKind::Kouki),
                Document::ElderlyRecipientCertificate { valid_until: d("2027-07-31"), share: 2 },
            ),
            72,
        ),
        "elderly_recipient_certificate",
    );
    // A 汎用カードリーダー with no card read.
    let mut s = at("2026-11-26");
    s.general_purpose_reader = true;
    refused(s, "general_purpose_reader");
    // 顔認証 on a home visit.
    let mut s = with(at("2026-11-26"), card(CardStatus::Confirmed));
    s.identity = Some(Identity::Face);
    refused(s.clone(), "identity");
    s.setting = Setting::Clinic;
    assert!(run(&s).accepted, "at the desk it is the reader's");
}

/// 「※電子証明書の有効期限後３カ月間は資格確認可」
/// 「※電子証明書の有効期限が切れて３カ月経過していた場合も含む」
/// The renewal coach, in the reception guidance: the certificate's dates,
/// renewal at the 市区町村, a 代理人; the phone-held certificate has no grace.
#[test]
fn the_renewal_coach_names_the_dates_and_gives_a_smartphone_no_grace() {
    let s = |date: &str, carrier| {
        with(
            at(date),
            card_of(CardStatus::Confirmed, Some("2026-12-31"), CardKind::Standard, carrier),
        )
    };
    let soon = run(&s("2026-11-26", CertificateCarrier::Card));
    let r = soon.renewal.clone().expect("expiring within 3 months");
    assert_eq!(
        (r.kind, r.renew_from, r.usable_until),
        (RenewalKind::ExpiringSoon, d("2026-09-30"), d("2027-03-31"))
    );
    assert!(
        r.steps.iter().any(|x| x.contains("市区町村の窓口"))
            && r.steps.iter().any(|x| x.contains("代理人"))
    );
    assert!(soon.to_text().contains(&r.title), "the text shows the coach");
    assert!(run(&s("2026-09-29", CertificateCarrier::Card)).renewal.is_none());
    // In grace on a card; the same day is past the expiry on a smartphone.
    let card_day = run(&s("2027-01-15", CertificateCarrier::Card));
    assert_eq!(card_day.renewal.as_ref().unwrap().kind, RenewalKind::InGrace);
    assert!(card_day.accepted && card_day.share.kind == ShareKind::AsConfirmed);
    let phone = run(&s("2027-01-01", CertificateCarrier::Smartphone));
    assert_eq!(phone.renewal.as_ref().unwrap().kind, RenewalKind::Expired);
    assert!(applied(&phone, "smartphone-certificate-no-grace"), "{}", phone.to_text());
    assert_eq!(phone.share.kind, ShareKind::Declared, "not accepted on the smartphone");
    let before = run(&s("2026-12-01", CertificateCarrier::Smartphone));
    assert!(before.renewal.as_ref().unwrap().title.contains("猶予期間がありません"));
}
