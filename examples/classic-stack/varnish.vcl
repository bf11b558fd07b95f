# The classic stack's middle tier, which gatehouse.yaml's `cache:` and routes replace. Run with
# `varnishd -a 127.0.0.1:6081 -f varnish.vcl -s malloc,256m` (cache.memory: 256MiB).
vcl 4.1;
import std;
import xkey;                                     # tags: Surrogate-Key / Cache-Tag in gatehouse

backend haproxy { .host = "127.0.0.1"; .port = "8081";   # to HAProxy (gatehouse: the same process)
                  .connect_timeout = 3s; .first_byte_timeout = 60s; }

acl purge { "127.0.0.1"; "10.0.0.0"/8; }         # cache.purge_from: ["127.0.0.1", "10.0.0.0/8"]

sub vcl_recv {
  if (req.method == "PURGE") {                   # PURGE on the public listeners
    if (!client.ip ~ purge) { return (synth(403, "Not allowed")); }
    if (req.http.xkey) { set req.http.n-gone = xkey.purge(req.http.xkey); return (synth(200)); }
    return (purge);
  }
  if (req.method == "BAN") {                     # BAN /prefix
    if (!client.ip ~ purge) { return (synth(403, "Not allowed")); }
    ban("obj.http.x-url ~ ^" + req.url);
    return (synth(200, "Banned"));
  }
  # cache.anonymous_ignore_cookies: ["_ga", "_gid"] (GET/HEAD, every route, cached or not)
  if (req.method == "GET" || req.method == "HEAD") {
    set req.http.Cookie = regsuball(req.http.Cookie, "(^|;\s*)(_ga|_gid)=[^;]*", "");
    set req.http.Cookie = regsub(req.http.Cookie, "^;\s*", "");
    if (req.http.Cookie ~ "^\s*$") { unset req.http.Cookie; }
  }
  if (req.http.host == "api.example.com" || req.url ~ "^/api/") { return (pass); }  # uncached routes
  if (std.file_exists("/etc/varnish/read-only")) {           # read_only: (ctl read-only on)
    if (req.method != "GET" && req.method != "HEAD") { return (synth(503, "Read-only")); }
    unset req.http.Cookie; unset req.http.Authorization;
  }
}

sub vcl_backend_response {
  set beresp.http.x-url = bereq.url;             # for bans by prefix
  set beresp.grace = 1h;                         # cache.grace: 1h
  if (std.integer(beresp.http.Content-Length, 0) > 8388608) {   # cache.max_object: 8MiB
    set beresp.uncacheable = true;
  }
}

sub vcl_deliver {
  unset resp.http.x-url;
  if (obj.hits > 0) {                            # Cache-Status
    set resp.http.Cache-Status = "varnish; hit";
  } else {
    set resp.http.Cache-Status = "varnish; fwd=miss";
  }
}
