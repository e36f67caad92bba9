#!/usr/bin/python3
"""mint_token.py - mint a follow-fcgi session token (Python stdlib only).

Copy mint_token() into the site's login code; the secret must never reach
the browser, a log or a command line.

CLI (for testing):  python3 examples/mint_token.py KEYFILE USER_ID [TTL]
prints a token signed with the key file's first key.
"""

import base64
import hashlib
import hmac
import json
import re
import sys
import time

KEY_LINE = re.compile(r"\s*([A-Za-z0-9._-]{1,64})\s+([A-Za-z0-9+/]+={0,2})\s*")
KID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def b64url(data):
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint_token(keyfile_line_or_secret, kid, user_id, ttl, now=None):
    """Return an HS256 token for user_id valid for ttl seconds.

    keyfile_line_or_secret is a key file line ("KID BASE64SECRET", str) or
    the raw secret (bytes, at least 32).  kid names the key in the header;
    "" takes it from the key file line.
    """
    secret = keyfile_line_or_secret
    if isinstance(secret, str):
        m = KEY_LINE.fullmatch(secret)
        if m is None:
            raise ValueError("not a key file line")
        body = m.group(2)
        secret = base64.b64decode(body + "=" * (-len(body) % 4),
                                  validate=True)
        if not kid:
            kid = m.group(1)
        elif kid != m.group(1):
            raise ValueError("kid differs from the key line")
    if len(secret) < 32:
        raise ValueError("secret shorter than 32 bytes")
    if kid and KID.fullmatch(kid) is None:
        raise ValueError("bad kid")
    if user_id < 1 or ttl < 1:
        raise ValueError("user id and ttl must be positive")

    now = int(time.time()) if now is None else int(now)
    header = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    # sub as a string: user ids may exceed 2^53, which JSON numbers lose.
    payload = {"sub": str(user_id), "iat": now, "exp": now + ttl}
    compact = (",", ":")
    signing_input = (b64url(json.dumps(header, separators=compact).encode())
                     + "." +
                     b64url(json.dumps(payload, separators=compact).encode()))
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256)
    return signing_input + "." + b64url(mac.digest())


def signing_key_line(path):
    """Return the first key line of a key file (the signing key)."""
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                return line
    raise ValueError("%s: no keys" % path)


def main(argv):
    if len(argv) not in (3, 4) or not all(a.isdigit() for a in argv[2:]):
        sys.stderr.write("usage: mint_token.py KEYFILE USER_ID [TTL]\n")
        return 2
    try:
        ttl = int(argv[3]) if len(argv) == 4 else 3600
        print(mint_token(signing_key_line(argv[1]), "", int(argv[2]), ttl))
    except (OSError, ValueError) as e:
        sys.stderr.write("mint_token.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
