#pragma once
/// @file
/// `CallObserver`: told of the thread-control calls a handler's `Context` made successfully,
/// so a layer above (the tracker) learns them as it learns its own calls. The webhook layer
/// defines it and the tracker implements it: no include goes up a layer.

#include <chrono>
#include <optional>
#include <string>

#include "handover/client/requests.hpp"
#include "handover/core/error.hpp"
#include "handover/core/export.hpp"
#include "handover/core/types.hpp"
#include "handover/core/whatsapp.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// The conversation a call was made on.
struct CallTarget {
  /// `entry.id`: the Page or Instagram account; WhatsApp: the `phone_number_id`.
  std::string account_id;
  std::string user_id;                       ///< The user the call addressed.
  Platform platform = Platform::kMessenger;  ///< The conversation's platform.
};

/// Each method has an empty default body, so adding a call to observe breaks no implementer.
/// Called on the handler's thread after the call succeeded; must be thread-safe and must not
/// throw (a thrown exception is dropped: the call itself was made).
class HANDOVER_EXPORT CallObserver {
 public:
  virtual ~CallObserver() = default;
  /// `pass_thread_control` to `target_app_id` (empty: the default app) succeeded.
  virtual void passed(const CallTarget& /*on*/, const std::string& /*target_app_id*/) {}
  /// `take_thread_control` succeeded.
  virtual void taken(const CallTarget& /*on*/, const TakeThreadControlResponse& /*answer*/) {}
  /// `release_thread_control` succeeded.
  virtual void released(const CallTarget& /*on*/) {}
  /// `extend_thread_control` by `duration` succeeded.
  virtual void extended(const CallTarget& /*on*/, std::chrono::seconds /*duration*/) {}
  /// WhatsApp: a `pass` to `role` (nullopt: untargeted, to the escalation partner) succeeded;
  /// another responder owns the thread now.
  virtual void whatsappPassed(const CallTarget& /*on*/,
                              const std::optional<wa::RoleName>& /*role*/) {}
  /// WhatsApp: a `take` succeeded, or a Service send by the escalation partner (an implicit
  /// take); this app owns the thread now.
  virtual void whatsappTaken(const CallTarget& /*on*/) {}
  /// WhatsApp: a `release` succeeded; the thread is idle (Meta sends no webhook for it).
  virtual void whatsappReleased(const CallTarget& /*on*/) {}
  /// WhatsApp: asked before a Service (non-template) message is sent on `on`. An error refuses
  /// the send locally, before any request (the tracker's `mayServiceSend`: another responder
  /// owns the thread); nullopt lets it go. Must not throw.
  virtual std::optional<Error> beforeServiceSend(const CallTarget& /*on*/) { return std::nullopt; }
};

/// Tells `observer` (when set) of a call that succeeded; an exception it throws is dropped: the
/// call was made, and learning it is a bonus. What both contexts do after each call.
template <typename F>
void tellObserver(CallObserver* observer, F&& notify) noexcept {
  if (observer == nullptr) return;
  try {
    notify(*observer);
  } catch (...) {  // NOLINT(bugprone-empty-catch): see above
  }
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
