#pragma once
// A Redis Cluster client over plain hiredis (Debian 12 has no cluster-capable C client): the
// slot map from CLUSTER SLOTS, each command sent to the primary serving its key's slot, MOVED
// (the map is corrected and the command sent where it says) and ASK (ASKING, then the command,
// at the importing node, once), TRYAGAIN and CLUSTERDOWN retried with a backoff, the map
// refreshed on a connection failure. Replicas are never written to: the map holds primaries
// only. A pipeline is split by node, one round trip per node, its replies put back in order.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "redis_connection.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace redis::detail {

/// The slot of a key (the Cluster specification: CRC16 of the hash tag, or of the whole key,
/// modulo 16384). Exported for the tests that check it against `CLUSTER KEYSLOT`.
HANDOVER_REDIS_EXPORT std::uint16_t keySlot(std::string_view key);

/// The key a command is routed by (empty: any node serves it).
std::string_view routeKey(const std::vector<std::string>& args);

class Cluster {
 public:
  explicit Cluster(RedisOptions options);

  /// Each command at the primary of its key's slot; replies in the commands' order, error
  /// replies included (redirects are followed, not returned).
  Result<std::vector<Reply>> pipelineEach(const std::vector<std::vector<std::string>>& commands);
  /// The same, then `WAIT wait_replicas wait_timeout` on every connection written to; the
  /// fewest replicas any of them reached.
  Result<Written> write(const std::vector<std::vector<std::string>>& commands);
  /// `args` (a command of no key, e.g. INFO) at every primary of a fresh slot map, each reply
  /// with the primary's address.
  Result<std::vector<std::pair<std::string, Reply>>> atEveryPrimary(
      const std::vector<std::string>& args);

 private:
  struct Node {
    RedisAddress address;
    std::vector<std::unique_ptr<Connection>> connections;
    std::atomic<std::size_t> next{0};  // round-robin over the connections, from any thread
  };
  static constexpr std::size_t kSlots = 16384;

  // The node serving `slot` now, refreshing the map first when it is unknown.
  Result<std::size_t> nodeFor(std::uint16_t slot);
  std::size_t nodeAt(const RedisAddress& address);  // under mu_
  Result<void> refresh();
  // Commands on one connection of `node` (each after ASKING when `asking`); the replies of
  // commands that met a redirect or TRYAGAIN are left for `settle`.
  Result<std::vector<Reply>> sendTo(std::size_t node,
                                    const std::vector<std::vector<std::string>>& commands,
                                    bool asking = false);
  // A command that met MOVED, ASK, TRYAGAIN or CLUSTERDOWN, sent again until it gets an answer
  // (bounded), followed by WAIT when `replicas` is given.
  Result<Reply> settle(const std::vector<std::string>& command, Reply first, long long* replicas);
  Result<std::vector<Reply>> send(const std::vector<std::vector<std::string>>& commands,
                                  long long* replicas);
  std::vector<std::string> waitCommand() const;

  RedisOptions o_;
  std::mutex mu_;  // guards the map and the node list
  std::vector<std::unique_ptr<Node>> nodes_;
  std::array<int, kSlots> slots_{};  // node index, -1 unknown
  bool stale_ = true;
};

}  // namespace redis::detail
HANDOVER_END_NAMESPACE
