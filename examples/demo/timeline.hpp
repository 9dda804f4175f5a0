#pragma once
// Reads the emulator's timeline: which app received which webhook event (messaging or
// standby), which Graph calls failed, which deliveries did not go through.

#include <cstdint>
#include <string>
#include <vector>

#include "handover/emulator/emulator.hpp"
#include "handover/webhook/events.hpp"

namespace demo {

/// One event delivered to one app.
struct Delivered {
  std::uint64_t seq = 0;
  std::string app_id;
  handover::webhook::Event event;
  /// The emulator's stamp of the event in milliseconds (WhatsApp bodies carry whole seconds).
  std::int64_t stamp = 0;
};

/// A Graph call an app made that the emulator refused.
struct FailedCall {
  std::string app_id;
  std::string method;
  std::string path;
  int status = 0;
  std::string response;
};

/// A Graph call an app made, and the emulator's HTTP status.
struct GraphCall {
  std::string app_id;
  std::string method;
  std::string path;
  int status = 0;
  /// The last event stamp before the call: events stamped later came of it or after it.
  std::int64_t stamp_before = 0;
};

/// Timeline entries after a sequence number.
struct TimelineSlice {
  std::uint64_t last_seq = 0;    ///< Highest seq seen (the input when nothing is new).
  std::vector<GraphCall> calls;  ///< Every Graph call, in order.
  std::vector<Delivered> delivered;
  std::vector<FailedCall> failed_calls;
  std::vector<std::string> problems;  ///< Deliveries retried or dropped, unreadable bodies.
};

/// Everything recorded after `since`.
TimelineSlice readTimeline(const handover::emulator::Emulator& emulator, std::uint64_t since);

}  // namespace demo
