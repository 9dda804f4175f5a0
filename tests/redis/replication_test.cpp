// The fleet on replicated Redis, with real redis-server processes: `wait_replicas` (WAIT after
// the enqueue and after every store write) answers 503, never 200, when the replicas do not
// hold a body in time; checkDurability reports the replicas; Sentinel finds the primary and
// follows a failover after the primary is SIGKILLed, losing no body that was queued.
// Labelled `topology`: run in the main stage only (not under the sanitizers), serially.
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "core/crypto.hpp"
#include "handover/client/client.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/redis/redis_store.hpp"
#include "handover/redis/redis_stream_queue.hpp"
#include "handover/testing/fake_connection.hpp"
#include "redis_support.hpp"

using namespace handover;
using namespace std::chrono_literals;
using handover::redis::RedisOptions;
using handover::redis::RedisStreamQueue;
using handover::redis::RedisStreamQueueOptions;
using handover::webhook::PushOutcome;
namespace rt = handover::redis::test;

namespace {

bool eventually(const std::function<bool()>& check, std::chrono::seconds bound = 20s) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    if (check()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return check();
}

// A replica of `primary`, its link up.
std::unique_ptr<rt::PrivateRedis> replicaOf(const rt::PrivateRedis& primary) {
  auto replica =
      std::make_unique<rt::PrivateRedis>("--replicaof 127.0.0.1 " + std::to_string(primary.port()));
  REQUIRE(eventually([&] { return replica->info("replication", "master_link_status") == "up"; }));
  return replica;
}

RedisOptions waitingFor(int port, int replicas) {
  RedisOptions o;
  o.port = port;
  o.key_prefix = rt::uniquePrefix("replicas");
  o.wait_replicas = replicas;
  o.wait_timeout = 300ms;
  return o;
}

const std::string kBody =
    R"({"object":"page","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"2"},)"
    R"("recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m1","text":"hi"}}]}]})";

}  // namespace

TEST_CASE("replicas: a body the replicas hold is queued, one they do not hold answers 503") {
  rt::PrivateRedis primary;
  auto replica = replicaOf(primary);
  RedisStreamQueueOptions qo;
  qo.redis = waitingFor(primary.port(), 1);
  auto queue = std::make_shared<RedisStreamQueue>(qo);
  CHECK(queue->push("a body", Timestamp{}).value() == PushOutcome::kQueued);
  auto healthy = queue->checkDurability().value();
  CHECK(healthy.replicas == 1);
  CHECK(healthy.wait_replicas == 1);
  CHECK(healthy.warnings.empty());

  replica->kill();
  REQUIRE(eventually([&] { return primary.info("replication", "connected_slaves") == "0"; }));
  CHECK(queue->push("another body", Timestamp{}).value() == PushOutcome::kNotReplicated);
  auto degraded = queue->checkDurability().value();
  CHECK(degraded.replicas == 0);
  REQUIRE(degraded.warnings.size() == 1);
  CHECK(degraded.warnings[0].find("wait_replicas asks for 1 replicas but the primary has 0") !=
        std::string::npos);

  // The endpoint answers 503 with Retry-After, never 200.
  webhook::EndpointOptions eo;
  eo.app_secret = "secret";
  eo.queue = queue;
  eo.deduplication = webhook::Deduplication::kOff;
  webhook::Endpoint endpoint(eo, webhook::Router{},
                             Client(std::make_shared<handover::testing::FakeConnection>()));
  const std::string sig = "sha256=" + handover::detail::hmacSha256Hex("secret", kBody);
  const auto answer = endpoint.handlePost({{"X-Hub-Signature-256", sig}}, kBody);
  CHECK(answer.status == 503);
  bool retry_after = false;
  for (const auto& [k, v] : answer.headers) retry_after = retry_after || k == "Retry-After";
  CHECK(retry_after);
  CHECK(endpoint.stats().rejectedFor(webhook::Rejection::kNotReplicated) == 1);
  (void)endpoint.stop(2s);

  // The store's writes wait too: a de-duplication claim the replicas do not hold fails.
  redis::RedisStore store(waitingFor(primary.port(), 1));
  auto claim = store.claimEvent("event-1", 10s);
  REQUIRE_FALSE(claim);
  CHECK(claim.error().category == ErrorCategory::kStore);
  CHECK(claim.error().message.find("reached 0 of the 1 replicas") != std::string::npos);
  CHECK(store.load({"p", "u"}));  // reads need no replica
}

TEST_CASE("replicas: checkDurability warns when replicas exist and nothing waits for them") {
  rt::PrivateRedis primary;
  auto replica = replicaOf(primary);
  RedisStreamQueueOptions qo;
  qo.redis = waitingFor(primary.port(), 0);
  RedisStreamQueue queue(qo);
  auto report = queue.checkDurability().value();
  CHECK(report.replicas == 1);
  REQUIRE(report.warnings.size() == 1);
  CHECK(report.warnings[0].find("wait_replicas is 0") != std::string::npos);
}

TEST_CASE("replicas: options that would fail later are refused at construction") {
  const auto refused = [](const std::function<void(RedisOptions&)>& change, const char* why) {
    RedisOptions o;
    change(o);
    CHECK_FALSE(redis::checkOptions(o));
    CHECK_THROWS_WITH(redis::RedisStore(o), Catch::Contains(why));
    RedisStreamQueueOptions qo;
    qo.redis = o;
    CHECK_THROWS_WITH(RedisStreamQueue(qo), Catch::Contains(why));
  };
  refused([](RedisOptions& o) { o.wait_replicas = -1; }, "wait_replicas must be 0 or more");
  refused(
      [](RedisOptions& o) {
        o.wait_replicas = 1;
        o.wait_timeout = o.command_timeout;
      },
      "wait_timeout must be below command_timeout");
  refused(
      [](RedisOptions& o) {
        o.wait_replicas = 1;
        o.wait_timeout = 0ms;
      },
      "wait_timeout must be above 0");
  refused(
      [](RedisOptions& o) {
        o.sentinels = {{"127.0.0.1", 26379}};
      },
      "sentinels need the sentinel_service");
  refused(
      [](RedisOptions& o) {
        o.sentinels = {{"127.0.0.1", 0}};
        o.sentinel_service = "s";
      },
      "a host and a port");
  CHECK(redis::checkOptions(RedisOptions{}));
}

TEST_CASE("sentinel: the queue finds the primary, follows a failover and loses no queued body") {
  rt::PrivateRedis primary;
  auto first = replicaOf(primary);
  auto second = replicaOf(primary);
  const std::string service = "handover-test";
  std::vector<std::unique_ptr<rt::PrivateSentinel>> sentinels;
  RedisOptions o = waitingFor(0, 1);
  o.port = 0;  // unused: the Sentinels say where the primary is
  o.sentinel_service = service;
  o.wait_timeout = 500ms;
  for (int i = 0; i < 3; ++i) {
    sentinels.push_back(std::make_unique<rt::PrivateSentinel>(service, primary.port(), 2));
    o.sentinels.push_back({"127.0.0.1", sentinels.back()->port()});
  }
  RedisStreamQueueOptions qo;
  qo.redis = o;
  RedisStreamQueue queue(qo);
  std::set<std::string> queued;
  for (int i = 0; i < 50; ++i) {
    const std::string body = "before " + std::to_string(i);
    REQUIRE(queue.push(body, Timestamp{}).value() == PushOutcome::kQueued);
    queued.insert(body);
  }
  redis::RedisStore store(o);
  REQUIRE(store.claimEvent("before-failover", 60s).value() == tracker::EventClaim::kNew);

  primary.kill();
  // Until a replica is promoted, a push fails (503 at the endpoint); then it goes through the
  // new primary, found through the Sentinels.
  std::size_t refused = 0;
  int after = 0;
  const bool recovered = eventually(
      [&] {
        const std::string body = "after " + std::to_string(after);
        auto r = queue.push(body, Timestamp{});
        if (r && *r == PushOutcome::kQueued) {
          queued.insert(body);
          ++after;
          return after >= 5;
        }
        ++refused;
        return false;
      },
      40s);
  INFO("pushes refused during the failover: " << refused);
  REQUIRE(recovered);
  CHECK(primary.cli("ping") != 0);

  // Every body answered kQueued is there, before and after the failover.
  std::set<std::string> found;
  for (;;) {
    auto b = queue.pop(200ms).value();
    if (!b) break;
    found.insert(b->body);
    REQUIRE(queue.ack(*b));
  }
  std::size_t lost = 0;
  for (const auto& body : queued) lost += found.count(body) == 0 ? 1 : 0;
  CHECK(lost == 0);
  CHECK(found.size() == queued.size());
  // The store follows the failover too, and its claim survived it.
  CHECK(eventually([&] {
    auto c = store.claimEvent("before-failover", 60s);
    return c && *c == tracker::EventClaim::kInFlight;
  }));
}
