#pragma once
/// @file
/// WhatsApp Conversation Routing vocabulary shared by the client, the webhook parser, the
/// tracker and the emulator: routing roles and the two ways to name a user.
///
/// A role is typed, never a bare string: a WhatsApp pass targets a role, a Messenger pass an
/// app id, and a string that could be either must not compile into the wrong one.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace wa {

/// The routing roles Meta publishes (whatsapp.md §3), in its wire order.
enum class Role {
  kCustomerService,  ///< "customer_service"
  kMarketing,        ///< "marketing"
  kUtility,          ///< "utility"
  kCtwa,             ///< "ctwa": click-to-WhatsApp ads.
  kAiAgent,          ///< "ai_agent": only where Meta Business Agent is enabled.
  kEscalation,       ///< "escalation": the escalation partner.
};

/// The wire name: "customer_service", "marketing", "utility", "ctwa", "ai_agent",
/// "escalation".
constexpr const char* toString(Role r) noexcept {
  switch (r) {
    case Role::kCustomerService:
      return "customer_service";
    case Role::kMarketing:
      return "marketing";
    case Role::kUtility:
      return "utility";
    case Role::kCtwa:
      return "ctwa";
    case Role::kAiAgent:
      return "ai_agent";
    case Role::kEscalation:
      return "escalation";
  }
  return "customer_service";
}

/// Every `Role`, in wire order (for `--help` texts and tests).
inline constexpr Role kKnownRoles[] = {Role::kCustomerService, Role::kMarketing,
                                       Role::kUtility,         Role::kCtwa,
                                       Role::kAiAgent,         Role::kEscalation};

/// The `Role` a wire name stands for; nullopt for a name this version does not know.
constexpr std::optional<Role> roleFromWire(std::string_view name) noexcept {
  for (Role r : kKnownRoles) {
    if (name == toString(r)) return r;
  }
  return std::nullopt;
}

/// A role as the wire names it: a known `Role`, or a name Meta added after this version.
/// Implicit from `Role`; a string must go through `fromWire`, so a bare string literal never
/// becomes a role by accident.
class RoleName {
 public:
  /// A known role.
  RoleName(Role role)
      : wire_(toString(role)), known_(role) {}  // NOLINT(google-explicit-constructor)
  /// Any wire name (a known one maps to its `Role`). The client sends it verbatim; it refuses
  /// names that are not lowercase words (`[a-z_]+`) before sending.
  static RoleName fromWire(std::string name) {
    RoleName r;
    r.known_ = roleFromWire(name);
    r.wire_ = std::move(name);
    return r;
  }

  /// The name as sent and received.
  const std::string& wire() const noexcept { return wire_; }
  /// The role, when this version knows the name.
  std::optional<Role> known() const noexcept { return known_; }

  /// Same wire name.
  friend bool operator==(const RoleName& a, const RoleName& b) { return a.wire_ == b.wire_; }
  /// Different wire names.
  friend bool operator!=(const RoleName& a, const RoleName& b) { return !(a == b); }

 private:
  RoleName() = default;
  std::string wire_;
  std::optional<Role> known_;
};

/// A role's wire form: a non-empty lowercase word (`[a-z_]+`), as Meta names roles and may add
/// more; the client refuses anything else before sending.
constexpr bool isRoleName(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

/// A `phone_number_id`: one or more ASCII digits.
constexpr bool isPhoneNumberId(std::string_view id) noexcept {
  if (id.empty()) return false;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

/// Digits with an optional leading `+`: a phone number or `wa_id`, sent in `to`.
constexpr bool isPhoneUserId(std::string_view id) noexcept {
  if (!id.empty() && id.front() == '+') id.remove_prefix(1);
  return isPhoneNumberId(id);
}

/// A business-scoped user id (BSUID), sent in `recipient` (whatsapp.md §2): two capital letters
/// and a dot, optionally "ENT." (the parent form), then 1 to 128 letters or digits, e.g.
/// "US.13491208655302741".
constexpr bool isBusinessScopedUserId(std::string_view id) noexcept {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto alnum = [&](char c) { return upper(c) || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.size() < 4 || !upper(id[0]) || !upper(id[1]) || id[2] != '.') return false;
  id.remove_prefix(3);
  // "ENT.x" is the parent form; "ENT" alone (or "ENTx") is an ordinary id.
  if (id.size() > 4 && id.substr(0, 4) == "ENT.") id.remove_prefix(4);
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!alnum(c)) return false;
  }
  return true;
}

/// Which body key names the user: Meta takes exactly one of them.
enum class UserField {
  kTo,         ///< `to`: a phone number or `wa_id`, sent as given (`+` kept).
  kRecipient,  ///< `recipient`: a business-scoped user id, sent verbatim.
};

/// The user a WhatsApp call addresses. The request type makes the choice of key explicit;
/// `fromId` picks it from an id string as webhooks carry it.
class User {
 public:
  /// No user: the client refuses it (kInvalidArgument).
  User() = default;
  /// A phone number or `wa_id`, for `to`.
  static User phone(std::string number) { return User(UserField::kTo, std::move(number)); }
  /// A business-scoped user id, for `recipient`.
  static User businessScoped(std::string bsuid) {
    return User(UserField::kRecipient, std::move(bsuid));
  }
  /// `phone` for digits with an optional leading `+`, `businessScoped` for a BSUID; nullopt for
  /// anything else.
  static std::optional<User> fromId(std::string id) {
    if (isPhoneUserId(id)) return phone(std::move(id));
    if (isBusinessScopedUserId(id)) return businessScoped(std::move(id));
    return std::nullopt;
  }

  /// Which body key the id goes in.
  UserField field() const noexcept { return field_; }
  /// "to" or "recipient".
  const char* wireKey() const noexcept { return field_ == UserField::kTo ? "to" : "recipient"; }
  /// The id as it will be sent.
  const std::string& id() const noexcept { return id_; }
  /// The id has the shape its key requires.
  bool valid() const noexcept {
    return field_ == UserField::kTo ? isPhoneUserId(id_) : isBusinessScopedUserId(id_);
  }

 private:
  User(UserField field, std::string id) : field_(field), id_(std::move(id)) {}
  UserField field_ = UserField::kTo;
  std::string id_;
};

/// Longest `metadata` a thread-control call may carry, in Unicode code points.
inline constexpr std::size_t kMaxMetadataCodePoints = 2000;

/// Meta's error subcode (also seen as the code) for a `take` by a responder that is not the
/// escalation partner (whatsapp.md §6).
inline constexpr int kTakeNotPermittedCode = 2494191;
/// A call action by a responder that is not the Call primary (whatsapp.md §6).
inline constexpr int kNotCallPrimaryCode = 138038;

}  // namespace wa
HANDOVER_END_NAMESPACE
