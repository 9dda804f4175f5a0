// Part of the SAX handler (sax_handler.hpp): entries and events, their payloads, and errors.

#include "sax_handler.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

void SaxHandler::beginEntry() {
  entry_first_event_ = events_;
  entry_first_change_ = batch_.changes.size();
  entry_id_.clear();
  entry_time_ = Timestamp{};
}

void SaxHandler::finishEntry() {
  for (std::size_t i = entry_first_event_; keep_events_ && i < batch_.events.size(); ++i) {
    batch_.events[i].page_id = entry_id_;
    batch_.events[i].entry_time = entry_time_;
  }
  for (std::size_t i = entry_first_change_; i < batch_.changes.size(); ++i) {
    batch_.changes[i].page_id = entry_id_;
  }
  ++entry_index_;
  entry_open_ = false;
}

// The event is built in place at the end of `batch_.events`: no copy, no move.
bool SaxHandler::beginEvent(std::size_t at) {
  if (!roomForItem(at)) return false;
  if (keep_events_ || batch_.events.empty()) {
    ev_ = &batch_.events.emplace_back();
  } else {
    ev_ = &batch_.events.back();
    *ev_ = Event{};
  }
  ++events_;
  ev_->standby = standby_;
  event_start_ = at;
  unknown_key_start_ = 0;
  payload_ = Field::kNone;
  has_sender_ = false;
  return true;
}

void SaxHandler::preparePayload(Field f) {
  EventPayload& p = ev_->payload;
  switch (f) {
    case Field::kMessage:
      // A new event already holds an empty Message (the variant's first alternative).
      msg_ = std::get_if<Message>(&p);
      if (msg_ == nullptr) msg_ = &p.emplace<Message>();
      echo_.is_echo = echo_.has_app_id = false;
      echo_.app_id.clear();
      echo_.metadata.clear();
      break;
    case Field::kRead:
      read_ = &p.emplace<Read>();
      break;
    case Field::kDelivery:
      delivery_ = &p.emplace<Delivery>();
      break;
    case Field::kPostback:
      postback_ = &p.emplace<Postback>();
      break;
    case Field::kAppRoles:
      roles_ = &p.emplace<AppRoles>();
      break;
    case Field::kReaction:
      reaction_ = &p.emplace<Reaction>();
      break;
    case Field::kReferral:
      referral_ = &p.emplace<Referral>();
      break;
    case Field::kOptin:
      optin_ = &p.emplace<Optin>();
      break;
    case Field::kMessageEdit:
      edit_ = &p.emplace<MessageEdit>();
      break;
    case Field::kPass: {
      auto& pass = p.emplace<PassThreadControl>();
      setHandover(&pass.previous_owner_app_id, &pass.new_owner_app_id, nullptr, &pass.metadata);
      break;
    }
    case Field::kTake: {
      auto& take = p.emplace<TakeThreadControl>();
      setHandover(&take.previous_owner_app_id, &take.new_owner_app_id, nullptr, &take.metadata);
      break;
    }
    case Field::kRequest: {
      auto& req = p.emplace<RequestThreadControl>();
      setHandover(nullptr, nullptr, &req.requested_owner_app_id, &req.metadata);
      break;
    }
    default:
      break;  // not a payload key: only the payload keys above reach here (sax_structure.cpp)
  }
}

// Kinds Meta always sends with a sender: without one the event has no conversation.
bool SaxHandler::needsSender(Field payload) {
  return payload != Field::kNone && payload != Field::kAppRoles && payload != Field::kOptin;
}

void SaxHandler::finishEvent(std::size_t at) {
  ev_->span = BodySpan{event_start_, at + 1 - event_start_};
  if (has_sender_ && ev_->sender.empty()) {
    eventError("`sender` has neither `id` nor `user_ref`", event_start_);
    return;
  }
  if (!has_sender_ && needsSender(payload_)) {
    eventError("the event has no `sender`", event_start_);
    return;
  }
  if (payload_ == Field::kNone) {
    const std::size_t key_end = unknown_key_start_ == 0 ? 0 : stringEnd(unknown_key_start_);
    ev_->payload.emplace<Unknown>(
        Unknown{std::string(body_.data() + unknown_key_start_, key_end - unknown_key_start_),
                std::string(body_.data() + event_start_, at + 1 - event_start_)});
  } else if (payload_ == Field::kMessage && echo_.is_echo) {
    Echo e;
    e.mid = std::move(msg_->mid);
    e.text = std::move(msg_->text);
    if (echo_.has_app_id) e.app_id = std::move(echo_.app_id);
    e.metadata = std::move(echo_.metadata);
    e.attachments = std::move(msg_->attachments);
    ev_->payload = std::move(e);
  }
  ++event_index_;
  event_open_ = false;
}

bool SaxHandler::typeError(const std::string& what, VType got, std::size_t at) {
  std::string msg = what + " has the wrong JSON type (" + typeName(got) + ")";
  return fail(std::move(msg), at);
}

// A problem inside an event spoils that event; inside an entry (outside events), the entry;
// in the envelope, the body.
bool SaxHandler::fail(std::string message, std::size_t at) {
  if (event_open_) return eventError(std::move(message), at, depth_ - event_depth_ + 1);
  if (entry_open_) return entryError(std::move(message), at, depth_ - entry_depth_ + 1);
  return fatalError(std::move(message), at);
}

// Records the error and skips `levels` open containers (the rest of the event).
bool SaxHandler::eventError(std::string message, std::size_t at, std::size_t levels) {
  if (keep_events_) batch_.events.pop_back();  // every eventError follows a beginEvent
  --events_;
  EventError e;
  e.entry_index = entry_index_;
  e.event_index = event_index_;
  e.standby = standby_;
  e.offset = at;
  e.message = std::move(message);
  batch_.errors.push_back(std::move(e));
  ++event_index_;
  event_open_ = false;
  skip_ = levels;
  return true;
}

bool SaxHandler::entryError(std::string message, std::size_t at, std::size_t levels) {
  const std::size_t dropped = events_ - entry_first_event_;
  if (keep_events_) batch_.events.resize(entry_first_event_);
  events_ = entry_first_event_;
  batch_.changes.resize(entry_first_change_);
  EventError e;
  e.entry_index = entry_index_;
  e.offset = at;
  e.message = std::move(message) + "; the entry is skipped";
  if (dropped > 0) e.message += " (" + std::to_string(dropped) + " events already read)";
  batch_.errors.push_back(std::move(e));
  ++entry_index_;
  entry_open_ = false;
  skip_ = levels;
  return true;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
