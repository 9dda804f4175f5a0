#pragma once
// The bounds of every number the emulator reads from its config and its control API, in one
// place: a value outside them is refused with an error naming it, never converted (a signed
// overflow once moved the clock backwards; UBSan aborted the sanitized build).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>

#include "handover/core/export.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

/// The longest single clock advance: 100 years, far beyond any expiry the protocol has.
inline constexpr std::int64_t kMaxClockAdvanceSeconds = 100LL * 366 * 24 * 3600;
/// The emulator clock stays within [1970, 9999-12-31] in epoch milliseconds, so every sum of
/// it with a bounded advance or a Graph `expiration` fits an int64.
inline constexpr std::int64_t kMaxEpochMs = 253402300799999LL;
/// Delivery settings (backoffs, retry window, timeout): at most a week.
inline constexpr std::int64_t kMaxDeliveryMs = 7LL * 24 * 3600 * 1000;
/// Events per POST.
inline constexpr std::int64_t kMaxBatch = 1000;
/// `/_emulator/deliveries/wait`: at most 10 minutes.
inline constexpr std::int64_t kMaxWaitMs = 600000;

/// A config or scenario file: a few KiB in practice; "/dev/zero" must not fill the memory.
inline constexpr std::size_t kMaxFileBytes = std::size_t{4} << 20;
/// A request body (Graph or control API): the Graph API's bodies are a few hundred bytes.
inline constexpr std::size_t kMaxRequestBody = std::size_t{1} << 20;
/// Steps of one scenario.
inline constexpr std::size_t kMaxScenarioSteps = 10000;
/// Rules of each list of a `faults` object (graph, rate_limits, lead_gen...).
inline constexpr std::size_t kMaxFaultRules = 1000;

/// "NAME must be an integer from LO to HI", the text of every bound error.
inline std::string boundMessage(const std::string& name, std::int64_t lo, std::int64_t hi) {
  return name + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
}

/// True when the clock at `now_ms` may move forward by `seconds`.
inline bool clockAdvanceFits(std::int64_t now_ms, std::int64_t seconds) {
  return seconds >= 0 && seconds <= kMaxClockAdvanceSeconds &&
         now_ms <= kMaxEpochMs - seconds * 1000;
}

/// The text of `path`, or an error naming it when it cannot be read or is larger than `max`
/// bytes (read no further than that: a device or a huge file is refused, not slurped).
inline Result<std::string> readBoundedFile(const std::string& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return handover::detail::invalidArgument("cannot open " + path);
  std::string text(max + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  const auto got = static_cast<std::size_t>(in.gcount());
  if (got > max) {
    return handover::detail::invalidArgument(path + " is larger than " + std::to_string(max) +
                                             " bytes");
  }
  text.resize(got);
  return text;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
