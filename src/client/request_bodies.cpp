#include "request_bodies.hpp"

#include <cstdint>

#include "handover/core/export.hpp"
#include "json_body.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

std::optional<Error> checkRecipient(const std::string& recipient) {
  if (recipient.empty()) return handover::detail::invalidArgument("recipient is empty");
  return std::nullopt;
}

Result<std::string> passThreadControlBody(const PassThreadControlRequest& r) {
  if (auto e = checkRecipient(r.recipient)) return *e;
  JsonBody body;
  body.recipient(r.recipient)
      .optionalField("target_app_id", r.target_app_id)
      .optionalField("metadata", r.metadata);
  return body.finish();
}

Result<std::string> takeThreadControlBody(const TakeThreadControlRequest& r) {
  if (auto e = checkRecipient(r.recipient)) return *e;
  JsonBody body;
  body.recipient(r.recipient).optionalField("metadata", r.metadata);
  return body.finish();
}

Result<std::string> requestThreadControlBody(const RequestThreadControlRequest& r) {
  if (auto e = checkRecipient(r.recipient)) return *e;
  JsonBody body;
  body.recipient(r.recipient).optionalField("metadata", r.metadata);
  return body.finish();
}

Result<std::string> releaseThreadControlBody(const ReleaseThreadControlRequest& r) {
  if (auto e = checkRecipient(r.recipient)) return *e;
  JsonBody body;
  body.recipient(r.recipient);
  return body.finish();
}

Result<std::string> extendThreadControlBody(const ExtendThreadControlRequest& r) {
  if (auto e = checkRecipient(r.recipient)) return *e;
  const auto seconds = static_cast<std::int64_t>(r.duration.count());
  if (seconds < 1 || seconds > kMaxExtendDuration.count()) {
    return handover::detail::invalidArgument("extend duration must be within 1.." +
                                             std::to_string(kMaxExtendDuration.count()) +
                                             " seconds (7 days), got " + std::to_string(seconds));
  }
  JsonBody body;
  body.recipient(r.recipient).field("duration", seconds);
  return body.finish();
}

Result<std::string> sendTextBody(const SendTextRequest& r) {
  if (auto e = checkRecipient(r.recipient)) return *e;
  if (r.text.empty()) return handover::detail::invalidArgument("text is empty");
  if (r.messaging_type == MessagingType::kMessageTag && r.tag.empty()) {
    return handover::detail::invalidArgument("messaging_type MESSAGE_TAG needs a tag");
  }
  if (r.messaging_type != MessagingType::kMessageTag && !r.tag.empty()) {
    return handover::detail::invalidArgument(
        "a tag is only allowed with messaging_type MESSAGE_TAG");
  }
  JsonBody body;
  body.recipient(r.recipient).field("messaging_type", toString(r.messaging_type));
  body.optionalField("tag", r.tag);
  body.beginObject("message").field("text", r.text).optionalField("metadata", r.metadata);
  body.endObject();
  body.optionalField("persona_id", r.persona_id);
  if (r.thread_control) {
    const bool pass = r.thread_control->control_type == ThreadControl::Type::kPass;
    if (!pass && !r.thread_control->app_id.empty()) {
      return handover::detail::invalidArgument("thread_control release takes no app_id");
    }
    body.beginObject("thread_control").field("control_type", pass ? "pass" : "release");
    body.optionalField("app_id", r.thread_control->app_id).endObject();
  }
  return body.finish();
}

}  // namespace detail
HANDOVER_END_NAMESPACE
