"""KB_CHROMA_URL and friends: the client the wiring builds talks to the server it names, with
the token header it is told to send."""

from __future__ import annotations

import socket
import threading

import pytest

from kb.core.config import Settings
from kb.core.types import Principal
from retriever.dense import http_client
from kb.core.testing.fakes import BagOfWordsEmbeddings


class RecordingProxy:
    """A TCP relay on 127.0.0.1 in front of the Chroma server that keeps what clients send."""

    def __init__(self, target_port: int, tls=None) -> None:
        self.target = target_port
        self.tls = tls  # an ssl.SSLContext: clients then speak TLS to the relay
        self.sent = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.tls is not None:
                try:
                    client = self.tls.wrap_socket(client, server_side=True)
                except OSError:
                    client.close()
                    continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src, dst, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    self.sent.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()


@pytest.mark.parametrize("header,expected", [
    ("Authorization", b"authorization: bearer s3cret-token"),
    ("X-Chroma-Token", b"x-chroma-token: s3cret-token"),
])
def test_the_token_travels_in_the_configured_header(tmp_path, chroma_server, header, expected):
    from kb.app.wiring import build

    port = int(chroma_server.url.rsplit(":", 1)[1])
    proxy = RecordingProxy(port)
    settings = Settings(home=tmp_path / "home", chroma_url=f"http://127.0.0.1:{proxy.port}",
                        chroma_token="s3cret-token", chroma_token_header=header,
                        collection=f"tok_{header[:5].lower()}")
    kb = build(settings, embedder_override=BagOfWordsEmbeddings())
    try:
        root = tmp_path / "docs"
        root.mkdir()
        (root / "a.md").write_text("# Parking\n\nVisitors park on level two.", "utf-8")
        assert kb.ingestor().run([str(root)]).added == 1
        hits = kb.searcher().search("visitors park", Principal("x"), k=3, mode="dense")
        assert [h.chunk.path for h in hits] == ["a.md"]
    finally:
        kb.close()
        proxy.close()
    assert expected in bytes(proxy.sent).lower()
    assert not (tmp_path / "home" / "chroma").exists()


@pytest.mark.parametrize("url", ["ftp://host:1", "http://", "http://host:8000/prefix"])
def test_a_malformed_url_is_refused_with_the_setting_name(url):
    with pytest.raises(ValueError, match="KB_CHROMA_URL"):
        http_client(url)


def self_signed(folder):
    """A certificate for 127.0.0.1 signed by itself (its own CA bundle), and its key."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kb-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_with_a_ca_bundle_works_and_an_unknown_ca_is_refused(tmp_path, chroma_server):
    import ssl

    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    proxy = RecordingProxy(int(chroma_server.url.rsplit(":", 1)[1]), tls=context)
    url = f"https://127.0.0.1:{proxy.port}"
    try:
        client = http_client(url, tls_verify=str(cert))
        assert client.get_settings().anonymized_telemetry is False
        assert client.heartbeat() > 0
        client.get_or_create_collection("tls_check", embedding_function=None)
        assert "tls_check" in [c.name for c in client.list_collections()]
        assert http_client(url, tls_verify="false").heartbeat() > 0
        with pytest.raises(Exception, match="(?i)certificate|ssl|could not connect"):
            http_client(url, tls_verify="true").heartbeat()
    finally:
        proxy.close()
    assert b"tls_check" in bytes(proxy.sent)  # the requests did go through the TLS relay
