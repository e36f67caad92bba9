"""tests/browser/test_browser.py: follow.js in a real headless Chromium.

Starts a stack (followtest), the PHP demo site over HTTPS beside it
(demo/site/up) and Debian's chromium through python3-selenium and
chromedriver, then clicks through the demo like a person: log in, follow
and unfollow from a profile (counts change, rows appear and go), follow
with the keyboard only, scroll a big follower list across many cursor
pages, read the feed, see the login event for an expired cookie, and see
an optimistic follow rolled back.  Every page must load without a console
error or CSP violation under the site's strict CSP.  Screenshots of the
profile, list and feed pages go to tests/browser/screenshots/ in the build
tree.  It must never leave the demo site running, never download a
browser, and never wait without a time limit.
"""

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("FOLLOW_SRCDIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("FOLLOW_BUILDDIR") or SRC
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import followtest as ft  # noqa: E402

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:
    webdriver = None

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = os.path.join(BUILD, "tests", "browser", "screenshots")
BIG = 250        # followers of the big account: 13 pages of 20
WAIT = 30        # seconds any single wait may take


def missing():
    if webdriver is None:
        return "python3-selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return "%s is missing (chromium, chromium-driver)" % path
    if not shutil.which("php-fpm8.2") and not any(
            n.startswith("php-fpm") for n in os.listdir("/usr/sbin")):
        return "php-fpm is not installed"
    return None


# ---------------------------------------------------------------- demo site

_demo_state = None


def _demo_down():
    global _demo_state
    state, _demo_state = _demo_state, None
    if state:
        subprocess.run([os.path.join(SRC, "demo", "site", "down"), state],
                       stdin=subprocess.DEVNULL, timeout=60)


def _on_signal(signum, frame):
    # Before followtest's handler removes the stack's directory.
    _demo_down()
    ft._on_signal(signum, frame)


def demo_up(stack):
    """Start demo/site/up beside the stack; return its FOLLOW_DEMO_* dict."""
    global _demo_state
    env = dict(os.environ, FOLLOW_DEMO_SEED="0")
    # Registered after followtest's, so it runs first at exit.
    atexit.register(_demo_down)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _on_signal)
    _demo_state = stack.state
    r = subprocess.run([os.path.join(SRC, "demo", "site", "up"),
                        stack.state], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if r.returncode != 0:
        raise ft.StackError("demo/site/up failed: %s" %
                            r.stderr.decode()[-1500:])
    return ft._parse_assignments(r.stdout.decode())


class Browser(ft.TestCase):
    """One Chromium for the class, logged in as a fresh user."""

    driver = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo = demo_up(cls.stack)
        cls.url = cls.demo["FOLLOW_DEMO_URL"]
        cls.profile_dir = tempfile.mkdtemp(prefix="follow-chromium.")
        o = webdriver.ChromeOptions()
        o.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-dev-shm-usage", "--ignore-certificate-errors",
                  "--window-size=1100,900", "--no-first-run",
                  "--disable-extensions", "--disable-background-networking",
                  "--user-data-dir=" + cls.profile_dir):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        cls.driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                      options=o)
        cls.driver.set_page_load_timeout(WAIT)
        cls.driver.set_script_timeout(WAIT)
        os.makedirs(SHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        if cls.driver is not None:
            try:
                cls.driver.quit()
            except Exception:
                pass
        shutil.rmtree(getattr(cls, "profile_dir", ""), ignore_errors=True)
        _demo_down()
        super().tearDownClass()

    # -- helpers

    def setUp(self):
        self.drain_console()

    def go(self, path):
        self.driver.get(self.url + path.lstrip("/"))

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def until(self, what, fn, timeout=WAIT):
        end = time.monotonic() + timeout
        last = None
        while time.monotonic() < end:
            try:
                last = fn()
                if last:
                    return last
            except WebDriverException as e:
                last = e
            time.sleep(0.1)
        self.fail("timed out waiting for %s (last: %r)" % (what, last))

    def css(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(SHOTS, name + ".png"))

    def drain_console(self):
        try:
            return self.driver.get_log("browser")
        except WebDriverException:
            return []

    def assert_console_clean(self, allow=()):
        """No console error (CSP violations are errors) except allowed
        substrings, e.g. the 401 a test provoked on purpose."""
        bad = [e["message"] for e in self.drain_console()
               if e.get("level") in ("SEVERE", "ERROR")
               and not any(a in e["message"] for a in allow)]
        self.assertEqual(bad, [], "console errors")

    def login(self, username):
        self.go("login.php")
        box = self.css("#username")
        box.clear()
        box.send_keys(username)
        self.css("form.login button").click()
        self.until("the profile after login",
                   lambda: "profile.php" in self.driver.current_url)

    def button_state(self, selector="#follow"):
        b = self.css(selector)
        return (b.get_attribute("aria-pressed"), b.text,
                b.get_attribute("aria-busy"))

    def wait_relations(self):
        self.until("follow.js to start",
                   lambda: self.js("return !!(window.FollowKit && "
                                   "FollowKit.started())"))

    def wait_button(self, pressed, selector="#follow"):
        return self.until("button aria-pressed=%s" % pressed,
                          lambda: self.button_state(selector)[0] == pressed
                          and self.button_state(selector)[2] is None)

    def count_text(self, uid):
        return self.css('[data-follow-count="%d"]' % uid).text

    def follows(self, a, b):
        return self.count_follows(follower=a, following=b)

    def wait_db(self, a, b, n):
        self.until("user_follows(%d, %d) count %d" % (a, b, n),
                   lambda: self.follows(a, b) == n, timeout=10)


class KitBrowser(Browser):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls("test_01_login")
        cls.me_name = ft.unique_name("me")
        cls.me = t.make_user(cls.me_name, "Me Myself")
        cls.target = t.make_user(display_name="Target Person")
        cls.big = t.make_user(display_name="Big Account")
        # Many followers, each followed a second apart, in one statement.
        t.sql("WITH f AS (INSERT INTO users (username, display_name) "
              "SELECT %s || g, 'Fan ' || g FROM generate_series(1, %s) g "
              "RETURNING id) INSERT INTO user_follows (follower_id, "
              "following_id, created_at) SELECT id, %s, now() - "
              "make_interval(secs => id) FROM f",
              (ft.unique_name("fan") + "_", BIG, cls.big))
        cls.login_done = False

    def test_01_login(self):
        self.login(self.me_name)
        c = self.driver.get_cookie(self.stack.cookie)
        self.assertIsNotNone(c)
        self.assertTrue(c["httpOnly"] and c["secure"], c)
        self.assertEqual(c.get("sameSite"), "Lax", c)
        self.assertIn("Me Myself", self.css("header.site").text)
        type(self).login_done = True
        self.assert_console_clean()

    def need_login(self):
        if not self.login_done:
            self.login(self.me_name)
            type(self).login_done = True

    def test_02_follow_and_unfollow_from_profile(self):
        self.need_login()
        self.go("profile.php?id=%d" % self.target)
        self.wait_relations()
        self.wait_button("false")
        self.assertEqual(self.button_state()[1], "Follow")
        self.assertEqual(self.count_text(self.target), "0")
        self.css("#follow").click()
        self.wait_button("true")
        self.assertEqual(self.button_state()[1], "Following")
        self.until("count 1", lambda: self.count_text(self.target) == "1")
        self.wait_db(self.me, self.target, 1)
        self.shot("profile")
        self.css("#follow").click()
        self.wait_button("false")
        self.until("count 0", lambda: self.count_text(self.target) == "0")
        self.wait_db(self.me, self.target, 0)
        self.assertEqual(self.counters(self.target), (0, 0))
        self.assert_console_clean()

    def test_03_keyboard_only_follow(self):
        self.need_login()
        self.go("profile.php?id=%d" % self.target)
        self.wait_relations()
        self.wait_button("false")
        self.js("document.activeElement && document.activeElement.blur()")
        body = self.css("body")
        body.send_keys(Keys.TAB)
        for _ in range(30):
            if self.js("return document.activeElement.id") == "follow":
                break
            self.driver.switch_to.active_element.send_keys(Keys.TAB)
        self.assertEqual(self.js("return document.activeElement.id"),
                         "follow", "Tab never reached the button")
        self.driver.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait_button("true")
        self.wait_db(self.me, self.target, 1)
        self.assertEqual(self.js("return document.activeElement.id"),
                         "follow", "focus left the button")
        self.driver.switch_to.active_element.send_keys(Keys.SPACE)
        self.wait_button("false")
        self.wait_db(self.me, self.target, 0)
        self.assert_console_clean()

    def test_04_big_follower_list_scrolls_without_duplicates(self):
        self.need_login()
        expected = {r[0] for r in self.sql(
            "SELECT follower_id FROM user_follows WHERE following_id = %s",
            (self.big,))}
        self.assertEqual(len(expected), BIG)
        self.go("list.php?kind=followers&id=%d" % self.big)
        self.until("the first page", lambda: self.js(
            "return document.querySelectorAll('#list li').length") >= 20)
        self.shot("list")
        # Followers added while the reader scrolls come first in the list
        # (most recent follow first): they must not shift the later pages.
        late = self.make_users(3)
        for u in late:
            self.follow_sql(u, self.big)
        end = time.monotonic() + 90
        while time.monotonic() < end:
            n = self.js("window.scrollTo(0, document.body.scrollHeight);"
                        "return document.querySelectorAll('#list li')"
                        ".length")
            if n >= BIG and self.js(
                    "return document.querySelector('.follow-pager__more')"
                    ".hidden"):
                break
            time.sleep(0.2)
        ids = [int(x) for x in self.js(
            "return Array.from(document.querySelectorAll('#list li'))"
            ".map(function (li) { return li.getAttribute('data-id'); })")]
        self.assertEqual(len(ids), len(set(ids)), "duplicates in the list")
        self.assertEqual(set(ids), expected, "gaps or strangers")
        pages = self.js(
            "return performance.getEntriesByType('resource').filter("
            "function (e) { return e.name.indexOf('/followers?') >= 0; })"
            ".length")
        self.assertGreaterEqual(pages, BIG // 20, "pages fetched")
        self.assert_console_clean()

    def test_05_feed_shows_exactly_followed_published_posts(self):
        self.need_login()
        a1, a2, a3 = self.make_users(3, display_name="Author")
        for a in (a1, a2):
            self.follow_sql(self.me, a)
        want = [self.make_post(a1, title="one", tags=("c", "sql")),
                self.make_post(a2, title="two"),
                self.make_post(a1, title="three")]
        self.make_post(a1, title="draft", status="draft")
        self.make_post(a2, title="gone", deleted=True)
        self.make_post(a3, title="not followed")
        self.make_post(self.me, title="mine")
        self.go("feed.php")
        self.until("the feed", lambda: self.js(
            "var f = document.getElementById('feed');"
            "return f.getAttribute('aria-busy') === 'false' && "
            "f.hasAttribute('data-loaded')"))
        got = [int(x) for x in self.js(
            "return Array.from(document.querySelectorAll('#feed article'))"
            ".map(function (a) { return a.getAttribute('data-id'); })")]
        self.assertEqual(got, list(reversed(want)), "newest first, exactly")
        self.assertIn("three", self.css("#feed article").text)
        self.shot("feed")
        self.assert_console_clean()

    def test_06_rollback_when_the_follow_fails(self):
        self.need_login()
        gone = self.make_user(display_name="Leaving Soon")
        self.go("profile.php?id=%d" % gone)
        self.wait_relations()
        self.wait_button("false")
        self.sql("UPDATE users SET is_active = false WHERE id = %s", (gone,))
        self.css("#follow").click()
        self.until("the error message", lambda: "User not found" in
                   self.css(".follow-toast").text)
        self.wait_button("false")
        self.assertEqual(self.count_text(gone), "0")
        self.assertEqual(self.follows(self.me, gone), 0)
        self.assert_console_clean(allow=("status of 404",))

    def test_07_expired_cookie_fires_login_event(self):
        self.need_login()
        now = int(time.time())
        expired = self.mint(str(self.me), iat=now - 7200, exp=now - 3600)
        self.driver.delete_cookie(self.stack.cookie)
        self.driver.add_cookie({"name": self.stack.cookie, "value": expired,
                                "path": "/", "secure": True,
                                "httpOnly": True, "sameSite": "Lax"})
        self.go("feed.php")
        self.until("follow:login", lambda: self.js(
            "return document.body.getAttribute('data-login-event')"))
        self.assertEqual(self.js(
            "return document.body.getAttribute('data-login-event')"),
            "Invalid token")
        self.assertTrue(self.css("#login-banner").is_displayed())
        self.assertFalse(self.css("#feed").find_elements(By.TAG_NAME,
                                                         "article"))
        self.assert_console_clean(allow=("status of 401",))
        type(self).login_done = False

    def test_08_logout_revokes_sessions(self):
        self.need_login()
        token = self.driver.get_cookie(self.stack.cookie)["value"]
        self.css("form.site__logout button").click()
        self.until("the login page",
                   lambda: "login.php" in self.driver.current_url)
        self.assertIsNone(self.driver.get_cookie(self.stack.cookie))
        self.assertIsNotNone(self.sql1(
            "SELECT sessions_revoked_at FROM users WHERE id = %s",
            (self.me,)))
        r = self.api("GET", "/users/me/feed", token=token)
        self.assert_error(r, 401, "Invalid token")
        type(self).login_done = False
        self.assert_console_clean()

    # Runs in every page before its scripts (CSP does not apply to it):
    # the next /follow calls answer what window.__failNext lists.
    FAKE_FETCH = """
        window.__failNext = [];
        var real = window.fetch.bind(window);
        window.fetch = function (url, opts) {
            if (String(url).indexOf('/follow') < 0 ||
                !window.__failNext.length)
                return real(url, opts);
            var f = window.__failNext.shift();
            if (f === 'network')
                return Promise.reject(new TypeError('Failed to fetch'));
            var d = f === 429 ? 'Too Many Requests' : 'Service unavailable';
            return Promise.resolve(new Response(JSON.stringify({detail: d}),
                {status: f, headers: {'Retry-After': '1',
                 'Content-Type': 'application/json; charset=utf-8'}}));
        };
    """

    def test_09_busy_unavailable_and_network_states(self):
        self.need_login()
        other = self.make_user(display_name="Patient Person")
        sid = self.driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument",
            {"source": self.FAKE_FETCH})["identifier"]
        try:
            self.go("profile.php?id=%d" % other)
            self.wait_relations()
            self.wait_button("false")
            # 429: waits Retry-After, then the follow goes through.
            self.js("window.__failNext = [429]")
            self.css("#follow").click()
            self.until("the retry notice", lambda: "retrying" in
                       self.css(".follow-toast").text)
            self.wait_button("true")
            self.wait_db(self.me, other, 1)
            self.assertEqual(self.count_text(other), "1")
            # 503 every time: rolled back after the retries, with a notice.
            self.js("window.__failNext = [503, 503, 503]")
            self.css("#follow").click()
            self.until("the unavailable notice", lambda: "unavailable" in
                       self.css(".follow-toast").text)
            self.wait_button("true")
            self.assertEqual(self.count_text(other), "1")
            self.assertEqual(self.follows(self.me, other), 1)
            # Network down: rolled back at once.
            self.js("window.__failNext = ['network']")
            self.css("#follow").click()
            self.until("the network notice", lambda: "Network error" in
                       self.css(".follow-toast").text)
            self.wait_button("true")
            self.assertEqual(self.count_text(other), "1")
        finally:
            self.driver.execute_cdp_cmd(
                "Page.removeScriptToEvaluateOnNewDocument",
                {"identifier": sid})
        self.assert_console_clean()

    def test_10_visitor_not_logged_in(self):
        self.driver.delete_all_cookies()
        type(self).login_done = False
        self.go("profile.php?id=%d" % self.target)
        self.wait_relations()
        self.wait_button("false")
        # Looking is allowed: no login prompt until the visitor acts.
        time.sleep(0.5)
        self.assertFalse(self.css("#login-banner").is_displayed())
        self.css("#follow").click()
        self.until("follow:login", lambda: self.js(
            "return document.body.getAttribute('data-login-event')"))
        self.assertIn("Please log in", self.css("#login-banner").text)
        self.wait_button("false")
        self.assertEqual(self.count_text(self.target), "0")
        self.assert_console_clean(allow=("status of 401",))

    def test_11_csp_violations_would_be_seen(self):
        """The console check above is not blind: an inline style, which
        the strict CSP refuses, shows up as an error."""
        self.go("login.php")
        self.drain_console()
        self.js("var d = document.createElement('div');"
                "d.setAttribute('style', 'color: red');"
                "document.body.appendChild(d);")
        time.sleep(0.3)
        msgs = " ".join(e["message"] for e in self.drain_console())
        self.assertIn("Content Security Policy", msgs)


if __name__ == "__main__":
    why = missing()
    if why:
        ft.skip_all(why)
    ft.main()
