// One client shared by many threads over real loopback connections (run it under TSan too).

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "client_test_support.hpp"
#include "recording_server.hpp"

using namespace handover;

TEST_CASE("many threads share one client, each getting its own answers", "[concurrency]") {
  test::RecordingServer server;
  // The owner reported is the recipient asked about, so a crossed answer would show.
  server.setHandler([](const test::RecordedRequest& r) {
    if (r.method == "GET") {
      return test::jsonResponse(
          200, R"({"data":[{"thread_owner":{"app_id":")" + r.param("recipient") + R"("}}]})");
    }
    return test::jsonResponse(200, R"({"success":true})");
  });
  auto options = test::testOptions(server.baseUrl(), test::kPageId);
  CurlOptions curl;
  curl.max_pooled_handles = 4;  // fewer idle handles than threads: the pool must still work
  options.transport = std::make_shared<CurlTransport>(curl);
  const Client shared = test::guardedClient(options);

  constexpr int kThreads = 6;
  constexpr int kCallsPerThread = 20;
  std::atomic<int> wrong{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client client = shared;  // copies share the connection
      for (int i = 0; i < kCallsPerThread; ++i) {
        const std::string psid = std::to_string(1000000 * (t + 1) + i);
        auto owner = client.getThreadOwner(psid);
        if (!owner) {
          ++failed;
        } else if (!owner->isOwnedBy(psid)) {
          ++wrong;
        }
        if (!client.passThreadControlToPageInbox(psid)) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failed == 0);
  CHECK(wrong == 0);
  CHECK(server.requestCount() == static_cast<std::size_t>(kThreads * kCallsPerThread * 2));
  for (const auto& r : server.requests()) {
    CHECK(r.header("Authorization") == "Bearer " + test::kToken);
    CHECK(r.param("appsecret_proof") == test::expectedProof());
  }
}

TEST_CASE("concurrent retries with the default clock and jitter are safe", "[concurrency]") {
  test::RecordingServer server;
  std::mutex mu;
  std::set<std::string> seen;
  std::atomic<int> retried{0};
  // Each call has its own recipient: its first request gets a 503, its retry a 200. So 40
  // calls take exactly 80 requests and every call retried exactly once, however the threads
  // interleave (a global every-other-503 let one call draw ten 503s in a row).
  server.setHandler([&](const test::RecordedRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    const std::string recipient =
        r.params.count("recipient") ? r.params.find("recipient")->second : r.target;
    if (seen.insert(recipient).second) return test::jsonResponse(503, "{}");
    ++retried;
    return test::jsonResponse(200, R"({"data":[]})");
  });
  auto options = test::testOptions(server.baseUrl());
  options.retry.initial_backoff = std::chrono::milliseconds(1);
  options.retry.max_backoff = std::chrono::milliseconds(2);
  options.retry.max_attempts = 10;
  options.clock = Clock{};  // real sleeps of at most 2 ms, the library's own PRNG
  const Client client = test::guardedClient(options);
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string psid = std::to_string(7000000000000000 + t * 100 + i);
        if (!client.connection()->getThreadOwner({psid})) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failed == 0);
  std::size_t recipients = 0;
  {
    std::lock_guard<std::mutex> lock(mu);  // the server's threads wrote it
    recipients = seen.size();
  }
  CHECK(recipients == 40);
  CHECK(retried == 40);
  CHECK(server.requestCount() == 80);
}
