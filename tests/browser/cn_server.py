#!/usr/bin/env python3
"""A TLS server on loopback that requires a client certificate, verifies it
against the given CA certificates and answers every request with
"CN=<common name>" of the certificate it saw.

    cn_server.py --cert server.pem --key server.key --client-ca ca.pem \
        [--client-ca card-ca.pem] --port-file FILE [--log FILE]

It listens on 127.0.0.1 on a free port, written to --port-file once it is
listening.  TLS 1.3 only and no session tickets: every connection is a full
handshake, so every page load is a fresh client-certificate login (a test
that pulls the card must not be fooled by a resumed session).  Each
connection answers one request and is closed.
"""

import argparse
import os
import socket
import ssl
import sys
import threading


def common_name(cert):
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return ""


def serve_one(conn, addr, ctx, log):
    conn.settimeout(20)
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        log(f"{addr[1]}: handshake refused: {e}")
        conn.close()
        return
    try:
        cert = tls.getpeercert() or {}
        cn = common_name(cert)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            chunk = tls.recv(4096)
            if not chunk:
                break
            req += chunk
        line = req.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        body = f"<!DOCTYPE html><html><head><title>careid test</title></head>" \
               f"<body><p id=\"cn\">CN={cn}</p></body></html>\n".encode()
        head = ("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                "Cache-Control: no-store\r\n\r\n").encode()
        tls.sendall(head + body)
        log(f"{addr[1]}: {line!r} serial {cert.get('serialNumber', '?')} client CN={cn}")
        try:
            tls.unwrap()
        except (ssl.SSLError, OSError):
            pass
    except (ssl.SSLError, OSError) as e:
        log(f"{addr[1]}: error: {e}")
    finally:
        tls.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", action="append", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    a = ap.parse_args()

    out = open(a.log, "a", buffering=1) if a.log else sys.stderr
    lock = threading.Lock()

    def log(msg):
        with lock:
            print(msg, file=out, flush=True)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.num_tickets = 0
    ctx.options |= ssl.OP_NO_TICKET
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(a.cert, a.key)
    for ca in a.client_ca:
        ctx.load_verify_locations(cafile=ca)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(f"{srv.getsockname()[1]}\n")
    os.replace(a.port_file + ".tmp", a.port_file)
    log(f"listening on 127.0.0.1:{srv.getsockname()[1]}")
    while True:
        conn, addr = srv.accept()
        threading.Thread(target=serve_one, args=(conn, addr, ctx, log), daemon=True).start()


if __name__ == "__main__":
    main()
