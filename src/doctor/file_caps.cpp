#include "doctor/file_caps.h"

#include "common/caps.h"

namespace privbind::doctor::filecaps {

FileCaps read(const std::string& path) {
  FileCaps fc;
  CapPtr caps(cap_get_file(path.c_str()));
  if (!caps) return fc;
  int last = caps::lastCap();
  for (cap_value_t c = 0; c <= last && c < 64; ++c) {
    cap_flag_value_t p = CAP_CLEAR, e = CAP_CLEAR, i = CAP_CLEAR;
    cap_get_flag(caps.get(), c, CAP_PERMITTED, &p);
    cap_get_flag(caps.get(), c, CAP_EFFECTIVE, &e);
    cap_get_flag(caps.get(), c, CAP_INHERITABLE, &i);
    if (p == CAP_SET) fc.permitted |= uint64_t{1} << c;
    if (i == CAP_SET) fc.inheritable |= uint64_t{1} << c;
    // The file has one effective bit; libcap shows it on every capability of fP | fI.
    if (e == CAP_SET) fc.effective = true;
  }
  fc.anyPermitted = fc.permitted != 0;
  fc.netBind = (fc.permitted & caps::bit(caps::kNetBindService)) != 0;
  char* text = cap_to_text(caps.get(), nullptr);
  if (text) {
    fc.text = text;
    cap_free(text);
  }
  if (fc.text == "=" || fc.text.empty()) fc = FileCaps{};
  return fc;
}

}  // namespace privbind::doctor::filecaps
