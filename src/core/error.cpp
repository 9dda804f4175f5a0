#include "handover/core/error.hpp"

#include <string_view>

HANDOVER_BEGIN_NAMESPACE

const char* toString(ErrorCategory category) noexcept {
  switch (category) {
    case ErrorCategory::kTransport:
      return "transport";
    case ErrorCategory::kTimeout:
      return "timeout";
    case ErrorCategory::kHttp:
      return "http";
    case ErrorCategory::kApi:
      return "api";
    case ErrorCategory::kParse:
      return "parse";
    case ErrorCategory::kInvalidArgument:
      return "invalid_argument";
    case ErrorCategory::kSignature:
      return "signature";
    case ErrorCategory::kRedirect:
      return "redirect";
    case ErrorCategory::kStore:
      return "store";
    case ErrorCategory::kUnimplemented:
      return "unimplemented";
    case ErrorCategory::kThreadOwnedElsewhere:
      return "thread_owned_elsewhere";
  }
  return "unknown";
}

bool Error::isNotThreadOwner() const noexcept {
  if (code == 100 && subcode == 2534037) return true;
  // Meta reuses #100 for many causes; without a dedicated subcode the message decides.
  if (code == 100 || code == 10) {
    const std::string_view m = message;
    return m.find("not the thread owner") != std::string_view::npos ||
           m.find("not the current thread owner") != std::string_view::npos ||
           m.find("Only the current thread owner") != std::string_view::npos;
  }
  return false;
}

bool Error::isRateLimited() const noexcept {
  switch (code) {
    case 4:
    case 17:
    case 32:
    case 341:
    case 613:
    case 80001:
    case 80002:
    case 80006:
      return true;
    default:
      return http_status == 429;
  }
}

bool Error::isHandoverProtocolDisabled() const noexcept {
  return std::string_view(message).find("Handover Protocol APIs disabled") !=
         std::string_view::npos;
}

bool Error::isRetryable() const noexcept {
  switch (category) {
    case ErrorCategory::kTransport:
    case ErrorCategory::kTimeout:
    case ErrorCategory::kStore:  // unreachable or restarting: try again later
      return true;
    case ErrorCategory::kHttp:
      return http_status == 429 || http_status >= 500;
    case ErrorCategory::kApi:
      if (isInvalidToken() || isPermissionDenied()) return false;
      if (is_transient.value_or(false) || isRateLimited()) return true;
      return code == 1 || code == 2 || http_status >= 500;
    // The caller's input, a body or a signature, a redirect or a missing override: trying again
    // gives the same answer.
    case ErrorCategory::kParse:
    case ErrorCategory::kInvalidArgument:
    case ErrorCategory::kSignature:
    case ErrorCategory::kRedirect:
    case ErrorCategory::kUnimplemented:
    // Another responder owns the thread until it passes, releases or 24 h pass: not soon.
    case ErrorCategory::kThreadOwnedElsewhere:
      return false;
  }
  return false;
}

std::string Error::toString() const {
  std::string out = handover::toString(category);
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  if (code != 0) {
    out += " code " + std::to_string(code);
    if (subcode != 0) out += "/" + std::to_string(subcode);
  }
  out += ": " + message;
  if (!fbtrace_id.empty()) out += " [fbtrace_id " + fbtrace_id + "]";
  return out;
}

Exception::Exception(Error error)
    : std::runtime_error(error.toString()), error_(std::move(error)) {}

HANDOVER_END_NAMESPACE
