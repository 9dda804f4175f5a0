#pragma once
/// @file
/// `redis::RedisStore`: a `tracker::Store` shared by several webhook servers (target
/// `handover::redis`, needs hiredis). Merges run as Lua scripts, timers are claimed with one atomic
/// script and de-duplication keys carry a TTL, so no read-then-write race exists between servers.
///
/// When Redis is unreachable every call fails with a `storeError` (see `isStoreError`); the
/// next call reconnects.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include "handover/core/export.hpp"

#include "handover/redis/redis_options.hpp"
#include "handover/tracker/store.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace redis {

/// A `Store` in Redis over a small pool of connections (`RedisOptions::connections`). Each
/// process of a fleet makes its own.
class HANDOVER_REDIS_EXPORT RedisStore final : public tracker::Store {
 public:
  /// Connects lazily: construction never fails; the first call reports an unreachable server.
  explicit RedisStore(RedisOptions options);
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  Result<tracker::ConversationState> apply(const tracker::ConversationKey& key,
                                           const tracker::Observation& obs) override;
  Result<std::optional<tracker::ConversationState>> load(
      const tracker::ConversationKey& key) override;
  Result<void> schedule(const tracker::ConversationKey& key,
                        std::optional<Timestamp> due_at) override;
  Result<std::vector<tracker::DueClaim>> claimDue(Timestamp now, std::chrono::milliseconds lease,
                                                  std::size_t limit) override;
  Result<void> finishDue(const tracker::DueClaim& claim) override;
  Result<tracker::EventClaim> claimEvent(std::string_view key,
                                         std::chrono::milliseconds lease) override;
  Result<void> completeEvent(std::string_view key, std::chrono::milliseconds ttl) override;
  Result<void> abandonEvent(std::string_view key) override;
  /// One round trip for a body's keys (a pipeline of single-key scripts).
  Result<std::vector<tracker::EventClaim>> claimEvents(const std::vector<std::string>& keys,
                                                       std::chrono::milliseconds lease) override;
  /// One round trip for a body's keys.
  Result<void> settleEvents(const std::vector<std::string>& handled,
                            const std::vector<std::string>& failed,
                            std::chrono::milliseconds ttl) override;

  /// `PING`: connects when needed.
  Result<void> ping();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace redis

namespace tracker {
/// Moved to `handover::redis` (include `handover/redis/redis_options.hpp`).
using RedisOptions [[deprecated("use handover::redis::RedisOptions")]] = redis::RedisOptions;
/// Moved to `handover::redis`.
using RedisStore [[deprecated("use handover::redis::RedisStore")]] = redis::RedisStore;
}  // namespace tracker
HANDOVER_END_NAMESPACE
