#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

#include "handover/endpoint/queue.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

namespace {
using SteadyClock = std::chrono::steady_clock;
}  // namespace

struct MemoryQueue::Impl {
  struct Waiting {
    QueuedBody entry;
    SteadyClock::time_point not_before;
  };

  MemoryQueueOptions options;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<Waiting> waiting;  // retries sit in it too, behind their not_before
  std::vector<QueuedBody> in_flight;
  std::deque<DeadLetter> dead_letters;
  std::size_t bytes = 0;
  std::size_t dead_lettered = 0;
  std::uint64_t next_id = 0;
  bool closed = false;

  std::size_t held() const { return waiting.size() + in_flight.size(); }

  // The first waiting body that may go now, else when the next one may.
  std::optional<std::size_t> ready(SteadyClock::time_point now,
                                   std::optional<SteadyClock::time_point>& next) const {
    next.reset();
    for (std::size_t i = 0; i < waiting.size(); ++i) {
      if (waiting[i].not_before <= now) return i;
      if (!next || waiting[i].not_before < *next) next = waiting[i].not_before;
    }
    return std::nullopt;
  }

  void bury(QueuedBody entry, std::string_view reason) {
    bytes -= entry.body.size();
    ++dead_lettered;
    dead_letters.push_back({std::move(entry), std::string(reason)});
    while (dead_letters.size() > options.max_dead_letters) dead_letters.pop_front();
    cv.notify_all();
  }

  // Takes the in-flight entry back; false when it is not in flight (acknowledged twice).
  bool takeBack(const QueuedBody& entry, QueuedBody& out) {
    auto it = std::find_if(in_flight.begin(), in_flight.end(),
                           [&](const QueuedBody& b) { return b.id == entry.id; });
    if (it == in_flight.end()) return false;
    out = std::move(*it);
    in_flight.erase(it);
    return true;
  }
};

MemoryQueue::MemoryQueue(MemoryQueueOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}

MemoryQueue::~MemoryQueue() = default;

Result<PushOutcome> MemoryQueue::push(std::string_view body, Timestamp received_at) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& d = *impl_;
  if (d.closed || d.held() >= d.options.max_bodies || d.bytes + body.size() > d.options.max_bytes) {
    return PushOutcome::kFull;
  }
  QueuedBody entry;
  entry.id = std::to_string(++d.next_id);
  entry.body = std::string(body);
  entry.received_at = received_at;
  entry.deliveries = 0;
  d.bytes += body.size();
  d.waiting.push_back({std::move(entry), SteadyClock::time_point{}});
  d.cv.notify_one();
  return PushOutcome::kQueued;
}

Result<std::optional<QueuedBody>> MemoryQueue::pop(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  Impl& d = *impl_;
  const auto give_up = SteadyClock::now() + wait;
  for (;;) {
    if (d.closed) return std::optional<QueuedBody>();
    const auto now = SteadyClock::now();
    std::optional<SteadyClock::time_point> next;
    if (auto i = d.ready(now, next)) {
      QueuedBody entry = std::move(d.waiting[*i].entry);
      d.waiting.erase(d.waiting.begin() + static_cast<std::ptrdiff_t>(*i));
      ++entry.deliveries;
      d.in_flight.push_back(entry);
      return std::optional<QueuedBody>(std::move(entry));
    }
    if (now >= give_up) return std::optional<QueuedBody>();
    d.cv.wait_until(lock, next ? std::min(*next, give_up) : give_up);
  }
}

Result<void> MemoryQueue::ack(const QueuedBody& entry) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  QueuedBody taken;
  if (impl_->takeBack(entry, taken)) impl_->bytes -= taken.body.size();
  impl_->cv.notify_all();  // room for a push, perhaps for a stop() waiting on an empty queue
  return {};
}

Result<RetryOutcome> MemoryQueue::retry(const QueuedBody& entry, std::chrono::milliseconds delay,
                                        std::string_view reason) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& d = *impl_;
  QueuedBody taken;
  if (!d.takeBack(entry, taken)) return RetryOutcome::kRequeued;  // not ours any more
  if (taken.deliveries >= d.options.max_deliveries) {
    d.bury(std::move(taken), reason);
    return RetryOutcome::kDeadLettered;
  }
  d.waiting.push_back({std::move(taken), SteadyClock::now() + delay});
  d.cv.notify_all();
  return RetryOutcome::kRequeued;
}

Result<void> MemoryQueue::deadLetter(const QueuedBody& entry, std::string_view reason) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  QueuedBody taken;
  if (impl_->takeBack(entry, taken)) impl_->bury(std::move(taken), reason);
  return {};
}

Result<QueueStats> MemoryQueue::stats() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const Impl& d = *impl_;
  QueueStats s;
  s.depth = d.waiting.size();
  s.in_flight = d.in_flight.size();
  s.dead_lettered = d.dead_lettered;
  if (!d.waiting.empty()) {
    Timestamp oldest = d.waiting.front().entry.received_at;
    for (const auto& w : d.waiting) oldest = std::min(oldest, w.entry.received_at);
    const auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    s.oldest_age = std::max(std::chrono::milliseconds(0), now - oldest);
  }
  return s;
}

void MemoryQueue::close() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->closed = true;
  impl_->cv.notify_all();
}

std::vector<DeadLetter> MemoryQueue::deadLetters() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {impl_->dead_letters.begin(), impl_->dead_letters.end()};
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
