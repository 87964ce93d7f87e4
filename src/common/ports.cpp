#include "common/ports.h"

#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace privbind::ports {

namespace {

Result<uint16_t> parsePort(std::string_view item, std::string_view text) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
  if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || item.size() > 5)
    return Error::refuse("port list '" + std::string(text) + "'",
                         "'" + std::string(item) + "' is not a port number");
  if (value == 0 || value > 65535)
    return Error::refuse("port list '" + std::string(text) + "'",
                         "port " + std::string(item) + " is out of range 1-65535");
  return static_cast<uint16_t>(value);
}

}  // namespace

Result<PortSet> parse(std::string_view text) {
  const std::string what = "port list '" + std::string(text) + "'";
  if (text.empty()) return Error::refuse(what, "empty");
  PortSet set;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    if (item.empty()) return Error::refuse(what, "empty item");
    size_t dash = item.find('-');
    auto low = parsePort(item.substr(0, dash), text);
    if (!low) return low.error();
    uint16_t high = *low;
    if (dash != std::string_view::npos) {
      auto h = parsePort(item.substr(dash + 1), text);
      if (!h) return h.error();
      high = *h;
      if (high < *low) return Error::refuse(what, "range " + std::string(item) + " runs backwards");
    }
    for (unsigned p = *low; p <= high; ++p) {
      if (set.contains(static_cast<uint16_t>(p)))
        return Error::refuse(what, "port " + std::to_string(p) + " is listed twice");
      set.add(static_cast<uint16_t>(p));
    }
    pos = comma + 1;
  }
  return set;
}

std::string PortSet::toString() const {
  std::string out;
  unsigned p = 1;
  while (p <= 65535) {
    if (!bits_.test(p)) {
      ++p;
      continue;
    }
    unsigned start = p;
    while (p + 1 <= 65535 && bits_.test(p + 1)) ++p;
    if (!out.empty()) out += ',';
    out += std::to_string(start);
    if (p != start) out += "-" + std::to_string(p);
    ++p;
  }
  return out;
}

std::string refusalReason(Refusal why, const std::optional<PortSet>& ports,
                          std::optional<unsigned> binds) {
  if (why == Refusal::kNotInPorts) return "not in -p " + (ports ? ports->toString() : "");
  const unsigned n = binds.value_or(0);
  const std::string count = std::to_string(n);
  return "-n " + count + ": " +
         (n == 1 ? std::string("the one privileged bind is")
                 : "all " + count + " privileged binds are") +
         " used up (every bind counts: UDP and TCP on one port are 2, on IPv4 and IPv6 4)";
}

size_t formatRefusal(std::span<char> out, unsigned port, int protocol, std::string_view reason) {
  if (out.empty()) return 0;
  // The last byte is kept for the newline: a cut line still ends as a line.
  size_t used = 0;
  auto put = [&](std::string_view part) {
    size_t n = std::min(part.size(), out.size() - 1 - used);
    std::memcpy(out.data() + used, part.data(), n);
    used += n;
  };
  char number[8];
  auto [end, ec] = std::to_chars(number, number + sizeof number, port);
  put("privbind: port ");
  put(ec == std::errc() ? std::string_view(number, static_cast<size_t>(end - number)) : "?");
  put(protocol == IPPROTO_TCP    ? "/tcp"
      : protocol == IPPROTO_UDP  ? "/udp"
      : protocol == IPPROTO_SCTP ? "/sctp"
                                 : "");
  put(": bind refused: ");
  put(reason);
  out[used++] = '\n';
  return used;
}

}  // namespace privbind::ports
