"""The reverse proxy of a prefork Odoo, for dev/run --workers: each connection goes to Odoo's HTTP
workers, or to its gevent port when its first request is for /websocket (the bus), as nginx's
``location /websocket`` does in production (README, "Production"). A browser opens a connection
of its own for a websocket, so routing whole connections is enough. Loopback only.

    python dev/proxy.py LISTEN_PORT HTTP_PORT GEVENT_PORT
"""

import asyncio
import signal
import sys

HOST = "127.0.0.1"


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def handle(reader, writer, http_port, gevent_port):
    try:
        line = await asyncio.wait_for(reader.readline(), 30)
    except (TimeoutError, ConnectionError):
        writer.close()
        return
    parts = line.split(b" ")
    websocket = len(parts) > 1 and parts[1].startswith(b"/websocket") and not parts[1].startswith(b"/websocket/")
    try:
        up_reader, up_writer = await asyncio.open_connection(HOST, gevent_port if websocket else http_port)
    except OSError:
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        writer.close()
        return
    up_writer.write(line)
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def main(listen, http_port, gevent_port):
    server = await asyncio.start_server(lambda r, w: handle(r, w, http_port, gevent_port), HOST, listen)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(*(int(port) for port in sys.argv[1:4])))
