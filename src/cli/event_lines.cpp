#include "event_lines.hpp"

#include <string>
#include <vector>

#include "handover/core/export.hpp"
#include "json_line.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {
namespace {

using namespace handover::webhook;

// What a line's `data` holds for an event of a kind.
enum class DataShape {
  kMember,          // the event object's member named by wireKey (Messenger, Instagram)
  kAllButEnvelope,  // every member but sender, recipient, timestamp (unknown Messenger events)
  kWholeObject,     // the object the event was read from (WhatsApp: the item, control_* object)
};

struct LineShape {
  const char* kind;  // the line's `kind`
  DataShape data;
  const char* wire_key;  // for kMember
};

// Listed, not defaulted: -Wswitch names this switch when a kind is added, since a new kind's
// line name and wire key need not be its name (as message/echo and WhatsApp's kinds show).
LineShape lineShape(EventKind kind, Platform platform) {
  switch (kind) {
    case EventKind::kMessage:
      return {"message", DataShape::kMember, "message"};
    case EventKind::kEcho:
      return {"echo", DataShape::kMember, "message"};
    case EventKind::kUnknown:
      if (platform == Platform::kWhatsApp) return {"unknown", DataShape::kWholeObject, nullptr};
      return {"unknown", DataShape::kAllButEnvelope, nullptr};
    case EventKind::kControlPassed:
    case EventKind::kControlTaken:
      return {toString(kind), DataShape::kWholeObject, nullptr};
    case EventKind::kWhatsAppMessage:
      return {"message", DataShape::kWholeObject, nullptr};
    case EventKind::kWhatsAppEcho:
      return {"echo", DataShape::kWholeObject, nullptr};
    case EventKind::kWhatsAppStatus:
      return {"status", DataShape::kWholeObject, nullptr};
    case EventKind::kRead:
    case EventKind::kDelivery:
    case EventKind::kPostback:
    case EventKind::kPassThreadControl:
    case EventKind::kTakeThreadControl:
    case EventKind::kRequestThreadControl:
    case EventKind::kAppRoles:
    case EventKind::kReaction:
    case EventKind::kReferral:
    case EventKind::kOptin:
    case EventKind::kMessageEdit:
      return {toString(kind), DataShape::kMember, toString(kind)};
  }
  return {"unknown", DataShape::kAllButEnvelope, nullptr};  // not reached: every kind is listed
}

bool isEnvelopeKey(std::string_view k) {
  return k == "sender" || k == "recipient" || k == "timestamp";
}

// Ids are exact decimal strings in the contract, however the wire spelled them.
bool namesAnId(std::string_view key) {
  constexpr std::string_view kSuffix = "_id";
  return key == "id" ||
         (key.size() > kSuffix.size() && key.substr(key.size() - kSuffix.size()) == kSuffix);
}

bool isInteger(const char* s, std::size_t n) {
  if (n == 0) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// SAX filter over one event object: copies the chosen members of its top level into `out`,
// numbers digit for digit, integer ids as strings.
class WireData : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, WireData> {
 public:
  WireData(JsonLine::Writer& out, DataShape shape, const char* wire_key)
      : out_(out), shape_(shape), wire_key_(wire_key) {}

  bool Null() {
    return scalar([&] { return out_.Null(); });
  }
  bool Bool(bool b) {
    return scalar([&] { return out_.Bool(b); });
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return scalar([&] {
      if (!frames_.empty() && namesAnId(frames_.back().key) && isInteger(s, n)) {
        return out_.String(s, n);
      }
      return out_.RawValue(s, n, rapidjson::kNumberType);
    });
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return scalar([&] { return out_.String(s, n); });
  }
  bool StartObject() { return open(false); }
  bool StartArray() { return open(true); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    frames_.back().key.assign(s, n);
    if (frames_.size() == 1 && shape_ != DataShape::kWholeObject) {  // a member of the event
      const std::string_view k(s, n);
      selected_ = shape_ == DataShape::kMember ? k == wire_key_ : !isEnvelopeKey(k);
      if (selected_ && shape_ == DataShape::kAllButEnvelope) return out_.Key(s, n);
      return true;
    }
    return !emitting() || out_.Key(s, n);
  }
  bool EndObject(rapidjson::SizeType) { return close(false); }
  bool EndArray(rapidjson::SizeType) { return close(true); }

 private:
  struct Frame {
    std::string key;  // an object's current key; an array's, the key it stands under
  };

  bool whole() const { return shape_ == DataShape::kWholeObject; }
  bool emitting() const { return whole() || (frames_.size() >= 2 && selected_); }

  template <typename F>
  bool scalar(F write) {
    if (frames_.size() == 1 && !whole()) return !selected_ || write();
    return !emitting() || write();
  }
  bool open(bool array) {
    const bool write = whole() || (!frames_.empty() && selected_);
    std::string inherited = array && !frames_.empty() ? frames_.back().key : std::string();
    frames_.push_back(Frame{std::move(inherited)});
    if (!write) return true;
    return array ? out_.StartArray() : out_.StartObject();
  }
  bool close(bool array) {
    frames_.pop_back();
    if (!whole() && (frames_.empty() || !selected_)) return true;
    return array ? out_.EndArray(0) : out_.EndObject(0);
  }

  JsonLine::Writer& out_;
  DataShape shape_;
  const char* wire_key_;
  std::vector<Frame> frames_;
  bool selected_ = false;
};

std::optional<std::string> participantId(const Participant& p) {
  if (!p.id.empty()) return p.id;
  if (!p.user_ref.empty()) return p.user_ref;
  return std::nullopt;
}

void writeString(JsonLine::Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void attachments(JsonLine& line, const std::vector<Attachment>& list) {
  if (list.empty()) return;
  line.key("attachments");
  auto& w = line.writer();
  w.StartArray();
  for (const auto& a : list) {
    w.StartObject();
    w.Key("type");
    writeString(w, a.type);
    if (!a.url.empty()) {
      w.Key("url");
      writeString(w, a.url);
    }
    if (!a.payload_json.empty()) {
      w.Key("payload");
      line.rawValue(a.payload_json);
    }
    w.EndObject();
  }
  w.EndArray();
}

void nonEmpty(JsonLine& line, std::string_view key, const std::string& value) {
  if (!value.empty()) line.str(key, value);
}

void referralFields(JsonLine& line, const Referral& r) {
  line.str("ref", r.ref).str("source", r.source).str("type", r.type);
  nonEmpty(line, "ad_id", r.ad_id);
  nonEmpty(line, "referer_uri", r.referer_uri);
}

void handoverFields(JsonLine& line, const WhatsAppHandover& h) {
  const auto role = [](const std::optional<wa::RoleName>& r) -> std::optional<std::string> {
    if (!r) return std::nullopt;
    return r->wire();
  };
  line.optStr("previous_owner_role", role(h.previous_owner_role))
      .optStr("new_owner_role", role(h.new_owner_role))
      .optStr("previous_owner_app_id", h.previous_owner_app_id)
      .optStr("previous_owner_app_role", h.previous_owner_app_role)
      .optStr("reason", h.reason);
  nonEmpty(line, "metadata", h.metadata);
}

void flatPayload(JsonLine& line, const Event& e) {
  if (const auto* m = e.get<Message>()) {
    line.str("mid", m->mid).str("text", m->text);
    if (m->quick_reply_payload) line.str("quick_reply_payload", *m->quick_reply_payload);
    nonEmpty(line, "reply_to_mid", m->reply_to_mid);
    attachments(line, m->attachments);
    if (m->is_deleted) line.boolean("is_deleted", true);
    if (m->is_unsupported) line.boolean("is_unsupported", true);
  } else if (const auto* ec = e.get<Echo>()) {
    line.str("mid", ec->mid).str("text", ec->text).optStr("app_id", ec->app_id);
    nonEmpty(line, "metadata", ec->metadata);
    attachments(line, ec->attachments);
  } else if (const auto* r = e.get<Read>()) {
    line.optInteger("watermark", r->watermark);
    nonEmpty(line, "mid", r->mid);
  } else if (const auto* d = e.get<Delivery>()) {
    line.key("mids");
    line.writer().StartArray();
    for (const auto& mid : d->mids) writeString(line.writer(), mid);
    line.writer().EndArray();
    line.optInteger("watermark", d->watermark);
  } else if (const auto* p = e.get<Postback>()) {
    line.str("mid", p->mid).str("title", p->title).optStr("payload", p->payload);
    if (p->referral) {
      line.key("referral");
      line.writer().StartObject();
      referralFields(line, *p->referral);
      line.writer().EndObject();
    }
  } else if (const auto* pass = e.get<PassThreadControl>()) {
    line.optStr("previous_owner_app_id", pass->previous_owner_app_id)
        .optStr("new_owner_app_id", pass->new_owner_app_id)
        .str("metadata", pass->metadata);
  } else if (const auto* take = e.get<TakeThreadControl>()) {
    line.optStr("previous_owner_app_id", take->previous_owner_app_id)
        .optStr("new_owner_app_id", take->new_owner_app_id)
        .str("metadata", take->metadata);
  } else if (const auto* req = e.get<RequestThreadControl>()) {
    line.str("requested_owner_app_id", req->requested_owner_app_id).str("metadata", req->metadata);
  } else if (const auto* roles = e.get<AppRoles>()) {
    line.key("app_roles");
    auto& w = line.writer();
    w.StartObject();
    for (const auto& a : roles->apps) {
      writeString(w, a.app_id);  // as a key
      w.StartArray();
      for (const auto& role : a.roles) writeString(w, role);
      w.EndArray();
    }
    w.EndObject();
  } else if (const auto* re = e.get<Reaction>()) {
    line.str("mid", re->mid).str("action", toString(re->action)).str("reaction", re->reaction);
    nonEmpty(line, "emoji", re->emoji);
  } else if (const auto* ref = e.get<Referral>()) {
    referralFields(line, *ref);
  } else if (const auto* o = e.get<Optin>()) {
    nonEmpty(line, "type", o->type);
    nonEmpty(line, "ref", o->ref);
    nonEmpty(line, "user_ref", o->user_ref);
    nonEmpty(line, "payload", o->payload);
    nonEmpty(line, "title", o->title);
  } else if (const auto* ed = e.get<MessageEdit>()) {
    line.str("mid", ed->mid).str("text", ed->text).integer("num_edit", ed->edit_count);
  } else if (const auto* h = e.get<ControlPassed>()) {
    handoverFields(line, *h);
  } else if (const auto* t = e.get<ControlTaken>()) {
    handoverFields(line, *t);
  } else if (const auto* wm = e.get<WhatsAppMessage>()) {
    line.str("id", wm->id).str("type", wm->type);
    nonEmpty(line, "text", wm->text);
  } else if (const auto* we = e.get<WhatsAppEcho>()) {
    line.str("id", we->id).str("type", we->type);
    nonEmpty(line, "text", we->text);
  } else if (const auto* ws = e.get<WhatsAppStatus>()) {
    line.str("id", ws->id).str("status", ws->status);
  } else if (const auto* u = e.get<Unknown>()) {
    line.raw("raw", u->raw_json);
  }
}

}  // namespace

std::string contractLine(const Event& e, std::string_view body) {
  const LineShape shape = lineShape(e.kind(), e.platform);
  JsonLine line;
  line.str("kind", shape.kind)
      .boolean("standby", e.standby)
      .str("platform", toString(e.platform))
      .str("page_id", e.page_id)
      .optStr("sender_id", participantId(e.sender))
      .optStr("recipient_id", participantId(e.recipient))
      .integer("timestamp", e.timestamp)
      .key("data");
  auto& w = line.writer();
  // Unknown events: the members other than the envelope, as an object of their own.
  if (shape.data == DataShape::kAllButEnvelope) w.StartObject();
  const std::string_view wire = body.substr(e.span.offset, e.span.size);
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(wire.data(), wire.size());
  WireData filter(w, shape.data, shape.wire_key);
  // The body was parsed already; this reads a slice of it again, so it cannot fail.
  reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(ms, filter);
  if (shape.data == DataShape::kAllButEnvelope) w.EndObject();
  return line.finish();
}

std::string flatLine(const Event& e) {
  JsonLine line;
  line.str("kind", toString(e.kind()))
      .str("platform", toString(e.platform))
      .str("page", e.page_id)
      .str("user", e.userId())
      .boolean("standby", e.standby)
      .integer("timestamp", e.timestamp)
      .integer("entry_time", e.entry_time)
      .optStr("sender", participantId(e.sender))
      .optStr("recipient", participantId(e.recipient));
  flatPayload(line, e);
  return line.finish();
}

std::string flatLine(const Change& c) {
  JsonLine line;
  line.str("kind", "change").str("page", c.page_id).str("field", c.field);
  if (!c.value_json.empty()) line.raw("value", c.value_json);
  return line.finish();
}

}  // namespace cli
HANDOVER_END_NAMESPACE
