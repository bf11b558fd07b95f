// jemalloc's options, compiled in. jemalloc reads the `malloc_conf` symbol at its first
// allocation; MALLOC_CONF in the environment still overrides it, for an operator who must.
//
// background_thread: pages freed by the workers go back to the kernel from jemalloc's own thread,
// once unused for dirty_decay_ms (10 s), instead of only when that worker's arena next allocates.
// Without it, the buffers of a burst of connections that then go idle stay resident as long as
// the burst's peak: bench/idle_conns.py measured 1,004 B per parked HTTP/1 connection with 5,000
// of them, 501 B once purged (issue 18). The purge runs off the event loops, so the request path
// pays nothing for it.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "background_thread:true";
}
