#include "common/proc_status.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <sstream>

#include "common/unique_fd.h"

namespace privbind::proc {

Result<std::string> readFile(const std::string& path) {
  UniqueFd fd(retryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) return Error::fromErrno("open(" + path + ")", errno);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = retryEintr([&] { return ::read(fd.get(), buf, sizeof buf); });
    if (n < 0) return Error::fromErrno("read(" + path + ")", errno);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1u << 20)) return Error::refuse(path, "larger than 1 MiB");
  }
  return out;
}

namespace {

bool parseHex(const std::string& s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

template <class T, size_t N>
bool parseIds(std::istringstream& in, std::array<T, N>& out) {
  for (auto& v : out) {
    unsigned long x;
    if (!(in >> x)) return false;
    v = static_cast<T>(x);
  }
  return true;
}

}  // namespace

Result<Status> parseStatus(const std::string& text) {
  Status st;
  int seen = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::istringstream value(line.substr(colon + 1));
    std::string word;
    auto hex = [&](uint64_t& out) {
      value >> word;
      if (parseHex(word, out)) ++seen;
    };
    if (key == "Uid") {
      if (parseIds(value, st.uid)) ++seen;
    } else if (key == "Gid") {
      if (parseIds(value, st.gid)) ++seen;
    } else if (key == "Groups") {
      unsigned long g;
      while (value >> g) st.groups.push_back(static_cast<gid_t>(g));
    } else if (key == "CapInh") {
      hex(st.capInh);
    } else if (key == "CapPrm") {
      hex(st.capPrm);
    } else if (key == "CapEff") {
      hex(st.capEff);
    } else if (key == "CapBnd") {
      hex(st.capBnd);
    } else if (key == "CapAmb") {
      hex(st.capAmb);
    } else if (key == "NoNewPrivs") {
      value >> st.noNewPrivs;
    } else if (key == "Seccomp") {
      value >> st.seccomp;
    }
  }
  // Uid, Gid and the five capability sets must all be there (CapAmb since Linux 4.3).
  if (seen != 7) return Error::refuse("/proc status", "missing Uid, Gid or Cap* lines");
  return st;
}

Result<Status> readStatus(pid_t pid) {
  std::string path = pid == 0 ? "/proc/self/status" : "/proc/" + std::to_string(pid) + "/status";
  auto text = readFile(path);
  if (!text) return text.error();
  auto st = parseStatus(*text);
  if (!st) return st.error().prefix(path);
  return st;
}

Result<Status> readSelf() { return readStatus(0); }

unsigned unprivilegedPortStart() {
  auto text = readFile("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  if (!text) return 1024;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc()) return 1024;
  return v;
}

}  // namespace privbind::proc
