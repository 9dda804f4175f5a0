#include "handover/emulator/config.hpp"

#include "config_keys.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "bounds.hpp"
#include "config_json.hpp"
#include "faults_json.hpp"
#include "json_util.hpp"
#include "whatsapp_config.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {
namespace {

using detail::configError;
using detail::getId;
using detail::getString;
using detail::onlyKeys;
using rapidjson::Value;

Result<Role> toRole(const Value& v, std::string_view where) {
  if (!v.IsString()) return configError(std::string(where) + " role must be a string");
  auto role = parseRole(v.GetString());
  if (!role) {
    return configError(std::string(where) + " role \"" + v.GetString() +
                       "\" is not primary, secondary or none");
  }
  return *role;
}

Result<PageConfig> parsePage(const Value& v, std::size_t index) {
  const std::string where = "pages[" + std::to_string(index) + "]";
  if (!v.IsObject()) return configError(where + " must be an object");
  if (auto r = onlyKeys(v, where, detail::kPageKeys); !r) {
    return std::move(r).error();
  }
  PageConfig page;
  auto id = getId(v, "id", where, true);
  if (!id) return std::move(id).error();
  page.id = *id;
  auto name = getString(v, "name", where, false);
  if (!name) return std::move(name).error();
  page.name = name->empty() ? "Page " + page.id : *name;
  auto platform = getString(v, "platform", where, false);
  if (!platform) return std::move(platform).error();
  if (*platform == "instagram") {
    page.platform = Platform::kInstagram;
  } else if (platform->empty() || *platform == "messenger") {
    page.platform = Platform::kMessenger;
  } else {
    return configError(where + ".platform must be \"messenger\" or \"instagram\"");
  }
  auto era = getString(v, "era", where, false);
  if (!era) return std::move(era).error();
  if (*era == "legacy") {
    page.era = Era::kLegacy;
  } else if (era->empty() || *era == "routing") {
    page.era = Era::kRouting;
  } else {
    return configError(where + ".era must be \"legacy\" or \"routing\"");
  }
  auto def = getId(v, "default_app_id", where, false);
  if (!def) return std::move(def).error();
  page.default_app_id = *def;
  return page;
}

Result<AppConfig> parseApp(const Value& v, std::size_t index) {
  const std::string where = "apps[" + std::to_string(index) + "]";
  if (!v.IsObject()) return configError(where + " must be an object");
  if (auto r = onlyKeys(v, where, detail::kAppKeys); !r) {
    return std::move(r).error();
  }
  AppConfig app;
  auto id = getId(v, "id", where, true);
  if (!id) return std::move(id).error();
  app.id = *id;
  for (auto [key, out] : {std::pair<const char*, std::string*>{"name", &app.name},
                          {"page_access_token", &app.page_access_token},
                          {"app_secret", &app.app_secret},
                          {"webhook_url", &app.webhook_url},
                          {"verify_token", &app.verify_token}}) {
    auto s = getString(v, key, where, false);
    if (!s) return std::move(s).error();
    *out = *s;
  }
  if (app.name.empty()) app.name = "App " + app.id;
  if (auto it = v.FindMember("role"); it != v.MemberEnd()) {
    auto role = toRole(it->value, where);
    if (!role) return std::move(role).error();
    app.role = *role;
  }
  if (auto it = v.FindMember("page_roles"); it != v.MemberEnd()) {
    if (!it->value.IsObject()) return configError(where + ".page_roles must be an object");
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      auto role = toRole(m->value, where);
      if (!role) return std::move(role).error();
      app.page_roles[m->name.GetString()] = *role;
    }
  }
  if (auto it = v.FindMember("page_tokens"); it != v.MemberEnd()) {
    if (!it->value.IsObject()) return configError(where + ".page_tokens must be an object");
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      if (!m->value.IsString()) return configError(where + ".page_tokens values must be strings");
      app.page_tokens[m->name.GetString()] = m->value.GetString();
    }
  }
  for (auto [key, out] : {std::pair<const char*, std::vector<std::string>*>{"pages", &app.pages},
                          {"subscribed_fields", &app.subscribed_fields}}) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd()) continue;
    if (!it->value.IsArray()) return configError(where + "." + key + " must be an array");
    for (const auto& item : it->value.GetArray()) {
      auto s = detail::idText(item);
      if (!s) return configError(where + "." + key + " items must be strings");
      out->push_back(*s);
    }
  }
  for (auto [key, out] :
       {std::pair<const char*, bool*>{"require_appsecret_proof", &app.require_appsecret_proof},
        {"can_take", &app.can_take}}) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd()) continue;
    if (!it->value.IsBool()) return configError(where + "." + key + " must be a boolean");
    *out = it->value.GetBool();
  }
  return app;
}

std::set<std::string> numberIds(const Config& config) {
  std::set<std::string> ids;
  for (const auto& n : config.whatsapp_numbers) ids.insert(n.id);
  return ids;
}

Result<void> parseDelivery(const Value& v, DeliveryConfig& out) {
  if (!v.IsObject()) return configError("delivery must be an object");
  if (auto r = onlyKeys(v, "delivery", detail::kDeliveryKeys); !r) {
    return r;
  }
  for (auto [key, out_ms] : {std::pair<const char*, std::chrono::milliseconds*>{
                                 "initial_backoff_ms", &out.initial_backoff},
                             {"max_backoff_ms", &out.max_backoff},
                             {"retry_window_ms", &out.retry_window},
                             {"timeout_ms", &out.timeout}}) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd()) continue;
    if (!it->value.IsInt64() || it->value.GetInt64() < 0 ||
        it->value.GetInt64() > detail::kMaxDeliveryMs) {
      return configError(
          detail::boundMessage(std::string("delivery.") + key, 0, detail::kMaxDeliveryMs));
    }
    *out_ms = std::chrono::milliseconds(it->value.GetInt64());
  }
  if (auto it = v.FindMember("max_batch"); it != v.MemberEnd()) {
    if (!it->value.IsUint() || it->value.GetUint() == 0 ||
        it->value.GetUint() > detail::kMaxBatch) {
      return configError(detail::boundMessage("delivery.max_batch", 1, detail::kMaxBatch));
    }
    out.max_batch = it->value.GetUint();
  }
  return {};
}

}  // namespace

const char* toString(Era era) noexcept {
  return era == Era::kLegacy ? "legacy" : "routing";
}

const char* toString(Role role) noexcept {
  switch (role) {
    case Role::kPrimary:
      return "primary";
    case Role::kSecondary:
      return "secondary";
    case Role::kNone:
      break;
  }
  return "none";
}

std::optional<Role> parseRole(std::string_view name) noexcept {
  if (name == "primary" || name == "primary_receiver") return Role::kPrimary;
  if (name == "secondary" || name == "secondary_receiver") return Role::kSecondary;
  if (name == "none" || name.empty()) return Role::kNone;
  return std::nullopt;
}

Result<Config> parseConfig(std::string_view json) {
  rapidjson::Document doc;
  detail::parseJson(doc, json);
  if (doc.HasParseError()) {
    Error e = configError(std::string("invalid JSON: ") +
                          rapidjson::GetParseError_En(doc.GetParseError()));
    e.offset = doc.GetErrorOffset();
    return e;
  }
  if (!doc.IsObject()) return configError("top level must be an object");
  if (auto r = onlyKeys(doc, "config", detail::kConfigKeys); !r) {
    return std::move(r).error();
  }
  Config config;
  for (const char* key : {"pages", "apps"}) {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd()) continue;
    if (!it->value.IsArray()) return configError(std::string(key) + " must be an array");
    std::size_t i = 0;
    for (const auto& item : it->value.GetArray()) {
      if (key[0] == 'p') {
        auto page = parsePage(item, i++);
        if (!page) return std::move(page).error();
        config.pages.push_back(std::move(*page));
      } else {
        auto app = parseApp(item, i++);
        if (!app) return std::move(app).error();
        config.apps.push_back(std::move(*app));
      }
    }
  }
  if (auto it = doc.FindMember("whatsapp_numbers"); it != doc.MemberEnd()) {
    if (auto r = detail::parseWhatsAppNumbers(it->value, config); !r) return std::move(r).error();
  }
  if (auto it = doc.FindMember("delivery"); it != doc.MemberEnd()) {
    if (auto r = parseDelivery(it->value, config.delivery); !r) return std::move(r).error();
  }
  if (auto it = doc.FindMember("start_time_ms"); it != doc.MemberEnd()) {
    if (!it->value.IsInt64() || it->value.GetInt64() < 0 ||
        it->value.GetInt64() > detail::kMaxEpochMs) {
      return configError(detail::boundMessage("start_time_ms", 0, detail::kMaxEpochMs));
    }
    config.start_time = fromEpochMillis(it->value.GetInt64());
  }
  if (auto it = doc.FindMember("faults"); it != doc.MemberEnd()) {
    auto faults = detail::parseFaultsValue(it->value, "faults");
    if (!faults) return configError(faults.error().message);
    config.faults = std::move(*faults);
  }
  if (auto r = validateConfig(config); !r) return std::move(r).error();
  return config;
}

Result<Config> loadConfigFile(const std::string& path) {
  auto text = detail::readBoundedFile(path, detail::kMaxFileBytes);
  if (!text) return handover::detail::invalidArgument("emulator config: " + text.error().message);
  auto config = parseConfig(*text);
  if (!config) {
    Error e = std::move(config).error();
    const std::string prefix = "emulator config: ";
    if (e.message.rfind(prefix, 0) == 0) e.message.erase(0, prefix.size());
    e.message = "emulator config " + path + ": " + e.message;
    return e;
  }
  return config;
}

Result<void> validateConfig(const Config& config) {
  std::set<std::string> page_ids;
  for (const auto& page : config.pages) {
    if (page.id.empty()) return configError("a page has an empty id");
    if (!page_ids.insert(page.id).second) return configError("duplicate page id " + page.id);
    if (page.id == "me") return configError("\"me\" cannot be a page id");
  }
  std::set<std::string> app_ids;
  std::set<std::string> tokens;
  for (const auto& app : config.apps) {
    if (app.id.empty()) return configError("an app has an empty id");
    if (!app_ids.insert(app.id).second) return configError("duplicate app id " + app.id);
    for (const auto& p : app.pages) {
      if (!page_ids.count(p)) return configError("app " + app.id + " lists unknown page " + p);
    }
    for (const auto& [p, role] : app.page_roles) {
      if (!page_ids.count(p))
        return configError("app " + app.id + " has a role on unknown page " + p);
    }
    std::vector<std::string> own{app.page_access_token};
    for (const auto& [p, t] : app.page_tokens) {
      if (!page_ids.count(p) && !numberIds(config).count(p))
        return configError("app " + app.id + " has a token for unknown page " + p);
      own.push_back(t);
    }
    for (const auto& t : own) {
      // Token values are secrets: the message names the app, never the token.
      if (!t.empty() && !tokens.insert(t).second) {
        return configError("app " + app.id + " reuses an access token of another app or page");
      }
    }
    if (!app.webhook_url.empty() && app.webhook_url.rfind("http://", 0) != 0 &&
        app.webhook_url.rfind("https://", 0) != 0) {
      return configError("app " + app.id + " webhook_url must start with http:// or https://");
    }
    if (!app.webhook_url.empty() && app.app_secret.empty()) {
      return configError("app " + app.id + " has a webhook_url but no app_secret to sign with");
    }
    if (!app.verify_token.empty() && app.webhook_url.empty()) {
      return configError("app " + app.id + " has a verify_token but no webhook_url to verify");
    }
  }
  auto installed = [&](const std::string& app_id, const PageConfig& page) {
    if (app_id == kPageInboxAppId) return page.platform == Platform::kMessenger;
    if (app_id == kInstagramInboxAppId) return page.platform == Platform::kInstagram;
    for (const auto& app : config.apps) {
      if (app.id != app_id) continue;
      if (app.pages.empty()) return true;
      for (const auto& p : app.pages) {
        if (p == page.id) return true;
      }
    }
    return false;
  };
  for (const auto& page : config.pages) {
    if (!page.default_app_id.empty()) {
      if (page.era == Era::kLegacy) {
        return configError("page " + page.id + " is legacy: default_app_id needs era routing");
      }
      if (!installed(page.default_app_id, page)) {
        return configError("page " + page.id + " default app " + page.default_app_id +
                           " is not installed on it");
      }
    }
    if (page.era != Era::kLegacy) continue;
    int primaries = 0;
    for (const auto& app : config.apps) {
      if (!installed(app.id, page)) continue;
      auto it = app.page_roles.find(page.id);
      Role role = it != app.page_roles.end() ? it->second : app.role;
      primaries += role == Role::kPrimary ? 1 : 0;
    }
    if (primaries > 1)
      return configError("page " + page.id + " has more than one primary receiver");
  }
  if (auto r = detail::validateWhatsAppNumbers(config); !r) return r;
  if (auto r = detail::checkFaultReferences(config, config.faults, "faults"); !r) {
    return configError(r.error().message);
  }
  return {};
}

namespace detail {

Result<void> checkFaultReferences(const Config& config, const Faults& faults,
                                  const std::string& path) {
  auto known_page = [&](const std::string& id) {
    for (const auto& p : config.pages) {
      if (p.id == id) return true;
    }
    return false;
  };
  auto known_app = [&](const std::string& id) {
    if (id == kPageInboxAppId || id == kInstagramInboxAppId) return true;
    for (const auto& a : config.apps) {
      if (a.id == id) return true;
    }
    return false;
  };
  std::size_t i = 0;
  for (const auto& page : faults.handover_disabled_pages) {
    if (!known_page(page)) {
      return faultError(path + ".handover_disabled_pages[" + std::to_string(i) + "]",
                        "a page of the config (no page " + page + ")");
    }
    ++i;
  }
  i = 0;
  for (const auto& l : faults.lead_gen) {
    const std::string at = path + ".lead_gen[" + std::to_string(i++) + "]";
    if (!known_page(l.page_id)) {
      return faultError(at + ".page_id", "a page of the config (no page " + l.page_id + ")");
    }
    if (!known_app(l.target_app_id)) {
      return faultError(at + ".target_app_id",
                        "an app of the config (no app " + l.target_app_id + ")");
    }
  }
  i = 0;
  for (const auto& app : faults.delivery.apps) {
    if (!known_app(app)) {
      return faultError(path + ".delivery.apps[" + std::to_string(i) + "]",
                        "an app of the config (no app " + app + ")");
    }
    ++i;
  }
  return {};
}

}  // namespace detail

}  // namespace emulator
HANDOVER_END_NAMESPACE
