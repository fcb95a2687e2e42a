"""The embedded runner's listening sockets hand out connections with TCP_NODELAY on the stdlib
event loop too (it sets it only for sockets created with proto IPPROTO_TCP): without it every
answer on a kept-alive gateway -> service connection waited for a delayed ACK (~40 ms)."""

import asyncio
import socket

from lumi_embedded.system import _socket


async def test_accepted_connections_have_nodelay():
    listener = _socket("127.0.0.1", 0)
    accepted: asyncio.Future = asyncio.get_running_loop().create_future()

    class Capture(asyncio.Protocol):
        def connection_made(self, transport):
            accepted.set_result(transport.get_extra_info("socket"))

    server = await asyncio.get_running_loop().create_server(Capture, sock=listener)
    async with server:
        _, writer = await asyncio.open_connection(*listener.getsockname())
        served = await asyncio.wait_for(accepted, 5)
        assert served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        writer.close()
