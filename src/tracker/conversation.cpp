#include "handover/tracker/conversation.hpp"

#include <algorithm>

#include "handover/tracker/policies.hpp"
#include "handover/tracker/store.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

const char* toString(Ownership o) noexcept {
  switch (o) {
    case Ownership::kIdle:
      return "idle";
    case Ownership::kApp:
      return "app";
    case Ownership::kUnknown:
      break;
  }
  return "unknown";
}

const char* toString(OwnerSource s) noexcept {
  switch (s) {
    case OwnerSource::kWebhook:
      return "webhook";
    case OwnerSource::kOwnCall:
      return "own_call";
    case OwnerSource::kGraph:
      return "graph";
    case OwnerSource::kNone:
      break;
  }
  return "none";
}

const char* toString(EventClaim c) noexcept {
  switch (c) {
    case EventClaim::kDuplicate:
      return "duplicate";
    case EventClaim::kInFlight:
      return "in_flight";
    case EventClaim::kNew:
      break;
  }
  return "new";
}

const char* toString(PolicyAction a) noexcept {
  switch (a) {
    case PolicyAction::kRelease:
      return "release";
    case PolicyAction::kPass:
      return "pass";
    case PolicyAction::kTake:
      break;
  }
  return "take";
}

std::optional<PolicyAction> policyActionFromString(std::string_view name) noexcept {
  for (auto a : {PolicyAction::kTake, PolicyAction::kRelease, PolicyAction::kPass}) {
    if (name == toString(a)) return a;
  }
  return std::nullopt;
}

Result<std::vector<EventClaim>> Store::claimEvents(const std::vector<std::string>& keys,
                                                   std::chrono::milliseconds lease) {
  std::vector<EventClaim> claims;
  claims.reserve(keys.size());
  for (const std::string& key : keys) {
    auto claim = claimEvent(key, lease);
    if (!claim) {
      for (std::size_t i = 0; i < claims.size(); ++i) {
        if (claims[i] == EventClaim::kNew) (void)abandonEvent(keys[i]);
      }
      return std::move(claim).error();
    }
    claims.push_back(*claim);
  }
  return claims;
}

Result<void> Store::settleEvents(const std::vector<std::string>& handled,
                                 const std::vector<std::string>& failed,
                                 std::chrono::milliseconds ttl) {
  Result<void> first_error;
  for (const std::string& key : handled) {
    auto r = completeEvent(key, ttl);
    if (!r && first_error) first_error = std::move(r);
  }
  for (const std::string& key : failed) {
    auto r = abandonEvent(key);
    if (!r && first_error) first_error = std::move(r);
  }
  return first_error;
}

Error storeError(std::string message) {
  Error e;
  e.category = ErrorCategory::kStore;
  e.message = std::move(message);
  return e;
}

bool isStoreError(const Error& error) noexcept {
  return error.category == ErrorCategory::kStore;
}

void merge(ConversationState& state, const Observation& obs) {
  if (obs.platform) state.platform = *obs.platform;
  if (obs.owner && obs.owner->learned_at >= state.owner.learned_at) {
    state.owner = *obs.owner;
    if (obs.clear_requests) {
      const Timestamp at = obs.owner->learned_at;
      auto& reqs = state.pending_requests;
      reqs.erase(std::remove_if(reqs.begin(), reqs.end(),
                                [at](const PendingRequest& r) { return r.at <= at; }),
                 reqs.end());
    }
  }
  if (obs.standby_at && *obs.standby_at > state.owner.learned_at) {
    const bool other_owner =
        state.owner.ownership == Ownership::kApp && state.owner.app_id != obs.self_app_id;
    if (!other_owner) {
      state.owner =
          OwnerInfo{Ownership::kApp, "", OwnerSource::kWebhook, *obs.standby_at, std::nullopt};
    }
  }
  if (obs.user_message) {
    state.last_user_message = std::max(state.last_user_message, *obs.user_message);
  }
  if (obs.own_message) {
    state.last_own_message = std::max(state.last_own_message, *obs.own_message);
  }
  if (obs.other_message && *obs.other_message > state.last_other_message) {
    state.last_other_message = *obs.other_message;
    state.last_other_app_id = obs.other_app_id;
  }
  if (obs.request) {
    auto& reqs = state.pending_requests;
    auto it = std::find_if(reqs.begin(), reqs.end(), [&](const PendingRequest& r) {
      return r.app_id == obs.request->app_id;
    });
    if (it == reqs.end()) {
      reqs.push_back(*obs.request);
    } else if (obs.request->at > it->at) {
      *it = *obs.request;
    }
  }
  if (obs.action && (!state.last_action || obs.action->at >= state.last_action->at)) {
    state.last_action = obs.action;
  }
  // One order whatever the store: Redis hashes have none.
  std::sort(state.pending_requests.begin(), state.pending_requests.end(),
            [](const PendingRequest& a, const PendingRequest& b) {
              return a.at != b.at ? a.at < b.at : a.app_id < b.app_id;
            });
}

}  // namespace tracker
HANDOVER_END_NAMESPACE
