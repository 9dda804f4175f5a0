#pragma once
/// @file
/// `MemoryStore`: the default `Store`, in this process, with bounded memory.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include "handover/core/export.hpp"

#include "handover/tracker/store.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

/// Options of `MemoryStore`.
struct MemoryStoreOptions {
  /// Conversations kept at most; the least recently touched one is evicted beyond it (its
  /// timer too). About 200 bytes each: see tests/bench/tracker.
  std::size_t max_conversations = 1'000'000;
  /// The clock of de-duplication TTLs and leases; empty: the system clock.
  std::function<Timestamp()> clock;
};

/// Counters of a `MemoryStore`.
struct MemoryStoreStats {
  std::size_t conversations = 0;  ///< Conversations held.
  std::size_t timers = 0;         ///< Conversations with a due time.
  std::size_t dedup_keys = 0;     ///< De-duplication keys held (expired ones until swept).
  std::size_t evicted = 0;        ///< Conversations dropped to stay within `max_conversations`.
};

/// A `Store` in this process: one mutex, interned page and app ids, LRU eviction.
class HANDOVER_EXPORT MemoryStore final : public Store {
 public:
  /// An empty store.
  explicit MemoryStore(MemoryStoreOptions options = {});
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  Result<ConversationState> apply(const ConversationKey& key, const Observation& obs) override;
  Result<std::optional<ConversationState>> load(const ConversationKey& key) override;
  Result<void> schedule(const ConversationKey& key, std::optional<Timestamp> due_at) override;
  Result<std::vector<DueClaim>> claimDue(Timestamp now, std::chrono::milliseconds lease,
                                         std::size_t limit) override;
  Result<void> finishDue(const DueClaim& claim) override;
  Result<EventClaim> claimEvent(std::string_view key, std::chrono::milliseconds lease) override;
  Result<void> completeEvent(std::string_view key, std::chrono::milliseconds ttl) override;
  Result<void> abandonEvent(std::string_view key) override;

  /// Sizes and evictions so far.
  MemoryStoreStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracker
HANDOVER_END_NAMESPACE
