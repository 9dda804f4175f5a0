#pragma once
/// @file
/// `Store`: where the tracker keeps conversations, due timers and webhook de-duplication keys.
/// `MemoryStore` serves one process; `RedisStore` (target `handover::redis`) a fleet of
/// webhook servers behind a load balancer.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/core/result.hpp"
#include "handover/tracker/conversation.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

/// Builds a store failure (`ErrorCategory::kStore`). Messages never carry passwords.
HANDOVER_EXPORT Error storeError(std::string message);
/// `error.category == ErrorCategory::kStore`: a webhook server answers non-2xx so Meta
/// redelivers.
HANDOVER_EXPORT bool isStoreError(const Error& error) noexcept;

/// The answer of `Store::claimEvent`.
enum class EventClaim {
  kNew,        ///< Claimed by the caller: handle it, then `completeEvent` (or `abandonEvent`).
  kDuplicate,  ///< Already handled: skip it.
  kInFlight,   ///< Another server holds a claim: answer non-2xx so it is redelivered later.
};

/// "new" / "duplicate" / "in_flight".
HANDOVER_EXPORT const char* toString(EventClaim c) noexcept;

/// A due timer claimed by `Store::claimDue`.
struct DueClaim {
  ConversationKey key;      ///< The conversation whose timer it is.
  Timestamp due_at{};       ///< When it came due.
  Timestamp lease_until{};  ///< Other claimers skip it until then.
};

/// Storage behind `ThreadTracker` and `Deduplicator`. Every method is atomic on its own and
/// safe to call from many threads; `RedisStore` is also atomic across processes.
class HANDOVER_EXPORT Store {
 public:
  virtual ~Store() = default;

  /// Merges `obs` into the conversation (creating it) and returns the merged state.
  virtual Result<ConversationState> apply(const ConversationKey& key, const Observation& obs) = 0;
  /// The conversation, or nullopt when never seen (or evicted).
  virtual Result<std::optional<ConversationState>> load(const ConversationKey& key) = 0;

  /// Sets the conversation's due time (nullopt clears it). One timer per conversation.
  virtual Result<void> schedule(const ConversationKey& key, std::optional<Timestamp> due_at) = 0;
  /// Claims up to `limit` timers due at `now`: each is hidden from every other claimer
  /// until `now + lease`, so exactly one caller gets it. Unfinished claims come due
  /// again when the lease ends (the claimer crashed or the action failed transiently).
  virtual Result<std::vector<DueClaim>> claimDue(Timestamp now, std::chrono::milliseconds lease,
                                                 std::size_t limit) = 0;
  /// Drops a claimed timer, unless it was rescheduled since the claim.
  virtual Result<void> finishDue(const DueClaim& claim) = 0;

  /// Claims a webhook event's de-duplication key for `lease`.
  virtual Result<EventClaim> claimEvent(std::string_view key, std::chrono::milliseconds lease) = 0;
  /// Marks the key handled; duplicates are recognised for `ttl`.
  virtual Result<void> completeEvent(std::string_view key, std::chrono::milliseconds ttl) = 0;
  /// Gives a claim up (handling failed): the next delivery is handled again.
  virtual Result<void> abandonEvent(std::string_view key) = 0;

  /// Claims every key of one body: one answer per key, in order. The default calls
  /// `claimEvent` per key; `RedisStore` sends them in one round trip. On an error the claims this
  /// call made are given up (the default) or lapse after `lease` (`RedisStore`, which cannot
  /// tell its own from another server's), and the error is returned.
  virtual Result<std::vector<EventClaim>> claimEvents(const std::vector<std::string>& keys,
                                                      std::chrono::milliseconds lease);
  /// Completes the `handled` keys (for `ttl`) and gives up the `failed` ones, all of one body.
  /// The default calls `completeEvent`/`abandonEvent` per key, going on past a failure;
  /// `RedisStore` sends them in one round trip. Returns the first error.
  virtual Result<void> settleEvents(const std::vector<std::string>& handled,
                                    const std::vector<std::string>& failed,
                                    std::chrono::milliseconds ttl);
};

}  // namespace tracker
HANDOVER_END_NAMESPACE
