// Deduplicator: each event handled once, duplicates counted, failures redelivered.

#include <memory>

#include "catch.hpp"
#include "counting_store.hpp"
#include "handover/tracker/dedup.hpp"
#include "handover/tracker/memory_store.hpp"
#include "handover/webhook/parser.hpp"
#include "tracker_support.hpp"

using namespace handover;
using namespace handover::tracker;
using namespace handover::tracker::test;
using handover::test::CountingStore;

using namespace std::chrono_literals;
namespace {

webhook::Batch batchOf(std::vector<webhook::Event> events) {
  webhook::Batch b;
  b.object = "page";
  b.events = std::move(events);
  return b;
}

}  // namespace

TEST_CASE("a redelivered batch is handled once - duplicates are counted and skipped") {
  ManualClock clock;
  MemoryStoreOptions so;
  so.clock = clock.fn();
  auto store = std::make_shared<MemoryStore>(so);
  Deduplicator dedup(store);
  // The same body parsed twice, as Meta's retry would send it.
  const std::string body =
      R"({"object":"page","entry":[{"id":"100100100","time":1767225600000,"messaging":[)"
      R"({"sender":{"id":"42"},"recipient":{"id":"100100100"},"timestamp":1767225600000,"message":{"mid":"m_1","text":"a"}},)"
      R"({"sender":{"id":"42"},"recipient":{"id":"100100100"},"timestamp":1767225600001,"read":{"watermark":1767225600000}}]}]})";
  auto first = dedup.admit(webhook::parse(body).value()).value();
  CHECK(first.fresh.events.size() == 2);
  CHECK(first.fresh.object == "page");
  CHECK(first.duplicates == 0);
  REQUIRE(dedup.complete(first));
  auto second = dedup.admit(webhook::parse(body).value()).value();
  CHECK(second.fresh.events.empty());
  CHECK(second.duplicates == 2);
  CHECK(dedup.stats().fresh == 2);
  CHECK(dedup.stats().duplicates == 2);
}

TEST_CASE("an event held by another server is in flight until done or the lease ends") {
  ManualClock clock;
  MemoryStoreOptions so;
  so.clock = clock.fn();
  auto store = std::make_shared<MemoryStore>(so);
  DedupOptions o;
  o.lease = std::chrono::seconds(30);
  o.ttl = std::chrono::hours(1);
  Deduplicator a(store, o), b(store, o);
  auto batch = batchOf({userMessage(kT0, "m_1")});
  auto got_a = a.admit(batch).value();
  REQUIRE(got_a.fresh.events.size() == 1);
  auto got_b = b.admit(batch).value();
  CHECK(got_b.fresh.events.empty());
  CHECK(got_b.in_flight == 1);  // B answers non-2xx: Meta redelivers later

  // A crashed: after the lease B may take it over.
  clock.now += 30'000ms;
  auto retry_b = b.admit(batch).value();
  REQUIRE(retry_b.fresh.events.size() == 1);
  REQUIRE(b.complete(retry_b));
  CHECK(a.admit(batch).value().duplicates == 1);

  // Keys are forgotten after the TTL.
  clock.now += 3'600'000ms;
  CHECK(a.admit(batch).value().fresh.events.size() == 1);
}

TEST_CASE("settle completes handled events and gives failed ones up for redelivery") {
  auto store = std::make_shared<MemoryStore>();
  Deduplicator dedup(store);
  auto batch = batchOf({userMessage(kT0, "m_ok"), userMessage(kT0 + 1ms, "m_fail"),
                        userMessage(kT0, "m_ok")});  // repeated within one POST
  auto admitted = dedup.admit(batch).value();
  REQUIRE(admitted.fresh.events.size() == 2);
  CHECK(admitted.duplicates == 1);
  webhook::DispatchReport report;
  report.events = 2;
  report.failures.push_back({std::size_t{1}, webhook::EventKind::kMessage, "handler failed"});
  REQUIRE(dedup.settle(admitted, report));
  CHECK(dedup.stats().abandoned == 1);
  auto again = dedup.admit(batch).value();
  REQUIRE(again.fresh.events.size() == 1);
  CHECK(again.fresh.events[0].get<webhook::Message>()->mid == "m_fail");
  CHECK(again.duplicates == 2);
}

TEST_CASE("messaging and standby copies of one event share a key") {
  auto store = std::make_shared<MemoryStore>();
  Deduplicator dedup(store);
  auto admitted = dedup.admit(batchOf({userMessage(kT0, "m_1", kUser, false)})).value();
  REQUIRE(dedup.complete(admitted));
  CHECK(dedup.admit(batchOf({userMessage(kT0, "m_1", kUser, true)})).value().duplicates == 1);
  // Events without a mid are told apart by kind, ids and timestamp.
  auto p1 = passEvent(kT0, std::nullopt, std::string(kBotApp));
  auto p2 = passEvent(kT0 + 1ms, std::nullopt, std::string(kBotApp));
  auto both = dedup.admit(batchOf({p1, p2, p1})).value();
  CHECK(both.fresh.events.size() == 2);
  CHECK(both.duplicates == 1);
}

TEST_CASE("a body's events are claimed in one store call and moved, not copied") {
  auto store = std::make_shared<CountingStore>();
  Deduplicator dedup(store);
  std::string body = R"({"object":"page","entry":[{"id":"100","time":1,"messaging":[)";
  for (int i = 0; i < 5; ++i) {
    body += std::string(i ? "," : "") + R"({"sender":{"id":"42"},"recipient":{"id":"100"},)" +
            R"("timestamp":)" + std::to_string(10 + i) + R"(,"message":{"mid":"m_)" +
            std::to_string(i) + R"(","text":")" + std::string(64, 'x') + R"("}})";
  }
  body += "]}]}";
  webhook::Batch batch = webhook::parse(body).value();
  REQUIRE(batch.events.size() == 5);
  const char* first_text = batch.events[0].get<webhook::Message>()->text.data();
  auto admitted = dedup.admit(std::move(batch)).value();
  CHECK(store->claim_calls == 1);
  CHECK(store->single_calls == 5);  // the default batch call, per key
  REQUIRE(admitted.fresh.events.size() == 5);
  // The long text's buffer travelled with the event: moved.
  CHECK(admitted.fresh.events[0].get<webhook::Message>()->text.data() == first_text);

  webhook::DispatchReport report;
  webhook::DispatchFailure failure;
  failure.event_index = 2;
  failure.message = "handler failed";
  report.failures.push_back(failure);
  REQUIRE(dedup.settle(admitted, report));
  CHECK(store->settle_calls == 1);
  auto again = dedup.admit(webhook::parse(body).value()).value();
  CHECK(store->claim_calls == 2);
  CHECK(again.duplicates == 4);
  REQUIRE(again.fresh.events.size() == 1);  // only the failed one comes back
  CHECK(again.fresh.events[0].get<webhook::Message>()->mid == "m_2");
}

TEST_CASE("a worker's bodies are claimed in one store call") {
  auto store = std::make_shared<CountingStore>();
  Deduplicator dedup(store);
  const auto body = [](const std::vector<int>& mids) {
    std::string b = R"({"object":"page","entry":[{"id":"100","time":1,"messaging":[)";
    for (std::size_t i = 0; i < mids.size(); ++i) {
      b += std::string(i ? "," : "") + R"({"sender":{"id":"42"},"recipient":{"id":"100"},)" +
           R"("timestamp":10,"message":{"mid":"m_)" + std::to_string(mids[i]) +
           R"(","text":"hi"}})";
    }
    return b + "]}]}";
  };
  // The third body is Meta's redelivery of the first body's second event.
  std::vector<webhook::Batch> batches;
  batches.push_back(webhook::parse(body({1, 2})).value());
  batches.push_back(webhook::parse(body({3})).value());
  batches.push_back(webhook::parse(body({2, 4})).value());
  auto admitted = dedup.admitAll(std::move(batches)).value();
  CHECK(store->claim_calls == 1);
  REQUIRE(admitted.size() == 3);
  CHECK(admitted[0].fresh.events.size() == 2);
  CHECK(admitted[1].fresh.events.size() == 1);
  // The repeat is the first body's to handle: a duplicate here, not a claim held elsewhere.
  REQUIRE(admitted[2].fresh.events.size() == 1);
  CHECK(admitted[2].fresh.events[0].get<webhook::Message>()->mid == "m_4");
  CHECK(admitted[2].duplicates == 1);
  CHECK(admitted[2].in_flight == 0);

  webhook::DispatchReport ok, one_failed;
  webhook::DispatchFailure failure;
  failure.event_index = 0;
  failure.message = "handler failed";
  one_failed.failures.push_back(failure);
  REQUIRE(dedup.settle(admitted[0], ok));
  REQUIRE(dedup.settle(admitted[1], one_failed));
  REQUIRE(dedup.settle(admitted[2], ok));
  // Handled events are duplicates from now on; the failed one is claimable again.
  auto again = dedup.admitAll({webhook::parse(body({1, 2, 3, 4})).value()}).value();
  CHECK(store->claim_calls == 2);
  REQUIRE(again.size() == 1);
  CHECK(again[0].duplicates == 3);
  REQUIRE(again[0].fresh.events.size() == 1);
  CHECK(again[0].fresh.events[0].get<webhook::Message>()->mid == "m_3");
}
