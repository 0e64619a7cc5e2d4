// bili_qr.hpp -- header-only C++17 wrapper over the bili_qr C ABI (version 3 or newer).
//
// Everything here goes through the functions declared in "bili_qr.h"; nothing else of the library is used.
// The caller never sees a char* owned by the library: every string the library hands out is held in a
// std::unique_ptr whose deleter is bili_qr_free (which zeroes the bytes), and copied into std::string /
// parsed with nlohmann::json before the pointer is released, on success and on every error path.
//
// Errors are exceptions: bili_qr::Error (a std::runtime_error) carries the library's status code
// (BILI_QR_ERR_*) and its one-line message. Every call goes through the C ABI's `_ex` function, which hands the
// message out with the result (char **out_error), so the message is right whatever thread ran the call
// (std::async, a thread pool) and wherever the exception is caught. A wait that ends because the ticket
// expired throws bili_qr::ExpiredError; one that was cancelled throws bili_qr::CancelledError.
//
// Before the first call into the library the wrapper checks that the loaded library serves the ABI this header
// needs (bili_qr_abi_version() >= bili_qr::kAbiVersion == 3: a library of version N serves every caller built for
// a version <= N) and throws bili_qr::Error naming both numbers otherwise. Call bili_qr::check_abi() at program
// start to fail early.
//
// Dependencies: "bili_qr.h" and <nlohmann/json.hpp> (Debian/Ubuntu: nlohmann-json3-dev) on the include path.
//
// Thread safety: as the C library -- every function may be called from any thread. A wait() blocks the calling
// thread; cancel() from another thread ends it.
//
// Files: this header holds the errors, the login calls (start, poll, wait, cancel) and render; the options, the
// status codes and kAbiVersion are in "bili_qr_abi.hpp" (generated from abi/bili_qr.toml), and the saved session
// (Session, session_convert, check, logout, refresh, refresh_confirm) is in "bili_qr_session.hpp", both
// included by this header. Install and ship the three files side by side; include only "bili_qr.hpp".
#ifndef BILI_QR_HPP
#define BILI_QR_HPP

#include "bili_qr.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <iterator>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if !defined(BILI_QR_ABI_VERSION) || BILI_QR_ABI_VERSION < 3
#error "bili_qr.hpp needs bili_qr.h of BILI_QR_ABI_VERSION 3 or newer"
#endif

namespace bili_qr {

// ---------------------------------------------------------------------------------------------- errors

// Any failure reported by the library (status < 0), or a misuse the wrapper detects before calling it.
class Error : public std::runtime_error {
 public:
  Error(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  // One of the BILI_QR_ERR_* codes (BILI_QR_EXPIRED for ExpiredError).
  int status() const noexcept { return status_; }

 private:
  int status_;
};

// wait() ended because the ticket expired (status BILI_QR_EXPIRED): start a new QR code.
class ExpiredError : public Error {
 public:
  using Error::Error;
};

// wait() was cancelled by its progress callback returning false, or by cancel() (BILI_QR_ERR_CANCELLED).
class CancelledError : public Error {
 public:
  using Error::Error;
};

namespace detail {
// Writes the options object for bili_qr::Options::to_json (bili_qr_abi.hpp): unset fields are left out.
class OptionsWriter {
 public:
  template <typename T>
  void put(const char* key, const std::optional<T>& v) {
    if (v) j_[key] = *v;
  }
  std::string dump() const {
    try {
      return j_.dump();
    } catch (const nlohmann::json::exception&) {
      throw Error(BILI_QR_ERR_ARGUMENT, "bili_qr::Options: a string option is not valid UTF-8");
    }
  }

 private:
  nlohmann::json j_ = nlohmann::json::object();
};

// Overwrites a string's bytes before it is released (it may hold cookie values).
inline void wipe(std::string& s) noexcept {
  volatile char* p = s.empty() ? nullptr : &s[0];
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = '\0';
  s.clear();
}

inline void wipe(std::optional<std::string>& s) noexcept {
  if (s) wipe(*s);
}

inline std::optional<std::string> opt_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

inline std::optional<std::int64_t> opt_int(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

inline std::optional<bool> opt_bool(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

// Overwrites each of the strings (std::string or std::optional<std::string>).
template <typename... S>
void wipe_all(S&... secrets) noexcept {
  (wipe(secrets), ...);
}

// The strings of j[key] (an array); other elements are skipped, and an absent key is an empty list.
inline std::vector<std::string> string_list(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto w = j.find(key);
  if (w != j.end() && w->is_array()) {
    for (const auto& x : *w) {
      if (x.is_string()) out.push_back(x.get<std::string>());
    }
  }
  return out;
}

// The objects of j[key] (an array), each read by `read` (a detail::read_object of the generated header); other
// elements are skipped, and an absent key is an empty list.
template <typename T>
std::vector<T> object_list(const nlohmann::json& j, const char* key, void (*read)(const nlohmann::json&, T&)) {
  std::vector<T> out;
  auto arr = j.find(key);
  if (arr == j.end() || !arr->is_array()) return out;
  for (const auto& x : *arr) {
    if (!x.is_object()) continue;
    T item;
    read(x, item);
    out.push_back(std::move(item));
  }
  return out;
}

// The object j[key] read by `read`; empty when the key is absent, not an object, or not of the documented shape.
template <typename T>
std::optional<T> opt_object(const nlohmann::json& j, const char* key, void (*read)(const nlohmann::json&, T&)) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return std::nullopt;
  T item;  // an item read in part is destroyed here (a secret in it wiped by its destructor)
  try {
    read(*it, item);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return item;
}

// The value of the enum E whose JSON string (names[value]) the string j[key] is; Error(BILI_QR_ERR_INTERNAL) for
// any other string.
template <typename E, std::size_t N>
E enum_value(const nlohmann::json& j, const char* key, const char* const (&names)[N]) {
  const std::string s = j.at(key).get<std::string>();
  for (std::size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<E>(i);
  }
  throw Error(BILI_QR_ERR_INTERNAL, std::string("bili_qr: the library returned an unknown \"") + key + "\" value");
}

}  // namespace detail

}  // namespace bili_qr

// In a struct that holds secrets (the members named after T): the copies and moves of its members, which a
// declared destructor would otherwise take away, and that destructor, which overwrites the secrets first.
#define BILI_QR_WIPE_ON_DESTROY(T, ...)  \
  T(const T&) = default;                 \
  T(T&&) noexcept = default;             \
  T& operator=(const T&) = default;      \
  T& operator=(T&&) noexcept = default;  \
  ~T() { ::bili_qr::detail::wipe_all(__VA_ARGS__); }

// bili_qr::Options, bili_qr::Status, kAbiVersion and the plain result types (QrCode, Cookie, Token, each with
// its detail::read_object): generated from abi/bili_qr.toml.
#include "bili_qr_abi.hpp"

namespace bili_qr {

namespace detail {

struct Free {
  void operator()(char* p) const noexcept { bili_qr_free(p); }
};
using Owned = std::unique_ptr<char, Free>;

inline std::string status_name(int status) {
  const char* s = bili_qr_status_str(status);
  return s ? std::string(s) : std::string("unknown status");
}

[[noreturn]] inline void throw_status(int status, const std::string& message) {
  if (status == BILI_QR_EXPIRED) throw ExpiredError(status, message);
  if (status == BILI_QR_ERR_CANCELLED) throw CancelledError(status, message);
  throw Error(status, message);
}

// Throws the exception for a failed call, with the message the library handed out with it (may be empty).
[[noreturn]] inline void throw_error(const char* function, int status, const char* library_message) {
  std::string message = std::string(function) + ": ";
  if (library_message != nullptr && *library_message != '\0') {
    message += library_message;
  } else {
    message += status_name(status);
  }
  throw_status(status, message);
}

// Calls an `_ex` function: `call(&out, &err)` returns the status. Both strings are owned at once (freed with
// bili_qr_free on every path). On a status < 0 it throws with the library's message; else returns the status and
// hands `out` over.
template <typename F>
int call_ex(const char* function, Owned& out, F&& call) {
  char* raw_out = nullptr;
  char* raw_err = nullptr;
  const int st = call(&raw_out, &raw_err);
  out.reset(raw_out);
  Owned err(raw_err);
  if (st < 0) throw_error(function, st, err.get());
  return st;
}

[[noreturn]] inline void throw_no_result(const char* function) {
  throw Error(BILI_QR_ERR_INTERNAL, std::string(function) + ": the library returned success without a result");
}

// Calls an `_ex` function that hands out a string (`call(&out, &err)` returns the status) and returns a copy of
// it. The library's strings are freed with bili_qr_free on every path; throws as call_ex does, and
// Error(BILI_QR_ERR_INTERNAL) when the call succeeded without handing out a string.
template <typename F>
std::string call_string(const char* function, F&& call) {
  Owned out;
  call_ex(function, out, std::forward<F>(call));
  if (!out) throw_no_result(function);
  return std::string(out.get());
}

inline int check_abi_once() {
  const int loaded = bili_qr_abi_version();
  return loaded;
}

// A C string for the C ABI; std::string may hold a NUL, which C would silently truncate at.
inline std::string c_arg(std::string_view what, std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    throw Error(BILI_QR_ERR_ARGUMENT, std::string(what) + " contains a NUL byte");
  }
  return std::string(value);
}

inline nlohmann::json parse_owned(const char* function, const Owned& text) {
  if (!text) throw_no_result(function);
  try {
    return nlohmann::json::parse(text.get());
  } catch (const nlohmann::json::exception&) {
    // Never quote the text: it may hold cookie values.
    throw Error(BILI_QR_ERR_INTERNAL, std::string(function) + ": the library returned JSON this wrapper cannot parse");
  }
}

}  // namespace detail

// Throws bili_qr::Error (status BILI_QR_ERR_INTERNAL) when the loaded library is older than the ABI this header
// needs (for example a stale libbili_qr.so found first on the library path). Checked once, then cached; every
// other function of this namespace calls it first.
inline void check_abi() {
  static const int loaded = detail::check_abi_once();
  if (loaded < kAbiVersion) {
    throw Error(BILI_QR_ERR_INTERNAL, "bili_qr: library is too old: ABI " + std::to_string(loaded) +
                                          ", bili_qr.hpp needs " + std::to_string(kAbiVersion) +
                                          " or newer; install a newer libbili_qr");
  }
}

// The ABI version of the loaded library (>= kAbiVersion once check_abi() passed).
inline int abi_version() { return bili_qr_abi_version(); }

// The loaded library's version, "MAJOR.MINOR.PATCH" (the BILI_QR_VERSION_* of its bili_qr.h).
inline std::string version() {
  check_abi();
  const char* v = bili_qr_version();
  return v ? std::string(v) : std::string();
}

// The library's English phrase for a status code.
inline std::string status_str(int status) { return detail::status_name(status); }

// ---------------------------------------------------------------------------------------------- options

// ---------------------------------------------------------------------------------------------- results

namespace detail {

}  // namespace detail

class Session;

// What a login and a session share: the cookies (in the order received), cookie_header ("SESSDATA=...;
// bili_jct=...; ..." ready for a Cookie header) and host (the host of the host-only cookies, whose domain is
// empty): the members of CookieSetFields (bili_qr_abi.hpp).
struct CookieSet : CookieSetFields {
  // The cookie of that name (the last one, as a Cookie header would send it), or nullptr.
  const Cookie* cookie(std::string_view cookie_name) const noexcept {
    const Cookie* found = nullptr;
    for (const Cookie& c : cookies) {
      if (c.name == cookie_name) found = &c;
    }
    return found;
  }
};

// A confirmed login: the cookies (CookieSet) and the poll object's other members (LoginFields, bili_qr_abi.hpp:
// mid, taken from the DedeUserID cookie when data.mid is missing, is_new, go_url, warnings, verified, site,
// flow, refresh_token, token, cookie_domains), the user_profile's name and face, and the JSON. The service's
// optional fields are empty when it did not send them with the documented type. warnings lists what was odd or
// failed on the way (never a secret).
struct Login : CookieSet, LoginFields {
  bool has_user_profile = false;       // user_profile was an object
  std::optional<std::string> name;     // user_profile.name
  std::optional<std::string> face;     // user_profile.face
  std::string json;                    // the library's poll object (holds the cookies: keep it secret)

  Login() = default;
  BILI_QR_WIPE_ON_DESTROY(Login, json)

  // The session to save and to pass to check() / logout() later.
  inline Session session() const;
};

// A poll's answer: the poll object's state, code and message (PollResultFields, bili_qr_abi.hpp), the status
// and the login.
struct PollResult : PollResultFields {
  int status = BILI_QR_WAITING;  // BILI_QR_OK (confirmed), BILI_QR_WAITING, BILI_QR_SCANNED or BILI_QR_EXPIRED
  std::optional<Login> login;    // set when state == State::confirmed

  bool confirmed() const noexcept { return state == State::confirmed; }
};

namespace detail {

inline Login parse_login(const nlohmann::json& j, std::string json_text) {
  Login l;
  read_object(j, static_cast<CookieSetFields&>(l));
  read_object(j, static_cast<LoginFields&>(l));
  auto prof = j.find("user_profile");
  if (prof != j.end() && prof->is_object()) {
    l.has_user_profile = true;
    l.name = opt_string(*prof, "name");
    l.face = opt_string(*prof, "face");
  }
  l.json = std::move(json_text);
  return l;
}

inline PollResult parse_poll(int status, const nlohmann::json& j, const char* json_text) {
  PollResult r;
  read_object(j, static_cast<PollResultFields&>(r));
  r.status = status;
  if (r.state == State::confirmed) r.login = parse_login(j, json_text ? std::string(json_text) : j.dump());
  return r;
}

// Converts a nlohmann::json type/out_of_range error (the library's JSON is not the documented shape) into Error.
template <typename F>
auto guarded(const char* function, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const nlohmann::json::exception&) {
    throw Error(BILI_QR_ERR_INTERNAL, std::string(function) + ": the library returned JSON of an unexpected shape");
  }
}

struct WaitContext {
  const std::function<bool(const PollResult&)>* on_progress = nullptr;
  std::exception_ptr error;
};

// The C callback: never lets an exception cross into the library. An exception thrown by the user's callback
// (or by parsing) is kept and the wait is cancelled; wait() rethrows it.
inline int progress_trampoline(int status, const char* event_json, void* user_data) noexcept {
  auto* ctx = static_cast<WaitContext*>(user_data);
  try {
    if (event_json == nullptr) {
      throw Error(BILI_QR_ERR_INTERNAL, "bili_qr_wait: the progress callback received no event");
    }
    PollResult r =
        guarded("bili_qr_wait", [&] { return parse_poll(status, nlohmann::json::parse(event_json), event_json); });
    return (*ctx->on_progress)(r) ? 0 : 1;
  } catch (...) {
    ctx->error = std::current_exception();
    return 1;
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------- calls

// Asks for a new QR code. Throws Error on failure.
inline QrCode start(const Options& opts = {}) {
  check_abi();
  const std::string o = opts.to_json();
  detail::Owned out;
  detail::call_ex("bili_qr_start", out, [&](char** r, char** e) { return bili_qr_start_ex(o.c_str(), r, e); });
  const nlohmann::json j = detail::parse_owned("bili_qr_start", out);
  return detail::guarded("bili_qr_start", [&] {
    QrCode q;
    detail::read_object(j, q);
    return q;
  });
}

// Asks once for the state of a ticket (a bare ticket or the qr_url). An expired ticket is a result
// (state == State::expired), not an exception; errors throw Error.
inline PollResult poll(std::string_view ticket, const Options& opts = {}) {
  check_abi();
  const std::string t = detail::c_arg("ticket", ticket);
  const std::string o = opts.to_json();
  detail::Owned out;
  const int st = detail::call_ex("bili_qr_poll", out, [&](char** r, char** e) {
    return bili_qr_poll_ex(t.c_str(), o.c_str(), r, e);
  });
  const nlohmann::json j = detail::parse_owned("bili_qr_poll", out);
  return detail::guarded("bili_qr_poll", [&] { return detail::parse_poll(st, j, out.get()); });
}

using ProgressFn = std::function<bool(const PollResult&)>;

// Polls every poll_interval_ms on this thread until the user confirms, and returns the login.
// on_progress (may be empty) is called after each poll answering waiting or scanned; returning false cancels the
// wait (CancelledError). An exception thrown by on_progress cancels the wait and is rethrown from here unchanged.
// Throws ExpiredError when the ticket expired, CancelledError when cancelled (also by cancel()), and Error
// (status BILI_QR_ERR_TIMEOUT, ..._NETWORK, ...) otherwise.
inline Login wait(std::string_view ticket, const Options& opts = {}, const ProgressFn& on_progress = {}) {
  check_abi();
  const std::string t = detail::c_arg("ticket", ticket);
  const std::string o = opts.to_json();
  detail::WaitContext ctx;
  ctx.on_progress = &on_progress;
  char* raw = nullptr;
  char* raw_err = nullptr;
  const int st = bili_qr_wait_ex(t.c_str(), o.c_str(), on_progress ? &detail::progress_trampoline : nullptr,
                                 on_progress ? static_cast<void*>(&ctx) : nullptr, &raw, &raw_err);
  detail::Owned out(raw);
  detail::Owned err(raw_err);
  if (ctx.error) std::rethrow_exception(ctx.error);
  if (st < 0) detail::throw_error("bili_qr_wait", st, err.get());
  if (st == BILI_QR_EXPIRED) {
    throw ExpiredError(st, "bili_qr_wait: the QR code expired; start a new one");
  }
  if (st != BILI_QR_OK) {
    throw Error(BILI_QR_ERR_INTERNAL, "bili_qr_wait: unexpected status " + std::to_string(st));
  }
  const nlohmann::json j = detail::parse_owned("bili_qr_wait", out);
  return detail::guarded("bili_qr_wait", [&] { return detail::parse_login(j, std::string(out.get())); });
}

// Ends every wait running on that ticket in this process; returns how many were signalled. When none runs, the
// library keeps the cancel for 30 seconds and the next wait() on that ticket throws CancelledError at once (a
// cancel racing with a wait starting on another thread is not lost). (bili_qr_cancel has
// no _ex twin: it never blocks and fails only on a malformed ticket; its message is read at once on this thread.)
inline int cancel(std::string_view ticket) {
  check_abi();
  const std::string t = detail::c_arg("ticket", ticket);
  const int st = bili_qr_cancel(t.c_str());
  if (st < 0) detail::throw_error("bili_qr_cancel", st, bili_qr_last_error());
  return st;
}

// Draws text as a QR code: format "utf8" (terminal), "svg" or "matrix" (rows of '0'/'1').
inline std::string render(std::string_view text, std::string_view format = "utf8") {
  check_abi();
  const std::string t = detail::c_arg("text", text);
  const std::string f = detail::c_arg("format", format);
  return detail::call_string("bili_qr_render", [&](char** r, char** e) {
    return bili_qr_render_ex(t.c_str(), f.c_str(), r, e);
  });
}

}  // namespace bili_qr

// The saved-session part (Session, session_convert, check, logout); it needs everything above.
#include "bili_qr_session.hpp"  // IWYU pragma: export

#endif  // BILI_QR_HPP
