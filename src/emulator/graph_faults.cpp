#include "graph_faults.hpp"

#include <algorithm>

#include "world.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

void GraphFaults::set(const Faults& faults) {
  rules_ = faults.graph;
  limits_ = faults.rate_limits;
  disabled_pages_ = faults.handover_disabled_pages;
  windows_.clear();
}

void GraphFaults::describe(Faults& into) const {
  into.graph = rules_;
  into.rate_limits = limits_;
  into.handover_disabled_pages = disabled_pages_;
}

std::optional<GraphFaultAnswer> GraphFaults::intercept(const GraphCall& call, std::int64_t now_ms) {
  // CR-M-old: "Handover Protocol APIs disabled for this page"; pass and release still work.
  const bool handover_only = call.method == "POST" && (call.edge == "take_thread_control" ||
                                                       call.edge == "request_thread_control" ||
                                                       call.edge == "extend_thread_control");
  if (handover_only && std::find(disabled_pages_.begin(), disabled_pages_.end(), call.page_id) !=
                           disabled_pages_.end()) {
    // [U] protocol.md §3.3: the code is unknown; the message is the documented one.
    GraphFaultAnswer a;
    a.error = graphError(10, 0, "Handover Protocol APIs disabled for this page.");
    return a;
  }
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if ((!it->method.empty() && it->method != call.method) ||
        (!it->edge.empty() && it->edge != call.edge) ||
        (!it->path.empty() && !pathMatches(it->path, call.path)) ||
        (!it->app_id.empty() && it->app_id != call.app_id)) {
      continue;
    }
    GraphFaultAnswer a = faultAnswer(*it);
    if (--it->count == 0) rules_.erase(it);
    return a;
  }
  return throttle(call, now_ms);
}

std::optional<GraphFaultAnswer> GraphFaults::throttle(const GraphCall& call, std::int64_t now_ms) {
  for (std::size_t i = 0; i < limits_.size(); ++i) {
    const RateLimit& l = limits_[i];
    if (!l.app_id.empty() && l.app_id != call.app_id) continue;
    Window& w = windows_[{i, call.token}];
    if (w.used == 0 || now_ms - w.start_ms >= l.window.count()) {
      w.start_ms = now_ms;
      w.used = 0;
    }
    if (w.used < l.calls) {
      ++w.used;
      continue;
    }
    return throttleAnswer(l.code,
                          std::chrono::milliseconds(l.window.count() - (now_ms - w.start_ms)));
  }
  return std::nullopt;
}

bool pathMatches(const std::string& rule, const std::string& path) {
  if (rule == path) return true;
  // Without the version: "/v19.0/me/messages" matches "/me/messages".
  const auto second = path.find('/', 1);
  return second != std::string::npos && path.compare(second, std::string::npos, rule) == 0;
}

GraphFaultAnswer faultAnswer(const GraphFault& f) {
  GraphFaultAnswer a;
  switch (f.kind) {
    case GraphFaultKind::kNotOwner:
      a.error = graphError(
          10, 2018300,
          "(#10) Message failed to send because another app is controlling this thread now.");
      break;
    case GraphFaultKind::kRateLimit:
      a = throttleAnswer(613, f.retry_after);
      a.headers = {{"Retry-After", std::to_string(f.retry_after.count())}};
      break;
    case GraphFaultKind::kTransient:
      a.error = graphError(2, 0, "(#2) Service temporarily unavailable", 500);
      a.error.is_transient = true;
      break;
    case GraphFaultKind::kInvalidToken:
      a.error =
          graphError(190, 463, "Error validating access token: Session has expired (injected).");
      break;
    case GraphFaultKind::kCloseConnection:
      a.close_connection = true;
      break;
    case GraphFaultKind::kCustom:
      a.error = graphError(f.code, f.subcode, f.message, f.http_status);
      break;
  }
  return a;
}

GraphFaultAnswer throttleAnswer(int code, std::chrono::milliseconds wait) {
  const char* message = "(#613) Calls to this api have exceeded the rate limit.";
  switch (code) {
    case 4:
      message = "(#4) Application request limit reached";
      break;
    case 17:
      message = "(#17) User request limit reached";
      break;
    case 32:
      message = "(#32) Page request limit reached";
      break;
    case 80001:
    case 80002:
    case 80006:
      message = "There have been too many calls from this Page account. Wait a bit and try again.";
      break;
    default:
      break;
  }
  GraphFaultAnswer a;
  a.error = graphError(code, code == 613 ? 1996 : 0,
                       code >= 80000 ? "(#" + std::to_string(code) + ") " + message : message);
  const auto seconds = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(wait + std::chrono::milliseconds(999))
             .count());
  if (code >= 80000) {
    // RL: estimated_time_to_regain_access is in minutes.
    const std::int64_t minutes = (seconds + 59) / 60;
    const char* type = code == 80002 ? "instagram" : code == 80006 ? "messenger" : "pages";
    a.headers = {{"X-Business-Use-Case-Usage",
                  std::string("{\"0\":[{\"type\":\"") + type +
                      "\",\"call_count\":100,\"total_cputime\":0,\"total_time\":0,"
                      "\"estimated_time_to_regain_access\":" +
                      std::to_string(minutes) + "}]}"}};
  } else {
    a.headers = {{"Retry-After", std::to_string(seconds)}};
  }
  return a;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
