// Thread-control commands: one Graph call each through `handover::Client`, the result as one
// JSON object on stdout. Credentials come only from the environment, never from argv (argv is
// visible to every user of the machine through /proc and ps).

#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "graph_client.hpp"
#include "handover/client/client.hpp"
#include "json_line.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {
namespace {

std::string env(const char* name) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment in this process.
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

bool validApiVersion(const std::string& v) {
  // "vNN.N": a 'v', digits, a dot, digits.
  if (v.size() < 4 || v[0] != 'v') return false;
  const auto dot = v.find('.');
  if (dot == std::string::npos || dot == 1 || dot + 1 == v.size()) return false;
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (i != dot && (v[i] < '0' || v[i] > '9')) return false;
  }
  return true;
}

int printOk(JsonLine& line) {
  std::cout << line.finish() << std::endl;
  return kExitOk;
}

void success(JsonLine& line, const char* action, const std::string& recipient) {
  line.boolean("success", true).str("action", action).str("recipient", recipient);
}

}  // namespace

// The Page the command addressed (`--page`; empty: me), for hints on Graph errors.
namespace {
std::string g_page;
}  // namespace

std::optional<Client> makeClient(const Args& args, int& exit_code) {
  ClientOptions o;
  o.access_token = env("HANDOVER_ACCESS_TOKEN");
  o.app_secret = env("HANDOVER_APP_SECRET");
  if (o.access_token.empty()) {
    exit_code = usageError(currentCommand(), "HANDOVER_ACCESS_TOKEN is not set (the Page token)");
    return std::nullopt;
  }
  o.page_id = args.valueOr("--page", "me");
  g_page = o.page_id;
  if (o.page_id.empty()) {
    exit_code = usageError(currentCommand(), "--page must not be empty");
    return std::nullopt;
  }
  if (auto v = args.value("--api-version")) {
    if (!validApiVersion(*v)) {
      exit_code = usageError(currentCommand(), "--api-version must look like v26.0");
      return std::nullopt;
    }
    o.api_version = *v;
  }
  if (auto url = args.value("--base-url")) {
    std::string u = *url;
    while (!u.empty() && u.back() == '/') u.pop_back();
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
      exit_code = usageError(currentCommand(), "--base-url must start with http:// or https://");
      return std::nullopt;
    }
    o.base_url = u;
  }
  // An ops tool should answer promptly: `RetryOptions`' default attempts (4), within 30 s.
  o.deadline = std::chrono::seconds(30);
  o.attempt_timeout = std::chrono::seconds(15);
  return Client(std::move(o));
}

int reportError(const Error& e) {
  switch (e.category) {
    case ErrorCategory::kInvalidArgument:
      return usageError(currentCommand(), e.message);
    case ErrorCategory::kTransport:
    case ErrorCategory::kTimeout:
    case ErrorCategory::kRedirect:
      std::cerr << "handover: " << toString(e.category) << " error: " << e.message << "\n";
      return kExitTransport;
    case ErrorCategory::kApi:
      std::cerr << "handover: Graph API error code " << e.code << " subcode " << e.subcode;
      if (e.http_status != 0) std::cerr << " (HTTP " << e.http_status << ")";
      std::cerr << ": " << e.message;
      if (!e.type.empty()) std::cerr << " [type " << e.type << "]";
      if (!e.fbtrace_id.empty()) std::cerr << " [fbtrace_id " << e.fbtrace_id << "]";
      std::cerr << "\n";
      if (e.code == 100 && e.subcode == 33 && !g_page.empty() && g_page != "me") {
        // "Object does not exist or cannot be loaded": with a Page token, most often the
        // token belongs to another Page than the one named.
        std::cerr << "handover: hint: a Page access token reaches only its own Page; check "
                     "that HANDOVER_ACCESS_TOKEN belongs to Page "
                  << g_page << ", or leave out --page (me: the token's own Page)\n";
      }
      return kExitFailure;
    // The server answered, but not with a Graph body we can read (proxy page, HTML...), or
    // something below the call failed.
    case ErrorCategory::kHttp:
    case ErrorCategory::kParse:
    case ErrorCategory::kSignature:
    case ErrorCategory::kStore:
    case ErrorCategory::kUnimplemented:
    case ErrorCategory::kThreadOwnedElsewhere:
      std::cerr << "handover: " << toString(e.category) << " error code " << e.code << " subcode "
                << e.subcode;
      if (e.http_status != 0) std::cerr << " (HTTP " << e.http_status << ")";
      std::cerr << ": " << e.message << "\n";
      return kExitFailure;
  }
  return kExitFailure;
}

int cmdPass(const Args& args) {
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  const std::string& recipient = args.positionals.at(0);
  const std::string& target = args.positionals.at(1);
  if (target.empty()) return usageError(currentCommand(), "TARGET_APP_ID must not be empty");
  auto r = client->passThreadControl(recipient, target, args.valueOr("--metadata", ""));
  if (!r) return reportError(r.error());
  JsonLine line;
  success(line, "pass", recipient);
  line.str("target_app_id", target);
  return printOk(line);
}

int cmdPassToInbox(const Args& args) {
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  const std::string& recipient = args.positionals.at(0);
  const bool ig = args.has("--instagram");
  const std::string metadata = args.valueOr("--metadata", "");
  auto r = ig ? client->passThreadControlToInstagramInbox(recipient, metadata)
              : client->passThreadControlToPageInbox(recipient, metadata);
  if (!r) return reportError(r.error());
  JsonLine line;
  success(line, "pass", recipient);
  line.str("target_app_id", ig ? kInstagramInboxAppId : kPageInboxAppId);
  return printOk(line);
}

int cmdTake(const Args& args) {
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  const std::string& recipient = args.positionals.at(0);
  auto r = client->takeThreadControl(recipient, args.valueOr("--metadata", ""));
  if (!r) return reportError(r.error());
  JsonLine line;
  success(line, "take", recipient);
  if (r->new_owner_app_id) line.str("new_owner_app_id", *r->new_owner_app_id);
  if (r->expiration) line.integer("expiration", *r->expiration);
  return printOk(line);
}

int cmdRequest(const Args& args) {
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  const std::string& recipient = args.positionals.at(0);
  auto r = client->requestThreadControl(recipient, args.valueOr("--metadata", ""));
  if (!r) return reportError(r.error());
  // Success means "delivered to the owner", not "control gained": say so in the output.
  JsonLine line;
  success(line, "request", recipient);
  line.boolean("delivered", true);
  return printOk(line);
}

int cmdRelease(const Args& args) {
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  const std::string& recipient = args.positionals.at(0);
  auto r = client->releaseThreadControl(recipient);
  if (!r) return reportError(r.error());
  JsonLine line;
  success(line, "release", recipient);
  return printOk(line);
}

int cmdExtend(const Args& args) {
  const auto seconds = parseInteger(args.positionals.at(1));
  if (!seconds || *seconds < 1 || *seconds > kMaxExtendDuration.count()) {
    return usageError(currentCommand(), "SECONDS must be an integer from 1 to " +
                                            std::to_string(kMaxExtendDuration.count()) +
                                            " (7 days)");
  }
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  const std::string& recipient = args.positionals.at(0);
  auto r = client->extendThreadControl(recipient, std::chrono::seconds(*seconds));
  if (!r) return reportError(r.error());
  JsonLine line;
  success(line, "extend", recipient);
  line.integer("duration", *seconds);
  return printOk(line);
}

int cmdOwner(const Args& args) {
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  const std::string& recipient = args.positionals.at(0);
  auto r = client->getThreadOwner(recipient);
  if (!r) return reportError(r.error());
  JsonLine line;
  line.str("recipient", recipient)
      .optStr("app_id", r->app_id)
      .optInteger("expiration", r->expiration)
      // Under Conversation Routing an empty answer means idle, or hidden from this app.
      .boolean("disclosed", r->app_id.has_value());
  return printOk(line);
}

int cmdReceivers(const Args& args) {
  GetSecondaryReceiversRequest req;
  if (auto p = args.value("--platform")) {
    if (*p == "messenger") {
      req.platform = Platform::kMessenger;
    } else if (*p == "instagram") {
      req.platform = Platform::kInstagram;
    } else {
      return usageError(currentCommand(), "--platform must be messenger or instagram");
    }
  }
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  std::vector<AppSummary> apps;
  // Follow the cursors so scripts get the whole list; bounded against a looping server.
  for (int page = 0; page < 100; ++page) {
    auto r = client->getSecondaryReceivers(req);
    if (!r) return reportError(r.error());
    apps.insert(apps.end(), r->apps.begin(), r->apps.end());
    if (r->next_cursor.empty() || r->next_cursor == req.after) break;
    req.after = r->next_cursor;
  }
  JsonLine line;
  line.key("data");
  auto& w = line.writer();
  w.StartArray();
  for (const auto& a : apps) {
    w.StartObject();
    w.Key("id");
    w.String(a.id.c_str(), static_cast<rapidjson::SizeType>(a.id.size()));
    w.Key("name");
    w.String(a.name.c_str(), static_cast<rapidjson::SizeType>(a.name.size()));
    w.EndObject();
  }
  w.EndArray();
  return printOk(line);
}

int cmdFeatureStatus(const Args& args) {
  int code = kExitOk;
  auto client = makeClient(args, code);
  if (!client) return code;
  auto r = client->getMessagingFeatureStatus();
  if (!r) return reportError(r.error());
  JsonLine line;
  line.str("page_id", r->page_id)
      .boolean("hop_v2", r->hop_v2)
      .boolean("msgr_multi_app", r->msgr_multi_app)
      .boolean("ig_multi_app", r->ig_multi_app);
  return printOk(line);
}

}  // namespace cli
HANDOVER_END_NAMESPACE
