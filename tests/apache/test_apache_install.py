"""Install without root, then serve through mod_fcgid from the prefix.

What doc/shared-hosting.md tells a user with a home directory and a
database login, done as an unprivileged user: the release's files (make
distdir, i.e. the tarball's contents) are configured with
--prefix=$HOME/follow, built and installed; the installed sql/migrate
creates the tables with a database owner that is no superuser and may not
create roles or databases; the installed followctl makes the key file; an
Apache built from the installed follow-fcgid.conf serves the installed
binary, and a follow through it works.
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apachetest as at  # noqa: E402

ft = at.ft


def run(argv, cwd=None, timeout=300):
    r = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace")


class Install(ft.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        parent = os.environ.get("FOLLOW_STATE_PARENT") or \
            tempfile.gettempdir()
        cls.tmp = tempfile.mkdtemp(prefix="follow-install.", dir=parent)
        os.chmod(cls.tmp, 0o755)
        cls.home = os.path.join(cls.tmp, "home")
        cls.prefix = os.path.join(cls.home, "follow")

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("FOLLOW_KEEP_STATE") != "1":
            shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def user(self, script):
        """Run a bash script as the unprivileged user, HOME=our home."""
        return run(at.as_user(["HOME=" + self.home, "bash", "-euc",
                               script]))

    def test_1_install_as_user(self):
        self.assertNotEqual(at.run_user_ids()[0], 0)
        src = os.path.join(self.tmp, "src")
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        r = subprocess.run(["make", "-s", "distdir", "distdir=" + src],
                           cwd=at.BUILDDIR, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        os.makedirs(self.home)
        uid, gid = at.run_user_ids()
        for root, dirs, files in os.walk(self.tmp):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), uid, gid)
        os.lchown(self.tmp, uid, gid)
        rc, out = self.user(
            'mkdir "$HOME/build" && cd "$HOME/build" && '
            '"%s/configure" --prefix="$HOME/follow" && make -j2 && '
            'make install' % src)
        self.assertEqual(rc, 0, out[-3000:])
        for f in ("bin/follow-fcgi", "bin/followctl",
                  "share/follow-fcgi/sql/migrate",
                  "share/follow-fcgi/sql/001_schema.sql",
                  "share/follow-fcgi/apache/follow-fcgid.conf",
                  "share/follow-fcgi/apache/follow-proxy-fcgi.conf",
                  "share/follow-fcgi/apache/htaccess"):
            self.assertTrue(os.path.exists(os.path.join(self.prefix, f)), f)
            self.assertEqual(os.stat(os.path.join(self.prefix, f)).st_uid,
                             uid, f)

    def test_2_migrate_as_database_owner(self):
        cls = type(self)
        role = "site_owner_%d" % os.getpid()
        cls.dbname = "site_%d" % os.getpid()
        self.sql("CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
                 % role)
        self.sql("CREATE DATABASE %s OWNER %s" % (cls.dbname, role))
        base = " ".join(w for w in self.dsn.split()
                        if not w.startswith(("dbname=", "user=")))
        cls.site_dsn = "%s dbname=%s user=%s" % (base, cls.dbname, role)
        migrate = os.path.join(self.prefix, "share/follow-fcgi/sql/migrate")
        for _ in range(2):      # the second run must skip, harmlessly
            rc, out = self.user('"%s" "%s"' % (migrate, cls.site_dsn))
            self.assertEqual(rc, 0, out)
        self.assertIn("skipped", out)
        self.assertEqual(self.sql(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname = %s", (role,)), [(False, False, False)])

    def test_3_serve_from_prefix_through_mod_fcgid(self):
        cls = type(self)
        etc = os.path.join(self.prefix, "etc")
        keys = os.path.join(etc, "keys")
        conf = os.path.join(etc, "follow-fcgi.conf")
        rc, out = self.user(
            'umask 077; mkdir -p "{etc}"; "{p}/bin/followctl" keygen "{k}"\n'
            'printf "FOLLOW_DSN=%s\\nFOLLOW_KEYFILE=%s\\n" "{dsn}" "{k}"'
            ' > "{c}"'.format(etc=etc, p=self.prefix, k=keys, c=conf,
                              dsn=cls.site_dsn))
        self.assertEqual(rc, 0, out)
        self.assertEqual(os.stat(conf).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(keys).st_mode & 0o777, 0o600)
        site = ft.psycopg2.connect(cls.site_dsn)
        site.autocommit = True
        with site.cursor() as c:
            c.execute("INSERT INTO users (username) VALUES ('ada'), "
                      "('bob') RETURNING id")
            a, b = [row[0] for row in c.fetchall()]
        site.close()
        rc, tok = self.user('"%s/bin/followctl" mint --keyfile "%s" '
                            '--sub %d' % (self.prefix, keys, a))
        self.assertEqual(rc, 0, tok)
        ap = at.start("fcgid", installed=self.prefix, settings=conf)
        port = ap.ports["fcgid"]
        r = ft.http_request("127.0.0.1", port, "GET", "/api/healthz")
        self.assertEqual((r.status, r.json()), (200, {"status": "ok"}),
                         ap.error_log())
        r = ft.http_request("127.0.0.1", port, "POST",
                            "/api/users/%d/follow" % b,
                            {"Authorization": "Bearer " + tok.strip()})
        self.assertEqual((r.status, r.json()), (200, {
            "following": True, "follower_count": 1}), repr(r))
        # It really is the installed binary that answered.
        pids = [p for p in ap.worker_pids() if os.readlink(
            "/proc/%d/exe" % p) == os.path.join(self.prefix, "bin",
                                                "follow-fcgi")]
        self.assertTrue(pids)


if __name__ == "__main__":
    at.skip_unless_ready()
    ft.main()
