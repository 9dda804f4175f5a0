#pragma once
/// @file
/// `redis::RedisOptions`: where the Redis of `RedisStore` and `RedisStreamQueue` is and how keys
/// are named (target `handover::redis`).

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "handover/core/export.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace redis {

/// A host and port.
struct RedisAddress {
  std::string host;  ///< Address or name.
  int port = 0;      ///< TCP port.
};

/// Where Redis is, how keys are named, and what a write must reach before it counts.
///
/// Three ways to reach Redis:
/// - one server: `host` and `port` (the default);
/// - Sentinel: `sentinels` and `sentinel_service`. The primary's address is asked of the
///   Sentinels (`SENTINEL get-master-addr-by-name`) on every new connection and checked with
///   `ROLE`; a connection that fails, or meets `-READONLY` (the server was demoted by a
///   failover), is dropped and the next call asks again. `host` and `port` are then unused.
/// - Redis Cluster: `cluster_nodes` (any of its nodes: the slot map is asked of them with
///   `CLUSTER SLOTS`). Each command goes to the primary serving its key's slot; `MOVED`, `ASK`,
///   `TRYAGAIN` and `CLUSTERDOWN` are followed or retried; a pipeline costs one round trip per
///   node. Every key the SDK writes carries a hash tag, so no script touches two slots.
struct RedisOptions {
  std::string host = "127.0.0.1";  ///< Server address (without Sentinel).
  int port = 6379;                 ///< Server port (without Sentinel).
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
  /// Sorted sets the store's due timers are spread over (`<prefix>{due:<n>}`, by conversation),
  /// so no single key takes every schedule: on Redis Cluster they spread over the nodes.
  std::size_t due_partitions = 16;

  /// Replicas that must hold each write before it counts: `WAIT wait_replicas wait_timeout`
  /// after the queue's enqueue (a body not held in time is answered 503, never 200) and after
  /// every write of the store (the call fails with a store error). 0 (the default): the
  /// primary's answer is enough, and a failover may lose what its replicas had not copied yet.
  /// Redis documents that `WAIT` does not make it strongly consistent: a failover may still
  /// promote a replica that did not acknowledge the write.
  int wait_replicas = 0;
  /// How long a write waits for `wait_replicas`; must be above 0 and below `command_timeout`.
  std::chrono::milliseconds wait_timeout{500};

  /// Nodes of a Redis Cluster to learn the slot map from (empty: not a cluster).
  std::vector<RedisAddress> cluster_nodes;
  /// Sentinels to ask for the primary (empty: use `host` and `port`).
  std::vector<RedisAddress> sentinels;
  /// The name the Sentinels monitor the primary under (`sentinel monitor NAME ...`).
  std::string sentinel_service;
  /// `AUTH` for the Sentinels, when they require one; never printed.
  std::string sentinel_password;
};

/// Refuses options that would fail later (an invalid argument error naming the option): a
/// `key_prefix` with `{` or `}` (the SDK's hash tags must be the only ones), `due_partitions`
/// not from 1 to 1024, a negative `wait_replicas`, a `wait_timeout` not above 0 or not below
/// `command_timeout` when replicas are awaited, Sentinels without `sentinel_service`, an address
/// without a port. `RedisStore` and `RedisStreamQueue` throw `handover::Exception` with it at
/// construction.
HANDOVER_REDIS_EXPORT Result<void> checkOptions(const RedisOptions& options);

}  // namespace redis
HANDOVER_END_NAMESPACE
