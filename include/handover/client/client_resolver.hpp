#pragma once
/// @file
/// `ClientResolver`: which `Client` serves a Page, an Instagram account or a number. The one
/// answer to that question for the router, the endpoint and the tracker.

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "handover/client/client.hpp"
#include "handover/core/export.hpp"
#include "handover/core/types.hpp"

HANDOVER_BEGIN_NAMESPACE

/// Picks the client for an account (`entry.id`: a Page or an Instagram account) on a platform.
///
/// Made from one `Client` (it serves every account: its `app_id` is this app's id), or from a
/// function for an app serving several accounts, with the app's id given beside it: the
/// tracker tells this app's echoes and ownership from others' with it.
///
/// @code
///   handover::ClientResolver one(client);                      // one Page
///   handover::ClientResolver many(                              // a Page and an IG account
///       [&](const std::string& id, handover::Platform) { return clients.at(id); }, "4455");
/// @endcode
class ClientResolver {
 public:
  /// The function's signature: nullopt means "no client for this account".
  using Pick = std::function<std::optional<Client>(const std::string& account_id, Platform)>;

  /// Every account is served by `client`; the app id is `client.options().app_id`.
  ClientResolver(Client client)  // NOLINT(google-explicit-constructor): a Client is a resolver
      : app_id_(client.options().app_id),
        one_client_(true),
        pick_([client = std::move(client)](const std::string&, Platform) {
          return std::optional<Client>(client);
        }) {}

  /// Accounts are served by what `pick` returns; `app_id` is this app's id (the same for every
  /// client it returns).
  ClientResolver(Pick pick, std::string app_id)
      : app_id_(std::move(app_id)), pick_(std::move(pick)) {}

  /// A function alone: the app id stays empty, which a tracker refuses (say it with the
  /// two-argument form).
  template <typename F,
            typename = std::enable_if_t<
                std::is_invocable_r_v<std::optional<Client>, F&, const std::string&, Platform> &&
                !std::is_same_v<std::decay_t<F>, ClientResolver> &&
                !std::is_same_v<std::decay_t<F>, Client>>>
  ClientResolver(F pick)  // NOLINT(google-explicit-constructor): lambdas convert, as before
      : pick_(std::move(pick)) {}

  /// The client of `account_id` on `platform`, or nullopt. May throw what the function throws.
  std::optional<Client> operator()(const std::string& account_id, Platform platform) const {
    if (!pick_) return std::nullopt;
    return pick_(account_id, platform);
  }

  /// This app's id: the single client's `app_id`, or the one given with the function.
  const std::string& appId() const noexcept { return app_id_; }
  /// Made from one `Client`: the account and platform do not change the answer (a caller need
  /// not look them up first).
  bool servesEveryAccount() const noexcept { return one_client_; }

 private:
  std::string app_id_;
  bool one_client_ = false;
  Pick pick_;
};

HANDOVER_END_NAMESPACE
