#pragma once
// The emulator's rule core: pages, apps, threads and what each era allows. Pure and synchronous
// (no I/O, no threads, injectable clock) so every rule is a plain unit test. The HTTP layer
// authenticates, parses and serialises; this class decides and produces webhook events.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "handover/core/result.hpp"
#include "handover/emulator/config.hpp"
#include "handover/emulator/emulator.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

/// One webhook event for one app, ready to be put in an envelope.
struct Outgoing {
  std::string app_id;
  std::string page_id;
  bool standby = false;    ///< Goes under entry[].standby instead of entry[].messaging.
  bool instagram = false;  ///< Envelope "object": "instagram" instead of "page".
  /// Envelope "object": "whatsapp_business_account"; `page_id` is then the WABA id (the entry's
  /// id), `event_json` a change's `value` and `field` its `field`.
  bool whatsapp = false;
  std::string field;
  std::int64_t timestamp = 0;
  std::string event_json;        ///< One messaging/standby item.
  std::string hop_context_json;  ///< The entry's `hop_context` array (Lead-Gen passes), raw.
};

/// One change of a thread's owner, for the inspector's ownership strip.
struct OwnershipChange {
  std::int64_t time_ms = 0;
  std::string owner;  ///< The app in control after it; empty: idle (legacy: the Primary).
  std::string cause;  ///< "pass", "take", "request", "release", "extend", "expired", ...
  std::optional<std::int64_t> expiration_ms;  ///< When that control lapses, if it does.
};

/// One line of the conversation as the person sees it.
struct ChatLine {
  std::int64_t time_ms = 0;
  std::string from;  ///< "user", or the app id that sent it (an inbox id for a human).
  std::string kind;  ///< "text", "quick_reply", "postback" or "attachment".
  std::string text;
  std::string mid;
  std::string persona_name;        ///< The persona the app spoke as, when it did.
  std::string quick_replies_json;  ///< The app's `message.quick_replies` array, raw.
  std::string attachment_json;     ///< The app's `message.attachment`, raw.
};

inline ChatLine chatLine(std::int64_t time_ms, std::string from, std::string kind, std::string text,
                         std::string mid) {
  ChatLine line;
  line.time_ms = time_ms;
  line.from = std::move(from);
  line.kind = std::move(kind);
  line.text = std::move(text);
  line.mid = std::move(mid);
  return line;
}

/// A thread as the inspector shows it.
struct ConversationView {
  std::string page_id;
  std::string user_id;
  std::string owner;  ///< Now (legacy: the Primary when nobody else holds it).
  std::optional<std::int64_t> expiration_ms;
  const std::vector<OwnershipChange>* history = nullptr;
  const std::vector<ChatLine>* chat = nullptr;
  std::uint64_t history_dropped = 0;  ///< Older ownership changes dropped past the cap.
  std::uint64_t chat_dropped = 0;     ///< Older chat lines dropped past the cap.
};

/// Who is calling: the app behind the token and the page the path names.
struct Caller {
  std::string app_id;
  std::string page_id;
};

/// Send API input, already parsed.
struct SendInput {
  std::string recipient;
  std::string text;             ///< Empty with an attachment or a sender action.
  std::string attachment_json;  ///< The raw `message.attachment` object, when given.
  std::string sender_action;    ///< Non-empty: a sender action, no message.
  std::string persona_id;
  std::string metadata;
  std::string quick_replies_json;  ///< The raw `message.quick_replies` array, when given.
  bool has_thread_control = false;
  std::string control_type;  ///< "pass", "release" or empty (= release, CR-M).
  std::string control_app_id;
};

/// A WhatsApp `thread_control` call, already parsed (whatsapp.md §2).
struct WaControlInput {
  std::string user;    ///< `to` or `recipient`, as sent.
  std::string action;  ///< "pass", "take" or "release".
  std::string metadata;
  std::optional<std::string> target_role;  ///< `control_pass.target_role`; pass only.
};

/// A WhatsApp `messages` send, already parsed.
struct WaSendInput {
  std::string user;  ///< `to` or `recipient`, as sent.
  std::string type;  ///< "text", "template"...
  std::string text;  ///< `text.body` for "text".
};

/// What `thread_owner` discloses.
struct OwnerView {
  std::optional<std::string> app_id;
  std::optional<std::int64_t> expiration;  ///< Epoch seconds.
};

struct PersonaRecord {
  std::string id;
  std::string page_id;
  std::string name;
  std::string profile_picture_url;
};

class World {
 public:
  World(Config config, std::function<std::int64_t()> now_ms);

  const Config& config() const noexcept { return config_; }
  const AppConfig* app(const std::string& app_id) const;
  const PageConfig* page(const std::string& page_id) const;
  std::int64_t nowMs() const { return now_ms_(); }

  /// Token (+ proof) to caller; `page_ref` is a page id or "me".
  Result<Caller> authenticate(const std::string& token, const std::optional<std::string>& proof,
                              const std::string& page_ref) const;

  // --- Graph calls (caller already authenticated) ---------------------------------------------
  Result<void> pass(const Caller& c, const std::string& user, const std::string& target,
                    const std::string& metadata);
  Result<void> take(const Caller& c, const std::string& user, const std::string& metadata);
  Result<void> request(const Caller& c, const std::string& user, const std::string& metadata);
  Result<void> release(const Caller& c, const std::string& user);
  Result<void> extend(const Caller& c, const std::string& user, std::int64_t duration_s);
  Result<OwnerView> threadOwner(const Caller& c, const std::string& user);
  Result<std::vector<const AppConfig*>> secondaryReceivers(const Caller& c) const;
  Result<InjectedEvent> send(const Caller& c, const SendInput& in);
  PersonaRecord createPersona(const Caller& c, std::string name, std::string picture);
  const PersonaRecord* persona(const std::string& id) const;
  std::vector<const PersonaRecord*> personas(const std::string& page_id) const;
  bool deletePersona(const Caller& c, const std::string& id);

  // --- control --------------------------------------------------------------------------------
  Result<InjectedEvent> userMessage(const UserMessage& m);
  Result<InjectedEvent> userPostback(const std::string& page_id, const std::string& user,
                                     const std::string& title, const std::string& payload);
  Result<InjectedEvent> userRead(const std::string& page_id, const std::string& user);
  Result<InjectedEvent> inboxReply(const std::string& page_id, const std::string& user,
                                   const std::string& text);
  Result<void> inboxMove(const std::string& page_id, const std::string& user, InboxFolder f);
  Result<void> setRole(const std::string& page_id, const std::string& app_id, Role role);
  Result<void> setDefaultApp(const std::string& page_id, const std::string& app_id);
  Result<ThreadState> threadState(const std::string& page_id, const std::string& user);
  /// The owner now ("" when idle or the page is unknown), without touching the thread.
  std::string ownerNow(const std::string& page_id, const std::string& user) const;
  /// The threads changed after `since` (a version(); 0 means every thread) or whose owner
  /// lapsed with time after `since_ms`, with their chat and ownership history (valid until the
  /// world changes). Lets the inspector fetch only what changed between two polls.
  std::vector<ConversationView> conversations(std::uint64_t since = 0,
                                              std::int64_t since_ms = 0) const;
  /// Grows with every change conversations() would show.
  std::uint64_t version() const noexcept { return version_; }

  /// New conversations on these pages arrive through a Lead-Gen ad (faults.hpp).
  void setLeadGen(std::vector<LeadGenRouting> routes) { lead_gen_ = std::move(routes); }
  const std::vector<LeadGenRouting>& leadGen() const noexcept { return lead_gen_; }
  /// The Lead-Gen app (413038776280800) owned the thread for the ad's form and passes it to
  /// `target` with `messenger_lead_gen_complete` (or `_incomplete`); the entry of that pass
  /// carries `hop_context` (LEAD, protocol.md §4.6).
  Result<void> leadGenPass(const std::string& page_id, const std::string& user,
                           const std::string& target, bool complete);

  /// The newest event timestamp handed out (they strictly increase): the events an action
  /// produces are stamped after its value before the action.
  std::int64_t lastStamp() const noexcept { return last_stamp_; }

  /// Message ids are PREFIX + a counter ("m_emu_" by default). An emulator gives each world its
  /// own prefix: an app that outlives one emulator run must not take the next run's messages
  /// for redeliveries of the last one's.
  void setMidPrefix(std::string prefix) { mid_prefix_ = std::move(prefix); }

  /// Events produced since the last call, in production order.
  std::vector<Outgoing> drainOutbox();

  // --- WhatsApp numbers (whatsapp_rules.cpp; whatsapp.md) -----------------------------------
  // A number is addressed by its phone_number_id wherever a page id goes: authenticate,
  // userMessage, threadState, ownerNow, conversations.

  const WhatsAppNumberConfig* number(const std::string& id) const;
  /// A user's message to a number through `entry_point`.
  Result<InjectedEvent> waUserMessage(const UserMessage& m, const std::string& entry_point);
  /// `thread_control`: the request id on success.
  Result<std::string> waThreadControl(const Caller& c, const WaControlInput& in);
  /// `messages`: the new wamid on success.
  Result<std::string> waSend(const Caller& c, const WaSendInput& in);

  Role roleOf(const std::string& page_id, const std::string& app_id) const;
  bool installed(const std::string& page_id, const std::string& app_id) const;

 private:
  // What a thread keeps for the inspector: the newest kThreadLogCap of each log, how many older
  // ones were dropped, and the world version of its last change.
  struct ThreadLog {
    std::vector<OwnershipChange> history;
    std::vector<ChatLine> chat;
    std::uint64_t history_dropped = 0;
    std::uint64_t chat_dropped = 0;
    std::uint64_t version = 0;
  };
  static constexpr std::size_t kThreadLogCap = 500;
  struct Thread : ThreadLog {
    // Legacy: empty means "the Primary Receiver" (the default owner, whoever it is now).
    // Routing: empty means idle.
    std::string owner;
    std::optional<std::int64_t> expiration_ms;
  };
  struct PageState {
    PageConfig cfg;
    std::vector<std::string> apps;  // installed, config order, inboxes included
    std::map<std::string, Role> roles;
    std::map<std::string, Thread> threads;
  };

  // One WhatsApp thread: the owner ("" idle), the entry point it came through, and the times
  // its 24 h of inactivity count from (whatsapp.md §2).
  struct WaThread : ThreadLog {
    std::string owner;
    std::string entry_point = "default";
    std::int64_t last_user_ms = 0;
    std::int64_t last_transition_ms = 0;
  };
  struct NumberState {
    WhatsAppNumberConfig cfg;
    std::map<std::string, WaThread> threads;
  };
  static constexpr std::int64_t kWaIdleMs = 24LL * 60 * 60 * 1000;
  NumberState* numberState(const std::string& id);
  const NumberState* numberState(const std::string& id) const;
  WaThread& waThread(NumberState& n, const std::string& user);  // applies the 24 h idle first
  void waSetOwner(NumberState& n, WaThread& t, const std::string& app_id, const char* cause);
  std::string waRoleOf(const NumberState& n, const WaThread& t, const std::string& app) const;
  void waEmit(const NumberState& n, const std::string& app_id, const char* field,
              std::string value_json, std::int64_t ts);
  std::string waMetadataJson(const NumberState& n) const;
  void waHandoverEvent(const NumberState& n, const std::string& app_id, const std::string& user,
                       const char* type, const std::string& previous, const std::string& role_from,
                       const std::string& role_to, const std::string& metadata);
  Result<InjectedEvent> waUserMessage(NumberState& n, const UserMessage& m,
                                      const std::string& entry_point);
  std::string waOwnerNow(const NumberState& n, const std::string& user) const;
  Result<std::string> waPass(NumberState& n, WaThread& t, const Caller& c,
                             const WaControlInput& in);
  void waCopyToStandby(const NumberState& n, const std::string& except, const std::string& items,
                       std::int64_t ts);

  PageState* pageState(const std::string& page_id);
  const PageState* pageState(const std::string& page_id) const;
  Thread& thread(PageState& p, const std::string& user);  // applies expiry first
  std::string primaryOf(const PageState& p) const;
  std::string effectiveOwner(const PageState& p, const Thread& t) const;
  void setOwner(PageState& p, Thread& t, const std::string& app_id, const char* cause);
  void noteOwnership(PageState& p, Thread& t, const char* cause, std::int64_t at);
  void noteHistory(ThreadLog& t, OwnershipChange change);
  void noteChat(ThreadLog& t, ChatLine line);
  void noteChange(ThreadLog& t) { t.version = ++version_; }
  ConversationView viewOf(const std::string& id, const std::string& user, const ThreadLog& t) const;
  void touch(PageState& p, Thread& t);
  std::int64_t stamp();
  std::string newMid();

  bool subscribed(const std::string& app_id, std::string_view field) const;
  // Delivers a user-side or echo event: `messaging` to the apps that answer the thread,
  // `standby` to the others. `standby_json` empty means the same body as `messaging_json`.
  void fanOut(PageState& p, Thread& t, std::string_view field, const std::string& messaging_json,
              const std::string& standby_json, std::int64_t ts);
  void handoverEvent(PageState& p, const std::string& app_id, const std::string& json,
                     std::int64_t ts, const std::string& hop_context_json = {});
  void passEvents(PageState& p, const std::string& user, const std::string& previous,
                  const std::string& next, const std::string& metadata,
                  const std::string& hop_context_json = {});
  // A first message on a Lead-Gen page: the ad's pass comes before it.
  void leadGenArrival(PageState& p, const std::string& user);
  void takeEvent(PageState& p, const std::string& user, const std::string& previous,
                 const std::string& next, const std::string& metadata);
  Result<void> checkLegacyRole(const PageState& p, const std::string& app_id) const;
  Result<void> applyPass(PageState& p, Thread& t, const std::string& caller,
                         const std::string& user, std::string target, const std::string& metadata,
                         bool dry_run);
  std::string echoJson(const PageState& p, const std::string& user, const std::string& app_id,
                       const std::string& mid, std::int64_t ts, const std::string& text,
                       const std::string& attachment_json, const std::string& metadata) const;

  Config config_;
  std::function<std::int64_t()> now_ms_;
  std::map<std::string, PageState> pages_;
  std::map<std::string, NumberState> numbers_;
  std::map<std::string, AppConfig> apps_;
  std::map<std::string, PersonaRecord> personas_;
  std::vector<Outgoing> outbox_;
  std::vector<LeadGenRouting> lead_gen_;
  std::int64_t last_stamp_ = 0;
  std::uint64_t version_ = 0;
  std::uint64_t everything_changed_at_ = 0;  // a role or default app: every owner may differ
  std::uint64_t next_mid_ = 1;
  std::string mid_prefix_ = "m_emu_";
  std::uint64_t next_persona_ = 1;
  std::uint64_t next_request_ = 1;
};

/// Graph error builders (protocol.md §3), shared with the HTTP layer.
Error graphError(int code, int subcode, std::string message, int http_status = 400);

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
