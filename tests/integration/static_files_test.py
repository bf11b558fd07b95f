"""Static files (issue 7): a `static:` prefix served from a folder by the real binary.

Serving (types, lengths, validators and 304, ranges and 416, HEAD, folders), safety (every
traversal trick of the issue gets 400 or 404 and never the secret placed beside the root),
versioning (hashed and plain URLs, their Cache-Control, 404 for an unknown hash, the manifest
and `gatehouse assets manifest`), deploy safety (a file changed while serving: old hash still
served, new hash served, plain name updated), precompressed siblings, and TLS (HTTP/1.1 and
HTTP/2 through curl) plus h2c, where bodies take the pread path instead of sendfile.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from admin_support import AdminApi, parse_prometheus
from gatehouse_process import base_config, free_port, gatehouse_bin, to_yaml
from integration_case import IntegrationCase, KiB, MiB
from raw_client import request
from tls_material import curl, missing_tools, test_pki, tls_listener

SECRET = b"TOP-SECRET-outside-the-root-7f3a"
CSS = b"body { color: red; }\n"
WAIT = 10.0


def sha16(data):
    return hashlib.sha256(data).hexdigest()[:16]


def make_tree(base):
    """base/secret.txt outside the root; base/root/ with the files the tests serve."""
    root = os.path.join(base, "root")
    os.makedirs(os.path.join(root, "css"))
    os.makedirs(os.path.join(root, "docs"))
    os.makedirs(os.path.join(root, "img"))
    with open(os.path.join(base, "secret.txt"), "wb") as f:
        f.write(SECRET)
    files = {
        "css/app.css": CSS,
        "img/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "data.weird": b"x" * 100,
        "notes.txt": b"plain text\n",
        "blob.bin": bytes((i * 7 + 3) % 256 for i in range(10000)),
        "big.bin": os.urandom(MiB + 123),
        "docs/index.html": b"<h1>docs</h1>\n",
        "app.js": b"console.log('identity');\n" * 20,
        "app.js.br": b"BROTLI-BYTES",
        "app.js.gz": b"GZIP-BYTES",
        ".env": SECRET,
    }
    for rel, data in files.items():
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
    # Symlinks leading out of the root: a file and a folder.
    os.symlink(os.path.join(base, "secret.txt"), os.path.join(root, "escape.txt"))
    os.symlink(base, os.path.join(root, "evil"))
    # A symlink that stays inside is fine.
    os.symlink("css/app.css", os.path.join(root, "inside.css"))
    return root, files


def kernel_has_tls():
    """Whether this kernel encrypts TLS for a socket (the `tls` upper layer protocol is there,
    built in or as a module already loaded): what OpenSSL's kTLS needs."""
    TCP_ULP = 31
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        with socket.create_connection(srv.getsockname(), timeout=5) as c:
            try:
                c.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
                return True
            except OSError:
                return False


class StaticCase(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.base = tempfile.mkdtemp(prefix="gatehouse-static-")
        self.addCleanup(shutil.rmtree, self.base, True)
        self.root, self.files = make_tree(self.base)
        self.versions = os.path.join(self.base, "versions")
        self.origin_a1 = self.origin("a1")

    def site(self, **extra):
        entry = {"prefix": "/static/", "root": self.root, "versioned": True,
                 "manifest": "/static/manifest.json", "keep_versions": "1h",
                 "versions_dir": self.versions, "index": "index.html",
                 "types": {"weird": "application/x-weird"}}
        entry.update(extra)
        return entry

    def start_static(self, listeners=None, workers=2, admin=False, **extra):
        cfg = base_config([self.origin_a1], workers=workers, static=[self.site(**extra)])
        if listeners:
            cfg["listeners"] = listeners
        if admin:
            token, token_file = "static-token-0123456789abcdef", os.path.join(self.base, "token")
            with open(token_file, "w") as f:
                f.write(token + "\n")
            port = free_port()
            cfg["admin"] = {"address": "127.0.0.1:%d" % port, "token_file": token_file}
            gh = self.gatehouse(cfg)
            self.admin = AdminApi(port, token, token_file)
            self.admin.wait_ready()
            return gh
        return self.gatehouse(cfg)

    def decisions(self):
        """{decision: count} from /metrics."""
        reply = self.admin.get("/metrics")
        self.assertEqual(reply.status, 200)
        family = parse_prometheus(reply.text)["gatehouse_static_decisions_total"]
        return {labels["decision"]: value for _, labels, value in family.samples}

    def get(self, gh, target, headers=(), method="GET"):
        c = self.client(gh)
        c.send(request(method, target, headers))
        return c.read_response(head_request=(method == "HEAD"))

    def manifest(self, gh):
        r = self.get(gh, "/static/manifest.json")
        self.assertStatus(r, 200)
        return r.json()


class ServingTest(StaticCase):
    def setUp(self):
        super().setUp()
        self.gh = self.start_static()

    def test_content_types_from_the_table_and_the_config(self):
        for path, want in [("css/app.css", "text/css; charset=utf-8"), ("img/logo.png", "image/png"),
                           ("notes.txt", "text/plain; charset=utf-8"),
                           ("data.weird", "application/x-weird"),
                           ("blob.bin", "application/octet-stream")]:
            r = self.get(self.gh, "/static/" + path)
            self.assertStatus(r, 200, path)
            self.assertEqual(r.header("content-type"), want, path)
            self.assertEqual(r.header("x-content-type-options"), "nosniff")

    def test_lengths_and_bodies_match_the_files(self):
        for path in ("css/app.css", "blob.bin", "big.bin"):
            r = self.get(self.gh, "/static/" + path)
            self.assertStatus(r, 200, path)
            self.assertEqual(int(r.header("content-length")), len(self.files[path]))
            self.assertEqual(r.body, self.files[path], path)

    def test_many_requests_on_one_keepalive_connection(self):
        c = self.client(self.gh)
        for _ in range(20):
            for path in ("blob.bin", "css/app.css"):
                c.send(request("GET", "/static/" + path))
                r = c.read_response()
                self.assertStatus(r, 200)
                self.assertEqual(r.body, self.files[path])

    def test_if_none_match_gives_304(self):
        r = self.get(self.gh, "/static/css/app.css")
        etag = r.header("etag")
        self.assertTrue(etag.startswith('"') and etag.endswith('"'), etag)
        r2 = self.get(self.gh, "/static/css/app.css", [("If-None-Match", etag)])
        self.assertStatus(r2, 304)
        self.assertEqual(r2.header("etag"), etag)
        self.assertEqual(r2.body, b"")
        r3 = self.get(self.gh, "/static/css/app.css", [("If-None-Match", '"other", ' + etag)])
        self.assertStatus(r3, 304)
        r4 = self.get(self.gh, "/static/css/app.css", [("If-None-Match", '"other"')])
        self.assertStatus(r4, 200)

    def test_if_modified_since_gives_304(self):
        r = self.get(self.gh, "/static/css/app.css")
        last_modified = r.header("last-modified")
        self.assertTrue(last_modified.endswith(" GMT"), last_modified)
        r2 = self.get(self.gh, "/static/css/app.css", [("If-Modified-Since", last_modified)])
        self.assertStatus(r2, 304)
        r3 = self.get(self.gh, "/static/css/app.css",
                      [("If-Modified-Since", "Thu, 01 Jan 1998 00:00:00 GMT")])
        self.assertStatus(r3, 200)
        self.assertEqual(r3.body, CSS)

    def test_ranges_first_last_suffix_and_open(self):
        blob = self.files["blob.bin"]
        cases = [("bytes=0-9", 0, 9), ("bytes=-10", len(blob) - 10, len(blob) - 1),
                 ("bytes=9990-", 9990, 9999), ("bytes=100-199", 100, 199),
                 ("bytes=9995-20000", 9995, 9999)]
        for spec, first, last in cases:
            r = self.get(self.gh, "/static/blob.bin", [("Range", spec)])
            self.assertStatus(r, 206, spec)
            self.assertEqual(r.header("content-range"), "bytes %d-%d/%d" % (first, last, len(blob)))
            self.assertEqual(r.body, blob[first:last + 1], spec)

    def test_ranges_of_a_big_file_take_the_sendfile_path(self):
        big = self.files["big.bin"]
        c = self.client(self.gh)
        for spec, first, last in [("bytes=0-0", 0, 0), ("bytes=-70000", len(big) - 70000, len(big) - 1),
                                  ("bytes=500000-", 500000, len(big) - 1),
                                  ("bytes=65535-65537", 65535, 65537)]:
            c.send(request("GET", "/static/big.bin", [("Range", spec)]))
            r = c.read_response()
            self.assertStatus(r, 206, spec)
            self.assertEqual(r.body, big[first:last + 1], spec)
        c.send(request("HEAD", "/static/big.bin"))
        r = c.read_response(head_request=True)
        self.assertEqual(r.header("content-length"), str(len(big)))
        c.send(request("GET", "/static/big.bin"))
        self.assertEqual(c.read_response().body, big)

    def test_unsatisfiable_range_gives_416(self):
        for spec in ("bytes=10000-", "bytes=20000-30000", "bytes=-0"):
            r = self.get(self.gh, "/static/blob.bin", [("Range", spec)])
            self.assertStatus(r, 416, spec)
            self.assertEqual(r.header("content-range"), "bytes */10000")

    def test_several_ranges_or_a_bad_one_give_the_whole_file(self):
        for spec in ("bytes=0-9,20-29", "bytes=a-b", "items=0-9"):
            r = self.get(self.gh, "/static/blob.bin", [("Range", spec)])
            self.assertStatus(r, 200, spec)
            self.assertEqual(r.body, self.files["blob.bin"])

    def test_issue13_range_fields_the_cache_once_answered_otherwise(self):
        # Issue 13: a static file answered these unlike a cached object (tests/integration/
        # cache_test.py checks both side by side). data.weird holds 100 bytes.
        data = self.files["data.weird"]
        for spec, want in [("BYTES = 5-5", (200, None, data)),  # no whitespace around "="
                           ("BYTES=5-5", (206, "bytes 5-5/100", data[5:6])),
                           ("bytes=0-9,20000-", (206, "bytes 0-9/100", data[:10]))]:
            r = self.get(self.gh, "/static/data.weird", [("Range", spec)])
            self.assertEqual((r.status, r.header("content-range"), r.body), want, spec)

    def test_if_range_keeps_the_range_only_for_the_current_etag(self):
        etag = self.get(self.gh, "/static/blob.bin").header("etag")
        r = self.get(self.gh, "/static/blob.bin", [("Range", "bytes=0-9"), ("If-Range", etag)])
        self.assertStatus(r, 206)
        r = self.get(self.gh, "/static/blob.bin", [("Range", "bytes=0-9"), ("If-Range", '"old"')])
        self.assertStatus(r, 200)
        self.assertEqual(len(r.body), 10000)

    def test_head_has_the_length_and_no_body(self):
        c = self.client(self.gh)
        c.send(request("HEAD", "/static/blob.bin"))
        r = c.read_response(head_request=True)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("content-length"), "10000")
        # The next response on the connection starts right after the head: no body was sent.
        c.send(request("GET", "/static/css/app.css"))
        r2 = c.read_response()
        self.assertStatus(r2, 200)
        self.assertEqual(r2.body, CSS)

    def test_folders_serve_their_index_or_redirect_to_the_slash(self):
        r = self.get(self.gh, "/static/docs/")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, self.files["docs/index.html"])
        self.assertEqual(r.header("content-type"), "text/html; charset=utf-8")
        r = self.get(self.gh, "/static/docs")
        self.assertStatus(r, 301)
        self.assertEqual(r.header("location"), "/static/docs/")
        self.assertStatus(self.get(self.gh, "/static/img/"), 404)  # no index there
        os.makedirs(os.path.join(self.root, "a b"))
        with open(os.path.join(self.root, "a b", "index.html"), "wb") as f:
            f.write(b"spaced")
        r = self.get(self.gh, "/static/a%20b?x=1")
        self.assertEqual((r.status, r.header("location")), (301, "/static/a%20b/"))
        self.assertEqual(self.get(self.gh, "/static/a%20b/").body, b"spaced")

    def test_missing_files_and_other_methods(self):
        self.assertStatus(self.get(self.gh, "/static/nope.css"), 404)
        r = self.get(self.gh, "/static/css/app.css", method="DELETE")
        self.assertStatus(r, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD")

    def test_static_prefixes_come_before_routes(self):
        r = self.get(self.gh, "/hello")
        self.assertStatus(r, 200)
        self.assertEqual(r.header("x-origin"), "a1")
        r = self.get(self.gh, "/static/css/app.css")
        self.assertIsNone(r.header("x-origin"))
        self.assertEqual(r.body, CSS)

    def test_sighup_applies_a_changed_static_section(self):
        self.assertEqual(self.get(self.gh, "/static/data.weird").header("content-type"),
                         "application/x-weird")
        cfg = base_config([self.origin_a1], workers=2,
                          static=[self.site(types={"weird": "text/x-reloaded"})])
        cfg["listeners"] = [{"address": "127.0.0.1:%d" % self.gh.port}]
        with open(self.gh.config_path, "w") as f:
            f.write(to_yaml(cfg))
        self.gh.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.get(self.gh, "/static/data.weird").header("content-type") == "text/x-reloaded":
                break
            time.sleep(0.05)  # polling the observable state, bounded by the deadline
        else:
            self.fail(self.diag("the reloaded type never showed"))
        # The versions still serve after the site was rebuilt.
        self.assertEqual(self.get(self.gh, "/static/css/app.%s.css" % sha16(CSS)).body, CSS)

    def test_a_symlink_inside_the_root_is_served(self):
        r = self.get(self.gh, "/static/inside.css")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, CSS)


class TraversalTest(StaticCase):
    # (raw request-target, allowed statuses)
    CASES = [
        ("/static/../secret.txt", (400,)),
        ("/static/css/../../secret.txt", (400,)),
        ("/static/%2e%2e/secret.txt", (400,)),
        ("/static/%2E%2E/secret.txt", (400,)),
        ("/static/.%2e/secret.txt", (400,)),
        ("/static/%2e%2e%2fsecret.txt", (400,)),
        ("/static/..%2Fsecret.txt", (400,)),
        ("/static/%252e%252e/secret.txt", (400,)),
        ("/static/%252e%252e%252fsecret.txt", (400,)),
        ("/static/..%5csecret.txt", (400,)),
        ("/static/..\\secret.txt", (400,)),
        ("/static/css%5c..%5c..%5csecret.txt", (400,)),
        ("/static/css/app.css%00.txt", (400,)),
        ("/static/%00", (400,)),
        ("/static/%c0%ae%c0%ae/secret.txt", (400,)),
        ("/static/%c0%af", (400,)),
        ("/static/%e0%80%ae%e0%80%ae/secret.txt", (400,)),
        ("/static/%ed%a0%80", (400,)),
        ("/static/%zz", (400,)),
        ("/static/escape.txt", (404,)),
        ("/static/evil/secret.txt", (404,)),
        ("/static/evil/root/css/app.css", (404,)),
        ("/static/.env", (404,)),
        ("/static/css/.hidden", (404,)),
        ("/static/%2eenv", (404,)),
    ]

    def test_nothing_outside_the_root_is_ever_served(self):
        gh = self.start_static()
        for target, statuses in self.CASES:
            c = self.client(gh)
            c.send(request("GET", target))
            r = c.read_response()
            self.assertIn(r.status, statuses, self.diag("%s -> %r" % (target, r)))
            self.assertNotIn(SECRET, r.body, target)
            self.assertNotIn(SECRET, r.raw_head, target)

    def test_each_refusal_is_counted(self):
        gh = self.start_static(admin=True)
        for target, _ in self.CASES:
            c = self.client(gh)
            c.send(request("GET", target))
            c.read_response()
        d = self.decisions()
        expected = {"refused_traversal": 5, "refused_encoded_slash": 4, "refused_bad_encoding": 7,
                    "refused_backslash": 1, "refused_nul": 2, "refused_symlink": 3,
                    "refused_dotfile": 3}
        self.assertEqual({k: d[k] for k in expected}, expected, d)
        self.assertEqual(sum(expected.values()), len(self.CASES))

    def test_symlinks_out_of_the_root_are_followed_only_when_allowed(self):
        gh = self.start_static(allow_symlinks=True)
        r = self.get(gh, "/static/escape.txt")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, SECRET)
        # ...and `..` stays refused whatever the symlink setting.
        self.assertStatus(self.get(gh, "/static/../secret.txt"), 400)

    def test_dotfiles_when_allowed(self):
        gh = self.start_static(dotfiles=True)
        self.assertStatus(self.get(gh, "/static/.env"), 200)
        self.assertStatus(self.get(gh, "/static/%2e%2e/secret.txt"), 400)


class VersioningTest(StaticCase):
    def test_plain_and_hashed_urls_and_their_headers(self):
        gh = self.start_static()
        h = sha16(CSS)
        plain = self.get(gh, "/static/css/app.css")
        self.assertStatus(plain, 200)
        self.assertEqual(plain.header("cache-control"), "no-cache")
        self.assertEqual(plain.header("etag"), '"%s"' % h)
        hashed = self.get(gh, "/static/css/app.%s.css" % h)
        self.assertStatus(hashed, 200)
        self.assertEqual(hashed.body, CSS)
        self.assertEqual(hashed.header("cache-control"), "public, max-age=31536000, immutable")
        self.assertEqual(hashed.header("content-type"), "text/css; charset=utf-8")
        self.assertEqual(hashed.header("etag"), '"%s"' % h)
        self.assertStatus(self.get(gh, "/static/css/app.%s.css" % h,
                                   [("If-None-Match", '"%s"' % h)]), 304)

    def test_an_unknown_hash_is_404_never_other_content(self):
        gh = self.start_static()
        for bad in ("0000000000000000", sha16(b"other"), sha16(CSS)[:-1] + "0"):
            r = self.get(gh, "/static/css/app.%s.css" % bad)
            self.assertStatus(r, 404, bad)
            self.assertNotIn(CSS, r.body)

    def test_files_without_extension_and_with_two_dots(self):
        with open(os.path.join(self.root, "LICENSE"), "wb") as f:
            f.write(b"MIT\n")
        with open(os.path.join(self.root, "lib.min.js"), "wb") as f:
            f.write(b"min();\n")
        gh = self.start_static()
        m = self.manifest(gh)
        self.assertEqual(m["LICENSE"], "/static/LICENSE.%s" % sha16(b"MIT\n"))
        self.assertEqual(m["lib.min.js"], "/static/lib.min.%s.js" % sha16(b"min();\n"))
        self.assertEqual(self.get(gh, m["LICENSE"]).body, b"MIT\n")
        self.assertEqual(self.get(gh, m["lib.min.js"]).body, b"min();\n")

    def test_a_real_file_that_looks_hashed_is_served_as_itself(self):
        name = "vendor.0123456789abcdef.js"  # fingerprinted by a bundler, no plain sibling
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(b"vendor();\n")
        gh = self.start_static()
        r = self.get(gh, "/static/" + name)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"vendor();\n")
        self.assertEqual(r.header("cache-control"), "no-cache")

    def test_old_versions_expire_after_keep_versions(self):
        gh = self.start_static(keep_versions="3s")
        old_url = "/static/css/app.%s.css" % sha16(CSS)
        new = b"body { color: teal; }\n"
        self.deploy("css/app.css", new)
        self.wait_for_manifest(gh, "css/app.css", "/static/css/app.%s.css" % sha16(new))
        self.assertEqual(self.get(gh, old_url).body, CSS)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r = self.get(gh, old_url)
            if r.status == 404:
                break
            self.assertEqual(r.body, CSS)
            time.sleep(0.2)  # waiting for keep_versions to pass, bounded by the deadline
        else:
            self.fail(self.diag("the old version was still served 20 s after a 3 s keep"))
        copy = os.path.join(self.versions, "css/app.%s.css" % sha16(CSS))
        while os.path.exists(copy) and time.monotonic() < deadline:
            time.sleep(0.2)  # the sweep runs every second here
        self.assertFalse(os.path.exists(copy), "the sweep never deleted the expired copy")
        self.assertTrue(os.path.exists(os.path.join(self.versions, "css/app.%s.css" % sha16(new))))

    def test_the_manifest_maps_plain_paths_to_hashed_urls(self):
        gh = self.start_static()
        r = self.get(gh, "/static/manifest.json")
        self.assertStatus(r, 200)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.header("cache-control"), "no-cache")
        m = r.json()
        self.assertEqual(m["css/app.css"], "/static/css/app.%s.css" % sha16(CSS))
        self.assertEqual(m["big.bin"], "/static/big.%s.bin" % sha16(self.files["big.bin"]))
        self.assertNotIn(".env", m)                # dotfiles are not served
        self.assertNotIn("app.js.br", m)           # siblings follow their file
        self.assertIn("app.js", m)
        for plain, url in m.items():
            if os.path.islink(os.path.join(self.root, plain)):
                continue
            r = self.get(gh, url)
            self.assertStatus(r, 200, url)
            self.assertEqual(r.body, self.files[plain], url)
        etag = self.get(gh, "/static/manifest.json").header("etag")
        self.assertStatus(self.get(gh, "/static/manifest.json", [("If-None-Match", etag)]), 304)

    def test_the_cli_prints_the_same_manifest(self):
        gh = self.start_static()
        served = self.manifest(gh)
        out = subprocess.run([gatehouse_bin(), "assets", "manifest", self.root, "--prefix", "/static/"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout), served)
        bare = subprocess.run([gatehouse_bin(), "assets", "manifest", self.root],
                              capture_output=True, timeout=30)
        self.assertEqual(json.loads(bare.stdout)["css/app.css"], "css/app.%s.css" % sha16(CSS))
        missing = subprocess.run([gatehouse_bin(), "assets", "manifest", self.base + "/nope"],
                                 capture_output=True, timeout=30)
        self.assertEqual(missing.returncode, 1)

    def wait_for_manifest(self, gh, plain, url, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.manifest(gh)
            if m.get(plain) == url:
                return m
            time.sleep(0.05)  # polling the observable state, bounded by the deadline
        self.fail(self.diag("manifest never showed %s -> %s; last: %r" % (plain, url, m)))

    def deploy(self, rel, data, in_place=False):
        path = os.path.join(self.root, rel)
        if in_place:
            with open(path, "wb") as f:
                f.write(data)
            return
        tmp = path + ".deploy-tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)

    def check_change(self, in_place):
        gh = self.start_static()
        old_hash, new = sha16(CSS), b"body { color: blue; }\n"
        # Warm the open-file caches of both workers on the old version.
        for _ in range(4):
            self.assertEqual(self.get(gh, "/static/css/app.css").body, CSS)
        self.deploy("css/app.css", new, in_place=in_place)
        self.wait_for_manifest(gh, "css/app.css", "/static/css/app.%s.css" % sha16(new))
        for _ in range(4):  # every worker, whichever takes the connection
            old = self.get(gh, "/static/css/app.%s.css" % old_hash)
            self.assertStatus(old, 200)
            self.assertEqual(old.body, CSS)
            self.assertEqual(old.header("cache-control"), "public, max-age=31536000, immutable")
            fresh = self.get(gh, "/static/css/app.%s.css" % sha16(new))
            self.assertStatus(fresh, 200)
            self.assertEqual(fresh.body, new)
            plain = self.get(gh, "/static/css/app.css")
            self.assertEqual(plain.body, new)
            self.assertEqual(plain.header("etag"), '"%s"' % sha16(new))
        # A new file shows up too; a deleted one leaves the manifest (its old hash is kept).
        self.deploy("css/extra.css", b"p {}\n")
        self.wait_for_manifest(gh, "css/extra.css", "/static/css/extra.%s.css" % sha16(b"p {}\n"))

    def test_a_changed_file_keeps_its_old_version_atomic_rename(self):
        self.check_change(in_place=False)

    def test_a_changed_file_keeps_its_old_version_overwritten_in_place(self):
        self.check_change(in_place=True)

    def test_without_keep_versions_an_old_hash_is_404(self):
        gh = self.start_static(keep_versions="0s")
        old_hash, new = sha16(CSS), b"body { color: green; }\n"
        self.deploy("css/app.css", new)
        self.wait_for_manifest(gh, "css/app.css", "/static/css/app.%s.css" % sha16(new))
        self.assertStatus(self.get(gh, "/static/css/app.%s.css" % old_hash), 404)
        self.assertEqual(self.get(gh, "/static/css/app.%s.css" % sha16(new)).body, new)

    def test_old_versions_survive_a_restart(self):
        gh = self.start_static()
        new = b"body { color: pink; }\n"
        self.deploy("css/app.css", new)
        self.wait_for_manifest(gh, "css/app.css", "/static/css/app.%s.css" % sha16(new))
        gh.stop()
        gh2 = self.start_static()
        self.assertEqual(self.get(gh2, "/static/css/app.%s.css" % sha16(CSS)).body, CSS)


class PrecompressedTest(StaticCase):
    def test_the_sibling_the_client_accepts_is_served(self):
        gh = self.start_static()
        cases = [("br, gzip", b"BROTLI-BYTES", "br"), ("gzip", b"GZIP-BYTES", "gzip"),
                 ("gzip;q=1, br;q=0", b"GZIP-BYTES", "gzip"), ("identity", None, None),
                 ("*", b"BROTLI-BYTES", "br"), (None, None, None)]
        etags = set()
        for accept, body, coding in cases:
            headers = [("Accept-Encoding", accept)] if accept else []
            r = self.get(gh, "/static/app.js", headers)
            self.assertStatus(r, 200, accept)
            self.assertEqual(r.body, body or self.files["app.js"], accept)
            self.assertEqual(r.header("content-encoding"), coding, accept)
            self.assertEqual(r.header("vary"), "Accept-Encoding", accept)
            self.assertEqual(r.header("content-type"), "text/javascript; charset=utf-8")
            etags.add((coding, r.header("etag")))
        self.assertEqual(len({e for _, e in etags}), 3, etags)  # one ETag per encoding
        # The hashed URL of the current version gets the siblings too.
        h = sha16(self.files["app.js"])
        r = self.get(gh, "/static/app.%s.js" % h, [("Accept-Encoding", "br")])
        self.assertEqual((r.status, r.body, r.header("content-encoding")), (200, b"BROTLI-BYTES", "br"))

    def test_files_without_siblings_have_no_vary(self):
        gh = self.start_static()
        r = self.get(gh, "/static/css/app.css", [("Accept-Encoding", "br, gzip")])
        self.assertIsNone(r.header("vary"))
        self.assertIsNone(r.header("content-encoding"))

    def test_precompressed_off(self):
        gh = self.start_static(precompressed=False)
        r = self.get(gh, "/static/app.js", [("Accept-Encoding", "br")])
        self.assertEqual(r.body, self.files["app.js"])
        self.assertIsNone(r.header("content-encoding"))


class TlsAndHttp2Test(StaticCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if missing_tools("openssl", "curl"):
            raise unittest.SkipTest("openssl and curl are needed")
        cls.pki = test_pki()

    def start_tls(self):
        self.tls_port, self.h2c_port = free_port(), free_port()
        listeners = [tls_listener(self.tls_port, [self.pki.a]),
                     {"address": "127.0.0.1:%d" % self.h2c_port, "h2c": True}]
        return self.start_static(listeners=listeners)

    def curl(self, path, http, extra=(), port=None):
        return curl(port or self.tls_port, path, cafile=self.pki.ca, http=http, extra=list(extra))

    def test_files_over_tls_with_http1_and_http2(self):
        self.start_tls()
        for http, version in (("--http1.1", "1.1"), ("--http2", "2")):
            for path in ("big.bin", "blob.bin", "css/app.css"):
                r = self.curl("/static/" + path, http)
                self.assertEqual((r.rc, r.status, r.http_version), (0, 200, version), self.diag(r))
                self.assertEqual(r.body, self.files[path], (http, path))
                self.assertEqual(r.header("content-length"), str(len(self.files[path])))

    def test_ranges_head_and_304_over_http2(self):
        self.start_tls()
        big = self.files["big.bin"]
        r = self.curl("/static/big.bin", "--http2", ["-r", "1000-300000"])
        self.assertEqual((r.rc, r.status), (0, 206), self.diag(r))
        self.assertEqual(r.body, big[1000:300001])
        r = self.curl("/static/big.bin", "--http2", ["-I"])  # curl -I prints the head as body
        self.assertEqual((r.rc, r.status), (0, 200), self.diag(r))
        self.assertTrue(r.body.endswith(b"\r\n\r\n"), r.body[-200:])
        self.assertEqual(r.header("content-length"), str(len(big)))
        etag = r.header("etag")
        r = self.curl("/static/big.bin", "--http2", ["-H", "If-None-Match: " + etag])
        self.assertEqual((r.rc, r.status), (0, 304), self.diag(r))
        r = self.curl("/static/css/app.%s.css" % sha16(CSS), "--http2")
        self.assertEqual(r.header("cache-control"), "public, max-age=31536000, immutable")
        self.assertEqual(r.body, CSS)

    def test_large_file_over_tls_takes_the_counted_path(self):
        """1 MiB + 123 over HTTP/1.1 and TLS arrives intact by sendfile(2) where the kernel does
        TLS (kTLS), else by pread + SSL_write; gatehouse_static_bodies_total{path} says which.
        Plain HTTP/1.1 takes sendfile and h2c the read path, counted the same way."""
        self.tls_port, self.h2c_port = free_port(), free_port()
        listeners = [tls_listener(self.tls_port, [self.pki.a]),
                     {"address": "127.0.0.1:%d" % self.h2c_port, "h2c": True}]
        self.start_static(listeners=listeners, admin=True)
        big = self.files["big.bin"]
        want = hashlib.sha256(big).hexdigest()
        tls_path = "ktls_sendfile" if kernel_has_tls() else "userspace"
        for http, port, path in (("--http1.1", self.tls_port, tls_path),
                                 ("--http2", self.tls_port, "userspace"),
                                 ("--http2-prior-knowledge", self.h2c_port, "userspace"),
                                 ("--http1.1", self.h2c_port, "sendfile")):
            before = self.bodies()
            scheme = "http" if port == self.h2c_port else "https"
            r = curl(port, "/static/big.bin", cafile=self.pki.ca, http=http, scheme=scheme)
            self.assertEqual((r.rc, r.status), (0, 200), self.diag(r))
            self.assertEqual(hashlib.sha256(r.body).hexdigest(), want, (http, port))
            after = self.bodies()
            moved = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
            self.assertEqual(moved, {path: 1}, (http, port))

    def bodies(self):
        """{path: count} of gatehouse_static_bodies_total."""
        reply = self.admin.get("/metrics")
        self.assertEqual(reply.status, 200)
        family = parse_prometheus(reply.text)["gatehouse_static_bodies_total"]
        return {labels["path"]: value for _, labels, value in family.samples}

    def test_h2c_uses_the_read_path(self):
        self.start_tls()
        r = curl(self.h2c_port, "/static/big.bin", http="--http2-prior-knowledge")
        self.assertEqual((r.rc, r.status, r.http_version), (0, 200, "2"), self.diag(r))
        self.assertEqual(r.body, self.files["big.bin"])

    def test_many_parallel_http2_streams(self):
        self.start_tls()
        urls = []
        for i in range(20):
            urls += ["-o", "/dev/null", "https://a.test:%d/static/big.bin" % self.tls_port]
        args = ["curl", "-sS", "--http2", "--parallel", "--parallel-max", "20", "--max-time", "60",
                "--resolve", "a.test:%d:127.0.0.1" % self.tls_port, "--cacert", self.pki.ca,
                "-w", "%{http_code} %{size_download}\n"] + urls
        out = subprocess.run(args, capture_output=True, timeout=90)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.decode().split()
        self.assertEqual(lines.count("200"), 20, lines)
        self.assertEqual(lines.count(str(len(self.files["big.bin"]))), 20, lines)


if __name__ == "__main__":
    unittest.main()
