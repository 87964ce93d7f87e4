#include "common/startup_report.h"

#include <unistd.h>

#include <string_view>

#include "common/error.h"
#include "common/ids.h"

namespace privbind::startup {

Report read(int fd) {
  std::string text;
  char buf[512];
  for (;;) {
    ssize_t n = retryEintr([&] { return ::read(fd, buf, sizeof buf); });
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > 4096) break;
  }
  Report r;
  if (text.starts_with("ok ") && text.ends_with("\n")) {
    if (auto pid = ids::parseId(std::string_view(text).substr(3, text.size() - 4))) {
      r.ready = static_cast<pid_t>(*pid);
      return r;
    }
  }
  // A last step failed after "ok <pid>\n": the error that follows is what counts.
  if (size_t nl = text.find('\n'); text.starts_with("ok ") && nl != std::string::npos)
    text.erase(0, nl + 1);
  if (text.starts_with("error ")) text.erase(0, 6);
  if (text.ends_with("\n")) text.pop_back();
  r.message = text.empty() ? "exited before it was ready" : text;
  return r;
}

}  // namespace privbind::startup
