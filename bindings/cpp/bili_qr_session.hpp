// bili_qr_session.hpp -- the saved-session part of the bili_qr C++17 wrapper: bili_qr::Session (load, save,
// convert), session_convert(), check(), logout(), refresh() and refresh_confirm(). Included by "bili_qr.hpp"
// (include that one); see its comment for errors, ownership of the library's strings and thread safety.
#ifndef BILI_QR_SESSION_HPP
#define BILI_QR_SESSION_HPP

#include "bili_qr.hpp"

#include <fstream>
#include <iterator>

namespace bili_qr {

namespace detail {

// Writes a session text to path with the library's one session-file writer, bili_qr_session_save: it checks that
// text is a session, then writes it atomically with mode 0600 (a temporary file in the same directory created
// 0600, written, flushed to disk, renamed over path). Throws Error(BILI_QR_ERR_ARGUMENT) naming the path when it
// cannot be written; the old file is then untouched and no temporary file is left.
inline void save_session_file(const std::string& path, const std::string& text) {
  const std::string p = c_arg("path", path);
  Owned none;
  call_ex("bili_qr_session_save", none, [&](char** o, char** e) {
    *o = nullptr;
    return bili_qr_session_save_ex(p.c_str(), text.c_str(), e);
  });
}

}  // namespace detail

// Reads a session in any form the library reads (a confirmed poll object or session object as JSON, the text of a
// Netscape cookies.txt, a Cookie header) and writes it as "json" (the session object), "netscape" (cookies.txt)
// or "header". Throws Error(BILI_QR_ERR_ARGUMENT) for a session without SESSDATA, broken JSON, a bad format.
inline std::string session_convert(std::string_view session, std::string_view format) {
  check_abi();
  const std::string s = detail::c_arg("session", session);
  const std::string f = detail::c_arg("format", format);
  return detail::call_string("bili_qr_session_convert", [&](char** o, char** e) {
    return bili_qr_session_convert_ex(s.c_str(), f.c_str(), o, e);
  });
}

// A saved session: the cookies, mid, and the host of the host-only cookies. It owns the library's JSON of them
// and overwrites it when destroyed (RAII: the cookie values do not outlive the object in its own memory).
// After check(), status() is "valid" or "expired", name()/face() are the service's, and renewed() says that the
// service renewed a cookie: save that session over the old file. A bilibili.com session (site() "main") also
// carries its refresh_token() (the web login's) or its token() (the TV/app login's, flow() "tv"): both are
// secrets like the cookies, saved with them, and overwritten when the object is destroyed.
class Session : public CookieSet {
 public:
  // A session from any text the library reads (see session_convert). Throws Error(BILI_QR_ERR_ARGUMENT).
  static Session parse(std::string_view text) { return Session(session_convert(text, "json")); }

  // A session from the library's own session object (what check() and session_convert(…, "json") hand out).
  static Session from_library_json(std::string json_text) { return Session(std::move(json_text)); }

  // Reads a session file: a cookies.txt, or a JSON session / login object. Throws Error(BILI_QR_ERR_ARGUMENT)
  // when the file cannot be opened (missing, unreadable) or holds no session; the message names the path.
  static Session load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(BILI_QR_ERR_ARGUMENT, "bili_qr::Session::load: cannot open " + path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Session s = parse(text);
    detail::wipe(text);
    return s;
  }

  BILI_QR_WIPE_ON_DESTROY(Session, json_, refresh_token_, previous_refresh_token_)

  // Writes the session to path, atomically, with mode 0600, through the library's bili_qr_session_save: a
  // temporary file in the same directory created 0600, written and flushed to disk, then renamed over path. format: "netscape" (cookies.txt, for yt-dlp and curl),
  // "json" (the session object) or "header"; by default JSON for a name ending in ".json" or a session with a
  // token(), else cookies.txt. A mainland cookies.txt keeps the refresh tokens (as lines only their refresh
  // endpoints would be sent); a TV/app token is kept by the JSON form alone, so an explicit "netscape" or
  // "header" drops it.
  void save(const std::string& path, std::string_view format = {}) const {
    std::string f(format);
    if (f.empty()) {
      const bool json_name = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
      f = json_name || token_.has_value() ? "json" : "netscape";
    }
    std::string text = to(f);
    if (!text.empty() && text.back() != '\n') text += '\n';
    try {
      detail::save_session_file(path, text);
    } catch (...) {
      detail::wipe(text);
      throw;
    }
    detail::wipe(text);
  }

  // The session as "json", "netscape" or "header" (the library's formats).
  std::string to(std::string_view format) const { return session_convert(json_, format); }

  std::optional<std::int64_t> mid() const noexcept { return mid_; }
  const std::optional<std::string>& status() const noexcept { return status_; }  // "valid" / "expired" after check()
  bool valid() const noexcept { return status_ && *status_ == "valid"; }
  const std::optional<std::string>& name() const noexcept { return name_; }
  const std::optional<std::string>& face() const noexcept { return face_; }
  bool renewed() const noexcept { return renewed_; }
  // "main" for a bilibili.com session; empty for bilibili.tv (version 2 objects have no site key).
  const std::optional<std::string>& site() const noexcept { return site_; }
  // "tv" for a TV/app token session; empty for a web session.
  const std::optional<std::string>& flow() const noexcept { return flow_; }
  // The mainland web session's refresh token (a secret); empty when the login had none (cannot be refreshed).
  const std::optional<std::string>& refresh_token() const noexcept { return refresh_token_; }
  // Set on the session refresh() handed out until refresh_confirm() retired the old one.
  const std::optional<std::string>& previous_refresh_token() const noexcept { return previous_refresh_token_; }
  // true: this session came from refresh() and still needs refresh_confirm() (after it was saved).
  bool needs_confirm() const noexcept { return previous_refresh_token_.has_value(); }
  // After check() of a mainland session: the service wants a refresh(); empty when that could not be asked.
  std::optional<bool> refresh_needed() const noexcept { return refresh_needed_; }
  // The TV/app login's tokens; empty for a web session.
  const std::optional<Token>& token() const noexcept { return token_; }
  // What was odd on the way (refresh(); never a secret).
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  // The library's session object (holds the cookie values: keep it secret).
  const std::string& json() const noexcept { return json_; }

 private:
  explicit Session(std::string json_text) : json_(std::move(json_text)) {
    detail::guarded("bili_qr::Session", [&] {
      const nlohmann::json j = nlohmann::json::parse(json_);
      detail::read_object(j, static_cast<CookieSetFields&>(*this));
      mid_ = detail::opt_int(j, "mid");
      status_ = detail::opt_string(j, "status");
      name_ = detail::opt_string(j, "name");
      face_ = detail::opt_string(j, "face");
      renewed_ = detail::opt_bool(j, "renewed").value_or(false);
      site_ = detail::opt_string(j, "site");
      flow_ = detail::opt_string(j, "flow");
      refresh_token_ = detail::opt_string(j, "refresh_token");
      previous_refresh_token_ = detail::opt_string(j, "previous_refresh_token");
      refresh_needed_ = detail::opt_bool(j, "refresh_needed");
      token_ = detail::opt_object<Token>(j, "token", detail::read_object);
      warnings_ = detail::string_list(j, "warnings");
      return 0;
    });
  }
  std::string json_;
  std::optional<std::int64_t> mid_;
  std::optional<std::string> status_;
  std::optional<std::string> name_;
  std::optional<std::string> face_;
  bool renewed_ = false;
  std::optional<std::string> site_;
  std::optional<std::string> flow_;
  std::optional<std::string> refresh_token_;
  std::optional<std::string> previous_refresh_token_;
  std::optional<bool> refresh_needed_;
  std::optional<Token> token_;
  std::vector<std::string> warnings_;
};

inline Session Login::session() const { return Session::parse(json); }

// Is this saved session still logged in? Asks the service's gateway (Options::api_base_url) with the session's
// cookies. Returns the session to keep from now on: status() "valid" (name(), mid() from the service) or
// "expired"; renewed() when the service renewed a cookie (save it). Throws Error(BILI_QR_ERR_ARGUMENT) for a
// session without SESSDATA (nothing is sent), and the errors of poll() for a failed request.
inline Session check(const Session& session, const Options& opts = {}) {
  check_abi();
  const std::string o = opts.to_json();
  return Session::from_library_json(detail::call_string("bili_qr_check", [&](char** r, char** e) {
    return bili_qr_check_ex(session.json().c_str(), o.c_str(), r, e);
  }));
}

// Ends the session at the service. Returns true when it ended now, false when it had already ended (expired).
// Throws Error(BILI_QR_ERR_API) when the service says the csrf token (bili_jct) does not match, ERR_ARGUMENT for a
// session without SESSDATA or bili_jct, and the errors of poll() for a failed request.
inline bool logout(const Session& session, const Options& opts = {}) {
  check_abi();
  const std::string o = opts.to_json();
  detail::Owned out;
  const int st = detail::call_ex("bili_qr_logout", out, [&](char** r, char** e) {
    return bili_qr_logout_ex(session.json().c_str(), o.c_str(), r, e);
  });
  return st != BILI_QR_EXPIRED;
}

namespace detail {

// refresh() / refresh_confirm(): the new session, or ExpiredError when the service says the session has ended.
template <typename F>
Session session_step(const char* function, F&& call) {
  check_abi();
  Owned out;
  const int st = call_ex(function, out, std::forward<F>(call));
  if (st == BILI_QR_EXPIRED) {
    throw ExpiredError(st, std::string(function) + ": the session has ended; log in again");
  }
  if (st != BILI_QR_OK) {
    throw Error(BILI_QR_ERR_INTERNAL, std::string(function) + ": unexpected status " + std::to_string(st));
  }
  if (!out) throw_no_result(function);
  return Session::from_library_json(std::string(out.get()));
}

}  // namespace detail

// Renews a bilibili.com session's cookies (bili_qr_refresh). For a web session (it holds refresh_token() and
// bili_jct) it returns the new session: status() "refreshed", new cookies, a new refresh_token() and the old
// one as previous_refresh_token() (needs_confirm() true). THE OLD SESSION IS NOT RETIRED YET: save the new one
// (save() is atomic), then pass it to refresh_confirm(). A program that dies in between loses nothing: the old
// session still works and can be refreshed again. A TV/app token session (token()) is renewed in one step: the
// new session has a new token() and no confirmation (needs_confirm() false); save it before using it.
// Throws ExpiredError when the session has ended, Error(BILI_QR_ERR_ARGUMENT) for a bilibili.tv session, one
// without a refresh token or bili_jct, or one whose refresh is not confirmed yet (nothing is sent),
// Error(BILI_QR_ERR_HTTP) for a stale correspond page, Error(BILI_QR_ERR_API) when the service refuses the csrf
// or the refresh token, and the errors of poll(). Pass Options::site "main" for a session that does not say its
// site (a Cookie header).
inline Session refresh(const Session& session, const Options& opts = {}) {
  const std::string o = opts.to_json();
  return detail::session_step("bili_qr_refresh", [&](char** r, char** e) {
    return bili_qr_refresh_ex(session.json().c_str(), o.c_str(), r, e);
  });
}

// Retires the session a refresh() replaced (bili_qr_refresh_confirm): call it with the refreshed session, after
// saving it. Returns the session to keep (status() "confirmed", no previous_refresh_token()): save it in place of
// the refreshed one; from then on only the new session works. Throws Error(BILI_QR_ERR_ARGUMENT) for a session
// without previous_refresh_token() (nothing is sent; a token session has no confirmation step), ExpiredError when
// the new session has ended, Error(BILI_QR_ERR_API) when the service refuses, and the errors of poll().
inline Session refresh_confirm(const Session& session, const Options& opts = {}) {
  const std::string o = opts.to_json();
  return detail::session_step("bili_qr_refresh_confirm", [&](char** r, char** e) {
    return bili_qr_refresh_confirm_ex(session.json().c_str(), o.c_str(), r, e);
  });
}

}  // namespace bili_qr

#endif  // BILI_QR_SESSION_HPP
