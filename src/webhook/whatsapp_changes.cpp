#include "whatsapp_changes.hpp"

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <utility>

#include "json_tree.hpp"
#include "parse_error.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {
namespace {

// A timestamp is 1 to 12 ASCII digits of seconds, as a string or a JSON integer; else 0.
Timestamp fromSeconds(const JsonNode* n) {
  if (n == nullptr || !(n->isString() || n->type == JsonNode::Type::kNumber)) return {};
  const std::string& t = n->text;
  if (t.empty() || t.size() > 12) return {};
  std::int64_t seconds = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return {};
    seconds = seconds * 10 + (c - '0');
  }
  return fromEpochMillis(seconds * 1000);
}

// Live `metadata` is often JSON text such as {"reason": "MARKETING_MESSAGE"} (whatsapp.md §4).
std::optional<std::string> reasonIn(const std::string& metadata) {
  if (metadata.empty() || metadata.front() != '{') return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(metadata.data(), metadata.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  const auto it = doc.FindMember("reason");
  if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

class ValueReader {
 public:
  ValueReader(Batch& batch, const Change& change, const JsonTree& tree, std::size_t max_items)
      : batch_(batch), change_(change), tree_(tree), max_items_(max_items) {}

  std::optional<Error> read() {
    const JsonNode& value = tree_.root();
    const std::string& field = change_.field;
    if (!value.isObject()) {
      return eventError(value, std::nullopt, false, where() + ".value",
                        "the `value` of a `" + field + "` change is not an object");
    }
    if (field == "messaging_handovers") return handover(value);
    if (field == "messages" || field == "standby") return items(value, value, false);
    Event& e = begin(value, false, pageId(value, false));
    e.payload = Unknown{field, tree_.raw(value)};
    return room();
  }

 private:
  // The business number: `metadata.phone_number_id` (messages, standby), else
  // `recipient.phone_number_id` (handovers: `recipient_first`), else the entry's id.
  std::string pageId(const JsonNode& value, bool recipient_first) const {
    const char* order[] = {"metadata", "recipient"};
    if (recipient_first) std::swap(order[0], order[1]);
    for (const char* holder : order) {
      std::string id = firstId(tree_.member(value, holder), {"phone_number_id"});
      if (!id.empty()) return id;
    }
    return change_.page_id;
  }

  Event& begin(const JsonNode& object, bool standby, std::string page_id) {
    Event& e = batch_.events.emplace_back();
    e.platform = Platform::kWhatsApp;
    e.page_id = std::move(page_id);
    e.standby = standby;
    e.span = BodySpan{change_.value_span.offset + object.begin, object.end - object.begin};
    return e;
  }

  // The first of `keys` that `object` has as a non-empty id (a string, or an integer's
  // digits); empty when none has.
  std::string firstId(const JsonNode* object, std::initializer_list<const char*> keys) const {
    if (object == nullptr) return {};
    for (const char* k : keys) {
      auto id = tree_.id(*object, k);
      if (id && !id->empty()) return *id;
    }
    return {};
  }

  std::optional<Error> handover(const JsonNode& value) {
    const std::string page = pageId(value, true);
    const std::string* type = tree_.string(value, "type");
    const JsonNode* control = type != nullptr ? tree_.member(value, *type) : nullptr;
    const bool known = type != nullptr && (*type == "control_passed" || *type == "control_taken");
    const JsonNode& data = control != nullptr && control->isObject() ? *control : value;
    Event& e = begin(data, false, page);
    e.sender.id = firstId(tree_.member(value, "sender"), {"phone_number", "wa_id", "user_id"});
    e.recipient.id = page;
    e.timestamp = fromSeconds(tree_.member(value, "timestamp"));
    if (known && &data == control) {
      WhatsAppHandover h = handoverFields(*control);
      if (*type == "control_passed") {
        e.payload = ControlPassed{std::move(h)};
      } else {
        e.payload = ControlTaken{std::move(h)};
      }
    } else {
      e.payload = Unknown{type != nullptr ? *type : std::string(), tree_.raw(data)};
    }
    return room();
  }

  WhatsAppHandover handoverFields(const JsonNode& control) const {
    WhatsAppHandover h;
    const auto role = [&](const char* key) -> std::optional<wa::RoleName> {
      const std::string* s = tree_.string(control, key);
      if (s == nullptr) return std::nullopt;
      return wa::RoleName::fromWire(*s);
    };
    h.previous_owner_role = role("previous_owner_role");
    h.new_owner_role = role("new_owner_role");
    h.previous_owner_app_id = tree_.id(control, "previous_owner_app_id");
    if (const std::string* s = tree_.string(control, "previous_owner_app_role")) {
      h.previous_owner_app_role = *s;
    }
    if (const std::string* s = tree_.string(control, "metadata")) h.metadata = *s;
    h.reason = reasonIn(h.metadata);
    if (const JsonNode* context = tree_.member(control, "conversation_context")) {
      h.conversation_context_json = tree_.raw(*context);
    }
    h.raw_json = tree_.raw(control);
    return h;
  }

  // Every array of `holder`, in body order, item by item; `standby` for those under
  // `value.standby`, which is read where it appears.
  std::optional<Error> items(const JsonNode& value, const JsonNode& holder, bool standby) {
    const std::string page = pageId(value, false);
    for (std::size_t i : holder.children) {
      const JsonNode& member = tree_.node(i);
      if (!standby && member.key == "standby" && member.isObject()) {
        if (auto e = items(value, member, true)) return e;
        continue;
      }
      if (!member.isArray() || member.key == "contacts") continue;  // contacts print no line
      std::size_t index = 0;
      for (std::size_t j : member.children) {
        const JsonNode& item = tree_.node(j);
        if (!item.isObject()) {
          const std::string path = where() + (standby ? ".value.standby." : ".value.") +
                                   member.key + "[" + std::to_string(index) + "]";
          if (auto e = eventError(item, index, standby, path,
                                  "an item of `" + member.key + "` is not an object")) {
            return e;
          }
        } else {
          readItem(member.key, item, standby, page);
          if (auto e = room()) return e;
        }
        ++index;
      }
    }
    return std::nullopt;
  }

  void readItem(const std::string& array, const JsonNode& item, bool standby,
                const std::string& page) {
    Event& e = begin(item, standby, page);
    e.timestamp = fromSeconds(tree_.member(item, "timestamp"));
    if (array == "messages") {
      WhatsAppMessage m;
      m.id = firstId(&item, {"id"});
      if (const std::string* t = tree_.string(item, "type")) m.type = *t;
      if (m.type == "text") m.text = textBody(&item);
      if (const JsonNode* context = tree_.member(item, "conversation_context")) {
        m.conversation_context_json = tree_.raw(*context);
      }
      m.raw_json = tree_.raw(item);
      e.sender.id = firstId(&item, {"from", "from_user_id", "user_id"});
      e.recipient.id = page;
      e.payload = std::move(m);
    } else if (array == "message_echoes") {
      WhatsAppEcho echo;
      echo.id = firstId(&item, {"id"});
      const JsonNode* message = tree_.member(item, "message");
      if (message != nullptr) {
        if (const std::string* t = tree_.string(*message, "type")) echo.type = *t;
        if (echo.type == "text") echo.text = textBody(message);
      }
      echo.raw_json = tree_.raw(item);
      e.sender.id = page;
      e.recipient.id = firstId(message, {"to", "recipient"});
      e.payload = std::move(echo);
    } else if (array == "statuses") {
      WhatsAppStatus st;
      st.id = firstId(&item, {"id"});
      if (const std::string* s = tree_.string(item, "status")) st.status = *s;
      st.raw_json = tree_.raw(item);
      e.sender.id = page;
      e.recipient.id = firstId(&item, {"recipient_id", "recipient_user_id"});
      e.payload = std::move(st);
    } else {
      e.payload = Unknown{array, tree_.raw(item)};
    }
  }

  std::string textBody(const JsonNode* holder) const {
    const JsonNode* text = holder != nullptr ? tree_.member(*holder, "text") : nullptr;
    const std::string* body = text != nullptr ? tree_.string(*text, "body") : nullptr;
    return body != nullptr ? *body : std::string();
  }

  std::string where() const {
    return "entry[" + std::to_string(change_.entry_index) + "].changes[" +
           std::to_string(change_.change_index) + "]";
  }

  std::optional<Error> eventError(const JsonNode& at, std::optional<std::size_t> index,
                                  bool standby, std::string path, std::string message) {
    EventError err;
    err.path = std::move(path);
    err.entry_index = change_.entry_index;
    err.event_index = index;
    err.standby = standby;
    err.offset = change_.value_span.offset + at.begin;
    err.message = std::move(message);
    batch_.errors.push_back(std::move(err));
    return room();
  }

  std::optional<Error> room() const {
    if (batch_.events.size() + batch_.errors.size() <= max_items_) return std::nullopt;
    return bodyError("more than " + std::to_string(max_items_) + " events in one body",
                     change_.value_span.offset);
  }

  Batch& batch_;
  const Change& change_;
  const JsonTree& tree_;
  std::size_t max_items_;
};

}  // namespace

std::optional<Error> readWhatsAppChanges(Batch& batch, std::size_t max_items) {
  std::vector<Change> changes = std::move(batch.changes);
  batch.changes.clear();
  JsonTree tree;
  for (const Change& change : changes) {
    if (change.value_json.empty()) continue;  // a change without a value carries no event
    if (!tree.read(change.value_json)) {
      return bodyError(tree.error, change.value_span.offset + tree.error_offset);
    }
    if (auto e = ValueReader(batch, change, tree, max_items).read()) return e;
  }
  return std::nullopt;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
