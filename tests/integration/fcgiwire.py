"""FastCGI records on the wire, for the tests that stand in for one end of
a FastCGI connection: test_nginx_conf.py (a responder nginx talks to) and
test_fastcgi.py (a web server talking to the real workers).  Python
stdlib only."""

import struct

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, \
    FCGI_STDOUT, FCGI_STDERR = 1, 3, 4, 5, 6, 7
FCGI_RESPONDER = 1
FCGI_KEEP_CONN = 1


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def read_record(conn):
    """(type, request id, content) of the next record."""
    _, rtype, rid, clen, plen, _ = struct.unpack(
        "!BBHHBB", read_exact(conn, 8))
    body = read_exact(conn, clen)
    read_exact(conn, plen)
    return rtype, rid, body


def record(rtype, rid, body):
    return struct.pack("!BBHHBB", 1, rtype, rid, len(body), 0, 0) + body


def begin_request(rid, flags=0):
    return record(FCGI_BEGIN_REQUEST, rid,
                  struct.pack("!HB5x", FCGI_RESPONDER, flags))


def _length(n):
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)


def encode_params(params):
    out = b""
    for name, value in params.items():
        n, v = name.encode("latin-1"), value.encode("latin-1")
        out += _length(len(n)) + _length(len(v)) + n + v
    return out


def parse_params(data):
    out = {}
    i = 0
    while i < len(data):
        lens = []
        for _ in range(2):
            if data[i] & 0x80:
                lens.append(struct.unpack("!I", data[i:i + 4])[0]
                            & 0x7fffffff)
                i += 4
            else:
                lens.append(data[i])
                i += 1
        name = data[i:i + lens[0]].decode("latin-1")
        i += lens[0]
        out[name] = data[i:i + lens[1]].decode("latin-1")
        i += lens[1]
    return out
