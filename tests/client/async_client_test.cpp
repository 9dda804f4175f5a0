// AsyncClient against a loopback server: same requests and errors as the sync client, the
// in-flight bound, back-pressure, retries, shutdown settling every call, many submitting threads.

#include <atomic>
#include <condition_variable>
#include <thread>
#include <vector>

#include "client_test_support.hpp"
#include "handover/client/async_client.hpp"
#include "recording_server.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {
namespace {

using namespace std::chrono_literals;

AsyncClientOptions asyncOptions(const RecordingServer& server) {
  AsyncClientOptions o;
  o.client.access_token = kToken;
  o.client.app_secret = kSecret;
  o.client.page_id = kPageId;
  o.client.base_url = server.baseUrl();
  o.client.retry.initial_backoff = 1ms;
  o.client.retry.max_backoff = 5ms;
  o.client.deadline = 10s;
  handover::test::SecretRegistry::instance().add(o.client);
  return o;
}

/// The future's result, its error scanned for the test credentials (secret_scan.hpp).
template <typename T>
Result<T> got(std::future<Result<T>> f) {
  ClientOptions credentials;  // every test here uses these, however it builds its options
  credentials.access_token = kToken;
  credentials.app_secret = kSecret;
  handover::test::SecretRegistry::instance().add(credentials);
  return handover::test::scanned(f.get(), "AsyncClient");
}

/// A gate the server's handler waits at (bounded, so a failing test cannot hang). Declare it
/// before the server: a handler thread may still be inside `wait` after its reply was read.
class Gate {
 public:
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait_for(lock, 5s, [&] { return open_; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(m_);
    open_ = true;
    cv_.notify_all();
  }
  bool waitForWaiters(int n) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, 5s, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

}  // namespace

TEST_CASE("async pass sends the sync client's request and resolves future and callback",
          "[concurrency]") {
  RecordingServer server;
  AsyncClient client(asyncOptions(server));
  std::atomic<int> callbacks{0};
  auto f = client.passThreadControl({kPsid, std::string(kPageInboxAppId), "escalate"},
                                    [&](const Result<void>& r) {
                                      CHECK(r.has_value());
                                      ++callbacks;
                                    });
  REQUIRE(got(std::move(f)).has_value());
  client.shutdown();
  CHECK(callbacks == 1);
  const auto req = server.last();
  CHECK(req.method == "POST");
  CHECK(req.path == "/v26.0/" + kPageId + "/pass_thread_control");
  CHECK(req.header("Authorization") == "Bearer " + kToken);
  CHECK(req.header("Content-Type") == "application/json");
  CHECK(req.param("appsecret_proof") == expectedProof());
  CHECK(req.target.find(kToken) == std::string::npos);
  CHECK(req.body == R"({"recipient":{"id":")" + kPsid +
                        R"("},"target_app_id":"263902037430900","metadata":"escalate"})");
}

TEST_CASE("async typed answers: thread owner, take, send", "[concurrency]") {
  RecordingServer server;
  AsyncClient client(asyncOptions(server));
  server.enqueueJson(200, R"({"data":[{"thread_owner":{"app_id":"123456789012345678"}}]})");
  auto owner = got(client.getThreadOwner({kPsid}));
  REQUIRE(owner.has_value());
  CHECK(owner->app_id == std::optional<std::string>("123456789012345678"));
  CHECK(server.last().method == "GET");
  CHECK(server.last().param("recipient") == kPsid);

  server.enqueueJson(200, R"({"success":true})");
  CHECK(got(client.takeThreadControl({kPsid, ""})).has_value());
  CHECK(server.last().body == R"({"recipient":{"id":")" + kPsid + R"("}})");

  server.enqueueJson(200, R"({"recipient_id":")" + kPsid + R"(","message_id":"m_1"})");
  SendTextRequest text;
  text.recipient = kPsid;
  text.text = "hi";
  auto sent = got(client.sendText(text));
  REQUIRE(sent.has_value());
  CHECK(sent->message_id == "m_1");
}

TEST_CASE("async errors are the sync client's, without secrets", "[concurrency]") {
  RecordingServer server;
  AsyncClient client(asyncOptions(server));
  server.enqueueJson(400, R"({"error":{"message":"bad )" + kToken +
                              R"(","type":"OAuthException","code":190,"fbtrace_id":"Ax"}})");
  auto r = got(client.releaseThreadControl({kPsid}));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().category == ErrorCategory::kApi);
  CHECK(r.error().isInvalidToken());
  CHECK(r.error().http_status == 400);
  CHECK_FALSE(containsSecret(errorText(r.error())));

  server.enqueueJson(200, "not json");
  auto p = got(client.passThreadControl({kPsid, "", ""}));
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().category == ErrorCategory::kParse);

  auto bad = client.passThreadControl({"", "", ""});
  REQUIRE(bad.wait_for(0s) == std::future_status::ready);
  CHECK(got(std::move(bad)).error().category == ErrorCategory::kInvalidArgument);
  auto bad_extend = got(client.extendThreadControl({kPsid, std::chrono::seconds(0)}));
  CHECK(bad_extend.error().category == ErrorCategory::kInvalidArgument);
  CHECK(server.requestCount() == 2);
}

TEST_CASE("async waits as long as Retry-After says before the retry", "[concurrency]") {
  RecordingServer server;
  AsyncClient client(asyncOptions(server));
  server.enqueueJson(429, "{}", {{"Retry-After", "1"}});
  server.enqueueJson(200, R"({"data":[]})");
  // A lower bound only (the client must not retry early), never a speed target.
  const auto start = std::chrono::steady_clock::now();
  auto owner = got(client.getThreadOwner({kPsid}));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(owner.has_value());
  CHECK(server.requestCount() == 2);
  CHECK(took >= 1s);
}

TEST_CASE("async retries GETs on 503 and never retries a POST that reached the server",
          "[concurrency]") {
  RecordingServer server;
  AsyncClient client(asyncOptions(server));
  server.enqueueJson(503, "{}");
  server.enqueueJson(429, "{}", {{"Retry-After", "0"}});
  server.enqueueJson(200, R"({"data":[]})");
  auto owner = got(client.getThreadOwner({kPsid}));
  REQUIRE(owner.has_value());
  CHECK(owner->empty());
  CHECK(server.requestCount() == 3);

  server.clear();
  server.enqueueJson(503, "{}");
  auto pass = got(client.passThreadControl({kPsid, "", ""}));
  REQUIRE_FALSE(pass.has_value());
  CHECK(pass.error().http_status == 503);
  CHECK(server.requestCount() == 1);
}

TEST_CASE("async connection refused is retried as never sent and fails as transport",
          "[concurrency]") {
  const handover::test::RefusedPort refused;  // bound, never listening: refused, not reused
  AsyncClientOptions o;
  o.client.access_token = kToken;
  o.client.base_url = refused.baseUrl();
  o.client.retry.max_attempts = 3;
  o.client.retry.initial_backoff = 1ms;
  AsyncClient client(o);
  auto r = got(client.passThreadControl({kPsid, "", ""}));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().category == ErrorCategory::kTransport);
  CHECK(r.error().request_not_sent);
}

TEST_CASE("async attempt timeout gives a timeout error within the deadline", "[concurrency]") {
  Gate gate;  // before the server (see Gate)
  RecordingServer server;
  server.setHandler([&](const RecordedRequest&) {
    gate.wait();
    return ScriptedResponse{};
  });
  auto o = asyncOptions(server);
  o.client.attempt_timeout = 100ms;
  o.client.deadline = 300ms;
  AsyncClient client(o);
  auto r = got(client.getThreadOwner({kPsid}));
  gate.open();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().category == ErrorCategory::kTimeout);
}

TEST_CASE("async keeps at most max_in_flight transfers on the wire", "[concurrency]") {
  // Declared before the server: its handler threads use them until the server is destroyed.
  std::mutex m;
  int now_serving = 0;
  int most = 0;
  RecordingServer server;
  server.setHandler([&](const RecordedRequest&) {
    {
      std::lock_guard<std::mutex> lock(m);
      most = std::max(most, ++now_serving);
    }
    std::this_thread::sleep_for(2ms);
    {
      std::lock_guard<std::mutex> lock(m);
      --now_serving;
    }
    return ScriptedResponse{};
  });
  auto o = asyncOptions(server);
  o.max_in_flight = 3;
  o.max_pending = 8;
  AsyncClient client(o);
  std::vector<std::future<Result<void>>> calls;
  for (int i = 0; i < 60; ++i) calls.push_back(client.passThreadControl({kPsid, "", ""}));
  for (auto& f : calls) CHECK(got(std::move(f)).has_value());
  CHECK(server.requestCount() == 60);
  CHECK(client.pending() == 0);
  // Under the lock: a reply on a socket orders nothing for the memory model (or TSan).
  std::lock_guard<std::mutex> lock(m);
  CHECK(most >= 1);
  CHECK(most <= 3);
}

TEST_CASE("async with kReject refuses calls beyond max_pending without sending them",
          "[concurrency]") {
  Gate gate;  // before the server (see Gate)
  RecordingServer server;
  server.setHandler([&](const RecordedRequest&) {
    gate.wait();
    return ScriptedResponse{};
  });
  auto o = asyncOptions(server);
  o.max_in_flight = 1;
  o.max_pending = 2;
  o.when_full = AsyncClientOptions::WhenFull::kReject;
  AsyncClient client(o);
  auto a = client.passThreadControl({kPsid, "", ""});
  auto b = client.passThreadControl({kPsid, "", ""});
  REQUIRE(gate.waitForWaiters(1));
  auto c = client.passThreadControl({kPsid, "", ""});
  REQUIRE(c.wait_for(0s) == std::future_status::ready);
  auto refused = got(std::move(c));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().request_not_sent);
  CHECK(client.pending() == 2);
  gate.open();
  CHECK(got(std::move(a)).has_value());
  CHECK(got(std::move(b)).has_value());
  CHECK(server.requestCount() == 2);
}

TEST_CASE("async kBlock makes a caller wait for room instead of queueing without bound",
          "[concurrency]") {
  Gate gate;  // before the server (see Gate)
  RecordingServer server;
  server.setHandler([&](const RecordedRequest&) {
    gate.wait();
    return ScriptedResponse{};
  });
  auto o = asyncOptions(server);
  o.max_in_flight = 1;
  o.max_pending = 1;
  AsyncClient client(o);
  auto first = client.passThreadControl({kPsid, "", ""});
  REQUIRE(gate.waitForWaiters(1));
  std::atomic<bool> submitted{false};
  std::atomic<bool> second_ok{false};
  std::thread blocked([&] {  // no CHECK here: Catch2 assertions are not thread-safe
    auto second = client.passThreadControl({kPsid, "", ""});
    submitted = true;
    second_ok = got(std::move(second)).has_value();
  });
  // Wait until the caller is inside the call, blocked for room: a client that queued the
  // call instead of blocking would never get there, and the test fails after the deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (client.waiting() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(client.waiting() == 1);
  CHECK(client.pending() == 1);
  CHECK_FALSE(submitted.load());
  gate.open();
  CHECK(got(std::move(first)).has_value());
  blocked.join();
  CHECK(client.waiting() == 0);
  CHECK(submitted.load());
  CHECK(second_ok.load());
  CHECK(server.requestCount() == 2);
}

TEST_CASE("async shutdown with kCancel fails every unfinished call, none forgotten",
          "[concurrency]") {
  Gate gate;  // before the server (see Gate)
  RecordingServer server;
  server.setHandler([&](const RecordedRequest&) {
    gate.wait();
    return ScriptedResponse{};
  });
  auto o = asyncOptions(server);
  o.max_in_flight = 2;
  o.max_pending = 50;
  AsyncClient client(o);
  std::atomic<int> callbacks{0};
  std::vector<std::future<Result<void>>> calls;
  for (int i = 0; i < 20; ++i) {
    calls.push_back(
        client.passThreadControl({kPsid, "", ""}, [&](const Result<void>&) { ++callbacks; }));
  }
  REQUIRE(gate.waitForWaiters(2));
  client.shutdown(AsyncClient::ShutdownMode::kCancel);
  gate.open();
  int failed = 0;
  for (auto& f : calls) {
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    auto r = got(std::move(f));
    if (!r) ++failed;
  }
  CHECK(failed == 20);
  CHECK(callbacks == 20);
  auto late = got(client.passThreadControl({kPsid, "", ""}));
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().request_not_sent);
}

TEST_CASE("async destructor drains: every accepted call completes", "[concurrency]") {
  RecordingServer server;
  std::vector<std::future<Result<void>>> calls;
  {
    auto o = asyncOptions(server);
    o.max_in_flight = 4;
    AsyncClient client(o);
    for (int i = 0; i < 40; ++i) calls.push_back(client.passThreadControl({kPsid, "", ""}));
  }
  for (auto& f : calls) {
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    CHECK(got(std::move(f)).has_value());
  }
  CHECK(server.requestCount() == 40);
}

TEST_CASE("async callbacks may submit further calls", "[concurrency]") {
  RecordingServer server;
  auto o = asyncOptions(server);
  o.max_in_flight = 1;
  o.max_pending = 1;  // a blocking submit from the loop would deadlock: it must not block
  AsyncClient client(o);
  std::promise<Result<void>> second;
  auto first = client.passThreadControl({kPsid, "", ""}, [&](const Result<void>&) {
    client.releaseThreadControl({kPsid}, [&](const Result<void>& r) { second.set_value(r); });
  });
  CHECK(got(std::move(first)).has_value());
  CHECK(got(second.get_future()).has_value());
  CHECK(server.requestCount() == 2);
}

TEST_CASE("async many threads submitting share one client", "[concurrency]") {
  RecordingServer server;
  auto o = asyncOptions(server);
  // Fewer connections than the test server's 8 worker threads: httplib closes a keep-alive
  // connection after 5 requests, and a replacement queued behind 8 busy workers waits ~1 s.
  o.max_in_flight = 4;
  o.max_pending = 32;
  server.setHandler([](const RecordedRequest&) { return jsonResponse(200, R"({"data":[]})"); });
  AsyncClient client(o);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> ok{0};
  std::atomic<int> callbacks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<Result<ThreadOwner>>> mine;
      for (int i = 0; i < kPerThread; ++i) {
        mine.push_back(
            client.getThreadOwner({"psid-" + std::to_string(t) + "-" + std::to_string(i)},
                                  [&](const Result<ThreadOwner>&) { ++callbacks; }));
      }
      for (auto& f : mine) {
        if (got(std::move(f)).has_value()) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  client.shutdown();
  CHECK(ok == kThreads * kPerThread);
  CHECK(callbacks == kThreads * kPerThread);
  CHECK(server.requestCount() == static_cast<std::size_t>(kThreads * kPerThread));
}

// The two ClientOptions fields the async engine cannot honour are refused, never ignored: a
// user who set them expects them used (#22).
TEST_CASE("the async client refuses a transport or a sleeper, naming the field, sending nothing",
          "[concurrency]") {
  RecordingServer server;
  auto with_transport = asyncOptions(server);
  with_transport.client.transport = std::make_shared<CurlTransport>();
  auto with_sleep = asyncOptions(server);
  with_sleep.client.clock.sleep = [](std::chrono::milliseconds) {};
  for (const auto& [o, field] : {std::pair{with_transport, "client.transport"},
                                 std::pair{with_sleep, "client.clock.sleep"}}) {
    AsyncClient client(o);
    bool called_back = false;
    auto r = got(
        client.getThreadOwner({kPsid}, [&](const Result<ThreadOwner>&) { called_back = true; }));
    REQUIRE_FALSE(r);
    CHECK(r.error().category == ErrorCategory::kInvalidArgument);
    CHECK(r.error().message.find(field) != std::string::npos);
    CHECK(called_back);
  }
  CHECK(server.requestCount() == 0);
}

}  // namespace test
HANDOVER_END_NAMESPACE
