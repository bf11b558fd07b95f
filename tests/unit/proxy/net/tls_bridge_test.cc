// Component tests of net::TlsBridge: a TLS echo server on 127.0.0.1 (blocking OpenSSL on a
// thread of its own, a certificate made here for IP 127.0.0.1), the bridge on an in-process
// loop, and a client on the bridge's Unix socket driven by the test. Bytes go through both
// ways, more than the window (backpressure), a wrong name fails with OpenSSL's reason, and the
// private directory is 0700 and gone with the bridge. Every wait is a bounded run of the loop.
#include "proxy/net/tls_bridge.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "proxy/net/event_loop.h"
#include "tests/support/loop_runner.h"

namespace gatehouse::net {
namespace {

using testing::runUntil;

// A self-signed certificate for IP 127.0.0.1 and DNS redis.test, and its key: it is its own CA.
struct SelfSigned {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_EC_gen("P-256"), EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{X509_new(), X509_free};
  std::string pem_path;

  SelfSigned() {
    X509* x = cert.get();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key.get());
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("redis.test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:redis.test"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(x, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(x, key.get(), EVP_sha256());
    // Per process and object: ctest runs the tests of this file in parallel processes, each
    // with a certificate of its own.
    static int made = 0;
    pem_path = ::testing::TempDir() + "gh_tls_bridge_ca_" + std::to_string(::getpid()) + "_" +
               std::to_string(made++) + ".pem";
    FILE* f = std::fopen(pem_path.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
  }
  ~SelfSigned() { std::remove(pem_path.c_str()); }
};

// Accepts one connection on 127.0.0.1, does TLS, and echoes what it reads until EOF; or, with
// a `farewell`, sends it and closes at once (as Redis does after an error it will not survive).
class EchoServer {
 public:
  explicit EchoServer(const SelfSigned& identity, std::string farewell = "")
      : ctx_(SSL_CTX_new(TLS_server_method())), farewell_(std::move(farewell)) {
    SSL_CTX_use_certificate(ctx_, identity.cert.get());
    SSL_CTX_use_PrivateKey(ctx_, identity.key.get());
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  uint16_t port() const { return port_; }
  bool handshaken() const { return handshaken_; }

 private:
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    timeval tv{5, 0};  // a test that went wrong must not hang here
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, c);
    const bool accepted = SSL_accept(ssl) == 1;
    handshaken_ = accepted;
    if (accepted && !farewell_.empty()) {
      SSL_write(ssl, farewell_.data(), static_cast<int>(farewell_.size()));
      SSL_shutdown(ssl);
    } else if (accepted) {
      char buf[16384];
      int n;
      while ((n = SSL_read(ssl, buf, sizeof buf)) > 0)
        if (SSL_write(ssl, buf, n) != n) break;
    }
    SSL_free(ssl);
    ::close(c);
  }

  SSL_CTX* ctx_;
  std::string farewell_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> handshaken_{false};
  std::thread thread_;
};

// The client (hiredis' place): a non-blocking Unix socket pumped between loop rounds.
struct Client {
  int fd = -1;
  std::string to_send;
  size_t sent = 0;
  std::string received;
  bool eof = false;

  explicit Client(const std::string& path) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::snprintf(un.sun_path, sizeof un.sun_path, "%s", path.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&un), sizeof un), 0) << errno;
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
  }
  ~Client() { ::close(fd); }
  void pump() {
    if (sent < to_send.size()) {
      const ssize_t n = ::send(fd, to_send.data() + sent, to_send.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
      received.append(buf, static_cast<size_t>(n));
    if (n == 0) eof = true;
  }
};

class TlsBridgeTest : public ::testing::Test {
 protected:
  std::unique_ptr<TlsBridge> open(const std::string& name, size_t window) {
    auto ctx = makeTlsClientContext({identity_.pem_path, "", "", "", "", ""});
    EXPECT_TRUE(ctx) << ctx.error().message;
    auto bridge = TlsBridge::open(loop_.base(), {"127.0.0.1", server_.port(), name}, *ctx, window);
    EXPECT_TRUE(bridge) << bridge.error().message;
    return std::move(*bridge);
  }
  bool pumpUntil(Client& c, const std::function<bool()>& done) {
    return runUntil(loop_.base(), [&] {
      c.pump();
      return done();
    });
  }

  SelfSigned identity_;
  EchoServer server_{identity_};
  EventLoop loop_;
};

TEST_F(TlsBridgeTest, RelaysBothWaysBeyondTheWindowAndRemovesItsPrivateDirectory) {
  auto bridge = open("", 4096);  // the URL's host, 127.0.0.1: checked as an IP address
  const std::string dir = bridge->socketPath().substr(0, bridge->socketPath().rfind('/'));
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  {
    Client client(bridge->socketPath());
    for (size_t i = 0; client.to_send.size() < 1024 * 1024; ++i)
      client.to_send += "*1\r\n$4\r\nPING\r\n" + std::to_string(i);
    ASSERT_TRUE(pumpUntil(client, [&] { return client.received.size() >= client.to_send.size(); }));
    EXPECT_EQ(client.received, client.to_send);
    EXPECT_TRUE(server_.handshaken());
    EXPECT_EQ(bridge->relays(), 1u);
    EXPECT_EQ(bridge->error(), "");
  }
  // The client closed: the relay closes its TLS side too (the echo server then sees EOF).
  ASSERT_TRUE(runUntil(loop_.base(), [&] { return bridge->relays() == 0; }));
  bridge.reset();
  EXPECT_NE(::stat(dir.c_str(), &st), 0) << dir << " is left behind";
}

TEST_F(TlsBridgeTest, AWrongNameFailsTheHandshakeWithOpensslsReasonAndClosesTheClient) {
  auto bridge = open("other.test", TlsBridge::kDefaultWindow);
  Client client(bridge->socketPath());
  client.to_send = "*1\r\n$4\r\nPING\r\n";
  ASSERT_TRUE(pumpUntil(client, [&] { return client.eof; }));
  EXPECT_EQ(client.received, "");
  EXPECT_TRUE(bridge->tlsFailed());
  EXPECT_EQ(bridge->error(), "TLS handshake with 127.0.0.1:" + std::to_string(server_.port()) +
                                 " failed: certificate verify failed (hostname mismatch)");
  EXPECT_EQ(bridge->relays(), 0u);
}

TEST_F(TlsBridgeTest, ARefusedConnectionIsANetworkErrorNotATlsOne) {
  auto ctx = makeTlsClientContext({identity_.pem_path, "", "", "", "", ""});
  ASSERT_TRUE(ctx);
  // Port 1 on loopback: nothing listens there.
  auto bridge = TlsBridge::open(loop_.base(), {"127.0.0.1", 1, ""}, *ctx);
  ASSERT_TRUE(bridge);
  Client client((*bridge)->socketPath());
  ASSERT_TRUE(pumpUntil(client, [&] { return client.eof; }));
  EXPECT_FALSE((*bridge)->tlsFailed());
  // The kernel's word for it (Connection refused) as far as errno still holds it.
  EXPECT_EQ((*bridge)->error().rfind("connecting to 127.0.0.1:1: ", 0), 0u) << (*bridge)->error();
}

TEST(TlsBridge, WhatTheServerSaidBeforeClosingReachesTheClientThenItsEof) {
  SelfSigned identity;
  const std::string farewell(100000, 'x');  // more than one TLS record and than a socket write
  EchoServer server(identity, "-ERR " + farewell + "\r\n");
  EventLoop loop;
  auto ctx = makeTlsClientContext({identity.pem_path, "", "", "", "", ""});
  ASSERT_TRUE(ctx);
  auto bridge = TlsBridge::open(loop.base(), {"127.0.0.1", server.port(), ""}, *ctx, 4096);
  ASSERT_TRUE(bridge);
  Client client((*bridge)->socketPath());
  ASSERT_TRUE(runUntil(loop.base(), [&] {
    client.pump();
    return client.eof;
  }));
  EXPECT_EQ(client.received, "-ERR " + farewell + "\r\n");
  EXPECT_EQ((*bridge)->error(), "");
  EXPECT_EQ((*bridge)->relays(), 0u);
}

TEST(TlsClientContext, NamesTheFileOpensslRefused) {
  const std::string path =
      ::testing::TempDir() + "gh_not_a_ca_" + std::to_string(::getpid()) + ".pem";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("not a certificate\n", f);
  std::fclose(f);
  auto ctx =
      makeTlsClientContext({path, "", "", "gatehouse.yaml:12:18: cluster.tls.ca_file", "", ""});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().message.rfind("gatehouse.yaml:12:18: cluster.tls.ca_file: no CA "
                                      "certificate (PEM) in it: ",
                                      0),
            0u)
      << ctx.error().message;
}

}  // namespace
}  // namespace gatehouse::net
