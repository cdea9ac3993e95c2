"""A relay on loopback that can start to "lie": it keeps accepting connections and reading
requests, and never answers again — the network a phone has on one bar, behind a captive
portal, or in a basement. Unlike a stopped server, nothing is refused."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class LieFi:
    """Relays 127.0.0.1:``port`` to ``upstream`` until :meth:`hang`; then answers nothing."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.hanging = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        self._lock = threading.Lock()
        self.swallowed = 0  # requests read and never answered, once hanging
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        """From now on, accept and read, never answer (open connections included)."""
        self.hanging.set()

    def close(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._keep(client)
            if self.hanging.is_set():
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            self._keep(server)
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _swallow(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while client.recv(65536):
                self.swallowed += 1

    def _pump(self, source: socket.socket, target: socket.socket, request: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.hanging.is_set():
                    self.swallowed += request  # read, and dropped: no answer ever comes
                    continue
                target.sendall(data)


@contextlib.contextmanager
def lie_fi(upstream: int) -> Iterator[LieFi]:
    relay = LieFi(upstream)
    try:
        yield relay
    finally:
        relay.close()
