// A C++ program using the installed bili_qr (bili_qr.hpp over libbili_qr): logs in through the QR flow.
// Usage: consumer_cpp BASE_URL   (e.g. http://127.0.0.1:PORT/s/flow=wsc for the fake server)
// Exit status 0 only when the login was confirmed with a SESSDATA cookie.
#include <bili_qr.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " BASE_URL\n";
    return 2;
  }
  try {
    bili_qr::check_abi();  // fail early on a library built for another ABI
    bili_qr::Options opts;
    opts.base_url = argv[1];
    opts.poll_interval_ms = 100;
    opts.wait_timeout_ms = 20000;

    bili_qr::QrCode qr = bili_qr::start(opts);
    std::string drawing = bili_qr::render(qr.qr_url, "utf8");  // print this in a terminal for the app to scan
    std::cout << "bili_qr " << bili_qr::version() << ": QR code of " << drawing.size() << " bytes, ticket "
              << qr.ticket.substr(0, 6) << "...\n";

    bili_qr::Login login = bili_qr::wait(qr.ticket, opts, [](const bili_qr::PollResult& r) {
      std::cout << (r.state == bili_qr::State::scanned ? "scanned, confirm in the app\n" : "waiting for a scan\n");
      return true;  // false would cancel
    });
    const bili_qr::Cookie* sess = login.cookie("SESSDATA");
    if (sess == nullptr || sess->value.empty()) {
      std::cerr << "login confirmed but no SESSDATA cookie\n";
      return 1;
    }
    // mid and name are std::optional: empty when the service sent null (ABI 2)
    std::cout << "logged in: mid " << login.mid.value_or(0) << ", name " << login.name.value_or("?") << ", cookies:";
    for (const auto& c : login.cookies) std::cout << ' ' << c.name;  // names only: values are secrets
    std::cout << "\n";
    return 0;
  } catch (const bili_qr::ExpiredError&) {
    std::cerr << "the QR code expired; run again\n";
  } catch (const bili_qr::Error& e) {
    std::cerr << "bili_qr error " << e.status() << ": " << e.what() << "\n";
  }
  return 1;
}
