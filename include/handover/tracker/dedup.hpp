#pragma once
/// @file
/// `Deduplicator`: handle each webhook event once although Meta delivers at least once.
///
/// In a webhook server, per POST (after the signature check and `parse`):
/// @code
///   auto admitted = dedup.admit(batch);            // claims each event's key
///   if (!admitted) { res.status = 500; return; }   // store down: Meta redelivers
///   if (!tracker.observe(admitted->fresh)) {       // only the new events
///     (void)dedup.abandon(*admitted);
///     res.status = 500;
///     return;
///   }
///   auto report = router.dispatch(admitted->fresh, client);
///   if (!dedup.settle(*admitted, report)) { res.status = 500; return; }
///   res.status = admitted->in_flight ? 503 : 200;  // another server holds some: redeliver
/// @endcode
/// Handlers run before the answer, so a server killed mid-batch loses nothing: its claims
/// lapse after the lease and the redelivery is handled by another server.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/core/result.hpp"
#include "handover/tracker/store.hpp"
#include "handover/webhook/events.hpp"
#include "handover/webhook/router.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

/// Options of `Deduplicator`.
struct DedupOptions {
  /// How long a handled event's key is remembered (Meta retries for up to an hour).
  std::chrono::milliseconds ttl{std::chrono::hours(24)};
  /// How long a claim holds before another server may take the event over.
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
};

/// The events of a batch that are new, claimed by the caller.
struct Admission {
  webhook::Batch fresh;  ///< `object`, `platform`, `errors`, `changes` kept; new events only.
  std::vector<std::string> keys;  ///< `webhook::dedupKey` of each `fresh.events[i]`.
  std::size_t duplicates = 0;     ///< Already handled (or repeated within the batch): skipped.
  std::size_t in_flight = 0;      ///< Claimed by another server: answer non-2xx.
};

/// Counters since construction.
struct DedupStats {
  std::size_t fresh = 0;       ///< Events claimed for handling.
  std::size_t duplicates = 0;  ///< Events skipped as already handled.
  std::size_t in_flight = 0;   ///< Events held by another server when they arrived.
  std::size_t abandoned = 0;   ///< Claims given up after a failure.
};

/// Claims webhook events in a `Store` so each is handled once across retries and servers.
/// Thread-safe.
class HANDOVER_EXPORT Deduplicator {
 public:
  /// De-duplicates through `store` (the tracker's, or any other).
  explicit Deduplicator(std::shared_ptr<Store> store, DedupOptions options = {});

  /// Claims every event of `batch` in one store call (`Store::claimEvents`) and moves the new
  /// ones into `Admission::fresh` (pass an rvalue: nothing is copied). On a store failure no
  /// claim is left and the error is returned: answer the webhook non-2xx.
  Result<Admission> admit(webhook::Batch batch);
  /// `admit` for several bodies at once (a worker's batch): every key in one store call, one
  /// `Admission` per body, in order. An event repeated in a later body of the same call counts
  /// as a duplicate there: the first body holding it handles it (and is retried if that fails).
  Result<std::vector<Admission>> admitAll(std::vector<webhook::Batch> batches);
  /// Marks every admitted event handled.
  Result<void> complete(const Admission& admission);
  /// Gives every admitted event up (handling failed before dispatch): all are redelivered.
  Result<void> abandon(const Admission& admission);
  /// Marks handled the events `report` has no failure for, and gives up the failed ones so
  /// their redelivery is handled again. Fails when the store does (answer non-2xx).
  Result<void> settle(const Admission& admission, const webhook::DispatchReport& report);

  /// Counters since construction.
  DedupStats stats() const noexcept;
  /// The options it was built with (its claim lease, its TTL).
  const DedupOptions& options() const noexcept { return options_; }

 private:
  std::shared_ptr<Store> store_;
  DedupOptions options_;
  std::atomic<std::size_t> fresh_{0}, duplicates_{0}, in_flight_{0}, abandoned_{0};
};

}  // namespace tracker
HANDOVER_END_NAMESPACE
