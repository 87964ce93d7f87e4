// Port lists as given to --ports and --reuseport: "80,443,8000-8010".
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace privbind::ports {

class PortSet {
 public:
  bool empty() const { return bits_.none(); }
  bool contains(uint16_t port) const { return bits_.test(port); }
  void add(uint16_t port) { bits_.set(port); }
  size_t size() const { return bits_.count(); }
  // Canonical text, ranges folded: "80,443,8000-8010".
  std::string toString() const;
  bool operator==(const PortSet&) const = default;

 private:
  std::bitset<65536> bits_;
};

// Ports 1..65535; a range is "LOW-HIGH" with LOW <= HIGH; no empty items, no port twice.
Result<PortSet> parse(std::string_view text);

}  // namespace privbind::ports
