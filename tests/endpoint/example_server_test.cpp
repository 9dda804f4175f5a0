// Drives examples/webhook_server (cpp-httplib) and examples/beast_webhook_server (Boost.Beast)
// as child processes over loopback: handshake, signed POSTs, rejected POSTs, a thread-control
// call to a fake Graph server, caps, encodings, slow clients, and a clean SIGTERM exit.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "core/crypto.hpp"
#include "fixture_file.hpp"

extern char** environ;

namespace {

const std::string kSecret = "example-secret";
const std::string kToken = "example-verify-token";

// The child's stdout, read line by line with a bound so a broken server fails the test
// instead of hanging it.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(fd_);
  }
  std::optional<std::string> line(std::chrono::seconds bound = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + bound;
    for (;;) {
      const auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // Reads lines until one contains `needle`; returns the lines read.
  std::vector<std::string> until(const std::string& needle) {
    std::vector<std::string> seen;
    while (auto l = line()) {
      seen.push_back(*l);
      if (l->find(needle) != std::string::npos) return seen;
    }
    FAIL("the server never printed \"" << needle << "\"");
    return seen;
  }
  // Waits for the process to exit on its own.
  int exitCode() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  int terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buf_;
};

}  // namespace

TEST_CASE("the example server answers the handshake and signed POSTs over loopback") {
  // A fake Graph API for the pass_thread_control the example makes when a user says "human".
  httplib::Server graph;
  std::mutex mu;
  std::vector<std::string> graph_hits;
  graph.Post(R"(/v[0-9.]+/([^/]+)/pass_thread_control)",
             [&](const httplib::Request& req, httplib::Response& res) {
               std::lock_guard<std::mutex> lock(mu);
               graph_hits.push_back(req.body);
               res.set_content(R"({"success":true})", "application/json");
             });
  const int graph_port = graph.bind_to_any_port("127.0.0.1");
  REQUIRE(graph_port > 0);
  std::thread graph_thread([&] { graph.listen_after_bind(); });

  Child child({HANDOVER_WEBHOOK_SERVER, "--port", "0", "--secret", kSecret, "--verify-token",
               kToken, "--page-token", "page-token", "--app-id", "1517776481860111", "--graph-url",
               "http://127.0.0.1:" + std::to_string(graph_port), "--max-seconds", "60"});
  const auto first = child.line();
  REQUIRE(first);
  const auto colon = first->rfind(':');
  REQUIRE(colon != std::string::npos);
  const int port = std::stoi(first->substr(colon + 1));
  REQUIRE(port > 0);
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(10, 0);

  // Handshake.
  auto ok = http.Get("/webhook?hub.mode=subscribe&hub.verify_token=" + kToken +
                     "&hub.challenge=1158201444");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "1158201444");
  auto wrong = http.Get("/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1");
  REQUIRE(wrong);
  CHECK(wrong->status == 403);

  // A signed non-ASCII body: accepted, and both events reach the handlers.
  const std::string body = handover::test::webhookFixture("unicode_text.json");
  httplib::Headers signed_headers{
      {"X-Hub-Signature-256", "sha256=" + handover::detail::hmacSha256Hex(kSecret, body)}};
  auto post = http.Post("/webhook", signed_headers, body, "application/json");
  REQUIRE(post);
  CHECK(post->status == 200);
  // Each event has its own line: m_U1's must come before the one that ends the wait.
  auto lines = child.until("mid=m_U2");
  std::size_t u1_lines = 0;
  for (const auto& l : lines) {
    if (l.find("event message") != std::string::npos && l.find("mid=m_U1") != std::string::npos) {
      ++u1_lines;
    }
  }
  CHECK(u1_lines == 1);

  // Unsigned, wrongly signed, and signed-but-unparsable bodies.
  auto unsigned_post = http.Post("/webhook", body, "application/json");
  REQUIRE(unsigned_post);
  CHECK(unsigned_post->status == 403);
  child.until("missing_header");
  httplib::Headers bad_sig{{"X-Hub-Signature-256", "sha256=" + std::string(64, '0')}};
  auto bad = http.Post("/webhook", bad_sig, body, "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 403);
  child.until("mismatch");
  const std::string junk = "{\"object\":\"page\",\"entry\":[";
  httplib::Headers junk_sig{
      {"X-Hub-Signature-256", "sha256=" + handover::detail::hmacSha256Hex(kSecret, junk)}};
  auto junk_post = http.Post("/webhook", junk_sig, junk, "application/json");
  REQUIRE(junk_post);
  CHECK(junk_post->status == 400);
  child.until("unparsable body");

  // "human" makes the example pass the thread to the Page Inbox through the Graph API.
  const std::string human =
      R"({"object":"page","entry":[{"id":"106500000000001","time":1,"messaging":[{"sender":{"id":"7000000000000001"},"recipient":{"id":"106500000000001"},"timestamp":2,"message":{"mid":"m_HUMAN","text":"human"}}]}]})";
  httplib::Headers human_sig{
      {"x-hub-signature-256", "sha256=" + handover::detail::hmacSha256Hex(kSecret, human)}};
  auto human_post = http.Post("/webhook", human_sig, human, "application/json");
  REQUIRE(human_post);
  CHECK(human_post->status == 200);
  child.until("passed 7000000000000001 to the inbox");
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(graph_hits.size() == 1);
    CHECK(graph_hits[0].find("263902037430900") != std::string::npos);
  }

  CHECK(child.terminate() == 0);
  graph.stop();
  graph_thread.join();
}

namespace {

// A raw loopback connection, for what httplib's client cannot send (chunked, gzip, dripping).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{15, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  // True when an answer (or a close) arrives within `ms`.
  bool answersWithin(int ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }
  void send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }
  // The status code of the answer; 0: the server closed (or reset) the connection without
  // one; -1: nothing at all within 15 s.
  int status() {
    std::string answer;
    char buf[4096];
    while (answer.find("\r\n") == std::string::npos) {
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return answer.empty() ? -1 : 0;
      if (n <= 0) break;
      answer.append(buf, static_cast<std::size_t>(n));
    }
    if (answer.rfind("HTTP/1.1 ", 0) != 0) return 0;
    return std::stoi(answer.substr(9, 3));
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string postHead(const std::string& signature, const std::string& framing) {
  return "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "X-Hub-Signature-256: " +
         signature + "\r\n" + framing + "\r\n";
}

}  // namespace

TEST_CASE("the Beast example server serves at most --max-connections at once, then the next") {
  Child child({HANDOVER_BEAST_SERVER, "--port", "0", "--secret", kSecret, "--verify-token", kToken,
               "--request-seconds", "20", "--max-connections", "2", "--max-seconds", "60"});
  const auto first = child.line();
  REQUIRE(first);
  const int port = std::stoi(first->substr(first->rfind(':') + 1));
  // Two connections hold the server with half a request head each.
  auto held = std::make_unique<RawConnection>(port);
  RawConnection other(port);
  for (RawConnection* c : {held.get(), &other}) {
    REQUIRE(c->connected());
    c->send("POST /webhook HTTP/1.1\r\nHost: x\r\nX-Hub-Sig");
  }
  // A third is connected by the kernel's backlog but not served while they are held...
  RawConnection third(port);
  REQUIRE(third.connected());
  third.send("GET /webhook?hub.mode=subscribe&hub.verify_token=" + kToken +
             "&hub.challenge=42 HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_FALSE(third.answersWithin(700));
  // ...and served as soon as one of them goes.
  held.reset();
  CHECK(third.status() == 200);
  Child zero({HANDOVER_BEAST_SERVER, "--secret", kSecret, "--verify-token", kToken,
              "--max-connections", "0"});
  CHECK(zero.exitCode() == 2);
}

TEST_CASE("the Beast example server: handshake, deliveries, caps, encodings and slow clients") {
  Child child({HANDOVER_BEAST_SERVER, "--port", "0", "--secret", kSecret, "--verify-token", kToken,
               "--request-seconds", "2", "--max-seconds", "120"});
  const auto first = child.line();
  REQUIRE(first);
  const int port = std::stoi(first->substr(first->rfind(':') + 1));
  REQUIRE(port > 0);
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(10, 0);

  auto ok = http.Get("/webhook?hub.mode=subscribe&hub.verify_token=" + kToken +
                     "&hub.challenge=1158201444");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "1158201444");
  auto wrong = http.Get("/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1");
  REQUIRE(wrong);
  CHECK(wrong->status == 403);

  // Slow clients first: 30 connections that send half a request head and then nothing.
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 30; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port));
    REQUIRE(slow.back()->connected());
    slow.back()->send("POST /webhook HTTP/1.1\r\nHost: x\r\nX-Hub-Sig");
  }
  // A signed delivery is still answered at once, and its event handled.
  const std::string body = handover::test::webhookFixture("unicode_text.json");
  const std::string sig = "sha256=" + handover::detail::hmacSha256Hex(kSecret, body);
  auto post = http.Post("/webhook", {{"X-Hub-Signature-256", sig}}, body, "application/json");
  REQUIRE(post);
  CHECK(post->status == 200);
  child.until("event message");
  // Each slow connection is closed at its whole-request deadline (2 s), without an answer,
  // well before the 15 s a held-open connection would take to time out here.
  const auto slow_started = std::chrono::steady_clock::now();
  for (auto& c : slow) CHECK(c->status() == 0);
  CHECK(std::chrono::steady_clock::now() - slow_started < std::chrono::seconds(10));

  // A repeated signature header reaches the check: refused.
  auto twice = http.Post(
      "/webhook",
      {{"X-Hub-Signature-256", sig}, {"X-Hub-Signature-256", "sha256=" + std::string(64, 'a')}},
      body, "application/json");
  REQUIRE(twice);
  CHECK(twice->status == 403);

  // The 1 MiB cap holds for a chunked body.
  const std::string chunk(64 * 1024, ' ');
  RawConnection chunked(port);
  std::string request = postHead(sig, "Transfer-Encoding: chunked\r\n");
  for (int i = 0; i < 20; ++i) request += "10000\r\n" + chunk + "\r\n";
  request += "0\r\n\r\n";
  chunked.send(request);
  CHECK(chunked.status() == 413);

  // A compressed body is refused, never inflated.
  const std::string gz = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage";
  RawConnection gzip(port);
  gzip.send(
      postHead("sha256=" + handover::detail::hmacSha256Hex(kSecret, gz),
               "Content-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) + "\r\n") +
      gz);
  CHECK(gzip.status() == 415);

  // 100,000 headers: the header block is bounded, the request refused.
  std::string many = "POST /webhook HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100'000; ++i) many += "X-Filler-" + std::to_string(i) + ": 1\r\n";
  RawConnection flood(port);
  flood.send(many + "Content-Length: 0\r\n\r\n");
  // 431, or a reset that overtakes it: the server stops reading and closes with bytes unread.
  const int flooded = flood.status();
  CHECK((flooded == 431 || flooded == 0));
  auto after =
      http.Get("/webhook?hub.mode=subscribe&hub.verify_token=" + kToken + "&hub.challenge=7");
  REQUIRE(after);  // and it still serves
  CHECK(after->body == "7");

  CHECK(child.terminate() == 0);
}
