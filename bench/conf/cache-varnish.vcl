vcl 4.1;
# Varnish in front of the origin (bench/cache.sh): default VCL logic (a response with
# Cache-Control: max-age=3600 is stored for an hour), plus X-Cache: HIT/MISS for the hit checks.
# Storage (-s malloc,...) and threads are set on the varnishd command line.
backend origin {
  .host = "127.0.0.1";
  .port = "@ORIGIN_PORT@";
}

sub vcl_deliver {
  if (obj.hits > 0) {
    set resp.http.X-Cache = "HIT";
  } else {
    set resp.http.X-Cache = "MISS";
  }
}
