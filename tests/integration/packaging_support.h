// Helpers shared by the packaging suites (packaging_*_test.cpp): the source tree, builds of it
// in a scratch directory, and a real server run through an installed privbind.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"

namespace packaging {

using namespace testsupport;

// The root of the source tree (tests/integration/../..).
inline std::string projectDir() {
  return std::filesystem::canonical(std::filesystem::path(sourceDir()) / ".." / "..").string();
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

inline mode_t modeOf(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

// Single-quotes text for /bin/sh.
inline std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The options `privbind --help` documents, e.g. "--user", "-u", "--no-target-check".
inline std::vector<std::string> helpOptions(const std::string& help) {
  std::vector<std::string> out;
  std::istringstream in(help);
  std::string line;
  while (std::getline(in, line)) {
    // Option lines start with two spaces and a dash: "  -u, --user USER  ..." or
    // "      --keep-env  ...".
    size_t p = line.find_first_not_of(' ');
    if (p == std::string::npos || p < 2 || line[p] != '-') continue;
    std::istringstream words(line.substr(p));
    std::string w;
    while (words >> w) {
      if (w.back() == ',') w.pop_back();
      if (w.size() < 2 || w[0] != '-') break;
      out.push_back(w);
    }
  }
  return out;
}

// A man page's text with roff's escaped minus ("\-") turned back into "-".
inline std::string manSource(const std::string& path) {
  std::string text = slurp(path), out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '-') {
      out += '-';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// What a client reads from bind_server (tests/integration/programs) started through `privbind`
// (any installed copy) as nobody on a free reserved port of 127.0.0.1, in the given mode.
// Checks the kernel's view of the server while it runs: the uid, and the capabilities the mode
// promises (broker: none at all; caps: CAP_NET_BIND_SERVICE, ambient). Returns the server's
// /proc/PID/maps so that callers can see which preload library it loaded.
struct Served {
  std::string reply;  // the line a real client read
  std::string maps;   // /proc/PID/maps of the server while it served
};

inline Served serveThrough(const std::string& binary, const std::string& mode,
                           const std::string& server) {
  uint16_t port = freeReservedPort();
  Process p({binary, "-m", mode, "-u", "nobody", "--", server, "-4", std::to_string(port)});
  Served out;
  bool up = waitForTcp("127.0.0.1", port);
  INFO("privbind stderr: " << p.err() << " stdout: " << p.out());
  REQUIRE(up);
  out.reply = tcpRead("127.0.0.1", port);
  // broker: the command holds nothing, the helper did the privileged bind.
  const uint64_t caps = mode == "broker" ? 0 : kNetBind;
  expectCredentials(p.pid(), Credentials{.uid = kNobody,
                                         .gid = 65534,
                                         .groups = {65534},
                                         .inh = caps,
                                         .prm = caps,
                                         .eff = caps,
                                         .amb = caps,
                                         .bnd = caps});
  out.maps = slurp("/proc/" + std::to_string(p.pid()) + "/maps");
  p.kill(15);
  CHECK(p.wait().has_value());
  return out;
}

}  // namespace packaging
