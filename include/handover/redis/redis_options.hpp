#pragma once
/// @file
/// `redis::RedisOptions`: where the Redis of `RedisStore` and `RedisStreamQueue` is and how keys
/// are named (target `handover::redis`).

#include <chrono>
#include <cstddef>
#include <string>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace redis {

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

}  // namespace redis
HANDOVER_END_NAMESPACE
