#include "common/bind_trace.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace privbind::bindtrace {

namespace {

// Appends to a fixed buffer, keeping its last byte for the newline.
class Line {
 public:
  explicit Line(std::span<char> out) : out_(out) {}
  void put(std::string_view part) {
    if (out_.empty()) return;
    size_t n = std::min(part.size(), out_.size() - 1 - used_);
    std::memcpy(out_.data() + used_, part.data(), n);
    used_ += n;
  }
  void number(unsigned long v) {
    char digits[24];
    auto [last, ec] = std::to_chars(digits, digits + sizeof digits, v);
    put(ec == std::errc() ? std::string_view(digits, static_cast<size_t>(last - digits)) : "?");
  }
  size_t end() {
    if (out_.empty()) return 0;
    out_[used_++] = '\n';
    return used_;
  }

 private:
  std::span<char> out_;
  size_t used_ = 0;
};

bool has(const uint64_t* bits, unsigned port) { return (bits[port / 64] >> (port % 64)) & 1; }

}  // namespace

size_t Tally::add(const Bind& b, std::span<char> out) {
  ports_[b.port / 64] |= uint64_t{1} << (b.port % 64);
  ++binds_;
  Line line(out);
  line.put("privbind: trace: bind ");
  line.number(b.port);
  line.put(b.protocol == IPPROTO_TCP ? "/tcp" : b.protocol == IPPROTO_UDP ? "/udp" : "/proto");
  if (b.protocol != IPPROTO_TCP && b.protocol != IPPROTO_UDP)
    line.number(static_cast<unsigned>(b.protocol));
  line.put(" ");
  char text[INET6_ADDRSTRLEN] = "?";
  if (b.family == AF_INET6) {
    inet_ntop(AF_INET6, b.address, text, sizeof text);
    line.put("[");
    line.put(text);
    line.put("]");
  } else {
    inet_ntop(AF_INET, b.address, text, sizeof text);
    line.put(text);
  }
  // The ports so far, ranges folded as -p takes them: "53,80,8000-8010".
  line.put("; so far: -p ");
  bool first = true;
  for (unsigned p = 1; p < 65536; ++p) {
    if (!has(ports_, p)) continue;
    unsigned last = p;
    while (last + 1 < 65536 && has(ports_, last + 1)) ++last;
    if (!first) line.put(",");
    first = false;
    line.number(p);
    if (last > p) {
      line.put("-");
      line.number(last);
    }
    p = last;
  }
  line.put(" -n ");
  line.number(binds_);
  return line.end();
}

}  // namespace privbind::bindtrace

namespace privbind::bindtrace {

std::string boundAtOnceReason(unsigned maxBound) {
  const std::string n = std::to_string(maxBound);
  return "--max-bound " + n + ": " +
         (maxBound == 1 ? std::string("the one privileged socket is")
                        : "all " + n + " privileged sockets are") +
         " bound now (a closed socket frees its place)";
}

}  // namespace privbind::bindtrace
