#pragma once
// What the World's rule files share: the Graph errors a refused call gets (protocol.md §3.3) and
// the common head of every webhook event JSON.

#include <cstdint>
#include <string>

#include "json_util.hpp"
#include "validation.hpp"
#include "world.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

// protocol.md §3.3. Messages are verbatim where the source gives them.
inline Error notOwner() {
  // IG 100/2534037 (ERR-M); FN1 reports a #100 for Messenger without a known subcode. [U] One
  // shape for both platforms so callers branch on one predicate.
  return graphError(100, 2534037, "(#100) The action is invalid since it's not the thread owner.");
}
inline Error anotherAppControls() {
  return graphError(10, 2018300,
                    "(#10) Message failed to send because another app is controlling this "
                    "thread now.");
}
inline Error noRole() {
  // ERR-M gives the subcode, not the code. [U] code 10 (permission).
  return graphError(10, 2018171, "(#10) Only available to Primary and Secondary Receivers.");
}
inline Error invalidParam(const std::string& what) {
  return graphError(100, 0, "(#100) " + what);
}
inline Error noMatchingUser() {
  return graphError(100, 2018001, "(#100) No matching user found");
}

/// A user id given to a control action (not a Graph call): digits, as Graph's ids are.
inline Result<void> checkUserArgument(const std::string& user) {
  if (isValidId(user)) return {};
  return handover::detail::invalidArgument("user_id must be 1 to " + std::to_string(kMaxIdDigits) +
                                           " decimal digits");
}
/// Text given to a control action: valid UTF-8, at most the Send API's length.
inline Result<void> checkTextArgument(const char* name, const std::string& text) {
  if (isValidText(text)) return {};
  return handover::detail::invalidArgument(std::string(name) + " must be valid UTF-8 of at most " +
                                           std::to_string(kMaxTextChars) + " characters");
}

inline Error incorrectAppId() {
  return graphError(100, 2018164, "(#100) Incorrect App ID");
}
inline Error alreadyOwner() {
  return invalidParam("The app already controls this thread.");
}  // [U]
inline Error unknownObject(const std::string& id) {
  // Echoed as Graph does, unless it is long or not text (it goes into the timeline too).
  const bool echo = id.size() <= 64 && isValidUtf8(id);
  return graphError(100, 33,
                    "Unsupported request. Object with ID '" + (echo ? id : "(invalid id)") +
                        "' does not exist, cannot be loaded due to missing permissions, or does "
                        "not support this operation.");
}

inline std::string quoteOrNull(const std::string& id) {
  return id.empty() ? "null" : escapeJsonString(id);
}

inline std::string head(const std::string& user, const std::string& page, std::int64_t ts) {
  return "{\"sender\":{\"id\":" + escapeJsonString(user) +
         "},\"recipient\":{\"id\":" + escapeJsonString(page) +
         "},\"timestamp\":" + std::to_string(ts);
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
