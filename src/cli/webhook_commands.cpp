// Offline webhook tools: `parse` (a body to one normalized JSON line per event) and `verify`
// (a body against a signature header value). Both read a file or stdin, byte for byte.

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/signature.hpp"
#include "json_line.hpp"

namespace handover::cli {
namespace {

using namespace handover::webhook;

// The body: the named file, or stdin for "-" or no name. nullopt when unreadable.
std::optional<std::string> readInput(const Args& args, std::size_t file_index) {
  const bool from_stdin =
      args.positionals.size() <= file_index || args.positionals[file_index] == "-";
  if (from_stdin) {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(args.positionals[file_index], std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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

std::optional<std::string> participant(const Participant& p) {
  if (!p.id.empty()) return p.id;
  if (!p.user_ref.empty()) return p.user_ref;
  return std::nullopt;
}

void payloadFields(JsonLine& line, const Event& e) {
  if (const auto* m = e.get<Message>()) {
    line.str("mid", m->mid).str("text", m->text);
    if (m->quick_reply_payload) line.str("quick_reply_payload", *m->quick_reply_payload);
    if (!m->reply_to_mid.empty()) line.str("reply_to_mid", m->reply_to_mid);
    attachments(line, m->attachments);
    if (m->is_deleted) line.boolean("is_deleted", true);
    if (m->is_unsupported) line.boolean("is_unsupported", true);
  } else if (const auto* ec = e.get<Echo>()) {
    line.str("mid", ec->mid).str("text", ec->text).optStr("app_id", ec->app_id);
    if (!ec->metadata.empty()) line.str("metadata", ec->metadata);
    attachments(line, ec->attachments);
  } else if (const auto* r = e.get<Read>()) {
    line.optInteger("watermark", r->watermark);
    if (!r->mid.empty()) line.str("mid", r->mid);
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
      auto& w = line.writer();
      w.StartObject();
      w.Key("ref");
      writeString(w, p->referral->ref);
      w.Key("source");
      writeString(w, p->referral->source);
      w.Key("type");
      writeString(w, p->referral->type);
      w.EndObject();
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
  } else if (const auto* u = e.get<Unknown>()) {
    line.raw("raw", u->raw_json);
  }
}

}  // namespace

int cmdParse(const Args& args) {
  auto body = readInput(args, 0);
  if (!body) return usageError(currentCommand(), "cannot read " + args.positionals.at(0));
  auto batch = parse(*body);
  if (!batch) {
    std::cerr << "handover: not a webhook body: " << batch.error().message;
    if (batch.error().offset) std::cerr << " (at byte " << *batch.error().offset << ")";
    std::cerr << "\n";
    return kExitFailure;
  }
  for (const Event& e : batch->events) {
    JsonLine line;
    line.str("kind", toString(e.kind()))
        .str("platform", toString(e.platform))
        .str("page", e.page_id)
        .str("user", e.userId())
        .boolean("standby", e.standby)
        .integer("timestamp", e.timestamp)
        .integer("entry_time", e.entry_time)
        .optStr("sender", participant(e.sender))
        .optStr("recipient", participant(e.recipient));
    payloadFields(line, e);
    std::cout << line.finish() << "\n";
  }
  for (const Change& c : batch->changes) {
    JsonLine line;
    line.str("kind", "change").str("page", c.page_id).str("field", c.field);
    if (!c.value_json.empty()) line.raw("value", c.value_json);
    std::cout << line.finish() << "\n";
  }
  std::cout.flush();
  for (const EventError& err : batch->errors) {
    std::cerr << "handover: unreadable event in entry[" << err.entry_index << "]";
    if (err.event_index) {
      std::cerr << (err.standby ? ".standby[" : ".messaging[") << *err.event_index << "]";
    }
    std::cerr << " at byte " << err.offset << ": " << err.message << "\n";
  }
  // Events that could not be read are never dropped silently: the exit code says so.
  return batch->errors.empty() ? kExitOk : kExitFailure;
}

int cmdVerify(const Args& args) {
  const auto header = args.value("--signature");
  if (!header) return usageError(currentCommand(), "--signature is required");
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment in this process.
  const char* secret = std::getenv("HANDOVER_APP_SECRET");
  if (secret == nullptr || *secret == '\0') {
    return usageError(currentCommand(), "HANDOVER_APP_SECRET is not set (the app secret)");
  }
  auto body = readInput(args, 0);
  if (!body) return usageError(currentCommand(), "cannot read " + args.positionals.at(0));
  // The value's prefix says which header it came from; anything else is checked as sha256 (and
  // then reported malformed).
  const bool sha1 = header->rfind("sha1=", 0) == 0;
  std::optional<std::string_view> sha256_value, sha1_value;
  if (sha1) {
    sha1_value = *header;
  } else {
    sha256_value = *header;
  }
  const SignatureVerdict verdict = checkSignature(*body, sha256_value, sha1_value, secret);
  JsonLine line;
  line.boolean("valid", verdict.ok());
  if (verdict.ok()) {
    line.str("algorithm", verdict.algorithm == SignatureAlgorithm::kSha1 ? "sha1" : "sha256");
    std::cout << line.finish() << std::endl;
    return kExitOk;
  }
  line.str("reason", toString(verdict.failure));
  std::cout << line.finish() << std::endl;
  std::cerr << "handover: invalid signature: " << toString(verdict.failure) << "\n";
  return kExitFailure;
}

}  // namespace handover::cli
