"""tcpproxy - a TCP proxy on loopback that adds latency or breaks connections.

Python 3 standard library only (asyncio).  Used by the benchmarks (50 ms each
way in front of the fakes, so round trips can be counted as time / RTT) and
by the fault tests (reset in the middle of a body, a server that stalls).

    python3 tcpproxy.py --target 127.0.0.1:PORT --port-file FILE
        [--delay-ms MS]        delay every chunk by MS in each direction
                               (chunks keep their order: latency, not jitter)
        [--cut-after BYTES]    after BYTES of the server's answer, reset both
                               sides (RST): a reply lost mid-body
        [--cut-wait-client BYTES]  with --cut-after: the cut waits (the bytes
                               up to it delivered) until the client has sent
                               BYTES or nothing for 3 s, so a slow client
                               (valgrind) has sent its request before the
                               reset, as a fast one has
        [--connect-rtt]        also charge one round trip (2 x MS) for the
                               TCP handshake, which loopback makes free: the
                               connection's first bytes wait that long
        [--stall]              accept and read, never connect upstream or
                               answer: a server that stops answering
        [--stats-file FILE]    on exit, write {"connections": N} as JSON

It binds 127.0.0.1 port 0 and writes the port to --port-file atomically
(the file appears once it accepts).  Never targets anything but the address
given, which tests keep on loopback.  SIGTERM/SIGINT stop it.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import struct

STATS = {"connections": 0}


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def hard_reset(writer):
    """Close with RST (SO_LINGER 0) instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def pump(reader, writer, delay, budget, on_cut, counts=None, me=None, gate=None):
    """Copy reader -> writer, each chunk delivered `delay` seconds after it arrived.
    counts[me] adds up the bytes read; gate (a coroutine) is awaited before a cut."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        sent = 0
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if budget is not None and sent + len(data) > budget:
                writer.write(data[: max(0, budget - sent)])
                await writer.drain()
                if gate is not None:
                    await gate()
                on_cut()
                return
            sent += len(data)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if counts is not None:
                counts[me] += len(data)
                counts[me + "_at"] = loop.time()
            await queue.put((loop.time() + delay, data if data else None))
            if not data:
                break
    except (ConnectionError, OSError):
        await queue.put((loop.time(), None))
    await task


async def handle(client_r, client_w, args):
    STATS["connections"] += 1
    if args.stall:
        try:
            while await client_r.read(65536):
                pass
        except (ConnectionError, OSError):
            pass
        client_w.close()
        return
    host, port = args.target.rsplit(":", 1)
    try:
        up_r, up_w = await asyncio.open_connection(host, int(port))
    except OSError:
        hard_reset(client_w)
        return
    delay = args.delay_ms / 1000.0
    if args.connect_rtt and delay > 0:
        await asyncio.sleep(2 * delay)

    def cut():
        hard_reset(client_w)
        hard_reset(up_w)

    counts = {"client": 0, "server": 0, "client_at": 0.0, "server_at": 0.0}

    async def gate():
        # until the client has sent enough, or has sent nothing for 3 s (it
        # waits for bytes past the cut: a handshake longer than the budget)
        loop = asyncio.get_running_loop()
        counts["client_at"] = max(counts["client_at"], loop.time())
        while counts["client"] < args.cut_wait_client and \
                loop.time() - counts["client_at"] < 3.0:
            await asyncio.sleep(0.01)

    try:
        await asyncio.gather(
            pump(client_r, up_w, delay, None, cut, counts, "client"),
            pump(up_r, client_w, delay, args.cut_after, cut, counts, "server",
                 gate if args.cut_wait_client else None),
        )
    except (ConnectionError, OSError):
        pass
    print("connection %d: client sent %d bytes, server %d" % (
        STATS["connections"], counts["client"], counts["server"]), flush=True)
    for w in (client_w, up_w):
        try:
            w.close()
        except (OSError, RuntimeError):
            pass


async def main_async(args):
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("port %d" % port, flush=True)
    if args.port_file:
        write_atomic(args.port_file, "%d\n" % port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    if args.stats_file:
        write_atomic(args.stats_file, json.dumps(STATS))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--cut-after", type=int, default=None)
    ap.add_argument("--cut-wait-client", type=int, default=0)
    ap.add_argument("--stall", action="store_true")
    ap.add_argument("--connect-rtt", action="store_true")
    ap.add_argument("--stats-file")
    args = ap.parse_args()
    host = args.target.rsplit(":", 1)[0]
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        ap.error("--target must be on loopback")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
