// The report as JSON with stable keys for scripts (documented in docs/java-rpath.md).
#include <cstdio>

#include "doctor/json_writer.h"
#include "doctor/report.h"
#include "doctor/tools.h"

namespace privbind::doctor::report {

namespace {

using Json = json::Writer;

// 2: verdicts.checked means "judged" (a program execve(2) refuses is judged: it starts nowhere),
// starts_as_user counts execve's own checks, cgroup_mode and binds_because are new.
constexpr int kFormat = 2;

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

void expansionJson(Json& j, const rpath::Expansion& x) {
  j.beginObject();
  j.key("expanded").strOrNull(x.expanded);
  j.key("ignored").boolean(x.dropped);
  j.key("relative").boolean(x.relative);
  j.key("reason").strOrNull(x.reason);
  j.endObject();
}

}  // namespace

std::string jsonError(const Error& e) {
  Json j;
  j.beginObject();
  j.key("format").number(kFormat);
  j.key("error").beginObject();
  j.key("what").str(e.what());
  j.key("why").str(e.why());
  j.key("message").str("privbind: " + e.message());
  j.endObject();
  j.key("problems").null();
  j.key("exit_code").number(kExitFailure);
  j.endObject();
  return j.take();
}

std::string json(const Report& r) {
  Json j;
  j.beginObject();
  j.key("format").number(kFormat);
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
    j.key("scripts").objects(b.scripts, [&](const auto& sc) {
      j.key("path").str(sc.path);
      j.key("interpreter").str(sc.interpreter);
      j.key("file_caps").strOrNull(sc.fileCaps);
      j.key("setuid").boolean(sc.setuid);
      j.key("setgid").boolean(sc.setgid);
    });
    j.key("path").str(b.path);
    j.key("exec_failure").strOrNull(b.execFailure);
    j.key("not_judged").strOrNull(b.notJudged);
    j.key("file_caps_ignored").strOrNull(b.capsIgnoredWhy);
    j.key("libraries_from").str(b.tracedLoad ? "ld.so" : "model");
    j.key("ld_library_path").strOrNull(b.ldLibraryPath);
    j.key("elf_class").number(i.elfClass);
    j.key("machine").str(i.machineName);
    j.key("native").boolean(b.native);
    j.key("dynamic").boolean(i.dynamic);
    j.key("interpreter").strOrNull(i.interpreter);
    j.key("go").boolean(i.isGo);
    j.key("owner").number(b.owner);
    j.key("group").number(b.group);
    j.key("mode").str(tools::octal(b.mode));
    j.key("setuid").boolean(b.setuid);
    j.key("setgid").boolean(b.setgid);
    j.key("file_caps").strOrNull(b.fileCaps);
    j.key("secure_execution").boolean(b.secure);
    j.key("package").strOrNull(b.package);
    j.key("search_path").objects(b.entries, [&](const EntryReport& e) {
      j.key("tag").str(e.tag);
      j.key("entry").str(e.secure.entry);
      j.key("origin").boolean(e.secure.usesOrigin);
      j.key("lib").boolean(e.secure.usesLib);
      j.key("platform").boolean(e.secure.usesPlatform);
      j.key("normal");
      expansionJson(j, e.normal);
      j.key("secure");
      expansionJson(j, e.secure);
    });
    j.key("needed").objects(b.libs, [&](const LibReport& l) {
      j.key("name").str(l.name);
      j.key("needed_by").str(l.neededBy);
      j.key("normal").strOrNull(l.normal);
      j.key("secure").strOrNull(l.secure);
    });
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
    // A target doctor did not judge (another architecture) claims nothing: null, not false.
    auto verdict = [&](const char* key, bool value) {
      j.key(key);
      if (b.checked) {
        j.boolean(value);
      } else {
        j.null();
      }
    };
    j.key("checked").boolean(b.checked);
    verdict("starts_as_user", b.startsAsUser);
    verdict("binds_as_user", b.bindsAsUser);
    j.key("binds_because").strings(b.bindsBecause);
    verdict("cgroup_mode", b.cgroupWorks);
    verdict("broker_mode", b.brokerWorks);
    verdict("caps_mode", b.capsWorks);
    j.endObject();
    j.key("recommended").strings(b.recommended);
    if (b.fix) {
      const FixReport& f = *b.fix;
      j.key("fix").beginObject();
      j.key("status").str(fixStatusName(f.status));
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
  j.key("findings").objects(r.findings, [&](const Finding& f) {
    j.key("severity").str(severityName(f.severity));
    j.key("code").str(f.code);
    j.key("message").str(f.message);
  });
  j.key("problems").boolean(r.problems());
  j.key("exit_code").number(r.problems() ? 1 : 0);
  j.endObject();
  return j.take();
}

}  // namespace privbind::doctor::report
