// Failures below HTTP, on real sockets: refused connections, resets, truncated bodies, silence,
// and bodies that are not what a Graph endpoint sends.

#include "client_test_support.hpp"
#include "handover/client/async_client.hpp"
#include "recording_server.hpp"

using namespace handover;
using namespace std::chrono_literals;

TEST_CASE("connection refused is a transport error proven unsent, so even a POST is retried") {
  test::RefusedPort refused;
  auto options = test::testOptions(refused.baseUrl());
  test::FakeClock clock;
  clock.install(options);
  Client client = test::guardedClient(options);
  auto r = client.passThreadControlToPageInbox(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTransport);
  CHECK(r.error().request_not_sent);
  CHECK(r.error().http_status == 0);
  // Every attempt was made: one sleep between each.
  CHECK(clock.sleeps.size() == static_cast<std::size_t>(options.retry.max_attempts - 1));
}

TEST_CASE("a reset in the middle of the response is a transport error, not retried for POST") {
  test::RawServer server([](int fd, const std::string&) {
    test::writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Len");
    test::resetConnection(fd);
    return false;
  });
  Client client = test::guardedClient(test::testOptions(server.baseUrl()));
  auto r = client.releaseThreadControl(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTransport);
  CHECK_FALSE(r.error().request_not_sent);
  CHECK(server.connections() == 1);
}

TEST_CASE("a truncated body is a transport error - a GET retries it") {
  test::RawServer server([](int fd, const std::string&) {
    test::writeAll(fd,
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 64\r\n"
                   "Connection: close\r\n\r\n{\"data\":[{\"thread_");
    return true;
  });
  auto options = test::testOptions(server.baseUrl());
  options.retry.max_attempts = 3;
  Client client = test::guardedClient(options);
  auto r = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTransport);
  CHECK(server.connections() == 3);

  auto post = client.passThreadControlToPageInbox(test::kPsid);
  REQUIRE_FALSE(post);
  CHECK(post.error().category == ErrorCategory::kTransport);
  CHECK(server.connections() == 4);
}

TEST_CASE("a server that never answers hits the call's deadline") {
  test::RawServer* self = nullptr;
  test::RawServer server([&self](int, const std::string&) {
    self->waitForStop();
    return true;
  });
  self = &server;
  auto options = test::testOptions(server.baseUrl());
  options.deadline = 300ms;
  options.attempt_timeout = 30s;  // the deadline, not the attempt timeout, must end the call
  Client client = test::guardedClient(options);
  auto r = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTimeout);
}

TEST_CASE("an HTML error page is kHttp with the status") {
  test::RecordingServer server;
  test::ScriptedResponse page;
  page.status = 500;
  page.content_type = "text/html; charset=utf-8";
  page.body = "<!DOCTYPE html><html><title>Sorry, something went wrong</title></html>";
  server.enqueue(page);
  Client client = test::guardedClient(test::testOptions(server.baseUrl()));
  auto r = client.takeThreadControl(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kHttp);
  CHECK(r.error().http_status == 500);
  CHECK(r.error().message.find("text/html") != std::string::npos);
  CHECK(server.requestCount() == 1);
}

TEST_CASE("a non-JSON 200 is a parse error with the offset") {
  test::RecordingServer server;
  test::ScriptedResponse ok;
  ok.content_type = "text/html";
  ok.body = "<html>OK</html>";
  server.enqueue(ok);
  server.enqueueJson(200, R"({"success":true)");
  Client client = test::guardedClient(test::testOptions(server.baseUrl()));
  auto html = client.releaseThreadControl(test::kPsid);
  REQUIRE_FALSE(html);
  CHECK(html.error().category == ErrorCategory::kParse);
  CHECK(html.error().offset == std::optional<std::size_t>(0));
  auto cut = client.releaseThreadControl(test::kPsid);
  REQUIRE_FALSE(cut);
  CHECK(cut.error().category == ErrorCategory::kParse);
  CHECK(cut.error().offset.has_value());
}

TEST_CASE("an unresolvable host is proven unsent") {
  auto options = test::testOptions("http://handover-test.invalid");
  options.retry.max_attempts = 1;
  Client client = test::guardedClient(options);
  auto r = client.releaseThreadControl(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTransport);
  CHECK(r.error().request_not_sent);
}

// One cap on a Graph answer (src/client/response_limits.hpp): a body past it aborts the
// download in both engines, and one under it is downloaded whole and then judged as JSON.
TEST_CASE("an answer past the response cap aborts the download in both engines") {
  constexpr std::size_t kPastCap = (4u << 20) + 4096;
  test::RawServer server([&](int fd, const std::string&) {
    test::writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(kPastCap) + "\r\nConnection: close\r\n\r\n");
    test::writeAll(fd, std::string(kPastCap, ' '));
    return true;
  });
  auto options = test::testOptions(server.baseUrl());
  options.retry.max_attempts = 1;
  Client client = test::guardedClient(options);
  auto sync = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(sync);
  CHECK(sync.error().category == ErrorCategory::kTransport);
  CHECK(sync.error().message.find("exceeds the size limit") != std::string::npos);

  AsyncClientOptions async_options;
  async_options.client = options;
  async_options.client.clock.sleep = nullptr;  // the async client waits with timers
  async_options.client.transport = nullptr;    // and speaks curl_multi itself
  AsyncClient async(async_options);
  auto answer = async.getThreadOwner(GetThreadOwnerRequest{test::kPsid}).get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().category == ErrorCategory::kTransport);
  CHECK(answer.error().message.find("exceeds the size limit") != std::string::npos);
}

TEST_CASE("an answer under the response cap is downloaded and judged as JSON") {
  const std::string padded = "{\"data\":[]}" + std::string((4u << 20) - 64, ' ');
  test::RawServer server([&](int fd, const std::string&) {
    test::writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(padded.size()) + "\r\nConnection: close\r\n\r\n" +
                           padded);
    return true;
  });
  auto options = test::testOptions(server.baseUrl());
  options.retry.max_attempts = 1;
  Client client = test::guardedClient(options);
  auto r = client.getThreadOwner(test::kPsid);
  // Not a transport error: the body arrived whole and the JSON layer read it.
  if (!r) CHECK(r.error().category != ErrorCategory::kTransport);
}
