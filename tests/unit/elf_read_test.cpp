// elf::read on real files: this test binary, and the bad inputs of every kind.
#include <doctest/doctest.h>
#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "common/elf.h"

using namespace privbind;

namespace {

struct Scratch {
  Scratch() {
    char tmpl[] = "/tmp/privbind-elf-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~Scratch() { std::system(("rm -rf '" + dir + "'").c_str()); }
  std::string file(const std::string& name, const std::string& content) const {
    std::string p = dir + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string dir;
};

std::string selfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  REQUIRE(n > 0);
  return std::string(buf, static_cast<size_t>(n));
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string whyOf(const std::string& path) {
  auto r = elf::read(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().rfind(path, 0) == 0);  // the message names the path first
  return r.error().why();
}

}  // namespace

TEST_CASE("this test binary: 64-bit, dynamic, libc needed, not Go") {
  auto r = elf::read(selfPath());
  REQUIRE(r.ok());
  CHECK(r->elfClass == static_cast<int>(sizeof(void*) * 8));
  CHECK(r->dynamic);
  CHECK(r->interpreter.rfind("/", 0) == 0);
  CHECK_FALSE(r->isGo);
  bool libc = false;
  for (const auto& n : r->needed) libc |= n.rfind("libc.so", 0) == 0;
  CHECK(libc);
#if defined(__x86_64__)
  CHECK(r->machine == EM_X86_64);
  CHECK(r->machineName == "x86-64");
#endif
}

TEST_CASE("bad inputs give one clear sentence") {
  Scratch s;
  CHECK(whyOf(s.dir + "/missing") == "No such file or directory");
  CHECK(whyOf(s.dir).find("directory") != std::string::npos);
  REQUIRE(symlink((s.dir + "/nowhere").c_str(), (s.dir + "/dangling").c_str()) == 0);
  CHECK(whyOf(s.dir + "/dangling").find("dangling symbolic link") != std::string::npos);
  CHECK(whyOf(s.file("empty", "")).find("empty") != std::string::npos);
  CHECK(whyOf(s.file("text", "hello world\n")) == "not an ELF file");
  CHECK(whyOf(s.file("script", "#!/bin/sh -e\necho hi\n")) ==
        "not an ELF file: a script run by /bin/sh");
  CHECK(whyOf("/dev/null") == "not a regular file");

  // Truncated copies of a real ELF at several lengths: refused, never a crash.
  std::string self = slurp(selfPath());
  REQUIRE(self.size() > 4096);
  for (size_t len : {5UL, 16UL, 63UL, 64UL, 200UL, 1000UL, 4096UL, self.size() / 2}) {
    std::string p = s.file("trunc" + std::to_string(len), self.substr(0, len));
    auto r = elf::read(p);
    if (!r.ok()) {
      CHECK(r.error().message().rfind(p + ": ", 0) == 0);
    } else {
      // Cut after everything libelf needs: the facts must still be the real ones.
      CHECK(r->elfClass == 64);
    }
  }
  // ELF magic and nothing sane after it.
  std::string junk = std::string(
                         "\x7f"
                         "ELF",
                         4) +
                     std::string(60, '\xff');
  auto r = elf::read(s.file("junk", junk));
  CHECK_FALSE(r.ok());

  if (geteuid() != 0) {
    std::string p = s.file("unreadable", self.substr(0, 100));
    REQUIRE(chmod(p.c_str(), 0) == 0);
    CHECK(whyOf(p) == "Permission denied");
  }
}

TEST_CASE("scriptInterpreter reads the #! line like the kernel") {
  Scratch s;
  CHECK(*elf::scriptInterpreter(s.file("a", "#!/usr/bin/python3 -u\n")) == "/usr/bin/python3");
  CHECK(*elf::scriptInterpreter(s.file("b", "#! /bin/sh\n")) == "/bin/sh");
  CHECK(*elf::scriptInterpreter(s.file("c", "#!\t/bin/bash")) == "/bin/bash");
  CHECK_FALSE(elf::scriptInterpreter(s.file("d", "#!\n")).ok());
  CHECK_FALSE(elf::scriptInterpreter(s.file("e", "echo\n")).ok());
  CHECK_FALSE(elf::scriptInterpreter(s.file("f", "")).ok());
  CHECK_FALSE(elf::scriptInterpreter(s.file("g", "#!" + std::string(300, 'x'))).ok());
  CHECK_FALSE(elf::scriptInterpreter(s.dir).ok());
}
