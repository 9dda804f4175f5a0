// RedisStore against a real redis-server: same merge rules as MemoryStore, atomic claims across
// connections, de-duplication TTLs, and connection loss.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "catch.hpp"
#include "handover/redis/redis_store.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/memory_store.hpp"
#include "handover/tracker/thread_tracker.hpp"
#include "once_per_event.hpp"
#include "recording_server.hpp"
#include "redis_support.hpp"
#include "secret_scan.hpp"
#include "tracker_support.hpp"

using namespace handover;
using namespace handover::tracker;
using namespace handover::tracker::test;
using namespace handover::redis::test;
using handover::redis::RedisOptions;
using handover::redis::RedisStore;

using namespace std::chrono_literals;
namespace {

void requireSame(const ConversationState& a, const ConversationState& b) {
  CHECK(a.key == b.key);
  CHECK(a.owner.ownership == b.owner.ownership);
  CHECK(a.owner.app_id == b.owner.app_id);
  CHECK(a.owner.source == b.owner.source);
  CHECK(a.owner.learned_at == b.owner.learned_at);
  CHECK(a.owner.expires_at == b.owner.expires_at);
  CHECK(a.last_user_message == b.last_user_message);
  CHECK(a.last_own_message == b.last_own_message);
  CHECK(a.last_other_message == b.last_other_message);
  CHECK(a.last_other_app_id == b.last_other_app_id);
  CHECK(a.platform == b.platform);
  REQUIRE(a.pending_requests.size() == b.pending_requests.size());
  for (std::size_t i = 0; i < a.pending_requests.size(); ++i) {
    CHECK(a.pending_requests[i].app_id == b.pending_requests[i].app_id);
    CHECK(a.pending_requests[i].metadata == b.pending_requests[i].metadata);
    CHECK(a.pending_requests[i].at == b.pending_requests[i].at);
  }
  REQUIRE(a.last_action.has_value() == b.last_action.has_value());
  if (a.last_action) {
    CHECK(a.last_action->action == b.last_action->action);
    CHECK(a.last_action->target_app_id == b.last_action->target_app_id);
    CHECK(a.last_action->at == b.last_action->at);
    CHECK(a.last_action->ok == b.last_action->ok);
    CHECK(a.last_action->error == b.last_action->error);
  }
}

std::vector<Observation> scenario() {
  std::vector<Observation> v;
  Observation o;
  o.user_message = kT0 + 5ms;
  v.push_back(o);
  o = {};
  o.platform = Platform::kInstagram;  // kept by both stores until another event says otherwise
  v.push_back(o);
  o = {};
  o.request = PendingRequest{"2222", "give | me", kT0 + 6ms};
  v.push_back(o);
  o = {};
  o.request = PendingRequest{"3333", "", kT0 + 9ms};
  v.push_back(o);
  o = {};
  o.request = PendingRequest{"2222", "older", kT0 + 1ms};  // older than the stored one: kept out
  v.push_back(o);
  o = {};
  o.other_message = kT0 + 7ms;
  o.other_app_id = "263902037430900";
  o.owner =
      OwnerInfo{Ownership::kApp, "263902037430900", OwnerSource::kWebhook, kT0 + 7ms, std::nullopt};
  o.clear_requests = true;  // drops the request at +6, keeps the one at +9
  v.push_back(o);
  o = {};
  o.other_message = kT0 + 3ms;  // late and older: ignored
  o.other_app_id = "5555";
  o.owner = OwnerInfo{Ownership::kIdle, "", OwnerSource::kOwnCall, kT0 + 2ms, std::nullopt};
  v.push_back(o);
  o = {};
  o.own_message = kT0 + 8ms;
  o.action = ActionRecord{PolicyAction::kTake, "", kT0 + 8ms, false, "transport | reset"};
  v.push_back(o);
  o = {};
  o.owner = OwnerInfo{Ownership::kApp, "1111", OwnerSource::kGraph, kT0 + 10ms, kT0 + 86'400'000ms};
  v.push_back(o);
  o = {};
  o.standby_at = kT0 + 10ms;  // not newer: ignored
  o.self_app_id = "1111";
  v.push_back(o);
  o = {};
  o.standby_at = kT0 + 11ms;  // we owned it: now an unnamed other app does
  o.self_app_id = "1111";
  v.push_back(o);
  o = {};
  o.owner = OwnerInfo{Ownership::kApp, "4444", OwnerSource::kWebhook, kT0 + 12ms, std::nullopt};
  v.push_back(o);
  o = {};
  o.standby_at = kT0 + 13ms;  // another app already owns it: kept
  o.self_app_id = "1111";
  v.push_back(o);
  return v;
}

}  // namespace

TEST_CASE("RedisStore merges exactly like MemoryStore") {
  RedisStore redis(sharedRedis(uniquePrefix("merge")));
  MemoryStore memory;
  const ConversationKey key{kPage, kUser};
  CHECK_FALSE(redis.load(key).value());
  for (const Observation& o : scenario()) {
    auto r = redis.apply(key, o).value();
    auto m = memory.apply(key, o).value();
    requireSame(r, m);
  }
  auto r = redis.load(key).value().value();
  auto m = memory.load(key).value().value();
  requireSame(r, m);
  CHECK(r.pending_requests.size() == 1);
  CHECK(r.owner.isApp("4444"));
  CHECK(r.platform == Platform::kInstagram);
  // User ids may hold anything (chat-plugin user_refs): the page id ends at the first bar.
  const ConversationKey odd{kPage, "ref|with:odd chars"};
  REQUIRE(redis.schedule(odd, kT0));
  auto c = redis.claimDue(kT0, 1000ms, 10).value();
  REQUIRE(c.size() == 1);
  CHECK(c[0].key == odd);
  CHECK(c[0].due_at == kT0);
  CHECK(c[0].lease_until == kT0 + 1000ms);
}

TEST_CASE("RedisStore timers: lease, reschedule, finish") {
  RedisStore store(sharedRedis(uniquePrefix("timers")));
  const ConversationKey k{"1", "u"};
  REQUIRE(store.schedule(k, kT0));
  CHECK(store.claimDue(kT0 - 1ms, 1000ms, 10).value().empty());
  auto c = store.claimDue(kT0, 1000ms, 10).value();
  REQUIRE(c.size() == 1);
  CHECK(store.claimDue(kT0 + 999ms, 1000ms, 10).value().empty());
  REQUIRE(store.schedule(k, kT0 + 5000ms));
  REQUIRE(store.finishDue(c[0]));  // rescheduled meanwhile: kept
  auto again = store.claimDue(kT0 + 5000ms, 1000ms, 10).value();
  REQUIRE(again.size() == 1);
  // The claimer died: after the lease the timer comes due again.
  auto later = store.claimDue(kT0 + 6000ms, 1000ms, 10).value();
  REQUIRE(later.size() == 1);
  REQUIRE(store.finishDue(later[0]));
  CHECK(store.claimDue(kT0 + 1'000'000ms, 1000ms, 10).value().empty());
  REQUIRE(store.schedule(k, kT0));
  REQUIRE(store.schedule(k, std::nullopt));
  CHECK(store.claimDue(kT0 + 1'000'000ms, 1000ms, 10).value().empty());
}

TEST_CASE("a due timer is claimed by exactly one of two servers racing for it", "[concurrency]") {
  const std::string prefix = uniquePrefix("race");
  RedisStore setup(sharedRedis(prefix));
  constexpr int kConversations = 300;
  for (int i = 0; i < kConversations; ++i) {
    REQUIRE(setup.schedule({"1", "u" + std::to_string(i)}, kT0 + std::chrono::milliseconds(i)));
  }
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int server = 0; server < 4; ++server) {
    threads.emplace_back([&] {
      RedisStore own(sharedRedis(prefix));  // its own connection, like another process
      for (int round = 0; round < 40; ++round) {
        auto got = own.claimDue(kT0 + std::chrono::milliseconds(kConversations), 60'000ms, 5);
        if (!got) {
          ++errors;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& c : *got) claimed.insert(c.key.user_id);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(claimed.size() == kConversations);
  CHECK(std::set<std::string>(claimed.begin(), claimed.end()).size() == kConversations);
}

TEST_CASE("an event is claimed by exactly one of several servers, a done one is a duplicate",
          "[concurrency]") {
  const std::string prefix = uniquePrefix("events");
  std::mutex mu;
  std::map<std::string, int> wins;
  std::vector<std::thread> threads;
  for (int server = 0; server < 4; ++server) {
    threads.emplace_back([&] {
      RedisStore own(sharedRedis(prefix));
      for (int i = 0; i < 200; ++i) {
        const std::string key = "m_" + std::to_string(i);
        auto c = own.claimEvent(key, 60'000ms);
        if (c && *c == EventClaim::kNew) {
          std::lock_guard<std::mutex> lock(mu);
          ++wins[key];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(wins.size() == 200);
  for (const auto& [key, n] : wins) CHECK(n == 1);

  RedisStore store(sharedRedis(prefix));
  CHECK(store.claimEvent("m_0", 60'000ms).value() == EventClaim::kInFlight);
  REQUIRE(store.completeEvent("m_0", 60'000ms));
  CHECK(store.claimEvent("m_0", 60'000ms).value() == EventClaim::kDuplicate);
  REQUIRE(store.abandonEvent("m_0"));  // a done key is never given up
  CHECK(store.claimEvent("m_0", 60'000ms).value() == EventClaim::kDuplicate);
  REQUIRE(store.abandonEvent("m_1"));
  CHECK(store.claimEvent("m_1", 60'000ms).value() == EventClaim::kNew);
}

TEST_CASE("de-duplication keys and claims expire with their TTL") {
  RedisStore store(sharedRedis(uniquePrefix("ttl")));
  REQUIRE(store.claimEvent("k_done", 60'000ms).value() == EventClaim::kNew);
  REQUIRE(store.completeEvent("k_done", 150ms));
  REQUIRE(store.claimEvent("k_lease", 150ms).value() == EventClaim::kNew);
  CHECK(store.claimEvent("k_done", 60'000ms).value() == EventClaim::kDuplicate);
  CHECK(store.claimEvent("k_lease", 150ms).value() == EventClaim::kInFlight);
  // Redis expires a key once its TTL passed; wait (bounded) for that, never for a fixed time.
  auto until_new = [&](const std::string& k) {
    for (int i = 0; i < 200; ++i) {
      auto c = store.claimEvent(k, 60'000ms).value();
      if (c == EventClaim::kNew) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  };
  CHECK(until_new("k_done"));
  CHECK(until_new("k_lease"));
}

TEST_CASE("two trackers sharing Redis perform a due take-back once", "[concurrency]") {
  handover::test::RecordingServer graph;  // {"success":true}
  const std::string prefix = uniquePrefix("tracker");
  ClientOptions co;
  co.base_url = graph.baseUrl();
  co.access_token = "t";
  co.app_id = kBotApp;
  co.retry.max_attempts = 1;
  ManualClock clock;
  TrackerOptions opts;
  opts.clock = clock.fn();
  opts.policies.idle_take_back =
      IdleTakeBack{IdleTakeBack::Action::kTake, std::chrono::minutes(10), "", ""};
  constexpr int kUsers = 40;
  {
    ThreadTracker writer(std::make_shared<RedisStore>(sharedRedis(prefix)),
                         handover::test::guarded(co), opts);
    for (int u = 0; u < kUsers; ++u) {
      REQUIRE(writer.observe(echo(kT0 + std::chrono::milliseconds(u), "m" + std::to_string(u),
                                  std::string(kPageInboxAppId), "user" + std::to_string(u))));
    }
  }
  clock.now = kT0 + 60 * kMinute;
  std::atomic<std::size_t> performed{0};
  std::vector<std::thread> servers;
  for (int s = 0; s < 2; ++s) {
    servers.emplace_back([&] {
      ThreadTracker t(std::make_shared<RedisStore>(sharedRedis(prefix)),
                      handover::test::guarded(co), opts);
      for (int round = 0; round < 10; ++round) {
        auto r = t.poll();
        if (r) performed += r->size();
      }
    });
  }
  for (auto& t : servers) t.join();
  CHECK(performed == kUsers);
  CHECK(graph.requestCount() == kUsers);
  ThreadTracker reader(std::make_shared<RedisStore>(sharedRedis(prefix)),
                       handover::test::guarded(co), opts);
  for (int u = 0; u < kUsers; ++u) {
    auto s = reader.state({kPage, "user" + std::to_string(u)}).value().value();
    CHECK(s.owner.isApp(kBotApp));
  }
}

TEST_CASE("an unreachable Redis gives a typed error at once") {
  const handover::test::RefusedPort nobody;  // held bound, never listening
  RedisOptions o;
  o.port = nobody.port();
  RedisStore store(o);
  auto r = store.claimEvent("x", 1000ms);
  REQUIRE_FALSE(r);
  CHECK(isStoreError(r.error()));
  CHECK(r.error().category == ErrorCategory::kStore);
  CHECK(r.error().message.find("unreachable") != std::string::npos);
  auto s = store.apply({kPage, kUser}, Observation{});
  REQUIRE_FALSE(s);
  CHECK(isStoreError(s.error()));
}

TEST_CASE("Redis going away: typed errors, then reconnect with nothing lost or repeated") {
  PrivateRedis server;
  RedisOptions o;
  o.port = server.port();
  o.key_prefix = "loss:";
  o.connections = 1;  // the cut below hits the one connection the next call uses
  auto store = std::make_shared<RedisStore>(o);
  Deduplicator dedup(store);
  webhook::Batch first;
  first.events = {userMessage(kT0, "m_1")};
  auto a = dedup.admit(first).value();
  REQUIRE(a.fresh.events.size() == 1);
  REQUIRE(dedup.complete(a));
  Observation obs;
  obs.user_message = kT0;
  REQUIRE(store->apply({kPage, kUser}, obs));

  SECTION("the server is killed and restarted") {
    server.stop();
    webhook::Batch second;
    second.events = {userMessage(kT0 + 1ms, "m_2"), userMessage(kT0, "m_1")};
    auto down = dedup.admit(second);
    REQUIRE_FALSE(down);  // the webhook handler answers 500: Meta redelivers
    CHECK(isStoreError(down.error()));
    auto load = store->load({kPage, kUser});
    REQUIRE_FALSE(load);
    CHECK(isStoreError(load.error()));

    server.start();
    auto back = dedup.admit(second).value();  // reconnects by itself
    REQUIRE(back.fresh.events.size() == 1);
    CHECK(back.fresh.events[0].get<webhook::Message>()->mid == "m_2");
    CHECK(back.duplicates == 1);  // m_1 was done before the loss: not applied twice
    CHECK(store->load({kPage, kUser}).value()->last_user_message == kT0);
  }
  SECTION("the connection is cut (CLIENT KILL)") {
    REQUIRE(server.cli("CLIENT KILL TYPE normal") == 0);
    auto cut = store->claimEvent("m_3", 60'000ms);
    REQUIRE_FALSE(cut);
    CHECK(isStoreError(cut.error()));
    CHECK(store->claimEvent("m_3", 60'000ms).value() == EventClaim::kNew);
    CHECK(store->claimEvent(webhook::dedupKey(userMessage(kT0, "m_1")), 60'000ms).value() ==
          EventClaim::kDuplicate);
  }
}

TEST_CASE("one RedisStore serves many threads at once through its connection pool",
          "[concurrency]") {
  RedisOptions o = sharedRedis(uniquePrefix("pool"));
  o.connections = 3;
  RedisStore store(o);
  constexpr int kThreads = 8, kPerThread = 100;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Observation obs;
        obs.user_message = kT0 + std::chrono::milliseconds(t * kPerThread + i);
        if (!store.apply({kPage, "shared"}, obs)) ++errors;
        if (!store.apply({kPage, "u" + std::to_string(t)}, obs)) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(store.load({kPage, "shared"}).value()->last_user_message ==
        kT0 + std::chrono::milliseconds(kThreads * kPerThread - 1));
  for (int t = 0; t < kThreads; ++t) {
    CHECK(store.load({kPage, "u" + std::to_string(t)}).value()->last_user_message ==
          kT0 + std::chrono::milliseconds(t * kPerThread + kPerThread - 1));
  }
}

TEST_CASE("a body's keys are claimed and settled in one call, each with its own answer") {
  RedisStore store(sharedRedis(uniquePrefix("batch")));
  REQUIRE(store.claimEvent("held", 60'000ms).value() == EventClaim::kNew);  // another server's
  REQUIRE(store.claimEvent("done", 60'000ms).value() == EventClaim::kNew);
  REQUIRE(store.completeEvent("done", 60'000ms));
  auto claims = store.claimEvents({"a", "held", "done", "b"}, 60'000ms);
  REQUIRE(claims);
  REQUIRE(claims->size() == 4);
  CHECK((*claims)[0] == EventClaim::kNew);
  CHECK((*claims)[1] == EventClaim::kInFlight);
  CHECK((*claims)[2] == EventClaim::kDuplicate);
  CHECK((*claims)[3] == EventClaim::kNew);
  REQUIRE(store.settleEvents({"a"}, {"b"}, 60'000ms));
  CHECK(store.claimEvent("a", 60'000ms).value() == EventClaim::kDuplicate);
  CHECK(store.claimEvent("b", 60'000ms).value() == EventClaim::kNew);
  CHECK(store.claimEvents({}, 60'000ms).value().empty());
  CHECK(store.settleEvents({}, {}, 60'000ms));
}

TEST_CASE("claiming a body's keys against an unreachable Redis is a typed store error") {
  RedisOptions o = sharedRedis(uniquePrefix("down"));
  o.port = freePort();
  RedisStore store(o);
  auto claims = store.claimEvents({"a", "b"}, 60'000ms);
  REQUIRE_FALSE(claims);
  CHECK(isStoreError(claims.error()));
  CHECK_FALSE(store.settleEvents({"a"}, {"b"}, 60'000ms));
}

TEST_CASE("a tracker action runs once per event on Redis too, across a redelivery") {
  const auto run = handover::test::passOnRequestWithAFailingHandler(
      std::make_shared<RedisStore>(sharedRedis(uniquePrefix("once-per-event"))));
  CHECK(run.dispatches == 2);
  CHECK(run.passes == 1);
}

TEST_CASE(
    "redis store: timers spread over hash-tagged sets, and one set before the upgrade fires") {
  RedisOptions o = sharedRedis(uniquePrefix("due-upgrade"));
  RedisStore store(o);
  // A timer the version before partitions set, in its single sorted set.
  REQUIRE(run("redis-cli -p " + std::to_string(o.port) + " ZADD '" + o.key_prefix +
              "due' 1000 'legacy-page|legacy-user'") == 0);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(store.schedule({"page", "user" + std::to_string(i)}, fromEpochMillis(2000)));
  }
  const auto due = store.claimDue(fromEpochMillis(5000), 30s, 100).value();
  CHECK(due.size() == 21);
  bool legacy = false;
  for (const auto& c : due) legacy = legacy || c.key.user_id == "legacy-user";
  CHECK(legacy);
  for (const auto& c : due) REQUIRE(store.finishDue(c));
  CHECK(store.claimDue(fromEpochMillis(100'000), 30s, 100).value().empty());
  const std::string keys = cliOutput(o.port, "--scan --pattern '" + o.key_prefix + "*'");
  CHECK(keys.find(o.key_prefix + "{due:") == std::string::npos);  // all finished: none left
  // Scheduled again, the timers sit in several tagged sets, the old set stays empty.
  for (int i = 0; i < 20; ++i) {
    REQUIRE(store.schedule({"page", "user" + std::to_string(i)}, fromEpochMillis(9000)));
  }
  const std::string now_keys = cliOutput(o.port, "--scan --pattern '" + o.key_prefix + "{due:*'");
  CHECK(std::count(now_keys.begin(), now_keys.end(), '\n') > 1);
  CHECK(cliOutput(o.port, "ZCARD '" + o.key_prefix + "due'") == "0\n");
}
