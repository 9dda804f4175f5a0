// webhook::Endpoint: every answer of handleGet/handlePost, the workers behind the queue (slow,
// failing and throwing handlers, a full queue, stop() with work queued), de-duplication, the
// counters and their Prometheus text. Real signatures; handlers call a FakeConnection.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "counting_store.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/testing/fake_connection.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/memory_store.hpp"
#include "once_per_event.hpp"

namespace {

using namespace handover;
using namespace handover::webhook;
using namespace std::chrono_literals;

constexpr const char* kSecret = "endpoint-test-secret";
constexpr const char* kVerifyToken = "endpoint-verify-token";

std::string body(const std::string& mid, const std::string& text = "hello") {
  return R"({"object":"page","entry":[{"id":"106500000000001","time":1763770000000,)"
         R"("messaging":[{"sender":{"id":"7000000000000001"},"recipient":{"id":"106500000000001"},)"
         R"("timestamp":1763769999000,"message":{"mid":")" +
         mid + R"(","text":")" + text + R"("}}]}]})";
}

HttpHeaders signedFor(const std::string& b) {
  return {{"X-Hub-Signature-256", signatureHeaderValue(b, kSecret)}};
}

// A gate handlers wait on, opened by the test.
class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

struct Fixture {
  std::shared_ptr<testing::FakeConnection> fake = std::make_shared<testing::FakeConnection>();
  std::vector<EndpointEvent> events;
  std::mutex events_mu;

  EndpointOptions options() {
    EndpointOptions o;
    o.app_secret = kSecret;
    o.verify_token = kVerifyToken;
    o.retry_delay = 10ms;
    o.on_event = [this](const EndpointEvent& e) {
      std::lock_guard<std::mutex> lock(events_mu);
      events.push_back(e);
    };
    return o;
  }
  std::size_t eventsOf(EndpointEventKind k) {
    std::lock_guard<std::mutex> lock(events_mu);
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == k ? 1 : 0;
    return n;
  }
  std::string allMessages() {
    std::lock_guard<std::mutex> lock(events_mu);
    std::string out;
    for (const auto& e : events) out += e.message + "\n";
    return out;
  }
};

}  // namespace

TEST_CASE("endpoint: the subscribe handshake answers the challenge or 403", "[concurrency]") {
  Fixture f;
  Endpoint endpoint(f.options(), Router{}, Client(f.fake));
  auto ok = endpoint.handleGet("subscribe", kVerifyToken, "challenge-123");
  CHECK(ok.status == 200);
  CHECK(ok.body == "challenge-123");
  // The echoed challenge is the caller's text: a browser must not sniff it into HTML (#23).
  CHECK(ok.content_type == "text/plain");
  CHECK(std::count(ok.headers.begin(), ok.headers.end(),
                   std::pair<std::string, std::string>{"X-Content-Type-Options", "nosniff"}) == 1);
  auto wrong = endpoint.handleGet("subscribe", "not-the-token", "challenge-123");
  CHECK(wrong.status == 403);
  CHECK(wrong.body.find("challenge") == std::string::npos);
  CHECK(endpoint.handleGet("unsubscribe", kVerifyToken, "c").status == 403);
  CHECK(endpoint.stats().rejectedFor(Rejection::kHandshake) == 2);
  CHECK(f.allMessages().find(kVerifyToken) == std::string::npos);
}

TEST_CASE("endpoint: refusals are 403 for a bad signature, 413 above the cap, 400 unparsable",
          "[concurrency]") {
  Fixture f;
  EndpointOptions o = f.options();
  o.parse.max_body_bytes = 4096;
  std::atomic<int> handled{0};
  Router router;
  router.onAny([&](Context&, const Event&) { ++handled; });
  Endpoint endpoint(o, std::move(router), Client(f.fake));

  const std::string b = body("m_1");
  CHECK(endpoint.handlePost({}, b).status == 403);
  CHECK(endpoint.handlePost({{"X-Hub-Signature-256", "sha256=00"}}, b).status == 403);
  HttpHeaders two = signedFor(b);  // a duplicated signature header is refused, even if one fits
  two.emplace_back("X-Hub-Signature-256", "sha256=" + std::string(64, '0'));
  CHECK(endpoint.handlePost(two, b).status == 403);
  const std::string big(5000, ' ');
  CHECK(endpoint.handlePost(signedFor(big), big).status == 413);
  const std::string junk = "{\"object\":";
  CHECK(endpoint.handlePost(signedFor(junk), junk).status == 400);

  const EndpointStats s = endpoint.stats();
  CHECK(s.received == 5);
  CHECK(s.rejectedFor(Rejection::kBadSignature) == 3);
  CHECK(s.rejectedFor(Rejection::kTooLarge) == 1);
  CHECK(s.rejectedFor(Rejection::kUnparsable) == 1);
  CHECK(s.queued == 0);
  CHECK(f.eventsOf(EndpointEventKind::kRejected) == 5);
  CHECK(f.allMessages().find(kSecret) == std::string::npos);
  endpoint.stop();
  CHECK(handled == 0);
}

TEST_CASE("endpoint: a slow handler does not delay the 200, which comes once the body is queued",
          "[concurrency]") {
  Fixture f;
  Gate gate;
  std::atomic<int> handled{0};
  Router router;
  router.onMessage([&](Context&, const Message&) {
    gate.wait();
    ++handled;
  });
  Endpoint endpoint(f.options(), std::move(router), Client(f.fake));
  for (int i = 0; i < 3; ++i) {
    const std::string b = body("m_slow_" + std::to_string(i));
    auto answer = endpoint.handlePost(signedFor(b), b);
    CHECK(answer.status == 200);
    CHECK(answer.body == "EVENT_RECEIVED");
  }
  CHECK(handled == 0);  // all three answered while every handler waits
  CHECK(endpoint.stats().queued == 3);
  gate.open();
  CHECK(eventually([&] { return handled == 3; }));
  auto report = endpoint.stop();
  CHECK(report.drained);
  CHECK(endpoint.stats().handled == 3);
}

TEST_CASE("endpoint: a full queue answers 503 with Retry-After, then accepts after it drains",
          "[concurrency]") {
  Fixture f;
  Gate gate;
  std::atomic<int> handled{0};
  Router router;
  router.onMessage([&](Context&, const Message&) {
    gate.wait();
    ++handled;
  });
  EndpointOptions o = f.options();
  MemoryQueueOptions qo;
  qo.max_bodies = 2;
  o.queue = std::make_shared<MemoryQueue>(qo);
  o.workers = 1;
  o.retry_after = 7s;
  Endpoint endpoint(o, std::move(router), Client(f.fake));
  const std::string a = body("m_a"), b = body("m_b"), c = body("m_c");
  CHECK(endpoint.handlePost(signedFor(a), a).status == 200);  // taken by the worker, blocked
  CHECK(endpoint.handlePost(signedFor(b), b).status == 200);  // waits
  auto full = endpoint.handlePost(signedFor(c), c);
  CHECK(full.status == 503);
  REQUIRE(full.headers.size() == 1);
  CHECK(full.headers[0] == std::pair<std::string, std::string>("Retry-After", "7"));
  CHECK(endpoint.stats().rejectedFor(Rejection::kQueueFull) == 1);
  gate.open();
  CHECK(eventually([&] { return handled == 2; }));
  CHECK(endpoint.handlePost(signedFor(c), c).status == 200);  // Meta's redelivery succeeds
  CHECK(eventually([&] { return handled == 3; }));
}

TEST_CASE("endpoint: a throwing handler is retried, then dead-lettered after max_deliveries",
          "[concurrency]") {
  Fixture f;
  std::atomic<int> calls{0};
  Router router;
  router.onMessage([&](Context&, const Message&) -> Result<void> {
    ++calls;
    throw std::runtime_error("handler exploded");
  });
  EndpointOptions o = f.options();
  MemoryQueueOptions qo;
  qo.max_deliveries = 3;
  auto queue = std::make_shared<MemoryQueue>(qo);
  o.queue = queue;
  Endpoint endpoint(o, std::move(router), Client(f.fake));
  const std::string b = body("m_boom");
  CHECK(endpoint.handlePost(signedFor(b), b).status == 200);
  CHECK(eventually([&] { return endpoint.stats().dead_lettered == 1; }));
  CHECK(calls == 3);  // each delivery ran it again: a failed claim is abandoned, not completed
  const EndpointStats s = endpoint.stats();
  CHECK(s.retried == 2);
  CHECK(s.failed == 3);
  CHECK(s.handled == 0);
  CHECK(s.queue_depth == 0);
  const auto dead = queue->deadLetters();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].entry.body == b);
  CHECK(dead[0].entry.deliveries == 3);
  CHECK(dead[0].reason.find("handler exploded") != std::string::npos);
  CHECK(f.eventsOf(EndpointEventKind::kDeadLettered) == 1);
  CHECK(f.eventsOf(EndpointEventKind::kRetried) == 2);
}

TEST_CASE("endpoint: a handler that fails once succeeds on the retry, and only its event reruns",
          "[concurrency]") {
  Fixture f;
  std::atomic<int> first_calls{0}, second_calls{0};
  Router router;
  router.onMessage([&](Context&, const Message& m) -> Result<void> {
    if (m.mid == "m_ok") {
      ++first_calls;
      return {};
    }
    if (++second_calls == 1) return Error::make(ErrorCategory::kTransport, "flaky");
    return {};
  });
  Endpoint endpoint(f.options(), std::move(router), Client(f.fake));
  // One body, two events: the first succeeds, the second fails once.
  const std::string b =
      R"({"object":"page","entry":[{"id":"1","time":1,"messaging":[)"
      R"({"sender":{"id":"7"},"recipient":{"id":"1"},"timestamp":5,"message":{"mid":"m_ok","text":"a"}},)"
      R"({"sender":{"id":"7"},"recipient":{"id":"1"},"timestamp":6,"message":{"mid":"m_flaky","text":"b"}}]}]})";
  CHECK(endpoint.handlePost(signedFor(b), b).status == 200);
  CHECK(eventually([&] { return endpoint.stats().handled == 2; }));
  endpoint.stop();
  CHECK(first_calls == 1);  // not run again on the retry: de-duplicated
  CHECK(second_calls == 2);
  const EndpointStats s = endpoint.stats();
  CHECK(s.retried == 1);
  CHECK(s.duplicates == 1);
  CHECK(s.dead_lettered == 0);
}

TEST_CASE("endpoint: Meta's redelivery of a handled body runs no handler twice", "[concurrency]") {
  Fixture f;
  std::atomic<int> calls{0};
  Router router;
  router.onMessage([&](Context&, const Message&) { ++calls; });
  Endpoint endpoint(f.options(), std::move(router), Client(f.fake));
  const std::string b = body("m_once");
  CHECK(endpoint.handlePost(signedFor(b), b).status == 200);
  CHECK(eventually([&] { return endpoint.stats().handled == 1; }));
  CHECK(endpoint.handlePost(signedFor(b), b).status == 200);
  CHECK(eventually([&] { return endpoint.stats().duplicates == 1; }));
  endpoint.stop();
  CHECK(calls == 1);
}

namespace {
// A MemoryQueue that hands out bodies in batches (as RedisStreamQueue does), and none until the
// test releases it, so every body is queued before a worker takes them.
class BatchingQueue : public Queue {
 public:
  Result<PushOutcome> push(std::string_view body, Timestamp at) override {
    return inner.push(body, at);
  }
  Result<std::optional<QueuedBody>> pop(std::chrono::milliseconds wait) override {
    return inner.pop(wait);
  }
  Result<std::vector<QueuedBody>> popBatch(std::size_t max,
                                           std::chrono::milliseconds wait) override {
    if (!released) {
      std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(5)));
      return std::vector<QueuedBody>{};
    }
    std::vector<QueuedBody> out;
    while (out.size() < max) {
      auto one = inner.pop(out.empty() ? wait : std::chrono::milliseconds(0));
      if (!one) return std::move(one).error();
      if (!*one) break;
      out.push_back(std::move(**one));
    }
    largest = std::max(largest.load(), out.size());
    return out;
  }
  Result<void> ack(const QueuedBody& e) override { return inner.ack(e); }
  Result<RetryOutcome> retry(const QueuedBody& e, std::chrono::milliseconds delay,
                             std::string_view reason) override {
    return inner.retry(e, delay, reason);
  }
  Result<void> deadLetter(const QueuedBody& e, std::string_view reason) override {
    return inner.deadLetter(e, reason);
  }
  Result<QueueStats> stats() override { return inner.stats(); }
  void close() override { inner.close(); }

  MemoryQueue inner;
  std::atomic<bool> released{false};
  std::atomic<std::size_t> largest{0};
};

// One worker taking up to `batch` bodies from `queue`.
EndpointOptions batchingOptions(Fixture& f, const std::shared_ptr<BatchingQueue>& queue,
                                std::size_t batch) {
  EndpointOptions o = f.options();
  o.workers = 1;
  o.worker_batch = batch;
  o.queue = queue;
  return o;
}

// Each mid's body posted and answered 200, then the queue released: one batch holds them.
void postThenRelease(Endpoint& endpoint, BatchingQueue& queue,
                     std::initializer_list<const char*> mids) {
  for (const char* mid : mids) {
    const std::string b = body(mid);
    REQUIRE(endpoint.handlePost(signedFor(b), b).status == 200);
  }
  queue.released = true;
}
}  // namespace

TEST_CASE("endpoint: a worker's batch is claimed in one store call, each body settled alone",
          "[concurrency]") {
  Fixture f;
  auto queue = std::make_shared<BatchingQueue>();
  const EndpointOptions o = batchingOptions(f, queue, 4);
  auto store = std::make_shared<test::CountingStore>();
  auto dedup = std::make_shared<tracker::Deduplicator>(store);
  std::atomic<int> calls{0};
  Router router;
  router.onMessage([&](Context&, const Message& m) -> Result<void> {
    ++calls;
    if (m.mid == "m_fails") return Error::make(ErrorCategory::kTransport, "fails once");
    return {};
  });
  Endpoint endpoint(o, std::move(router), Client(f.fake), dedup);
  // Four bodies, the last Meta's redelivery of the first, and one whose handler fails.
  postThenRelease(endpoint, *queue, {"m_a", "m_b", "m_fails", "m_a"});
  CHECK(eventually([&] { return endpoint.stats().retried == 1; }));
  CHECK(queue->largest == 4);
  CHECK(store->claim_calls == 1);
  CHECK(store->settle_calls == 3);  // the bodies with events of their own, each after its handler
  CHECK(calls == 3);                // the repeat of m_a ran no handler
  const auto stats = endpoint.stats();
  CHECK(stats.handled == 2);
  CHECK(stats.duplicates == 1);
  CHECK(stats.failed == 1);
  endpoint.stop(1s);
}

TEST_CASE("endpoint: a batch that outlasts half the claim lease hands its rest back",
          "[concurrency]") {
  Fixture f;
  auto queue = std::make_shared<BatchingQueue>();
  const EndpointOptions o = batchingOptions(f, queue, 3);
  tracker::DedupOptions d;
  d.lease = 200ms;
  auto dedup = std::make_shared<tracker::Deduplicator>(std::make_shared<tracker::MemoryStore>(), d);
  std::mutex mu;
  std::vector<std::string> ran;
  Router router;
  router.onMessage([&](Context&, const Message& m) {
    if (m.mid == "m_slow") std::this_thread::sleep_for(150ms);
    std::lock_guard<std::mutex> lock(mu);
    ran.push_back(m.mid);
  });
  Endpoint endpoint(o, std::move(router), Client(f.fake), dedup);
  postThenRelease(endpoint, *queue, {"m_slow", "m_next", "m_last"});
  CHECK(eventually([&] { return endpoint.stats().handled == 3; }));
  endpoint.stop(1s);
  CHECK(queue->largest == 3);
  CHECK(f.eventsOf(EndpointEventKind::kRetried) == 2);
  CHECK(f.allMessages().find("outlasted half the claim lease") != std::string::npos);
  std::lock_guard<std::mutex> lock(mu);
  std::sort(ran.begin(), ran.end());
  CHECK(ran == std::vector<std::string>{"m_last", "m_next", "m_slow"});  // each once
}

TEST_CASE("endpoint: with de-duplication off every delivery runs, and a retry reruns the body",
          "[concurrency]") {
  Fixture f;
  EndpointOptions o = f.options();
  o.deduplication = Deduplication::kOff;
  std::atomic<int> ok_calls{0}, flaky_calls{0};
  Router router;
  router.onMessage([&](Context&, const Message& m) -> Result<void> {
    if (m.mid == "m_ok") {
      ++ok_calls;
      return {};
    }
    if (++flaky_calls == 1) return Error::make(ErrorCategory::kTransport, "flaky");
    return {};
  });
  // A de-duplicator passed in is not consulted: its store never sees a claim.
  auto store = std::make_shared<tracker::MemoryStore>();
  auto dedup = std::make_shared<tracker::Deduplicator>(store);
  Endpoint endpoint(o, std::move(router), Client(f.fake), dedup);
  const std::string once = body("m_ok");
  CHECK(endpoint.handlePost(signedFor(once), once).status == 200);
  CHECK(eventually([&] { return endpoint.stats().handled == 1; }));
  CHECK(endpoint.handlePost(signedFor(once), once).status == 200);  // Meta's redelivery
  CHECK(eventually([&] { return endpoint.stats().handled == 2; }));
  CHECK(ok_calls == 2);
  const std::string b =
      R"({"object":"page","entry":[{"id":"1","time":1,"messaging":[)"
      R"({"sender":{"id":"7"},"recipient":{"id":"1"},"timestamp":5,"message":{"mid":"m_ok","text":"a"}},)"
      R"({"sender":{"id":"7"},"recipient":{"id":"1"},"timestamp":6,"message":{"mid":"m_flaky","text":"b"}}]}]})";
  CHECK(endpoint.handlePost(signedFor(b), b).status == 200);
  CHECK(eventually([&] {
    return flaky_calls == 2 && endpoint.stats().queue_depth == 0 && endpoint.stats().in_flight == 0;
  }));
  endpoint.stop();
  CHECK(ok_calls == 4);  // the body was delivered again whole: its good event reran too
  const EndpointStats s = endpoint.stats();
  CHECK(s.duplicates == 0);
  CHECK(s.retried == 1);
  CHECK(dedup->stats().fresh == 0);
}

TEST_CASE("endpoint: stop() drains what is queued, then refuses with 503", "[concurrency]") {
  Fixture f;
  std::atomic<int> handled{0};
  Router router;
  router.onMessage([&](Context&, const Message&) {
    std::this_thread::sleep_for(20ms);
    ++handled;
  });
  EndpointOptions o = f.options();
  o.workers = 1;
  Endpoint endpoint(o, std::move(router), Client(f.fake));
  for (int i = 0; i < 5; ++i) {
    const std::string b = body("m_q" + std::to_string(i));
    REQUIRE(endpoint.handlePost(signedFor(b), b).status == 200);
  }
  const StopReport report = endpoint.stop(10s);
  CHECK(report.drained);
  CHECK(report.left == 0);
  CHECK(handled == 5);
  const std::string late = body("m_late");
  auto refused = endpoint.handlePost(signedFor(late), late);
  CHECK(refused.status == 503);
  CHECK(endpoint.stats().rejectedFor(Rejection::kStopping) == 1);
  CHECK(endpoint.stop().drained);  // idempotent
}

TEST_CASE("endpoint: stop() returns at its deadline and reports what it leaves queued",
          "[concurrency]") {
  Fixture f;
  Gate gate;
  Router router;
  router.onMessage([&](Context&, const Message&) { gate.wait(); });
  EndpointOptions o = f.options();
  o.workers = 1;
  Endpoint endpoint(o, std::move(router), Client(f.fake));
  for (int i = 0; i < 3; ++i) {
    const std::string b = body("m_stuck" + std::to_string(i));
    REQUIRE(endpoint.handlePost(signedFor(b), b).status == 200);
  }
  std::thread opener([&] {
    std::this_thread::sleep_for(300ms);
    gate.open();  // the running handler finishes; stop() waits for it, not for the others
  });
  const auto started = std::chrono::steady_clock::now();
  const StopReport report = endpoint.stop(50ms);
  const auto took = std::chrono::steady_clock::now() - started;
  opener.join();
  CHECK_FALSE(report.drained);
  CHECK(report.left == 2);
  CHECK(took < 5s);
}

TEST_CASE("endpoint: the dashboard test payload is queued, answered 200 and reported",
          "[concurrency]") {
  Fixture f;
  Endpoint endpoint(f.options(), Router{}, Client(f.fake));
  const std::string b =
      R"({"object":"page","entry":[{"id":"0","time":1,"changes":[{"field":"messages",)"
      R"("value":{"sample":true}}]}]})";
  CHECK(endpoint.handlePost(signedFor(b), b).status == 200);
  CHECK(endpoint.stats().dashboard_tests == 1);
  CHECK(f.eventsOf(EndpointEventKind::kDashboardTest) == 1);
}

TEST_CASE("endpoint: metricsText exposes every counter, by reason, and no secret",
          "[concurrency]") {
  Fixture f;
  Router router;
  router.onMessage([](Context&, const Message&) {});
  Endpoint endpoint(f.options(), std::move(router), Client(f.fake));
  const std::string b = body("m_metrics");
  REQUIRE(endpoint.handlePost(signedFor(b), b).status == 200);
  REQUIRE(endpoint.handlePost({}, b).status == 403);
  REQUIRE(eventually([&] { return endpoint.stats().handled == 1; }));
  const std::string text = endpoint.metricsText();
  for (const char* line :
       {"# TYPE handover_webhook_received_total counter", "handover_webhook_received_total 2",
        "handover_webhook_rejected_total{reason=\"bad_signature\"} 1",
        "handover_webhook_rejected_total{reason=\"queue_full\"} 0",
        "handover_webhook_queued_total 1", "handover_webhook_handled_total 1",
        "handover_webhook_dead_lettered_total 0", "# TYPE handover_webhook_queue_depth gauge",
        "handover_webhook_queue_depth 0", "handover_webhook_oldest_queued_age_seconds 0"}) {
    INFO(line);
    CHECK(text.find(std::string(line) + "\n") != std::string::npos);
  }
  CHECK(text.find(kSecret) == std::string::npos);
  CHECK(text.find(kVerifyToken) == std::string::npos);
}

TEST_CASE("memory queue: retries wait for their delay, ids are distinct, close wakes pop",
          "[concurrency]") {
  MemoryQueueOptions qo;
  qo.max_bodies = 10;
  MemoryQueue q(qo);
  const auto now = fromEpochMillis(1'000);
  REQUIRE(q.push("a", now).value() == PushOutcome::kQueued);
  REQUIRE(q.push("b", now).value() == PushOutcome::kQueued);
  auto first = q.pop(0ms).value();
  auto second = q.pop(0ms).value();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->id != second->id);
  CHECK(first->deliveries == 1);
  CHECK(q.stats().value().in_flight == 2);
  REQUIRE(q.retry(*first, 200ms, "later").value() == RetryOutcome::kRequeued);
  CHECK_FALSE(q.pop(20ms).value());  // not before its delay
  auto again = q.pop(2s).value();
  REQUIRE(again);
  CHECK(again->body == "a");
  CHECK(again->deliveries == 2);
  REQUIRE(q.ack(*again));
  REQUIRE(q.ack(*second));
  CHECK(q.stats().value().in_flight == 0);
  std::thread closer([&] {
    std::this_thread::sleep_for(50ms);
    q.close();
  });
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(q.pop(10s).value());
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  closer.join();
  CHECK(q.push("c", now).value() == PushOutcome::kFull);  // closed
}

TEST_CASE("memory queue: the byte bound refuses a body that would exceed it") {
  MemoryQueueOptions qo;
  qo.max_bytes = 10;
  MemoryQueue q(qo);
  CHECK(q.push("123456", fromEpochMillis(0)).value() == PushOutcome::kQueued);
  CHECK(q.push("12345", fromEpochMillis(0)).value() == PushOutcome::kFull);
  auto e = q.pop(0ms).value();
  REQUIRE(e);
  REQUIRE(q.ack(*e));
  CHECK(q.push("12345", fromEpochMillis(0)).value() == PushOutcome::kQueued);
}

TEST_CASE("endpoint: a Content-Encoding other than identity is 415, before any body is read",
          "[concurrency]") {
  Fixture f;
  Endpoint endpoint(f.options(), Router{}, Client(f.fake));
  const std::string b = body("m_gz");
  HttpHeaders gz = signedFor(b);
  gz.emplace_back("content-encoding", " GZip");
  CHECK(endpoint.handlePost(gz, b).status == 415);
  auto early = endpoint.refuseBeforeBody(gz);
  REQUIRE(early);
  CHECK(early->status == 415);
  HttpHeaders identity = signedFor(b);
  identity.emplace_back("Content-Encoding", "identity");
  CHECK_FALSE(endpoint.refuseBeforeBody(identity));
  CHECK(endpoint.handlePost(identity, b).status == 200);
  const EndpointStats s = endpoint.stats();
  CHECK(s.received == 3);
  CHECK(s.rejectedFor(Rejection::kUnsupportedEncoding) == 2);
  CHECK(s.queued == 1);
  CHECK(endpoint.metricsText().find(
            "handover_webhook_rejected_total{reason=\"unsupported_encoding\"} 2\n") !=
        std::string::npos);
}

// #23: with the router's onFailure and the endpoint's on_event both set, a handler failure was
// logged twice. The router's observer speaks for it; without one, the endpoint does.
TEST_CASE("endpoint: a handler failure is reported once, by the router's observer if it has one",
          "[concurrency]") {
  const bool router_observes = GENERATE(true, false);
  Fixture f;
  auto o = f.options();
  o.retry_delay = 10s;  // one delivery in the test's time
  std::atomic<int> router_saw{0};
  Router router;
  router.onMessage([](Context&, const Message&) -> Result<void> {
    return Error::make(ErrorCategory::kInvalidArgument, "handler says no");
  });
  if (router_observes) router.onFailure([&](const DispatchFailure&) { ++router_saw; });
  Endpoint endpoint(o, std::move(router), Client(f.fake));
  const std::string b = body("m_fail_once");
  REQUIRE(endpoint.handlePost(signedFor(b), b).status == 200);
  REQUIRE(eventually([&] { return endpoint.stats().failed >= 1; }));
  endpoint.stop(100ms);
  CHECK(router_saw == (router_observes ? 1 : 0));
  CHECK(f.eventsOf(EndpointEventKind::kHandlerFailed) == (router_observes ? 0u : 1u));
}

TEST_CASE(
    "a tracker action runs once per event: a redelivery after a failed handler never repeats it",
    "[concurrency]") {
  const auto run =
      handover::test::passOnRequestWithAFailingHandler(std::make_shared<tracker::MemoryStore>());
  CHECK(run.dispatches == 2);  // failed once, delivered again, handled
  CHECK(run.passes == 1);
}
