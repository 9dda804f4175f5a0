// Part of the SAX handler (sax_handler.hpp): containers, entering and leaving objects and arrays.

#include "sax_handler.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

// The unmodelled keys of the object that just ended (`from`..end of other_keys_) are
// distinct: pairwise for the few an object has, sorted when a body sends many. The error
// names the first repeated key in document order.
bool SaxHandler::distinctKeys(std::size_t from) {
  const std::size_t count = other_keys_.size() - from;
  if (count < 2) return true;
  const char* first_repeat = nullptr;
  std::size_t repeat_size = 0;
  auto note = [&](const KeyRef& k) {
    if (first_repeat == nullptr || k.s < first_repeat) {
      first_repeat = k.s;
      repeat_size = k.n;
    }
  };
  if (count <= 16) {
    for (std::size_t i = from + 1; i < other_keys_.size(); ++i) {
      for (std::size_t j = from; j < i; ++j) {
        if (other_keys_[i].view() == other_keys_[j].view()) note(other_keys_[i]);
      }
    }
  } else {
    std::vector<KeyRef> sorted(other_keys_.begin() + static_cast<std::ptrdiff_t>(from),
                               other_keys_.end());
    std::sort(sorted.begin(), sorted.end(), [](const KeyRef& a, const KeyRef& b) {
      return a.view() != b.view() ? a.view() < b.view() : a.s < b.s;
    });
    for (std::size_t i = 1; i < sorted.size(); ++i) {
      if (sorted[i].view() == sorted[i - 1].view()) note(sorted[i]);
    }
  }
  return first_repeat == nullptr || duplicateKey(first_repeat, repeat_size);
}

bool SaxHandler::start(VType t) {
  if (depth_ >= max_depth_) {
    fatal_ = true;
    fatal_message_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
    fatal_offset_ = bracketAt();
    return false;
  }
  ++depth_;
  if (skip_ > 0) {
    ++skip_;
    return true;
  }
  const Field f = pending_;
  pending_ = Field::kNone;
  const std::size_t at = bracketAt();  // the '{' or '['
  const Ctx parent = ctx_[depth_ - 1];
  auto enter = [&](Ctx c) {
    if (depth_ >= kFrames) return fail("nesting beyond the webhook schema", at);
    ctx_[depth_] = c;
    seen_[depth_] = 0;
    other_begin_[depth_] = other_keys_.size();
    return true;
  };
  auto skipThis = [&] {
    skip_ = 1;
    return true;
  };
  auto wrongType = [&](const std::string& what) { return typeError(what, t, at); };

  switch (parent) {
    case Ctx::kRoot:
      if (t != VType::kObject) return fatalError("the body must be a JSON object", at);
      return enter(Ctx::kEnvelope);
    case Ctx::kEnvelope:
      if (f == Field::kEntry) {
        if (t != VType::kArray) return fatalError("`entry` must be an array", at);
        saw_entry_ = true;
        return enter(Ctx::kEntries);
      }
      if (f == Field::kObject) return fatalError("`object` must be a string", at);
      return skipThis();
    case Ctx::kEntries:
      beginEntry();
      if (t != VType::kObject) {
        if (!roomForItem(at)) return false;
        entryError("an entry must be an object", at);
        return skipThis();
      }
      entry_depth_ = depth_;
      entry_open_ = true;
      return enter(Ctx::kEntry);
    case Ctx::kEntry:
      switch (f) {
        case Field::kMessaging:
        case Field::kStandby:
          if (t != VType::kArray) return wrongType("`messaging`/`standby`");
          standby_ = f == Field::kStandby;
          event_index_ = 0;
          return enter(Ctx::kEvents);
        case Field::kChanges:
          if (t != VType::kArray) return wrongType("`changes`");
          change_item_ = 0;
          return enter(Ctx::kChanges);
        case Field::kId:
          return wrongType("`entry.id`");
        case Field::kTime:
          return wrongType("`entry.time`");
        default:
          return skipThis();
      }
    case Ctx::kEvents:
      if (!beginEvent(at)) return false;
      if (t != VType::kObject) {
        eventError("an event must be an object", at);
        return skipThis();
      }
      event_depth_ = depth_;
      event_open_ = true;
      return enter(Ctx::kEvent);
    case Ctx::kEvent:
      switch (f) {
        case Field::kSender:
        case Field::kRecipient:
          if (t != VType::kObject) return wrongType(fieldName(f));
          if (f == Field::kSender) has_sender_ = true;
          participant_ = f == Field::kSender ? &ev_->sender : &ev_->recipient;
          return enter(Ctx::kParticipant);
        case Field::kMessage:
        case Field::kRead:
        case Field::kDelivery:
        case Field::kPostback:
        case Field::kPass:
        case Field::kTake:
        case Field::kRequest:
        case Field::kAppRoles:
        case Field::kReaction:
        case Field::kReferral:
        case Field::kOptin:
        case Field::kMessageEdit:
          if (payload_ != Field::kNone) {
            // Which one counts would depend on the reader: refuse the event instead.
            return fail("an event carries both " + fieldName(payload_) + " and " + fieldName(f),
                        at);
          }
          if (t != VType::kObject) return wrongType(fieldName(f));
          payload_ = f;
          preparePayload(f);
          return enter(payloadCtx(f));
        case Field::kTimestamp:
          return wrongType("`timestamp`");
        default:
          return skipThis();
      }
    case Ctx::kMessage:
      switch (f) {
        case Field::kQuickReply:
          if (t != VType::kObject) return wrongType("`quick_reply`");
          return enter(Ctx::kQuickReply);
        case Field::kReplyTo:
          if (t != VType::kObject) return wrongType("`reply_to`");
          return enter(Ctx::kReplyTo);
        case Field::kAttachments:
          if (t != VType::kArray) return wrongType("`attachments`");
          return enter(Ctx::kAttachments);
        case Field::kNone:
          return skipThis();
        default:
          return wrongType(fieldName(f));
      }
    case Ctx::kAttachments:
      if (t != VType::kObject) return wrongType("an attachment");
      firstOfFew(msg_->attachments).emplace_back();
      return enter(Ctx::kAttachment);
    case Ctx::kAttachment:
      if (f == Field::kPayload) {
        if (t != VType::kObject) return wrongType("`attachment.payload`");
        raw_start_ = at;
        return enter(Ctx::kAttachmentPayload);
      }
      if (f == Field::kType) return wrongType("`attachment.type`");
      return skipThis();
    case Ctx::kDelivery:
      if (f == Field::kMids) {
        if (t != VType::kArray) return wrongType("`mids`");
        return enter(Ctx::kMids);
      }
      if (f == Field::kWatermark) return wrongType("`watermark`");
      return skipThis();
    case Ctx::kPostback:
      if (f == Field::kReferral) {
        if (t != VType::kObject) return wrongType("`referral`");
        referral_ = &postback_->referral.emplace();
        return enter(Ctx::kReferral);
      }
      if (f != Field::kNone) return wrongType(fieldName(f));
      return skipThis();
    case Ctx::kAppRoles:
      if (t != VType::kArray) return wrongType("an `app_roles` value");
      firstOfFew(roles_->apps).push_back(AppRole{std::move(role_app_), {}});
      role_app_.clear();
      return enter(Ctx::kRoles);
    case Ctx::kChanges: {
      const std::size_t index = change_item_++;
      if (t != VType::kObject) return skipThis();  // carries no field or value: nothing to lose
      if (!roomForItem(at)) return false;
      Change& change = batch_.changes.emplace_back();
      change.entry_index = entry_index_;
      change.change_index = index;
      return enter(Ctx::kChange);
    }
    case Ctx::kChange:
      if (f == Field::kValue) {
        raw_start_ = at;
        capture_ = &batch_.changes.back();
      }
      return skipThis();
    case Ctx::kMids:
    case Ctx::kRoles:
      return wrongType("an array item");
    default:
      if (f != Field::kNone) return wrongType(fieldName(f));
      return skipThis();
  }
}

bool SaxHandler::end() {
  const std::size_t at = bracketAt();  // the '}' or ']'
  --depth_;
  if (skip_ > 0) {
    if (--skip_ == 0 && capture_ != nullptr) {
      capture_->value_span = BodySpan{raw_start_, at + 1 - raw_start_};
      capture_->value_json.assign(body_.data() + raw_start_, capture_->value_span.size);
      capture_ = nullptr;
    }
    return true;
  }
  pending_ = Field::kNone;
  const std::size_t keys_from = other_begin_[depth_ + 1];
  if (!distinctKeys(keys_from)) return false;
  other_keys_.resize(keys_from);
  switch (ctx_[depth_ + 1]) {
    case Ctx::kEntry:
      finishEntry();
      break;
    case Ctx::kEvent:
      finishEvent(at);
      break;
    case Ctx::kAttachmentPayload:
      msg_->attachments.back().payload_json.assign(body_.data() + raw_start_, at + 1 - raw_start_);
      break;
    default:
      break;
  }
  return true;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
