#include "args.hpp"

#include <cerrno>
#include <cstdlib>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::string Args::valueOr(const std::string& name, std::string fallback) const {
  auto v = value(name);
  return v ? *v : std::move(fallback);
}

std::optional<Args> parseArgs(int argc, const char* const* argv, int first, const ArgSpec& spec,
                              std::string& error) {
  Args out;
  bool options_done = false;
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (options_done || a.size() < 2 || a[0] != '-' || a == "-") {
      out.positionals.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> inline_value;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    if (spec.flags.count(name)) {
      if (inline_value) {
        error = "option " + name + " takes no value";
        return std::nullopt;
      }
      out.flags.insert(name);
    } else if (spec.valued.count(name)) {
      if (inline_value) {
        out.values[name] = *inline_value;
      } else if (i + 1 < argc) {
        out.values[name] = argv[++i];
      } else {
        error = "option " + name + " needs a value";
        return std::nullopt;
      }
    } else if (name == "--access-token" || name == "--token" || name == "--app-secret" ||
               name == "--secret") {
      // Credentials on a command line end up in shell history and in `ps` for every user.
      error = "unknown option " + name +
              ": credentials come only from the environment, HANDOVER_ACCESS_TOKEN (the Page "
              "token) and HANDOVER_APP_SECRET, never from arguments (those end up in shell "
              "history and in ps)";
      return std::nullopt;
    } else {
      error = "unknown option " + name;
      return std::nullopt;
    }
  }
  if (out.help) return out;
  if (out.positionals.size() < spec.min_positionals) {
    error = "missing argument";
    return std::nullopt;
  }
  if (out.positionals.size() > spec.max_positionals) {
    error = "unexpected argument '" + out.positionals[spec.max_positionals] + "'";
    return std::nullopt;
  }
  return out;
}

std::optional<long long> parseInteger(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::size_t start = text[0] == '-' ? 1 : 0;
  if (start == text.size()) return std::nullopt;
  for (std::size_t i = start; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end == nullptr || *end != '\0') return std::nullopt;
  return v;
}

}  // namespace cli
HANDOVER_END_NAMESPACE
