#pragma once
// A small command-line parser for the `handover` CLI: positionals, `--flag`, `--opt VALUE` and
// `--opt=VALUE`, `--` to end options. No third-party parser: the contract is small and stable.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {

/// Which options a command accepts.
struct ArgSpec {
  std::set<std::string> flags;   ///< Options without a value, e.g. "--instagram".
  std::set<std::string> valued;  ///< Options taking a value, e.g. "--metadata".
  std::size_t min_positionals = 0;
  std::size_t max_positionals = 0;
};

/// What the command line said.
struct Args {
  std::vector<std::string> positionals;
  std::map<std::string, std::string> values;  ///< Last occurrence wins.
  std::set<std::string> flags;
  bool help = false;  ///< `--help` or `-h` appeared.

  bool has(const std::string& flag) const { return flags.count(flag) != 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::string valueOr(const std::string& name, std::string fallback) const;
};

/// Parses `argv[first..argc)`. On failure returns nullopt and sets `error` to one line saying
/// what was wrong. `--help` always parses (positional counts are not checked then).
std::optional<Args> parseArgs(int argc, const char* const* argv, int first, const ArgSpec& spec,
                              std::string& error);

/// Strict decimal integer (optional leading '-'), no trailing junk, within int64.
std::optional<long long> parseInteger(const std::string& text);

}  // namespace cli
HANDOVER_END_NAMESPACE
