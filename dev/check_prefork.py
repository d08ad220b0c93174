"""dev/test-prefork's check: Sync now from Settings reaches the browser through the bus of a
prefork Odoo (HTTP workers, a cron worker, the gevent worker).

    python dev/check_prefork.py DB PROXY_PORT GEVENT_PORT SANDBOX_API_URL

As the web client does, through the proxy (dev/proxy.py, as nginx): the admin's session (an HTTP
worker), a websocket on /websocket (the proxy sends it to the gevent worker) with that session,
subscribed to the admin's channels; Settings saved with the sandbox's credentials
and *Sync now* pressed over JSON-RPC; then the notification the cron worker sends at the end
must arrive on the websocket, with the number of calls the database holds.
"""

import json
import sys
import time

import requests
import websocket

DB, HTTP_PORT, GEVENT_PORT, SANDBOX_URL = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
BASE = f"http://127.0.0.1:{HTTP_PORT}"
WAIT = 180  # seconds for the import and the notification


def rpc(session, model, method, *args, **kwargs):
    response = session.post(f"{BASE}/web/dataset/call_kw/{model}/{method}", timeout=60, json={
        "jsonrpc": "2.0", "method": "call",
        "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs}})
    response.raise_for_status()
    answer = response.json()
    if "error" in answer:
        raise SystemExit(f"{model}.{method}: {answer['error']['data']['message']}")
    return answer["result"]


def main():
    http = requests.Session()
    login = http.post(f"{BASE}/web/session/authenticate", timeout=60, json={
        "jsonrpc": "2.0", "method": "call", "params": {"db": DB, "login": "admin", "password": "admin"}})
    login.raise_for_status()
    if not (login.json().get("result") or {}).get("uid"):
        raise SystemExit(f"admin login refused: {login.text[:300]}")
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{HTTP_PORT}/websocket", timeout=10, origin=BASE,
        header=[f"Cookie: session_id={http.cookies['session_id']}"])
    ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}}))

    settings = rpc(http, "res.config.settings", "create", {
        "teleum_api_url": SANDBOX_URL, "teleum_login": "demo@example.com", "teleum_password": "989864",
        "teleum_history_months": 2})
    started = rpc(http, "res.config.settings", "action_teleum_sync", [settings])
    print("Sync now:", started["params"]["title"], "-", started["params"]["message"])

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        for notification in json.loads(frame) if frame else []:
            message = notification.get("message") or {}
            payload = message.get("payload") or {}
            if message.get("type") == "simple_notification" and "Teleum sync" in str(payload.get("title")):
                print(f"bus (websocket through the proxy to the gevent port {GEVENT_PORT}): "
                      f"{payload['title']}: {payload['message']}")
                calls = rpc(http, "teleum.call", "search_count", [])
                if payload["title"] != "Teleum sync finished" or payload["message"] != f"New calls: {calls}.":
                    raise SystemExit(f"expected 'New calls: {calls}.' (the calls in the database)")
                if not calls:
                    raise SystemExit("no call was imported")
                print(f"calls in the database: {calls}")
                ws.close()
                return
    raise SystemExit(f"no 'Teleum sync' notification on the bus within {WAIT} s")


if __name__ == "__main__":
    main()
