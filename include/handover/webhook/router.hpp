#pragma once
/// @file
/// `Router`: handlers per event kind, run in order over a parsed `Batch`.
///
/// @code
///   handover::webhook::Router router;
///   router.onMessage([](auto& ctx, const auto& msg) {
///     if (msg.text == "agent") return ctx.passThreadControlToInbox("escalate");
///     return handover::Result<void>{};
///   });
///   router.onStandby([](auto& ctx, const auto&) { /* a human has the thread */ });
///   auto report = router.dispatch(batch, client);
/// @endcode
///
/// Thread-safety: register handlers first; `dispatch` is then const and may run concurrently.

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/client/client.hpp"
#include "handover/client/client_resolver.hpp"
#include "handover/core/result.hpp"
#include "handover/webhook/context.hpp"
#include "handover/webhook/events.hpp"
#include "handover/webhook/whatsapp_context.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// Which deliveries a handler wants.
enum class Source {
  kMessaging,  ///< `messaging[]` only: this app owns the thread (or it is idle).
  kStandby,    ///< `standby[]` only: another app owns the thread.
  kAny,        ///< Both.
};

/// A handler of any event. Returning an error reports it; throwing does too.
using EventHandler = std::function<Result<void>(Context&, const Event&)>;

/// Picks the client for an entry (its `page_id` and platform); nullopt skips the entry's
/// events and reports them. The client layer's one resolver (handover/client/client_resolver.hpp).
using ClientResolver = handover::ClientResolver;

/// A handler that failed, or an event that could not be parsed.
struct DispatchFailure {
  std::optional<std::size_t> event_index;  ///< Index in `Batch::events`; none: a parse error.
  std::optional<EventKind> kind;           ///< The event's kind; none for a parse error.
  std::string message;  ///< The handler's `Error::toString()`, exception text, or cause.
};

/// What `dispatch` did.
struct DispatchReport {
  std::size_t events = 0;                 ///< Events in the batch.
  std::size_t handled = 0;                ///< Events at least one handler ran for.
  std::size_t unhandled = 0;              ///< Events no handler matched.
  std::vector<DispatchFailure> failures;  ///< Handler errors/exceptions and `Batch::errors`.
  /// No failure: every handler succeeded and every event was readable.
  bool ok() const noexcept { return failures.empty(); }
};

/// Routes each event of a `Batch` to the handlers registered for its kind and source.
///
/// Handlers are callables `f(Context&, const Event&)` (or `f(Context&, const T&)` for the typed
/// `onMessage`...) returning void or `Result<void>`. For each event, every matching handler
/// runs, in registration order, then the `onAny` ones. A handler's error or exception is
/// reported in the `DispatchReport` (and to `onFailure`) and never stops the batch.
///
/// Thread-safety: register handlers first, from one thread; `dispatch` is then const and may
/// run concurrently from any number of threads.
class HANDOVER_EXPORT Router {
 public:
  /// Runs `handler` for events of `kind` from `source`, after earlier registrations.
  Router& on(EventKind kind, EventHandler handler, Source source = Source::kMessaging);
  /// Same, for any callable `f(Context&, const Event&)` returning void or `Result<void>`.
  template <typename F>
  Router& on(EventKind kind, F f, Source source = Source::kMessaging) {
    return on(kind, untyped(std::move(f)), source);
  }

  /// Every standby event, whatever its kind (in addition to `Source::kStandby` handlers).
  template <typename F>
  Router& onStandby(F f) {
    return add(Route{std::nullopt, Source::kStandby, untyped(std::move(f))}, false);
  }
  /// Every `Unknown` event, from either source.
  template <typename F>
  Router& onUnknown(F f) {
    return on(EventKind::kUnknown, untyped(std::move(f)), Source::kAny);
  }
  /// Every event, from either source, after the specific handlers.
  template <typename F>
  Router& onAny(F f) {
    return add(Route{std::nullopt, Source::kAny, untyped(std::move(f))}, true);
  }
  /// Called for each failure as it happens (also collected in the report). An `Endpoint`
  /// whose router has one leaves handler failures to it (no second `kHandlerFailed` line).
  Router& onFailure(std::function<void(const DispatchFailure&)> observer);
  /// Whether `onFailure` was given an observer.
  bool reportsFailures() const noexcept { return static_cast<bool>(observer_); }

  // Typed registration: `f(Context&, const T&)` returning void or `Result<void>`.

  /// `f(Context&, const Message&)` for user messages; `messaging[]` only by default.
  template <typename F>
  Router& onMessage(F f, Source s = Source::kMessaging) {
    return on(EventKind::kMessage, typed<Message>(std::move(f)), s);
  }
  /// `f(Context&, const Echo&)` for echoes of the Page's own messages (an app's or a human's;
  /// see `Context::isOwnEcho`). Echoes in a thread this app does not own may arrive on `standby`.
  template <typename F>
  Router& onEcho(F f, Source s = Source::kMessaging) {
    return on(EventKind::kEcho, typed<Echo>(std::move(f)), s);
  }
  /// `f(Context&, const Read&)` for read receipts.
  template <typename F>
  Router& onRead(F f, Source s = Source::kMessaging) {
    return on(EventKind::kRead, typed<Read>(std::move(f)), s);
  }
  /// `f(Context&, const Delivery&)` for delivery receipts.
  template <typename F>
  Router& onDelivery(F f, Source s = Source::kMessaging) {
    return on(EventKind::kDelivery, typed<Delivery>(std::move(f)), s);
  }
  /// `f(Context&, const Postback&)` for button taps (standby copies carry no payload).
  template <typename F>
  Router& onPostback(F f, Source s = Source::kMessaging) {
    return on(EventKind::kPostback, typed<Postback>(std::move(f)), s);
  }
  /// `f(Context&, const PassThreadControl&)` when control is passed; both sources by default.
  template <typename F>
  Router& onPassThreadControl(F f, Source s = Source::kAny) {
    return on(EventKind::kPassThreadControl, typed<PassThreadControl>(std::move(f)), s);
  }
  /// `f(Context&, const TakeThreadControl&)` when another app took the thread from this one.
  template <typename F>
  Router& onTakeThreadControl(F f, Source s = Source::kAny) {
    return on(EventKind::kTakeThreadControl, typed<TakeThreadControl>(std::move(f)), s);
  }
  /// `f(Context&, const RequestThreadControl&)` when another app asks this owner for control.
  template <typename F>
  Router& onRequestThreadControl(F f, Source s = Source::kAny) {
    return on(EventKind::kRequestThreadControl, typed<RequestThreadControl>(std::move(f)), s);
  }
  /// `f(Context&, const AppRoles&)` on legacy role changes. The event has no user:
  /// `Context::userId()` is empty, so calls on the context fail with kInvalidArgument.
  template <typename F>
  Router& onAppRoles(F f, Source s = Source::kAny) {
    return on(EventKind::kAppRoles, typed<AppRoles>(std::move(f)), s);
  }
  /// `f(Context&, const Reaction&)`: the user reacted to (or unreacted) a message.
  template <typename F>
  Router& onReaction(F f, Source s = Source::kMessaging) {
    return on(EventKind::kReaction, typed<Reaction>(std::move(f)), s);
  }
  /// `f(Context&, const Referral&)`: an m.me link, ad or chat plugin led the user here; route
  /// the conversation on `ref` or `ad_id`.
  template <typename F>
  Router& onReferral(F f, Source s = Source::kMessaging) {
    return on(EventKind::kReferral, typed<Referral>(std::move(f)), s);
  }
  /// `f(Context&, const Optin&)`: a plugin or notification opt-in.
  template <typename F>
  Router& onOptin(F f, Source s = Source::kMessaging) {
    return on(EventKind::kOptin, typed<Optin>(std::move(f)), s);
  }
  /// `f(Context&, const MessageEdit&)`: the user edited a message.
  template <typename F>
  Router& onMessageEdit(F f, Source s = Source::kMessaging) {
    return on(EventKind::kMessageEdit, typed<MessageEdit>(std::move(f)), s);
  }

  // WhatsApp: `f(WhatsAppContext&, const T&)` returning void or `Result<void>`.

  /// `f(WhatsAppContext&, const WhatsAppMessage&)` for a user's WhatsApp message (any `type`);
  /// the owner's deliveries only by default (a standby partner must not reply).
  template <typename F>
  Router& onWhatsAppMessage(F f, Source s = Source::kMessaging) {
    return on(EventKind::kWhatsAppMessage, typed<WhatsAppMessage, WhatsAppContext>(std::move(f)),
              s);
  }
  /// `f(WhatsAppContext&, const WhatsAppEcho&)`: another responder sent on the number (standby).
  template <typename F>
  Router& onWhatsAppEcho(F f, Source s = Source::kAny) {
    return on(EventKind::kWhatsAppEcho, typed<WhatsAppEcho, WhatsAppContext>(std::move(f)), s);
  }
  /// `f(WhatsAppContext&, const WhatsAppStatus&)`: sent, delivered, read, failed.
  template <typename F>
  Router& onWhatsAppStatus(F f, Source s = Source::kAny) {
    return on(EventKind::kWhatsAppStatus, typed<WhatsAppStatus, WhatsAppContext>(std::move(f)), s);
  }
  /// `f(WhatsAppContext&, const ControlPassed&)`: the thread was passed to this app.
  template <typename F>
  Router& onControlPassed(F f, Source s = Source::kAny) {
    return on(EventKind::kControlPassed, typed<ControlPassed, WhatsAppContext>(std::move(f)), s);
  }
  /// `f(WhatsAppContext&, const ControlTaken&)`: the escalation partner took the thread.
  template <typename F>
  Router& onControlTaken(F f, Source s = Source::kAny) {
    return on(EventKind::kControlTaken, typed<ControlTaken, WhatsAppContext>(std::move(f)), s);
  }

  /// Runs the handlers for every event in order, each with a `Context` over `client`.
  /// A failing handler is reported and the rest of the batch still runs. `observer` (a
  /// `tracker::ThreadTracker`, say) learns the thread-control calls the contexts made.
  DispatchReport dispatch(const Batch& batch, const Client& client,
                          CallObserver* observer = nullptr) const;
  /// Same, with the client chosen per entry (multi-Page apps).
  DispatchReport dispatch(const Batch& batch, const ClientResolver& resolver,
                          CallObserver* observer = nullptr) const;

 private:
  struct Route {
    std::optional<EventKind> kind;  // none: any kind
    Source source;
    EventHandler handler;
  };

  template <typename F>
  static EventHandler untyped(F f) {
    if constexpr (std::is_convertible_v<F, EventHandler> &&
                  !std::is_void_v<std::invoke_result_t<F&, Context&, const Event&>>) {
      return EventHandler(std::move(f));
    } else {
      return [f = std::move(f)](Context& ctx, const Event& e) mutable -> Result<void> {
        f(ctx, e);
        return {};
      };
    }
  }

  // A handler of one payload type, called with the context type its platform wants: `Context`,
  // or the `WhatsAppContext` view of it.
  template <typename T, typename Ctx = Context, typename F>
  static EventHandler typed(F f) {
    return [f = std::move(f)](Context& ctx, const Event& e) mutable -> Result<void> {
      auto call = [&](Ctx& c) -> Result<void> {
        const T& payload = *e.get<T>();
        if constexpr (std::is_void_v<std::invoke_result_t<F&, Ctx&, const T&>>) {
          f(c, payload);
          return {};
        } else {
          return f(c, payload);
        }
      };
      if constexpr (std::is_same_v<Ctx, Context>) {
        return call(ctx);
      } else {
        Ctx view(ctx);
        return call(view);
      }
    };
  }

  Router& add(Route route, bool catch_all);
  static bool matches(const Route& r, const Event& e);
  void report(DispatchReport& report, DispatchFailure failure) const;

  std::vector<Route> routes_;     // per-kind, standby and unknown, in registration order
  std::vector<Route> catch_all_;  // onAny, after the rest
  std::function<void(const DispatchFailure&)> observer_;
};

}  // namespace webhook
HANDOVER_END_NAMESPACE
