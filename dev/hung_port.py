"""A port that accepts TCP connections and never answers (a hung server, a dead tunnel), for dev/test-clone.

    python3 dev/hung_port.py PORT [SECONDS]

Listens on 127.0.0.1:PORT, prints "listening" once it does, accepts every connection and holds it
without reading or writing; exits after SECONDS (default 120) or on SIGTERM.
"""

import socket
import sys
import time


def main():
    port = int(sys.argv[1])
    deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 120)
    held = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen(64)
        server.settimeout(0.5)
        print("listening", flush=True)
        while time.monotonic() < deadline:
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                pass
    for conn in held:
        conn.close()


if __name__ == "__main__":
    main()
