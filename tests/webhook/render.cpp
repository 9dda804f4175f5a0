#include "render.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::test {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string raw(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string party(const Participant& p) {
  if (!p.id.empty()) return p.id;
  if (!p.user_ref.empty()) return "ref:" + p.user_ref;
  return "-";
}

void field(std::string& out, const char* name, const std::string& value) {
  if (value.empty()) return;
  out += std::string(" ") + name + "=" + quote(value);
}

void attachments(std::string& out, const std::vector<Attachment>& atts) {
  for (const auto& a : atts) {
    out += " att=" + quote(a.type + "|" + a.url + "|" + a.payload_json);
  }
}

std::string id(const std::optional<std::string>& v) {
  return v ? *v : "null";
}

}  // namespace

std::string render(const Event& e) {
  std::string out = e.standby ? "standby" : "messaging";
  out += std::string(" ") + toString(e.platform) + " page=" + e.page_id +
         " time=" + std::to_string(epochMillis(e.entry_time)) +
         " ts=" + std::to_string(epochMillis(e.timestamp)) + " from=" + party(e.sender) +
         " to=" + party(e.recipient) + " " + toString(e.kind());
  if (const auto* m = e.get<Message>()) {
    field(out, "mid", m->mid);
    field(out, "text", m->text);
    if (m->quick_reply_payload) out += " quick_reply=" + quote(*m->quick_reply_payload);
    field(out, "reply_to", m->reply_to_mid);
    attachments(out, m->attachments);
    if (m->is_deleted) out += " is_deleted=1";
    if (m->is_unsupported) out += " is_unsupported=1";
  } else if (const auto* ec = e.get<Echo>()) {
    field(out, "mid", ec->mid);
    field(out, "text", ec->text);
    if (ec->app_id) out += " app_id=" + *ec->app_id;
    field(out, "metadata", ec->metadata);
    attachments(out, ec->attachments);
  } else if (const auto* r = e.get<Read>()) {
    if (r->watermark) out += " watermark=" + std::to_string(epochMillis(*r->watermark));
    field(out, "mid", r->mid);
  } else if (const auto* d = e.get<Delivery>()) {
    if (d->watermark) out += " watermark=" + std::to_string(epochMillis(*d->watermark));
    std::string mids;
    for (const auto& mid : d->mids) mids += (mids.empty() ? "" : ",") + mid;
    field(out, "mids", mids);
  } else if (const auto* p = e.get<Postback>()) {
    field(out, "mid", p->mid);
    field(out, "title", p->title);
    if (p->payload) out += " payload=" + quote(*p->payload);
    if (p->referral) {
      out += " referral=" +
             quote(p->referral->ref + "|" + p->referral->source + "|" + p->referral->type);
      field(out, "ad_id", p->referral->ad_id);
    }
  } else if (const auto* pass = e.get<PassThreadControl>()) {
    out += " prev=" + id(pass->previous_owner_app_id) + " new=" + id(pass->new_owner_app_id);
    field(out, "metadata", pass->metadata);
  } else if (const auto* take = e.get<TakeThreadControl>()) {
    out += " prev=" + id(take->previous_owner_app_id) + " new=" + id(take->new_owner_app_id);
    field(out, "metadata", take->metadata);
  } else if (const auto* req = e.get<RequestThreadControl>()) {
    out += " requested=" + req->requested_owner_app_id;
    field(out, "metadata", req->metadata);
  } else if (const auto* roles = e.get<AppRoles>()) {
    for (const auto& app : roles->apps) {
      std::string list;
      for (const auto& role : app.roles) list += (list.empty() ? "" : ",") + role;
      out += " app=" + quote(app.app_id + ":" + list);
    }
  } else if (const auto* re = e.get<Reaction>()) {
    field(out, "mid", re->mid);
    out += std::string(" action=") + toString(re->action);
    field(out, "reaction", re->reaction);
    field(out, "emoji", re->emoji);
  } else if (const auto* ref = e.get<Referral>()) {
    field(out, "ref", ref->ref);
    field(out, "source", ref->source);
    field(out, "type", ref->type);
    field(out, "ad_id", ref->ad_id);
    field(out, "referer_uri", ref->referer_uri);
  } else if (const auto* o = e.get<Optin>()) {
    field(out, "type", o->type);
    field(out, "ref", o->ref);
    field(out, "user_ref", o->user_ref);
    field(out, "payload", o->payload);
    field(out, "title", o->title);
    field(out, "token", o->notification_messages_token);
  } else if (const auto* ed = e.get<MessageEdit>()) {
    field(out, "mid", ed->mid);
    field(out, "text", ed->text);
    out += " num_edit=" + std::to_string(ed->edit_count);
  } else if (const auto* u = e.get<Unknown>()) {
    out += " type=" + u->type + " raw=" + raw(u->raw_json);
  }
  return out;
}

// Where, not the parser's wording: the .expected files are written from the fixture's bytes
// (the offending value's offset), so they do not change when a message is reworded.
std::string render(const EventError& e) {
  return "error entry=" + std::to_string(e.entry_index) +
         " event=" + (e.event_index ? std::to_string(*e.event_index) : std::string("-")) +
         " standby=" + (e.standby ? "1" : "0") + " at=" + std::to_string(e.offset);
}

std::string render(const Change& c) {
  return "change page=" + c.page_id + " field=" + quote(c.field) + " value=" + raw(c.value_json);
}

std::string render(const Batch& b) {
  std::string out;
  for (const auto& e : b.events) out += render(e) + "\n";
  for (const auto& c : b.changes) out += render(c) + "\n";
  for (const auto& e : b.errors) out += render(e) + "\n";
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace webhook::test
HANDOVER_END_NAMESPACE
