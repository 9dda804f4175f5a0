#include "handover/tracker/dedup.hpp"

#include <unordered_set>
#include <utility>

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

Deduplicator::Deduplicator(std::shared_ptr<Store> store, DedupOptions options)
    : store_(std::move(store)), options_(options) {}

Result<Admission> Deduplicator::admit(const webhook::Batch& batch) {
  Admission a;
  a.fresh.object = batch.object;
  a.fresh.platform = batch.platform;
  a.fresh.errors = batch.errors;
  a.fresh.changes = batch.changes;
  std::unordered_set<std::string> seen;
  for (const webhook::Event& e : batch.events) {
    std::string key = webhook::dedupKey(e);
    // The same event twice in one POST (a messaging and a standby copy): handle it once.
    if (!seen.insert(key).second) {
      ++a.duplicates;
      continue;
    }
    auto claim = store_->claimEvent(key, options_.lease);
    if (!claim) {
      for (const std::string& k : a.keys) (void)store_->abandonEvent(k);
      return std::move(claim).error();
    }
    switch (*claim) {
      case EventClaim::kNew:
        a.fresh.events.push_back(e);
        a.keys.push_back(std::move(key));
        break;
      case EventClaim::kDuplicate:
        ++a.duplicates;
        break;
      case EventClaim::kInFlight:
        ++a.in_flight;
        break;
    }
  }
  fresh_ += a.keys.size();
  duplicates_ += a.duplicates;
  in_flight_ += a.in_flight;
  return a;
}

Result<void> Deduplicator::complete(const Admission& admission) {
  for (const std::string& k : admission.keys) {
    auto r = store_->completeEvent(k, options_.ttl);
    if (!r) return r;
  }
  return {};
}

Result<void> Deduplicator::abandon(const Admission& admission) {
  Result<void> first_error;
  for (const std::string& k : admission.keys) {
    auto r = store_->abandonEvent(k);
    ++abandoned_;
    if (!r && first_error) first_error = std::move(r);
  }
  return first_error;
}

Result<void> Deduplicator::settle(const Admission& admission,
                                  const webhook::DispatchReport& report) {
  std::vector<bool> failed(admission.keys.size(), false);
  for (const auto& f : report.failures) {
    if (f.event_index && *f.event_index < failed.size()) failed[*f.event_index] = true;
  }
  Result<void> first_error;
  for (std::size_t i = 0; i < admission.keys.size(); ++i) {
    auto r = failed[i] ? store_->abandonEvent(admission.keys[i])
                       : store_->completeEvent(admission.keys[i], options_.ttl);
    if (failed[i]) ++abandoned_;
    if (!r && first_error) first_error = std::move(r);
  }
  return first_error;
}

DedupStats Deduplicator::stats() const noexcept {
  return {fresh_.load(), duplicates_.load(), in_flight_.load(), abandoned_.load()};
}

}  // namespace tracker
HANDOVER_END_NAMESPACE
