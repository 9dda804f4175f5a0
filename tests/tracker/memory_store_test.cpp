// MemoryStore: bounded memory, timers claimed once, merge rules.

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "catch.hpp"
#include "handover/tracker/memory_store.hpp"
#include "tracker_support.hpp"

using namespace std::chrono_literals;
using namespace handover;
using namespace handover::tracker;
using handover::tracker::test::kT0;

TEST_CASE("the memory store evicts the least recently touched conversations") {
  MemoryStoreOptions o;
  o.max_conversations = 100;
  MemoryStore store(o);
  Observation obs;
  obs.user_message = kT0;
  for (int i = 0; i < 100; ++i) REQUIRE(store.apply({"1", "u" + std::to_string(i)}, obs));
  REQUIRE(store.apply({"1", "u0"}, obs));  // touched: now the newest
  for (int i = 100; i < 150; ++i) REQUIRE(store.apply({"2", "u" + std::to_string(i)}, obs));
  auto st = store.stats();
  CHECK(st.conversations == 100);
  CHECK(st.evicted == 50);
  CHECK(store.load({"1", "u0"}).value());
  CHECK_FALSE(store.load({"1", "u1"}).value());
  CHECK_FALSE(store.load({"1", "u50"}).value());
  CHECK(store.load({"1", "u51"}).value());
  CHECK(store.load({"2", "u149"}).value());
  CHECK_FALSE(store.load({"3", "u1"}).value());  // unknown page: nothing interned
}

TEST_CASE("the memory store keeps every field through its compact form") {
  MemoryStore store;
  const ConversationKey key{"100", "user with spaces and | bars"};
  Observation a;
  a.owner = OwnerInfo{Ownership::kApp, "263902037430900", OwnerSource::kGraph, kT0, kT0 + 5ms};
  a.user_message = kT0 + 1ms;
  a.own_message = kT0 + 2ms;
  a.other_message = kT0 + 3ms;
  a.other_app_id = "42";
  a.request = PendingRequest{"7", "meta|data", kT0 + 4ms};
  a.action = ActionRecord{PolicyAction::kPass, "9", kT0 + 6ms, false, "api | 400"};
  auto s = store.apply(key, a).value();
  auto l = store.load(key).value().value();
  for (const ConversationState* x : {&s, &l}) {
    CHECK(x->key == key);
    CHECK(x->owner.isApp("263902037430900"));
    CHECK(x->owner.source == OwnerSource::kGraph);
    CHECK(x->owner.learned_at == kT0);
    CHECK(x->owner.expires_at == kT0 + 5ms);
    CHECK(x->last_user_message == kT0 + 1ms);
    CHECK(x->last_own_message == kT0 + 2ms);
    CHECK(x->last_other_message == kT0 + 3ms);
    CHECK(x->last_other_app_id == "42");
    REQUIRE(x->pending_requests.size() == 1);
    CHECK(x->pending_requests[0].metadata == "meta|data");
    REQUIRE(x->last_action);
    CHECK(x->last_action->error == "api | 400");
  }
}

TEST_CASE("a due timer is claimed by exactly one of many racing threads", "[concurrency]") {
  MemoryStore store;
  constexpr int kConversations = 500;
  for (int i = 0; i < kConversations; ++i) {
    REQUIRE(store.schedule({"1", "u" + std::to_string(i)}, kT0 + std::chrono::milliseconds(i)));
  }
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        auto got =
            store.claimDue(kT0 + std::chrono::milliseconds(kConversations), 30'000ms, 7).value();
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& c : got) claimed.insert(c.key.user_id);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(claimed.size() == kConversations);
  CHECK(std::set<std::string>(claimed.begin(), claimed.end()).size() == kConversations);
}

TEST_CASE("finishing a claim keeps a timer rescheduled meanwhile") {
  MemoryStore store;
  const ConversationKey k{"1", "u"};
  REQUIRE(store.schedule(k, kT0));
  auto c = store.claimDue(kT0, 1000ms, 10).value();
  REQUIRE(c.size() == 1);
  CHECK(c[0].due_at == kT0);
  CHECK(c[0].lease_until == kT0 + 1000ms);
  CHECK(store.claimDue(kT0 + 999ms, 1000ms, 10).value().empty());
  REQUIRE(store.schedule(k, kT0 + 5000ms));  // new activity
  REQUIRE(store.finishDue(c[0]));
  auto again = store.claimDue(kT0 + 5000ms, 1000ms, 10).value();
  REQUIRE(again.size() == 1);
  REQUIRE(store.finishDue(again[0]));
  CHECK(store.claimDue(kT0 + 1'000'000ms, 1000ms, 10).value().empty());
  CHECK(store.stats().timers == 0);
  // An unfinished claim (the claimer died) comes due again after its lease.
  REQUIRE(store.schedule(k, kT0));
  REQUIRE(store.claimDue(kT0, 1000ms, 10).value().size() == 1);
  CHECK(store.claimDue(kT0 + 1000ms, 1000ms, 10).value().size() == 1);
}

TEST_CASE("the memory store keeps a conversation's platform once an observation names it") {
  MemoryStore store;
  Observation obs;
  obs.user_message = kT0;
  CHECK(store.apply({"1", "u"}, obs).value().platform == Platform::kMessenger);
  obs.platform = Platform::kInstagram;
  CHECK(store.apply({"1", "u"}, obs).value().platform == Platform::kInstagram);
  obs.platform.reset();  // an observation without one leaves it
  CHECK(store.apply({"1", "u"}, obs).value().platform == Platform::kInstagram);
  CHECK(store.load({"1", "u"}).value()->platform == Platform::kInstagram);
}
