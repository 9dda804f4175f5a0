#include "handover/tracker/dedup.hpp"

#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

Deduplicator::Deduplicator(std::shared_ptr<Store> store, DedupOptions options)
    : store_(std::move(store)), options_(options) {}

Result<Admission> Deduplicator::admit(webhook::Batch batch) {
  // Keys first, repeats within the body dropped (a messaging and a standby copy of one event),
  // then every key claimed in one store call.
  std::vector<std::string> keys;
  std::vector<std::size_t> owner;  // keys[i] is batch.events[owner[i]]'s
  keys.reserve(batch.events.size());
  owner.reserve(batch.events.size());
  std::unordered_set<std::string> seen;
  Admission a;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    std::string key = webhook::dedupKey(batch.events[i]);
    if (!seen.insert(key).second) {
      ++a.duplicates;
      continue;
    }
    keys.push_back(std::move(key));
    owner.push_back(i);
  }
  auto claims = store_->claimEvents(keys, options_.lease);
  if (!claims) return std::move(claims).error();
  if (claims->size() != keys.size()) {
    return storeError("the store answered " + std::to_string(claims->size()) + " claims for " +
                      std::to_string(keys.size()) + " keys");
  }
  a.fresh.object = std::move(batch.object);
  a.fresh.platform = batch.platform;
  a.fresh.errors = std::move(batch.errors);
  a.fresh.changes = std::move(batch.changes);
  a.fresh.events.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    switch ((*claims)[i]) {
      case EventClaim::kNew:
        a.fresh.events.push_back(std::move(batch.events[owner[i]]));
        a.keys.push_back(std::move(keys[i]));
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
  return store_->settleEvents(admission.keys, {}, options_.ttl);
}

Result<void> Deduplicator::abandon(const Admission& admission) {
  abandoned_ += admission.keys.size();
  return store_->settleEvents({}, admission.keys, options_.ttl);
}

Result<void> Deduplicator::settle(const Admission& admission,
                                  const webhook::DispatchReport& report) {
  std::vector<bool> failed(admission.keys.size(), false);
  for (const auto& f : report.failures) {
    if (f.event_index && *f.event_index < failed.size()) failed[*f.event_index] = true;
  }
  std::vector<std::string> handled_keys, failed_keys;
  for (std::size_t i = 0; i < admission.keys.size(); ++i) {
    (failed[i] ? failed_keys : handled_keys).push_back(admission.keys[i]);
  }
  abandoned_ += failed_keys.size();
  return store_->settleEvents(handled_keys, failed_keys, options_.ttl);
}

DedupStats Deduplicator::stats() const noexcept {
  return {fresh_.load(), duplicates_.load(), in_flight_.load(), abandoned_.load()};
}

}  // namespace tracker
HANDOVER_END_NAMESPACE
