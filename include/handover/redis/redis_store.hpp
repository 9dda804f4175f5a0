#pragma once
/// @file
/// `RedisStore`: a `Store` shared by several webhook servers (target `handover::redis`, needs
/// hiredis). Merges run as Lua scripts, timers are claimed with one atomic script and
/// de-duplication keys carry a TTL, so no read-then-write race exists between servers.
///
/// When Redis is unreachable every call fails with a `storeError` (see `isStoreError`); the
/// next call reconnects.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include "handover/core/export.hpp"

#include "handover/tracker/store.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

/// Where Redis is and how keys are named.
struct RedisOptions {
  std::string host = "127.0.0.1";  ///< Server address.
  int port = 6379;                 ///< Server port.
  std::string password;            ///< `AUTH` when set; never printed.
  int database = 0;                ///< `SELECT` when not 0.
  /// Prefix of every key: several apps (or tests) share one Redis without clashing.
  std::string key_prefix = "handover:";
  std::chrono::milliseconds connect_timeout{2'000};  ///< Per connection attempt.
  std::chrono::milliseconds command_timeout{2'000};  ///< Per command: a hung server fails the call.
  /// Connections opened (lazily) per store: calls from that many threads run at once.
  std::size_t connections = 4;
  /// Conversations untouched this long expire (Redis' counterpart of eviction).
  std::chrono::milliseconds conversation_ttl{std::chrono::hours(24 * 30)};
};

/// A `Store` in Redis over a small pool of connections (`RedisOptions::connections`). Each
/// process of a fleet makes its own.
class HANDOVER_REDIS_EXPORT RedisStore final : public Store {
 public:
  /// Connects lazily: construction never fails; the first call reports an unreachable server.
  explicit RedisStore(RedisOptions options);
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  Result<ConversationState> apply(const ConversationKey& key, const Observation& obs) override;
  Result<std::optional<ConversationState>> load(const ConversationKey& key) override;
  Result<void> schedule(const ConversationKey& key, std::optional<Timestamp> due_at) override;
  Result<std::vector<DueClaim>> claimDue(Timestamp now, std::chrono::milliseconds lease,
                                         std::size_t limit) override;
  Result<void> finishDue(const DueClaim& claim) override;
  Result<EventClaim> claimEvent(std::string_view key, std::chrono::milliseconds lease) override;
  Result<void> completeEvent(std::string_view key, std::chrono::milliseconds ttl) override;
  Result<void> abandonEvent(std::string_view key) override;
  /// One round trip for a body's keys (a pipeline of single-key scripts).
  Result<std::vector<EventClaim>> claimEvents(const std::vector<std::string>& keys,
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

}  // namespace tracker
HANDOVER_END_NAMESPACE
