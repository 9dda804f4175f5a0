// Part of the SAX handler (sax_handler.hpp): scalars, what each value means in its context.

#include "sax_handler.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

bool SaxHandler::scalar(VType t, const char* s, std::size_t n) {
  if (skip_ > 0) return true;
  const Field f = pending_;
  pending_ = Field::kNone;
  const Ctx c = ctx_[depth_];
  auto str = [&](std::string& dst, const char* what) {
    if (t == VType::kNull) return true;
    if (t != VType::kString) return typeError(what, t, scalarStart());
    setString(dst, s, n);
    return true;
  };
  auto optStr = [&](std::optional<std::string>& dst, const char* what) {
    if (t == VType::kNull) return true;
    if (t != VType::kString) return typeError(what, t, scalarStart());
    dst.emplace(s, n);
    return true;
  };
  // An id: a JSON string, or a non-negative integer kept as its exact decimal text.
  auto id = [&](std::string& dst, const char* what) {
    if (t == VType::kNull) return true;
    if (t == VType::kString || (t == VType::kNumber && allDigits(s, n))) {
      setString(dst, s, n);
      return true;
    }
    return typeError(what, t, scalarStart());
  };
  auto optId = [&](std::optional<std::string>& dst, const char* what) {
    if (t == VType::kNull) return true;
    dst.emplace();
    return id(*dst, what);
  };
  auto i64 = [&](std::int64_t& dst, const char* what) {
    if (t == VType::kNull) return true;
    if (t != VType::kNumber || !toInt64(s, n, dst)) {
      return typeError(what, t, scalarStart());
    }
    return true;
  };
  auto time = [&](Timestamp& dst, const char* what) {
    if (t == VType::kNull) return true;
    std::int64_t v = 0;
    if (!i64(v, what)) return false;
    dst = fromEpochMillis(v);
    return true;
  };
  auto optTime = [&](std::optional<Timestamp>& dst, const char* what) {
    if (t == VType::kNull) return true;
    Timestamp v{};
    if (!time(v, what)) return false;
    dst = v;
    return true;
  };
  auto boolean = [&](bool& dst, const char* what) {
    if (t == VType::kNull) return true;
    if (t != VType::kBool) return typeError(what, t, scalarStart());
    dst = bool_value_;
    return true;
  };

  switch (c) {
    case Ctx::kRoot: {
      std::size_t at = 0;
      while (at < body_.size() &&
             (body_[at] == ' ' || body_[at] == '\t' || body_[at] == '\n' || body_[at] == '\r')) {
        ++at;
      }
      return fatalError("the body must be a JSON object", at);
    }
    case Ctx::kEnvelope:
      if (f == Field::kObject) {
        if (t != VType::kString) return fatalError("`object` must be a string", scalarStart());
        batch_.object.assign(s, n);
      } else if (f == Field::kEntry) {
        return fatalError("`entry` must be an array", scalarStart());
      }
      return true;
    case Ctx::kEntries:
      beginEntry();
      if (!roomForItem(scalarStart())) return false;
      return entryError("an entry must be an object", scalarStart());
    case Ctx::kEntry:
      switch (f) {
        case Field::kId:
          return id(entry_id_, "`entry.id`");
        case Field::kTime:
          return time(entry_time_, "`entry.time`");
        case Field::kMessaging:
        case Field::kStandby:
          return t == VType::kNull || typeError("`messaging`/`standby`", t, scalarStart());
        default:  // `changes` and unknown entry keys: nothing to keep from a scalar
          return true;
      }
    case Ctx::kEvents: {
      const std::size_t at = scalarStart();
      if (!beginEvent(at)) return false;
      return eventError("an event must be an object", at);
    }
    case Ctx::kEvent:
      switch (f) {
        case Field::kTimestamp:
          return time(ev_->timestamp, "`timestamp`");
        case Field::kNone:
          return true;
        default:
          // `sender: null` and friends: treat as absent; any other scalar is wrong.
          return t == VType::kNull || typeError("an event field", t, scalarStart());
      }
    case Ctx::kParticipant:
      if (f == Field::kId) return id(participant_->id, "`id`");
      if (f == Field::kUserRef) return id(participant_->user_ref, "`user_ref`");
      return true;
    case Ctx::kMessage:
      switch (f) {
        case Field::kMid:
          return str(msg_->mid, "`mid`");
        case Field::kText:
          return str(msg_->text, "`text`");
        case Field::kIsEcho:
          return boolean(echo_.is_echo, "`is_echo`");
        case Field::kAppId:
          echo_.has_app_id = t != VType::kNull;
          return id(echo_.app_id, "`app_id`");
        case Field::kMetadata:
          return str(echo_.metadata, "`metadata`");
        case Field::kIsDeleted:
          return boolean(msg_->is_deleted, "`is_deleted`");
        case Field::kIsUnsupported:
          return boolean(msg_->is_unsupported, "`is_unsupported`");
        case Field::kNone:
          return true;
        default:
          return t == VType::kNull || typeError("a `message` field", t, scalarStart());
      }
    case Ctx::kQuickReply:
      return f != Field::kPayload || optStr(msg_->quick_reply_payload, "`quick_reply.payload`");
    case Ctx::kReplyTo:
      return f != Field::kMid || str(msg_->reply_to_mid, "`reply_to.mid`");
    case Ctx::kAttachments:
      return typeError("an attachment", t, scalarStart());
    case Ctx::kAttachment:
      if (f == Field::kType) return str(msg_->attachments.back().type, "`attachment.type`");
      return true;
    case Ctx::kAttachmentPayload:
      if (f == Field::kUrl) return str(msg_->attachments.back().url, "`payload.url`");
      return true;
    case Ctx::kRead:
      if (f == Field::kWatermark) return optTime(read_->watermark, "`watermark`");
      if (f == Field::kMid) return str(read_->mid, "`mid`");
      return true;
    case Ctx::kDelivery:
      if (f == Field::kWatermark) return optTime(delivery_->watermark, "`watermark`");
      if (f == Field::kMids) return t == VType::kNull || typeError("`mids`", t, scalarStart());
      return true;
    case Ctx::kMids:
      if (t != VType::kString) return typeError("a `mids` item", t, scalarStart());
      firstOfFew(delivery_->mids).emplace_back(s, n);
      return true;
    case Ctx::kPostback:
      switch (f) {
        case Field::kMid:
          return str(postback_->mid, "`mid`");
        case Field::kTitle:
          return str(postback_->title, "`title`");
        case Field::kPayload:
          return optStr(postback_->payload, "`payload`");
        case Field::kReferral:
          return t == VType::kNull || typeError("`referral`", t, scalarStart());
        default:
          return true;
      }
    case Ctx::kReferral:
      switch (f) {
        case Field::kRef:
          return str(referral_->ref, "`ref`");
        case Field::kSource:
          return str(referral_->source, "`source`");
        case Field::kType:
          return str(referral_->type, "`type`");
        case Field::kAdId:
          return id(referral_->ad_id, "`ad_id`");
        case Field::kRefererUri:
          return str(referral_->referer_uri, "`referer_uri`");
        default:
          return true;
      }
    case Ctx::kReaction:
      switch (f) {
        case Field::kMid:
          return str(reaction_->mid, "`mid`");
        case Field::kReaction:
          return str(reaction_->reaction, "`reaction`");
        case Field::kEmoji:
          return str(reaction_->emoji, "`emoji`");
        case Field::kAction:
          if (t != VType::kString) return typeError("`action`", t, scalarStart());
          reaction_->action = reactionAction(std::string_view(s, n));
          return true;
        default:
          return true;
      }
    case Ctx::kOptin:
      switch (f) {
        case Field::kType:
          return str(optin_->type, "`type`");
        case Field::kRef:
          return str(optin_->ref, "`ref`");
        case Field::kUserRef:
          return id(optin_->user_ref, "`user_ref`");
        case Field::kPayload:
          return str(optin_->payload, "`payload`");
        case Field::kTitle:
          return str(optin_->title, "`title`");
        case Field::kNotificationToken:
          return str(optin_->notification_messages_token, "`notification_messages_token`");
        default:
          return true;
      }
    case Ctx::kMessageEdit:
      switch (f) {
        case Field::kMid:
          return str(edit_->mid, "`mid`");
        case Field::kText:
          return str(edit_->text, "`text`");
        case Field::kNumEdit:
          return i64(edit_->edit_count, "`num_edit`");
        default:
          return true;
      }
    case Ctx::kHandover:
      switch (f) {
        case Field::kPreviousOwner:
          return prev_owner_ == nullptr || optId(*prev_owner_, "`previous_owner_app_id`");
        case Field::kNewOwner:
          return new_owner_ == nullptr || optId(*new_owner_, "`new_owner_app_id`");
        case Field::kRequestedOwner:
          return requested_ == nullptr || id(*requested_, "`requested_owner_app_id`");
        case Field::kMetadata:
          return str(*handover_metadata_, "`metadata`");
        default:
          return true;
      }
    case Ctx::kAppRoles:
      return typeError("an `app_roles` value", t, scalarStart());
    case Ctx::kRoles:
      if (t != VType::kString) return typeError("a role", t, scalarStart());
      firstOfFew(roles_->apps.back().roles).emplace_back(s, n);
      return true;
    case Ctx::kChanges:
      ++change_item_;
      return true;
    case Ctx::kChange:
      if (f == Field::kField) return str(batch_.changes.back().field, "`field`");
      if (f == Field::kValue) {
        Change& change = batch_.changes.back();
        const std::size_t from = scalarStart();
        change.value_span = BodySpan{from, scalarEnd(t, n) - from};
        change.value_json.assign(body_.data() + from, change.value_span.size);
      }
      return true;
  }
  return true;
}

Ctx SaxHandler::payloadCtx(Field f) {
  switch (f) {
    case Field::kMessage:
      return Ctx::kMessage;
    case Field::kRead:
      return Ctx::kRead;
    case Field::kDelivery:
      return Ctx::kDelivery;
    case Field::kPostback:
      return Ctx::kPostback;
    case Field::kAppRoles:
      return Ctx::kAppRoles;
    case Field::kReaction:
      return Ctx::kReaction;
    case Field::kReferral:
      return Ctx::kReferral;
    case Field::kOptin:
      return Ctx::kOptin;
    case Field::kMessageEdit:
      return Ctx::kMessageEdit;
    default:
      return Ctx::kHandover;
  }
}

ReactionAction SaxHandler::reactionAction(std::string_view v) {
  if (v == "react") return ReactionAction::kReact;
  if (v == "unreact") return ReactionAction::kUnreact;
  return ReactionAction::kOther;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
