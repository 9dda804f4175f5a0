#pragma once
/// @file
/// `Queue`: where `Endpoint` puts a verified webhook body before it answers 200, and where its
/// workers take bodies from. `MemoryQueue` (bounded, the default) serves one process and loses
/// what it holds if the process dies; `redis::RedisStreamQueue` (target `handover::redis`)
/// keeps bodies in a Redis stream shared by a fleet of webhook servers.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/core/result.hpp"
#include "handover/core/types.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// One body taken from a queue by a worker.
struct QueuedBody {
  std::string id;         ///< The queue's id for it (a Redis stream id, a counter in memory).
  std::string body;       ///< The raw body, exactly as received and verified.
  Timestamp received_at;  ///< When the POST carrying it arrived.
  /// How many times a worker has taken it, this time included (1 on the first delivery).
  std::size_t deliveries = 1;
};

/// The answer of `Queue::push`.
enum class PushOutcome {
  kQueued,  ///< Stored: the POST may be answered 200.
  kFull,    ///< At its bound: answer 503 with Retry-After so Meta redelivers later.
  /// Stored on the primary, but fewer replicas than asked for hold it in time (Redis `WAIT`):
  /// answer 503 with Retry-After, never 200, since a failover could lose it. Meta redelivers;
  /// de-duplication keeps the copy already queued from being handled twice.
  kNotReplicated,
};

/// The answer of `Queue::retry`.
enum class RetryOutcome {
  kRequeued,      ///< Will be delivered again after the delay.
  kDeadLettered,  ///< Delivered `max_deliveries` times: moved aside and reported, not retried.
};

/// A body that failed `max_deliveries` times and was moved aside.
struct DeadLetter {
  QueuedBody entry;    ///< The body and its last delivery count.
  std::string reason;  ///< The last failure, as the endpoint reported it (no secrets).
};

/// What a queue holds now.
struct QueueStats {
  std::size_t depth = 0;      ///< Bodies waiting for a worker (retries included).
  std::size_t in_flight = 0;  ///< Bodies taken by a worker, not yet acknowledged.
  /// Age of the oldest waiting body; nullopt when none waits.
  std::optional<std::chrono::milliseconds> oldest_age;
  std::size_t dead_lettered = 0;  ///< Bodies dead-lettered since start.
};

/// Storage between the HTTP thread that verified a body and the worker that handles it. Every
/// method is thread-safe. A store failure (Redis unreachable) is an `ErrorCategory::kStore`
/// error: the endpoint then answers 503 and Meta redelivers; nothing is dropped.
class HANDOVER_EXPORT Queue {
 public:
  virtual ~Queue() = default;

  /// Stores `body` (already verified) durably as far as this queue goes.
  virtual Result<PushOutcome> push(std::string_view body, Timestamp received_at) = 0;
  /// Takes the next body, waiting up to `wait` for one; nullopt when none came (or after
  /// `close`). The body stays the caller's until `ack` or `retry`.
  virtual Result<std::optional<QueuedBody>> pop(std::chrono::milliseconds wait) = 0;
  /// Takes up to `max` bodies at once, waiting up to `wait` for the first (empty when none
  /// came): a worker handles them together, one store call for all their claims and one for
  /// their completions. This default takes one with `pop`, so a queue written before this call
  /// keeps working; a queue that reads in batches hands out what it holds.
  virtual Result<std::vector<QueuedBody>> popBatch(std::size_t max,
                                                   std::chrono::milliseconds wait) {
    (void)max;
    auto one = pop(wait);
    if (!one) return std::move(one).error();
    std::vector<QueuedBody> out;
    if (*one) out.push_back(std::move(**one));
    return out;
  }
  /// The body was handled: forget it.
  virtual Result<void> ack(const QueuedBody& entry) = 0;
  /// Handling failed with `reason`: deliver it again after `delay`, or dead-letter it when it
  /// has been delivered `max_deliveries` times.
  virtual Result<RetryOutcome> retry(const QueuedBody& entry, std::chrono::milliseconds delay,
                                     std::string_view reason) = 0;
  /// Moves the body aside at once (it can never succeed, e.g. it no longer parses).
  virtual Result<void> deadLetter(const QueuedBody& entry, std::string_view reason) = 0;
  /// What it holds now.
  virtual Result<QueueStats> stats() = 0;
  /// Wakes every waiting `pop`; later pops return at once with nullopt. Bodies stay stored.
  virtual void close() = 0;
};

/// Options of `MemoryQueue`.
struct MemoryQueueOptions {
  /// Bodies held at most (waiting + in flight); `push` answers kFull beyond it.
  std::size_t max_bodies = 10'000;
  /// Bytes of bodies held at most; `push` answers kFull beyond it.
  std::size_t max_bytes = std::size_t{256} << 20;
  /// Deliveries before a failing body is dead-lettered.
  std::size_t max_deliveries = 5;
  /// Dead letters kept for `deadLetters()` (the oldest dropped beyond it; all are counted).
  std::size_t max_dead_letters = 1'000;
};

/// A bounded queue in this process's memory: the default of `Endpoint`.
///
/// **Not durable**: if the process dies, every body it holds is lost, and Meta does not
/// redeliver what it got a 200 for. Use `redis::RedisStreamQueue` (with Redis persistence
/// configured, see its documentation) where a crash must not lose events.
class HANDOVER_EXPORT MemoryQueue final : public Queue {
 public:
  /// An empty queue with these bounds.
  explicit MemoryQueue(MemoryQueueOptions options = {});
  ~MemoryQueue() override;
  MemoryQueue(const MemoryQueue&) = delete;
  MemoryQueue& operator=(const MemoryQueue&) = delete;

  Result<PushOutcome> push(std::string_view body, Timestamp received_at) override;
  Result<std::optional<QueuedBody>> pop(std::chrono::milliseconds wait) override;
  Result<void> ack(const QueuedBody& entry) override;
  Result<RetryOutcome> retry(const QueuedBody& entry, std::chrono::milliseconds delay,
                             std::string_view reason) override;
  Result<void> deadLetter(const QueuedBody& entry, std::string_view reason) override;
  Result<QueueStats> stats() override;
  void close() override;

  /// The most recent dead letters, oldest first.
  std::vector<DeadLetter> deadLetters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhook
HANDOVER_END_NAMESPACE
