#pragma once
// A Store that counts the calls made to it (tests of de-duplication's round trips).

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handover/tracker/memory_store.hpp"
#include "handover/tracker/store.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {

using tracker::ConversationKey;
using tracker::ConversationState;
using tracker::DueClaim;
using tracker::EventClaim;
using tracker::MemoryStore;
using tracker::Observation;
using tracker::Store;

// Counts the store calls the Deduplicator makes: a decorator over a MemoryStore that, like a
// user's store written before the batch calls existed, overrides only the single-key ones.
class CountingStore : public Store {
 public:
  Result<ConversationState> apply(const ConversationKey& k, const Observation& o) override {
    return inner.apply(k, o);
  }
  Result<std::optional<ConversationState>> load(const ConversationKey& k) override {
    return inner.load(k);
  }
  Result<void> schedule(const ConversationKey& k, std::optional<Timestamp> at) override {
    return inner.schedule(k, at);
  }
  Result<std::vector<DueClaim>> claimDue(Timestamp now, std::chrono::milliseconds lease,
                                         std::size_t limit) override {
    return inner.claimDue(now, lease, limit);
  }
  Result<void> finishDue(const DueClaim& c) override { return inner.finishDue(c); }
  Result<EventClaim> claimEvent(std::string_view key, std::chrono::milliseconds lease) override {
    ++single_calls;
    return inner.claimEvent(key, lease);
  }
  Result<void> completeEvent(std::string_view key, std::chrono::milliseconds ttl) override {
    ++single_calls;
    return inner.completeEvent(key, ttl);
  }
  Result<void> abandonEvent(std::string_view key) override {
    ++single_calls;
    return inner.abandonEvent(key);
  }
  Result<std::vector<EventClaim>> claimEvents(const std::vector<std::string>& keys,
                                              std::chrono::milliseconds lease) override {
    ++claim_calls;
    return Store::claimEvents(keys, lease);  // the default: one claimEvent per key
  }
  Result<void> settleEvents(const std::vector<std::string>& handled,
                            const std::vector<std::string>& failed,
                            std::chrono::milliseconds ttl) override {
    ++settle_calls;
    return Store::settleEvents(handled, failed, ttl);
  }
  MemoryStore inner;
  std::atomic<int> claim_calls{0};
  std::atomic<int> settle_calls{0};
  std::atomic<int> single_calls{0};
};

}  // namespace test
HANDOVER_END_NAMESPACE
