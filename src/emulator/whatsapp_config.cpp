// The `whatsapp_numbers` section of the emulator's configuration: parsing and the checks of its
// references (apps, roles, the default entry point), beside pages and apps in config.cpp.

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

#include "config_json.hpp"
#include "config_keys.hpp"
#include "handover/core/whatsapp.hpp"
#include "whatsapp_config.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {
namespace {

using rapidjson::Value;

// "a" "b" "c" as one string, appended in place (no temporaries per `+`).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}

Result<WhatsAppEntryPoint> parseEntryPoint(const Value& v, const std::string& where) {
  if (!v.IsObject()) return configError(where + " must be an object");
  if (auto r = onlyKeys(v, where, kEntryPointKeys); !r) return std::move(r).error();
  WhatsAppEntryPoint ep;
  auto primary = getId(v, "primary", where, true);
  if (!primary) return std::move(primary).error();
  ep.primary = *primary;
  if (auto it = v.FindMember("roles"); it != v.MemberEnd()) {
    if (!it->value.IsObject()) return configError(where + ".roles must be an object");
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      const std::string role(m->name.GetString(), m->name.GetStringLength());
      if (!wa::isRoleName(role)) {
        return configError(cat({where, ".roles key \"", role, "\" must be a role name ([a-z_]+)"}));
      }
      auto app = idText(m->value);
      if (!app) return configError(cat({where, ".roles.", role, " must be an app id"}));
      ep.roles[role] = *app;
    }
  }
  return ep;
}

Result<WhatsAppNumberConfig> parseNumber(const Value& v, std::size_t index) {
  const std::string where = "whatsapp_numbers[" + std::to_string(index) + "]";
  if (!v.IsObject()) return configError(where + " must be an object");
  if (auto r = onlyKeys(v, where, kWhatsAppNumberKeys); !r) return std::move(r).error();
  WhatsAppNumberConfig n;
  for (auto [key, out, required] : {std::tuple<const char*, std::string*, bool>{"id", &n.id, true},
                                    {"waba_id", &n.waba_id, true},
                                    {"display_phone_number", &n.display_phone_number, false},
                                    {"escalation_partner", &n.escalation_partner, false}}) {
    auto s = getId(v, key, where, required);
    if (!s) return std::move(s).error();
    *out = *s;
  }
  auto name = getString(v, "name", where, false);
  if (!name) return std::move(name).error();
  n.name = name->empty() ? "WhatsApp " + n.id : *name;
  if (n.display_phone_number.empty()) n.display_phone_number = n.id;
  auto eps = v.FindMember("entry_points");
  if (eps == v.MemberEnd() || !eps->value.IsObject()) {
    return configError(where + " needs \"entry_points\", an object with a \"default\" entry");
  }
  for (auto m = eps->value.MemberBegin(); m != eps->value.MemberEnd(); ++m) {
    const std::string ep_name(m->name.GetString(), m->name.GetStringLength());
    auto ep = parseEntryPoint(m->value, cat({where, ".entry_points.", ep_name}));
    if (!ep) return std::move(ep).error();
    n.entry_points[ep_name] = std::move(*ep);
  }
  if (auto it = v.FindMember("standby"); it != v.MemberEnd()) {
    if (!it->value.IsArray()) return configError(where + ".standby must be an array");
    for (const auto& item : it->value.GetArray()) {
      auto id = idText(item);
      if (!id) return configError(where + ".standby items must be app ids");
      n.standby.push_back(*id);
    }
  }
  return n;
}

}  // namespace

Result<void> parseWhatsAppNumbers(const Value& v, Config& config) {
  if (!v.IsArray()) return configError("whatsapp_numbers must be an array");
  std::size_t i = 0;
  for (const auto& item : v.GetArray()) {
    auto n = parseNumber(item, i++);
    if (!n) return std::move(n).error();
    config.whatsapp_numbers.push_back(std::move(*n));
  }
  return {};
}

Result<void> validateWhatsAppNumbers(const Config& config) {
  std::set<std::string> ids;
  for (const auto& p : config.pages) ids.insert(p.id);
  auto known_app = [&](const std::string& id) {
    for (const auto& a : config.apps) {
      if (a.id == id) return true;
    }
    return false;
  };
  for (const auto& n : config.whatsapp_numbers) {
    const std::string where = "whatsapp number " + n.id;
    if (!wa::isPhoneNumberId(n.id))
      return configError(where + ": id must be digits (a phone_number_id)");
    if (!wa::isPhoneNumberId(n.waba_id)) return configError(where + ": waba_id must be digits");
    if (!ids.insert(n.id).second) {
      return configError(where + ": the id is already a page's or another number's");
    }
    if (!n.entry_points.count("default")) {
      return configError(where + ": entry_points needs a \"default\" entry point");
    }
    auto check = [&](const std::string& app, const std::string& what) -> Result<void> {
      if (known_app(app)) return {};
      return configError(cat({where, ": ", what, " ", app, " is not an app of the config"}));
    };
    if (!n.escalation_partner.empty()) {
      if (auto r = check(n.escalation_partner, "escalation_partner"); !r) return r;
    }
    for (const auto& [ep_name, ep] : n.entry_points) {
      if (auto r = check(ep.primary, cat({"entry point ", ep_name, " primary"})); !r) return r;
      for (const auto& [role, app] : ep.roles) {
        if (auto r = check(app, cat({"entry point ", ep_name, " role ", role})); !r) return r;
      }
    }
    for (const auto& app : n.standby) {
      if (auto r = check(app, "standby app"); !r) return r;
    }
  }
  return {};
}

bool isResponder(const WhatsAppNumberConfig& n, const std::string& app_id) {
  if (app_id.empty()) return false;
  if (n.escalation_partner == app_id) return true;
  for (const auto& [name, ep] : n.entry_points) {
    if (ep.primary == app_id) return true;
    for (const auto& [role, app] : ep.roles) {
      if (app == app_id) return true;
    }
  }
  for (const auto& app : n.standby) {
    if (app == app_id) return true;
  }
  return false;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
