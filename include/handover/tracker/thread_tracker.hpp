#pragma once
/// @file
/// `ThreadTracker`: who owns each conversation, who spoke last, pending control requests, and
/// the policies that act on them (take back after an idle agent, pass on request, pause the bot
/// while a human talks). State lives in a `Store`, so timers survive restarts and a fleet of
/// webhook servers shares it through `RedisStore`.
///
/// @code
///   auto store = std::make_shared<handover::tracker::MemoryStore>();
///   handover::tracker::TrackerOptions opts;
///   opts.policies.idle_take_back = handover::tracker::IdleTakeBack{};  // take after 10 min
///   handover::tracker::ThreadTracker tracker(store, client, opts);
///   // webhook handler, for each new (de-duplicated) batch:
///   tracker.observe(batch);
///   // a timer thread, every few seconds (any server of the fleet):
///   tracker.poll();
/// @endcode
///
/// Thread-safety: every method may be called from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/client/client.hpp"
#include "handover/client/client_resolver.hpp"
#include "handover/core/result.hpp"
#include "handover/tracker/conversation.hpp"
#include "handover/tracker/policies.hpp"
#include "handover/tracker/store.hpp"
#include "handover/webhook/call_observer.hpp"
#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

/// What a policy did (or failed to do) on one conversation.
struct ActionOutcome {
  ConversationKey key;                        ///< The conversation acted on.
  PolicyAction action = PolicyAction::kTake;  ///< The call made.
  std::string target_app_id;                  ///< For "pass".
  Timestamp at{};                             ///< When the call returned (tracker clock).
  std::optional<Error> error;  ///< Set when the call failed after the client's retries.
  /// For a failed timer action: true when it stays due and is tried again after the lease.
  bool will_retry = false;
  /// The call succeeded.
  bool ok() const noexcept { return !error; }
};

/// A WhatsApp number a tracker's app serves, and its role there.
struct WhatsAppNumber {
  std::string phone_number_id;      ///< The number (digits).
  bool escalation_partner = false;  ///< This app may take threads on it.
};

/// Options of `ThreadTracker`.
struct TrackerOptions {
  /// This app's id: tells our echoes from others'. Empty: the client's `app_id` option.
  std::string app_id;
  /// The clock; empty: the system clock. Tests inject one and never sleep.
  std::function<Timestamp()> clock;
  /// `getThreadOwner` calls the Graph API when what we know is older than this.
  std::chrono::milliseconds owner_staleness{std::chrono::minutes(5)};
  /// A claimed timer is hidden from other servers this long; unfinished, it comes due again.
  std::chrono::milliseconds due_lease{std::chrono::seconds(30)};
  /// Timers claimed per `poll` at most.
  std::size_t poll_batch = 100;
  /// How long the tracker remembers that it acted on an event (pass on request), so that a
  /// redelivery of the event (its handler failed) never repeats the action: the same span as
  /// `DedupOptions::ttl`, which keeps a handled event from being handled again.
  std::chrono::milliseconds action_memory{std::chrono::hours(24)};
  Policies policies;  ///< What the tracker does on its own; all off by default.
  /// The WhatsApp numbers this app serves. Meta lets only a number's escalation partner take
  /// (whatsapp.md §2): the idle take-back (kTake) acts on a WhatsApp conversation only where
  /// `escalation_partner` is set, `create` refuses kTake when a listed number lacks it, and
  /// `mayServiceSend` refuses a Service send on a thread another responder owns elsewhere.
  std::vector<WhatsAppNumber> whatsapp_numbers;
  /// Called for every action a policy takes, success or failure (also returned by `poll`).
  std::function<void(const ActionOutcome&)> on_action;
};

/// The owner as `getThreadOwner` answers it.
struct OwnerAnswer {
  OwnerInfo owner;          ///< The owner, with where and when it was learned.
  bool from_graph = false;  ///< True when the tracker had no fresh knowledge and asked Graph.
};

/// `ThreadTracker::autoReply`'s answer. An enum, not a bool: a `Result<bool>` in an `if` tests
/// "no error", not "may reply".
enum class AutoReply {
  kReply,                ///< Answer the user.
  kPauseAnotherAppOwns,  ///< Another app (the inbox, an agent tool) owns the thread.
  kPauseHumanActive,     ///< Someone else wrote within `PauseWhileHumanActive::quiet_for`.
};

/// Per-conversation ownership and activity over a `Store`, and the policies acting on them.
///
/// It is also the `webhook::CallObserver` of the handlers' contexts: give it to
/// `Router::dispatch` (the `Endpoint` does when it has a tracker) and a pass, take, release or
/// extend made through a `Context` is recorded as one made through the tracker, in both eras
/// (a legacy Page sends no webhook back to the app that passed).
class HANDOVER_EXPORT ThreadTracker : public webhook::CallObserver {
 public:
  /// Acts through the client `clients` picks per conversation (a `Client` converts: one for
  /// every Page). `options.app_id` empty: the resolver's `appId()`. Prefer `create`, which
  /// refuses a misconfiguration instead of letting it fail at run time.
  ThreadTracker(std::shared_ptr<Store> store, ClientResolver clients, TrackerOptions options = {});
  /// The tracker, or kInvalidArgument naming the problem: no store, no app id (neither
  /// `options.app_id` nor the resolver's: its own echoes and ownership could not be told
  /// apart), or an idle take-back that takes while a listed WhatsApp number does not have this
  /// app as escalation partner (Meta would refuse every such take with 2494191).
  static Result<std::shared_ptr<ThreadTracker>> create(std::shared_ptr<Store> store,
                                                       ClientResolver clients,
                                                       TrackerOptions options = {});
  ~ThreadTracker() override;
  ThreadTracker(const ThreadTracker&) = delete;
  ThreadTracker& operator=(const ThreadTracker&) = delete;

  // --- input: webhook events and our own calls ----------------------------------------------

  /// Learns from one event and runs the event-driven policies (pass on request). Call it once
  /// per event: de-duplicate first (`Deduplicator`). A store failure is returned (answer the
  /// webhook non-2xx); a failed policy action is reported through `on_action` and recorded.
  Result<void> observe(const webhook::Event& event);
  /// `observe` for every event of a batch, in order; stops at the first store failure.
  Result<void> observe(const webhook::Batch& batch);

  /// Records a successful `pass_thread_control` made outside the tracker (empty target: the
  /// default app, owner unknown until an event or Graph tells).
  Result<void> recordPassed(const ConversationKey& key, const std::string& target_app_id);
  /// Records a successful `take_thread_control`: we own the thread.
  Result<void> recordTaken(const ConversationKey& key, const TakeThreadControlResponse& r = {});
  /// Records a successful `release_thread_control`: the thread is idle.
  Result<void> recordReleased(const ConversationKey& key);
  /// Records a successful `extend_thread_control`: we own it until now + `duration`.
  Result<void> recordExtended(const ConversationKey& key, std::chrono::seconds duration);
  /// `webhook::CallObserver`: a `Context` call that succeeded, recorded as `record...` does
  /// (a store failure is dropped: the call was made; the next event corrects it).
  void passed(const webhook::CallTarget& on, const std::string& target_app_id) override;
  /// `webhook::CallObserver`: see `passed`.
  void taken(const webhook::CallTarget& on, const TakeThreadControlResponse& r) override;
  /// `webhook::CallObserver`: see `passed`.
  void released(const webhook::CallTarget& on) override;
  /// `webhook::CallObserver`: see `passed`.
  void extended(const webhook::CallTarget& on, std::chrono::seconds duration) override;
  /// `webhook::CallObserver`: a WhatsApp pass; another responder owns the thread.
  void whatsappPassed(const webhook::CallTarget& on,
                      const std::optional<wa::RoleName>& role) override;
  /// `webhook::CallObserver`: a WhatsApp take (explicit or by a Service send); this app owns it.
  void whatsappTaken(const webhook::CallTarget& on) override;
  /// `webhook::CallObserver`: a WhatsApp release; the thread is idle.
  void whatsappReleased(const webhook::CallTarget& on) override;
  /// `webhook::CallObserver`: `mayServiceSend` for a context's `sendText` (a store failure
  /// lets the send go: Meta decides then).
  std::optional<Error> beforeServiceSend(const webhook::CallTarget& on) override;
  /// Records a `thread_owner` answer (hidden owner and idle included).
  Result<void> recordOwner(const ConversationKey& key, const ThreadOwner& owner);

  /// Passes through the client and records the result (on success).
  Result<void> passThreadControl(const ConversationKey& key, const std::string& target_app_id,
                                 const std::string& metadata = {});
  /// Takes through the client and records the result (on success).
  Result<void> takeThreadControl(const ConversationKey& key, const std::string& metadata = {});
  /// Releases through the client and records the result (on success).
  Result<void> releaseThreadControl(const ConversationKey& key);

  // --- queries ------------------------------------------------------------------------------

  /// The stored state, or nullopt when the conversation was never seen.
  Result<std::optional<ConversationState>> state(const ConversationKey& key);
  /// The owner from what we know when it is fresher than `owner_staleness`; otherwise asks the
  /// Graph API (`thread_owner`) and records the answer.
  Result<OwnerAnswer> getThreadOwner(const ConversationKey& key);
  /// Whether the bot may answer automatically now: kPauseHumanActive / kPauseAnotherAppOwns
  /// while the `pause_while_human_active` policy says so (always kReply without that policy).
  Result<AutoReply> autoReply(const ConversationKey& key);
  /// Whether this app may send a Service (non-template) message on a WhatsApp conversation:
  /// refused with `ErrorCategory::kThreadOwnedElsewhere` (`Error::isThreadOwnedElsewhere()`)
  /// when another responder owns it and this app is not the number's escalation partner (for
  /// which the send would be an implicit take: decide before sending). Templates need no
  /// ownership: do not ask for them. Messenger conversations: always allowed here.
  Result<void> mayServiceSend(const ConversationKey& key);
  /// When the idle take-back would fire for `state` (nullopt: it would not).
  std::optional<Timestamp> dueAt(const ConversationState& state) const;

  // --- timers ---------------------------------------------------------------------------------

  /// Performs every timer action due at `now`, each claimed in the store so exactly one
  /// server of a fleet performs it. Due times come from stored timestamps: a process that
  /// starts late performs what came due while it was down, once.
  Result<std::vector<ActionOutcome>> poll(Timestamp now);
  /// `poll` at the tracker's clock.
  Result<std::vector<ActionOutcome>> poll();

  /// This app's id, as used to tell our echoes and ownership from others'.
  const std::string& appId() const noexcept;
  /// The tracker's clock.
  Timestamp now() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracker
HANDOVER_END_NAMESPACE
