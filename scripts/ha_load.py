#!/usr/bin/env python3
"""Report load for the HA drill (scripts/ha-drill.sh); Python 3 standard library only.

    ha_load.py run --url URL --token TOKEN --run RUN --out DIR --stop-file FILE [options]
        N clients (threads), each posting reports to POST /api/v1/reports in a loop, every
        report with its own report_id (ha-RUN-CLIENT-N). A report is acknowledged by a 201
        (created) or a 200 (a retry answered with the stored event). Any other answer, or a
        connection error, and the client sends the SAME report again after a short pause,
        until it is acknowledged. Once FILE exists, no client starts a new report; each one
        finishes the report it holds (bounded by --drain-seconds) and stops.
        Prints per-second counts; writes DIR/acks.tsv (every acknowledged report) and
        DIR/attempts.tsv (every request and its outcome).

    ha_load.py analyse --out DIR --kill-at EPOCH
        Reads those files and prints the drill's client-side figures as KEY=VALUE lines.

Outcomes in attempts.tsv: the HTTP status, or ERR:<exception class> for a connection
that failed or timed out before an answer.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

ACKED = (200, 201)


class Client(threading.Thread):
    """One reporter: one report at a time, retried until acknowledged."""

    def __init__(self, args, index, stop, stats, lock):
        super().__init__(name=f"client-{index:02d}", daemon=True)
        self.args = args
        self.index = index
        self.stop = stop
        self.stats = stats
        self.lock = lock
        url = urllib.parse.urlsplit(args.url)
        self.host, self.port = url.hostname, url.port or 80
        self.conn = None
        self.acks = []       # (report_id, client, t_ack, status, attempts, t_first_send, t_last_send)
        self.attempts = []   # (t_send, t_recv, client, report_id, outcome, retry_after)
        self.unacked = None  # the report it held when it had to give up, if any

    def body(self, report_id):
        return json.dumps({
            "report_id": report_id,
            "category": "livelihood",
            "description": "路灯不亮 drill",
            "location": {"lon": self.args.lon, "lat": self.args.lat},
            "reporter": {"kind": "resident", "name": "张三", "phone": "13800138000"},
            "channel": "phone",
        }, ensure_ascii=False).encode("utf-8")

    def post(self, body):
        """One request: (status, retry_after) or raises on a connection failure."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.args.timeout)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.args.token}",
        }
        try:
            self.conn.request("POST", "/api/v1/reports", body=body, headers=headers)
            response = self.conn.getresponse()
            response.read()
            retry_after = response.getheader("Retry-After") or ""
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, retry_after
        except Exception:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            raise

    def count(self, key):
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            report_id = f"ha-{self.args.run}-{self.index:02d}-{n:06d}"
            body = self.body(report_id)
            tries = 0
            first_send = None
            drain_deadline = None
            while True:
                tries += 1
                t_send = time.time()
                first_send = first_send or t_send
                try:
                    status, retry_after = self.post(body)
                    outcome = str(status)
                except Exception as e:  # a refused, reset or timed-out connection
                    status, retry_after, outcome = None, "", f"ERR:{type(e).__name__}"
                t_recv = time.time()
                self.attempts.append((t_send, t_recv, self.index, report_id, outcome, retry_after))
                if status in ACKED:
                    self.acks.append((report_id, self.index, t_recv, status, tries, first_send, t_send))
                    self.count(f"ack{status}")
                    break
                key = outcome
                if status == 503:
                    key = "503+RA" if retry_after else "503"
                self.count(key)
                if self.stop.is_set():
                    drain_deadline = drain_deadline or time.time() + self.args.drain_seconds
                    if time.time() > drain_deadline:
                        self.unacked = report_id
                        return
                time.sleep(self.args.pause)
        if self.conn is not None:
            self.conn.close()


def run(args):
    os.makedirs(args.out, exist_ok=True)
    stop = threading.Event()
    lock = threading.Lock()
    stats = {}
    clients = [Client(args, i + 1, stop, stats, lock) for i in range(args.clients)]
    started = time.time()
    for c in clients:
        c.start()
    print(f"load: {args.clients} clients posting to {args.url}/api/v1/reports (run {args.run})", flush=True)
    last = {}
    while any(c.is_alive() for c in clients):
        time.sleep(1.0)
        if not stop.is_set() and (os.path.exists(args.stop_file) or time.time() - started > args.max_seconds):
            stop.set()
            print("load: stopping (each client finishes the report it holds)", flush=True)
        with lock:
            now = dict(stats)
        delta = {k: v - last.get(k, 0) for k, v in now.items() if v - last.get(k, 0)}
        last = now
        acked = delta.pop("ack201", 0) + delta.pop("ack200", 0)
        replays = now.get("ack200", 0)
        failed = " ".join(f"{k}:{v}" for k, v in sorted(delta.items())) or "-"
        total = now.get("ack201", 0) + now.get("ack200", 0)
        print(f"load {time.strftime('%H:%M:%S')} +{time.time() - started:5.1f}s  "
              f"acked/s {acked:4d}  total {total:6d} (200 replays {replays})  failed/s {failed}",
              flush=True)
    with open(os.path.join(args.out, "acks.tsv"), "w", encoding="utf-8") as f:
        for c in clients:
            for row in c.acks:
                f.write("%s\t%d\t%.6f\t%d\t%d\t%.6f\t%.6f\n" % row)
    with open(os.path.join(args.out, "attempts.tsv"), "w", encoding="utf-8") as f:
        for c in clients:
            for row in c.attempts:
                f.write("%.6f\t%.6f\t%d\t%s\t%s\t%s\n" % row)
    unacked = [c.unacked for c in clients if c.unacked]
    with open(os.path.join(args.out, "unacked.txt"), "w", encoding="utf-8") as f:
        f.writelines(r + "\n" for r in unacked)
    total = sum(len(c.acks) for c in clients)
    print(f"load: done, {total} reports acknowledged, {len(unacked)} given up unacknowledged", flush=True)
    return 0


def analyse(args):
    acks, attempts = [], []
    with open(os.path.join(args.out, "acks.tsv"), encoding="utf-8") as f:
        for line in f:
            rid, client, t_ack, status, tries, first, last = line.rstrip("\n").split("\t")
            acks.append((rid, int(client), float(t_ack), int(status), int(tries), float(first), float(last)))
    with open(os.path.join(args.out, "attempts.tsv"), encoding="utf-8") as f:
        for line in f:
            t_send, t_recv, client, rid, outcome, retry_after = line.rstrip("\n").split("\t")
            attempts.append((float(t_send), float(t_recv), int(client), rid, outcome, retry_after))
    with open(os.path.join(args.out, "unacked.txt"), encoding="utf-8") as f:
        unacked = [l.strip() for l in f if l.strip()]
    kill = args.kill_at
    out = {}
    out["acked"] = len(acks)
    out["acked_201"] = sum(1 for a in acks if a[3] == 201)
    out["acked_200_replay"] = sum(1 for a in acks if a[3] == 200)
    out["acked_twice"] = len(acks) - len({a[0] for a in acks})
    out["unacked_given_up"] = len(unacked)
    out["requests"] = len(attempts)
    failed = [a for a in attempts if a[4] not in ("200", "201")]
    out["failed_requests"] = len(failed)
    out["status_500"] = sum(1 for a in failed if a[4] == "500")
    out["status_503_retry_after"] = sum(1 for a in failed if a[4] == "503" and a[5])
    out["status_503_no_retry_after"] = sum(1 for a in failed if a[4] == "503" and not a[5])
    ras = sorted({a[5] for a in failed if a[4] == "503" and a[5]})
    out["retry_after_values"] = ",".join(ras) or "-"
    out["connection_errors"] = sum(1 for a in failed if a[4].startswith("ERR:"))
    other = {}
    for a in failed:
        if a[4] not in ("500", "503") and not a[4].startswith("ERR:"):
            other[a[4]] = other.get(a[4], 0) + 1
    errs = {}
    for a in failed:
        if a[4].startswith("ERR:"):
            errs[a[4][4:]] = errs.get(a[4][4:], 0) + 1
    out["other_statuses"] = ",".join(f"{k}x{v}" for k, v in sorted(other.items())) or "-"
    out["connection_error_kinds"] = ",".join(f"{k}x{v}" for k, v in sorted(errs.items())) or "-"
    before = [a[2] for a in acks if a[2] <= kill]
    out["acked_before_kill"] = len(before)
    out["acked_after_kill"] = len(acks) - len(before)
    # "After the kill": acknowledgements of requests SENT after it. A request sent before the
    # kill can still be answered a few milliseconds after it (its commit was already done);
    # that is not the database being back.
    after = [a[2] for a in acks if a[6] > kill]
    out["acked_sent_after_kill"] = len(after)
    in_flight = [a[2] for a in acks if a[2] > kill and a[6] <= kill]
    out["acked_in_flight_at_kill"] = len(in_flight)
    out["in_flight_answered_by_s"] = "%.3f" % (max(in_flight) - kill) if in_flight else "-"
    if before and after:
        out["last_ack_before_kill_s"] = "%.3f" % (max(before) - kill)
        out["first_ack_after_kill_s"] = "%.3f" % (min(after) - kill)
        out["unavailability_window_s"] = "%.3f" % (min(after) - max(before))
    else:
        out["unavailability_window_s"] = "n/a"
    # Per client: from sending the first attempt that failed to receiving the acknowledgement.
    stretch, who = 0.0, "-"
    for rid, client, t_ack, status, tries, first, _last in acks:
        if tries > 1 and t_ack - first > stretch:
            stretch, who = t_ack - first, f"{rid} ({tries} attempts)"
    out["longest_client_failed_stretch_s"] = "%.3f" % stretch
    out["longest_client_failed_stretch_report"] = who.replace(" ", "_")
    if failed:
        out["first_failure_s"] = "%.3f" % (min(a[1] for a in failed) - kill)
        out["last_failure_s"] = "%.3f" % (max(a[1] for a in failed) - kill)
    out["max_attempts_for_one_report"] = max((a[4] for a in acks), default=0)
    for k, v in out.items():
        print(f"{k}={v}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="post reports until the stop file appears")
    r.add_argument("--url", required=True, help="wangge's base URL, e.g. http://127.0.0.1:18090")
    r.add_argument("--token", default=os.environ.get("HA_LOAD_TOKEN"),
                   help="a bearer token (default: $HA_LOAD_TOKEN, which keeps it out of process lists)")
    r.add_argument("--run", required=True, help="run id, part of every report id")
    r.add_argument("--out", required=True, help="directory for acks.tsv and attempts.tsv")
    r.add_argument("--stop-file", required=True, help="stop once this file exists")
    r.add_argument("--clients", type=int, default=16)
    r.add_argument("--lon", type=float, default=115.52)
    r.add_argument("--lat", type=float, default=40.41)
    r.add_argument("--pause", type=float, default=0.2, help="seconds between retries of one report")
    r.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one answer")
    r.add_argument("--max-seconds", type=float, default=600.0, help="stop anyway after this long")
    r.add_argument("--drain-seconds", type=float, default=120.0,
                   help="after the stop, how long a client keeps retrying the report it holds")
    a = sub.add_parser("analyse", help="print the figures of a finished run")
    a.add_argument("--out", required=True)
    a.add_argument("--kill-at", type=float, required=True, help="epoch seconds of the kill")
    args = p.parse_args()
    if args.cmd == "run" and not args.token:
        p.error("no token: --token or HA_LOAD_TOKEN")
    return run(args) if args.cmd == "run" else analyse(args)


if __name__ == "__main__":
    sys.exit(main())
