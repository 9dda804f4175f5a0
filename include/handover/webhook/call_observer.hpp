#pragma once
/// @file
/// `CallObserver`: told of the thread-control calls a handler's `Context` made successfully,
/// so a layer above (the tracker) learns them as it learns its own calls. The webhook layer
/// defines it and the tracker implements it: no include goes up a layer.

#include <chrono>
#include <string>

#include "handover/client/requests.hpp"
#include "handover/core/export.hpp"
#include "handover/core/types.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// The conversation a call was made on.
struct CallTarget {
  std::string account_id;                    ///< `entry.id`: the Page or Instagram account.
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
};

}  // namespace webhook
HANDOVER_END_NAMESPACE
