#include "doctor/report.h"

#include <cstdio>

namespace privbind::doctor::report {

namespace {

const char* severityName(Severity s) {
  switch (s) {
    case Severity::kProblem:
      return "problem";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "info";
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// A tiny JSON writer: objects and arrays with comma handling, no external dependency.
class Json {
 public:
  void beginObject() {
    value();
    out_ += '{';
    first_ = true;
  }
  void endObject() {
    out_ += '}';
    first_ = false;
  }
  void beginArray() {
    value();
    out_ += '[';
    first_ = true;
  }
  void endArray() {
    out_ += ']';
    first_ = false;
  }
  Json& key(const std::string& k) {
    if (!first_) out_ += ',';
    out_ += jsonString(k) + ':';
    first_ = true;  // the value that follows needs no comma
    afterKey_ = true;
    return *this;
  }
  void str(const std::string& s) {
    value();
    out_ += jsonString(s);
    first_ = false;
  }
  void strOrNull(const std::string& s) {
    if (s.empty()) {
      null();
    } else {
      str(s);
    }
  }
  void boolean(bool b) {
    value();
    out_ += b ? "true" : "false";
    first_ = false;
  }
  void number(long long n) {
    value();
    out_ += std::to_string(n);
    first_ = false;
  }
  void null() {
    value();
    out_ += "null";
    first_ = false;
  }
  void strings(const std::vector<std::string>& v) {
    beginArray();
    for (const auto& s : v) str(s);
    endArray();
  }
  std::string take() { return out_ + "\n"; }

 private:
  void value() {
    if (afterKey_) {
      afterKey_ = false;
    } else if (!first_) {
      out_ += ',';
    }
  }
  std::string out_;
  bool first_ = true;
  bool afterKey_ = false;
};

void expansionJson(Json& j, const elf::Expansion& x) {
  j.beginObject();
  j.key("expanded").strOrNull(x.expanded);
  j.key("ignored").boolean(x.dropped);
  j.key("relative").boolean(x.relative);
  j.key("reason").strOrNull(x.reason);
  j.endObject();
}

}  // namespace

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\r':
        out += "\\r";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Pass valid UTF-8 sequences through; escape stray bytes as U+FFFD.
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool valid = len >= 2 && i + len <= s.size();
    for (size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (valid) {
      out.append(s, i, len);
      i += len - 1;
    } else {
      out += "\\ufffd";
    }
  }
  return out + "\"";
}

std::string text(const Report& r) {
  std::string o;
  auto line = [&](const std::string& label, const std::string& value) {
    std::string l = "  " + label + ":";
    if (l.size() < 16) l.resize(16, ' ');
    o += l + value + "\n";
  };
  if (r.system) {
    const SystemReport& s = *r.system;
    o += "System\n";
    line("kernel",
         s.kernel + (s.ambient ? ", ambient capabilities supported" : ", NO ambient capabilities"));
    line("port start",
         "net.ipv4.ip_unprivileged_port_start = " + std::to_string(s.unprivilegedPortStart) +
             (s.unprivilegedPortStart == 0 ? " (every port is unprivileged: no tool needed)"
                                           : " (no tool needed for ports >= " +
                                                 std::to_string(s.unprivilegedPortStart) + ")"));
    line("privbind", "uid " + std::to_string(s.euid) + ", effective " + s.capEff);
    line("bounding set",
         s.bindInBounding ? "has cap_net_bind_service" : "LACKS cap_net_bind_service");
    line("no_new_privs", s.noNewPrivs == 1 ? "set" : s.noNewPrivs == 0 ? "not set" : "unknown");
    line("seccomp", s.seccomp == 0   ? "none"
                    : s.seccomp == 1 ? "strict"
                    : s.seccomp == 2 ? "filter active"
                                     : "unknown");
    line("preload shim", s.shimPath.empty() ? "NOT FOUND"
                         : s.shimLoadable   ? s.shimPath + " (loads)"
                                            : s.shimPath + " (DOES NOT LOAD: " + s.shimError + ")");
    for (const auto& m : s.modes)
      line(m.name + " mode", m.works ? "works" : "DOES NOT WORK: " + m.why);
  }
  if (r.binary) {
    const BinaryReport& b = *r.binary;
    const elf::Info& i = b.info;
    o += "Target " + b.path + "\n";
    for (const auto& c : b.chain) line("found", c);
    line("ELF", std::to_string(i.elfClass) + "-bit " + i.machineName + ", " +
                    (i.dynamic ? "dynamic (interpreter " + i.interpreter + ")" : "static") +
                    (i.isGo ? ", Go program" : ", not Go"));
    line("file", octal(b.mode) + " uid " + std::to_string(b.owner) + " gid " +
                     std::to_string(b.group) + (b.setuid ? ", SETUID" : "") +
                     (b.setgid ? ", SETGID" : "") +
                     (b.package.empty() ? "" : ", from package " + b.package));
    line("capabilities", b.fileCaps.empty() ? "none" : b.fileCaps);
    line("secure mode", b.secure ? "yes: an ordinary user's exec gets AT_SECURE (ld.so(8))" : "no");
    for (const auto& e : b.entries) {
      std::string v = "'" + e.secure.entry + "'";
      if (e.secure.usesOrigin) v += " uses $ORIGIN";
      if (e.secure.usesLib) v += " uses $LIB";
      if (e.secure.usesPlatform) v += " uses $PLATFORM";
      v += "\n                  normal: " + (e.normal.dropped ? "ignored" : e.normal.expanded);
      v += "\n                  secure: " +
           (e.secure.dropped ? "IGNORED (" + e.secure.reason + ")" : e.secure.expanded);
      if (!e.secure.dropped && e.secure.relative) v += " (" + e.secure.reason + ")";
      line(e.tag, v);
    }
    for (const auto& l : b.libs) {
      std::string v = l.name +
                      "\n                  normal: " + (l.normal.empty() ? "NOT FOUND" : l.normal) +
                      "\n                  secure: " + (l.secure.empty() ? "NOT FOUND" : l.secure);
      line("NEEDED", v);
    }
    if (b.jdk) {
      std::string v = b.jdk->home + ", JDK " + b.jdk->layout + " layout (" + b.jdk->libjli + ")";
      line("JDK", v);
      std::string launchers;
      for (const auto& l : b.jdk->launchersWithCaps)
        launchers += (launchers.empty() ? "" : ", ") + l;
      line("launchers", launchers.empty() ? "none in bin/ carries file capabilities"
                                          : "with file capabilities: " + launchers);
    }
    o += "Verdicts\n";
    if (!b.native) {
      o += "  not checked: not built for this host's architecture\n";
    } else {
      o += std::string("  ") + (b.startsAsUser ? "[ok]  " : "[FAIL]") +
           " starts as an ordinary user" + (b.secure ? " with its file capabilities" : "") + "\n";
      o += std::string("  ") + (b.brokerWorks ? "[ok]  " : "[no]  ") +
           " broker mode reaches its binds (privbind -u USER ...)\n";
      o += std::string("  ") + (b.capsWorks ? "[ok]  " : "[no]  ") +
           " caps mode works (privbind --mode=caps -u USER ...)\n";
    }
  }
  bool any = false;
  for (const auto& f : r.findings) {
    if (f.severity == Severity::kInfo) continue;
    if (!any) o += "Findings\n";
    any = true;
    o += std::string("  ") + (f.severity == Severity::kProblem ? "PROBLEM: " : "warning: ") +
         f.message + "\n";
  }
  for (const auto& f : r.findings)
    if (f.severity == Severity::kInfo) o += "  note: " + f.message + "\n";
  if (r.binary && !r.binary->recommended.empty()) {
    o += r.problems() ? "Recommended fix\n" : "How to run it\n";
    for (const auto& c : r.binary->recommended) o += "  " + c + "\n";
  }
  if (r.binary && r.binary->fix) {
    const FixReport& f = *r.binary->fix;
    o += "Fix (" + f.status + ")\n";
    if (!f.tag.empty()) line(f.tag, "'" + f.before + "' -> '" + f.after + "'");
    for (const auto& c : f.commands) o += (f.status == "dry-run" ? "  " : "  ran: ") + c + "\n";
    for (const auto& n : f.notes) o += "  note: " + n + "\n";
  }
  o += r.problems() ? "Result: problems found\n" : "Result: no problem found\n";
  return o;
}

std::string json(const Report& r) {
  Json j;
  j.beginObject();
  j.key("format").number(1);
  if (r.system) {
    const SystemReport& s = *r.system;
    j.key("system").beginObject();
    j.key("kernel").str(s.kernel);
    j.key("ambient_supported").boolean(s.ambient);
    j.key("unprivileged_port_start").number(s.unprivilegedPortStart);
    j.key("euid").number(s.euid);
    j.key("cap_effective").str(s.capEff);
    j.key("cap_permitted").str(s.capPrm);
    j.key("cap_bounding").str(s.capBnd);
    j.key("net_bind_in_bounding").boolean(s.bindInBounding);
    j.key("no_new_privs").number(s.noNewPrivs);
    j.key("seccomp").number(s.seccomp);
    j.key("shim").strOrNull(s.shimPath);
    j.key("shim_searched").strings(s.shimSearched);
    j.key("shim_loadable").boolean(s.shimLoadable);
    j.key("shim_error").strOrNull(s.shimError);
    j.key("modes").beginObject();
    for (const auto& m : s.modes) {
      j.key(m.name).beginObject();
      j.key("works").boolean(m.works);
      j.key("why").strOrNull(m.why);
      j.endObject();
    }
    j.endObject();
    j.endObject();
  } else {
    j.key("system").null();
  }
  if (r.binary) {
    const BinaryReport& b = *r.binary;
    const elf::Info& i = b.info;
    j.key("target").beginObject();
    j.key("query").str(b.query);
    j.key("resolved_via").strings(b.chain);
    j.key("path").str(b.path);
    j.key("elf_class").number(i.elfClass);
    j.key("machine").str(i.machineName);
    j.key("native").boolean(b.native);
    j.key("dynamic").boolean(i.dynamic);
    j.key("interpreter").strOrNull(i.interpreter);
    j.key("go").boolean(i.isGo);
    j.key("owner").number(b.owner);
    j.key("group").number(b.group);
    j.key("mode").str(octal(b.mode));
    j.key("setuid").boolean(b.setuid);
    j.key("setgid").boolean(b.setgid);
    j.key("file_caps").strOrNull(b.fileCaps);
    j.key("secure_execution").boolean(b.secure);
    j.key("package").strOrNull(b.package);
    j.key("search_path").beginArray();
    for (const auto& e : b.entries) {
      j.beginObject();
      j.key("tag").str(e.tag);
      j.key("entry").str(e.secure.entry);
      j.key("origin").boolean(e.secure.usesOrigin);
      j.key("lib").boolean(e.secure.usesLib);
      j.key("platform").boolean(e.secure.usesPlatform);
      j.key("normal");
      expansionJson(j, e.normal);
      j.key("secure");
      expansionJson(j, e.secure);
      j.endObject();
    }
    j.endArray();
    j.key("needed").beginArray();
    for (const auto& l : b.libs) {
      j.beginObject();
      j.key("name").str(l.name);
      j.key("needed_by").str(l.neededBy);
      j.key("normal").strOrNull(l.normal);
      j.key("secure").strOrNull(l.secure);
      j.endObject();
    }
    j.endArray();
    if (b.jdk) {
      j.key("jdk").beginObject();
      j.key("home").str(b.jdk->home);
      j.key("layout").str(b.jdk->layout);
      j.key("libjli").str(b.jdk->libjli);
      j.key("launchers_with_caps").strings(b.jdk->launchersWithCaps);
      j.endObject();
    } else {
      j.key("jdk").null();
    }
    j.key("verdicts").beginObject();
    j.key("checked").boolean(b.native);
    j.key("starts_as_user").boolean(b.startsAsUser);
    j.key("broker_mode").boolean(b.brokerWorks);
    j.key("caps_mode").boolean(b.capsWorks);
    j.endObject();
    j.key("recommended").strings(b.recommended);
    if (b.fix) {
      const FixReport& f = *b.fix;
      j.key("fix").beginObject();
      j.key("status").str(f.status);
      j.key("tag").strOrNull(f.tag);
      j.key("before").strOrNull(f.before);
      j.key("after").strOrNull(f.after);
      j.key("backup").strOrNull(f.backup);
      j.key("backup_existed").boolean(f.backupExisted);
      j.key("commands").strings(f.commands);
      j.key("notes").strings(f.notes);
      j.endObject();
    } else {
      j.key("fix").null();
    }
    j.endObject();
  } else {
    j.key("target").null();
  }
  j.key("findings").beginArray();
  for (const auto& f : r.findings) {
    j.beginObject();
    j.key("severity").str(severityName(f.severity));
    j.key("code").str(f.code);
    j.key("message").str(f.message);
    j.endObject();
  }
  j.endArray();
  j.key("problems").boolean(r.problems());
  j.key("exit_code").number(r.problems() ? 1 : 0);
  j.endObject();
  return j.take();
}

}  // namespace privbind::doctor::report
