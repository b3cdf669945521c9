//! Photos with reports and transitions, on both backends: the bytes' round trip (stored
//! re-encoded, oriented, without their metadata, with a thumbnail), replays, hostile files
//! refused with their reason and nothing stored, the event's jurisdiction over its photos,
//! Open311's `media_url`, and duplicates linked both ways and counted once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use serde_json::{json, Value};
use tower::ServiceExt;

mod support;

use support::county::*;
use support::multipart::BOUNDARY;

/// A JPEG of `w`×`h` with an EXIF segment: orientation `orientation`, a serial and a GPS-like text.
fn jpeg_with_exif(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x * 3 % 256) as u8, (y * 5 % 256) as u8, 90]));
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&DynamicImage::ImageRgb8(img)).unwrap();
    let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    let text = b"SN-HW-7781 GPS 40.4081N 115.5079E\0";
    tiff.extend_from_slice(&[0xA4, 0x31, 0x00, 0x02]);
    tiff.extend_from_slice(&(text.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&38u32.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(text);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG with transparency and a text chunk.
fn png_with_alpha() -> Vec<u8> {
    let img = RgbaImage::from_fn(40, 30, |x, _| Rgba([200, 10, 10, if x < 20 { 0 } else { 255 }]));
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out).write_image(img.as_raw(), 40, 30, image::ExtendedColorType::Rgba8).unwrap();
    // A tEXt chunk before IEND: "Comment\0secret-owner" (CRC not checked by the test's reader).
    let iend = out.len() - 12;
    let data = b"Comment\0secret-owner";
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(data);
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    out.splice(iend..iend, chunk);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A multipart file part: its name, bytes and declared content type.
type Part<'a> = (&'a str, Vec<u8>, &'a str);

struct Raw {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    bytes: Vec<u8>,
    json: Value,
}

async fn raw(c: &County, who: &str, method: Method, uri: &str, content_type: Option<String>, body: Vec<u8>) -> Raw {
    raw_with(c, who, method, uri, content_type, body, &[]).await
}

async fn raw_with(c: &County, who: &str, method: Method, uri: &str, content_type: Option<String>, body: Vec<u8>, extra: &[(&str, &str)]) -> Raw {
    let As::Token(token) = c.token(who) else { unreachable!() };
    let mut request = Request::builder().method(method).uri(uri).header(header::AUTHORIZATION, format!("Bearer {token}"));
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    if let Some(ct) = content_type {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    let response = c.app.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Raw { status, headers, bytes, json }
}

async fn post_multipart(c: &County, who: &str, uri: &str, json_part: &str, json: &Value, files: &[(&str, Vec<u8>, &str)]) -> Raw {
    raw(c, who, Method::POST, uri, Some(support::multipart::content_type()), support::multipart::body(json_part, json, files)).await
}

async fn total_events(c: &County) -> i64 {
    c.get("county", "/api/v1/events").await.body["total"].as_i64().unwrap()
}

backend_tests! {
    #[tokio::test]
    async fn photos_come_back_oriented_without_their_metadata() {
        let c = county().await;
        let photo = jpeg_with_exif(64, 32, 6);
        assert!(photo.windows(10).any(|w| w == b"SN-HW-7781"));
        let files = [("photo", photo.clone(), "image/jpeg"), ("photo", png_with_alpha(), "image/png")];
        let r = post_multipart(&c, "county", "/api/v1/reports", "report", &report("r-photo", IN_A), &files).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        let attachments = r.json["attachments"].as_array().unwrap().clone();
        assert_eq!(attachments.len(), 2, "{}", r.json);
        let (first, second) = (&attachments[0], &attachments[1]);
        // Orientation 6 applied: 64×32 stored as 32×64.
        assert_eq!((first["width"].clone(), first["height"].clone()), (json!(32), json!(64)));
        assert_eq!(first["content_type"], "image/jpeg");
        assert_eq!(second["content_type"], "image/png", "transparency kept as PNG");
        assert_eq!(first["seq"], 1);
        // The photo as stored: what the row says, decodable, nothing of the metadata left.
        let got = raw(&c, "county", Method::GET, first["url"].as_str().unwrap(), None, Vec::new()).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.headers["content-type"], "image/jpeg");
        assert_eq!(got.headers["cache-control"], "no-store");
        assert_eq!(got.headers["x-content-type-options"], "nosniff");
        assert_eq!(got.bytes.len() as i64, first["bytes"].as_i64().unwrap());
        assert!(!got.bytes.windows(4).any(|w| w == b"Exif"));
        assert!(!got.bytes.windows(10).any(|w| w == b"SN-HW-7781"));
        let decoded = image::load_from_memory(&got.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (32, 64));
        let png = raw(&c, "county", Method::GET, second["url"].as_str().unwrap(), None, Vec::new()).await;
        assert!(!png.bytes.windows(12).any(|w| w == b"secret-owner"));
        assert!(image::load_from_memory(&png.bytes).unwrap().color().has_alpha());
        let thumb = raw(&c, "county", Method::GET, first["thumbnail_url"].as_str().unwrap(), None, Vec::new()).await;
        assert_eq!(thumb.status, StatusCode::OK);
        let thumb = image::load_from_memory(&thumb.bytes).unwrap();
        assert!(thumb.width() <= 320 && thumb.height() <= 320);
        // The event carries them when read; a replay answers the same photos, no new rows.
        let id = r.json["event_id"].as_str().unwrap().to_owned();
        assert_eq!(c.get("county", &format!("/api/v1/events/{id}")).await.body["attachments"], json!(attachments));
        let again = post_multipart(&c, "county", "/api/v1/reports", "report", &report("r-photo", IN_A), &files).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.json);
        assert_eq!(again.json["attachments"], json!(attachments));
        // Every photo read is audited.
        let filter = wangge_server::store::AuditFilter { action: Some("read_attachment".into()), ..Default::default() };
        let rows = c.state.store.audit(&filter, wangge_server::records::Page { page: 1, per_page: 10 }).await.unwrap();
        assert_eq!(rows.total, 3);
        // Open311 clients get the first photo's absolute URL.
        let o = c.get("county", &format!("/open311/v2/requests/{id}.json")).await;
        let media = o.body[0]["media_url"].as_str().unwrap_or_default().to_owned();
        assert!(media.starts_with("http") && media.ends_with(first["url"].as_str().unwrap()), "{}", o.text);
        let plain = c.get("county", &format!("/open311/v2/requests/{}.json", c.event_a)).await;
        assert_eq!(plain.body[0]["media_url"], Value::Null);
    }

    #[tokio::test]
    async fn hostile_files_are_refused_with_their_reason_and_nothing_is_stored() {
        let c = county().await;
        let before = total_events(&c).await;
        let good = jpeg_with_exif(16, 16, 1);
        let cases: Vec<(&str, Vec<Part>, StatusCode, &str)> = vec![
            ("svg", vec![("photo", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(), "image/jpeg")], StatusCode::UNSUPPORTED_MEDIA_TYPE, "SVG"),
            ("html", vec![("photo", b"<!DOCTYPE html><script>alert(1)</script>".to_vec(), "image/png")], StatusCode::UNSUPPORTED_MEDIA_TYPE, "HTML"),
            ("gif", vec![("photo", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), "image/gif")], StatusCode::UNSUPPORTED_MEDIA_TYPE, "GIF"),
            ("one good, one not", vec![("photo", good.clone(), "image/jpeg"), ("photo", b"%PDF-1.7".to_vec(), "image/jpeg")], StatusCode::UNSUPPORTED_MEDIA_TYPE, "photo 2"),
            ("cut off", vec![("photo", good[..24].to_vec(), "image/jpeg")], StatusCode::UNPROCESSABLE_ENTITY, "cannot be read"),
            ("ten", (0..10).map(|_| ("photo", good.clone(), "image/jpeg")).collect(), StatusCode::PAYLOAD_TOO_LARGE, "at most 9"),
            ("too big", vec![("photo", { let mut b = good.clone(); b.resize(10 * 1024 * 1024 + 1, 0); b }, "image/jpeg")], StatusCode::PAYLOAD_TOO_LARGE, "10 MB"),
            ("stray part", vec![("file", good.clone(), "image/jpeg")], StatusCode::BAD_REQUEST, "unexpected part"),
        ];
        for (i, (what, files, status, says)) in cases.into_iter().enumerate() {
            let r = post_multipart(&c, "county", "/api/v1/reports", "report", &report(&format!("r-bad-{i}"), IN_A), &files).await;
            assert_eq!(r.status, status, "{what}: {}", r.json);
            assert!(r.json["detail"].as_str().unwrap_or_default().contains(says), "{what}: {}", r.json);
            assert_eq!(r.headers["content-type"], "application/problem+json");
        }
        // A pixel bomb: a PNG header claiming 60,000 × 60,000.
        let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bomb.extend_from_slice(&60_000u32.to_be_bytes());
        bomb.extend_from_slice(&60_000u32.to_be_bytes());
        bomb.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        let r = post_multipart(&c, "county", "/api/v1/reports", "report", &report("r-bomb", IN_A), &[("photo", bomb, "image/png")]).await;
        assert!(r.status.is_client_error(), "{}", r.json);
        // No JSON part, or a broken one.
        let no_json = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\nxx\r\n--{BOUNDARY}--\r\n");
        let r = raw(&c, "county", Method::POST, "/api/v1/reports", Some(format!("multipart/form-data; boundary={BOUNDARY}")), no_json.into_bytes()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
        let r = raw(&c, "county", Method::POST, "/api/v1/reports", Some("multipart/form-data; boundary=zz".into()), b"garbage".to_vec()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
        assert_eq!(total_events(&c).await, before, "nothing was stored");
        // Plain JSON keeps working, at its ordinary limit.
        let ok = c.post("county", "/api/v1/reports", &report("r-plain", IN_A)).await;
        assert_eq!(ok.status, StatusCode::CREATED);
        assert_eq!(ok.body["attachments"], json!([]));
    }

    #[tokio::test]
    async fn a_photo_is_read_under_its_events_jurisdiction() {
        let c = county().await;
        let files = [("photo", jpeg_with_exif(20, 20, 1), "image/jpeg")];
        let r = post_multipart(&c, "county", "/api/v1/reports", "report", &report("r-b-photo", IN_B), &files).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        let url = r.json["attachments"][0]["url"].as_str().unwrap().to_owned();
        let thumb = r.json["attachments"][0]["thumbnail_url"].as_str().unwrap().to_owned();
        assert_eq!(raw(&c, "town_b", Method::GET, &url, None, Vec::new()).await.status, StatusCode::OK);
        let missing = raw(&c, "town_a", Method::GET, "/api/v1/attachments/P000000000000000000000000", None, Vec::new()).await;
        for who in ["town_a", "gw_a", "village_a"] {
            for u in [&url, &thumb] {
                let hidden = raw(&c, who, Method::GET, u, None, Vec::new()).await;
                assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{who} {u}");
                assert_eq!(hidden.json["title"], missing.json["title"]);
                assert!(hidden.bytes.len() < 400, "no bytes leak");
            }
        }
        // Roles without event reads are refused outright; nobody unsigned gets anything.
        assert_eq!(raw(&c, "planner", Method::GET, &url, None, Vec::new()).await.status, StatusCode::FORBIDDEN);
        let anonymous = c.app.clone().oneshot(Request::get(&url).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn evidence_photos_come_with_a_transition() {
        let c = county().await;
        let id = c.event_a.clone();
        let accept = c.post("gw_a", &format!("/api/v1/events/{id}/transitions"), &json!({"action": "accept"})).await;
        assert_eq!(accept.status, StatusCode::OK, "{}", accept.text);
        let files = [("photo", jpeg_with_exif(48, 24, 1), "image/jpeg")];
        let done = json!({"action": "resolve_on_spot", "note": "现场已关阀，通风处理"});
        let r = post_multipart(&c, "gw_a", &format!("/api/v1/events/{id}/transitions"), "transition", &done, &files).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        let photos = r.json["attachments"].as_array().unwrap();
        assert_eq!(photos.len(), 1);
        assert_eq!(photos[0]["seq"], r.json["seq"], "the photo belongs to the transition's row");
        assert_eq!((photos[0]["width"].clone(), photos[0]["height"].clone()), (json!(48), json!(24)));
        // A refused transition stores no photo.
        let again = post_multipart(&c, "gw_a", &format!("/api/v1/events/{id}/transitions"), "transition", &done, &files).await;
        assert!(again.status.is_client_error(), "{}", again.json);
        // A transition sent with an Idempotency-Key is applied once; its replay (a phone's
        // queue after a lost answer) answers the event as it is and changes nothing.
        let ct = Some(support::multipart::content_type());
        let uri = format!("/api/v1/events/{}/transitions", c.event_b);
        let accept = json!({"action": "accept"});
        let first = raw_with(&c, "town_b", Method::POST, &uri, ct.clone(), support::multipart::body("transition", &accept, &files), &[("idempotency-key", "t-1")]).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.json);
        let replay = raw_with(&c, "town_b", Method::POST, &uri, ct.clone(), support::multipart::body("transition", &accept, &files), &[("idempotency-key", "t-1")]).await;
        assert_eq!(replay.status, StatusCode::OK, "{}", replay.json);
        assert_eq!(replay.headers["idempotent-replay"], "true");
        assert_eq!(replay.json["seq"], first.json["seq"]);
        assert_eq!(replay.json["attachments"].as_array().unwrap().len(), 1);
        let other = raw_with(&c, "town_b", Method::POST, &uri, ct, support::multipart::body("transition", &accept, &files), &[("idempotency-key", "t-2")]).await;
        assert_eq!(other.status, StatusCode::CONFLICT, "a new key is a new action: {}", other.json);
        assert_eq!(c.get("county", &format!("/api/v1/events/{id}")).await.body["attachments"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_check_in_keeps_its_photo_under_the_patrols_rules() {
        let c = county().await;
        let started = c.post("gw_a", "/api/v1/patrols", &json!({"patrol_id": "p-photo"})).await;
        assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
        let checkin = json!({"checkin_id": "c-photo", "lon": IN_A.0, "lat": IN_A.1, "kind": "hazard", "note": "井盖松动"});
        let files = [("photo", jpeg_with_exif(30, 60, 8), "image/jpeg")];
        let r = post_multipart(&c, "gw_a", "/api/v1/patrols/p-photo/checkins", "checkin", &checkin, &files).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        let photo = r.json["photos"][0].clone();
        // Orientation 8: a quarter turn the other way, 30×60 stored as 60×30.
        assert_eq!((photo["width"].clone(), photo["height"].clone()), (json!(60), json!(30)), "{}", r.json);
        let url = photo["url"].as_str().unwrap().to_owned();
        // The walker and who supervises the patrol read it; another township and planners do not.
        for (who, status) in [("gw_a", StatusCode::OK), ("county", StatusCode::OK), ("town_a", StatusCode::OK), ("leader", StatusCode::OK), ("town_b", StatusCode::NOT_FOUND), ("planner", StatusCode::FORBIDDEN)] {
            assert_eq!(raw(&c, who, Method::GET, &url, None, Vec::new()).await.status, status, "{who}");
        }
        // The patrol lists its check-ins with their photos.
        let patrol = c.get("county", "/api/v1/patrols/p-photo").await;
        assert_eq!(patrol.body["visits"][0]["photos"][0]["id"], photo["id"], "{}", patrol.text);
        assert_eq!(patrol.body["visits"][0]["note"], "井盖松动");
        // A replayed check-in answers the stored one with its photo, adding none.
        let again = post_multipart(&c, "gw_a", "/api/v1/patrols/p-photo/checkins", "checkin", &checkin, &files).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.json);
        assert_eq!(again.json["photos"], r.json["photos"]);
        // A hostile file refuses the check-in: nothing stored.
        let bad = json!({"checkin_id": "c-bad", "lon": IN_A.0, "lat": IN_A.1, "kind": "shop"});
        let r = post_multipart(&c, "gw_a", "/api/v1/patrols/p-photo/checkins", "checkin", &bad, &[("photo", b"<svg/>".to_vec(), "image/jpeg")]).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.json);
        assert_eq!(c.get("gw_a", "/api/v1/patrols/p-photo").await.body["checkins"], 1);
    }

    #[tokio::test]
    async fn a_duplicate_is_linked_both_ways_and_counted_once() {
        let c = county().await;
        let original = c.event_a.clone();
        let second = c.post("county", "/api/v1/reports", &report("r-dup", IN_A)).await.body["event_id"].as_str().unwrap().to_owned();
        let stats = |c: &County| {
            let app = c.app.clone();
            let token = c.token("county");
            async move { send(&app, &token, Method::GET, "/api/v1/stats?from=2025-03-01&to=2025-03-31", None).await.body }
        };
        let before = stats(&c).await;
        let mark = |id: &str, of: &str| {
            let (app, token) = (c.app.clone(), c.token("county"));
            let (uri, body) = (format!("/api/v1/events/{id}/duplicate"), json!({"of": of, "reason": "同一处燃气味"}));
            async move { send(&app, &token, Method::POST, &uri, Some(&body)).await }
        };
        // Only dispatchers mark; another township's dispatcher cannot even see them.
        let r = send(&c.app, &c.token("gw_a"), Method::POST, &format!("/api/v1/events/{second}/duplicate"), Some(&json!({"of": original}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = send(&c.app, &c.token("town_b"), Method::POST, &format!("/api/v1/events/{second}/duplicate"), Some(&json!({"of": original}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = mark(&second, &original).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["duplicate_of"], json!(original));
        assert_eq!(c.get("county", &format!("/api/v1/events/{original}")).await.body["duplicates"], json!([second]));
        // No chains, no self-links, no second marking.
        assert_eq!(mark(&original, &second).await.status, StatusCode::CONFLICT);
        assert_eq!(mark(&second, &c.event_b).await.status, StatusCode::CONFLICT);
        assert_eq!(mark(&original, &original).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        // The figures count it once; the nearby search offers the original only.
        let after = stats(&c).await;
        let reported = |s: &Value| s["reported"].as_i64().unwrap_or(-1);
        assert!(reported(&before) >= 1, "{before}");
        assert_eq!(reported(&after), reported(&before) - 1, "{after}");
        let near = c.get("county", &format!("/api/v1/events/nearby?lon={}&lat={}&category=hazard", IN_A.0, IN_A.1)).await;
        let ids: Vec<&str> = near.body["events"].as_array().unwrap().iter().map(|e| e["event"]["event_id"].as_str().unwrap()).collect();
        assert!(ids.contains(&original.as_str()) && !ids.contains(&second.as_str()), "{ids:?}");
        // Taken back: counted again.
        assert_eq!(send(&c.app, &c.token("county"), Method::DELETE, &format!("/api/v1/events/{second}/duplicate"), None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(reported(&stats(&c).await), reported(&before));
    }
}
