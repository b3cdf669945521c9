//! The audit chain against an independent computation, and every way of breaking it.

use chrono::{Duration, TimeZone};

use super::*;

fn key() -> AuditKey {
    AuditKey::new(&(0u8..32).collect::<Vec<_>>()).unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap() + Duration::microseconds(123_456)
}

fn chain(n: usize) -> (Vec<SealedRow>, ChainHead) {
    let k = key();
    let mut head = ChainHead::START;
    let rows = (0..n)
        .map(|i| {
            let row = AuditRow::new(
                t0() + Duration::seconds(i as i64),
                &format!("user{i}"),
                "read_people",
                "person:GW0001",
                AuditOutcome::Success,
            )
            .source("192.0.2.1")
            .detail(&format!("page {i}"));
            head.append(&k, row)
        })
        .collect();
    (rows, head)
}

fn verify(rows: &[SealedRow], anchor: Option<&ChainHead>) -> Result<ChainHead, ChainBreak> {
    verify_chain(&key(), ChainHead::START, rows, anchor)
}

/// The same two links computed with Python's `hmac`/`hashlib` from the documented encoding.
#[test]
fn known_answer() {
    let k = key();
    let mut head = ChainHead::START;
    let first = AuditRow::new(
        t0(),
        "dispatcher-130730100",
        "reveal_personal_data",
        "event:20230105-0042",
        AuditOutcome::Success,
    )
    .source("192.0.2.10")
    .detail("field=reporter_phone");
    let second = AuditRow::new(t0() + Duration::seconds(1), "", "login", "account:李四", AuditOutcome::Failure)
        .source("192.0.2.11");
    assert_eq!(first.at.timestamp_micros(), 1_795_680_000_123_456);
    let a = head.append(&k, first);
    let b = head.append(&k, second);
    assert_eq!(a.hash.to_hex(), "c76e24c3e5915b5412e807fda0967787fb5a34bb78b8f49b42431c74901daeac");
    assert_eq!(b.hash.to_hex(), "fe671bf5c4ca515c1ba27241cf6faeb9105d5ce8b4ceccd48d8cb283bfad4ff5");
    assert_eq!((a.row.seq, b.row.seq, b.row.user.as_str()), (1, 2, "-"));
    assert_eq!(head, ChainHead { next_seq: 3, last: b.hash });
}

#[test]
fn an_intact_chain_verifies_whole_and_in_pages() {
    let (rows, head) = chain(10);
    assert_eq!(verify(&rows, Some(&head)), Ok(head));
    let mid = verify_chain(&key(), ChainHead::START, &rows[..4], None).unwrap();
    assert_eq!(mid, ChainHead::after(&rows[3]));
    assert_eq!(verify_chain(&key(), mid, &rows[4..], Some(&head)), Ok(head));
    assert_eq!(verify(&[], None), Ok(ChainHead::START));
}

#[test]
fn any_changed_field_is_found() {
    let (rows, _) = chain(6);
    let edits: [fn(&mut SealedRow); 9] = [
        |r| r.row.user.push('x'),
        |r| r.row.action = "edit_people".into(),
        |r| r.row.object = "person:GW0002".into(),
        |r| r.row.outcome = AuditOutcome::Denied,
        |r| r.row.source = "192.0.2.2".into(),
        |r| r.row.detail.clear(),
        |r| r.row.at += Duration::microseconds(1),
        |r| r.hash.0[31] ^= 1,
        |r| r.hash = GENESIS,
    ];
    for (n, edit) in edits.iter().enumerate() {
        let mut bad = rows.clone();
        edit(&mut bad[3]);
        assert_eq!(verify(&bad, None), Err(ChainBreak { index: 3, kind: BreakKind::Tampered }), "edit {n}");
    }
}

#[test]
fn deleted_reordered_and_replayed_rows_are_found() {
    let (rows, head) = chain(6);
    let mut deleted = rows.clone();
    deleted.remove(2);
    assert_eq!(
        verify(&deleted, None),
        Err(ChainBreak { index: 2, kind: BreakKind::Missing { expected: 3, found: 4 } })
    );
    let mut swapped = rows.clone();
    swapped.swap(2, 3);
    assert_eq!(
        verify(&swapped, None),
        Err(ChainBreak { index: 2, kind: BreakKind::Missing { expected: 3, found: 4 } })
    );
    let mut replayed = rows.clone();
    replayed.insert(4, rows[1].clone());
    assert_eq!(
        verify(&replayed, None),
        Err(ChainBreak { index: 4, kind: BreakKind::Reordered { expected: 5, found: 2 } })
    );
    // Deleting a row and renumbering the rest (without the key) breaks the next link.
    let mut renumbered = deleted.clone();
    for r in &mut renumbered[2..] {
        r.row.seq -= 1;
    }
    assert_eq!(verify(&renumbered, None), Err(ChainBreak { index: 2, kind: BreakKind::Tampered }));
    // A cut-off tail is only visible against an anchor kept apart.
    assert!(verify(&rows[..4], None).is_ok());
    assert_eq!(
        verify(&rows[..4], Some(&head)),
        Err(ChainBreak { index: 4, kind: BreakKind::Truncated { anchor_next: 7 } })
    );
    assert_eq!(verify(&[], Some(&head)), Err(ChainBreak { index: 0, kind: BreakKind::Truncated { anchor_next: 7 } }));
}

#[test]
fn an_anchor_catches_a_rewritten_chain() {
    // Someone with the key rewrites row 2 and re-seals everything after it.
    let (rows, head) = chain(5);
    let k = key();
    let mut forged_head = ChainHead::after(&rows[1]);
    let mut forged: Vec<SealedRow> = rows[..2].to_vec();
    for r in &rows[2..] {
        let mut row = r.row.clone();
        row.detail = "nothing to see".into();
        forged.push(forged_head.append(&k, row));
    }
    assert!(verify(&forged, None).is_ok());
    assert_eq!(verify(&forged, Some(&head)), Err(ChainBreak { index: 4, kind: BreakKind::Tampered }));
    // An older anchor (taken after row 3) is checked where the chain passes it.
    let old = ChainHead::after(&rows[2]);
    assert_eq!(verify(&forged, Some(&old)), Err(ChainBreak { index: 2, kind: BreakKind::Tampered }));
    assert!(verify(&rows, Some(&old)).is_ok());
}

#[test]
fn another_key_verifies_nothing() {
    let (rows, _) = chain(2);
    let other = AuditKey::new(&[9; 32]).unwrap();
    assert_eq!(
        verify_chain(&other, ChainHead::START, &rows, None),
        Err(ChainBreak { index: 0, kind: BreakKind::Tampered })
    );
    assert_eq!(AuditKey::new(&[1; 31]).unwrap_err(), AuditError::ShortKey(31));
    assert_eq!(format!("{:?}", key()), "AuditKey(..)");
}

#[test]
fn canonical_bytes_are_unambiguous() {
    let a = AuditRow::new(t0(), "ab", "c", "o", AuditOutcome::Success);
    let b = AuditRow::new(t0(), "a", "bc", "o", AuditOutcome::Success);
    assert_ne!(canonical_bytes(&a), canonical_bytes(&b));
    assert_ne!(seal(&key(), &GENESIS, &a), seal(&key(), &GENESIS, &b));
    let empty_detail = AuditRow::new(t0(), "u", "a", "o", AuditOutcome::Success).source("x");
    let empty_source = AuditRow::new(t0(), "u", "a", "o", AuditOutcome::Success).detail("x");
    assert_ne!(canonical_bytes(&empty_detail), canonical_bytes(&empty_source));
}

#[test]
fn rows_survive_storage_at_microsecond_precision() {
    let k = key();
    let mut head = ChainHead::START;
    let at = t0() + Duration::nanoseconds(789);
    let sealed = head.append(&k, AuditRow::new(at, "u", "login", "-", AuditOutcome::Success));
    assert_eq!(sealed.row.at, t0(), "kept to the microsecond");
    let json = serde_json::to_string(&sealed).unwrap();
    assert!(json.contains(&format!("\"hash\":\"{}\"", sealed.hash)) && json.contains("\"seq\":1"));
    let back: SealedRow = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sealed);
    assert!(verify_chain(&k, ChainHead::START, [&back], Some(&head)).is_ok());
    // A store that hands back nanoseconds it never had still verifies.
    let mut noisy = back.clone();
    noisy.row.at += Duration::nanoseconds(5);
    assert!(verify_chain(&k, ChainHead::START, [&noisy], None).is_ok());
}

#[test]
fn digests_round_trip_as_hex() {
    let (rows, _) = chain(1);
    let h = rows[0].hash;
    assert_eq!(Digest::from_hex(&h.to_hex()), Ok(h));
    assert_eq!(Digest::from_hex(&"0".repeat(63)), Err(AuditError::BadDigest));
    assert_eq!(Digest::from_hex(&"g".repeat(64)), Err(AuditError::BadDigest));
    assert_eq!(Digest::from_hex(&format!("{}+f", "0".repeat(62))), Err(AuditError::BadDigest));
    assert_eq!(Digest::from_hex(&"é".repeat(32)), Err(AuditError::BadDigest));
    assert_eq!(GENESIS.to_hex(), "0".repeat(64));
}

#[test]
fn rows_keep_no_secrets_or_raw_personal_data() {
    let row = AuditRow::new(t0(), "li\nadmin", "login", "account:13912344321", AuditOutcome::Failure)
        .detail("password=hunter2, Token: abc.def; 密码：123456 reporter 13912344321\r\nnext");
    assert_eq!(row.user, "li admin");
    assert_eq!(row.object, "account:139****4321");
    assert_eq!(row.detail, "password=***, Token: ***; 密码：*** reporter 139****4321  next");
    let long =
        AuditRow::new(t0(), &"u".repeat(100), "a", &"o".repeat(300), AuditOutcome::Success).detail(&"d".repeat(5000));
    assert_eq!((long.user.len(), long.object.len(), long.detail.len()), (MAX_SHORT, MAX_OBJECT, MAX_DETAIL));
}

#[test]
fn secrets_are_redacted() {
    for (input, want) in [
        ("Authorization: Bearer eyJhbGc.x.y", "Authorization: Bearer ***"),
        ("new_password = s3cret&x=1", "new_password = ***&x=1"),
        ("PASSWORD_HASH=$argon2id$v=19", "PASSWORD_HASH=***"),
        ("session=abc123 ok", "session=*** ok"),
        ("password changed", "password changed"),
        ("passwords: none", "passwords: ***"),
        ("mytoken=keep", "mytoken=keep"),
        ("api_key:KEY1 apikey:KEY2", "api_key:*** apikey:***"),
        ("密码: 一二三 完成", "密码: *** 完成"),
        ("token=", "token=***"),
        ("", ""),
    ] {
        assert_eq!(redact_secrets(input), want, "{input}");
    }
}

#[test]
fn outcomes_have_wire_names() {
    for o in [AuditOutcome::Success, AuditOutcome::Failure, AuditOutcome::Denied] {
        assert_eq!(AuditOutcome::parse(o.as_str()), Some(o));
    }
    assert_eq!(AuditOutcome::parse("ok"), None);
}
