// Collects the text of every error the client can produce and fails if a secret shows up.

#include "client_test_support.hpp"
#include "handover/testing/fake_transport.hpp"
#include "recording_server.hpp"

using namespace handover;
using namespace std::chrono_literals;

TEST_CASE("no error text ever contains the token, the app secret or the proof") {
  test::errorLog().clear();
  test::RecordingServer server;
  auto options = test::testOptions(server.baseUrl(), test::kPageId);
  test::FakeClock clock;
  clock.install(options);
  Client client = test::guardedClient(options);

  // A hostile or buggy server echoing credentials back in every error field.
  server.setHandler([](const test::RecordedRequest& r) {
    const std::string echo = r.header("Authorization") + " " + r.target;
    return test::jsonResponse(400, R"({"error":{"message":")" + echo + R"(","type":")" + echo +
                                       R"(","code":190,"error_user_title":")" + echo +
                                       R"(","error_user_msg":")" + echo + R"(","fbtrace_id":")" +
                                       echo + R"("}})");
  });
  CHECK_FALSE(client.getThreadOwner(test::kPsid));
  CHECK_FALSE(client.passThreadControlToPageInbox(test::kPsid));

  // Every other path: HTML, non-JSON 200, invalid arguments, throttling, 5xx with retries.
  server.setHandler([](const test::RecordedRequest&) {
    test::ScriptedResponse html;
    html.status = 503;
    html.content_type = "text/html";
    html.body = "<html>down</html>";
    return html;
  });
  CHECK_FALSE(client.getThreadOwner(test::kPsid));
  server.setHandler([](const test::RecordedRequest&) {
    test::ScriptedResponse r;
    r.content_type = "text/plain";
    r.body = "not json";
    return r;
  });
  CHECK_FALSE(client.releaseThreadControl(test::kPsid));
  CHECK_FALSE(client.extendThreadControl(test::kPsid, 0s));
  CHECK_FALSE(client.sendText("", ""));

  {
    test::RefusedPort refused;
    auto o = test::testOptions(refused.baseUrl());
    o.retry.max_attempts = 2;
    CHECK_FALSE(test::guardedClient(o).getThreadOwner(test::kPsid));
  }
  {
    test::RawServer reset([](int fd, const std::string&) {
      test::writeAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{");
      test::resetConnection(fd);
      return false;
    });
    auto o = test::testOptions(reset.baseUrl());
    o.retry.max_attempts = 1;
    CHECK_FALSE(test::guardedClient(o).getThreadOwner(test::kPsid));
  }
  {
    auto o = test::testOptions(server.baseUrl());
    o.deadline = 0ms;
    CHECK_FALSE(test::guardedClient(o).getThreadOwner(test::kPsid));
  }
  {
    auto fake = std::make_shared<testing::FakeTransport>();
    auto o = test::testOptions("https://graph.facebook.com");
    o.transport = fake;
    CHECK_FALSE(test::guardedClient(o).getThreadOwner(test::kPsid));
  }

  const auto& log = test::errorLog();
  CHECK(log.size() >= 10);
  for (const auto& text : log) {
    // Never print the text itself: on failure it holds the secret.
    CHECK_FALSE(test::containsSecret(text));
  }
  // The scrubbed echo is still informative.
  CHECK(log.front().find("Bearer ***") != std::string::npos);
}

TEST_CASE("the suite-wide scan sees errors of every kind of client the tests build") {
  // Router (Context calls), tracker policies and the emulator fixtures use test::guarded();
  // async tests pass results through test::scanned(). Each path is shown to reach the scan.
  auto& registry = test::SecretRegistry::instance();
  const test::RefusedPort refused;
  auto o = test::testOptions(refused.baseUrl());
  o.retry.max_attempts = 1;
  const std::size_t before = registry.scanned();
  Client client = test::guarded(o);
  CHECK_FALSE(client.getThreadOwner(test::kPsid));
  CHECK(registry.scanned() == before + 1);
  CHECK(registry.leaks("x " + test::kToken + " y"));
  CHECK(registry.leaks(test::expectedProof()));
  CHECK_FALSE(registry.leaks("a text without credentials"));
  Result<void> failed = Error{};
  (void)test::scanned(std::move(failed));
  CHECK(registry.scanned() == before + 2);
}
