#pragma once
/// @file
/// `Emulator`: a local Messenger Platform. Graph thread-control endpoints with each era's rules
/// and real error bodies, signed webhook delivery with retries, and a control API for tests.
///
/// @code
///   auto config = handover::emulator::loadConfigFile("examples/emulator/config.json").value();
///   handover::emulator::Emulator emu(std::move(config));
///   int port = emu.start("127.0.0.1", 0).value();
///   handover::ClientOptions opts;
///   opts.base_url = emu.baseUrl();  // "http://127.0.0.1:<port>"
///   opts.access_token = "bot-token";
///   emu.sendUserMessage({"1001", "6543210987654321", "hello"});
/// @endcode
///
/// HTTP surface: `/{version}/{page-id|me}/{pass,take,request,release,extend}_thread_control`,
/// `thread_owner`, `secondary_receivers`, `?fields=messaging_feature_status`, `messages`,
/// `personas`, `/{version}/{persona-id}`; control API under `/_emulator/...` (see README of the
/// emulator or `controlApiHelp()`).
///
/// Thread-safety: every method may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "handover/core/export.hpp"
#include "handover/core/result.hpp"
#include "handover/emulator/config.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

/// A user action to inject (message, postback or read receipt).
struct UserMessage {
  /// A page of the `Config`, or a WhatsApp number's `phone_number_id`; an unknown one is an
  /// error.
  std::string page_id;
  std::string user_id;              ///< PSID or IGSID; any string.
  std::string text;                 ///< The message text; required.
  std::string quick_reply_payload;  ///< Empty: not a quick reply.
};

/// What an injected or sent message became.
struct InjectedEvent {
  std::string mid;        ///< Message id ("m_emu_..."); empty for reads.
  Timestamp timestamp{};  ///< Emulator clock.
};

/// Where an app's webhook subscription stands. With a `verify_token` in its config the emulator
/// performs Meta's verification handshake (a GET that must be answered 200 with
/// `hub.challenge`) before it delivers anything, as Meta does when an app subscribes.
enum class WebhookSubscription {
  kNoHandshake,  ///< No `verify_token` in the config: delivered without a handshake.
  kPending,      ///< Not answered yet (the server may not be up): asked again before delivery.
  kVerified,     ///< Answered 200 with the challenge: deliveries go out.
  kRefused,      ///< Answered wrong: nothing is delivered to it until it is verified again.
};

/// One app's subscription, as `verifyWebhooks` reports it.
struct WebhookSubscriptionState {
  std::string app_id;           ///< The app.
  WebhookSubscription state{};  ///< Where its subscription stands.
};

/// Page Inbox folders a human can move a thread to.
enum class InboxFolder {
  kMain,  ///< The inbox takes control (CR-M: "move a message to the Main folder").
  kDone,  ///< The inbox gives control back (primary receiver / default app / idle).
};

/// The true state of one conversation, regardless of what `thread_owner` would disclose.
struct ThreadState {
  std::string owner_app_id;                ///< Empty when the thread is idle.
  std::optional<EpochSeconds> expiration;  ///< When control expires.
};

/// The emulator. Construct from a validated `Config`, then `start()`.
class HANDOVER_EMULATOR_EXPORT Emulator {
 public:
  /// Builds the world; throws `handover::Exception` when `config` is invalid.
  explicit Emulator(Config config);
  /// Stops the server and delivery workers.
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  /// Parses, validates and builds from JSON text.
  static Result<std::unique_ptr<Emulator>> fromJson(std::string_view json);
  /// Reads a JSON config file and builds.
  static Result<std::unique_ptr<Emulator>> fromFile(const std::string& path);

  /// Binds `host:port` (port 0: any free port), serves in a background thread and starts the
  /// webhook delivery workers. Returns the bound port.
  Result<int> start(const std::string& host = "127.0.0.1", int port = 0);
  /// Blocks until `stop()` is called (from another thread or a signal handler's helper).
  void wait();
  /// Stops serving and delivering; pending deliveries are abandoned. Idempotent.
  void stop();
  /// Where the emulator says what needs a person's eye, one line at a time: a webhook
  /// verification that failed, a delivery that starts failing (with its status) or works again,
  /// a batch dropped. `handover emulator` prints these on stderr. Default: nowhere (the
  /// timeline has them all). Called from delivery threads; set it before `start()`.
  void setConsole(std::function<void(const std::string&)> sink);
  /// The bound port, 0 before `start()`.
  int port() const noexcept;
  /// "http://<host>:<port>", for `ClientOptions::base_url`.
  std::string baseUrl() const;
  /// The token the control API (`/_emulator/...`) requires as `X-Handover-Emulator-Token` when
  /// started on an address beyond loopback (0.0.0.0, a LAN address); empty on loopback, where
  /// the Host check and same-origin JSON rule keep web pages out. A secret: do not log it.
  std::string controlToken() const;

  // --- control: the user's side -------------------------------------------------------------

  /// The user sends a text message (or quick reply): `messaging` to the owner, `standby` to
  /// the others.
  Result<InjectedEvent> sendUserMessage(const UserMessage& message);
  /// A WhatsApp user writes to the number `phone_number_id` through `entry_point` ("default",
  /// or "ctwa" for a click-to-WhatsApp ad, which re-routes the thread to that entry point's
  /// primary): `messages` to the owner (the entry point's primary when the thread is idle),
  /// `standby` copies to the apps with standby visibility. `sendUserMessage` with the number's
  /// id as `page_id` does the same through the default entry point.
  Result<InjectedEvent> sendWhatsAppMessage(const std::string& phone_number_id,
                                            const std::string& user_id, const std::string& text,
                                            const std::string& entry_point = "default");
  /// The user taps a button; standby copies carry no payload (SB, PB).
  Result<InjectedEvent> sendUserPostback(const std::string& page_id, const std::string& user_id,
                                         const std::string& title, const std::string& payload);
  /// The user reads the thread (watermark = now).
  Result<InjectedEvent> sendUserRead(const std::string& page_id, const std::string& user_id);

  // --- control: a human in the Page Inbox (or Instagram Inbox) --------------------------------

  /// A human replies from the inbox: an echo with the inbox's app id; the inbox takes control
  /// when it did not have it (CR-M).
  Result<InjectedEvent> inboxReply(const std::string& page_id, const std::string& user_id,
                                   const std::string& text);
  /// A human moves the thread to Main (inbox takes control) or Done (control goes back).
  Result<void> inboxMove(const std::string& page_id, const std::string& user_id,
                         InboxFolder folder);

  // --- control: the Page admin and the clock ---------------------------------------------------

  /// Changes an app's legacy role on a page; affected apps get `app_roles` events.
  Result<void> setRole(const std::string& page_id, const std::string& app_id, Role role);
  /// Sets (or with "" unsets) a routing page's default app.
  Result<void> setDefaultApp(const std::string& page_id, const std::string& app_id);
  /// Moves the emulator clock forward (expiry of control is judged on this clock). An invalid
  /// argument error, and no change, for a negative `by`, one above 100 years, or one that
  /// would carry the clock past 9999-12-31.
  Result<void> advanceClock(std::chrono::seconds by);
  /// The emulator clock.
  Timestamp now() const;

  // --- control: webhook subscriptions ----------------------------------------------------------

  /// Performs the verification handshake again for `app_id` (empty: every app with a
  /// `verify_token`) and waits for the answers (up to the delivery timeout). An invalid argument
  /// error for an app with no webhook or no `verify_token`.
  Result<std::vector<WebhookSubscriptionState>> verifyWebhooks(const std::string& app_id = {});

  // --- faults (handover/emulator/faults.hpp) ---------------------------------------------------

  /// Replaces every injected fault (a default `Faults{}` switches them off); an invalid
  /// argument error, and no change, when one names a page or app the world lacks.
  Result<void> setFaults(const Faults& faults);
  /// The faults now in force (a Graph fault's `count` is what is left of it).
  Faults faults() const;
  /// A Lead-Gen ad hands the conversation to `target_app_id`: the pass event's entry carries
  /// `hop_context`, its metadata is `messenger_lead_gen_complete` (or `_incomplete`).
  Result<void> leadGenPass(const std::string& page_id, const std::string& user_id,
                           const std::string& target_app_id, bool complete = true);

  // --- inspection -------------------------------------------------------------------------------

  /// Owner and expiration of a conversation (error when the page is unknown).
  Result<ThreadState> threadState(const std::string& page_id, const std::string& user_id) const;
  /// Every Graph request, control action and webhook delivery attempt so far, as a JSON array
  /// (`{"seq","time","kind",...}`). Secrets are never recorded.
  std::string timelineJson() const;
  /// Waits until every queued webhook event is delivered or dropped; false on timeout.
  bool waitForDeliveries(std::chrono::milliseconds timeout);
  /// Events waiting for delivery to `app_id` (in flight included).
  std::size_t pendingDeliveries(const std::string& app_id) const;

  /// A one-screen description of the HTTP control API.
  static const char* controlApiHelp() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emulator
HANDOVER_END_NAMESPACE
