// Tests of bindings/cpp/bili_qr.hpp against the fake passport server (fake-server/PROTOCOL.md).
// Run by tests/suites/20-cpp.sh with BILI_QR_TEST_BASE=http://127.0.0.1:PORT of a running fake server and
// BILI_QR_TEST_HEADER=<repo>/include/bili_qr.h, BILI_QR_TEST_REFRESH_KEY=<the PEM file the server wrote with
// --refresh-public-key-out>.
// Built with -std=c++17 -Wall -Wextra -Werror -fsanitize=address,undefined.
#include "bili_qr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sys/stat.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifdef BILI_QR_TEST_ABI_MISMATCH
// This build plays a library of an older ABI version: the executable's definition takes precedence over the
// shared library's in symbol lookup, so the wrapper sees bili_qr_abi_version() == 1.
extern "C" int bili_qr_abi_version(void) { return 1; }
#endif

namespace {

int g_failures = 0;
int g_checks = 0;
std::string g_base;  // http://127.0.0.1:PORT
int g_port = 0;
std::string g_refresh_key;   // the fake server's refresh public key (PEM)
std::string g_skip_reason;   // set by a test that could not run: reported as SKIPPED, not as a pass

#define CHECK(cond)                                                                   \
  do {                                                                                \
    ++g_checks;                                                                       \
    if (!(cond)) {                                                                    \
      ++g_failures;                                                                   \
      std::cerr << "  FAILED " << __FILE__ << ":" << __LINE__ << ": " #cond "\n";     \
    }                                                                                 \
  } while (0)

// Expects `expr` to throw an exception of type T (a bili_qr::Error or subclass) with the given status.
#define CHECK_THROWS_STATUS(T, want_status, expr)                                              \
  do {                                                                                         \
    ++g_checks;                                                                                \
    bool caught_ = false;                                                                      \
    try {                                                                                      \
      (void)(expr);                                                                            \
    } catch (const T& e_) {                                                                    \
      caught_ = true;                                                                          \
      if (e_.status() != (want_status)) {                                                      \
        ++g_failures;                                                                          \
        std::cerr << "  FAILED " << __LINE__ << ": status " << e_.status() << " (" << e_.what() \
                  << "), want " << (want_status) << "\n";                                      \
      }                                                                                        \
    } catch (const std::exception& e_) {                                                       \
      caught_ = true;                                                                          \
      ++g_failures;                                                                            \
      std::cerr << "  FAILED " << __LINE__ << ": wrong exception type: " << e_.what() << "\n"; \
    }                                                                                          \
    if (!caught_) {                                                                            \
      ++g_failures;                                                                            \
      std::cerr << "  FAILED " << __LINE__ << ": no exception from " #expr "\n";              \
    }                                                                                          \
  } while (0)

// A minimal HTTP/1.1 client for the fake server's control API (Connection: close, read to EOF).
std::string http(const std::string& method, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(g_port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to fake server failed");
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    throw std::runtime_error("send failed");
  }
  std::string resp;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto body = resp.find("\r\n\r\n");
  if (body == std::string::npos) throw std::runtime_error("bad HTTP answer from control API");
  std::string headers = resp.substr(0, body);
  std::string b = resp.substr(body + 4);
  std::string lower;
  for (char c : headers) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {  // de-chunk
    std::string out;
    size_t pos = 0;
    for (;;) {
      size_t eol = b.find("\r\n", pos);
      if (eol == std::string::npos) break;
      size_t len = std::stoul(b.substr(pos, eol - pos), nullptr, 16);
      if (len == 0) break;
      out += b.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
    b = out;
  }
  return b;
}

// The fake server's request records whose path contains `needle` (a scenario id) and ends with `endpoint`.
std::vector<nlohmann::json> requests(const std::string& needle, const std::string& endpoint) {
  std::vector<nlohmann::json> out;
  for (const auto& r : nlohmann::json::parse(http("GET", "/__log"))) {
    const std::string p = r.at("path").get<std::string>();
    if (p.find(needle) != std::string::npos && p.size() >= endpoint.size() &&
        p.compare(p.size() - endpoint.size(), endpoint.size(), endpoint) == 0) {
      out.push_back(r);
    }
  }
  return out;
}

bili_qr::Options scenario(const std::string& s) {
  bili_qr::Options o;
  o.base_url = g_base + "/s/" + s;
  o.timeout_ms = 5000;
  o.poll_interval_ms = 100;
  o.wait_timeout_ms = 20000;
  return o;
}

using Clock = std::chrono::steady_clock;
long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

const std::vector<std::string> kCookieOrder = {"SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5",
                                               "joy_jct",  "mid",      "sid"};

// ---------------------------------------------------------------------------------------------- tests

void test_version() {
  std::string want = std::to_string(BILI_QR_VERSION_MAJOR) + "." + std::to_string(BILI_QR_VERSION_MINOR) + "." +
                     std::to_string(BILI_QR_VERSION_PATCH);
  bili_qr::check_abi();  // must not throw: the loaded library serves ABI 2
  CHECK(bili_qr::abi_version() >= bili_qr::kAbiVersion && bili_qr::kAbiVersion == 3);
  CHECK(bili_qr::version() == want);
  CHECK(bili_qr::status_str(BILI_QR_ERR_CANCELLED) != bili_qr::status_str(BILI_QR_OK));
  CHECK(bili_qr::status_str(12345) == "unknown status");
}

void test_options_json() {
  CHECK(bili_qr::Options{}.to_json() == "{}");
  bili_qr::Options o;
  o.user_agent = "Agent \"quoted\" back\\slash \\\" end";
  o.timeout_ms = 1234;
  o.proxy = "";
  auto j = nlohmann::json::parse(o.to_json());
  CHECK(j.size() == 3);
  CHECK(j.at("user_agent").get<std::string>() == *o.user_agent);
  CHECK(j.at("timeout_ms").is_number_integer() && j.at("timeout_ms").get<int>() == 1234);
  CHECK(j.at("proxy").get<std::string>().empty());
  bili_qr::Options bad;
  bad.user_agent = std::string("\xff\xfe", 2);
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bad.to_json());
}

// The user agent with quotes and backslashes reaches the server exactly; locale and platform are sent.
void test_options_sent() {
  auto o = scenario("id=cpp-opts");
  o.user_agent = "CppTest/1.0 \"quoted\" C:\\path\\ \\\"x\\\"";
  o.locale = "th_TH";
  o.platform = "android";
  o.proxy = "";
  auto q = bili_qr::start(o);
  CHECK(q.qr_url.find("/h5/th/") != std::string::npos);
  auto recs = requests("id=cpp-opts", "/qrcode/auth/url");
  CHECK(recs.size() == 1);
  if (!recs.empty()) {
    CHECK(recs[0].at("headers").at("user-agent").get<std::string>() == *o.user_agent);
    CHECK(recs[0].at("query").at("s_locale").get<std::string>() == "th_TH");
    CHECK(recs[0].at("query").at("platform").get<std::string>() == "android");
  }
}

void test_start_and_poll() {
  const std::string id = "id=cpp-poll,flow=wsc,mid=42,name=Alice,foreign=1";
  auto o = scenario(id);
  auto q = bili_qr::start(o);
  CHECK(q.ticket.size() == 32);
  CHECK(q.qr_type == "qrcode_login");
  CHECK(q.qr_url.find("ticket=" + q.ticket) != std::string::npos);

  auto r1 = bili_qr::poll(q.ticket, o);
  CHECK(r1.state == bili_qr::State::waiting && r1.status == BILI_QR_WAITING && r1.code == 10018101);
  CHECK(!r1.login && !r1.confirmed());
  auto r2 = bili_qr::poll(q.qr_url, o);  // the qr_url works as a ticket
  CHECK(r2.state == bili_qr::State::scanned && r2.status == BILI_QR_SCANNED && r2.code == 10018102);
  auto r3 = bili_qr::poll(q.ticket, o);
  CHECK(r3.confirmed() && r3.status == BILI_QR_OK && r3.code == 0);
  CHECK(r3.login.has_value());
  if (r3.login) {
    const auto& l = *r3.login;
    CHECK(l.mid && *l.mid == 42);
    CHECK(l.name && *l.name == "Alice");
    CHECK(l.is_new && !*l.is_new);
    CHECK(l.go_url && l.go_url->empty() && l.has_user_profile);
    CHECK(l.host == "127.0.0.1" && !l.verified);
    // the fake server also sets a cookie for evil.example.com: dropped, and a warning says so (no value in it)
    bool dropped_warning = false;
    for (const auto& w : l.warnings) {
      if (w.find("evil.example.com") != std::string::npos) dropped_warning = true;
      for (const auto& c : l.cookies) CHECK(c.value.size() < 8 || w.find(c.value) == std::string::npos);
    }
    CHECK(dropped_warning);
    CHECK(!l.json.empty() && l.json.find("\"status\":\"confirmed\"") != std::string::npos);
    std::vector<std::string> names;
    for (const auto& c : l.cookies) names.push_back(c.name);
    CHECK(names == kCookieOrder);
    const auto* sess = l.cookie("SESSDATA");
    CHECK(sess != nullptr);
    if (sess) {
      CHECK(sess->secure && sess->http_only);
      CHECK(sess->domain && *sess->domain == "bilibili.tv");
      CHECK(sess->path == "/");
      CHECK(sess->expires && *sess->expires > 1700000000);
    }
    const auto* jct = l.cookie("bili_jct");
    CHECK(jct && jct->domain && *jct->domain == "bilibili.tv" && jct->secure && !jct->http_only);
    const auto* sid = l.cookie("sid");
    CHECK(sid && !sid->domain && !sid->expires && sid->path == "/" && !sid->secure);
    CHECK(l.cookie("buvid3") == nullptr && l.cookie("ad_track") == nullptr);
    const auto* mid = l.cookie("mid");
    CHECK(mid && mid->domain && *mid->domain == "biliintl.com" && mid->value == "42");
    // Compare with what the server actually sent (values exactly, no decoding).
    auto recs = requests("id=cpp-poll", "/qrcode/auth/fetch");
    CHECK(recs.size() == 3);
    if (recs.size() == 3 && sess) {
      bool found = false;
      for (const auto& sc : recs[2].at("set_cookies")) {
        if (sc.get<std::string>().rfind("SESSDATA=" + sess->value + ";", 0) == 0) found = true;
      }
      CHECK(found);
    }
    std::string header;
    for (const auto& c : l.cookies) header += (header.empty() ? "" : "; ") + c.name + "=" + c.value;
    CHECK(l.cookie_header == header);
  }
  // Spent: later polls answer expired, as a result (no exception).
  auto r4 = bili_qr::poll(q.ticket, o);
  CHECK(r4.state == bili_qr::State::expired && r4.status == BILI_QR_EXPIRED && r4.code == 10018100 && !r4.login);
}

void test_wait_progress() {
  auto o = scenario("id=cpp-wait,flow=wwsc");
  auto q = bili_qr::start(o);
  std::vector<int> seen;
  std::vector<bili_qr::State> states;
  auto login = bili_qr::wait(q.ticket, o, [&](const bili_qr::PollResult& r) {
    seen.push_back(r.status);
    states.push_back(r.state);
    return true;
  });
  CHECK((seen == std::vector<int>{BILI_QR_WAITING, BILI_QR_WAITING, BILI_QR_SCANNED}));
  CHECK((states == std::vector<bili_qr::State>{bili_qr::State::waiting, bili_qr::State::waiting,
                                                bili_qr::State::scanned}));
  CHECK(login.mid == 1709658507);
  CHECK(login.name == std::string("DemoUser"));
  const auto* sess = login.cookie("SESSDATA");
  CHECK(sess && !sess->value.empty());
  CHECK(login.cookie_header.rfind("SESSDATA=", 0) == 0);
  CHECK(login.cookies.size() == kCookieOrder.size());
}

void test_wait_without_callback() {
  auto o = scenario("id=cpp-nocb,flow=sc");
  auto q = bili_qr::start(o);
  auto login = bili_qr::wait(q.ticket, o);
  CHECK(login.cookie("SESSDATA") != nullptr);
  CHECK(login.cookie("DedeUserID") && login.cookie("DedeUserID")->value == "1709658507");
}

void test_wait_expired() {
  auto o = scenario("id=cpp-exp,flow=wse");
  auto q = bili_qr::start(o);
  int calls = 0;
  CHECK_THROWS_STATUS(bili_qr::ExpiredError, BILI_QR_EXPIRED, bili_qr::wait(q.ticket, o, [&](const bili_qr::PollResult&) {
    ++calls;
    return true;
  }));
  CHECK(calls == 2);
  // An ExpiredError is also a bili_qr::Error and a std::runtime_error.
  auto q2 = bili_qr::start(o);
  bool ok = false;
  try {
    bili_qr::wait(q2.ticket, o);
  } catch (const std::runtime_error& e) {
    ok = dynamic_cast<const bili_qr::Error*>(&e) != nullptr;
  }
  CHECK(ok);
}

void test_progress_false_cancels() {
  auto o = scenario("id=cpp-false,flow=w");
  auto q = bili_qr::start(o);
  int calls = 0;
  CHECK_THROWS_STATUS(bili_qr::CancelledError, BILI_QR_ERR_CANCELLED,
                      bili_qr::wait(q.ticket, o, [&](const bili_qr::PollResult&) { return ++calls < 2; }));
  CHECK(calls == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(requests("id=cpp-false", "/qrcode/auth/fetch").size() == 2);  // no poll after the cancel
}

struct MyError : std::exception {
  int tag;
  explicit MyError(int t) : tag(t) {}
  const char* what() const noexcept override { return "my error"; }
};

void test_progress_exception_rethrown() {
  auto o = scenario("id=cpp-throw,flow=w");
  auto q = bili_qr::start(o);
  int calls = 0;
  int tag = 0;
  try {
    bili_qr::wait(q.ticket, o, [&](const bili_qr::PollResult&) -> bool {
      ++calls;
      throw MyError(42);
    });
  } catch (const MyError& e) {
    tag = e.tag;
  } catch (const std::exception& e) {
    std::cerr << "  unexpected exception: " << e.what() << "\n";
  }
  CHECK(tag == 42);
  CHECK(calls == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(requests("id=cpp-throw", "/qrcode/auth/fetch").size() == 1);
  // A non-std exception type is carried as well.
  bool caught_int = false;
  auto q2 = bili_qr::start(o);
  try {
    bili_qr::wait(q2.ticket, o, [](const bili_qr::PollResult&) -> bool { throw 7; });
  } catch (int v) {
    caught_int = v == 7;
  }
  CHECK(caught_int);
}

void test_cancel_from_other_thread() {
  auto o = scenario("id=cpp-cancel,flow=w");
  o.poll_interval_ms = 30000;  // a cancel not seen during the sleep would end the wait 30 s later at the soonest
  o.wait_timeout_ms = 60000;
  auto q = bili_qr::start(o);
  std::atomic<int> status{1000};
  std::atomic<long long> ended_ms{0};
  std::atomic<bool> polled{false};
  auto t0 = Clock::now();
  std::thread th([&] {
    try {
      bili_qr::wait(q.ticket, o, [&](const bili_qr::PollResult&) {
        polled = true;
        return true;
      });
      status = 0;
    } catch (const bili_qr::CancelledError& e) {
      status = e.status();
    } catch (const std::exception&) {
      status = -1000;
    }
    ended_ms = ms_since(t0);
  });
  // Once the first poll has answered, the wait is registered and sleeps: one cancel signals it.
  for (int i = 0; i < 500 && !polled; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(polled);
  const int signalled = bili_qr::cancel(q.ticket);
  auto cancelled_at = ms_since(t0);
  th.join();
  CHECK(signalled == 1);
  CHECK(status == BILI_QR_ERR_CANCELLED);
  CHECK(ended_ms - cancelled_at < 10000);  // far from the 30 s sleep a cancel that did not wake it would leave
  CHECK(bili_qr::cancel(q.ticket) == 0);  // nothing waits any more
  // A cancel before the wait starts is kept for it: the next wait on that ticket ends at once, without polling.
  auto early = bili_qr::start(o);
  CHECK(bili_qr::cancel(early.ticket) == 0);
  int early_status = 0;
  try {
    bili_qr::wait(early.ticket, o);
  } catch (const bili_qr::CancelledError& e) {
    early_status = e.status();
  }
  CHECK(early_status == BILI_QR_ERR_CANCELLED);
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::cancel("not a ticket!"));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::cancel(std::string("abc\0def", 7)));
}

void test_concurrent_waits() {
  auto o1 = scenario("id=cpp-conc1,flow=wwc,mid=1");
  auto o2 = scenario("id=cpp-conc2,flow=wsc,mid=2");
  auto q1 = bili_qr::start(o1);
  auto q2 = bili_qr::start(o2);
  std::int64_t m1 = 0, m2 = 0;
  std::thread a([&] {
    try {
      m1 = bili_qr::wait(q1.ticket, o1).mid.value_or(0);
    } catch (...) {
    }
  });
  std::thread b([&] {
    try {
      m2 = bili_qr::wait(q2.ticket, o2).mid.value_or(0);
    } catch (...) {
    }
  });
  a.join();
  b.join();
  CHECK(m1 == 1 && m2 == 2);
}

int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

void test_errors() {
  // HTTP 412: ERR_HTTP, message names the status.
  try {
    bili_qr::start(scenario("id=cpp-e412,fault=412"));
    CHECK(false);
  } catch (const bili_qr::Error& e) {
    CHECK(e.status() == BILI_QR_ERR_HTTP);
    CHECK(std::string(e.what()).find("412") != std::string::npos);
  }
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_API, bili_qr::start(scenario("id=cpp-eapi,fault=api-352")));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_PROTOCOL, bili_qr::start(scenario("id=cpp-ejson,fault=notjson")));
  {
    auto o = scenario("id=cpp-eslow,fault=slow,delay=3000");
    o.timeout_ms = 300;
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_TIMEOUT, bili_qr::start(o));
  }
  {
    bili_qr::Options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
    o.timeout_ms = 3000;
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_NETWORK, bili_qr::start(o));
  }
  {  // a confirmed login without cookies
    auto o = scenario("id=cpp-enock,flow=c,fault=nocookies,on=fetch");
    auto q = bili_qr::start(o);
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_PROTOCOL, bili_qr::wait(q.ticket, o));
  }
  {  // the wait times out
    // The ticket expires after 30 s: a wait that ignored wait_timeout_ms would end EXPIRED then.
    auto o = scenario("id=cpp-ewt,flow=w,expire=30000");
    o.wait_timeout_ms = 1000;
    auto q = bili_qr::start(o);
    auto t0 = Clock::now();
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_TIMEOUT, bili_qr::wait(q.ticket, o));
    CHECK(ms_since(t0) >= 900);    // not before the deadline (a slow machine only makes it later)
    CHECK(ms_since(t0) < 10000);   // far from the 30 s of the expiry
  }
  {  // max_retries: two HTTP 503 answers are retried with 3 retries, and end the wait with none
    auto o = scenario("id=cpp-retry3,flow=c,fault=503,on=fetch,times=2");
    o.max_retries = 3;
    auto q = bili_qr::start(o);
    CHECK(bili_qr::wait(q.ticket, o).cookie("SESSDATA") != nullptr);
    auto o0 = scenario("id=cpp-retry0,flow=c,fault=503,on=fetch,times=2");
    o0.max_retries = 0;
    auto q0 = bili_qr::start(o0);
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_HTTP, bili_qr::wait(q0.ticket, o0));
    CHECK(requests("id=cpp-retry0", "/qrcode/auth/fetch").size() == 1);
  }
  {  // proxy: a proxy that does not answer is a network error, and the server sees nothing
    auto o = scenario("id=cpp-proxy");
    o.proxy = "http://127.0.0.1:" + std::to_string(closed_port());
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_NETWORK, bili_qr::start(o));
    CHECK(requests("id=cpp-proxy", "").empty());
  }
  // Bad options and arguments.
  {
    auto o = scenario("id=cpp-earg");
    o.locale = "has space";
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::start(o));
    try {
      bili_qr::start(o);
    } catch (const bili_qr::Error& e) {
      CHECK(std::string(e.what()).find("locale") != std::string::npos);
    }
    auto o2 = scenario("id=cpp-earg");
    o2.timeout_ms = 0;
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::start(o2));
    bili_qr::Options o3;
    o3.base_url = "http://example.com";
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::start(o3));
    auto o4 = scenario("id=cpp-earg");
    o4.poll_interval_ms = 5;
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::wait("0123456789abcdef", o4));
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::poll("bad ticket!", scenario("id=cpp-earg")));
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::poll("", scenario("id=cpp-earg")));
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT,
                        bili_qr::poll(std::string("abc\0def", 7), scenario("id=cpp-earg")));
    CHECK(requests("id=cpp-earg", "").empty());  // nothing was sent for bad arguments
  }
}

void test_render() {
  const std::string text = "https://www.bilibili.tv/h5/en/qrcode/login?ticket=0123456789abcdef0123456789abcdef";
  auto m = bili_qr::render(text, "matrix");
  std::istringstream in(m);
  std::string line;
  std::vector<std::string> rows;
  while (std::getline(in, line)) rows.push_back(line);
  CHECK(!m.empty() && m.back() == '\n');
  const size_t n = rows.size();
  CHECK(n >= 21 && (n - 17) % 4 == 0);
  bool square = true, binary = true;
  for (const auto& r : rows) {
    if (r.size() != n) square = false;
    if (r.find_first_not_of("01") != std::string::npos) binary = false;
  }
  CHECK(square && binary);
  if (n >= 7) CHECK(rows[0].substr(0, 7) == "1111111");  // finder pattern

  auto u = bili_qr::render(text, "utf8");
  CHECK(!u.empty() && u.back() == '\n');
  CHECK(u.find("\xe2\x96\x88") != std::string::npos || u.find("\xe2\x96\x80") != std::string::npos);
  CHECK(bili_qr::render(text) == u);  // utf8 is the default

  auto s = bili_qr::render(text, "svg");
  CHECK(s.find("<svg") != std::string::npos && s.find("</svg>") != std::string::npos);

  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::render(text, "bmp"));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::render("", "utf8"));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::render(std::string(2049, 'a'), "utf8"));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::render(std::string("a\0b", 3), "utf8"));
  CHECK(!bili_qr::render(std::string(2048, 'a'), "matrix").empty());
}

// ---------------------------------------------------------------------------------------------- ABI 2

// bili_qr_start_ex called through the C ABI itself: its status and its out_error message ("" when none).
std::pair<int, std::string> c_start(const std::string& options_json) {
  char* out = nullptr;
  char* err = nullptr;
  const int st = bili_qr_start_ex(options_json.c_str(), &out, &err);
  const std::string message = err ? err : "";
  bili_qr_free(out);
  bili_qr_free(err);
  return {st, message};
}

// The generated statuses and options (bili_qr_abi.hpp, from abi/bili_qr.toml) against the library loaded: every
// status has its phrase, every option key is one the library checks (a value of no option's type, an array, is
// refused naming the key, not as an unknown key). No network.
void test_statuses_and_options_reach_the_library() {
  for (auto st : bili_qr::kStatuses) CHECK(bili_qr::status_str(static_cast<int>(st)) != "unknown status");
  CHECK(bili_qr::status_str(-99) == "unknown status");
  std::set<std::string> keys;
  for (const char* key : bili_qr::kOptionKeys) {
    keys.insert(key);
    const auto [rc, message] = c_start(std::string("{\"") + key + "\":[]}");
    CHECK(rc == BILI_QR_ERR_ARGUMENT);
    CHECK(message.find(key) != std::string::npos && message.find("unknown option") == std::string::npos);
  }
  CHECK(keys.size() >= 12);
  CHECK(bili_qr::Options{}.to_json() == "{}");
}

// Null or missing optional fields are empty optionals, warnings are strings, verify_login.
void test_null_fields_and_warnings() {
  for (const char* shape : {"nulls", "empty", "sparse"}) {
    auto o = scenario(std::string("id=cpp-null-") + shape + ",flow=c,confirm=" + shape);
    auto q = bili_qr::start(o);
    auto l = bili_qr::wait(q.ticket, o);
    CHECK(l.mid && *l.mid == 1709658507);  // data.mid, or the DedeUserID cookie
    CHECK(!l.is_new && !l.go_url && !l.name && !l.face && !l.has_user_profile);
    CHECK(l.cookie("SESSDATA") && l.cookie("bili_jct") && l.cookie("DedeUserID"));
    for (const auto& w : l.warnings) {
      for (const auto& c : l.cookies) CHECK(c.value.size() < 4 || w.find(c.value) == std::string::npos);
    }
  }
  {  // a go_url hop that ends in 404: a login with a warning
    auto o = scenario("id=cpp-hop404,flow=c,gourl=hop404");
    auto l = bili_qr::wait(bili_qr::start(o).ticket, o);
    CHECK(!l.warnings.empty());
  }
  {
    auto o = scenario("id=cpp-verify,flow=c");
    o.verify_login = true;
    o.api_base_url = o.base_url;
    auto l = bili_qr::wait(bili_qr::start(o).ticket, o);
    CHECK(l.verified && *l.verified);
    auto down = scenario("id=cpp-verify-down,flow=c,verify=down");
    down.verify_login = true;
    down.api_base_url = down.base_url;
    down.timeout_ms = 3000;
    auto l2 = bili_qr::wait(bili_qr::start(down).ticket, down);
    CHECK(l2.verified && !*l2.verified && !l2.warnings.empty());
  }
}

std::string pct(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

// The message the C library gives a synchronous caller for `call`, read with bili_qr_last_error on this thread.
template <typename F>
std::string c_message(const char* function, F&& call) {
  const int st = call();
  CHECK(st < 0);
  return std::string(function) + ": " + bili_qr_last_error();
}

template <typename F>
std::pair<int, std::string> caught(F&& f) {
  try {
    f();
  } catch (const bili_qr::Error& e) {
    return {e.status(), e.what()};
  }
  return {0, ""};
}

// An exception thrown on a worker thread (std::async, std::thread) carries the library's message, equal
// to what a synchronous caller gets, for the 412, 429, captcha and missing-cookie faults.
void test_messages_from_other_threads() {
  struct Case {
    const char* scenario;
    int status;
    std::vector<std::string> must_contain;
    bool confirm;  // re-arm a confirmation before each call (missing cookies)
  };
  const std::vector<Case> cases = {
      {"id=cpp-m412,flow=w,fault=412,on=fetch", BILI_QR_ERR_HTTP, {"412"}, false},
      {"id=cpp-m429,flow=w,fault=429,retry=7,on=fetch", BILI_QR_ERR_HTTP, {"429"}, false},
      {"id=cpp-mcap,flow=w,fault=captcha,on=fetch", BILI_QR_ERR_API, {"captcha"}, false},
      {"id=cpp-mpart,flow=c,fault=partialcookies", BILI_QR_ERR_PROTOCOL, {"bili_jct"}, true},
  };
  for (const auto& c : cases) {
    auto o = scenario(c.scenario);
    o.max_retries = 0;
    const auto q = bili_qr::start(o);
    const std::string opts = o.to_json();
    auto rearm = [&] {  // one more confirmation of this ticket (a confirmed ticket is spent)
      if (c.confirm) http("POST", "/__state?scenario=" + pct(c.scenario) + "&ticket=" + q.ticket + "&state=confirmed");
    };
    // the synchronous C caller
    rearm();
    char* out = nullptr;
    const std::string want = c_message("bili_qr_poll", [&] { return bili_qr_poll(q.ticket.c_str(), opts.c_str(), &out); });
    bili_qr_free(out);
    CHECK(want.size() > std::string("bili_qr_poll: ").size());
    for (const auto& w : c.must_contain) {
      if (want.find(w) == std::string::npos) std::cerr << "  message lacks '" << w << "': " << want << "\n";
      CHECK(want.find(w) != std::string::npos);
    }
    CHECK(want.find(q.ticket.substr(0, 7)) == std::string::npos);
    // the wrapper, synchronously
    rearm();
    auto sync = caught([&] { bili_qr::poll(q.ticket, o); });
    CHECK(sync.first == c.status && sync.second == want);
    // std::async: the call runs on another thread, the exception is caught here
    rearm();
    auto fut = std::async(std::launch::async, [&] { return bili_qr::poll(q.ticket, o); });
    auto async = caught([&] { fut.get(); });
    CHECK(async.first == c.status && async.second == want);
    // std::thread that makes another library call (which resets its last error) before reporting
    rearm();
    std::pair<int, std::string> threaded;
    std::thread t([&] {
      std::exception_ptr error;
      try {
        bili_qr::poll(q.ticket, o);
      } catch (...) {
        error = std::current_exception();
      }
      (void)bili_qr::render("another call on this thread", "matrix");
      threaded = caught([&] {
        if (error) std::rethrow_exception(error);
      });
    });
    t.join();
    CHECK(threaded.first == c.status && threaded.second == want);
    if (threaded.second != want) std::cerr << "  got '" << threaded.second << "', want '" << want << "'\n";
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The saved session: login -> save -> check (valid) -> renewal saved -> logout -> check (expired).
void test_session_lifecycle() {
  auto o = scenario("id=cpp-sess,flow=c");
  auto login = bili_qr::wait(bili_qr::start(o).ticket, o);
  char dir_template[] = "/tmp/bili_qr_cpp_session.XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  CHECK(dir != nullptr);
  if (dir == nullptr) return;
  const std::string path = std::string(dir) + "/cookies.txt";
  login.session().save(path);
  struct stat st {};
  CHECK(::stat(path.c_str(), &st) == 0 && (st.st_mode & 0777) == 0600);
  CHECK(read_file(path).rfind("# Netscape HTTP Cookie File", 0) == 0);
  // A missing directory: the library's writer refuses with ERR_ARGUMENT naming it, and writes nothing.
  bool refused = false;
  try {
    login.session().save(std::string(dir) + "/missing/cookies.txt");
  } catch (const bili_qr::Error& e) {
    refused = e.status() == BILI_QR_ERR_ARGUMENT && std::string(e.what()).find("does not exist") != std::string::npos;
  }
  CHECK(refused);

  auto saved = bili_qr::Session::load(path);
  CHECK(saved.mid() == login.mid && !saved.status() && !saved.valid());
  CHECK(saved.cookie("SESSDATA") && saved.cookie("SESSDATA")->value == login.cookie("SESSDATA")->value);

  bili_qr::Options renew;  // the check goes to a scenario that renews SESSDATA
  renew.api_base_url = g_base + "/s/id=cpp-sess-renew,renew=1";
  auto checked = bili_qr::check(saved, renew);
  CHECK(checked.valid() && checked.renewed() && checked.name() && *checked.name() == "DemoUser");
  CHECK(checked.mid() == login.mid);
  const std::string renewed_value = checked.cookie("SESSDATA") ? checked.cookie("SESSDATA")->value : "";
  CHECK(!renewed_value.empty() && renewed_value != login.cookie("SESSDATA")->value);
  checked.save(path);
  CHECK(::stat(path.c_str(), &st) == 0 && (st.st_mode & 0777) == 0600);
  auto reloaded = bili_qr::Session::load(path);
  CHECK(reloaded.cookie("SESSDATA") && reloaded.cookie("SESSDATA")->value == renewed_value);

  bili_qr::Options api;
  api.api_base_url = *o.base_url;
  CHECK(bili_qr::check(saved, api).status() == std::string("expired"));  // the replaced value
  CHECK(bili_qr::check(reloaded, api).valid());

  // a JSON round trip (save picks the format by the .json name)
  const std::string json_path = std::string(dir) + "/session.json";
  reloaded.save(json_path);
  auto from_json = bili_qr::Session::load(json_path);
  CHECK(from_json.cookie_header == reloaded.cookie_header && from_json.mid() == reloaded.mid());

  // csrf mismatch: ERR_API, the session kept
  auto wrong = bili_qr::Session::parse("SESSDATA=" + renewed_value + "; bili_jct=0000; DedeUserID=1");
  auto mismatch = caught([&] { bili_qr::logout(wrong, o); });
  CHECK(mismatch.first == BILI_QR_ERR_API && mismatch.second.find(renewed_value) == std::string::npos);
  CHECK(bili_qr::check(reloaded, api).valid());

  CHECK(bili_qr::logout(reloaded, o) == true);
  auto after = bili_qr::check(from_json, api);
  CHECK(after.status() == std::string("expired") && !after.valid());
  CHECK(bili_qr::logout(reloaded, o) == false);  // already logged out

  // bad sessions: ERR_ARGUMENT (a Session cannot be made of them, so check/logout never send one)
  for (const std::string& bad : {std::string(), std::string("bili_jct=1"), std::string("{broken"),
                                std::string(10 * 1024 * 1024, 'x'), std::string("\x01\x02garbage")}) {
    CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::Session::parse(bad));
  }
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::session_convert(login.json, "yaml"));
  CHECK(bili_qr::session_convert(login.json, "header") == login.cookie_header);

  std::remove(path.c_str());
  std::remove(json_path.c_str());
  ::rmdir(dir);
}

// The options of a mainland scenario: every origin is the fake server's, and its refresh key.
bili_qr::Options mainland(const std::string& s) {
  bili_qr::Options o = scenario(s);
  o.api_base_url = o.base_url;
  o.www_base_url = o.base_url;
  o.site = "main";
  o.refresh_public_key = g_refresh_key;
  return o;
}

bool is_hex32(const std::optional<std::string>& s) {
  return s && s->size() == 32 && s->find_first_not_of("0123456789abcdef") == std::string::npos;
}

mode_t file_mode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

// The message of the bili_qr::Error `f` throws holds none of the secrets.
template <typename F>
void check_error_without(int want_status, const std::vector<std::string>& secrets, F&& f) {
  auto c = caught(std::forward<F>(f));
  CHECK(c.first == want_status);
  for (const auto& secret : secrets) CHECK(secret.empty() || c.second.find(secret) == std::string::npos);
}

// The mainland web session's whole life: login -> save (0600) -> check (valid) -> refresh -> save -> confirm ->
// check (the new one valid, the old one expired) -> logout -> check (expired).
void test_mainland_round_trip() {
  CHECK(!g_refresh_key.empty());  // BILI_QR_TEST_REFRESH_KEY: else the refresh encrypts with the real key
  auto o = mainland("id=cpp-main,flow=c");
  auto qr = bili_qr::start(o);
  CHECK(qr.qr_type == "main_web");
  auto login = bili_qr::wait(qr.ticket, o);
  CHECK(login.site == std::string("main") && !login.flow && !login.token);
  CHECK(is_hex32(login.refresh_token));
  CHECK(login.cookie("SESSDATA") && login.cookie("bili_jct") && login.mid);
  const std::string token0 = login.refresh_token.value_or("");

  char dir_template[] = "/tmp/bili_qr_cpp_main.XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  CHECK(dir != nullptr);
  if (dir == nullptr) return;
  const std::string txt = std::string(dir) + "/cookies.txt";
  const std::string js = std::string(dir) + "/session.json";

  login.session().save(txt);  // cookies.txt keeps the refresh token (on its own endpoint's path)
  CHECK(file_mode(txt) == 0600);
  auto saved = bili_qr::Session::load(txt);
  CHECK(saved.site() == std::string("main") && saved.refresh_token() == token0 && !saved.needs_confirm());
  CHECK(saved.cookie("SESSDATA") && saved.cookie("SESSDATA")->value == login.cookie("SESSDATA")->value);

  auto checked = bili_qr::check(saved, o);
  CHECK(checked.valid() && checked.site() == std::string("main"));
  CHECK(checked.refresh_needed() == std::optional<bool>(false));
  CHECK(checked.refresh_token() == token0 && checked.mid() == login.mid);

  // Nothing to confirm on a session that was not refreshed: ERR_ARGUMENT, no token in the message.
  check_error_without(BILI_QR_ERR_ARGUMENT, {token0}, [&] { bili_qr::refresh_confirm(saved, o); });

  auto refreshed = bili_qr::refresh(saved, o);
  CHECK(refreshed.status() == std::string("refreshed") && refreshed.needs_confirm());
  CHECK(refreshed.previous_refresh_token() == token0);
  CHECK(is_hex32(refreshed.refresh_token()) && refreshed.refresh_token() != token0);
  CHECK(refreshed.cookie("SESSDATA") && refreshed.cookie("SESSDATA")->value != saved.cookie("SESSDATA")->value);
  CHECK(refreshed.warnings().empty());
  const std::string token1 = refreshed.refresh_token().value_or("");

  refreshed.save(js);
  CHECK(file_mode(js) == 0600);
  auto reloaded = bili_qr::Session::load(js);
  CHECK(reloaded.previous_refresh_token() == token0 && reloaded.refresh_token() == token1);
  CHECK(reloaded.cookie_header == refreshed.cookie_header);

  // Not confirmed yet: both sessions work, and a second refresh of the new one is refused until it is confirmed.
  CHECK(bili_qr::check(saved, o).valid());
  CHECK(bili_qr::check(reloaded, o).valid());
  check_error_without(BILI_QR_ERR_ARGUMENT, {token0, token1}, [&] { bili_qr::refresh(reloaded, o); });

  auto confirmed = bili_qr::refresh_confirm(reloaded, o);
  CHECK(confirmed.status() == std::string("confirmed") && !confirmed.needs_confirm());
  CHECK(confirmed.refresh_token() == token1 && confirmed.cookie_header == reloaded.cookie_header);
  confirmed.save(txt);
  CHECK(file_mode(txt) == 0600);
  auto kept = bili_qr::Session::load(txt);
  CHECK(kept.refresh_token() == token1 && !kept.previous_refresh_token());

  auto now_valid = bili_qr::check(kept, o);
  CHECK(now_valid.valid() && now_valid.mid() == login.mid);
  auto old = bili_qr::check(saved, o);  // the fake server retired the old session at the confirmation
  CHECK(old.status() == std::string("expired") && !old.valid());
  CHECK_THROWS_STATUS(bili_qr::ExpiredError, BILI_QR_EXPIRED, bili_qr::refresh(saved, o));

  CHECK(bili_qr::logout(kept, o) == true);
  CHECK(bili_qr::check(kept, o).status() == std::string("expired"));

  // A bilibili.tv session has no refresh: ERR_ARGUMENT and nothing sent.
  auto intl = scenario("id=cpp-main-intl,flow=c");
  auto intl_login = bili_qr::wait(bili_qr::start(intl).ticket, intl);
  CHECK(!intl_login.site && !intl_login.refresh_token);
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_ARGUMENT, bili_qr::refresh(intl_login.session(), intl));
  CHECK(requests("id=cpp-main-intl", "/cookie/info").empty());

  std::remove(txt.c_str());
  std::remove(js.c_str());
  ::rmdir(dir);
}

// A crash between refresh and confirm loses nothing: the refreshed session is dropped unsaved, the old one still
// works, and it can be refreshed and confirmed again.
void test_mainland_refresh_without_confirm() {
  auto o = mainland("id=cpp-main-crash,flow=c");
  auto old = bili_qr::wait(bili_qr::start(o).ticket, o).session();
  { auto lost = bili_qr::refresh(old, o); CHECK(lost.needs_confirm()); }  // never saved, never confirmed
  CHECK(bili_qr::check(old, o).valid());
  auto again = bili_qr::refresh(old, o);
  CHECK(again.previous_refresh_token() == old.refresh_token());
  auto confirmed = bili_qr::refresh_confirm(again, o);
  CHECK(bili_qr::check(confirmed, o).valid());
  CHECK(bili_qr::check(old, o).status() == std::string("expired"));
}

// Sets Options::flow when the generated Options has it (abi/bili_qr.toml with the TV options); else false.
template <typename O>
auto set_flow(O& o, int) -> decltype(o.flow = std::string(), bool()) {
  o.flow = std::string("tv");
  return true;
}
template <typename O>
bool set_flow(O&, long) {
  return false;
}

// Options JSON with "flow":"tv" added, for the C ABI directly.
std::string with_tv_flow(const bili_qr::Options& o) {
  nlohmann::json j = nlohmann::json::parse(o.to_json());
  j["flow"] = "tv";
  return j.dump();
}

// The TV/app token login: login -> save (JSON, 0600) -> check (valid) -> refresh (no confirmation step) -> save
// -> check (the new token valid, the old one retired once the new one was used) -> logout. SKIPPED while the
// library refuses the option "flow".
void test_tv_round_trip() {
  auto o = mainland("id=cpp-tv,flow=c");
  const std::string tv_json = with_tv_flow(o);
  {
    const auto [st, message] = c_start(tv_json);
    if (st == BILI_QR_ERR_ARGUMENT && message.find("flow") != std::string::npos) {
      g_skip_reason = "the library does not know the option \"flow\" (" + message + ")";
      return;
    }
    CHECK(st == BILI_QR_OK);
  }

  bili_qr::Login login;
  bili_qr::Options tv = o;
  if (set_flow(tv, 0)) {
    auto qr = bili_qr::start(tv);
    CHECK(qr.qr_type == "main_tv");
    login = bili_qr::wait(qr.ticket, tv);
  } else {
    // The library knows flow but this bili_qr_abi.hpp was generated before it: log in through the C ABI and
    // read the answer as the wrapper does.
    char* out = nullptr;
    char* err = nullptr;
    CHECK(bili_qr_start_ex(tv_json.c_str(), &out, &err) == BILI_QR_OK);
    const std::string ticket = out ? nlohmann::json::parse(out).at("ticket").get<std::string>() : "";
    bili_qr_free(out);
    bili_qr_free(err);
    out = err = nullptr;
    CHECK(bili_qr_wait_ex(ticket.c_str(), tv_json.c_str(), nullptr, nullptr, &out, &err) == BILI_QR_OK);
    const std::string text = out ? out : "{}";
    bili_qr_free(out);
    bili_qr_free(err);
    login = bili_qr::detail::parse_login(nlohmann::json::parse(text), text);
  }
  CHECK(login.flow == std::string("tv") && login.site == std::string("main") && !login.refresh_token);
  CHECK(login.token && is_hex32(login.token->access_token) && is_hex32(login.token->refresh_token));
  CHECK(login.token && login.token->expires_at.has_value());
  if (!login.token) return;
  const bili_qr::Token token0 = *login.token;

  char dir_template[] = "/tmp/bili_qr_cpp_tv.XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  CHECK(dir != nullptr);
  if (dir == nullptr) return;
  const std::string js = std::string(dir) + "/tv.json";
  login.session().save(js);  // only the JSON form keeps the token
  CHECK(file_mode(js) == 0600);
  auto saved = bili_qr::Session::load(js);
  CHECK(saved.flow() == std::string("tv") && saved.token());
  CHECK(saved.token() && saved.token()->access_token == token0.access_token &&
        saved.token()->refresh_token == token0.refresh_token);

  // Saved without a format under another name, a token session is JSON too: cookies.txt cannot hold the token.
  const std::string txt = std::string(dir) + "/tv.txt";
  login.session().save(txt);
  CHECK(file_mode(txt) == 0600);
  auto from_txt = bili_qr::Session::load(txt);
  CHECK(from_txt.token() && from_txt.token()->access_token == token0.access_token &&
        from_txt.token()->refresh_token == token0.refresh_token);
  std::remove(txt.c_str());

  auto checked = bili_qr::check(saved, o);
  CHECK(checked.valid() && checked.refresh_needed() == std::optional<bool>(false) && checked.mid() == login.mid);

  auto refreshed = bili_qr::refresh(saved, o);
  CHECK(refreshed.status() == std::string("refreshed") && !refreshed.needs_confirm());
  CHECK(refreshed.token() && refreshed.token()->access_token != token0.access_token &&
        refreshed.token()->refresh_token != token0.refresh_token);
  check_error_without(BILI_QR_ERR_ARGUMENT, {token0.access_token, token0.refresh_token},
                      [&] { bili_qr::refresh_confirm(refreshed, o); });
  refreshed.save(js);
  CHECK(file_mode(js) == 0600);
  auto kept = bili_qr::Session::load(js);
  CHECK(kept.token() && refreshed.token() && kept.token()->access_token == refreshed.token()->access_token);

  CHECK(bili_qr::check(kept, o).valid());  // the first use of the new token retires the old one
  CHECK(bili_qr::check(saved, o).status() == std::string("expired"));
  CHECK(bili_qr::logout(kept, o) == true);

  std::remove(js.c_str());
  ::rmdir(dir);
}

// Built with -DBILI_QR_TEST_ABI_MISMATCH: every call refuses to run, and nothing reaches the server.
void test_abi_mismatch() {
  bool thrown = false;
  try {
    bili_qr::check_abi();
  } catch (const bili_qr::Error& e) {
    thrown = e.status() == BILI_QR_ERR_INTERNAL &&
             std::string(e.what()).find("library is too old: ABI 1, bili_qr.hpp needs 3") != std::string::npos;
  }
  CHECK(thrown);
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_INTERNAL, bili_qr::start(scenario("id=cpp-abi")));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_INTERNAL, bili_qr::poll("0123456789abcdef", scenario("id=cpp-abi")));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_INTERNAL, bili_qr::wait("0123456789abcdef", scenario("id=cpp-abi")));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_INTERNAL, bili_qr::render("x", "utf8"));
  CHECK_THROWS_STATUS(bili_qr::Error, BILI_QR_ERR_INTERNAL, bili_qr::session_convert("SESSDATA=a", "json"));
  CHECK(requests("id=cpp-abi", "").empty());
}

}  // namespace

int main() {
  const char* base = std::getenv("BILI_QR_TEST_BASE");
  if (base == nullptr || std::strncmp(base, "http://127.0.0.1:", 17) != 0) {
    std::cerr << "set BILI_QR_TEST_BASE=http://127.0.0.1:PORT (a running bili-qr-fake-server)\n";
    return 2;
  }
  g_base = base;
  g_port = std::atoi(base + 17);
  if (const char* key = std::getenv("BILI_QR_TEST_REFRESH_KEY")) g_refresh_key = read_file(key);

  struct Test {
    const char* name;
    void (*fn)();
  };
#ifdef BILI_QR_TEST_ABI_MISMATCH
  const bool mismatch_build = true;  // runs abi_mismatch alone
#else
  const bool mismatch_build = false;  // runs everything else
#endif
  const Test tests[] = {
      {"abi_mismatch", test_abi_mismatch},
      {"version", test_version},
      {"options_json", test_options_json},
      {"options_sent", test_options_sent},
      {"start_and_poll", test_start_and_poll},
      {"wait_progress", test_wait_progress},
      {"wait_without_callback", test_wait_without_callback},
      {"wait_expired", test_wait_expired},
      {"progress_false_cancels", test_progress_false_cancels},
      {"progress_exception_rethrown", test_progress_exception_rethrown},
      {"cancel_from_other_thread", test_cancel_from_other_thread},
      {"concurrent_waits", test_concurrent_waits},
      {"errors", test_errors},
      {"render", test_render},
      {"statuses_and_options_reach_the_library", test_statuses_and_options_reach_the_library},
      {"null_fields_and_warnings", test_null_fields_and_warnings},
      {"messages_from_other_threads", test_messages_from_other_threads},
      {"session_lifecycle", test_session_lifecycle},
      {"mainland_round_trip", test_mainland_round_trip},
      {"mainland_refresh_without_confirm", test_mainland_refresh_without_confirm},
      {"tv_round_trip", test_tv_round_trip},
  };
  for (const auto& t : tests) {
    if ((std::strcmp(t.name, "abi_mismatch") == 0) != mismatch_build) continue;
    const int before = g_failures;
    g_skip_reason.clear();
    try {
      t.fn();
    } catch (const bili_qr::Error& e) {
      ++g_failures;
      std::cerr << "  unexpected bili_qr::Error status " << e.status() << ": " << e.what() << "\n";
    } catch (const std::exception& e) {
      ++g_failures;
      std::cerr << "  unexpected exception: " << e.what() << "\n";
    }
    if (g_failures == before && !g_skip_reason.empty()) {
      std::cout << "SKIPPED " << t.name << ": " << g_skip_reason << "\n";
      continue;
    }
    std::cout << (g_failures == before ? "ok   " : "FAIL ") << t.name << "\n";
  }
  std::cout << g_checks << " checks, " << g_failures << " failed\n";
  return g_failures == 0 ? 0 : 1;
}
