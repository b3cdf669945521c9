#!/usr/bin/env python3
"""Drives a running wangge service's Open311 GeoReport v2 API with a third-party client.

Usage: tests/open311_client.py http://127.0.0.1:PORT

The client is the PyPI package `georeport` (installed by scripts/test.sh). It lists services,
reads a service definition and reads requests back, in JSON and in XML; it cannot create
requests, so the request is POSTed as the spec's form with `requests` (a georeport dependency).
The service must run on the mini fixture (tests/fixtures/mini) with no people, so that a
report in 狼山村 goes to the 狼山乡 centre. Exits non-zero on the first failed check.
"""

import datetime
import os
import sys

import requests
from georeport import GeoReport

# A point (WGS84) in 狼山村第一网格 of the mini fixture.
LAT, LONG = 40.41, 115.53
DESCRIPTION = "楼道里有燃气味 <阀门> & \"紧急\""


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def as_list(value):
    """xmltodict gives a dict for a single element and a list for several."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def ensure_calendar(base):
    """Deadlines need this year's and next year's holiday notices; the built-in data ends with
    2026. For a year not loaded, load a test notice with no holidays (plain weekends) so this
    client test does not depend on today's date. Real deployments load the real notice."""
    this_year = datetime.date.today().year
    for year in (this_year, this_year + 1):
        url = f"{base.rstrip('/')}/api/v1/calendar/{year}"
        if requests.get(url, timeout=30).status_code == 404:
            notice = {"source": "test fixture: weekends only", "holidays": [], "workdays": []}
            loaded = requests.put(url, json=notice, timeout=30)
            check(loaded.status_code == 200, f"loading a test calendar for {year}: {loaded.text}")


def with_key(key):
    """georeport 0.3.1 reads its API key (GEOREPORT_API_KEY) but sends it with no request;
    this service asks for the GeoReport v2 `api_key` on every request that reads or writes
    service requests, so add it as the parameter the spec names."""
    plain_get, plain_post, plain_put = requests.get, requests.post, requests.put

    def get(url, params=None, **kw):
        if "/open311/" in url:
            return plain_get(url, params={**(params or {}), "api_key": key}, **kw)
        headers = {**kw.pop("headers", {}), "Authorization": f"Bearer {key}"}
        return plain_get(url, params=params, headers=headers, **kw)

    def post(url, data=None, **kw):
        return plain_post(url, data={**(data or {}), "api_key": key} if data is not None else None, **kw)

    def put(url, **kw):
        headers = {**kw.pop("headers", {}), "Authorization": f"Bearer {key}"}
        return plain_put(url, headers=headers, **kw)

    requests.get, requests.post, requests.put = get, post, put


def main(base):
    key = os.environ.get("GEOREPORT_API_KEY")
    check(bool(key), "GEOREPORT_API_KEY is not set")
    unkeyed = requests.post(f"{base.rstrip('/')}/open311/v2/requests.json", data={"service_code": "x"}, timeout=30)
    check(unkeyed.status_code == 401, f"a request without a key is refused: {unkeyed.status_code}")
    with_key(key)
    ensure_calendar(base)
    root = base.rstrip("/") + "/open311/v2"
    client = GeoReport(root)
    xml_client = GeoReport(root, output_format="xml")

    services = client.get_service_list()
    check(len(services) > 4, f"expected the responsibility table's services, got {len(services)}")
    gas = [s for s in services if s["group"] == "问题隐患" and s["service_name"] == "燃气"]
    check(len(gas) == 1, f"one 问题隐患/燃气 service, got {gas}")
    gas = gas[0]
    code = gas["service_code"]
    check(gas["type"] == "realtime" and gas["metadata"] is False, f"realtime, no metadata: {gas}")
    xml_services = xml_client.get_service_list()
    check([s["service_code"] for s in xml_services] == [s["service_code"] for s in services],
          "the XML service list matches the JSON one")
    definition = client.get_service_definition(code)
    check(definition == {"service_code": code, "attributes": []}, f"definition: {definition}")
    check(xml_client.get_service_definition(code)["service_code"] == code, "XML definition")

    form = {
        "service_code": code, "lat": LAT, "long": LONG, "description": DESCRIPTION,
        "first_name": "三丰", "last_name": "张", "phone": "13987654321",
        "email": "zhang@example.com", "address_string": "狼山村",
    }
    posted = requests.post(f"{root}/requests.json", data=form, headers={"Idempotency-Key": "client-1"}, timeout=30)
    check(posted.status_code == 201, f"POST requests: {posted.status_code} {posted.text}")
    answer = posted.json()
    check(isinstance(answer, list) and len(answer) == 1, f"one-element answer: {answer}")
    request_id = answer[0]["service_request_id"]
    check(request_id in answer[0]["service_notice"], f"the notice names the id: {answer}")
    retried = requests.post(f"{root}/requests.json", data=form, headers={"Idempotency-Key": "client-1"}, timeout=30)
    check(retried.status_code == 200 and retried.json()[0]["service_request_id"] == request_id,
          f"a retry with the same key answers the same request: {retried.status_code} {retried.text}")

    one = client.get_service_request(request_id)
    expected = {
        "service_request_id": request_id, "status": "open", "service_code": code, "service_name": "燃气",
        "description": DESCRIPTION, "agency_responsible": "狼山乡网格中心",
    }
    for key, value in expected.items():
        check(one.get(key) == value, f"{key}: expected {value!r}, got {one.get(key)!r}")
    check(abs(float(one["lat"]) - LAT) < 1e-9 and abs(float(one["long"]) - LONG) < 1e-9, f"position: {one}")
    for key in ("requested_datetime", "updated_datetime", "expected_datetime", "address"):
        check(one.get(key), f"{key} is set: {one}")
    for private in ("13987654321", "三丰", "example.com"):
        check(private not in repr(one), f"personal data {private} is exposed: {one}")

    xml_one = xml_client.get_service_request(request_id)
    check(xml_one["service_request_id"] == request_id and xml_one["description"] == DESCRIPTION,
          f"XML request (escaping round trip): {xml_one}")
    check(xml_one["status"] == "open" and xml_one["agency_responsible"] == "狼山乡网格中心",
          f"XML status and agency: {xml_one}")

    listed = client.get_service_requests()
    check(request_id in [r["service_request_id"] for r in listed], f"{request_id} in the list: {listed}")
    by_id = client.get_service_requests(service_request_id=request_id)
    check([r["service_request_id"] for r in by_id] == [request_id], f"by id: {by_id}")
    by_code = client.get_service_requests(service_code=code, status="open")
    check(request_id in [r["service_request_id"] for r in by_code], f"by service code and status: {by_code}")
    closed = client.get_service_requests(status="closed")
    check(request_id not in [r["service_request_id"] for r in closed], f"not closed: {closed}")
    xml_listed = as_list(xml_client.get_service_requests(service_request_id=request_id))
    check([r["service_request_id"] for r in xml_listed] == [request_id], f"XML list by id: {xml_listed}")

    missing = requests.get(f"{root}/requests/E19990101-000001.json", timeout=30)
    check(missing.status_code == 404 and missing.json()[0]["code"] == 404, f"unknown id: {missing.text}")
    print(f"open311 client checks passed against {root} (request {request_id})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: open311_client.py http://HOST:PORT")
    try:
        main(sys.argv[1])
    except (AssertionError, requests.RequestException, KeyError, ValueError) as e:
        print(f"open311 client check failed: {e}", file=sys.stderr)
        sys.exit(1)
