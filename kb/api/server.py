"""Running the API: uvicorn on one address and port, in this process (`kb api`) or in a
background thread (tests, the benchmark)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import uvicorn

from kb.api import create_app
from kb.app.service import KnowledgeBase


def config(kb: KnowledgeBase, address: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(create_app(kb), host=address, port=port, log_level="warning",
                          access_log=False, server_header=False, proxy_headers=False)


def serve(kb: KnowledgeBase, address: str, port: int) -> None:
    """Serve until stopped (SIGINT/SIGTERM)."""
    uvicorn.Server(config(kb, address, port)).run()


@dataclass
class Running:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def start_in_thread(kb: KnowledgeBase, address: str = "127.0.0.1", port: int = 0) -> Running:
    """Serve in a daemon thread; returns once the socket accepts connections."""
    server = uvicorn.Server(config(kb, address, port))
    thread = threading.Thread(target=server.run, name="kb-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return Running(f"http://{address}:{bound}", server, thread)
