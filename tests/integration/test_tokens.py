#!/usr/bin/python3
"""Session tokens (SPEC section 3): the forgery matrix, key rotation, expiry,
revocation, cookies and the Origin check for unsafe methods.

Must never weaken a refusal into "some 4xx": every bad token is exactly
401 `Invalid token` with `WWW-Authenticate: Bearer error="invalid_token"`.
"""

import base64
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import followtest as ft  # noqa: E402

PROBE = "/users/me"


def flip(s, i):
    """s with the base64url character at i replaced by a different one."""
    c = s[i]
    return s[:i] + ("A" if c != "A" else "B") + s[i + 1:]


class Tokens(ft.TestCase):

    def setUp(self):
        self.need_keys()
        self.uid = self.make_user()

    def assert_ok(self, token, uid=None):
        r = self.api("GET", PROBE, token=token)
        self.assert_status(r, 200)
        self.assertEqual(r.json()["id"], self.uid if uid is None else uid)
        return r

    def assert_invalid(self, resp):
        self.assert_error(resp, 401, "Invalid token")
        www = resp.headers.get("WWW-Authenticate", "")
        self.assertRegex(www, r'^Bearer\b', repr(resp))
        self.assertIn('error="invalid_token"', www, repr(resp))

    def refused(self, token):
        self.assert_invalid(self.api("GET", PROBE, token=token))

    # -- baseline

    def test_no_credentials(self):
        r = self.api("GET", PROBE)
        self.assert_error(r, 401, "Not authenticated")
        www = r.headers.get("WWW-Authenticate", "")
        self.assertRegex(www, r"^Bearer\b")
        self.assertNotIn("error=", www)

    def test_valid_token(self):
        r = self.assert_ok(self.mint(str(self.uid)))
        self.assertIn("no-store", r.headers.get("Cache-Control", ""))

    def test_sub_as_integer(self):
        self.assert_ok(self.mint(self.uid))

    def test_no_kid_uses_signing_key(self):
        self.assert_ok(self.mint(str(self.uid), kid=None))

    def test_no_iat_accepted_when_not_revoked(self):
        self.assert_ok(self.mint(str(self.uid), iat=None))

    def test_second_key_accepted(self):
        keys = self.stack.keys
        if len(keys) < 2:
            self.fail("key file must hold >= 2 keys, has %d" % len(keys))
        kid, secret = keys[1]
        self.assert_ok(self.mint(str(self.uid), kid=kid, key=secret))

    def test_second_kid_with_first_secret_refused(self):
        keys = self.stack.keys
        if len(keys) < 2:
            self.fail("key file must hold >= 2 keys")
        self.refused(self.mint(str(self.uid), kid=keys[1][0],
                               key=keys[0][1]))

    # -- algorithm

    def test_alg_none_refused(self):
        self.refused(self.mint(str(self.uid), alg="none"))
        self.refused(self.mint(str(self.uid), alg="none", signature=b""))
        self.refused(self.mint(str(self.uid), alg="None", signature=b""))

    def test_alg_hs512_refused(self):
        self.refused(self.mint(str(self.uid), alg="HS512"))

    def test_alg_rs256_refused(self):
        self.refused(self.mint(str(self.uid), alg="RS256"))

    def test_alg_missing_refused(self):
        self.refused(self.mint(str(self.uid), alg=None))

    def test_alg_lowercase_refused(self):
        self.refused(self.mint(str(self.uid), alg="hs256"))

    # -- signature and payload

    def test_signature_tampered(self):
        t = self.mint(str(self.uid))
        sig_at = t.rindex(".") + 1
        self.refused(flip(t, sig_at))
        self.refused(flip(t, sig_at + 20))
        self.refused(t[:-4])
        self.refused(t[:sig_at])

    def test_payload_tampered(self):
        other = self.make_user()
        t = self.mint(str(self.uid))
        h, p, s = t.split(".")
        claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        claims["sub"] = str(other)
        forged = ".".join([h, ft.b64url(json.dumps(claims)), s])
        self.refused(forged)

    def test_header_tampered(self):
        t = self.mint(str(self.uid))
        h, p, s = t.split(".")
        h2 = ft.b64url(json.dumps({"alg": "HS256", "typ": "JWT",
                                   "kid": self.stack.keys[0][0],
                                   "x": 1}))
        self.refused(".".join([h2, p, s]))

    def test_wrong_key(self):
        self.refused(self.mint(str(self.uid), key=b"k" * 32))

    def test_unknown_kid(self):
        self.refused(self.mint(str(self.uid), kid="no-such-kid"))
        self.refused(self.mint(str(self.uid), kid=""))

    # -- time claims

    def test_expired(self):
        now = int(time.time())
        self.refused(self.mint(str(self.uid), exp=now - 3600,
                               iat=now - 7200))

    def test_nbf_in_future(self):
        now = int(time.time())
        self.refused(self.mint(str(self.uid), nbf=now + 3600))

    def test_nbf_in_past_accepted(self):
        self.assert_ok(self.mint(str(self.uid), nbf=int(time.time()) - 60))

    def test_no_exp(self):
        self.refused(self.mint(str(self.uid), exp=None))

    def test_exp_not_a_number(self):
        self.refused(self.mint(str(self.uid), exp="tomorrow"))

    # -- subject

    def test_sub_malformed(self):
        for sub in ("abc", "-5", -5, "0", 0, "99999999999999999999",
                    99999999999999999999, "9223372036854775808", "1.5", 1.5,
                    "", " 1", "1 ", True, None, [1], {"id": 1}):
            with self.subTest(sub=sub):
                self.refused(self.mint(sub))

    def test_sub_missing_user(self):
        gone = self.make_user()
        t = self.mint(str(gone))
        self.assert_ok(t, gone)
        self.sql("DELETE FROM users WHERE id = %s", (gone,))
        self.refused(t)
        self.refused(self.mint("9223372036854775807"))

    def test_sub_inactive_user(self):
        t = self.mint(str(self.uid))
        self.assert_ok(t)
        self.sql("UPDATE users SET is_active = false WHERE id = %s",
                 (self.uid,))
        self.refused(t)
        self.sql("UPDATE users SET is_active = true WHERE id = %s",
                 (self.uid,))
        self.assert_ok(t)

    # -- revocation

    def test_revoked(self):
        now = int(time.time())
        old = self.mint(str(self.uid), iat=now - 3600)
        no_iat = self.mint(str(self.uid), iat=None)
        self.assert_ok(old)
        # Revoked at a half second, five seconds ago: a token stamped in
        # that same whole second predates it, the next second does not.
        rev = self.sql1(
            "UPDATE users SET sessions_revoked_at = "
            "date_trunc('second', now()) - interval '5 seconds' + "
            "interval '0.5 seconds' WHERE id = %s "
            "RETURNING extract(epoch FROM sessions_revoked_at)", (self.uid,))
        rev_s = int(float(rev))
        self.refused(old)
        self.refused(no_iat)
        self.assert_ok(self.mint(str(self.uid), iat=rev_s + 1))
        self.assert_ok(self.mint(str(self.uid)))

    def test_revoked_same_second_refused(self):
        # iat S is earlier than a revocation at S.5: SPEC says refused.
        rev = self.sql1(
            "UPDATE users SET sessions_revoked_at = "
            "date_trunc('second', now()) - interval '5 seconds' + "
            "interval '0.5 seconds' WHERE id = %s "
            "RETURNING extract(epoch FROM sessions_revoked_at)", (self.uid,))
        self.refused(self.mint(str(self.uid), iat=int(float(rev))))

    def test_revocation_is_per_user(self):
        other = self.make_user()
        t = self.mint(str(self.uid), iat=int(time.time()) - 3600)
        self.sql("UPDATE users SET sessions_revoked_at = now() WHERE id = %s",
                 (other,))
        self.assert_ok(t)

    # -- malformed compact form

    def test_garbage(self):
        good = self.mint(str(self.uid))
        h, p, s = good.split(".")
        for tok in ("abc", "abc.def.ghi", "!!!.###.$$$", "..", ".", "a.b",
                    good + ".", "." + good, good + ".x", h + "." + p,
                    h + ".." + s, "%s.%s.%s" % (h, p + "=", s),
                    "%s.%s.%s" % (h, "@@@@", s),
                    "%s.%s.%s" % (ft.b64url("not json"), p, s),
                    "%s.%s.%s" % (ft.b64url("[]"), p, s),
                    "%s.%s.%s" % (h, ft.b64url("[1]"), s),
                    "%s.%s.%s" % (h, ft.b64url('"x"'), s),
                    good.replace(".", "..", 1), "Bearer " + good,
                    good.replace(".", " ", 1)):
            with self.subTest(token=tok[:40]):
                self.refused(tok)

    def test_raw_json_segments_signed(self):
        # Well-signed but the claims are not an object / not JSON.
        for payload in (b"[]", b"not json", b'"sub"', b"{}", b"{\"sub\":"):
            with self.subTest(payload=payload):
                self.refused(self.mint(str(self.uid), payload=payload))

    def test_64k_token(self):
        tok = self.mint(str(self.uid), payload={"pad": "x" * 65536})
        r = self.api("GET", PROBE, token=tok)
        self.assertIn(r.status, (400, 401, 431), repr(r))
        body = r.json()
        self.assertEqual(list(body), ["detail"], repr(r))
        self.assertIsInstance(body["detail"], str)
        self.assert_no_leak(r)
        self.assertEqual(self.api("GET", "/healthz").status, 200)

    def test_other_schemes_not_credentials(self):
        for value in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer"):
            with self.subTest(value=value):
                r = self.api("GET", PROBE, headers={"Authorization": value})
                self.assertEqual(r.status, 401, repr(r))
                self.assertIn(r.json(), ({"detail": "Not authenticated"},
                                         {"detail": "Invalid token"}))
                self.assertRegex(r.headers.get("WWW-Authenticate", ""),
                                 r"^Bearer\b")

    def test_invalid_token_everywhere(self):
        bad = self.mint(str(self.uid), key=b"z" * 32)
        target = self.make_user()
        for method, path in (("GET", "/users/me/feed"), ("GET", "/me/feed"),
                             ("POST", "/users/%d/follow" % target),
                             ("DELETE", "/users/%d/follow" % target),
                             ("GET", "/users/me/relationships?ids=1"),
                             ("GET", "/users/%d" % target)):
            with self.subTest(method=method, path=path):
                self.assert_invalid(self.api(method, path, token=bad))


class Cookies(ft.TestCase):

    def setUp(self):
        self.need_keys()
        self.uid = self.make_user()
        self.target = self.make_user()
        self.tok = self.mint(str(self.uid))

    def test_cookie_get(self):
        r = self.api("GET", PROBE, cookie=self.tok)
        self.assert_status(r, 200)
        self.assertEqual(r.json()["id"], self.uid)
        self.assertIn("no-store", r.headers.get("Cache-Control", ""))

    def test_cookie_among_others(self):
        r = self.api("GET", PROBE, headers={
            "Cookie": "a=1; %s=%s; b=2" % (self.stack.cookie, self.tok)})
        self.assert_status(r, 200)
        self.assertEqual(r.json()["id"], self.uid)

    def test_bad_cookie_invalid_token(self):
        r = self.api("GET", PROBE, cookie=self.mint(str(self.uid),
                                                   key=b"q" * 32))
        self.assert_error(r, 401, "Invalid token")

    def test_other_cookie_is_no_credential(self):
        r = self.api("GET", PROBE, headers={"Cookie": "other=" + self.tok})
        self.assert_error(r, 401, "Not authenticated")

    def test_cookie_post_without_origin_refused(self):
        r = self.api("POST", "/users/%d/follow" % self.target,
                     cookie=self.tok)
        self.assert_error(r, 403, "Cross-site request refused")
        self.assertEqual(self.count_follows(self.uid, self.target), 0)

    def test_cookie_post_foreign_origin_refused(self):
        origin = self.stack.origin
        for bad in ("https://evil.example", "null", origin + ".evil.example",
                    origin + ":8443", origin.replace("https:", "http:"),
                    origin + "/", origin + " https://evil.example",
                    "https://evil.example " + origin):
            with self.subTest(origin=bad):
                r = self.api("POST", "/users/%d/follow" % self.target,
                             cookie=self.tok, headers={"Origin": bad})
                self.assert_error(r, 403, "Cross-site request refused")
        self.assertEqual(self.count_follows(self.uid, self.target), 0)

    def test_cookie_delete_without_origin_refused(self):
        self.follow_sql(self.uid, self.target)
        r = self.api("DELETE", "/users/%d/follow" % self.target,
                     cookie=self.tok)
        self.assert_error(r, 403, "Cross-site request refused")
        self.assertEqual(self.count_follows(self.uid, self.target), 1)

    def test_cookie_post_allowed_origin(self):
        r = self.api("POST", "/users/%d/follow" % self.target,
                     cookie=self.tok, headers={"Origin": self.stack.origin})
        self.assert_status(r, 200)
        self.assertEqual(r.json(), {"following": True, "follower_count": 1})
        r = self.api("DELETE", "/users/%d/follow" % self.target,
                     cookie=self.tok, headers={"Origin": self.stack.origin})
        self.assert_status(r, 200)
        self.assertEqual(r.json(), {"following": False, "follower_count": 0})

    def test_bearer_post_needs_no_origin(self):
        r = self.api("POST", "/users/%d/follow" % self.target, token=self.tok)
        self.assert_status(r, 200)
        r = self.api("DELETE", "/users/%d/follow" % self.target,
                     token=self.tok,
                     headers={"Origin": "https://evil.example"})
        self.assert_status(r, 200)


if __name__ == "__main__":
    ft.main()
