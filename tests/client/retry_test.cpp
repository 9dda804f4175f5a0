// Retry policy with an injected clock: attempts, backoff curve, Retry-After, idempotency and
// the overall deadline. No test waits in real time.

#include <ctime>

#include "client_test_support.hpp"
#include "handover/testing/fake_transport.hpp"
#include "recording_server.hpp"

using namespace handover;
using namespace std::chrono_literals;
using testing::FakeTransport;

namespace {

struct LoopbackFixture {
  test::RecordingServer server;
  test::FakeClock clock;
  ClientOptions options = test::testOptions(server.baseUrl());
  LoopbackFixture() { clock.install(options); }
  Client client() { return test::guardedClient(options); }
};

const char* graphError(int code) {
  static thread_local std::string body;
  body = R"({"error":{"message":"(#)" + std::to_string(code) +
         R"() limited","type":"OAuthException","code":)" + std::to_string(code) + "}}";
  return body.c_str();
}

}  // namespace

TEST_CASE("429 with Retry-After waits as asked, then succeeds") {
  LoopbackFixture f;
  f.server.enqueueJson(429, "{}", {{"Retry-After", "7"}});
  f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"1"}}]})");
  auto r = f.client().getThreadOwner(test::kPsid);
  REQUIRE(r);
  CHECK(r->isOwnedBy("1"));
  CHECK(f.server.requestCount() == 2);
  REQUIRE(f.clock.sleeps.size() == 1);
  CHECK(f.clock.sleeps[0] == 7000ms);
}

TEST_CASE("Retry-After as an HTTP-date waits until that time") {
  LoopbackFixture f;
  // 40 s from now, as a server's clock would write it (IMF-fixdate, GMT).
  const std::time_t at =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) + 40;
  char date[64];
  std::tm tm{};
  gmtime_r(&at, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  f.server.enqueueJson(503, "{}", {{"Retry-After", date}});
  f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"1"}}]})");
  f.options.deadline = 10min;
  auto r = f.client().getThreadOwner(test::kPsid);
  REQUIRE(r);
  REQUIRE(f.clock.sleeps.size() == 1);
  // Whole seconds from the system clock: 40 s, less the time this test took to get here.
  CHECK(f.clock.sleeps[0] >= 38s);
  CHECK(f.clock.sleeps[0] <= 40s);
  // A date in the past asks for no wait: the normal backoff applies (the jitter bound here).
  f.server.enqueueJson(503, "{}", {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}});
  f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"1"}}]})");
  REQUIRE(f.client().getThreadOwner(test::kPsid));
  REQUIRE(f.clock.sleeps.size() == 2);
  CHECK(f.clock.sleeps[1] == f.clock.jitter_bounds.back());
  CHECK(f.clock.sleeps[1] < 38s);
}

TEST_CASE("X-Business-Use-Case-Usage is waited out before the retry") {
  LoopbackFixture f;
  f.options.deadline = 30min;
  // Throttled for the Page: 80006 with the time to regain access (minutes) in the BUC header.
  f.server.enqueueJson(
      400,
      R"({"error":{"message":"(#80006) There have been too many messenger api calls","type":"OAuthException","code":80006,"is_transient":true}})",
      {{"X-Business-Use-Case-Usage",
        R"({"112233445566778":[{"type":"messenger","call_count":100,"estimated_time_to_regain_access":3}]})"}});
  f.server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"1"}}]})");
  auto r = f.client().getThreadOwner(test::kPsid);
  REQUIRE(r);
  CHECK(f.server.requestCount() == 2);
  REQUIRE(f.clock.sleeps.size() == 1);
  CHECK(f.clock.sleeps[0] == 3min);
}

TEST_CASE("503 is retried up to max_attempts with exponential backoff") {
  LoopbackFixture f;
  f.server.setHandler([](const test::RecordedRequest&) { return test::jsonResponse(503, "{}"); });
  auto r = f.client().getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kHttp);
  CHECK(r.error().http_status == 503);
  CHECK(f.server.requestCount() == 4);
  CHECK(f.clock.jitter_bounds == std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms});
  CHECK(f.clock.sleeps == f.clock.jitter_bounds);
}

TEST_CASE("backoff is capped at max_backoff") {
  LoopbackFixture f;
  f.options.retry.max_attempts = 6;
  f.options.retry.initial_backoff = 100ms;
  f.options.retry.max_backoff = 500ms;
  f.options.retry.multiplier = 3.0;
  f.server.setHandler([](const test::RecordedRequest&) { return test::jsonResponse(500, "{}"); });
  REQUIRE_FALSE(f.client().getThreadOwner(test::kPsid));
  CHECK(f.clock.jitter_bounds ==
        std::vector<std::chrono::milliseconds>{100ms, 300ms, 500ms, 500ms, 500ms});
  CHECK(f.server.requestCount() == 6);
}

TEST_CASE("the default jitter stays within the bound") {
  LoopbackFixture f;
  f.options.clock.jitter = nullptr;  // the library's own PRNG
  f.options.retry.max_attempts = 5;
  f.server.setHandler([](const test::RecordedRequest&) { return test::jsonResponse(502, "{}"); });
  REQUIRE_FALSE(f.client().getThreadOwner(test::kPsid));
  const std::vector<std::chrono::milliseconds> bounds{200ms, 400ms, 800ms, 1600ms};
  REQUIRE(f.clock.sleeps.size() == bounds.size());
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    CHECK(f.clock.sleeps[i] >= 0ms);
    CHECK(f.clock.sleeps[i] <= bounds[i]);
  }
}

TEST_CASE("Graph throttling codes are retried on GETs") {
  const int code = GENERATE(4, 17, 32, 341, 613, 80001, 80002, 80006);
  CAPTURE(code);
  LoopbackFixture f;
  f.server.setHandler(
      [code](const test::RecordedRequest&) { return test::jsonResponse(400, graphError(code)); });
  auto r = f.client().getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK(r.error().isRateLimited());
  CHECK(f.server.requestCount() == 4);
}

TEST_CASE("invalid token (190) and permission (10) are never retried") {
  const int code = GENERATE(190, 10, 200);
  LoopbackFixture f;
  f.server.setHandler(
      [code](const test::RecordedRequest&) { return test::jsonResponse(400, graphError(code)); });
  auto r = f.client().getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK(f.server.requestCount() == 1);
  CHECK(f.clock.sleeps.empty());
}

TEST_CASE("POSTs are not retried after reaching the server unless the user opts in") {
  LoopbackFixture f;
  f.server.setHandler([](const test::RecordedRequest&) { return test::jsonResponse(503, "{}"); });
  SECTION("default: one attempt") {
    REQUIRE_FALSE(f.client().passThreadControlToPageInbox(test::kPsid));
    CHECK(f.server.requestCount() == 1);
  }
  SECTION("opted in: every attempt") {
    f.options.retry.retry_non_idempotent = true;
    REQUIRE_FALSE(f.client().passThreadControlToPageInbox(test::kPsid));
    CHECK(f.server.requestCount() == 4);
  }
  SECTION("a throttled POST is not retried by default either") {
    f.server.setHandler(
        [](const test::RecordedRequest&) { return test::jsonResponse(400, graphError(613)); });
    auto r = f.client().releaseThreadControl(test::kPsid);
    REQUIRE_FALSE(r);
    CHECK(r.error().isRateLimited());
    CHECK(f.server.requestCount() == 1);
  }
}

TEST_CASE("a POST that provably never left is retried - a timed-out one is not") {
  auto fake = std::make_shared<FakeTransport>();
  ClientOptions options;
  options.access_token = test::kToken;
  options.transport = fake;
  test::FakeClock clock;
  clock.install(options);
  Client client = test::guardedClient(options);

  fake->enqueue(FakeTransport::connectionRefused());
  fake->enqueueJson(200, R"({"success":true})");
  REQUIRE(client.passThreadControlToPageInbox(test::kPsid));
  CHECK(fake->requestCount() == 2);

  fake->clear();
  fake->enqueue(FakeTransport::timedOut());
  fake->enqueueJson(200, R"({"success":true})");
  auto r = client.passThreadControlToPageInbox(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTimeout);
  CHECK(fake->requestCount() == 1);
}

TEST_CASE("the deadline bounds attempts and each attempt's timeout") {
  auto fake = std::make_shared<FakeTransport>();
  ClientOptions options;
  options.access_token = test::kToken;
  options.transport = fake;
  options.deadline = 5s;
  options.attempt_timeout = 20s;
  test::FakeClock clock;
  clock.install(options);
  // Each attempt takes 3 s of (fake) time and fails with 503.
  fake->setFallback([&clock](const HttpRequest&) -> Result<HttpResponse> {
    clock.advance(3s);
    return FakeTransport::json(503, "{}");
  });
  Client client = test::guardedClient(options);
  auto r = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().http_status == 503);
  const auto requests = fake->requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].timeout == 5000ms);
  CHECK(requests[1].timeout == 1800ms);  // 5 s - 3 s - 200 ms backoff
}

TEST_CASE("a Retry-After beyond the deadline returns at once with the wait attached") {
  auto fake = std::make_shared<FakeTransport>();
  ClientOptions options;
  options.access_token = test::kToken;
  options.transport = fake;
  options.deadline = 10s;
  test::FakeClock clock;
  clock.install(options);
  fake->enqueueJson(429, "{}", {{"Retry-After", "60"}});
  Client client = test::guardedClient(options);
  auto r = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().retry_after == std::optional<std::chrono::milliseconds>(60s));
  CHECK(fake->requestCount() == 1);
  CHECK(clock.sleeps.empty());
}

TEST_CASE("a deadline already spent gives a timeout before sending") {
  auto fake = std::make_shared<FakeTransport>();
  ClientOptions options;
  options.access_token = test::kToken;
  options.transport = fake;
  options.deadline = 0ms;
  Client client = test::guardedClient(options);
  auto r = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().category == ErrorCategory::kTimeout);
  CHECK(fake->requestCount() == 0);
}
