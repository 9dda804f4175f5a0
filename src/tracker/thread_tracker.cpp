#include "handover/tracker/thread_tracker.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "event_observation.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {
namespace {

Timestamp systemNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

struct ThreadTracker::Impl {
  std::shared_ptr<Store> store;
  ClientResolver resolver;
  TrackerOptions options;

  Impl(std::shared_ptr<Store> s, ClientResolver r, TrackerOptions o)
      : store(std::move(s)), resolver(std::move(r)), options(std::move(o)) {}

  Timestamp now() const { return options.clock ? options.clock() : systemNow(); }

  // Runs `action` for event `e` at most once, whatever the redeliveries (a handler that fails
  // has the body delivered again, and observe() runs again): claimed in the store under the
  // event's de-duplication key, so on Redis it holds across the fleet too. The claim is given
  // up only when the action could not be recorded (a store error), for a redelivery to redo.
  template <typename Action>
  Result<void> onceForEvent(const webhook::Event& e, Action&& action) {
    const std::string once = "tracker-action:" + webhook::dedupKey(e);
    auto claim = store->claimEvent(once, options.due_lease);
    if (!claim) return std::move(claim).error();
    if (*claim != EventClaim::kNew) return {};
    auto done = action();
    if (!done) {
      (void)store->abandonEvent(once);
      return std::move(done).error();
    }
    return store->completeEvent(once, options.action_memory);
  }

  Result<Client> clientFor(const ConversationKey& key, Platform platform) const {
    std::optional<Client> c;
    try {
      c = resolver(key.page_id, platform);
    } catch (const std::exception& ex) {
      return handover::detail::invalidArgument(std::string("client resolver threw: ") + ex.what());
    }
    if (!c) return handover::detail::invalidArgument("no client for page " + key.page_id);
    return *c;
  }

  // The platform its events came on (the resolver may pick by it); Messenger when unknown. A
  // resolver made from one Client does not pick: no store read then.
  Result<Platform> platformOf(const ConversationKey& key) const {
    if (resolver.servesEveryAccount()) return Platform::kMessenger;
    auto s = store->load(key);
    if (!s) return std::move(s).error();
    return *s ? (*s)->platform : Platform::kMessenger;
  }

  Result<Client> clientFor(const ConversationKey& key) const {
    auto platform = platformOf(key);
    if (!platform) return std::move(platform).error();
    return clientFor(key, *platform);
  }

  std::optional<Timestamp> dueAt(const ConversationState& s) const {
    if (!options.policies.idle_take_back) return std::nullopt;
    const IdleTakeBack& p = *options.policies.idle_take_back;
    if (s.owner.ownership != Ownership::kApp) return std::nullopt;
    // Without our app id an unnamed owner must not pass for us.
    const bool ours = !options.app_id.empty() && s.owner.app_id == options.app_id;
    Timestamp since = s.owner.learned_at;
    if (p.action == IdleTakeBack::Action::kTake) {
      if (ours) return std::nullopt;
      since = std::max(since, s.last_other_message);
    } else {
      if (!ours) return std::nullopt;
      since = std::max(since, s.last_own_message);
    }
    const Timestamp due = since + p.quiet_for;
    // Control lapses first: the thread goes idle by itself, nothing to take back.
    if (s.owner.expires_at && *s.owner.expires_at <= due) return std::nullopt;
    if (s.platform == Platform::kWhatsApp) {
      // Meta lets only the number's escalation partner take (2494191 otherwise), and makes a
      // thread idle by itself 24 h after the user's last message or the last transition.
      if (p.action == IdleTakeBack::Action::kTake && !escalationPartnerOn(s.key.page_id)) {
        return std::nullopt;
      }
      if (s.idleAt(due)) return std::nullopt;
    }
    return due;
  }

  // Every change that may move the idle timer goes through here.
  Result<ConversationState> applyAndSchedule(const ConversationKey& key, const Observation& obs,
                                             bool may_move_timer) {
    auto state = store->apply(key, obs);
    if (!state) return state;
    if (may_move_timer && options.policies.idle_take_back) {
      auto r = store->schedule(key, dueAt(*state));
      if (!r) return std::move(r).error();
    }
    return state;
  }

  // Calls the client for a policy action, records the outcome in the store and reports it.
  // Performs one policy action through the client, reports it through `on_action` at once (so a
  // store failure afterwards cannot hide an action that happened), then records it. A transient
  // failure of a timer action (`retry_transient`) stays due and is marked `will_retry`.
  Result<ActionOutcome> act(const ConversationKey& key, Platform platform, PolicyAction action,
                            const std::string& target, const std::string& metadata,
                            bool retry_transient) {
    ActionOutcome out;
    out.key = key;
    out.action = action;
    out.target_app_id = target;
    Result<void> call;
    std::optional<TakeThreadControlResponse> taken;
    auto c = clientFor(key, platform);
    if (!c) {
      call = std::move(c).error();
    } else if (platform == Platform::kWhatsApp) {
      call = whatsappCall(*c, key, action, metadata);
      if (call && action == PolicyAction::kTake) taken = TakeThreadControlResponse{};
    } else if (action == PolicyAction::kTake) {
      auto r = c->takeThreadControl(key.user_id, metadata);
      if (r) {
        taken = *r;
      } else {
        call = std::move(r).error();
      }
    } else if (action == PolicyAction::kRelease) {
      call = c->releaseThreadControl(key.user_id);
    } else {
      call = c->passThreadControl(key.user_id, target, metadata);
    }
    out.at = now();
    Observation obs;
    ActionRecord rec;
    rec.action = action;
    rec.target_app_id = target;
    rec.at = out.at;
    rec.ok = call.has_value();
    if (call) {
      if (action == PolicyAction::kTake) {
        obs.owner =
            detail::ownerOf(Ownership::kApp, taken->new_owner_app_id.value_or(options.app_id),
                            OwnerSource::kOwnCall, out.at);
        if (taken->expiration) obs.owner->expires_at = *taken->expiration;
      } else if (action == PolicyAction::kRelease) {
        obs.owner = detail::ownerOf(Ownership::kIdle, "", OwnerSource::kOwnCall, out.at);
      } else if (platform == Platform::kWhatsApp) {
        // An untargeted WhatsApp pass: the escalation partner has it, unnamed.
        obs.owner = detail::ownerOf(Ownership::kApp, "", OwnerSource::kOwnCall, out.at);
      } else {
        // Passing to "the default app" leaves the owner unnamed until an event or Graph says.
        obs.owner = detail::ownerOf(target.empty() ? Ownership::kUnknown : Ownership::kApp, target,
                                    OwnerSource::kOwnCall, out.at);
      }
      obs.clear_requests = true;
    } else {
      out.error = call.error();
      rec.error = call.error().toString();
    }
    obs.action = rec;
    out.will_retry = retry_transient && out.error && out.error->isRetryable();
    if (options.on_action) options.on_action(out);
    auto stored = applyAndSchedule(key, obs, call.has_value());
    if (!stored) return std::move(stored).error();
    return out;
  }

  // A policy's call on a WhatsApp conversation: the number is the key's page, the user goes in
  // `to` or `recipient`; a pass is untargeted (to the escalation partner).
  static Result<void> whatsappCall(Client& c, const ConversationKey& key, PolicyAction action,
                                   const std::string& metadata) {
    auto user = wa::User::fromId(key.user_id);
    if (!user) {
      return handover::detail::invalidArgument("WhatsApp user " + key.user_id +
                                               " is neither a phone number nor a business id");
    }
    Result<wa::ThreadControlResponse> r = handover::detail::invalidArgument("no call");
    switch (action) {
      case PolicyAction::kTake:
        r = c.waTakeThreadControl({key.page_id, std::move(*user), metadata});
        break;
      case PolicyAction::kRelease:
        r = c.waReleaseThreadControl({key.page_id, std::move(*user), metadata});
        break;
      case PolicyAction::kPass:
        r = c.waPassThreadControl({key.page_id, std::move(*user), std::nullopt, metadata});
        break;
    }
    if (!r) return std::move(r).error();
    return {};
  }

  bool escalationPartnerOn(const std::string& number) const {
    for (const auto& n : options.whatsapp_numbers) {
      if (n.phone_number_id == number) return n.escalation_partner;
    }
    return false;
  }

  // The owner each of our own calls leaves, whichever path made the call.
  OwnerInfo afterPass(const std::string& target_app_id) const {
    return detail::ownerOf(target_app_id.empty() ? Ownership::kUnknown : Ownership::kApp,
                           target_app_id, OwnerSource::kOwnCall, now());
  }
  OwnerInfo afterTake(const TakeThreadControlResponse& r) const {
    OwnerInfo o = detail::ownerOf(Ownership::kApp, r.new_owner_app_id.value_or(options.app_id),
                                  OwnerSource::kOwnCall, now());
    if (r.expiration) o.expires_at = *r.expiration;
    return o;
  }
  OwnerInfo afterRelease() const {
    return detail::ownerOf(Ownership::kIdle, "", OwnerSource::kOwnCall, now());
  }
  OwnerInfo afterExtend(std::chrono::seconds duration) const {
    OwnerInfo o = detail::ownerOf(Ownership::kApp, options.app_id, OwnerSource::kOwnCall, now());
    o.expires_at = o.learned_at + duration;
    return o;
  }

  Result<void> record(const ConversationKey& key, OwnerInfo owner, bool clear_requests,
                      std::optional<Platform> platform = std::nullopt) {
    if (key.page_id.empty() || key.user_id.empty()) {
      return handover::detail::invalidArgument("a conversation needs a page id and a user id");
    }
    Observation obs;
    obs.platform = platform;
    obs.owner = std::move(owner);
    obs.clear_requests = clear_requests;
    auto r = applyAndSchedule(key, obs, true);
    if (!r) return std::move(r).error();
    return {};
  }
};

ThreadTracker::ThreadTracker(std::shared_ptr<Store> store, ClientResolver clients,
                             TrackerOptions options) {
  if (options.app_id.empty()) options.app_id = clients.appId();
  impl_ = std::make_unique<Impl>(std::move(store), std::move(clients), std::move(options));
}

Result<std::shared_ptr<ThreadTracker>> ThreadTracker::create(std::shared_ptr<Store> store,
                                                             ClientResolver clients,
                                                             TrackerOptions options) {
  if (!store) return handover::detail::invalidArgument("ThreadTracker needs a store");
  if (options.app_id.empty() && clients.appId().empty()) {
    return handover::detail::invalidArgument(
        "ThreadTracker needs this app's id (TrackerOptions::app_id, or ClientOptions::app_id of "
        "the resolver's client): without it, its own echoes and ownership look like another "
        "app's");
  }
  const auto& take_back = options.policies.idle_take_back;
  if (take_back && take_back->action == IdleTakeBack::Action::kTake) {
    for (const auto& n : options.whatsapp_numbers) {
      if (n.escalation_partner) continue;
      return handover::detail::invalidArgument(
          "the idle take-back takes, but this app is not the escalation partner of WhatsApp "
          "number " +
          n.phone_number_id +
          ": Meta would refuse every take there (2494191). Set "
          "escalation_partner for it, or take back with kRelease");
    }
  }
  return std::make_shared<ThreadTracker>(std::move(store), std::move(clients), std::move(options));
}

ThreadTracker::~ThreadTracker() = default;

const std::string& ThreadTracker::appId() const noexcept {
  return impl_->options.app_id;
}
Timestamp ThreadTracker::now() const {
  return impl_->now();
}

std::optional<Timestamp> ThreadTracker::dueAt(const ConversationState& state) const {
  return impl_->dueAt(state);
}

Result<void> ThreadTracker::observe(const webhook::Event& e) {
  auto seen = detail::observationOf(e, impl_->options.app_id, impl_->now());
  if (!seen) return {};
  const ConversationKey& key = seen->key;
  const std::optional<webhook::RequestThreadControl>& request = seen->request;
  auto state = impl_->applyAndSchedule(key, seen->observation, seen->moves_timer);
  if (!state) return std::move(state).error();

  if (request && impl_->options.policies.pass_on_request) {
    const PassOnRequest& p = *impl_->options.policies.pass_on_request;
    const std::string& from = request->requested_owner_app_id;
    const bool allowed =
        p.from_app_ids.empty() ||
        std::find(p.from_app_ids.begin(), p.from_app_ids.end(), from) != p.from_app_ids.end();
    if (allowed) {
      return impl_->onceForEvent(e, [&] {
        return impl_->act(key, e.platform, PolicyAction::kPass,
                          p.target_app_id.empty() ? from : p.target_app_id, p.metadata,
                          /*retry_transient=*/false);
      });
    }
  }
  return {};
}

Result<void> ThreadTracker::observe(const webhook::Batch& batch) {
  for (const auto& e : batch.events) {
    auto r = observe(e);
    if (!r) return r;
  }
  return {};
}

Result<void> ThreadTracker::recordPassed(const ConversationKey& key,
                                         const std::string& target_app_id) {
  return impl_->record(key, impl_->afterPass(target_app_id), true);
}

Result<void> ThreadTracker::recordTaken(const ConversationKey& key,
                                        const TakeThreadControlResponse& r) {
  return impl_->record(key, impl_->afterTake(r), true);
}

Result<void> ThreadTracker::recordReleased(const ConversationKey& key) {
  return impl_->record(key, impl_->afterRelease(), true);
}

Result<void> ThreadTracker::recordExtended(const ConversationKey& key,
                                           std::chrono::seconds duration) {
  return impl_->record(key, impl_->afterExtend(duration), false);
}

// A handler's Context made the call (webhook::CallObserver): the same record, with the
// conversation's platform. A store failure is not the call's: the next event or `getThreadOwner`
// corrects what was missed.
void ThreadTracker::passed(const webhook::CallTarget& on, const std::string& target_app_id) {
  (void)impl_->record({on.account_id, on.user_id}, impl_->afterPass(target_app_id), true,
                      on.platform);
}
void ThreadTracker::taken(const webhook::CallTarget& on, const TakeThreadControlResponse& r) {
  (void)impl_->record({on.account_id, on.user_id}, impl_->afterTake(r), true, on.platform);
}
void ThreadTracker::released(const webhook::CallTarget& on) {
  (void)impl_->record({on.account_id, on.user_id}, impl_->afterRelease(), true, on.platform);
}
void ThreadTracker::extended(const webhook::CallTarget& on, std::chrono::seconds duration) {
  (void)impl_->record({on.account_id, on.user_id}, impl_->afterExtend(duration), false,
                      on.platform);
}

// WhatsApp names roles, not apps: after a pass the owner is another responder, unnamed.
void ThreadTracker::whatsappPassed(const webhook::CallTarget& on,
                                   const std::optional<wa::RoleName>&) {
  (void)impl_->record({on.account_id, on.user_id},
                      detail::ownerOf(Ownership::kApp, "", OwnerSource::kOwnCall, impl_->now()),
                      true, on.platform);
}
void ThreadTracker::whatsappTaken(const webhook::CallTarget& on) {
  (void)impl_->record({on.account_id, on.user_id}, impl_->afterTake({}), true, on.platform);
}
void ThreadTracker::whatsappReleased(const webhook::CallTarget& on) {
  (void)impl_->record({on.account_id, on.user_id}, impl_->afterRelease(), true, on.platform);
}

Result<void> ThreadTracker::recordOwner(const ConversationKey& key, const ThreadOwner& owner) {
  OwnerInfo o;
  if (owner.app_id) {
    o = detail::ownerOf(Ownership::kApp, *owner.app_id, OwnerSource::kGraph, impl_->now());
  } else if (owner.expiration) {
    o = detail::ownerOf(Ownership::kApp, "", OwnerSource::kGraph, impl_->now());  // hidden owner
  } else {
    o = detail::ownerOf(Ownership::kIdle, "", OwnerSource::kGraph, impl_->now());
  }
  if (owner.expiration) o.expires_at = *owner.expiration;
  return impl_->record(key, std::move(o), false);
}

Result<void> ThreadTracker::passThreadControl(const ConversationKey& key,
                                              const std::string& target_app_id,
                                              const std::string& metadata) {
  auto c = impl_->clientFor(key);
  if (!c) return std::move(c).error();
  auto r = c->passThreadControl(key.user_id, target_app_id, metadata);
  if (!r) return r;
  return recordPassed(key, target_app_id);
}

Result<void> ThreadTracker::takeThreadControl(const ConversationKey& key,
                                              const std::string& metadata) {
  auto c = impl_->clientFor(key);
  if (!c) return std::move(c).error();
  auto r = c->takeThreadControl(key.user_id, metadata);
  if (!r) return std::move(r).error();
  return recordTaken(key, *r);
}

Result<void> ThreadTracker::releaseThreadControl(const ConversationKey& key) {
  auto c = impl_->clientFor(key);
  if (!c) return std::move(c).error();
  auto r = c->releaseThreadControl(key.user_id);
  if (!r) return r;
  return recordReleased(key);
}

Result<std::optional<ConversationState>> ThreadTracker::state(const ConversationKey& key) {
  return impl_->store->load(key);
}

Result<OwnerAnswer> ThreadTracker::getThreadOwner(const ConversationKey& key) {
  auto s = impl_->store->load(key);
  if (!s) return std::move(s).error();
  const Timestamp now = impl_->now();
  if (*s && (*s)->platform == Platform::kWhatsApp) {
    // WhatsApp has no thread_owner read ("you still track it yourself", whatsapp.md §5).
    OwnerAnswer a;
    a.owner = (*s)->owner;
    if ((*s)->idleAt(now))
      a.owner = detail::ownerOf(Ownership::kIdle, "", a.owner.source, a.owner.learned_at);
    return a;
  }
  if (*s && (*s)->owner.ownership != Ownership::kUnknown &&
      now - (*s)->owner.learned_at <= impl_->options.owner_staleness) {
    OwnerAnswer a;
    a.owner = (*s)->owner;
    if ((*s)->idleAt(now))
      a.owner = detail::ownerOf(Ownership::kIdle, "", a.owner.source, a.owner.learned_at);
    return a;
  }
  // The state just read names the platform: no second read.
  auto c = impl_->clientFor(key, *s ? (*s)->platform : Platform::kMessenger);
  if (!c) return std::move(c).error();
  auto owner = c->getThreadOwner(key.user_id);
  if (!owner) return std::move(owner).error();
  auto r = recordOwner(key, *owner);
  if (!r) return std::move(r).error();
  auto fresh = impl_->store->load(key);
  if (!fresh) return std::move(fresh).error();
  OwnerAnswer a;
  if (*fresh) a.owner = (*fresh)->owner;
  a.from_graph = true;
  return a;
}

Result<void> ThreadTracker::mayServiceSend(const ConversationKey& key) {
  auto s = impl_->store->load(key);
  if (!s) return std::move(s).error();
  if (!*s || (*s)->platform != Platform::kWhatsApp) return {};
  const ConversationState& st = **s;
  const std::string& me = impl_->options.app_id;
  const bool another =
      st.owner.ownership == Ownership::kApp && !(!me.empty() && st.owner.isApp(me));
  if (!another || st.idleAt(impl_->now()) || impl_->escalationPartnerOn(key.page_id)) return {};
  return Error::make(ErrorCategory::kThreadOwnedElsewhere,
                     "another responder owns the WhatsApp thread of " + key.user_id + " on " +
                         key.page_id +
                         ": Meta refuses a Service message from this app (a "
                         "template needs no ownership)");
}

std::optional<Error> ThreadTracker::beforeServiceSend(const webhook::CallTarget& on) {
  auto r = mayServiceSend({on.account_id, on.user_id});
  if (r || !r.error().isThreadOwnedElsewhere()) return std::nullopt;
  return r.error();
}

Result<AutoReply> ThreadTracker::autoReply(const ConversationKey& key) {
  if (!impl_->options.policies.pause_while_human_active) return AutoReply::kReply;
  auto s = impl_->store->load(key);
  if (!s) return std::move(s).error();
  if (!*s) return AutoReply::kReply;
  const ConversationState& st = **s;
  const Timestamp now = impl_->now();
  const auto quiet = impl_->options.policies.pause_while_human_active->quiet_for;
  const std::string& me = impl_->options.app_id;
  const bool ours = !me.empty() && st.owner.isApp(me);
  if (st.owner.ownership == Ownership::kApp && !ours && !st.idleAt(now)) {
    return AutoReply::kPauseAnotherAppOwns;
  }
  if (st.last_other_message != Timestamp{} && now - st.last_other_message < quiet) {
    return AutoReply::kPauseHumanActive;
  }
  return AutoReply::kReply;
}

Result<std::vector<ActionOutcome>> ThreadTracker::poll() {
  return poll(impl_->now());
}

Result<std::vector<ActionOutcome>> ThreadTracker::poll(Timestamp now) {
  std::vector<ActionOutcome> outcomes;
  if (!impl_->options.policies.idle_take_back) return outcomes;
  const IdleTakeBack& policy = *impl_->options.policies.idle_take_back;
  auto claims = impl_->store->claimDue(now, impl_->options.due_lease, impl_->options.poll_batch);
  if (!claims) return std::move(claims).error();
  for (const DueClaim& claim : *claims) {
    auto s = impl_->store->load(claim.key);
    if (!s) return std::move(s).error();
    const std::optional<Timestamp> due = *s ? impl_->dueAt(**s) : std::nullopt;
    if (due && *due > now) {
      // Activity since it was scheduled moved it: the stored times decide, not the hint.
      auto r = impl_->store->schedule(claim.key, due);
      if (!r) return std::move(r).error();
      continue;
    }
    if (!due || (*s)->idleAt(now)) {
      auto r = impl_->store->finishDue(claim);
      if (!r) return std::move(r).error();
      continue;
    }
    auto out = impl_->act(
        claim.key, (*s)->platform, policy.action,
        policy.action == IdleTakeBack::Action::kPass ? policy.pass_target_app_id : std::string(),
        policy.metadata, /*retry_transient=*/true);
    if (!out) return std::move(out).error();
    // A transient failure (after the client's own retries) stays claimed: it comes due again
    // when the lease ends. Anything else is final.
    if (!out->will_retry) {
      auto r = impl_->store->finishDue(claim);
      if (!r) return std::move(r).error();
    }
    outcomes.push_back(std::move(*out));
  }
  return outcomes;
}

}  // namespace tracker
HANDOVER_END_NAMESPACE
