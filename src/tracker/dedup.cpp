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
  std::vector<webhook::Batch> one;
  one.push_back(std::move(batch));
  auto all = admitAll(std::move(one));
  if (!all) return std::move(all).error();
  return std::move(all->front());
}

Result<std::vector<Admission>> Deduplicator::admitAll(std::vector<webhook::Batch> batches) {
  // Keys first, repeats dropped (a messaging and a standby copy of one event; a redelivery in
  // a later body of the same call), then every key claimed in one store call.
  struct Owner {
    std::size_t body, event;
  };
  std::vector<std::string> keys;
  std::vector<Owner> owners;
  std::unordered_set<std::string> seen;
  std::vector<Admission> out(batches.size());
  for (std::size_t b = 0; b < batches.size(); ++b) {
    for (std::size_t i = 0; i < batches[b].events.size(); ++i) {
      std::string key = webhook::dedupKey(batches[b].events[i]);
      if (!seen.insert(key).second) {
        ++out[b].duplicates;
        continue;
      }
      keys.push_back(std::move(key));
      owners.push_back({b, i});
    }
  }
  auto claims = store_->claimEvents(keys, options_.lease);
  if (!claims) return std::move(claims).error();
  if (claims->size() != keys.size()) {
    return storeError("the store answered " + std::to_string(claims->size()) + " claims for " +
                      std::to_string(keys.size()) + " keys");
  }
  for (std::size_t b = 0; b < batches.size(); ++b) {
    webhook::Batch& fresh = out[b].fresh;
    fresh.object = std::move(batches[b].object);
    fresh.platform = batches[b].platform;
    fresh.errors = std::move(batches[b].errors);
    fresh.changes = std::move(batches[b].changes);
  }
  for (std::size_t k = 0; k < keys.size(); ++k) {
    Admission& a = out[owners[k].body];
    switch ((*claims)[k]) {
      case EventClaim::kNew:
        a.fresh.events.push_back(std::move(batches[owners[k].body].events[owners[k].event]));
        a.keys.push_back(std::move(keys[k]));
        break;
      case EventClaim::kDuplicate:
        ++a.duplicates;
        break;
      case EventClaim::kInFlight:
        ++a.in_flight;
        break;
    }
  }
  for (const Admission& a : out) {
    fresh_ += a.keys.size();
    duplicates_ += a.duplicates;
    in_flight_ += a.in_flight;
  }
  return out;
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
