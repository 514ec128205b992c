"""A tiny SMTP server for tests that run real `serve` processes: it accepts every message and keeps it.
Enough of RFC 5321 for smtplib's client (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT); runs in a thread."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes
from email.message import Message


class _Handler(socketserver.StreamRequestHandler):
    def _reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        sink: SmtpSink = self.server.sink  # type: ignore[attr-defined]
        self._reply("220 sink ready")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 sink")
            elif verb == "DATA":
                self._reply("354 end with .")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                sink.received(message_from_bytes(bytes(data)))
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self._reply("250 ok")


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.sink = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.url = f"smtp://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def received(self, message: Message) -> None:
        with self._lock:
            self.messages.append(message)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
