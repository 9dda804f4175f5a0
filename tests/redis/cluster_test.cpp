// Redis Cluster with real redis-server processes (three primaries, three replicas): the slot of
// a key as Redis computes it, the queue and the store on the cluster, a slot that holds a live
// partition migrated mid-stream (ASK while it moves, MOVED after), and a primary SIGKILLed and
// replaced by its replica. Labelled `topology`: the main stage only, one at a time.
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "cluster.hpp"
#include "handover/redis/redis_store.hpp"
#include "handover/redis/redis_stream_queue.hpp"
#include "redis_support.hpp"

using namespace handover;
using namespace std::chrono_literals;
using handover::redis::RedisOptions;
using handover::redis::RedisStreamQueue;
using handover::redis::RedisStreamQueueOptions;
using handover::webhook::PushOutcome;
namespace rt = handover::redis::test;

namespace {

RedisOptions onCluster(rt::PrivateCluster& cluster, const std::string& name) {
  RedisOptions o;
  o.cluster_nodes = {{"127.0.0.1", cluster.node(0).port()}, {"127.0.0.1", cluster.node(1).port()}};
  o.key_prefix = rt::uniquePrefix(name);
  return o;
}

// Pops and acknowledges until `wait` passes with nothing new; the bodies seen.
std::multiset<std::string> drain(RedisStreamQueue& q, std::chrono::milliseconds wait = 1500ms) {
  std::multiset<std::string> seen;
  while (auto b = q.pop(wait).value()) {
    seen.insert(b->body);
    REQUIRE(q.ack(*b));
  }
  return seen;
}

}  // namespace

TEST_CASE("cluster: slots as Redis computes them, and the queue and the store on a cluster") {
  rt::PrivateCluster cluster;
  for (const std::string key :
       {"foo", "123456789", "handover:{webhook:3}", "handover:{webhook:3}:retry", "{}x", "a{b}c",
        "{user1000}.following", "x{}{y}", "test:e:m_abc"}) {
    const std::string oracle =
        rt::cliOutput(cluster.node(0).port(), "cluster keyslot '" + key + "'");
    INFO(key);
    CHECK(std::to_string(redis::detail::keySlot(key)) + "\n" == oracle);
  }
  RedisStreamQueueOptions qo;
  qo.redis = onCluster(cluster, "cluster-queue");
  RedisStreamQueue q(qo);
  std::set<std::string> pushed;
  for (int i = 0; i < 200; ++i) {
    const std::string body = "body " + std::to_string(i);
    REQUIRE(q.push(body, Timestamp{}).value() == PushOutcome::kQueued);
    pushed.insert(body);
  }
  CHECK(q.stats().value().depth == 200);
  // The durability check asks every primary and reports the weakest.
  auto report = q.checkDurability().value();
  CHECK(report.replicas == 1);
  CHECK(report.append_fsync == "always");
  REQUIRE(report.warnings.size() == 1);  // replicas exist, wait_replicas is 0
  CHECK(report.warnings[0].find("wait_replicas is 0") != std::string::npos);
  int weak = 0;
  for (std::size_t i = 0; i < cluster.size() && weak == 0; ++i) {
    if (rt::cliOutput(cluster.node(i).port(), "role").rfind("master", 0) == 0) {
      weak = cluster.node(i).port();
    }
  }
  REQUIRE(rt::run("redis-cli -p " + std::to_string(weak) + " config set appendfsync everysec") ==
          0);
  report = q.checkDurability().value();
  CHECK(report.append_fsync == "everysec");
  CHECK(report.warnings.size() == 2);
  const auto seen = drain(q);
  CHECK(seen.size() == 200);
  CHECK(std::set<std::string>(seen.begin(), seen.end()) == pushed);

  redis::RedisStore store(onCluster(cluster, "cluster-store"));
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) keys.push_back("event-" + std::to_string(i));
  const auto claims = store.claimEvents(keys, 30s).value();
  for (auto c : claims) CHECK(c == tracker::EventClaim::kNew);
  REQUIRE(store.settleEvents(keys, {}, 1h));
  const auto again = store.claimEvents(keys, 30s).value();
  for (auto c : again) CHECK(c == tracker::EventClaim::kDuplicate);
  for (int i = 0; i < 30; ++i) {
    REQUIRE(store.schedule({"page", "user" + std::to_string(i)}, fromEpochMillis(1000)));
  }
  CHECK(store.claimDue(fromEpochMillis(2000), 30s, 100).value().size() == 30);
}

TEST_CASE("cluster: a slot holding a live partition migrates mid-stream and nothing is lost") {
  rt::PrivateCluster cluster;
  RedisStreamQueueOptions qo;
  qo.redis = onCluster(cluster, "cluster-migrate");
  qo.partitions = 4;
  RedisStreamQueue q(qo);
  std::multiset<std::string> pushed;
  const auto push = [&](const std::string& body) {
    REQUIRE(q.push(body, Timestamp{}).value() == PushOutcome::kQueued);
    pushed.insert(body);
  };
  for (int i = 0; i < 100; ++i) push("before " + std::to_string(i));

  // The slot of partition 0 (its stream, retry set and dead letters share it).
  const std::string stream = qo.redis.key_prefix + "{" + qo.stream + ":0}";
  const int slot = redis::detail::keySlot(stream);
  const int any = cluster.node(0).port();
  const int from = cluster.primaryOf(slot, any);
  int to = 0;
  for (std::size_t i = 0; i < cluster.size() && to == 0; ++i) {
    const int port = cluster.node(i).port();
    if (port != from && cluster.primaryOf(slot, any) != port &&
        rt::cliOutput(port, "role").rfind("master", 0) == 0) {
      to = port;
    }
  }
  REQUIRE(from != 0);
  REQUIRE(to != 0);
  REQUIRE(cluster.beginMigration(slot, to) == from);
  // The slot's keys move while pushes go on, as a resharding tool moves them: the push script
  // meets TRYAGAIN (its keys split between the nodes) and ASK (none left at the source), and
  // retries until it lands. A push still failing after its retries is answered 503 in life;
  // here it is simply not counted as queued.
  std::thread mover([&] {
    std::this_thread::sleep_for(300ms);
    cluster.finishMigration(slot, from, to);
  });
  std::size_t refused = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string body = "during " + std::to_string(i);
    auto r = q.push(body, Timestamp{});
    if (r && *r == PushOutcome::kQueued) {
      pushed.insert(body);
    } else {
      ++refused;
    }
    std::this_thread::sleep_for(10ms);
  }
  mover.join();
  INFO("pushes refused while the slot moved: " << refused);
  CHECK(refused < 50);
  REQUIRE(cluster.waitUntilOk());
  CHECK(cluster.primaryOf(slot, any) == to);
  // After it moved: MOVED corrects the map.
  for (int i = 0; i < 50; ++i) push("after " + std::to_string(i));
  const auto seen = drain(q);
  CHECK(seen == pushed);
}

TEST_CASE("cluster: a primary SIGKILLed is replaced by its replica and no queued body is lost") {
  rt::PrivateCluster cluster;
  RedisStreamQueueOptions qo;
  qo.redis = onCluster(cluster, "cluster-failover");
  qo.redis.wait_replicas = 1;  // a body answered kQueued is on a replica too
  qo.redis.wait_timeout = 500ms;
  qo.redis.connect_timeout = 300ms;
  RedisStreamQueue q(qo);
  std::multiset<std::string> queued;
  for (int i = 0; i < 100; ++i) {
    const std::string body = "before " + std::to_string(i);
    REQUIRE(q.push(body, Timestamp{}).value() == PushOutcome::kQueued);
    queued.insert(body);
  }
  // Kill the primary serving partition 0; once its replica is promoted, the killed node comes
  // back as the new primary's replica (with one replica each, WAIT 1 needs it back).
  const int slot = redis::detail::keySlot(qo.redis.key_prefix + "{" + qo.stream + ":0}");
  const int victim_port = cluster.primaryOf(slot, cluster.node(0).port());
  rt::PrivateRedis* victim = nullptr;
  int ask = 0;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.node(i).port() == victim_port) {
      victim = &cluster.node(i);
    } else if (ask == 0) {
      ask = cluster.node(i).port();
    }
  }
  REQUIRE(victim != nullptr);
  victim->kill();
  // Pushes fail or are not replicated (503 in life) until the replica is promoted and has a
  // replica again, then go through.
  std::size_t refused = 0;
  int after = 0;
  bool restarted = false;
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (after < 50 && std::chrono::steady_clock::now() < until) {
    if (!restarted && cluster.primaryOf(slot, ask) != victim_port &&
        cluster.primaryOf(slot, ask) != 0) {
      victim->start();
      restarted = true;
    }
    const std::string body = "after " + std::to_string(after);
    auto r = q.push(body, Timestamp{});
    if (r && *r == PushOutcome::kQueued) {
      queued.insert(body);
      ++after;
    } else {
      ++refused;
      std::this_thread::sleep_for(100ms);
    }
  }
  INFO("pushes refused during the failover: " << refused);
  REQUIRE(after == 50);
  CHECK(restarted);
  CHECK(cluster.primaryOf(slot, ask) != victim_port);
  const auto seen = drain(q);
  std::size_t lost = 0;
  for (const auto& body : queued) lost += seen.count(body) == 0 ? 1 : 0;
  CHECK(lost == 0);
}
