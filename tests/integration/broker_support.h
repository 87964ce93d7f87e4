// Shared by the broker integration suites: finding the helper from privbind's -v line, and
// reading what the kernel says about it.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"

namespace brokertest {

// "privbind: broker mode: helper pid 123, channel on fd 3; ..." -> 123, or -1.
inline pid_t helperPidFrom(const std::string& err) {
  std::smatch m;
  static const std::regex re("broker mode: helper pid ([0-9]+), channel on fd [0-9]+;");
  if (!std::regex_search(err, m, re)) return -1;
  return static_cast<pid_t>(std::stol(m[1]));
}

inline pid_t waitForHelper(testsupport::Process& p) {
  pid_t pid = -1;
  testsupport::eventually([&] { return (pid = helperPidFrom(p.err())) > 0; },
                          std::chrono::seconds(10));
  return pid;
}

// /proc/PID/stat: state and parent.
inline char procState(pid_t pid, pid_t* parent = nullptr) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (text.empty() || close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  char state = 0;
  long ppid = 0;
  rest >> state >> ppid;
  if (parent) *parent = static_cast<pid_t>(ppid);
  return state;
}

// Exited: no /proc entry any more, or a zombie waiting for its reaper.
inline bool gone(pid_t pid) {
  char s = procState(pid);
  return s == 0 || s == 'Z' || s == 'X';
}

// The kernel makes the files under /proc/PID of a non-dumpable process owned by root (proc(5)).
inline bool notDumpable(pid_t pid) {
  struct stat st {};
  return stat(("/proc/" + std::to_string(pid) + "/status").c_str(), &st) == 0 && st.st_uid == 0;
}

inline std::string str(int v) { return std::to_string(v); }

// privbind OPTIONS -- REST (broker mode unless the options say otherwise: -m broker is added,
// since the default, auto, takes cgroup mode where the host can do it).
inline std::vector<std::string> broker(const std::vector<std::string>& options,
                                       const std::vector<std::string>& rest) {
  std::vector<std::string> argv = {testsupport::privbindPath()};
  bool hasMode = false;
  for (const auto& o : options) hasMode = hasMode || o == "-m" || o.starts_with("--mode");
  if (!hasMode) argv.push_back("--mode=broker");
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), rest.begin(), rest.end());
  return argv;
}

}  // namespace brokertest
