// RedisStreamQueue against a real redis-server: the queue contract (push, pop, ack, retry,
// dead letters, the bound), two consumers sharing a group, a dead consumer's body taken over,
// Redis unreachable and restarted, the durability check, and an Endpoint on top of it.

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/redis/redis_stream_queue.hpp"
#include "handover/testing/fake_connection.hpp"
#include "redis_support.hpp"

namespace {

using namespace handover;
using namespace std::chrono_literals;
using handover::redis::RedisStreamQueue;
using handover::redis::RedisStreamQueueOptions;
using handover::webhook::PushOutcome;
using handover::webhook::RetryOutcome;
namespace tt = handover::redis::test;

RedisStreamQueueOptions shared(const std::string& name) {
  RedisStreamQueueOptions o;
  o.redis = tt::sharedRedis(tt::uniquePrefix(name));
  o.block = 50ms;
  return o;
}

const Timestamp kAt = fromEpochMillis(1'767'225'600'000);

}  // namespace

TEST_CASE("redis queue: push, pop and ack a body, with its receive time and delivery count") {
  RedisStreamQueue q(shared("rsq_basic"));
  REQUIRE(q.push("body-1", kAt).value() == PushOutcome::kQueued);
  REQUIRE(q.push("body-2", kAt).value() == PushOutcome::kQueued);
  auto s = q.stats().value();
  CHECK(s.depth == 2);
  CHECK(s.in_flight == 0);
  // Bodies spread over partitions: no order between them is promised.
  auto first = q.pop(1s).value();
  REQUIRE(first);
  CHECK((first->body == "body-1" || first->body == "body-2"));
  CHECK(first->received_at == kAt);
  CHECK(first->deliveries == 1);
  s = q.stats().value();
  CHECK(s.depth + s.in_flight == 2);
  CHECK(s.in_flight >= 1);
  REQUIRE(q.ack(*first));
  auto second = q.pop(1s).value();
  REQUIRE(second);
  CHECK(second->body != first->body);
  REQUIRE(q.ack(*second));
  CHECK_FALSE(q.pop(100ms).value());
  s = q.stats().value();
  CHECK(s.depth == 0);
  CHECK(s.in_flight == 0);
  CHECK_FALSE(s.oldest_age);
}

TEST_CASE("redis queue: popBatch hands out a sweep's bodies, acks go out together") {
  RedisStreamQueueOptions o = shared("rsq_batch");
  o.partitions = 2;
  o.read_batch = 8;
  RedisStreamQueue q(o);
  std::set<std::string> pushed;
  for (int i = 0; i < 10; ++i) {
    pushed.insert("batch-" + std::to_string(i));
    REQUIRE(q.push("batch-" + std::to_string(i), kAt).value() == PushOutcome::kQueued);
  }
  // One sweep reads up to 8 of each partition: the first batch is every body it holds, up to 6.
  auto first = q.popBatch(6, 1s).value();
  CHECK(first.size() == 6);
  std::vector<webhook::QueuedBody> all = first;
  while (all.size() < 10) {
    auto more = q.popBatch(6, 1s).value();
    REQUIRE_FALSE(more.empty());
    all.insert(all.end(), more.begin(), more.end());
  }
  std::set<std::string> got;
  for (const auto& b : all) got.insert(b.body);
  CHECK(got == pushed);
  for (const auto& b : all) REQUIRE(q.ack(b));
  // Acks wait to be sent together; stats() sends them first.
  const auto s = q.stats().value();
  CHECK(s.in_flight == 0);
  CHECK(s.depth == 0);
  CHECK(q.popBatch(6, 100ms).value().empty());
}

TEST_CASE("redis queue: the bound refuses with kFull, never trims a queued body") {
  auto o = shared("rsq_full");
  o.max_length = 3;
  o.partitions = 1;  // the bound is split between partitions: one holds it all here
  RedisStreamQueue q(o);
  for (int i = 0; i < 3; ++i)
    REQUIRE(q.push("b" + std::to_string(i), kAt).value() == PushOutcome::kQueued);
  CHECK(q.push("b3", kAt).value() == PushOutcome::kFull);
  auto e = q.pop(1s).value();
  REQUIRE(e);
  REQUIRE(q.ack(*e));
  CHECK(q.push("b3", kAt).value() == PushOutcome::kQueued);
  std::set<std::string> bodies{e->body};
  while (auto next = q.pop(100ms).value()) {
    bodies.insert(next->body);
    REQUIRE(q.ack(*next));
  }
  CHECK(bodies == std::set<std::string>{"b0", "b1", "b2", "b3"});
}

TEST_CASE("redis queue: a retry waits out its delay, then dead-letters after max_deliveries") {
  auto o = shared("rsq_retry");
  o.max_deliveries = 2;
  RedisStreamQueue q(o);
  REQUIRE(q.push("flaky", kAt).value() == PushOutcome::kQueued);
  auto e = q.pop(1s).value();
  REQUIRE(e);
  REQUIRE(q.retry(*e, 300ms, "first failure").value() == RetryOutcome::kRequeued);
  CHECK(q.stats().value().depth == 1);  // parked, still counted
  CHECK_FALSE(q.pop(100ms).value());    // not before its delay
  auto again = q.pop(3s).value();
  REQUIRE(again);
  CHECK(again->body == "flaky");
  CHECK(again->deliveries == 2);
  CHECK(again->received_at == kAt);
  REQUIRE(q.retry(*again, 10ms, "second failure").value() == RetryOutcome::kDeadLettered);
  CHECK_FALSE(q.pop(200ms).value());
  const auto s = q.stats().value();
  CHECK(s.depth == 0);
  CHECK(s.in_flight == 0);
  CHECK(s.dead_lettered == 1);
  const auto dead = q.deadLetters().value();
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].entry.body == "flaky");
  CHECK(dead[0].entry.deliveries == 2);
  CHECK(dead[0].reason == "second failure");
}

TEST_CASE("redis queue: consumers of one group share bodies, each delivered to one of them",
          "[concurrency]") {
  auto o = shared("rsq_group");
  RedisStreamQueue a(o), b(o);
  CHECK(a.consumer() != b.consumer());
  for (int i = 0; i < 40; ++i)
    REQUIRE(a.push("m" + std::to_string(i), kAt).value() == PushOutcome::kQueued);
  std::multiset<std::string> seen;
  std::mutex mu;
  auto drain = [&](RedisStreamQueue& q) {
    while (auto e = q.pop(200ms).value()) {
      {
        std::lock_guard<std::mutex> lock(mu);
        seen.insert(e->body);
      }
      REQUIRE(q.ack(*e));
    }
  };
  std::thread ta([&] { drain(a); });
  std::thread tb([&] { drain(b); });
  ta.join();
  tb.join();
  CHECK(seen.size() == 40);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 40);
}

TEST_CASE("redis queue: a body a dead consumer held is taken over after the lease",
          "[concurrency]") {
  auto o = shared("rsq_lease");
  o.lease = 300ms;
  {
    RedisStreamQueue doomed(o);
    REQUIRE(doomed.push("orphan", kAt).value() == PushOutcome::kQueued);
    auto held = doomed.pop(1s).value();
    REQUIRE(held);  // never acknowledged: the process "dies" here
  }
  RedisStreamQueue survivor(o);
  CHECK_FALSE(survivor.pop(50ms).value());  // still within the lease
  auto taken = survivor.pop(3s).value();
  REQUIRE(taken);
  CHECK(taken->body == "orphan");
  CHECK(taken->deliveries == 2);
  REQUIRE(survivor.ack(*taken));
  CHECK(survivor.stats().value().in_flight == 0);
}

TEST_CASE("redis queue: unreachable Redis is a store error, and an endpoint answers 503",
          "[concurrency]") {
  RedisStreamQueueOptions o;
  o.redis.port = tt::freePort();  // nothing listens there
  o.redis.connect_timeout = 200ms;
  auto q = std::make_shared<RedisStreamQueue>(o);
  auto pushed = q->push("x", kAt);
  REQUIRE_FALSE(pushed);
  CHECK(pushed.error().category == ErrorCategory::kStore);
  CHECK(pushed.error().isRetryable());

  webhook::EndpointOptions eo;
  eo.app_secret = "s";
  eo.verify_token = "v";
  eo.queue = q;
  eo.workers = 1;
  webhook::Endpoint endpoint(eo, webhook::Router{},
                             Client(std::make_shared<testing::FakeConnection>()));
  const std::string body =
      R"({"object":"page","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"7"},)"
      R"("recipient":{"id":"1"},"timestamp":5,"message":{"mid":"m_x","text":"hi"}}]}]})";
  auto answer = endpoint.handlePost(
      {{"X-Hub-Signature-256", webhook::signatureHeaderValue(body, "s")}}, body);
  CHECK(answer.status == 503);
  CHECK(endpoint.stats().rejectedFor(webhook::Rejection::kQueueUnavailable) == 1);
  endpoint.stop(100ms);
}

TEST_CASE("redis queue: queued bodies survive a Redis restart with the documented settings") {
  tt::PrivateRedis redis;  // appendonly yes, appendfsync always
  RedisStreamQueueOptions o;
  o.redis.port = redis.port();
  o.redis.key_prefix = "restart:";
  o.block = 50ms;
  o.partitions = 1;  // one body per read: the pop after the stop must reach Redis
  o.read_batch = 1;
  RedisStreamQueue q(o);
  const auto report = q.checkDurability().value();
  CHECK(report.append_only);
  CHECK(report.append_fsync == "always");
  CHECK(report.warnings.empty());
  for (int i = 0; i < 3; ++i)
    REQUIRE(q.push("r" + std::to_string(i), kAt).value() == PushOutcome::kQueued);
  auto held = q.pop(1s).value();
  REQUIRE(held);
  redis.stop();
  auto down = q.pop(100ms);
  REQUIRE_FALSE(down);
  CHECK(down.error().category == ErrorCategory::kStore);
  redis.start();
  // Acks are batched: `stats` sends them. Each pooled connection opened before the restart
  // fails once (store error, the acks kept for the next try), then reconnects.
  REQUIRE(q.ack(*held));
  auto flushed = q.stats();
  for (int i = 0; i < 8 && !flushed; ++i) flushed = q.stats();
  REQUIRE(flushed);
  std::set<std::string> rest;
  while (auto e = q.pop(200ms).value()) {
    rest.insert(e->body);
    REQUIRE(q.ack(*e));
  }
  rest.insert(held->body);
  CHECK(rest == std::set<std::string>{"r0", "r1", "r2"});
  CHECK(rest.size() == 3);
}

TEST_CASE("redis queue: the durability check warns when persistence is off") {
  RedisStreamQueue q(shared("rsq_durability"));  // the shared fixture runs with appendonly no
  const auto report = q.checkDurability().value();
  CHECK_FALSE(report.append_only);
  REQUIRE(report.warnings.size() == 1);
  CHECK(report.warnings[0].find("appendonly") != std::string::npos);
}

TEST_CASE("redis queue: an endpoint on it handles each body once", "[concurrency]") {
  auto o = shared("rsq_endpoint");
  auto q = std::make_shared<RedisStreamQueue>(o);
  std::atomic<int> calls{0};
  webhook::Router router;
  router.onMessage([&](webhook::Context&, const webhook::Message&) { ++calls; });
  webhook::EndpointOptions eo;
  eo.app_secret = "s";
  eo.verify_token = "v";
  eo.queue = q;
  webhook::Endpoint endpoint(eo, std::move(router),
                             Client(std::make_shared<testing::FakeConnection>()));
  for (int i = 0; i < 5; ++i) {
    const std::string body =
        R"({"object":"page","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"7"},)"
        R"("recipient":{"id":"1"},"timestamp":5,"message":{"mid":"m_)" +
        std::to_string(i) + R"(","text":"hi"}}]}]})";
    REQUIRE(
        endpoint
            .handlePost({{"X-Hub-Signature-256", webhook::signatureHeaderValue(body, "s")}}, body)
            .status == 200);
  }
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (calls < 5 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  const auto report = endpoint.stop(5s);
  CHECK(report.drained);
  CHECK(calls == 5);
  CHECK(q->stats().value().depth == 0);
}

TEST_CASE("redis queue: bodies queued before partitions are still handled after an upgrade",
          "[concurrency]") {
  auto o = shared("rsq_upgrade");
  const int port = o.redis.port;
  const std::string legacy = o.redis.key_prefix + o.stream;  // the single stream of before
  REQUIRE(tt::run("redis-cli -p " + std::to_string(port) + " XGROUP CREATE '" + legacy + "' " +
                  o.group + " 0 MKSTREAM") == 0);
  for (const char* body : {"queued-before-1", "queued-before-2"}) {
    REQUIRE(tt::run("redis-cli -p " + std::to_string(port) + " XADD '" + legacy + "' '*' b " +
                    body + " t 1767225600000 n 0") == 0);
  }
  RedisStreamQueue q(o);
  REQUIRE(q.push("queued-after", kAt).value() == PushOutcome::kQueued);
  CHECK(q.stats().value().depth == 3);
  std::set<std::string> handled;
  while (auto e = q.pop(300ms).value()) {
    handled.insert(e->body);
    REQUIRE(q.ack(*e));
  }
  CHECK(handled == std::set<std::string>{"queued-before-1", "queued-before-2", "queued-after"});
  CHECK(q.stats().value().depth == 0);
  CHECK(tt::cliOutput(port, "XLEN '" + legacy + "'") == "0\n");
  // A server of the version before, still running during a rolling upgrade, queues one more:
  // the new one looks at the old stream again and handles it.
  REQUIRE(tt::run("redis-cli -p " + std::to_string(port) + " XADD '" + legacy +
                  "' '*' b queued-late t 1767225600000 n 0") == 0);
  auto late = q.pop(5s).value();
  REQUIRE(late);
  CHECK(late->body == "queued-late");
  REQUIRE(q.ack(*late));
}

TEST_CASE("redis queue: every key of a partition carries its hash tag (one Cluster slot)") {
  auto o = shared("rsq_tags");
  o.max_deliveries = 1;
  RedisStreamQueue q(o);
  for (int i = 0; i < 20; ++i) REQUIRE(q.push("tagged " + std::to_string(i), kAt));
  auto e = q.pop(1s).value();
  REQUIRE(e);
  REQUIRE(q.retry(*e, 10ms, "to the dead letters").value() == RetryOutcome::kDeadLettered);
  auto f = q.pop(1s).value();
  REQUIRE(f);
  o.max_deliveries = 5;
  RedisStreamQueue parker(o);
  REQUIRE(parker.retry(*f, 60s, "parked").value() == RetryOutcome::kRequeued);
  const std::string keys =
      tt::cliOutput(o.redis.port, "--scan --pattern '" + o.redis.key_prefix + "*'");
  std::set<std::string> partitions;
  std::size_t count = 0;
  std::size_t from = 0;
  for (std::size_t nl = keys.find('\n'); nl != std::string::npos; nl = keys.find('\n', from)) {
    const std::string key = keys.substr(from, nl - from);
    from = nl + 1;
    ++count;
    const auto open = key.find('{');
    const auto close = key.find('}');
    INFO(key);
    REQUIRE(open != std::string::npos);
    REQUIRE(close > open);
    CHECK(key.substr(open + 1, close - open - 1).rfind(o.stream + ":", 0) == 0);
    partitions.insert(key.substr(open, close - open + 1));
  }
  CHECK(count >= 4);             // streams, a dead-letter stream, a retry set and its data
  CHECK(partitions.size() > 1);  // 20 bodies spread over several partitions
}
