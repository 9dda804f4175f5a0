#include "handover/client/requests.hpp"

HANDOVER_BEGIN_NAMESPACE

const char* toString(MessagingType t) noexcept {
  switch (t) {
    case MessagingType::kResponse:
      return "RESPONSE";
    case MessagingType::kUpdate:
      return "UPDATE";
    case MessagingType::kMessageTag:
      return "MESSAGE_TAG";
  }
  return "RESPONSE";
}

const char* toString(SenderAction a) noexcept {
  switch (a) {
    case SenderAction::kMarkSeen:
      return "mark_seen";
    case SenderAction::kTypingOn:
      return "typing_on";
    case SenderAction::kTypingOff:
      return "typing_off";
  }
  return "typing_on";
}

HANDOVER_END_NAMESPACE
