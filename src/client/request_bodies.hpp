#pragma once
// The checked JSON bodies of the Graph POST calls, shared by the sync connection and the async
// client so both validate and encode a request the same way. Each returns kInvalidArgument,
// before anything is sent, for input the Graph API would refuse.

#include <optional>
#include <string>

#include "handover/client/requests.hpp"
#include "handover/core/error.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// kInvalidArgument when the recipient (PSID/IGSID) is empty.
std::optional<Error> checkRecipient(const std::string& recipient);

Result<std::string> passThreadControlBody(const PassThreadControlRequest& r);
Result<std::string> takeThreadControlBody(const TakeThreadControlRequest& r);
Result<std::string> requestThreadControlBody(const RequestThreadControlRequest& r);
Result<std::string> releaseThreadControlBody(const ReleaseThreadControlRequest& r);
/// Also checks the duration: 1 s to 7 days.
Result<std::string> extendThreadControlBody(const ExtendThreadControlRequest& r);
/// Also checks text, tag against `messaging_type`, and `thread_control`.
Result<std::string> sendTextBody(const SendTextRequest& r);

}  // namespace detail
HANDOVER_END_NAMESPACE
