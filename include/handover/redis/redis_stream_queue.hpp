#pragma once
/// @file
/// `redis::RedisStreamQueue`: a `webhook::Queue` in a Redis stream, shared by a fleet of webhook
/// servers (target `handover::redis`, needs hiredis; Redis 5 or later, tested with Debian's 7).
///
/// - The stream is `partitions` streams (`<prefix>{<stream>:<n>}`), each with its own retry set
///   and dead-letter stream under the same hash tag, so everything one script touches lives in
///   one Redis Cluster slot. A body goes to a partition by a hash of its bytes (a stable
///   spread): no order between bodies is promised, here or by Meta.
/// - `push` adds the verified body with `XADD` (one atomic script that first refuses with
///   kFull when its partition holds `max_length / partitions` bodies, so the `MAXLEN ~` trim
///   never drops a body that was answered 200) before the endpoint answers 200.
/// - Workers read with a consumer group (`XREADGROUP`, `read_batch` bodies per partition), one
///   pipelined sweep over the partitions, every `poll_interval` while idle; each process gets
///   its own consumer name. `ack` is `XACK` + `XDEL`, after the handlers finished; acks go
///   out together (up to 32 in one round trip, none waiting over 50 ms while workers poll,
///   and all of them on `stats` and `close`). An ack lost in a crash means a redelivery, which
///   the endpoint's de-duplication answers (the events are already marked handled).
/// - A body a dead or stuck consumer held is taken over with `XAUTOCLAIM` once idle for
///   `lease` (set it above the endpoint's `handler_deadline`), run on a timer.
/// - `retry` parks the body in its partition's sorted set until its delay passes, then it goes
///   back to the stream; after `max_deliveries` it moves to the partition's dead-letter stream.
/// - Bodies queued by a version before partitions (the single stream `<prefix><stream>`) are
///   still read, retried and acknowledged there until it is empty: an upgrade strands none.
/// - Redis down: every call fails with a store error (`ErrorCategory::kStore`): POSTs answer
///   503, workers back off, and the next call reconnects. Nothing is lost that Redis kept.
///
/// **What Redis must be configured for.** The queue is as durable as Redis: with persistence
/// off, a killed Redis forgets every queued body (and the tracker's timers). For "answered 200
/// means handled once, even if Redis is killed", run Redis with `appendonly yes` and
/// `appendfsync always`; `appendfsync everysec` can lose up to a second of bodies on a crash of
/// the Redis host. `checkDurability()` reports what the server runs with.
///
/// **Replicas and failover.** Replication is asynchronous: a primary that dies after the
/// enqueue and before a replica copied it loses a body that was answered 200. With
/// `RedisOptions::wait_replicas` n, `push` waits (`WAIT n wait_timeout`) until n replicas hold
/// the body, and answers `PushOutcome::kNotReplicated` (503, Meta redelivers) when they do not
/// in time. Reach the primary through Sentinel (`RedisOptions::sentinels`) to follow a
/// failover.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/core/result.hpp"
#include "handover/endpoint/queue.hpp"
#include "handover/redis/redis_options.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace redis {

/// Options of `RedisStreamQueue`.
struct RedisStreamQueueOptions {
  /// Where Redis is; `key_prefix` prefixes the stream's keys too.
  RedisOptions redis;
  std::string stream = "webhook";  ///< Stream key (after the prefix).
  std::string group = "handover";  ///< Consumer group every server of the fleet joins.
  /// This process's consumer name; empty: host name, pid and a random suffix.
  std::string consumer;
  /// Bodies the queue holds at most (waiting + in flight), split evenly between the partitions;
  /// `push` answers kFull when the body's partition holds its share.
  std::size_t max_length = 100'000;
  /// Streams the queue is spread over (1 to 1024): on Redis Cluster they spread over the nodes;
  /// on one server they cost nothing but a longer sweep.
  std::size_t partitions = 16;
  /// Bodies read from each partition per sweep (`XREADGROUP COUNT`); the extra ones wait in
  /// this process, held by its consumer, for the next `pop`.
  std::size_t read_batch = 4;
  /// Wait between two sweeps that found nothing.
  std::chrono::milliseconds poll_interval{20};
  /// Deliveries before a failing body is dead-lettered.
  std::size_t max_deliveries = 5;
  /// A body held this long by a consumer that has not acknowledged it is taken over.
  std::chrono::milliseconds lease{std::chrono::seconds(60)};
  /// Longest `pop` sleeps at once (bounds how long `close` takes to be noticed).
  std::chrono::milliseconds block{500};
};

/// What `checkDurability` found.
struct DurabilityReport {
  bool append_only = false;  ///< `appendonly yes`.
  std::string append_fsync;  ///< `appendfsync` (always, everysec, no).
  /// Replicas connected to the primary now (`INFO replication`, `connected_slaves`).
  int replicas = 0;
  int wait_replicas = 0;              ///< What `RedisOptions::wait_replicas` asks for.
  std::vector<std::string> warnings;  ///< Empty when every guarantee holds.
};

/// A `webhook::Queue` in a Redis stream with a consumer group.
class HANDOVER_REDIS_EXPORT RedisStreamQueue final : public webhook::Queue {
 public:
  /// Connects lazily: construction never fails; the first call reports an unreachable server.
  explicit RedisStreamQueue(RedisStreamQueueOptions options);
  ~RedisStreamQueue() override;
  RedisStreamQueue(const RedisStreamQueue&) = delete;
  RedisStreamQueue& operator=(const RedisStreamQueue&) = delete;

  Result<webhook::PushOutcome> push(std::string_view body, Timestamp received_at) override;
  Result<std::optional<webhook::QueuedBody>> pop(std::chrono::milliseconds wait) override;
  /// Up to `max` of the bodies the last sweep read (a sweep when none is left).
  Result<std::vector<webhook::QueuedBody>> popBatch(std::size_t max,
                                                    std::chrono::milliseconds wait) override;
  Result<void> ack(const webhook::QueuedBody& entry) override;
  Result<webhook::RetryOutcome> retry(const webhook::QueuedBody& entry,
                                      std::chrono::milliseconds delay,
                                      std::string_view reason) override;
  Result<void> deadLetter(const webhook::QueuedBody& entry, std::string_view reason) override;
  Result<webhook::QueueStats> stats() override;
  void close() override;

  /// The persistence settings of the server and its replicas, with a warning per guarantee
  /// they break (among them: `wait_replicas` above the replicas connected, or replicas present
  /// and `wait_replicas` 0).
  Result<DurabilityReport> checkDurability();
  /// The most recent dead letters (up to `limit`), oldest first.
  Result<std::vector<webhook::DeadLetter>> deadLetters(std::size_t limit = 100);
  /// This process's consumer name.
  const std::string& consumer() const noexcept;

 private:
  Result<webhook::PushOutcome> pushOnce(std::string_view body, Timestamp received_at);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace redis
HANDOVER_END_NAMESPACE
